"""Méthodes: sources, licences, vintages, definitions, aggregation rules and cautions of every indicator."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import coverage, datasets, refresh, store, verdict
from indicators.pipeline.cog import GEO_YEAR
from indicators.classify import JENKS_POINTS
from indicators.format import fr_datetime
from indicators.text import md
from ui import data

con = data.require_database()
st.title("Méthodes")
held = coverage.held_periods(con, ["births", "net_migration"])  # the years this base holds, never typed here
st.markdown(
    f"""
**Géographie.** Toutes les séries sont exprimées dans la géographie communale de {GEO_YEAR} (code officiel
géographique). Les communes fusionnées depuis sont additionnées ; une commune scindée est partagée au
prorata de la population (valeur marquée « estimé »). Les arrondissements municipaux de Paris, Lyon et
Marseille sont des territoires à part, jamais additionnés à leur commune.

**Agrégats.** Les intercommunalités, départements, régions et la France sont calculés à partir des
communes (ou des départements pour les séries départementales) selon la règle de chaque indicateur :
somme pour les effectifs, rapport des sommes pour les taux, jamais une moyenne de taux. « France » couvre
la métropole et les départements d'outre-mer hors Mayotte (populations annuelles publiées seulement
depuis 2020) ; pour les séries du panel départemental, c'est la France métropolitaine, et la valeur le dit.

**Naissances et périodes de recensement.** Les naissances sont annuelles pour chaque commune
({coverage.said(held, "births", "COM", "annees")} ; état civil, commune de résidence de la mère) ; la somme
des communes hors Mayotte est vérifiée chaque année contre la ligne nationale de l'Insee à la construction
de la base. Les nouveaux résidents (solde migratoire apparent) d'une commune sont calculés sur des
périodes de recensement ({coverage.said(held, "net_migration", "COM", "periodes")}) : l'Insee déconseille
les écarts d'une année sur l'autre des populations légales.

**Données manquantes.** Une valeur absente est affichée « donnée non disponible », jamais 0 ; aucune
année n'est interpolée et aucun chiffre départemental n'est réparti sur les communes.

**Cartes.** Les classes portent sur les territoires affichés (niveau et emprise) et, quand des années
sont comparées, sur toutes ces années ensemble, pour que les couleurs se lisent de la même façon.
Quantiles : effectifs égaux. Seuils naturels (Fisher-Jenks) : exacts jusqu'à {JENKS_POINTS} valeurs ; au-delà,
calculés sur {JENKS_POINTS} quantiles de la distribution, puis chaque seuil est placé dans le plus grand écart des
données voisines (même résultat à chaque affichage). Intervalles égaux. Moyenne ± écart-type : bornes à
± 1 et ± 2 écarts-types, sans classe vide. Bornes manuelles. Palettes ColorBrewer lisibles avec les
daltonismes courants : verts quand « plus » est favorable, oranges quand il est défavorable, bleus
sinon ; palette divergente centrée sur la classe qui contient la référence. Les territoires sans
valeur sont en gris et comptés dans la légende.

**Petits effectifs.** Un taux calculé sur peu d'habitants, de logements ou d'actifs varie beaucoup d'une
période à l'autre : une personne de plus dans une commune de 100 habitants fait 10 ‰. Chaque indicateur
porte sa règle (ci-dessous) : un effectif sous 20 pour un compte, un dénominateur sous 500 habitants pour un
taux par habitant, sous 100 logements ou 100 actifs pour les taux de vacance et de chômage. Ces valeurs
restent sur la carte, hachurées et comptées dans la légende ; la fiche et les tableaux disent « effectif
faible » avec l'effectif ; elles sont exclues des rangs par défaut (un interrupteur les y remet), et les
autres territoires sont classés sans elles.

**France.** Les séries calculées depuis les communes couvrent la métropole et les départements d'outre-mer
hors Mayotte ; celles du panel départemental (estimations annuelles, créations d'entreprises) couvrent les
96 départements métropolitains : leur total est nommé « France métropolitaine » sur les graphiques, les
tableaux et les exports, jamais « France ».

**Attribution.** « © Code Officiel Géographique (Insee) et package R COGugaison » (ODbL).
"""
)
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
