"""Comparer: the members of a group side by side, with their rank among territories of their level."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import charts, compare, store, territories
from indicators.format import fr_int, fr_number, period_label
from ui import data, state, widgets



def _ranks(rank: pd.Series, n: pd.Series) -> list[str]:
    return [f"{fr_int(r)} / {fr_int(k)}" if pd.notna(r) else "–" for r, k in zip(rank, n)]


con = data.require_database()
st.title("Comparer")

groups = territories.groups(con)
ids = groups["id"].tolist()
c1, c2, c3 = st.columns([2, 2, 1])
with c1:
    gid = st.selectbox("Groupe", ids, index=ids.index(state.choice(ids, "g", "cci-midi-pyrenees")),
                       format_func=dict(zip(groups["id"], groups["name"])).get, key="w_g")
    state.put("g", gid)
group = groups.set_index("id").loc[gid]
members = territories.group_members(con, gid)
with c2:
    ind = widgets.indicator_select(con)
with c3:
    periods = store.periods(con, ind["id"], codes=members["code"].tolist())
    period = widgets.period_select(periods)

st.caption(f"{group['description']} Début du programme : {group['start_year']}. Source : {group['source']}.")
if period is None:
    st.info("Donnée non disponible pour cet indicateur.")
    st.stop()

ranked = compare.ranks(con, ind["id"], period[0], period[1], members["code"].tolist(), int(ind["polarity"]))
dec = int(ind["decimals"])
table = ranked.assign(
    Niveau=ranked["level"].map(territories.LEVELS),
    Valeur=widgets.format_values(ranked["value"], dec),
    **{
        "Rang en France": _ranks(ranked["rank_fr"], ranked["n_fr"]),
        "Centile": [fr_number(None if pd.isna(p) else p, 0, "–") for p in ranked["percentile"]],
        "Rang dans la région": _ranks(ranked["rank_reg"], ranked["n_reg"]),
    },
)
st.subheader(f"{ind['label']} · {period_label(*period)}")
st.dataframe(table[["label", "Niveau", "Valeur", "Rang en France", "Centile", "Rang dans la région"]]
             .rename(columns={"label": "Territoire"}), hide_index=True, width="stretch")
st.caption("Rang 1 = la situation la plus favorable selon le sens de l'indicateur ; rangs calculés parmi les "
           "territoires du même niveau (une commune parmi les communes, une intercommunalité parmi les EPCI). "
           "Centile 100 = meilleur.")
spec = charts.ChartSpec(title=f"{ind['label']}, {period_label(*period)}", subtitle=group["name"],
                        unit=ind["unit"], source=ind["source"], decimals=dec)
if ranked["value"].notna().any():
    st.plotly_chart(charts.bar_chart(ranked[["code", "label", "value"]], spec), width="stretch",
                    config={"displaylogo": False})
missing = ranked[ranked["value"].isna()]
if not missing.empty:
    st.info("Donnée non disponible pour : " + ", ".join(missing["label"]) + f". Couverture : {ind['coverage']}")
widgets.source_caption(ind)
