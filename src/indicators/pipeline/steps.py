"""The build steps, one per kind of source file, named by the dataset registry (`datasets.DATASETS`):
the build runs them in the registry's order. Each step says what it found, read from what it loaded."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb

from .. import coverage, geo, mapdata
from ..format import fr_number
from ..refresh import melodi
from ..territories import ZONING_LEVELS, ZONING_SQL
from . import cog, groups, observations, referential, zonings


@dataclass
class Build:
    """What the steps share: the connection, the sources, and what earlier steps found."""

    con: duckdb.DuckDBPyConnection
    sources: Path
    map_dir: Path | None
    from_communes: set[str] = field(default_factory=set)  # indicators with yearly commune values
    ets: dict = field(default_factory=dict)
    _maps: dict[int, str] = field(default_factory=dict)

    @cached_property
    def shapes(self) -> dict:
        return geo.read_topojson(self.sources / geo.COMMUNES)

    def cog_map(self, year: int) -> str:
        """The table carrying commune codes of COG `year` to the 2026 geography (built once)."""
        if year not in self._maps:
            self._maps[year] = cog.build_mapping(self.con, year)
        return self._maps[year]

    def years(self, indicator: str, level: str = "COM") -> str:
        """The yearly values an indicator now has at a level, said as « 2006–2023 »."""
        return coverage.said(coverage.held_periods(self.con, [indicator], "obs_base"), indicator, level, "annees")


Notes = list[str]


def territories(b: Build) -> Notes:
    referential.load_communes(b.con, b.sources)
    referential.build_territories(b.con, b.sources, cog.GEO_YEAR)
    referential.build_composition(b.con)
    observations.create_base(b.con)
    n = b.con.execute("SELECT count(*) FROM territory").fetchone()[0]
    return [f"{n:,} territoires".replace(",", " ")]


def passage(b: Build) -> Notes:
    cog.load_passage(b.con, b.sources)
    residual = cog.locate_residual(b.con, b.sources, b.shapes)
    dissolved = groups.build_dissolved_epci(b.con, b.sources, b.cog_map(2016))
    return [f"{residual} communes fusionnées en 2025–2026 placées par leur point de référence",
            f"EPCI dissous reconstitués : {', '.join(dissolved)}"]


def study_zonings(b: Build) -> Notes:
    straddling = zonings.load(b.con, b.sources, b.cog_map(2024), cog.GEO_YEAR)
    counts = dict(b.con.execute("SELECT level, count(*) FROM territory GROUP BY level").fetchall())
    return [", ".join(f"{counts.get(lv, 0)} {name.lower()}" for lv, (name, _) in ZONING_LEVELS.items()),
            "communes fusionnées depuis 2024 dont les anciennes communes étaient dans deux zones (rattachées à la "
            "zone de la commune dont elles gardent le code) : "
            + ", ".join(f"{lv} {straddling.get(lv, 0)}" for lv in ZONING_LEVELS)]


def population(b: Build) -> Notes:
    observations.load_population(b.con, b.sources)
    return [f"populations légales {b.years('population')}"]


def comparateur(b: Build) -> Notes:
    observations.load_comparateur(b.con, b.sources, b.cog_map(2021))
    return [f"emplois {b.years('jobs')}"]


def census_spans(b: Build) -> Notes:
    spans = observations.load_census_spans(b.con, b.sources, b.cog_map(2019))
    return [f"population 2019 des communes : {spans['p19_communes']:,.0f}".replace(",", " ")]


def population_history(b: Build) -> Notes:
    recent = observations.load_recent_populations(b.con, b.sources, b.cog_map(2024))
    return [f"populations légales ajoutées (mise à jour) : {', '.join(map(str, recent))}"] if recent else \
        ["populations après 2023 : fichier absent (voir `python -m indicators refresh`)"]


def newest_census(b: Build) -> Notes:
    newest = observations.load_newest_census(b.con, b.sources, b.cog_map(2024))
    return [f"recensement le plus récent (mise à jour) : {newest[0]}–{newest[1]}"] if newest else \
        ["recensement récent : fichier absent (voir `python -m indicators refresh`)"]


YEARLY = {"births": (observations.ETAT_CIVIL_BIRTHS, melodi.BIRTHS),
          "deaths": (observations.ETAT_CIVIL_DEATHS, melodi.DEATHS),
          "business_creations": (observations.SIDE_CREATIONS, melodi.CREATIONS)}


def yearly_communes(b: Build) -> Notes:
    notes = []
    for indicator, (relative, layout) in YEARLY.items():
        lost = observations.load_melodi_yearly(b.con, b.sources, b.cog_map(2024), relative, layout, indicator)
        if lost is None:
            notes.append(f"{layout.noun} : fichier communal absent (voir `python -m indicators refresh`)")
            continue
        b.from_communes.add(indicator)
        notes.append(f"{layout.noun} {b.years(indicator)}, sans commune 2026 : {sum(lost.values())}")
    if "deaths" in b.from_communes:
        b.from_communes |= {"natural_balance", "pop_change", "net_migration"}
        notes.append(f"soldes annuels par commune : {observations.derive_yearly_accounts(b.con)} valeurs")
    return notes


def urssaf(b: Build) -> Notes:
    jobs = observations.load_urssaf_jobs(b.con, b.sources, b.cog_map(2024))
    return [f"effectifs salariés privés (Urssaf) : {jobs} valeurs" if jobs else
            "effectifs salariés privés (Urssaf) : fichier national absent (voir `python -m indicators refresh`)"]


def departement_panel(b: Build) -> Notes:
    observations.load_departement_panel(b.con, b.sources, b.from_communes)
    return [f"estimations de population {b.years('population_estimate', 'DEP')}"]


def ghg_inventory(b: Build) -> Notes:
    inventory = observations.load_ghg_inventory(b.con, b.sources, b.cog_map(2016))
    return [f"inventaire territorialisé du Citepa : {', '.join(map(str, inventory))}" if inventory else
            "inventaire du Citepa : fichier absent (voir `python -m indicators refresh`)"]


def ets(b: Build) -> Notes:
    b.ets = observations.load_ets_emissions(b.con, b.sources, b.shapes)
    kept = observations.store_ets_installations(b.con, b.sources)
    return [f"{b.ets['sites']} installations, {b.years('co2_ets')}, part des émissions localisées : "
            f"{fr_number(b.ets['share_placed'] * 100, 2)} %", f"{kept} installations gardées pour la page Terrain"]


def programme_groups(b: Build) -> Notes:
    groups.build_groups(b.con, b.sources, b.cog_map(2023))
    return [f"{b.con.execute('SELECT count(*) FROM territory_group').fetchone()[0]} groupes livrés"]


def maps(b: Build) -> Notes:
    if b.map_dir is None:
        return ["contours des cartes : non demandés"]
    labels = dict(b.con.execute("SELECT code, label FROM territory").fetchall())
    commune_dep = dict(b.con.execute("""SELECT split_part(code, ':', 2), split_part(parent_dep, ':', 2)
                                        FROM territory WHERE level = 'COM' AND parent_dep IS NOT NULL""").fetchall())
    zones: dict[str, dict[str, list[str]]] = {}
    for parent, child in b.con.execute(f"""SELECT c.parent, c.child FROM composition c JOIN territory t ON t.code = c.parent
                                           WHERE t.level IN ({ZONING_SQL})""").fetchall():
        zones.setdefault(parent.split(":")[0], {}).setdefault(parent, []).append(child)
    sizes = mapdata.build_layers(b.sources, b.map_dir, labels, commune_dep, b.shapes, zones)
    return ["contours projetés, simplifiés, quantifiés : "
            + ", ".join(f"{lv} {size / 1e6:.1f} Mo" for lv, size in sizes.items())]


# step name (as the registry names it) -> (what the log says, the step)
STEPS: dict[str, tuple[str, Callable[[Build], Notes]]] = {
    "territories": (f"territoires (COG {cog.GEO_YEAR})", territories),
    "passage": ("correspondances de codes entre millésimes", passage),
    "zonings": ("zonages d'étude de l'Insee (ZE, BV, AAV, UU)", study_zonings),
    "population": ("populations légales", population),
    "comparateur": ("comparateur de territoires", comparateur),
    "census_spans": ("séries historiques du recensement", census_spans),
    "population_history": ("populations légales récentes", population_history),
    "newest_census": ("recensement le plus récent", newest_census),
    "yearly_communes": ("séries annuelles par commune (état civil, créations)", yearly_communes),
    "urssaf": ("effectifs salariés privés", urssaf),
    "departement_panel": ("panel départemental", departement_panel),
    "ghg_inventory": ("inventaire territorialisé des émissions", ghg_inventory),
    "ets": ("émissions SEQE-UE", ets),
    "groups": ("groupes des programmes", programme_groups),
    "maps": ("contours des cartes", maps),
}
