"""Méthodes: sources, licences, vintages, definitions, aggregation rules and cautions of every indicator."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import datasets, refresh, store, verdict
from indicators.format import fr_datetime
from indicators.screens import methodes
from indicators.text import md
from ui import data

con = data.require_database()
st.title("Méthodes")
st.markdown(methodes.narrative(con))
st.markdown("**Évaluation d'un programme** (Comparer › Effet du programme, et la section « Évaluation » des "
            "dossiers) :\n" + "\n".join(f"- {md(line)}" for line in verdict.METHOD)
            + f"\n\n{md(verdict.CAVEAT)}")
updates = refresh.manifest()
if updates:
    st.markdown("**Mises à jour depuis les éditeurs** (`python -m indicators refresh`) :\n" + "\n".join(
        f"- {md(name)} : {md(r.get('detail', ''))}, {r['years'][0]}–{r['years'][1]} ; obtenu le {md(fr_datetime(r['date']))} "
        f"depuis {md(r['url'])} (SHA-256 {md(r['sha256'][:16])}…, licence {md(r.get('licence', ''))})"
        for name, r in updates.items()))
else:
    st.caption("Base construite depuis les fichiers livrés (data/sources). Sur un serveur relié à internet, "
               "`python -m indicators refresh` la met à jour source par source ; `--from DOSSIER` "
               "charge des fichiers téléchargés ailleurs.")
st.dataframe(pd.DataFrame(refresh.status()), hide_index=True, width="stretch")
st.markdown("**Sources de la base**")
st.dataframe(pd.DataFrame(datasets.rows(refresh.loaded())), hide_index=True, width="stretch",
             column_config={"Adresse": st.column_config.LinkColumn(display_text="ouvrir")})
for row in store.indicators(con).itertuples():
    with st.expander(f"{md(row.label)} ({md(row.unit)})"):
        st.markdown(
            f"**Définition.** {md(row.definition)}\n\n"
            f"**Règle d'agrégation.** {md(row.rule)}\n\n"
            f"**Niveaux et années.** {md(row.coverage)}\n\n"
            f"**{md(row.source)}.** Licence : {md(row.licence)}. Millésime : {md(row.vintage)}."
            + (f"\n\n**Précautions.** {md(row.caution)}" if row.caution else "")
            + (f"\n\n**Petits effectifs.** Valeur signalée fragile sous ce seuil : {md(rule)}."
               if (rule := store.small_rule(con, row.id)) else "")
        )
