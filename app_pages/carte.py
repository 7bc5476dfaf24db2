"""Carte: one indicator across the territories of a level, with sound classes, a legend that counts,
the pilot sites in view, a card for the clicked territory, and the same data as a table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from indicators import charts, classify, export, mapdata, store, territories
from indicators.format import fr_int, period_label
from indicators.text import md
from ui import carte_views, data, mapview, state, widgets

con = data.require_database()
st.title("Carte")

c1, c2, c3, c4 = st.columns([1.4, 2.2, 1.4, 1.3])
levels = list(territories.MAP_LEVELS)
level = c1.selectbox("Niveau", levels, index=levels.index(state.choice(levels, "niveau", "DEP")),
                     format_func=territories.LEVELS.get, key="w_niveau")
state.put("niveau", level)
with c2:
    ind = widgets.indicator_select(con)
# « FR » is France entière, written in the link (an empty value would fall back to the default).
extents = ["FR"] + [c for lv in ("REG", "DEP") for c in data.cached(territories.by_level, lv)["code"]]
names = data.cached(territories.labels, tuple(extents))
chosen_extent = c3.selectbox("Emprise", extents, key="w_dans",
                             format_func=lambda c: "France entière" if c == "FR" else names.get(c, c),
                             index=extents.index(state.choice(extents, "dans", "DEP:12" if level == "COM" else "FR")))
state.put("dans", chosen_extent)
within = None if chosen_extent == "FR" else chosen_extent
periods = data.cached(store.periods, ind["id"], level)
labels = [period_label(int(p), int(y)) for p, y in zip(periods["period_start"], periods["year"])]
if not labels:
    st.info(f"Donnée non disponible au niveau « {territories.LEVELS[level]} » pour cet indicateur. "
            f"Couverture : {md(ind['coverage'])} Importez vos propres valeurs depuis la page Données.")
    widgets.source_caption(ind)
    st.stop()
with c4:
    current = state.choice(labels, "p", labels[-1], parse=lambda s: s.replace("-", "–"))
    if len(labels) > 1:
        chosen = st.select_slider("Année ou période", labels, value=current, key="w_p")
    else:  # one period: said, not offered
        chosen = labels[0]
        st.markdown(f"Année ou période  \n**{chosen}** (seule disponible)")
    state.put("p", chosen.replace("–", "-"))
# Periods as the URL writes them (2013-2018) → (period_start, year): one lookup for every year shown.
spans = {lab.replace("–", "-"): (int(p), int(y)) for lab, p, y in zip(labels, periods["period_start"], periods["year"])}
period = spans[chosen.replace("–", "-")]

m1, m2, m3, m4, m5 = st.columns([1.9, 1.1, 1.3, 1.1, 2.2])
methods = list(classify.METHODS)
method = m1.selectbox("Classes", methods, format_func=classify.METHODS.get, key="w_methode",
                      index=methods.index(state.choice(methods, "methode", "quantiles")))
state.put("methode", method)
k = m2.number_input("Nombre de classes", 3, 9, state.get_int("k", 5, 3, 9), key="w_k", disabled=method in ("ecart", "manuel"))
state.put("k", k)
manual = []
if method == "manuel":
    text = m2.text_input("Bornes (séparées par ;)", state.get_str("bornes", ""), key="w_bornes", placeholder="0;5;10")
    manual, bad = classify.parse_breaks(text)
    if bad:
        m2.warning(f"Bornes ignorées, pas des nombres : {', '.join(bad)}")
    state.put("bornes", text)
palettes = {"auto": "Selon l'indicateur", "div": "Divergente"}
pal = m3.selectbox("Palette", list(palettes), format_func=palettes.get, key="w_palette",
                   index=list(palettes).index(state.choice(list(palettes), "palette", "auto")))
state.put("palette", pal)
refs = {"FR": "France", "REG": "la région", "val": "une valeur"}
# Shown only for a diverging palette (a greyed-out control is hard to read and means nothing).
ref = m4.selectbox("Centrée sur", list(refs), format_func=refs.get, key="w_ref",
                   index=list(refs).index(state.choice(list(refs), "ref", "FR"))) if pal == "div" else "FR"
state.put("ref", ref if pal == "div" else None)
with m5:
    group = widgets.group_select(con, "Groupe à souligner", allow_none=True, default=None)

values = data.cached(store.level_values, ind["id"], level, period[1], period[0], within, large=True)
if values.empty:
    st.info(f"Aucun territoire du niveau « {territories.LEVELS[level]} » dans l'emprise « {names.get(within)} » : "
            "choisissez une emprise plus large ou un niveau plus fin.")
    st.stop()
v = values["value"].to_numpy(dtype=float)
# The widget's value is already current when a rerun starts; the URL has it only after this run.
years = [y for y in st.session_state.get("w_annees", state.get_list("annees")) if y in spans and spans[y] != period][:5]
other_values = {y: data.cached(store.level_values, ind["id"], level, spans[y][1], spans[y][0], within, large=True)
                for y in years}
all_v = np.concatenate([v] + [o["value"].to_numpy(dtype=float) for o in other_values.values()])
pooled = classify.classify(all_v, method, k, manual) if years else None
cl = classify.classify(v, method, k, manual, bounds=pooled.bounds if pooled else None,
                       lower=pooled.lower if pooled else None)
reference = None
if pal == "div":
    ref_code = "FR" if ref == "FR" else (territories.get(con, within)["parent_reg"] if within and within.startswith("DEP") else within)
    if ref == "val":
        reference = float(st.number_input("Valeur de référence", -1e15, 1e15, state.get_float("refval", 0.0, -1e15, 1e15),
                                          key="w_refval"))
        state.put("refval", f"{reference:g}")
    elif ref_code:
        s = store.series(con, [ref_code], [ind["id"]])
        s = s[(s["year"] == period[1]) & (s["period_start"] == period[0])]
        reference = float(s["value"].iloc[0]) if not s.empty else None
    if reference is None:
        st.caption("Palette divergente sans référence : choisissez une emprise (région ou département) pour "
                   "centrer sur la région, ou une valeur." if ref_code is None and ref != "val"
                   else "Palette divergente sans référence : donnée non disponible pour la référence à cette date.")
if ref != "val" or pal != "div":
    state.put("refval", None)
centre = int(np.searchsorted(np.asarray(cl.bounds), reference)) if reference is not None and cl.k else None
colours = classify.palette(cl.k, int(ind["polarity"]), min(centre, cl.k - 1) if centre is not None else None)

codes = values["code"].tolist()
outline = territories.codes_at_level(con, territories.group_members(con, group["id"])["code"].tolist(), level) if group is not None else set()
selected = state.get_str("sel")
include_small = widgets.include_small()
left, right = st.columns([3, 1.1])
with left:
    clicked = mapview.territory_map(level, codes, v, cl.classes, colours,
                                    classify.MISSING_COLOUR, str(ind["unit"]), int(ind["decimals"]),
                                    visible=set(codes) if within else None, outline=outline, selected=selected,
                                    key="carte", small=values["small"].to_numpy(dtype=bool), view_of=chosen_extent)
    if clicked and clicked["code"] != selected:
        state.put("sel", clicked["code"])
        st.rerun()
    shapeless = len(set(codes) - set(mapview.geometry_codes(level)[1]))
    st.caption(f"{fr_int(len(v) - cl.missing)} territoires avec une valeur ; {fr_int(cl.missing)} en « donnée non "
               f"disponible » (gris). Ctrl + molette (ou un clic puis la molette) : zoom ; glisser ou flèches du clavier : "
               "déplacer ; clic : fiche du territoire."
               + (f" {fr_int(shapeless)} sans contour dans la source cartographique : voir le tableau." if shapeless else "")
               + (f" Référence : {reference:.2f}".replace(".", ",") if reference is not None else ""))
with right:
    small_rule = data.cached(store.small_rule, ind["id"])
    carte_views.legend(cl, colours, int(ind["decimals"]), str(ind["unit"]), int(values["small"].sum()), small_rule)
    if cl.k:
        st.markdown(carte_views.histogram_svg(v, cl, int(ind["decimals"])), unsafe_allow_html=True)
    query = st.text_input("Rechercher sur la carte", key="w_sel_search", placeholder="Nom ou code, puis Entrée")
    if query:
        hits = territories.search(con, query, levels=(level,), limit=8)
        hits = hits[hits["code"].isin(set(codes))]
        if hits.empty:
            st.caption("Aucun territoire de la carte ne correspond.")
        elif st.session_state.get("carte_query") != query:  # Enter on a new search: its best match is chosen,
            st.session_state["carte_query"] = query      # and the map redrawn with it outlined
            state.put("sel", hits["code"].iloc[0])
            st.rerun()
        st.session_state["carte_query"] = query
        for code, lab in zip(hits["code"], hits["label"]):
            st.button(lab, key=f"w_hit_{code}", on_click=state.put, args=("sel", code))
    if selected and territories.level_of(selected) == level and selected in set(codes):
        carte_views.card(con, selected, ind, period, include_small, small_rule)
    elif selected:
        st.caption("Le territoire choisi n'est pas sur cette carte (autre niveau, autre emprise ou code inconnu).")

others = [y for y in spans if spans[y] != period]
picked = st.multiselect("Comparer d'autres années (mêmes classes)", others, default=[y for y in years if y in others],
                        max_selections=5, key="w_annees", placeholder="Choisir des années") if others else []
state.put("annees", picked)
if picked:
    cols = st.columns(min(3, len(picked)))
    for i, y in enumerate(picked):
        vy = other_values[y]
        cy = classify.classify(vy["value"].to_numpy(dtype=float), method, k, manual, bounds=cl.bounds, lower=cl.lower)
        with cols[i % len(cols)]:
            st.markdown(f"**{y.replace('-', '–')}**")
            mapview.territory_map(level, vy["code"].tolist(), vy["value"].to_numpy(dtype=float), cy.classes, colours,
                                  classify.MISSING_COLOUR, str(ind["unit"]), int(ind["decimals"]),
                                  visible=set(vy["code"]) if within else None, outline=outline, height=320,
                                  key=f"carte_{y}")

spec = widgets.chart_spec(
    ind, title=f"{ind['label']}, {chosen}",
    subtitle=f"{territories.LEVELS[level]} · {names.get(within, 'France entière')} · {classify.METHODS[method]}",
    permalink=export.permalink("carte", **st.query_params.to_dict()))
spec_table = values.rename(columns={"code": "territory", "label": "territory_label"}).assign(
    indicator=ind["id"], period_start=period[0], year=period[1])
with left:
    widgets.export_chart(
        lambda: charts.map_figure(mapdata.read_layer(mapview.GEO_DIR / f"{level}.json"), codes, cl, colours,
                                  classify.MISSING_COLOUR, spec, visible=set(codes) if within else None, outline=outline),
        spec, spec_table, f"carte_{level}_{ind['id']}")

st.subheader("Les mêmes données en tableau")
if small_rule:
    include_small = widgets.small_toggle(small_rule)
ranked = values["value"].where(~values["small"] | include_small)
table = pd.DataFrame({"Rang": ranked.rank(ascending=int(ind["polarity"]) < 0, method="min").astype("Int64"),
                      "Territoire": values["label"], f"{ind['label']} ({ind['unit']})": values["value"],
                      "Effectif faible": values["small"].map({True: "oui", False: ""})})
widgets.french_table(table.sort_values("Rang", na_position="last"), {f"{ind['label']} ({ind['unit']})": int(ind["decimals"])},
                     unranked=("Rang",), height=320)
st.download_button("Télécharger le tableau (CSV)", lambda t=spec_table: export.to_csv(export.series_table(t, spec)),
                   f"carte_{level}_{ind['id']}_{chosen}.csv", "text/csv", on_click="ignore")
widgets.source_caption(ind)
