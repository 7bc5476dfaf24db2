"""The indicator catalog: the one place where an indicator's label, unit, rule and source live."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from .datasets import (
    CITEPA,
    COG_POP,
    COMPARATEUR,
    COMPARATEUR_NEW,
    DEP_PANEL,
    ETAT_CIVIL,
    ETAT_CIVIL_DECES,
    EUTL,
    POP_HISTORY,
    SERIE_HISTORIQUE,
    SIDE,
    SIDE_COMMUNES,
    URSSAF,
    Dataset,
)

Kind = Literal["count", "ratio", "level"]
# How the direction of an indicator is said on every page.
POLARITY_WORDS = {1: "plus = mieux", 0: "neutre", -1: "moins = mieux"}


@dataclass(frozen=True)
class Indicator:
    """An indicator and how it behaves: what it means, how it aggregates, which way is better."""

    id: str
    label: str
    unit: str
    kind: Kind
    definition: str
    sources: tuple[Dataset, ...]
    coverage: str
    polarity: int = 0  # +1 more is better, -1 less is better, 0 neutral
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    decimals: int = 0
    caution: str = ""
    theme: str = "Population"
    # Small numbers are unstable. A count under `small_count` is flagged; a ratio is flagged when its
    # denominator at the start of the period (the population, the dwellings…) is under `small_count`.
    small_count: float | None = None
    user_defined: bool = False
    # For an evaluation: yearly values that pool five census surveys are only « indicatif »; the census
    # spans of `census_outcome` (per 1 000 inhabitants) answer instead; a territory whose series is all
    # zeros is not described by the indicator, for the reason `absent` says.
    smoothed: bool = False
    census_outcome: str | None = None
    absent: str = ""
    # The largest effect a local programme can plausibly have, to tell « no effect seen » from « this study
    # can only see very large effects »: a share of the comparison's level before the start (an index:
    # 100 × share points), or, for census spans read in ‰ per year, points. None: no such statement.
    plausible_share: float | None = None
    plausible_points: float | None = None
    extra: dict = field(default_factory=dict)

    def cited(self, loaded: frozenset[str] | None = None) -> tuple[Dataset, ...]:
        """The sources to cite: all of them, or, given the refresh sources `loaded` in a base, those
        that gave it values (a source still to be fetched is not cited under a chart it is absent
        from; an indicator with no other source keeps its own, to say where it would come from)."""
        if loaded is None:
            return self.sources
        return tuple(s for s in self.sources if s.held(loaded)) or self.sources

    @property
    def source_line(self) -> str:
        return _source_line(self.sources)

    @property
    def licence(self) -> str:
        return _licence(self.sources)

    @property
    def vintage(self) -> str:
        return _vintage(self.sources)

    @property
    def rule(self) -> str:
        """The aggregation rule in plain French, as shown on the Méthodes page."""
        if self.kind == "count":
            return "Somme des territoires qui composent l'agrégat."
        if self.kind == "ratio":
            return (
                f"Rapport des sommes : Σ {self.numerator} / Σ {self.denominator}"
                f" × {self.scale:g}, jamais une moyenne de taux."
            )
        return "Non additif : affiché seulement là où il est publié."

    def as_row(self, loaded: frozenset[str] | None = None) -> dict:
        """The row of the base's indicator table, citing what `loaded` says the base holds."""
        row = asdict(self)
        row.pop("sources")
        row.pop("extra")
        cited = self.cited(loaded)
        row.update(source=_source_line(cited), licence=_licence(cited), vintage=_vintage(cited), rule=self.rule)
        return row


def _source_line(sources: tuple[Dataset, ...]) -> str:
    return "Source : " + " ; ".join(s.citation() for s in sources)


def _licence(sources: tuple[Dataset, ...]) -> str:
    return " ; ".join(sorted({s.licence for s in sources}))


def _vintage(sources: tuple[Dataset, ...]) -> str:
    return " ; ".join(s.vintage for s in sources)


_CENSUS_CAUTION = (
    "Une population légale de l'année N provient des enquêtes de recensement N-2 à N+2 : "
    "les écarts d'une année sur l'autre sont lissés ; l'Insee conseille de comparer des "
    "intervalles de cinq ans."
)
_SPAN_NOTE = (
    "Sur une période (2013–2018), la valeur est la moyenne annuelle de la période, "
    "pour rester comparable aux valeurs annuelles."
)
_METRO_NOTE = (
    "Valeurs annuelles publiées pour les 96 départements métropolitains ; "
    "la valeur « France » est alors celle de la France métropolitaine."
)
_YEARLY_AFTER_REFRESH = (
    "Après une mise à jour des décès par commune : annuel pour les communes et tous niveaux (population "
    "légale N+1 − N), lissé par construction ; préférez les périodes de recensement."
)
# Years and spans are read from the base at build time (coverage.fill): never typed here.
_SPANS_AND_PANEL = "Communes et tous niveaux sur {periodes_COM} ; départements et au-dessus, annuel {annees_DEP}"
_SMALL = 20.0
_SMALL_POPULATION = 500.0  # a rate per 1 000 inhabitants moves by 2 ‰ for one person below this

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        id="population",
        plausible_share=0.03,
        plausible_points=5.0,
        label="Population municipale",
        unit="habitants",
        kind="count",
        definition="Population municipale légale au 1er janvier de l'année (recensement).",
        sources=(COG_POP, POP_HISTORY),
        coverage="Communes et tous niveaux, annuel {annees_COM} ; une mise à jour ajoute les années publiées depuis "
        "(Mayotte et collectivités d'outre-mer : 2020, 2022, 2023 seulement ; France = hors Mayotte).",
        caution=_CENSUS_CAUTION,
        smoothed=True,
        census_outcome="pop_change",
    ),
    Indicator(
        id="population_estimate",
        label="Population estimée au 1er janvier",
        unit="habitants",
        kind="count",
        definition="Estimation annuelle de population de l'Insee au 1er janvier.",
        sources=(DEP_PANEL,),
        coverage="Départements métropolitains, régions, France métropolitaine, {annees_DEP}.",
        caution=_METRO_NOTE,
    ),
    Indicator(
        id="pop_change",
        plausible_points=5.0,
        label="Variation de population",
        unit="habitants par an",
        kind="count",
        polarity=1,
        definition="Variation de la population entre le début et la fin de la période. " + _SPAN_NOTE,
        sources=(SERIE_HISTORIQUE, COMPARATEUR, DEP_PANEL, COMPARATEUR_NEW, ETAT_CIVIL_DECES),
        coverage=_SPANS_AND_PANEL + " (estimations au 1er janvier). " + _YEARLY_AFTER_REFRESH,
        caution=_CENSUS_CAUTION,
        small_count=_SMALL,
    ),
    Indicator(
        id="births",
        plausible_share=0.1,
        plausible_points=1.5,
        label="Naissances",
        unit="naissances par an",
        kind="count",
        definition="Naissances domiciliées (état civil, commune de résidence de la mère). " + _SPAN_NOTE,
        sources=(ETAT_CIVIL, SERIE_HISTORIQUE, COMPARATEUR, DEP_PANEL),
        coverage="Communes et tous niveaux, annuel {annees_COM} (Mayotte depuis 2014) ; aussi sur {periodes_COM}.",
        small_count=_SMALL,
    ),
    Indicator(
        id="deaths",
        label="Décès",
        unit="décès par an",
        kind="count",
        definition="Décès domiciliés (état civil). " + _SPAN_NOTE,
        sources=(SERIE_HISTORIQUE, COMPARATEUR, DEP_PANEL, COMPARATEUR_NEW, ETAT_CIVIL_DECES),
        coverage=_SPANS_AND_PANEL + ". " + _YEARLY_AFTER_REFRESH,
        small_count=_SMALL,
    ),
    Indicator(
        id="natural_balance",
        plausible_points=1.5,
        label="Solde naturel",
        unit="habitants par an",
        kind="count",
        polarity=1,
        definition="Naissances moins décès sur la période. " + _SPAN_NOTE,
        sources=(SERIE_HISTORIQUE, COMPARATEUR, DEP_PANEL, COMPARATEUR_NEW, ETAT_CIVIL_DECES),
        coverage=_SPANS_AND_PANEL + ". " + _YEARLY_AFTER_REFRESH,
        small_count=_SMALL,
    ),
    Indicator(
        id="net_migration",
        plausible_points=5.0,
        label="Nouveaux résidents (solde migratoire apparent)",
        unit="habitants par an",
        kind="count",
        polarity=1,
        definition="Variation de population moins solde naturel (naissances − décès) sur la même "
        "période : arrivées moins départs, estimés par différence. " + _SPAN_NOTE,
        sources=(SERIE_HISTORIQUE, COMPARATEUR, DEP_PANEL, COMPARATEUR_NEW, ETAT_CIVIL_DECES),
        coverage=_SPANS_AND_PANEL + ". " + _YEARLY_AFTER_REFRESH,
        caution="Solde « apparent » : il absorbe aussi les écarts de mesure entre deux recensements. "
        + _CENSUS_CAUTION,
        theme="Attractivité résidentielle",
        small_count=_SMALL,
    ),
    Indicator(
        id="net_migration_rate",
        plausible_points=5.0,
        label="Taux de nouveaux résidents",
        unit="‰ habitants par an",
        kind="ratio",
        polarity=1,
        numerator="net_migration",
        denominator="population",
        scale=1000.0,
        decimals=1,
        definition="Solde migratoire apparent annuel pour 1 000 habitants (population municipale "
        "du début de la période).",
        sources=(SERIE_HISTORIQUE, COMPARATEUR, DEP_PANEL, COG_POP),
        coverage=_SPANS_AND_PANEL + ".",
        caution="Taux d'un agrégat = rapport des sommes. " + _CENSUS_CAUTION,
        theme="Attractivité résidentielle",
        small_count=_SMALL_POPULATION,
    ),
    Indicator(
        id="birth_rate",
        plausible_share=0.1,
        plausible_points=1.5,
        label="Taux de natalité",
        unit="naissances pour 1 000 habitants",
        kind="ratio",
        polarity=0,
        numerator="births",
        denominator="population",
        scale=1000.0,
        decimals=1,
        definition="Naissances domiciliées de l'année pour 1 000 habitants (population municipale de la même "
        "année ; sur une période, celle du début).",
        sources=(ETAT_CIVIL, SERIE_HISTORIQUE, COG_POP),
        coverage="Communes et tous niveaux, annuel {annees_COM} (les années qui ont une population légale) ; "
        "aussi sur {periodes_COM}.",
        caution="Taux d'un agrégat = rapport des sommes. Une population légale est lissée sur cinq ans.",
        small_count=_SMALL_POPULATION,
    ),
    Indicator(
        id="business_creations",
        plausible_share=0.15,
        label="Créations d'entreprises",
        unit="créations",
        kind="count",
        polarity=1,
        definition="Créations d'entreprises de l'année (toutes formes, y compris micro-entrepreneurs).",
        sources=(SIDE, SIDE_COMMUNES),
        coverage="Départements métropolitains, régions, France métropolitaine, {annees_DEP}. Communes et tous "
        "niveaux, annuel depuis 2012, une fois le fichier communal chargé par la mise à jour (il remplace alors "
        "le panel départemental) ; sinon, importez votre série.",
        caution=_METRO_NOTE,
        theme="Économie",
    ),
    *(
        Indicator(
            id=f"creations_{sector}",
            label=f"Créations d'entreprises – {label}",
            unit="créations",
            kind="count",
            polarity=1,
            definition=f"Créations d'entreprises de l'année dans le secteur : {label.lower()}.",
            sources=(SIDE,),
            coverage="Départements métropolitains, régions, France métropolitaine, {annees_DEP}.",
            caution=_METRO_NOTE,
            theme="Économie",
        )
        for sector, label in (
            ("industry", "industrie"),
            ("construction", "construction"),
            ("trade", "commerce"),
            ("services", "services"),
        )
    ),
    Indicator(
        id="business_creation_rate",
        plausible_share=0.15,
        label="Taux de création d'entreprises",
        unit="créations pour 1 000 habitants",
        kind="ratio",
        polarity=1,
        numerator="business_creations",
        denominator="population",
        scale=1000.0,
        decimals=1,
        definition="Créations d'entreprises de l'année pour 1 000 habitants (population municipale).",
        sources=(SIDE, COG_POP),
        coverage="Départements métropolitains, régions, France métropolitaine, {annees_DEP}.",
        caution=_METRO_NOTE,
        theme="Économie",
    ),
    Indicator(
        id="jobs",
        plausible_share=0.05,
        label="Emplois au lieu de travail",
        unit="emplois",
        kind="count",
        polarity=1,
        definition="Nombre d'emplois localisés dans le territoire (recensement, exploitation complémentaire).",
        sources=(COMPARATEUR, COMPARATEUR_NEW),
        coverage="Communes et tous niveaux, {annees_COM} (une mise à jour ajoute les deux années du recensement le "
        "plus récent).",
        caution="Valeurs issues d'une exploitation pondérée : les petits effectifs sont fragiles.",
        theme="Économie",
        small_count=_SMALL,
        smoothed=True,
    ),
    Indicator(
        id="salaried_jobs",
        plausible_share=0.05,
        label="Emplois salariés privés",
        unit="emplois",
        kind="count",
        polarity=1,
        definition="Effectifs salariés du secteur privé au 31 décembre, par commune de l'établissement (Urssaf).",
        sources=(URSSAF,),
        coverage="Communes et tous niveaux, annuel depuis 2006, une fois le fichier national chargé par la mise à "
        "jour (`python -m indicators refresh --only urssaf`) ; absent de la base livrée.",
        caution="Secteur privé seulement (hors fonction publique, agriculture et particuliers employeurs).",
        theme="Économie",
        small_count=_SMALL,
    ),
    Indicator(
        id="establishments",
        plausible_share=0.1,
        label="Établissements actifs",
        unit="établissements",
        kind="count",
        polarity=1,
        definition="Établissements actifs au 31 décembre 2018, tous secteurs marchands et non marchands.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, fin {annees_COM}.",
        theme="Économie",
        small_count=_SMALL,
    ),
    Indicator(
        id="establishments_trade",
        plausible_share=0.1,
        label="Établissements actifs du commerce",
        unit="établissements",
        kind="count",
        polarity=1,
        definition="Établissements actifs du commerce et de la réparation automobile au 31 décembre 2018.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, fin {annees_COM}.",
        theme="Économie",
        small_count=_SMALL,
    ),
    Indicator(
        id="area",
        label="Superficie",
        unit="km²",
        kind="count",
        definition="Superficie du territoire.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux (géographie du comparateur 2022, datée 2018).",
        theme="Cadre de vie",
    ),
    Indicator(
        id="density",
        label="Densité de population",
        unit="habitants par km²",
        kind="ratio",
        numerator="population",
        denominator="area",
        scale=1.0,
        decimals=1,
        definition="Population municipale 2018 divisée par la superficie.",
        sources=(COG_POP, COMPARATEUR),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Cadre de vie",
    ),
    Indicator(
        id="median_income",
        label="Niveau de vie médian",
        unit="€ par an et par unité de consommation",
        kind="level",
        polarity=1,
        definition="Médiane du revenu disponible par unité de consommation (Filosofi).",
        sources=(COMPARATEUR,),
        coverage="Communes seulement (valeur publiée), {annees_COM} ; secret statistique pour les petites "
        "communes et non calculable pour une commune fusionnée depuis.",
        caution="Une médiane ne s'additionne pas : aucune valeur n'est calculée pour les agrégats.",
        theme="Cadre de vie",
    ),
    Indicator(
        id="unemployed",
        label="Chômeurs de 15 à 64 ans",
        unit="personnes",
        kind="count",
        polarity=-1,
        definition="Chômeurs de 15 à 64 ans au sens du recensement.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Économie",
        small_count=_SMALL,
    ),
    Indicator(
        id="active_population",
        label="Actifs de 15 à 64 ans",
        unit="personnes",
        kind="count",
        definition="Personnes actives (en emploi ou au chômage) de 15 à 64 ans, recensement.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Économie",
    ),
    Indicator(
        id="unemployment_rate",
        plausible_share=0.1,
        label="Taux de chômage (recensement)",
        unit="%",
        kind="ratio",
        polarity=-1,
        numerator="unemployed",
        denominator="active_population",
        scale=100.0,
        decimals=1,
        definition="Chômeurs de 15 à 64 ans pour 100 actifs de 15 à 64 ans (au sens du recensement, "
        "différent du taux du Bureau international du travail).",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Économie",
        small_count=100.0,
    ),
    Indicator(
        id="dwellings",
        label="Logements",
        unit="logements",
        kind="count",
        definition="Nombre de logements (résidences principales, secondaires, occasionnels et vacants).",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Cadre de vie",
    ),
    Indicator(
        id="vacant_dwellings",
        label="Logements vacants",
        unit="logements",
        kind="count",
        polarity=-1,
        definition="Logements inoccupés au recensement.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Cadre de vie",
        small_count=_SMALL,
    ),
    Indicator(
        id="vacancy_rate",
        plausible_share=0.15,
        label="Taux de vacance des logements",
        unit="%",
        kind="ratio",
        polarity=-1,
        numerator="vacant_dwellings",
        denominator="dwellings",
        scale=100.0,
        decimals=1,
        definition="Logements vacants pour 100 logements : un signe suivi de près par les "
        "programmes de revitalisation des centres-villes.",
        sources=(COMPARATEUR,),
        coverage="Communes et tous niveaux, {annees_COM}.",
        theme="Cadre de vie",
        small_count=100.0,
    ),
    Indicator(
        id="co2_ets",
        label="Émissions des installations soumises aux quotas (SEQE-UE)",
        unit="t CO2e",
        kind="count",
        polarity=-1,
        definition="Émissions vérifiées de gaz à effet de serre des installations industrielles et "
        "énergétiques soumises au système d'échange de quotas (SEQE-UE), rattachées à la commune "
        "où se trouve l'installation.",
        sources=(EUTL,),
        coverage="Communes et tous niveaux, annuel {annees_COM}. Un territoire sans installation vaut "
        "0 t dans ce périmètre.",
        caution="Périmètre partiel (environ un quart des émissions françaises) : ni transports, ni "
        "logement, ni agriculture. Les émissions totales viennent de l'inventaire territorialisé du "
        "Citepa (mise à jour `--only citepa`) ou d'un import depuis la page Données.",
        theme="Environnement",
        absent="aucune installation soumise aux quotas",
    ),
    Indicator(
        id="co2_ets_per_inhabitant",
        label="Émissions SEQE-UE par habitant",
        unit="t CO2e par habitant",
        kind="ratio",
        polarity=-1,
        numerator="co2_ets",
        denominator="population",
        scale=1.0,
        decimals=2,
        definition="Émissions des installations soumises aux quotas (SEQE-UE) divisées par la "
        "population municipale de l'année.",
        sources=(EUTL, COG_POP),
        coverage="Communes et tous niveaux, annuel {annees_COM}.",
        caution="Ce n'est pas l'empreinte carbone ni l'inventaire territorial : seulement les "
        "installations soumises aux quotas. Importez un inventaire régional pour le total.",
        theme="Environnement",
        absent="aucune installation soumise aux quotas",
    ),
    Indicator(
        id="ghg_inventory",
        label="Émissions territoriales de gaz à effet de serre (inventaire Citepa)",
        unit="t CO2e",
        kind="count",
        polarity=-1,
        definition="Émissions de gaz à effet de serre de tous les secteurs de l'inventaire territorialisé "
        "(agriculture, transports, résidentiel, tertiaire, industrie, énergie, déchets), rattachées à la "
        "commune ; le CO2 de la biomasse reste hors total, comme dans l'inventaire.",
        sources=(CITEPA,),
        coverage="Communes et tous niveaux, pour les années de l'inventaire chargé par la mise à jour "
        "(`python -m indicators refresh --only citepa`) ; absent de la base livrée.",
        caution="Inventaire par commune estimé par répartition de données nationales et régionales : à lire "
        "en ordre de grandeur plutôt qu'à la tonne près.",
        theme="Environnement",
    ),
    Indicator(
        id="ghg_per_inhabitant",
        label="Émissions territoriales par habitant (inventaire Citepa)",
        unit="t CO2e par habitant",
        kind="ratio",
        polarity=-1,
        numerator="ghg_inventory",
        denominator="population",
        scale=1.0,
        decimals=2,
        definition="Émissions de l'inventaire territorialisé divisées par la population municipale de l'année.",
        sources=(CITEPA, COG_POP),
        coverage="Là où l'inventaire est chargé ; ailleurs, voyez les émissions SEQE-UE par habitant.",
        caution="Taux d'un agrégat = rapport des sommes.",
        theme="Environnement",
    ),
)

_BY_ID = {i.id: i for i in INDICATORS}


def get(indicator_id: str) -> Indicator:
    """The catalog entry of an indicator; KeyError names the unknown id."""
    return _BY_ID[indicator_id]


def ids() -> list[str]:
    return list(_BY_ID)


def ratios() -> list[Indicator]:
    return [i for i in INDICATORS if i.kind == "ratio"]
