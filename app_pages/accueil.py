"""Accueil: what the observatory answers, its key figures, and where to go next."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import links, store, territories
from indicators.format import fr_datetime, fr_int
from ui import data

con = data.require_database()
st.title("Observatoire de l'attractivité des territoires")
st.markdown(
    "Les territoires gagnent-ils des habitants, des entreprises, des emplois ? Les programmes de "
    "revitalisation (management de centre-ville, Action Cœur de Ville, Petites Villes de Demain) "
    "font-ils bouger les chiffres ? Toutes les données sont publiques, sourcées et datées."
)
info = store.counts(con)
cols = st.columns(4)
cols[0].metric("Communes", fr_int(info["levels"].get("COM", 0)))
cols[1].metric("Intercommunalités", fr_int(info["levels"].get("EPCI", 0)))
cols[2].metric("Indicateurs", fr_int(len(info["indicators"])))
cols[3].metric("Valeurs", fr_int(info["observations"]))

st.subheader("Par où commencer")
c1, c2, c3 = st.columns(3)
with c1:
    st.page_link(links.page("carte").file, label="Carte des territoires", icon=":material/map:")
    st.caption("Un indicateur sur toutes les régions, départements, intercommunalités ou communes d'un département.")
with c2:
    st.page_link(links.page("evolutions").file, label="Évolutions", icon=":material/show_chart:")
    st.caption("Les séries d'un territoire face à son département, sa région et la France.")
with c3:
    st.page_link(links.page("comparer").file, label="Sites pilotes côte à côte", icon=":material/compare_arrows:",
                 query_params=links.ComparerView.query(group=territories.PILOT_GROUP))
    st.caption("Les huit sites pilotes du management de centre-ville de la CCI Midi-Pyrénées, avec leurs rangs.")

st.subheader("Groupes de territoires disponibles")
groups = territories.groups(con)
st.dataframe(pd.DataFrame({"Groupe": groups["name"], "Membres": [fr_int(n) for n in groups["members"]],
                           "Début du programme": groups["start_year"].astype(str)}),
             hide_index=True, width="stretch")
st.caption(f"Géographie {info['meta'].get('geo_vintage')} · base construite le {fr_datetime(info['meta'].get('built_at'))}.")
