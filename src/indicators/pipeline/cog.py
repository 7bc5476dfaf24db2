"""Carrying commune codes of an older COG year forward to the 2026 geography.

The COGugaison passage table covers changes up to COG 2024. Communes merged in 2025 or 2026 are
placed by point-in-polygon: the 2024 commune's reference point (comparateur 2024) falls inside the
2026 commune that absorbed it.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from .. import geo
from ..datasets import HISTORY, REFERENCE_POINTS

GEO_YEAR = 2026
LAST_PASSAGE_YEAR = 2024
PASSAGE, MEMBERSHIP, SUPRACOM_LABELS = HISTORY.files


def load_passage(con: duckdb.DuckDBPyConnection, sources: Path) -> None:
    con.execute(
        """CREATE TEMP TABLE passage AS
           SELECT cog_from::INT AS cog_from, cod_from, cod_to, typemodif, ratio::DOUBLE AS ratio
           FROM read_csv(?, all_varchar = true)""",
        [str(sources / PASSAGE)],
    )
    con.execute(
        """CREATE TEMP TABLE membership AS
           SELECT cog_year::INT AS cog_year, CODGEO AS code, LIBGEO AS name, DEP AS dep, EPCI AS epci
           FROM read_csv(?, all_varchar = true)""",
        [str(sources / MEMBERSHIP)],
    )


def locate_residual(con: duckdb.DuckDBPyConnection, sources: Path, shapes: dict) -> int:
    """Table cog_residual(old, code): COG 2024 communes absent from COG 2026, placed by their point."""
    rows = con.execute(
        """SELECT m.code, r.lng::DOUBLE, r.lat::DOUBLE
           FROM membership m
           JOIN read_csv(?, all_varchar = true) r ON r.insee_com = m.code
           WHERE m.cog_year = ? AND m.code NOT IN (SELECT code_insee FROM commune_src)""",
        [str(sources / REFERENCE_POINTS.files[0]), LAST_PASSAGE_YEAR],
    ).fetchall()
    found = geo.locate_points([r[1] for r in rows], [r[2] for r in rows], shapes) if rows else []
    con.execute("CREATE TEMP TABLE cog_residual(old VARCHAR, code VARCHAR)")
    con.executemany(
        "INSERT INTO cog_residual VALUES (?, ?)", [(r[0], f) for r, f in zip(rows, found, strict=True) if f is not None]
    )
    return len(rows)


def build_mapping(con: duckdb.DuckDBPyConnection, from_year: int) -> str:
    """Table cog_map_<year>(old, code, ratio): each code of that COG year onward → its 2026 code(s).

    A split shares the old commune by INSEE's population ratio; a merger maps with ratio 1.
    """
    table = f"cog_map_{from_year}"
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _m AS
           SELECT DISTINCT code AS old, code, 1.0::DOUBLE AS ratio FROM (
               SELECT code FROM membership WHERE cog_year >= ?
               UNION SELECT cod_from FROM passage WHERE cog_from >= ?)""",
        [from_year, from_year],
    )
    for year in range(from_year, LAST_PASSAGE_YEAR):
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _m AS
               SELECT m.old, coalesce(p.cod_to, m.code) AS code, m.ratio * coalesce(p.ratio, 1.0) AS ratio
               FROM _m m LEFT JOIN passage p ON p.cod_from = m.code AND p.cog_from = ?""",
            [year],
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT m.old, coalesce(r.code, m.code) AS code, sum(m.ratio) AS ratio
            FROM _m m LEFT JOIN cog_residual r ON r.old = m.code
            WHERE coalesce(r.code, m.code) IN (SELECT code_insee FROM commune_src)
            GROUP BY ALL"""
    )
    return table
