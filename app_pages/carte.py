"""Carte: one indicator across the territories of a level, as a map and as a table."""
from __future__ import annotations

import streamlit as st

from indicators import charts, export, geo, store, territories
from indicators.format import fr_int, period_label
from indicators.paths import SOURCES_DIR
from ui import data, state, widgets

con = data.require_database()
st.title("Carte")

c1, c2, c3, c4 = st.columns([1, 2, 1, 1.3])
with c1:
    levels = list(territories.MAP_LEVELS)
    level = st.selectbox("Niveau", levels, index=levels.index(state.choice(levels, "niveau", "DEP")),
                         format_func=territories.LEVELS.get, key="w_niveau")
    state.put("niveau", level)
with c2:
    ind = widgets.indicator_select(con)
with c4:
    within = None
    if level == "COM":
        deps = territories.by_level(con, "DEP")
        codes = deps["code"].tolist()
        within = st.selectbox("Département", codes, index=codes.index(state.choice(codes, "dans", "DEP:12")),
                              format_func=dict(zip(deps["code"], deps["label"])).get, key="w_dans")
        state.put("dans", within)
    else:
        state.put("dans", None)
with c3:
    period = widgets.period_select(store.periods(con, ind["id"], level))

if period is None:
    st.info(f"Donnée non disponible au niveau « {territories.LEVELS[level]} » pour cet indicateur. "
            f"Couverture : {ind['coverage']}")
    widgets.source_caption(ind)
    st.stop()

values = store.level_values(con, ind["id"], level, period[1], period[0], within)
n_missing = int(values["value"].isna().sum())
spec = charts.ChartSpec(
    title=f"{ind['label']}, {period_label(*period)}",
    subtitle=f"{territories.LEVELS[level]}s" + (f" · {values['parent_dep'].iloc[0]}" if within else ""),
    unit=ind["unit"], source=ind["source"], decimals=int(ind["decimals"]),
    permalink=export.permalink("carte", niveau=level, i=ind["id"], p=period_label(*period).replace("–", "-"), dans=within),
)
layer = (geo.communes_layer(SOURCES_DIR, frozenset(values["code"])) if level == "COM"
         else geo.layer(SOURCES_DIR, level))
scale = {1: "Blues", -1: "OrRd"}.get(int(ind["polarity"]), "Viridis")
fig = charts.choropleth(values, layer, spec, scale)
if within:
    fig.update_layout(map={"center": geo.layer_center(layer), "zoom": 7.2})
st.plotly_chart(fig, width="stretch", config={"displaylogo": False})
map_table = values.rename(columns={"code": "territory", "label": "territory_label"}).assign(
    indicator=ind["id"], period_start=period[0], year=period[1])
widgets.export_chart(fig, spec, map_table, ind, f"carte_{level}_{ind['id']}")
st.caption(
    f"{fr_int(len(values) - n_missing)} territoires avec une valeur ; "
    f"{fr_int(n_missing)} en « donnée non disponible » (non colorés)."
)

table = values.assign(valeur=widgets.format_values(values["value"], int(ind["decimals"])))
table = table.sort_values("value", ascending=int(ind["polarity"]) < 0, na_position="last")
st.dataframe(
    table[["label", "valeur"]].rename(columns={"label": "Territoire", "valeur": f"{ind['label']} ({ind['unit']})"}),
    hide_index=True, width="stretch", height=320,
)
widgets.source_caption(ind)
