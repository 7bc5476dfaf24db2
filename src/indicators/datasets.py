"""The dataset registry: every source file of the base declared once (publisher, address, licence,
vintage, the files it ships as, the build step that reads it, the refresh adapter that brings a newer
one). The build loops over it, the catalog cites it, the Méthodes page and the READMEs list it."""
from __future__ import annotations

from dataclasses import dataclass

LO = "Licence Ouverte / Etalab 2.0"
ODBL_COG = "ODbL (« © Code Officiel Géographique (Insee) et package R COGugaison »)"
REFRESHED = "fichier obtenu par `python -m indicators refresh`"


@dataclass(frozen=True)
class Dataset:
    """A source of the base, as cited under every chart and export."""

    id: str
    producer: str
    dataset: str                # its title, as cited
    licence: str
    vintage: str
    url: str = ""
    files: tuple[str, ...] = ()  # under data/sources; a refreshed file first, the shipped one it replaces after
    content: str = ""           # what the files hold, for the tables of sources
    via: str = ""               # where the shipped copy was taken from
    step: str | None = None     # the build step that reads it (pipeline.steps.STEPS)
    adapter: str | None = None  # `refresh --only <adapter>` brings a newer file
    shipped: bool = True        # False: only a refresh brings it, and it is cited once its file is there

    def citation(self) -> str:
        return f"{self.producer}, {self.dataset} ({self.vintage}), {self.licence}"

    def held(self, loaded: frozenset[str]) -> bool:
        """Whether a base whose refresh adapters `loaded` have their file holds this dataset."""
        return self.shipped or self.adapter in loaded


# -- territories and geography --------------------------------------------------------------------
REFERENTIAL = Dataset(
    "referentiel", "Insee, DGCL", "code officiel géographique, composition des EPCI", LO, "COG 2026",
    "https://www.npmjs.com/package/@etalab/decoupage-administratif",
    ("referential/communes_2026_cog.csv.gz", "referential/epci_2026.csv", "referential/departements_regions_2026.csv"),
    "34 969 communes (nom, département, région, EPCI), 1 255 EPCI, départements et régions",
    "paquet npm @etalab/decoupage-administratif 6.0.0", step="territories")
HISTORY = Dataset(
    "historique_cog", "Insee", "historique du code officiel géographique (package R COGugaison)", ODBL_COG,
    "COG 2008–2024", "https://github.com/antuki/COGugaison",
    ("history/passage_cog_forward_1968_2024.csv.gz", "history/communes_membership_cog2008_2024_slim.csv.gz",
     "history/libelles_supracom_2008_2024.csv.gz"),
    "passages de codes entre millésimes (fusions, scissions avec leur clé), appartenance de chaque commune, "
    "noms des EPCI et arrondissements par année", step="passage")
REFERENCE_POINTS = Dataset(
    "points_communes", "Insee", "comparateur de territoires 2024, points de référence des communes", LO, "2024",
    "https://www.insee.fr/fr/statistiques/2521169", ("snapshots/communes_comparateur2024_rcarlier.csv.gz",),
    "latitude et longitude de chaque commune, pour placer les communes fusionnées en 2025–2026",
    "github rcarlier/datas.fun", step="passage")
ZONINGS = Dataset(
    "zonages", "Insee", "table d'appartenance géographique des communes (zonages d'étude)", LO,
    "géographie au 1er janvier 2024, ramenée au COG 2026", "https://www.insee.fr/fr/information/2028028",
    ("referential/table-appartenance-geo-communes-2024.xlsx",),
    "zone d'emploi 2020, bassin de vie 2022, aire d'attraction des villes 2020 et unité urbaine 2020 de chaque "
    "commune, avec les noms de ces zones", "dépôt github InseeFrLab/cartiflette (commit 0ada763)", step="zonings")

# -- indicators shipped with the base -------------------------------------------------------------
COG_POP = Dataset(
    "populations", "Insee",
    "populations légales communales, harmonisées en géographie 2026 "
    "(« © Code Officiel Géographique (Insee) et package R COGugaison »)",
    "ODbL (base dérivée COGugaison) ; données Insee sous " + LO,
    "millésimes 2006–2023, COG 2026", "https://github.com/antuki/COGugaison",
    ("population/pop_communes_2006_2023_harmonised_cog2026.csv.gz",),
    "population municipale de chaque commune, chaque année, en communes 2026 (fusions additionnées, "
    "scissions partagées au prorata)", step="population")
POP_HISTORY = Dataset(
    "populations_historiques", "Insee",
    "populations légales, séries historiques (base-pop-historiques) pour les années après 2023", LO,
    REFRESHED + " (--only populations)", "https://www.insee.fr/fr/statistiques/3698339",
    ("population/base-pop-historiques.xlsx",), "populations légales des années que la base livrée n'a pas",
    step="population_history", adapter="populations", shipped=False)
COMPARATEUR = Dataset(
    "comparateur", "Insee",
    "comparateur de territoires 2022 (recensements 2013 et 2018, état civil 2013–2018, REE/Sirene 2018)", LO,
    "édition 2022, COG 2022 ramené au COG 2026", "https://www.insee.fr/fr/statistiques/2521169",
    ("snapshots/comparateur_territoires_2022_communes.csv.gz", "snapshots/comparateur_territoires_2022_meta.csv"),
    "recensements 2013 et 2018, naissances et décès 2013–2018, emplois, établissements, logements, chômage, "
    "niveau de vie", "github klopstock-dviz/dataviz_elections", step="comparateur")
COMPARATEUR_NEW = Dataset(
    "comparateur_recent", "Insee",
    "base du comparateur de territoires, recensement le plus récent (populations, naissances et décès de la "
    "période, emplois au lieu de travail)", LO, REFRESHED + " (--only comparateur)",
    "https://www.insee.fr/fr/statistiques/2521169", ("census/base_cc_comparateur_csv.zip",),
    "recensement le plus récent", step="newest_census", adapter="comparateur", shipped=False)
SERIE_HISTORIQUE = Dataset(
    "series_historiques", "Insee",
    "séries historiques du recensement, base communale (populations 2008, 2013, 2019 ; naissances et "
    "décès 2008–2013 et 2013–2019)", LO, "recensement 2019, COG 2019 ramené au COG 2026",
    "https://www.insee.fr/fr/statistiques/5395857",
    ("population/serie_historique_2019_subset_pop_nais_dece.csv.gz",
     "population/serie_historique_2019_subset_pop_nais_dece_outre_mer.csv"),
    "populations 2008, 2013, 2019, naissances et décès 2008–2013 et 2013–2019 par commune",
    "github Galela-Nayar/bddA (commit f6a8c7a9), sous-ensemble de colonnes", step="census_spans")
ETAT_CIVIL = Dataset(
    "naissances", "Insee",
    "naissances domiciliées par commune (état civil, fichier Melodi DS_ETAT_CIVIL_NAIS_COMMUNES)", LO,
    "édition 2025, 2008–2024, COG 2025 ramené au COG 2026",
    "https://catalogue-donnees.insee.fr/fr/catalogue/recherche/DS_ETAT_CIVIL_NAIS_COMMUNES",
    ("etat_civil/DS_ETAT_CIVIL_NAIS_COMMUNES.zip",),
    "naissances annuelles par commune de résidence de la mère (et les lignes EPCI, département, région, "
    "France de l'Insee, qui servent de contrôle)", "github JidenBenfadhel/Projet-data (commit 36b4d3c)",
    step="yearly_communes", adapter="naissances")
ETAT_CIVIL_DECES = Dataset(
    "deces", "Insee", "décès domiciliés par commune (état civil, fichier Melodi DS_ETAT_CIVIL_DECES_COMMUNES)",
    LO, REFRESHED + " (--only deces), COG de l'édition ramené au COG 2026",
    "https://catalogue-donnees.insee.fr/fr/catalogue/recherche/DS_ETAT_CIVIL_DECES_COMMUNES",
    ("etat_civil/DS_ETAT_CIVIL_DECES_COMMUNES.zip",), "décès annuels par commune de résidence",
    step="yearly_communes", adapter="deces", shipped=False)
SIDE_COMMUNES = Dataset(
    "creations_communes", "Insee", "créations d'entreprises par commune (SIDE, fichier Melodi DS_SIDE_CREA_ENT_COM)",
    LO, REFRESHED + " (--only creations), depuis 2012",
    "https://catalogue-donnees.insee.fr/fr/catalogue/recherche/DS_SIDE_CREA_ENT_COM",
    ("side/DS_SIDE_CREA_ENT_COM.zip",), "créations d'entreprises annuelles par commune",
    step="yearly_communes", adapter="creations", shipped=False)
URSSAF = Dataset(
    "urssaf", "Urssaf", "établissements et effectifs salariés au niveau commune × APE (secteur privé)", "ODbL",
    "fichier national obtenu par `python -m indicators refresh --only urssaf`",
    "https://open.urssaf.fr/explore/dataset/etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/",
    ("urssaf/effectifs_commune_ape.csv",), "effectifs salariés privés au 31 décembre par commune",
    step="urssaf", adapter="urssaf", shipped=False)
DEP_PANEL = Dataset(
    "panel_departements", "Insee", "estimations de population au 1er janvier et état civil par département", LO,
    "2012–2021, 96 départements métropolitains", "https://github.com/ShailKPatel/Regions-Inegales",
    ("departements/population_insee.csv", "departements/births_insee.csv", "departements/deaths_insee.csv"),
    "estimations au 1er janvier, naissances, décès des 96 départements métropolitains",
    "github ShailKPatel/Regions-Inegales (MIT)", step="departement_panel")
SIDE = Dataset(
    "creations_departements", "Insee", "créations d'entreprises (SIDE, répertoire Sirene) par département", LO,
    "2012–2021, 96 départements métropolitains", "https://github.com/ShailKPatel/Regions-Inegales",
    ("departements/firm_creations_side.csv",), "créations d'entreprises, total et par secteur",
    "github ShailKPatel/Regions-Inegales (MIT)", step="departement_panel")
CITEPA = Dataset(
    "citepa", "Citepa", "inventaire territorialisé des émissions de gaz à effet de serre par commune et secteur",
    "licence indiquée par data.gouv.fr pour l'édition chargée", REFRESHED + " (--only citepa)",
    "https://www.data.gouv.fr/datasets/inventaire-de-gaz-a-effet-de-serre-territorialise/",
    ("citepa/igt_commune.csv",), "émissions de gaz à effet de serre par commune et secteur",
    step="ghg_inventory", adapter="citepa", shipped=False)
EUTL = Dataset(
    "seqe", "Commission européenne",
    "EU Transaction Log, émissions vérifiées des installations soumises aux quotas (SEQE-UE), "
    "géolocalisées (export cedricr/eutl)", "CC BY 4.0",
    "2005–2022 (export livré ; années suivantes par `python -m indicators refresh --only seqe`)",
    "https://github.com/cedricr/eutl", ("co2/eu_ets_emissions_fr.csv", "co2/eu_ets_emissions_fr_2005_2022.csv.gz"),
    "émissions vérifiées des 1 570 installations françaises soumises aux quotas, avec leurs coordonnées",
    "github cedricr/eutl", step="ets", adapter="seqe")

# -- programmes and maps --------------------------------------------------------------------------
PILOT_SITES = Dataset(
    "sites_pilotes", "CCI Midi-Pyrénées", "« Le Management de centre-ville : repenser la proximité »",
    "document public de la CCI", "sites pilotes du programme", "",
    ("programmes/pilot_sites_cci_midi_pyrenees.csv",), "les 8 sites pilotes (communes et intercommunalités)",
    step="groups")
ACV = Dataset(
    "action_coeur_de_ville", "ANCT", "communes Action Cœur de Ville et dates de signature des conventions", LO,
    "février 2024, COG 2023", "https://github.com/anct-carto/superposeur-anct",
    ("programmes/acv_communes_dates_2024-02.csv",), "244 communes et l'année de signature de leur convention",
    "liste-acv-com2023-20240205.csv du service cartographie de l'ANCT", step="groups")
PVD = Dataset(
    "petites_villes_de_demain", "ANCT", "communes Petites Villes de Demain et dates de signature des conventions",
    LO, "août 2024, COG 2023", "https://github.com/anct-carto/superposeur-anct",
    ("programmes/pvd_communes_dates_2024-08.csv",), "1 645 communes et l'année de signature de leur convention",
    "liste-pvd-com2023-20240807.csv du service cartographie de l'ANCT", step="groups")
COMMUNE_SHAPES = Dataset(
    "contours_communes", "IGN", "Admin Express, contours des communes", LO, "contours 2018, codes COG 2026",
    "https://github.com/gregoiredavid/france-geojson",
    ("geo/communes_cog2026_from2018_simplified.topojson", "geo/epci_cog2026_dissolved_from_communes.geojson"),
    "contours simplifiés des communes (fusionnées en codes 2026) et des EPCI qui en sont l'union",
    "github gregoiredavid/france-geojson", step="maps")
ANCT_LAYERS = Dataset(
    "contours_anct", "ANCT", "couches généralisées avec les DROM en encarts", LO, "COG 2023",
    "https://github.com/anct-carto/pvd",
    ("geo/anct_cog2023_fr-drom-4326-pur-style1-reg.geojson", "geo/anct_cog2023_fr-drom-4326-pur-style1-dep.geojson",
     "geo/anct_cog2023_fr-drom-4326-pur-style1-epci.geojson"),
    "régions, départements et EPCI, les départements d'outre-mer placés en encarts", step="maps")

# In build order: the build runs each step once, at the first dataset that names it.
DATASETS: tuple[Dataset, ...] = (
    REFERENTIAL, HISTORY, REFERENCE_POINTS, ZONINGS, COG_POP, COMPARATEUR, SERIE_HISTORIQUE, POP_HISTORY, COMPARATEUR_NEW,
    ETAT_CIVIL, ETAT_CIVIL_DECES, SIDE_COMMUNES, URSSAF, DEP_PANEL, SIDE, CITEPA, EUTL, PILOT_SITES, ACV, PVD,
    COMMUNE_SHAPES, ANCT_LAYERS,
)
_BY_ADAPTER = {d.adapter: d for d in DATASETS if d.adapter}


def by_adapter(adapter: str) -> Dataset:
    """The dataset a refresh adapter brings (KeyError names an adapter no dataset declares)."""
    return _BY_ADAPTER[adapter]


def steps() -> list[str]:
    """The build steps in the order the registry gives them, each once."""
    return list(dict.fromkeys(d.step for d in DATASETS if d.step))


def rows(loaded: frozenset[str]) -> list[dict]:
    """The registry as the Méthodes page lists it, saying which datasets this base holds."""
    return [{"Jeu de données": d.dataset, "Producteur": d.producer, "Licence": d.licence, "Millésime": d.vintage,
             "Dans cette base": "oui" if d.held(loaded) else "après une mise à jour", "Adresse": d.url or "",
             "Fichiers": ", ".join(d.files)} for d in DATASETS]


def markdown_table(datasets: tuple[Dataset, ...] = DATASETS) -> str:
    """The table of sources of data/README.md (kept equal to this registry by a test)."""
    rows = ["| Fichiers (`data/sources/`) | Contenu | Producteur, jeu de données | Licence | Millésime |",
            "|---|---|---|---|---|"]
    for d in datasets:
        files = "<br>".join(f"`{f}`" for f in d.files)
        origin = f"[{d.dataset}]({d.url})" if d.url else d.dataset
        via = f" ; copie : {d.via}" if d.via else ""
        shipped = "" if d.shipped else " (apporté par une mise à jour)"
        rows.append(f"| {files} | {d.content}{shipped} | {d.producer}, {origin}{via} | {d.licence} | {d.vintage} |")
    return "\n".join(r.replace("\n", " ") for r in rows)
