"""Évolutions: series of the followed territories against their département, région and France."""
from __future__ import annotations

import streamlit as st

from indicators import charts, store, territories
from indicators.format import period_label
from ui import data, state, widgets

con = data.require_database()
st.title("Évolutions")

codes = widgets.territory_sidebar(con)
c1, c2 = st.columns([2, 1])
with c1:
    ind = widgets.indicator_select(con)
with c2:
    with_refs = st.toggle("Références (département, région, France)", value=state.get_str("ref", "1") == "1",
                          key="w_ref")
    state.put("ref", "1" if with_refs else "0")

if not codes:
    st.info("Choisissez au moins un territoire dans la barre latérale.")
    st.stop()

refs = [r for c in codes[:1] for r in territories.references(con, c)] if with_refs else []
refs = [r for r in refs if r not in codes]
series = store.series(con, codes + refs, [ind["id"]])
names = territories.labels(con, codes)
spec = charts.ChartSpec(
    title=ind["label"],
    subtitle=", ".join(names[c] for c in codes),
    unit=ind["unit"], source=ind["source"], decimals=int(ind["decimals"]),
)
shown = series[series["territory"].isin(codes)]
if shown.empty:
    st.info(f"Donnée non disponible pour ces territoires. Couverture de l'indicateur : {ind['coverage']}")
if not series.empty:
    st.plotly_chart(charts.trend_chart(series, spec, frozenset(refs)), width="stretch",
                    config={"displaylogo": False})
    table = series.assign(
        période=[period_label(p, y) for p, y in zip(series["period_start"], series["year"])],
        valeur=widgets.format_values(series["value"], int(ind["decimals"])),
    ).pivot_table(index="territory_label", columns="période", values="valeur", aggfunc="first", sort=False)
    all_names = territories.labels(con, codes + refs)
    order = [all_names[c] for c in codes + refs if all_names[c] in table.index]
    table = table.loc[order, sorted(table.columns, key=lambda p: (len(p) > 4, p))].rename_axis(index="Territoire")
    st.dataframe(table.fillna("donnée non disponible"), width="stretch")
if ind["caution"]:
    st.caption(f"⚠️ {ind['caution']}")
widgets.source_caption(ind)
