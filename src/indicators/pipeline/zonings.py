"""INSEE's study zonings (zones d'emploi, bassins de vie, aires d'attraction des villes, unités urbaines)
as territories made of 2026 communes, read from INSEE's « table d'appartenance géographique » (COG 2024).

A commune merged since 2024 takes the zone of the commune whose code it kept (the chef-lieu); the few
whose former communes sat in different zones are counted in the build log. Communes outside any aire
or unité urbaine (`000`, `DD000`) belong to no territory of that level.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ..datasets import ZONINGS
from ..territories import ZONING_LEVELS, ZONING_VINTAGES

APPARTENANCE = ZONINGS.files[0]
HEADER_ROW = 5  # the sheets' header is on the 6th row
COLUMNS = ZONING_VINTAGES  # the appartenance table names its columns after them
_LEVEL_OF = " ".join(f"WHEN '{col}' THEN '{lv}'" for lv, col in COLUMNS.items())


def _outside(level: str, column: str) -> str:
    """SQL true for INSEE's « outside any zone » codes of that level (`000`, `DD000`)."""
    return {"AAV": f"{column} = '000'", "UU": f"{column} LIKE '__000'"}.get(level, "FALSE")


def load(con: duckdb.DuckDBPyConnection, sources: Path, cog_map_2024: str, geo_year: int) -> dict[str, int]:
    """Territories and compositions of the four zonings; returns, per level, the merged communes whose
    former communes lay in different zones."""
    path = sources / APPARTENANCE
    communes = pd.read_excel(path, engine="calamine", header=HEADER_ROW, dtype=str, sheet_name="COM")
    labels = pd.read_excel(path, engine="calamine", header=HEADER_ROW, dtype=str, sheet_name="Zones_supra_communales")
    belongs = communes.melt(id_vars="CODGEO", value_vars=list(COLUMNS.values()), var_name="NIVGEO", value_name="zone")
    con.register("_belongs", belongs)
    con.register("_zone_labels", labels)
    # Each 2026 commune: the zone of the 2024 commune whose code it kept, else of its first former commune.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE zoning_member AS
            SELECT level, code, zone, n_zones FROM (
                SELECT CASE b.NIVGEO {_LEVEL_OF} END AS level, m.code, b.zone, b.NIVGEO,
                       count(DISTINCT b.zone) OVER (PARTITION BY b.NIVGEO, m.code) AS n_zones,
                       row_number() OVER (PARTITION BY b.NIVGEO, m.code ORDER BY (m.old = m.code) DESC, m.old) AS pick
                FROM _belongs b JOIN {cog_map_2024} m ON m.old = b.CODGEO)
            WHERE pick = 1"""
    )
    _place_recreated(con)
    for level, column in COLUMNS.items():
        con.execute(
            f"""INSERT INTO territory (code, level, name, label, search_key, parent_dep, parent_reg, zone, geo_vintage)
                SELECT '{level}:' || z.zone, '{level}', l.LIBGEO, l.LIBGEO || ' (' || ? || ')', normalise(l.LIBGEO),
                       arg_max(t.parent_dep, coalesce(s.population, 0)), arg_max(t.parent_reg, coalesce(s.population, 0)),
                       mode(t.zone), ?
                FROM zoning_member z
                JOIN territory t ON t.code = 'COM:' || z.code
                LEFT JOIN (SELECT code_insee, population_municipale::DOUBLE AS population FROM commune_src) s
                       ON s.code_insee = z.code
                JOIN _zone_labels l ON l.NIVGEO = ? AND l.CODGEO = z.zone
                WHERE z.level = '{level}' AND NOT ({_outside(level, "z.zone")})
                GROUP BY z.zone, l.LIBGEO""",
            [ZONING_LEVELS[level][1], geo_year, column],
        )
        con.execute(
            f"""INSERT INTO composition SELECT '{level}:' || zone, 'COM:' || code, 'COM' FROM zoning_member
                WHERE level = '{level}' AND NOT ({_outside(level, "zone")})"""
        )
    con.unregister("_belongs")
    con.unregister("_zone_labels")
    return dict(con.execute("""SELECT level, count(*) FILTER (WHERE n_zones > 1) FROM zoning_member
                               GROUP BY level""").fetchall())


def _place_recreated(con: duckdb.DuckDBPyConnection) -> None:
    """A commune re-created after 2024 (Celles, Chalinargues, Chavagnac, Sainte-Anastasie, out of Neussargues
    en Pinatelle in 2025) is not in the 2024 table: it takes the zones of the commune it had merged into, the
    last merger the passage table records for its code."""
    con.execute(
        f"""INSERT INTO zoning_member
            SELECT CASE b.NIVGEO {_LEVEL_OF} END, r.code, b.zone, 1
            FROM (SELECT cod_from AS code, arg_max(cod_to, cog_from) AS absorbed_by FROM passage
                  WHERE cod_from IN (SELECT split_part(code, ':', 2) FROM territory
                                     WHERE level = 'COM' AND zone IN ('metro', 'drom'))
                    AND cod_from NOT IN (SELECT code FROM zoning_member) AND cod_to <> cod_from
                  GROUP BY cod_from) r
            JOIN _belongs b ON b.CODGEO = r.absorbed_by"""
    )
