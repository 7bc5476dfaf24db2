"""What the Méthodes page says about geography, aggregates, zonings, maps and small numbers: the years it
names are read from the base, never typed."""
from __future__ import annotations

import duckdb

from .. import coverage
from ..classify import JENKS_POINTS
from ..pipeline.cog import GEO_YEAR


def narrative(con: duckdb.DuckDBPyConnection) -> str:
    """The page's opening text, in Markdown."""
    held = coverage.held_periods(con, ["births", "net_migration"])
    return f"""
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

**Zonages d'étude.** Zones d'emploi 2020, bassins de vie 2022, aires d'attraction des villes 2020 et unités
urbaines 2020 : chaque commune y est placée par la table d'appartenance géographique de l'Insee (géographie
2024), ramenée aux communes de {GEO_YEAR} (une commune fusionnée depuis prend la zone de la commune dont elle garde
le code). Chaque zone est la somme de ses communes selon la règle de chaque indicateur, entière même quand elle
déborde un département ou une région ; les communes hors aire ou hors unité urbaine ne forment pas un
territoire. Les naissances ainsi agrégées sont comparées, à la construction des tests, aux lignes que l'Insee
publie pour chaque zone et chaque année.

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
