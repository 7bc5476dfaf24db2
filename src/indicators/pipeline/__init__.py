"""Turns the shipped source files into the database, in a private file renamed into place at the end."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .. import catalog, coverage, datasets, mapdata, precomputed, store, territories
from ..paths import MAP_DIR, SOURCES_DIR, db_path
from . import aggregate, cog, steps



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
    if not row or row[0] != catalog_fingerprint():
        return True
    try:  # the shipped groups' kept evaluations were computed by the evaluation code of today
        con = store.connect_readonly(path)
        kept = store.first(con, "SELECT value FROM meta WHERE key = 'evaluations'")
        con.close()
    except Exception:  # noqa: BLE001
        return True
    return not kept or kept[0] != precomputed.code_fingerprint()


def build(path: Path | None = None, sources: Path = SOURCES_DIR, log: Callable[[str], None] = print,
          map_dir: Path | None = MAP_DIR, evaluations: bool = True) -> Path:
    """Build the whole database (and the map geometry into map_dir, unless None; the shipped groups'
    default evaluations unless `evaluations` is False); on any failure the previous database file stays
    as it was."""
    path = Path(path or db_path())
    t0 = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - t0:5.1f} s] {message}")

    with store.replacing(path, start_from_copy=False) as con:
        _build_into(con, sources, step, map_dir)
        if path.exists():
            _carry_over(con, path, step)
        con.execute(precomputed.SCHEMA)
        if evaluations:  # after the carry-over: a shipped group's start years a user edited count
            step("évaluations par défaut des groupes livrés (appariement, 1 000 groupes placebo)")
            precomputed.store_defaults(con, step)
    if map_dir is not None:  # the outlines that go with the base just swapped in
        mapdata.publish(map_dir)
    step(f"terminé : {path}")
    return path


def _build_into(con: duckdb.DuckDBPyConnection, sources: Path, step: Callable[[str], None],
                map_dir: Path | None) -> None:
    """The registry's steps in its order, then the roll-ups and the catalog as this base holds it."""
    con.execute(store.SCHEMA)
    b = steps.Build(con, sources, map_dir)
    for name in datasets.steps():
        label, run = steps.STEPS[name]
        step(label)
        for note in run(b):
            step(f"  {note}")

    step("agrégation (sommes, rapports de sommes)")
    con.execute(
        f"CREATE TEMP TABLE obs_all({store.OBSERVATION_COLUMNS}, PRIMARY KEY (territory, indicator, period_start, year))"
    )
    aggregate.roll_up_counts(con)
    aggregate.compute_ratios(con)
    con.execute(f"CREATE TABLE observation({store.OBSERVATION_TABLE})")
    con.execute("INSERT INTO observation SELECT *, NULL FROM obs_all ORDER BY indicator, year, territory")
    con.execute("CREATE UNIQUE INDEX observation_key ON observation(territory, indicator, period_start, year)")

    step("populations de référence, catalogue")
    con.execute(
        """UPDATE territory t SET population = p.value FROM (
               SELECT territory, arg_max(value, year) AS value FROM observation
               WHERE indicator = 'population' GROUP BY territory) p
           WHERE p.territory = t.code"""
    )
    _write_catalog(con, sources)
    con.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("schema_version", store.SCHEMA_VERSION),
            ("geo_vintage", f"COG {cog.GEO_YEAR}"),
            ("built_at", datetime.now(UTC).isoformat(timespec="seconds")),
            ("ets_share_placed", str(b.ets["share_placed"])),
            ("catalog", catalog_fingerprint()),
        ],
    )


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
    con.execute("INSERT OR REPLACE INTO meta SELECT * FROM old.meta WHERE key = 'last_import_id'")
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
    periods = coverage.held_periods(con)
    rows = [[coverage.filled(i.as_row(held), periods).get(c) for c in cols] for i in catalog.INDICATORS]
    con.executemany(f"INSERT INTO indicator ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
