"""The DuckDB store: schema, read-only connections for the app, the one writer path, and queries.

DuckDB lets many processes read a file or one process write it, never both. So readers open the
file read-only, and every write (build, import, group edit) works on a copy under a lock file,
then atomically renames the copy over the original: a killed write leaves the original intact and
readers never see half a change.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
import pandas as pd

from .errors import DatabaseBusy, DatabaseUnavailable, DatabaseWriteFailed, ReadOnlyMode
from .paths import db_path
from .territories import ZONING_SQL

SCHEMA_VERSION = "3"  # 3: programme groups and each member's start year
CARRIED_SCHEMAS = ("2", "3")  # a rebuild keeps users' imports and groups from bases of these schemas
METRO_ONLY = "France métropolitaine"  # the flag (and label) of a France value summed from the 96 départements

SCHEMA = """
CREATE TABLE meta(key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE territory(
    code VARCHAR PRIMARY KEY, level VARCHAR NOT NULL, name VARCHAR NOT NULL, label VARCHAR NOT NULL,
    search_key VARCHAR NOT NULL, parent_com VARCHAR, parent_epci VARCHAR, parent_dep VARCHAR,
    parent_reg VARCHAR, zone VARCHAR, epci_type VARCHAR, population DOUBLE,
    valid_until INTEGER, geo_vintage INTEGER NOT NULL);
CREATE TABLE composition(parent VARCHAR NOT NULL, child VARCHAR NOT NULL, child_level VARCHAR NOT NULL);
CREATE TABLE indicator(
    id VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, unit VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    numerator VARCHAR, denominator VARCHAR, scale DOUBLE, polarity INTEGER, decimals INTEGER,
    theme VARCHAR, definition VARCHAR, coverage VARCHAR, caution VARCHAR, rule VARCHAR,
    source VARCHAR, licence VARCHAR, vintage VARCHAR, small_count DOUBLE, user_defined BOOLEAN);
CREATE TABLE territory_group(
    id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, description VARCHAR, start_year INTEGER,
    source VARCHAR, builtin BOOLEAN NOT NULL DEFAULT FALSE,
    programme BOOLEAN NOT NULL DEFAULT FALSE,  -- its members are treated: never in another group's comparison
    start_note VARCHAR);                       -- what the start year is (published, announced, assumed)
CREATE TABLE group_member(group_id VARCHAR NOT NULL, territory VARCHAR NOT NULL, note VARCHAR,
    start_year INTEGER, start_note VARCHAR,    -- the member's own start (a convention's year), else the group's
    PRIMARY KEY(group_id, territory));
CREATE TABLE import_log(id INTEGER PRIMARY KEY, imported_at TIMESTAMP, file VARCHAR, sha256 VARCHAR,
    rows INTEGER, indicator_ids VARCHAR);
"""

# observation(territory, indicator, period_start, year, value, flag) is created by the build,
# sorted by (indicator, year, territory) so that one indicator-year reads contiguous blocks.
OBSERVATION_COLUMNS = "territory VARCHAR, indicator VARCHAR, period_start INTEGER, year INTEGER, value DOUBLE, flag VARCHAR"
# The stored table adds the import a value came from (NULL for the public sources), so that an
# import can be undone as a whole.
OBSERVATION_TABLE = OBSERVATION_COLUMNS + ", import_id INTEGER"


READER_MEMORY = "1GB"


def connect_readonly(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection, or a DatabaseUnavailable whose message says how to rebuild."""
    path = Path(path or db_path())
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DatabaseUnavailable(path, "introuvable") from None
    except OSError as exc:  # no rights on the data folder
        raise DatabaseUnavailable(path, f"inaccessible ({exc.strerror or type(exc).__name__} : vérifiez les droits "
                                        "du dossier data)") from None
    if size == 0:
        raise DatabaseUnavailable(path, "vide")
    try:
        # Attached to a private in-memory instance rather than `duckdb.connect(path)`: DuckDB caches
        # instances per path within a process, which would keep serving a file a writer replaced.
        # DuckDB would allow itself 80 % of the machine's memory per instance; the app's queries need a
        # few megabytes, and N processes share one server.
        con = duckdb.connect(config={"memory_limit": READER_MEMORY})
        con.execute(f"ATTACH '{_sql_string(path)}' AS obs (READ_ONLY)")
        con.execute("USE obs")
        version = first(con, "SELECT value FROM meta WHERE key = 'schema_version'")
        block_size, blocks = first(con, "SELECT block_size, used_blocks FROM pragma_database_size() "
                                        "WHERE database_name = 'obs'")
    except duckdb.Error as exc:
        raise DatabaseUnavailable(path, f"illisible ou corrompue ({type(exc).__name__})") from exc
    if path.stat().st_size < block_size * blocks:  # a cut copy: its header promises more than it holds
        con.close()
        raise DatabaseUnavailable(path, "tronquée (copie ou écriture interrompue)")
    if not version or version[0] != SCHEMA_VERSION:
        con.close()
        raise DatabaseUnavailable(path, "d'une version de schéma incompatible")
    return con


def first(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> tuple | None:
    """The first row of a query, read to the end: a half-read result (`fetchone`) blocks the next
    statement on the same connection (`register`, an insert), as DuckDB 2 reports."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def has_table(con: duckdb.DuckDBPyConnection, name: str, catalog: str | None = None) -> bool:
    """Whether a table exists (tables made by later features, such as users' points, are absent from
    older bases and from bases where the feature was never used)."""
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(first(con, sql + (" AND table_catalog = ?" if catalog else ""), [name, *([catalog] if catalog else [])])[0])


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor for another thread, on the attached database (cursors start in the default catalog)."""
    cur = con.cursor()
    cur.execute("USE obs")
    return cur


def _sql_string(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def file_version(path: Path | None = None) -> tuple[int, int]:
    """Identity of the current database file: a writer's rename changes it, so readers reopen."""
    st = Path(path or db_path()).stat()
    return (st.st_ino, st.st_mtime_ns)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    try:
        fh = open(lock_path, "a")  # noqa: SIM115 - opened apart so that its failure gets its own message
    except OSError as exc:
        raise DatabaseWriteFailed(path.parent, _reason(exc)) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise DatabaseBusy() from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _private_copies(path: Path) -> list[Path]:
    """Every writer's private copy of this database and DuckDB's journal beside it (`.tmp.wal`)."""
    return [p for p in path.parent.glob(f".{path.name}.*.tmp*") if p.is_file()]


@contextlib.contextmanager
def replacing(path: Path | None = None, start_from_copy: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one writer path: yields a read-write connection to a private copy, swapped in on success.

    With start_from_copy=False the copy starts empty (the build). Any exception, or the process being
    killed, leaves the original file exactly as it was. A copy is named by process and a random token,
    so a later writer never replays a killed writer's journal, and leftovers are removed under the lock.
    """
    from .config import settings

    if not settings().editable:
        raise ReadOnlyMode()
    path = Path(path or db_path())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseWriteFailed(path.parent, _reason(exc)) from exc
    with _lock(path):
        for stale in _private_copies(path):  # holding the lock: a killed writer's leftovers
            stale.unlink(missing_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        con = None
        try:  # our own steps: a failure here is the disk's or the folder's, said as such
            if start_from_copy:
                if not path.exists():
                    raise DatabaseUnavailable(path, "introuvable")
                shutil.copyfile(path, tmp)
            con = duckdb.connect(str(tmp))
            con.execute("BEGIN TRANSACTION")
        except (OSError, duckdb.IOException) as exc:
            _discard(con, tmp)
            raise DatabaseWriteFailed(path, _reason(exc)) from exc
        except BaseException:
            _discard(con, tmp)
            raise
        try:  # the caller's work: its errors are its own, except the disk's
            yield con
        except duckdb.Error as exc:
            _discard(con, tmp)
            if _storage_failure(exc):
                raise DatabaseWriteFailed(path, _reason(exc)) from exc
            raise
        except BaseException:
            _discard(con, tmp)
            raise
        try:  # a failure here (disk full at commit: DuckDB's FatalException) leaves the original intact
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
            con.close()
            os.replace(tmp, path)
        except (OSError, duckdb.Error) as exc:
            _discard(con, tmp)
            raise DatabaseWriteFailed(path, _reason(exc)) from exc


def _storage_failure(exc: duckdb.Error) -> bool:
    """A DuckDB error that is the disk's (full, read-only, failing), not the caller's."""
    text = str(exc)  # not every IOException: a source file the build cannot find is the caller's
    return isinstance(exc, duckdb.FatalException) or any(
        s in text for s in ("No space left", "Permission denied", "Read-only file system", "Input/output error"))


def _reason(exc: Exception) -> str:
    """An operating-system or storage failure in the words of the person who has to fix it."""
    errno_ = getattr(exc, "errno", None)
    text = str(exc)
    if errno_ == errno.ENOSPC or "No space left" in text:
        return "disque plein (libérez de la place puis recommencez)"
    if errno_ in (errno.EACCES, errno.EPERM, errno.EROFS) or "Permission denied" in text or "Read-only" in text:
        return "dossier en lecture seule ou droits insuffisants"
    return getattr(exc, "strerror", None) or text.splitlines()[0][:160] or type(exc).__name__


def _discard(con: duckdb.DuckDBPyConnection | None, tmp: Path) -> None:
    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.close()
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _in_list(values: Sequence[str]) -> tuple[str, list[str]]:
    """A bound IN-list: placeholders and parameters, never values formatted into SQL."""
    return ", ".join("?" * len(values)) or "NULL", list(values)


def indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM indicator ORDER BY theme, label").df()


@dataclass(frozen=True)
class IndicatorRow:
    """One row of the base's `indicator` table, typed: what a screen needs to name, format and source
    an indicator (the catalog's `Indicator` as built, or an imported one)."""

    id: str
    label: str
    unit: str
    kind: str
    numerator: str | None
    denominator: str | None
    scale: float
    polarity: int
    decimals: int
    theme: str
    definition: str
    coverage: str
    caution: str
    rule: str
    source: str
    licence: str
    vintage: str
    small_count: float | None
    user_defined: bool

    @classmethod
    def of(cls, record: dict) -> IndicatorRow:
        def clean(v: object) -> object:
            return None if v is None or (isinstance(v, float) and v != v) else v

        r = {f.name: clean(record.get(f.name)) for f in fields(cls)}
        return cls(**{**r, "scale": float(r["scale"] if r["scale"] is not None else 1.0),
                      "polarity": int(r["polarity"] or 0), "decimals": int(r["decimals"] or 0),
                      "user_defined": bool(r["user_defined"]),
                      **{k: str(r[k] or "") for k in ("caution", "coverage", "definition", "rule", "source",
                                                      "licence", "vintage", "theme", "unit")}})

    def __getitem__(self, name: str) -> object:  # tables and templates read fields by name
        return getattr(self, name)


_ROWS = "SELECT * FROM indicator"


def indicator(con: duckdb.DuckDBPyConnection, indicator_id: str) -> IndicatorRow:
    """One indicator of the base (KeyError when the base does not hold it)."""
    rows = con.execute(f"{_ROWS} WHERE id = ?", [indicator_id]).df()
    if rows.empty:
        raise KeyError(indicator_id)
    return IndicatorRow.of(rows.iloc[0].to_dict())


def indicator_rows(con: duckdb.DuckDBPyConnection) -> dict[str, IndicatorRow]:
    """Every indicator of the base by id, in the order of the pickers (theme, then label)."""
    return {r["id"]: IndicatorRow.of(r) for r in indicators(con).to_dict("records")}


def series(con: duckdb.DuckDBPyConnection, codes: Sequence[str], indicator_ids: Sequence[str]) -> pd.DataFrame:
    """Every observation of these territories and indicators, with names, oldest first."""
    tin, tparams = _in_list(codes)
    iin, iparams = _in_list(indicator_ids)
    return con.execute(
        f"""SELECT o.territory,
                   -- « France » is not one scope: the département panel's France is metropolitan only
                   CASE WHEN o.territory = 'FR' AND o.flag = '{METRO_ONLY}' THEN '{METRO_ONLY}' ELSE t.label END
                       AS territory_label, t.level, o.indicator, o.period_start, o.year, o.value, o.flag
            FROM observation o JOIN territory t ON t.code = o.territory
            WHERE o.territory IN ({tin}) AND o.indicator IN ({iin})
            ORDER BY o.indicator, o.territory, o.year, o.period_start""",
        tparams + iparams,
    ).df()


def periods(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str | None = None,
            codes: Sequence[str] | None = None) -> pd.DataFrame:
    """The periods where an indicator has values, at one level or for some territories, with counts."""
    tin, tparams = _in_list(codes or [])
    return con.execute(
        f"""SELECT o.period_start, o.year, count(*) AS n
            FROM observation o JOIN territory t ON t.code = o.territory
            WHERE o.indicator = ? AND (? IS NULL OR t.level = ?)
              AND (? = 0 OR o.territory IN ({tin}))
            GROUP BY ALL ORDER BY o.year, o.period_start""",
        [indicator_id, level, level, len(tparams), *tparams],
    ).df()


# The count behind a value, for the small-numbers rule of the catalog: the value itself for a count,
# the denominator at the start of the period for a ratio. Joins `i` (the indicator) and `d` (the
# denominator) onto an observation `o`.
BASE_COUNT_JOIN = """
    LEFT JOIN indicator i ON i.id = o.indicator
    LEFT JOIN observation d ON i.kind = 'ratio' AND d.territory = o.territory AND d.indicator = i.denominator
         AND d.year = o.period_start AND d.period_start = o.period_start"""
BASE_COUNT = "CASE WHEN i.kind = 'ratio' THEN d.value ELSE o.value END"
SMALL = f"coalesce(i.small_count IS NOT NULL AND abs({BASE_COUNT}) < i.small_count, FALSE)"


def level_values(
    con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int, period_start: int,
    within: str | None = None,
) -> pd.DataFrame:
    """All territories of a level (optionally inside a région/département; a study zone with one commune
    there counts whole) with their value or NULL,
    the count behind it (`n`) and whether that count is too small for the value to be stable."""
    return con.execute(
        f"""SELECT t.code, t.label, t.parent_dep, t.parent_reg, t.population, o.value, o.flag,
                   {BASE_COUNT} AS n, {SMALL} AS small
           FROM territory t
           LEFT JOIN observation o ON o.territory = t.code AND o.indicator = ? AND o.year = ?
                AND o.period_start = ?
           {BASE_COUNT_JOIN}
           WHERE t.level = ? AND t.valid_until IS NULL
             AND (? IS NULL OR t.parent_reg = ? OR t.parent_dep = ?
                  OR (t.level IN ({ZONING_SQL}) AND t.code IN (  -- a study zone is kept whole
                      SELECT c.parent FROM composition c JOIN territory m ON m.code = c.child
                      WHERE m.parent_reg = ? OR m.parent_dep = ?)))
           ORDER BY t.code""",
        [indicator_id, year, period_start, level, within, within, within, within, within],
    ).df()


def small_rule(con: duckdb.DuckDBPyConnection, indicator_id: str) -> str | None:
    """The small-numbers rule of an indicator in French (`moins de 500 habitants`), or None."""
    row = first(con, """SELECT i.small_count, CASE WHEN i.kind = 'ratio' THEN d.unit ELSE i.unit END
                        FROM indicator i LEFT JOIN indicator d ON d.id = i.denominator WHERE i.id = ?""",
                [indicator_id])
    if not row or row[0] is None:
        return None
    from .format import fr_number

    return f"moins de {fr_number(row[0])} {row[1]}"


def year_range(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """The first and last years the base holds values for: the bounds of every year control."""
    first_year, last_year = first(con, "SELECT min(period_start), max(year) FROM observation")
    return int(first_year), int(last_year)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Figures for `python -m indicators info` and the Méthodes page."""
    levels = dict(
        con.execute(
            "SELECT level, count(*) FROM territory WHERE valid_until IS NULL GROUP BY level"
        ).fetchall()
    )
    n_obs, y0, y1 = first(con, "SELECT count(*), min(period_start), max(year) FROM observation")
    per_indicator = con.execute(
        """SELECT i.id, i.label, count(o.value) AS n, min(o.period_start) AS first, max(o.year) AS last
           FROM indicator i LEFT JOIN observation o ON o.indicator = i.id
           GROUP BY ALL ORDER BY i.id"""
    ).df()
    groups = con.execute(
        """SELECT g.id, g.name, g.start_year, count(m.territory) AS members
           FROM territory_group g LEFT JOIN group_member m ON m.group_id = g.id
           GROUP BY ALL ORDER BY g.id"""
    ).df()
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    return {
        "levels": levels,
        "observations": n_obs,
        "years": (y0, y1),
        "indicators": per_indicator,
        "groups": groups,
        "meta": meta,
    }
