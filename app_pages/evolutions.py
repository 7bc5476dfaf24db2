"""Évolutions: series of the followed territories against their références, in several modes, and
the profile of one territory across every indicator."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import charts, export, store, territories, transforms
from indicators.format import MISSING, fr_number, period_label
from indicators.text import md
from ui import data, state, widgets



def values_table(series: pd.DataFrame, order: list[str], decimals: int) -> pd.DataFrame:
    """Territories × periods in French format; « donnée non disponible » where there is no value."""
    table = series.assign(
        période=[period_label(p, y) for p, y in zip(series["period_start"], series["year"])],
        valeur=widgets.format_values(series["value"], decimals),
    ).pivot_table(index="territory_label", columns="période", values="valeur", aggfunc="first")
    # Rows in the order of the codes; a territory with two scopes (France, France métropolitaine) gets both.
    seen = series.drop_duplicates(["territory", "territory_label"])
    rank = {c: i for i, c in enumerate(order)}
    rows = sorted(seen["territory_label"], key=lambda lab: rank.get(seen.loc[seen["territory_label"] == lab,
                                                                              "territory"].iloc[0], len(rank)))
    table = table.loc[list(dict.fromkeys(rows)), sorted(table.columns, key=lambda p: (len(p) > 4, p))]
    return table.rename_axis(index="Territoire").fillna(MISSING)


def key_figures(series: pd.DataFrame, table: pd.DataFrame, target: str, refs: list[str],
                labels: dict[str, str]) -> pd.DataFrame:
    """Latest value of every indicator for the territory, with the same period for its références."""
    rows = []
    for ind_id, ind in table.iterrows():
        own = series[(series["indicator"] == ind_id) & (series["territory"] == target)]
        if own.empty:
            rows.append({"Indicateur": ind["label"], "Période": "–", labels[target]: MISSING})
            continue
        last = own.sort_values(["year", "period_start"]).iloc[-1]
        same = series[(series["indicator"] == ind_id) & (series["year"] == last["year"])
                      & (series["period_start"] == last["period_start"])].drop_duplicates("territory").set_index("territory")
        row = {"Indicateur": f"{ind['label']} ({ind['unit']})",
               "Période": period_label(int(last["period_start"]), int(last["year"]))}
        for code in [target, *refs]:
            value = same["value"].get(code)
            scope = " (France métropolitaine)" if same["flag"].get(code) == store.METRO_ONLY else ""
            row[labels[code]] = fr_number(value, int(ind["decimals"])) + (scope if value is not None else "")
        rows.append(row)
    return pd.DataFrame(rows).fillna(MISSING)


con = data.require_database()
st.title("Évolutions")
codes = widgets.territory_sidebar(con)
if not codes:
    st.info("Choisissez au moins un territoire dans la barre latérale.")
    st.stop()
names = territories.labels(con, codes)

views = {"series": "Séries", "profil": "Profil d'un territoire"}
view = st.segmented_control("Vue", list(views), format_func=views.get, key="w_vue",
                            default=state.choice(list(views), "vue", "series")) or "series"
state.put("vue", view)

c1, c2, c3 = st.columns([2.6, 0.9, 2])
# `ref`: 1 (the first territory's département, région and France), 0 (none) or the codes themselves
# (a review pack's link names its references: the members' régions and France).
ref_param = state.get_str("ref", "1")
named_refs = [c for c in (ref_param or "").split(",") if ":" in c or c == "FR"]
named_refs = [c for c in named_refs if c in territories.labels(con, named_refs) and c not in codes]
with c2:
    with_refs = st.toggle("Références", value=ref_param != "0", key="w_ref",
                          help="Département, région et France du premier territoire")
refs = (named_refs or [r for r in territories.references(con, codes[0]) if r not in codes]) if with_refs else []
state.put("ref", ",".join(named_refs) if with_refs and named_refs else "1" if with_refs else "0")
all_names = territories.labels(con, codes + refs)

if view == "profil":
    with c1:
        target = st.selectbox("Territoire", codes, format_func=names.get, key="w_cible",
                              index=codes.index(state.choice(codes, "cible", codes[0])))
        state.put("cible", target)
    table = widgets.indicator_table(con)
    target_refs = territories.references(con, target) if with_refs else []
    series = store.series(con, [target, *target_refs], table.index.tolist())
    st.subheader("Chiffres clés")
    st.dataframe(key_figures(series, table, target, target_refs, territories.labels(con, [target, *target_refs])),
                 hide_index=True, width="stretch")
    fig = charts.profile_chart(series, table, frozenset(target_refs), f"Séries annuelles : {names[target]}",
                               "Sources : voir la page Méthodes (une source par indicateur). Effectifs sans "
                               "référence ; taux avec département, région et France en gris.")
    widgets.show_chart(fig)
    st.stop()

with c1:
    inds = widgets.indicators_multiselect(con)
with c3:
    group = widgets.group_select(con, "Repère : début d'un programme", allow_none=True)
modes = list(transforms.MODES)
mode = st.segmented_control("Mode", modes, format_func=transforms.MODES.get, key="w_mode",
                            default=state.choice(modes, "mode", "valeurs")) or "valeurs"
state.put("mode", mode)
m2, m3 = st.columns([1, 3])
with m2:
    first, last = data.cached(store.year_range)
    base = st.number_input("Année de base (indice)", first, last, state.get_int("base", min(max(2013, first), last),
                                                                            first, last), key="w_base",
                           disabled=mode != "indice")
    state.put("base", base if mode == "indice" else None)
with m3:
    lo, hi = st.slider("Années", first, last, widgets.year_span(first, last, (first, last)), key="w_annees")
    state.put("de", lo if lo != first else None)
    state.put("a", hi if hi != last else None)

marker = int(group["start_year"]) if group is not None and pd.notna(group["start_year"]) else None
for ind_id, ind in inds.iterrows():
    raw = store.series(con, codes + refs, [ind_id])
    raw = raw[(raw["year"] >= lo) & (raw["period_start"] <= hi)]
    if mode == "pour1000" and ind["kind"] != "count":
        st.info(f"{md(ind['label'])} est déjà un taux : affiché en valeurs.")
    shown, unit = raw, ind["unit"]
    if mode == "indice":
        shown, unit = transforms.index_base(raw, base), f"indice base 100 en {base}"
    elif mode in ("mm3", "mm5"):
        shown, unit = transforms.moving_average(raw, int(mode[-1])), f"{ind['unit']} (moyenne mobile {mode[-1]} ans)"
    elif mode == "pour1000" and ind["kind"] == "count":
        shown = transforms.per_thousand(raw, store.series(con, codes + refs, ["population"]))
        unit = f"{ind['unit']} pour 1 000 habitants"
    without = [names[c] for c in codes if c not in set(shown["territory"])]
    if shown.empty:
        st.info(f"{md(ind['label'])} : donnée non disponible pour ces territoires et leurs références dans ce mode "
                f"et ces années. Couverture : {md(ind['coverage'])}")
        continue
    if without:  # the references still show, so the territory's absence reads as absence, not as zero
        st.info(f"{md(ind['label'])} : donnée non disponible pour {md(', '.join(without))} dans ce mode et ces "
                f"années ; les références restent affichées. Couverture : {md(ind['coverage'])}")
    transform = (f"indice base 100 en {base}" if mode == "indice" else transforms.MODES[mode].lower())
    spec = widgets.chart_spec(ind, title=ind["label"], subtitle=f"{transforms.MODES[mode]} · {lo}–{hi}", unit=unit,
                              decimals=1 if mode != "valeurs" else int(ind["decimals"]), transform=transform,
                              marker_year=marker,
                              marker_label=f"Début : {charts.short(group['name'], 48)} ({marker})" if marker else "",
                              permalink=export.permalink("evolutions", **st.query_params.to_dict()))
    fig = charts.trend_chart(shown, spec, frozenset(refs))
    widgets.show_chart(fig)
    widgets.export_chart(fig, spec, shown, f"evo_{ind_id}")
    with st.expander("Tableau des valeurs"):
        st.dataframe(values_table(shown, [*codes, *refs], spec.decimals), width="stretch")
    grow = transforms.growth(shown)
    if not grow.empty:
        dec = spec.decimals
        columns = {"Territoire": grow["territory"].map(all_names),
                   "Période": [f"{a}–{b}" for a, b in zip(grow["from"], grow["to"])],
                   "Début": grow["first"], "Fin": grow["last"]}
        if ind["kind"] == "ratio" and mode == "valeurs":
            # A growth rate of a rate means nothing: the change of a rate is read in points.
            columns["Écart (points)"] = grow["last"] - grow["first"]
            formats = {"Début": dec, "Fin": dec, "Écart (points)": dec}
        else:
            columns.update({"Évolution (%)": grow["change_pct"], "Par an, moyenne géométrique (%)": grow["cagr_pct"]})
            formats = {"Début": dec, "Fin": dec, "Évolution (%)": 1, "Par an, moyenne géométrique (%)": 2}
        widgets.french_table(pd.DataFrame(columns), formats)
    spans = shown[shown["period_start"] != shown["year"]]
    if not spans.empty:
        st.caption("Les segments horizontaux sont des moyennes annuelles sur une période ("
                   + ", ".join(sorted({period_label(p, y) for p, y in zip(spans.period_start, spans.year)})) + ").")
    if ind["caution"]:
        st.caption(f"⚠ {md(ind['caution'])}")
    widgets.source_caption(ind)
