"""INSEE's Melodi files (births, deaths, business creations by commune): one long CSV inside a zip,
`GEO`, `GEO_OBJECT`, `TIME_PERIOD`, `OBS_VALUE` and a measure column, with rows for communes,
arrondissements, EPCI… and France. Read by column name with DuckDB (the creations file is 400 MB),
checked against INSEE's own national row, by the refresh and by the build alike."""
from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..format import fr_int
from .archives import extracted
from .layout import CheckFailed, LayoutChanged, Summary, require_columns


@dataclass(frozen=True)
class MelodiLayout:
    dataset: str                              # INSEE's identifier, also the file's name
    measure_column: str
    measure: str | None                       # None: the file must hold a single measure
    noun: str                                 # French, for messages
    totals: tuple[tuple[str, str], ...] = ()  # breakdowns kept at their total (`ACTIVITY = _T`)
    tolerance: float = 0.0                    # share of the national row the communes may miss
    max_bytes: int = 400_000_000              # the data CSV, unpacked (births 2025: 60 MB): far more is refused

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.measure_column, "GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE", *(c for c, _ in self.totals))


BIRTHS = MelodiLayout("DS_ETAT_CIVIL_NAIS_COMMUNES", "EC_MEASURE", "LVB", "naissances")
DEATHS = MelodiLayout("DS_ETAT_CIVIL_DECES_COMMUNES", "EC_MEASURE", "DTH", "décès")
# Legal units at their registered office: a few cannot be placed in a commune, hence the tolerance.
CREATIONS = MelodiLayout("DS_SIDE_CREA_ENT_COM", "SIDE_MEASURE", None, "créations d'entreprises",
                         (("ACTIVITY", "_T"), ("LEGAL_FORM", "_T")), tolerance=0.01, max_bytes=1_200_000_000)

# INSEE's national rows, most precise first, and which communes each one covers.
NATIONAL_ROWS = (("F_X_D976", "geo NOT LIKE '976%'"), ("F", "TRUE"), ("FM", "geo NOT LIKE '97%'"))


@contextmanager
def data_csv(path: Path, layout: MelodiLayout | None = None) -> Iterator[Path]:
    """The data CSV itself: extracted from INSEE's zip (`…_data.csv`) or the file as given; with its layout,
    its header is checked on the first bytes and its size bounded before the rest is unpacked."""
    if not zipfile.is_zipfile(path):
        yield path
        return

    def head(first: bytes) -> None:
        if layout is not None:
            line = first.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
            require_columns(path.name, line.strip().replace('"', "").split(";"), layout.columns, "l'Insee")

    with extracted(path, lambda n: n.endswith("_data.csv"), "fichier « …_data.csv »",
                   layout.max_bytes if layout else 400_000_000, head) as csv:
        yield csv


def load(con: duckdb.DuckDBPyConnection, path: Path, layout: MelodiLayout, table: str) -> None:
    """Temp table `table(geo, geo_object, year, value)` of the communes, arrondissements and France
    rows, columns checked by name first; a missing value (status M) is NULL, never 0."""
    with data_csv(path, layout) as csv:
        with open(csv, encoding="utf-8-sig") as f:
            header = f.readline().strip().replace('"', "").split(";")
        require_columns(path.name, header, layout.columns, "l'Insee")
        totals = " AND ".join([f'"{c}" = ?' for c, _ in layout.totals] or ["TRUE"])
        params = [v for _, v in layout.totals]
        source = f"read_csv('{_sql(csv)}', all_varchar = true, delim = ';', header = true)"
        measure = layout.measure
        if measure is None:
            found = [r[0] for r in con.execute(
                f'SELECT DISTINCT "{layout.measure_column}" FROM {source} WHERE {totals} ORDER BY 1', params
            ).fetchall()]
            if len(found) != 1:
                raise LayoutChanged(f"{path.name} : {len(found)} mesures dans {layout.measure_column} "
                                    f"({', '.join(map(str, found[:5]))}) là où une seule est attendue ; rien n'est chargé")
            measure = found[0]
        frequency = "AND FREQ = 'A'" if "FREQ" in header else ""
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT GEO AS geo, GEO_OBJECT AS geo_object, TIME_PERIOD::INT AS year,
                       TRY_CAST(OBS_VALUE AS DOUBLE) AS value
                FROM {source}
                WHERE "{layout.measure_column}" = ? AND {totals} {frequency}
                  AND GEO_OBJECT IN ('COM', 'ARM', 'FRANCE')""",
            [measure, *params],
        )


def check_national(con: duckdb.DuckDBPyConnection, table: str, layout: MelodiLayout, name: str) -> dict[int, float]:
    """Each year, the communes sum to INSEE's own national row (within the layout's tolerance).
    Returns that national row by year."""
    present = {r[0] for r in con.execute(f"SELECT DISTINCT geo FROM {table} WHERE geo_object = 'FRANCE'").fetchall()}
    code, scope = next(((c, s) for c, s in NATIONAL_ROWS if c in present), (None, None))
    if code is None:
        raise LayoutChanged(f"{name} : pas de ligne nationale (F_X_D976, F ou FM) pour contrôler les communes")
    rows = con.execute(
        f"""SELECT year, sum(value) FILTER (WHERE geo_object = 'COM' AND {scope}) AS communes,
                   max(value) FILTER (WHERE geo_object = 'FRANCE' AND geo = ?) AS france
            FROM {table} GROUP BY year ORDER BY year""",
        [code],
    ).fetchall()
    for year, communes, france in rows:
        if france is None:
            continue
        if abs((communes or 0) - france) > layout.tolerance * france + 0.5:
            raise CheckFailed(f"{name} : en {year}, la somme des communes ({fr_int(communes or 0)}) diffère de la "
                              f"ligne France de l'Insee ({fr_int(france)}) ; fichier refusé")
    return {year: france for year, _, france in rows if france is not None}


def validator(layout: MelodiLayout) -> Callable[[Path], Summary]:
    """The refresh's check of a Melodi file: layout by name, then the national sums."""
    def validate(path: Path) -> Summary:
        con = duckdb.connect()
        try:
            load(con, path, layout, "melodi")
            national = check_national(con, "melodi", layout, path.name)
            rows, communes, first, last = con.execute(
                """SELECT count(*), count(DISTINCT geo) FILTER (WHERE geo_object = 'COM'), min(year), max(year)
                   FROM melodi""").fetchone()
        except duckdb.Error as exc:
            raise LayoutChanged(f"{path.name} : illisible ({str(exc).splitlines()[0]})") from exc
        finally:
            con.close()
        year = max(national)
        return Summary(rows, (first, last), f"{fr_int(communes)} communes, {fr_int(national[year])} {layout.noun} "
                                            f"en {year}")
    return validate


def _sql(path: Path) -> str:
    return str(path).replace("'", "''")
