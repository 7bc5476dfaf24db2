"""Carte: one indicator across the territories of a level, with sound classes, a legend that counts,
the pilot sites in view, a card for the clicked territory, and the same data as a table."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import charts, choropleth, classify, compare, export, mapdata, store, territories
from indicators.format import fr_int, period_label
from indicators.text import md
from ui import carte_views, data, mapview, state, widgets

con = data.require_database()
st.title("Carte")
view = state.load(state.CarteView)
P = state.CarteView.param

c1, c2, c3, c4 = st.columns([1.4, 2.2, 1.4, 1.3])
levels = list(territories.MAP_LEVELS)
level = c1.selectbox("Niveau", levels, index=levels.index(view.niveau), format_func=territories.LEVELS.get, key="w_niveau")
state.write(P("niveau"), level)
with c2:
    ind = widgets.indicator_select(con)
# « FR » is France entière, written in the link (an empty value would fall back to the default).
extents = ["FR"] + [c for lv in ("REG", "DEP") for c in data.cached(territories.by_level, lv)["code"]]
names = data.cached(territories.labels, tuple(extents))
chosen_extent = c3.selectbox("Emprise", extents, key="w_dans",
                             format_func=lambda c: "France entière" if c == "FR" else names.get(c, c),
                             index=extents.index(state.read(P("dans"), extents, "DEP:12" if level == "COM" else "FR")))
state.write(P("dans"), chosen_extent)
within = None if chosen_extent == "FR" else chosen_extent
periods = data.cached(store.periods, ind["id"], level)
if periods.empty:
    st.info(f"Donnée non disponible au niveau « {territories.LEVELS[level]} » pour cet indicateur. "
            f"Couverture : {md(ind['coverage'])} Importez vos propres valeurs depuis la page Données.")
    widgets.source_caption(ind)
    st.stop()
with c4:
    period = widgets.period_select(periods, P("p"), slider=True)
chosen = period_label(*period)
# Periods as the URL writes them (2013-2018) → (period_start, year): one lookup for every year shown.
spans = {period_label(int(p), int(y)).replace("–", "-"): (int(p), int(y))
         for p, y in zip(periods["period_start"], periods["year"], strict=True)}

m1, m2, m3, m4, m5 = st.columns([1.9, 1.1, 1.3, 1.1, 2.2])
methods = list(classify.METHODS)
method = m1.selectbox("Classes", methods, format_func=classify.METHODS.get, key="w_methode",
                      index=methods.index(view.methode))
state.write(P("methode"), method)
k = m2.number_input("Nombre de classes", 3, 9, view.k, key="w_k", disabled=method in ("ecart", "manuel"))
state.write(P("k"), k)
manual = []
if method == "manuel":
    text = m2.text_input("Bornes (séparées par ;)", view.bornes or "", key="w_bornes", placeholder="0;5;10", max_chars=200)
    manual, bad = classify.parse_breaks(text)
    if bad:
        m2.warning(f"Bornes ignorées, pas des nombres : {md(', '.join(bad))}")
    state.write(P("bornes"), text)
palettes = {"auto": "Selon l'indicateur", "div": "Divergente"}
pal = m3.selectbox("Palette", list(palettes), format_func=palettes.get, key="w_palette",
                   index=list(palettes).index(view.palette))
state.write(P("palette"), pal)
centres = list(choropleth.CENTRES)
# Shown only for a diverging palette (a greyed-out control is hard to read and means nothing).
centre = m4.selectbox("Centrée sur", centres, format_func=choropleth.CENTRES.get, key="w_centre",
                      index=centres.index(view.centre)) if pal == "div" else "FR"
state.write(P("centre"), centre if pal == "div" else None)
with m5:
    group = widgets.group_select(con, "Groupe à souligner", allow_none=True, default=None)

values = data.cached(store.level_values, ind["id"], level, period[1], period[0], within, large=True)
if values.empty:
    st.info(f"Aucun territoire du niveau « {territories.LEVELS[level]} » dans l'emprise « {names.get(within)} » : "
            "choisissez une emprise plus large ou un niveau plus fin.")
    st.stop()
v = values["value"].to_numpy(dtype=float)
# The widget's value is already current when a rerun starts; the URL has it only after this run.
others = [y for y in spans if spans[y] != period]
years = [y for y in st.session_state.get("w_annees", state.read(P("annees"), others))
         if y in others][:5]
other_values = {y: data.cached(store.level_values, ind["id"], level, spans[y][1], spans[y][0], within, large=True)
                for y in years}
reference = None
if pal == "div" and centre == "val":
    reference = float(st.number_input("Valeur de référence", -1e15, 1e15, view.refval, key="w_refval"))
elif pal == "div":
    reference = choropleth.reference_value(con, ind["id"], choropleth.reference_code(con, centre, within), period)
state.write(P("refval"), reference if pal == "div" and centre == "val" else None)
model = choropleth.model(v, method, k, manual, int(ind["polarity"]), reference,
                         tuple(o["value"].to_numpy(dtype=float) for o in other_values.values()))
cl, colours = model.classes, list(model.colours)
if pal == "div" and reference is None:
    st.caption("Palette divergente sans référence : choisissez une emprise (région ou département) pour centrer "
               "sur la région, ou une valeur." if within is None and centre == "REG"
               else "Palette divergente sans référence : donnée non disponible pour la référence à cette date.")

codes = values["code"].tolist()
outline = territories.codes_at_level(con, territories.group_members(con, group["id"])["code"].tolist(), level) if group is not None else set()
selected = state.read(P("sel"))
include_small = widgets.include_small()
left, right = st.columns([3, 1.1])
with left:
    clicked = mapview.territory_map(level, codes, v, cl.classes, colours,
                                    classify.MISSING_COLOUR, str(ind["unit"]), int(ind["decimals"]),
                                    visible=set(codes) if within else None, outline=outline, selected=selected,
                                    key="carte", small=values["small"].to_numpy(dtype=bool), view_of=chosen_extent)
    if clicked and clicked["code"] != selected:
        state.write(P("sel"), clicked["code"])
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
            state.write(P("sel"), hits["code"].iloc[0])
            st.rerun()
        st.session_state["carte_query"] = query
        for code, lab in zip(hits["code"], hits["label"], strict=True):
            st.button(lab, key=f"w_hit_{code}", on_click=state.write, args=(P("sel"), code))
    if selected and territories.level_of(selected) == level and selected in set(codes):
        carte_views.card(con, selected, ind, period, include_small, small_rule)
    elif selected:
        st.caption("Le territoire choisi n'est pas sur cette carte (autre niveau, autre emprise ou code inconnu).")

picked = st.multiselect("Comparer d'autres années (mêmes classes)", others, default=[y for y in years if y in others],
                        max_selections=5, key="w_annees", placeholder="Choisir des années") if others else []
state.write(P("annees"), picked)
if picked:
    cols = st.columns(min(3, len(picked)))
    for i, y in enumerate(picked):
        vy = other_values[y]
        cy = model.classes_of(vy["value"].to_numpy(dtype=float))
        with cols[i % len(cols)]:
            st.markdown(f"**{y.replace('-', '–')}**")
            mapview.territory_map(level, vy["code"].tolist(), vy["value"].to_numpy(dtype=float), cy.classes, colours,
                                  classify.MISSING_COLOUR, str(ind["unit"]), int(ind["decimals"]),
                                  visible=set(vy["code"]) if within else None, outline=outline, height=320,
                                  key=f"carte_{y}")

spec = widgets.chart_spec(
    ind, title=f"{ind['label']}, {chosen}",
    subtitle=f"{territories.LEVELS[level]} · {names.get(within, 'France entière')} · {classify.METHODS[method]}",
    permalink=state.link(state.CarteView))
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
table = pd.DataFrame({"Rang": compare.local_ranks(values["value"], int(ind["polarity"]), ~values["small"] | include_small),
                      "Territoire": values["label"], f"{ind['label']} ({ind['unit']})": values["value"],
                      "Effectif faible": values["small"].map({True: "oui", False: ""})})
widgets.french_table(table.sort_values("Rang", na_position="last"), {f"{ind['label']} ({ind['unit']})": int(ind["decimals"])},
                     unranked=("Rang",), height=320)
st.download_button("Télécharger le tableau (CSV)", lambda t=spec_table: export.to_csv(export.series_table(t, spec)),
                   f"carte_{level}_{ind['id']}_{chosen}.csv", "text/csv", on_click="ignore")
widgets.source_caption(ind)
