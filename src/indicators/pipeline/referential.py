"""Territories of the 2026 geography (France, régions, départements, EPCI, communes, arrondissements)
and the composition table every roll-up follows."""
from __future__ import annotations

from pathlib import Path

import duckdb

from ..datasets import REFERENTIAL
from ..territories import normalise
from .cog import SUPRACOM_LABELS

COMMUNES, EPCI, DEPARTEMENTS = REFERENTIAL.files

MAYOTTE = "976"


def load_communes(con: duckdb.DuckDBPyConnection, sources: Path) -> None:
    con.execute(
        "CREATE TEMP TABLE commune_src AS SELECT * FROM read_csv(?, all_varchar = true)",
        [str(sources / COMMUNES)],
    )
    con.execute(
        "CREATE TEMP TABLE dep_src AS SELECT * FROM read_csv(?, all_varchar = true) WHERE zone <> 'com'",
        [str(sources / DEPARTEMENTS)],
    )


def build_territories(con: duckdb.DuckDBPyConnection, sources: Path, geo_year: int) -> None:
    con.create_function("normalise", normalise, ["VARCHAR"], "VARCHAR")
    con.execute(
        """INSERT INTO territory (code, level, name, label, search_key, zone, geo_vintage)
           SELECT 'FR', 'FR', 'France', 'France', 'france', NULL, ?""",
        [geo_year],
    )
    con.execute(
        """INSERT INTO territory (code, level, name, label, search_key, zone, geo_vintage)
           SELECT DISTINCT 'REG:' || region, 'REG', region_nom, region_nom, normalise(region_nom),
                  zone, ? FROM dep_src""",
        [geo_year],
    )
    con.execute(
        """INSERT INTO territory (code, level, name, label, search_key, parent_reg, zone, geo_vintage)
           SELECT 'DEP:' || departement, 'DEP', departement_nom,
                  departement_nom || ' (' || departement || ')', normalise(departement_nom),
                  'REG:' || region, zone, ? FROM dep_src""",
        [geo_year],
    )
    con.execute(
        """INSERT INTO territory (code, level, name, label, search_key, parent_dep, parent_reg, epci_type,
                                  zone, geo_vintage)
           SELECT 'EPCI:' || e.epci_siren, 'EPCI', e.nom, e.nom, normalise(e.nom),
                  -- an EPCI may straddle départements: its parent is where most of its people live
                  'DEP:' || arg_max(c.departement, c.population_municipale::INT),
                  'REG:' || arg_max(c.region, c.population_municipale::INT), e.type, 'metro', ?
           FROM read_csv(?, all_varchar = true) e JOIN commune_src c ON c.epci_siren = e.epci_siren
           GROUP BY e.epci_siren, e.nom, e.type""",
        [geo_year, str(sources / EPCI)],
    )
    con.execute(
        """INSERT INTO territory (code, level, name, label, search_key, parent_epci, parent_dep, parent_reg,
                                  zone, geo_vintage)
           SELECT 'COM:' || c.code_insee, 'COM', c.nom, c.nom || ' (' || c.departement || ')',
                  normalise(c.nom), 'EPCI:' || c.epci_siren,
                  CASE WHEN d.departement IS NOT NULL THEN 'DEP:' || c.departement END,
                  CASE WHEN d.departement IS NOT NULL THEN 'REG:' || c.region END, c.zone, ?
           FROM commune_src c LEFT JOIN dep_src d ON d.departement = c.departement""",
        [geo_year],
    )
    # Municipal arrondissements of Paris, Lyon and Marseille: communes of their own, children of
    # their commune; a level apart so that no commune-level query counts them twice.
    con.execute(
        """INSERT INTO territory (code, level, name, label, search_key, parent_com, parent_epci, parent_dep,
                                  parent_reg, zone, geo_vintage)
           SELECT 'ARM:' || a.CODGEO, 'ARM', a.LIBGEO, a.LIBGEO, normalise(a.LIBGEO), p.code, p.parent_epci,
                  p.parent_dep, p.parent_reg, 'metro', ?
           FROM (SELECT CODGEO, arg_max(LIBGEO, cog_year) AS LIBGEO FROM read_csv(?, all_varchar = true)
                 WHERE NIVGEO = 'ARM' GROUP BY CODGEO) a
           JOIN territory p ON p.code = 'COM:' || CASE
                WHEN a.CODGEO LIKE '751%' THEN '75056'
                WHEN a.CODGEO LIKE '6938%' THEN '69123'
                ELSE '13055' END""",
        [geo_year, str(sources / SUPRACOM_LABELS)],
    )


def build_composition(con: duckdb.DuckDBPyConnection) -> None:
    """Which base territories make up each aggregate. France leaves out Mayotte (yearly populations
    only since 2020) and the overseas collectivities, so that national series stay comparable."""
    con.execute(
        f"""INSERT INTO composition
            SELECT parent_epci, code, 'COM' FROM territory WHERE level = 'COM' AND parent_epci IS NOT NULL
            UNION ALL SELECT parent_dep, code, 'COM' FROM territory WHERE level = 'COM' AND parent_dep IS NOT NULL
            UNION ALL SELECT parent_reg, code, 'COM' FROM territory WHERE level = 'COM' AND parent_reg IS NOT NULL
            UNION ALL SELECT 'FR', code, 'COM' FROM territory
                WHERE level = 'COM' AND parent_dep IS NOT NULL AND parent_dep <> 'DEP:{MAYOTTE}'
            UNION ALL SELECT parent_reg, code, 'DEP' FROM territory WHERE level = 'DEP'
            UNION ALL SELECT 'FR', code, 'DEP' FROM territory WHERE level = 'DEP' AND code <> 'DEP:{MAYOTTE}'"""
    )
