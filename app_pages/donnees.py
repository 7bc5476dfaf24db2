"""Données: import a territory's own indicators; what the database holds; the imports made so far."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import journal, store, territories
from indicators.format import MISSING, fr_datetime, fr_int
from ui import access, data, import_views, points_views

con = data.require_database()
st.title("Données")

access.journal_warning()
st.header("Importer vos indicateurs")
st.caption("Ouvertures de commerces, participation, adhérents, émissions d'un observatoire régional… Le fichier est "
           "d'abord lu et vérifié ligne par ligne ; rien n'est écrit tant qu'un problème bloquant demeure, et "
           "l'import s'écrit en une seule fois (ou pas du tout). Un même fichier importé deux fois ne change rien.")
if access.can_write():
    import_views.import_flow(con)
    with st.expander("Modèles à remplir"):
        import_views.templates(con)
else:
    access.read_only_notice()

st.header("Importer des points")
st.caption("Commerces ouverts ou fermés, actions du programme, événements… Chaque point est placé dans sa commune ; "
           "chaque catégorie devient un indicateur (nombre par commune et par année, additionné à chaque niveau), "
           "visible sur la carte, les évolutions, les comparaisons, et les points sur la page Terrain.")
if access.can_write():
    points_views.points_flow(con)
else:
    access.read_only_notice()

st.header("Imports réalisés")
import_views.import_log(con)

if access.can_write():
    with st.expander("Journal des écritures (qui a changé la base, quand)"):
        entries = journal.entries()
        if entries:
            st.dataframe(entries, hide_index=True, width="stretch")
        else:
            st.caption("Aucune écriture journalisée pour l'instant.")

st.header("Contenu de la base")
info = store.counts(con)
cols = st.columns(6)
for col, level in zip(cols, ("FR", "REG", "DEP", "EPCI", "COM", "ARM"), strict=True):
    col.metric(territories.LEVELS[level], fr_int(info["levels"].get(level, 0)))
for col, level in zip(st.columns(4), territories.ZONING_LEVELS, strict=True):  # INSEE's study zonings
    col.metric(territories.LEVELS[level], fr_int(info["levels"].get(level, 0)))
st.caption(f"Géographie : {info['meta'].get('geo_vintage')} · base construite le {fr_datetime(info['meta'].get('built_at'))}")
ind = store.indicators(con).set_index("id")
cov = info["indicators"].set_index("id").join(ind[["unit", "coverage"]])
cov = cov.assign(valeurs=cov["n"].map(fr_int),
                 années=[MISSING if pd.isna(a) else str(a) if a == b else f"{a}–{b}"
                         for a, b in zip(cov["first"], cov["last"], strict=True)])
st.dataframe(cov[["label", "unit", "valeurs", "années", "coverage"]].reset_index(drop=True).rename(
    columns={"label": "Indicateur", "unit": "Unité", "coverage": "Niveaux et années"}), hide_index=True,
    width="stretch")  # the indicator's label says it: no technical id column
st.dataframe(territories.groups(con)[["name", "members", "start_year", "source"]].rename(
    columns={"name": "Groupe", "members": "Membres", "start_year": "Début", "source": "Source"}),
    hide_index=True, width="stretch")
