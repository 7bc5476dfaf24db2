"""Turns the shipped source files into the database, in a private file renamed into place at the end."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .. import catalog, geo, mapdata, store, territories
from ..paths import MAP_DIR, SOURCES_DIR, db_path
from ..refresh import melodi
from . import aggregate, cog, groups, observations, referential



def source_files(sources: Path = SOURCES_DIR) -> list[Path]:
    return sorted(p for p in sources.rglob("*") if p.is_file() and p.name not in ("README.md", "refresh.json")
                  and not p.name.endswith((".avant-maj", ".part")))


BUILD_VERSION = 5  # raised when the build changes (2: EU ETS installations for Terrain; 3: refreshed sources;
#                   4: only the sources a base holds are cited; 5: programme groups with members' start years)


def catalog_fingerprint() -> str:
    """A digest of the indicator catalog and of the build's version: a base built from another
    catalog (a label, a rule, a threshold changed) or by an older build is stale even if no source
    file changed."""
    return hashlib.sha256(repr([BUILD_VERSION, *(i.as_row() for i in catalog.INDICATORS)]).encode()).hexdigest()[:16]


def is_stale(path: Path | None = None, sources: Path = SOURCES_DIR) -> bool:
    """True when the database or the map geometry is missing, older than one of its sources, or built
    from another catalog."""
    path = Path(path or db_path())
    if not path.exists() or not mapdata.is_current(MAP_DIR):
        return True
    built = path.stat().st_mtime
    if any(p.stat().st_mtime > built for p in source_files(sources)):
        return True
    try:
        con = store.connect_readonly(path)
        row = store.first(con, "SELECT value FROM meta WHERE key = 'catalog'")
        con.close()
    except Exception:  # noqa: BLE001 - an unreadable base is stale: the build replaces it
        return True
    return not row or row[0] != catalog_fingerprint()


def build(path: Path | None = None, sources: Path = SOURCES_DIR, log: Callable[[str], None] = print,
          map_dir: Path | None = MAP_DIR) -> Path:
    """Build the whole database (and the map geometry into map_dir, unless None); on any failure the
    previous database file stays as it was."""
    path = Path(path or db_path())
    t0 = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - t0:5.1f} s] {message}")

    with store.replacing(path, start_from_copy=False) as con:
        _build_into(con, sources, step, map_dir)
        if path.exists():
            _carry_over(con, path, step)
    step(f"terminé : {path}")
    return path


def _build_into(con: duckdb.DuckDBPyConnection, sources: Path, step: Callable[[str], None],
                map_dir: Path | None) -> None:
    con.execute(store.SCHEMA)
    step("territoires (COG 2026)")
    referential.load_communes(con, sources)
    referential.build_territories(con, sources, cog.GEO_YEAR)
    referential.build_composition(con)

    step("formes des communes et correspondances de codes")
    shapes = geo.read_topojson(sources / geo.COMMUNES)
    cog.load_passage(con, sources)
    residual = cog.locate_residual(con, sources, shapes)
    map_2021 = cog.build_mapping(con, 2021)
    map_2016 = cog.build_mapping(con, 2016)
    step(f"  {residual} communes fusionnées en 2025–2026 placées par leur point de référence")
    map_2024 = cog.build_mapping(con, 2024)
    dissolved = groups.build_dissolved_epci(con, sources, map_2016)
    step(f"  EPCI dissous reconstitués : {', '.join(dissolved)}")

    observations.create_base(con)
    step("populations légales 2006–2023")
    observations.load_population(con, sources)
    step("comparateur de territoires (2013–2018)")
    observations.load_comparateur(con, sources, map_2021)
    step("séries historiques du recensement (2008–2013, 2013–2019)")
    map_2019 = cog.build_mapping(con, 2019)
    spans = observations.load_census_spans(con, sources, map_2019)
    step(f"  population 2019 des communes : {spans['p19_communes']:,.0f}".replace(",", " "))
    recent = observations.load_recent_populations(con, sources, map_2024)
    if recent:
        step(f"  populations légales ajoutées (mise à jour) : {', '.join(map(str, recent))}")
    newest = observations.load_newest_census(con, sources, map_2024)
    if newest:
        step(f"  recensement le plus récent (mise à jour) : {newest[0]}–{newest[1]}")
    step("naissances annuelles par commune (état civil)")
    yearly = {"births": (observations.ETAT_CIVIL_BIRTHS, melodi.BIRTHS),
              "deaths": (observations.ETAT_CIVIL_DEATHS, melodi.DEATHS),
              "business_creations": (observations.SIDE_CREATIONS, melodi.CREATIONS)}
    from_communes: set[str] = set()
    for indicator, (relative, layout) in yearly.items():
        lost = observations.load_melodi_yearly(con, sources, map_2024, relative, layout, indicator)
        if lost is None:
            step(f"  {layout.noun} : fichier communal absent (voir `python -m indicators refresh`)")
            continue
        from_communes.add(indicator)
        step(f"  {layout.noun} sans commune 2026 : {sum(lost.values())}")
    if "deaths" in from_communes:
        from_communes |= {"natural_balance", "pop_change", "net_migration"}
        step(f"  soldes annuels par commune : {observations.derive_yearly_accounts(con)} valeurs")
    jobs = observations.load_urssaf_jobs(con, sources, map_2024)
    step(f"effectifs salariés privés (Urssaf) : {jobs} valeurs" if jobs else
         "effectifs salariés privés (Urssaf) : fichier national absent (voir `python -m indicators refresh`)")
    step("panel départemental (2012–2021)")
    observations.load_departement_panel(con, sources, from_communes)
    inventory = observations.load_ghg_inventory(con, sources, map_2016)
    if inventory:
        step(f"inventaire territorialisé du Citepa : {', '.join(map(str, inventory))}")
    step("émissions SEQE-UE")
    ets = observations.load_ets_emissions(con, sources, shapes)
    step(f"  {ets['sites']} installations, part des émissions localisées : {ets['share_placed']:.2%}")
    step(f"  {observations.store_ets_installations(con, sources)} installations gardées pour la page Terrain")

    step("agrégation (sommes, rapports de sommes)")
    con.execute(
        f"CREATE TEMP TABLE obs_all({store.OBSERVATION_COLUMNS}, PRIMARY KEY (territory, indicator, period_start, year))"
    )
    aggregate.roll_up_counts(con)
    aggregate.compute_ratios(con)
    con.execute(f"CREATE TABLE observation({store.OBSERVATION_TABLE})")
    con.execute("INSERT INTO observation SELECT *, NULL FROM obs_all ORDER BY indicator, year, territory")
    con.execute("CREATE UNIQUE INDEX observation_key ON observation(territory, indicator, period_start, year)")

    step("populations de référence, catalogue, groupes")
    con.execute(
        """UPDATE territory t SET population = p.value FROM (
               SELECT territory, arg_max(value, year) AS value FROM observation
               WHERE indicator = 'population' GROUP BY territory) p
           WHERE p.territory = t.code"""
    )
    _write_catalog(con, sources)
    groups.build_groups(con, sources, cog.build_mapping(con, 2023))
    con.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("schema_version", store.SCHEMA_VERSION),
            ("geo_vintage", f"COG {cog.GEO_YEAR}"),
            ("built_at", datetime.now(UTC).isoformat(timespec="seconds")),
            ("ets_share_placed", str(ets["share_placed"])),
            ("catalog", catalog_fingerprint()),
        ],
    )
    if map_dir is not None:
        step("contours des cartes (projetés, simplifiés, quantifiés)")
        labels = dict(con.execute("SELECT code, label FROM territory").fetchall())
        commune_dep = dict(con.execute("""SELECT split_part(code, ':', 2), split_part(parent_dep, ':', 2)
                                          FROM territory WHERE level = 'COM' AND parent_dep IS NOT NULL""").fetchall())
        sizes = mapdata.build_layers(sources, map_dir, labels, commune_dep, shapes)
        step("  " + ", ".join(f"{lv} {size / 1e6:.1f} Mo" for lv, size in sizes.items()))


def _carry_over(con: duckdb.DuckDBPyConnection, old: Path, step: Callable[[str], None]) -> None:
    """Keep what users added (imports, their indicators, groups, edited start years) across a rebuild."""
    try:
        con.execute(f"ATTACH '{store._sql_string(old)}' AS old (READ_ONLY)")
        version = store.first(con, "SELECT value FROM old.meta WHERE key = 'schema_version'")
    except duckdb.Error:
        step("  ancienne base illisible : rien à reprendre")
        return
    # (no DETACH: inside the build's transaction DuckDB refuses it; closing the connection drops it)
    if not version or version[0] not in store.CARRIED_SCHEMAS:
        step("  ancienne base d'un autre schéma : imports et groupes non repris")
        return
    con.execute("INSERT INTO indicator SELECT * FROM old.indicator WHERE user_defined")
    con.execute("INSERT INTO import_log SELECT * FROM old.import_log")
    kept = store.first(con, """INSERT OR IGNORE INTO observation SELECT * FROM old.observation
                          WHERE import_id IS NOT NULL AND territory IN (SELECT code FROM territory)""")[0]
    # BY NAME: a base of the previous schema lacks the newer columns, which keep their defaults.
    con.execute("INSERT INTO territory_group BY NAME SELECT * FROM old.territory_group WHERE NOT builtin")
    if store.has_table(con, "point", catalog="old"):  # points that users brought
        con.execute("CREATE TABLE point_layer AS SELECT * FROM old.point_layer")
        con.execute("CREATE TABLE point AS SELECT * FROM old.point")
    con.execute("""INSERT INTO group_member BY NAME SELECT m.* FROM old.group_member m
                   JOIN old.territory_group g ON g.id = m.group_id AND NOT g.builtin
                   WHERE m.territory IN (SELECT code FROM territory)""")
    con.execute("""UPDATE territory_group g SET start_year = o.start_year FROM old.territory_group o
                   WHERE o.id = g.id AND o.builtin""")
    if version[0] == store.SCHEMA_VERSION:  # members' start years a user entered in a shipped group
        con.execute(f"""UPDATE group_member g SET start_year = o.start_year, start_note = o.start_note
                        FROM old.group_member o WHERE o.group_id = g.group_id AND o.territory = g.territory
                          AND o.start_note = '{territories.USER_START_NOTE}'""")
    step(f"  repris de l'ancienne base : {kept} valeurs importées, groupes et années de démarrage")


def _write_catalog(con: duckdb.DuckDBPyConnection, sources: Path) -> None:
    """The catalog as this base holds it: a source a refresh has not brought is not cited."""
    from ..refresh.sources import loaded

    cols = [r[0] for r in con.execute("DESCRIBE indicator").fetchall()]
    held = loaded(sources)
    rows = [[i.as_row(held).get(c) for c in cols] for i in catalog.INDICATORS]
    con.executemany(f"INSERT INTO indicator ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
