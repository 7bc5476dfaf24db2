"""Données: what the database holds, level by level, and the imports made so far."""
from __future__ import annotations

import streamlit as st

from indicators import store, territories
from indicators.format import fr_int
from ui import data

con = data.require_database()
st.title("Données")
info = store.counts(con)

st.subheader("Territoires")
cols = st.columns(6)
for col, level in zip(cols, ("FR", "REG", "DEP", "EPCI", "COM", "ARM")):
    col.metric(territories.LEVELS[level], fr_int(info["levels"].get(level, 0)))
st.caption(f"Géographie : {info['meta'].get('geo_vintage')} · base construite le {info['meta'].get('built_at')}")

st.subheader("Indicateurs et couverture")
ind = store.indicators(con).set_index("id")
cov = info["indicators"].set_index("id").join(ind[["unit", "coverage", "source"]])
cov = cov.assign(valeurs=cov["n"].map(fr_int), années=[f"{a}–{b}" for a, b in zip(cov["first"], cov["last"])])
st.dataframe(cov[["label", "unit", "valeurs", "années", "coverage"]].rename(
    columns={"label": "Indicateur", "unit": "Unité", "coverage": "Niveaux et années"}), width="stretch")

st.subheader("Groupes de territoires")
st.dataframe(territories.groups(con)[["name", "members", "start_year", "source"]].rename(
    columns={"name": "Groupe", "members": "Membres", "start_year": "Début", "source": "Source"}),
    hide_index=True, width="stretch")

st.subheader("Imports")
log = con.execute("SELECT imported_at, file, rows, indicator_ids FROM import_log ORDER BY imported_at DESC").df()
if log.empty:
    st.info("Aucun import pour l'instant : la base ne contient que les sources publiques listées sur la page Méthodes.")
else:
    st.dataframe(log, hide_index=True, width="stretch")
