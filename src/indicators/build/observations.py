"""Base observations, each at the level its source publishes (communes, arrondissements, départements).

Everything lands in the temp table obs_base(territory, indicator, period_start, year, value, flag);
roll-ups to other levels follow in aggregate.py. Flows over a span (2013–2018) are stored as their
yearly average so that they read on the same scale as yearly values.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from .. import geo, store

CENSUS_FROM, CENSUS_TO = 2013, 2018
SPAN_YEARS = CENSUS_TO - CENSUS_FROM
ESTIMATED = "estimé"  # value shared out of a split commune by INSEE's population ratio


def create_base(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TEMP TABLE obs_base(territory VARCHAR, indicator VARCHAR, period_start INTEGER,
           year INTEGER, value DOUBLE, flag VARCHAR)"""
    )


def load_population(con: duckdb.DuckDBPyConnection, sources: Path) -> None:
    """Legal populations per 2026 commune. Some communes legally have 0 inhabitants (Meuse's
    « villages morts pour la France »), but a year where a whole département sums to 0 (Mayotte
    before 2020, and 2021) is unpublished, not empty: it is left out, never stored as 0."""
    con.execute(
        """INSERT INTO obs_base
           WITH p AS (
               SELECT 'COM:' || code_insee_cog2026 AS territory, pop_year::INT AS year,
                      population_municipale::DOUBLE AS value
               FROM read_csv(?, all_varchar = true)),
           published AS (
               SELECT t.parent_dep, p.year FROM p JOIN territory t ON t.code = p.territory
               GROUP BY ALL HAVING sum(p.value) > 0)
           SELECT p.territory, 'population', p.year, p.year, p.value, NULL
           FROM p JOIN territory t ON t.code = p.territory
           WHERE t.parent_dep IS NULL OR (t.parent_dep, p.year) IN (SELECT (parent_dep, year) FROM published)""",
        [str(sources / "population/pop_communes_2006_2023_harmonised_cog2026.csv.gz")],
    )


def load_comparateur(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> None:
    """Census 2013/2018, civil registration 2013–2018, establishments 2018, per commune.

    New residents = (P18_POP − P13_POP) − (NAIS1318 − DECE1318), exactly, then averaged per year.
    """
    con.execute(
        """CREATE TEMP TABLE comp AS
           SELECT CODGEO, P13_POP::DOUBLE p13, P18_POP::DOUBLE p18, NAIS1318::DOUBLE nais, DECE1318::DOUBLE dece,
                  P13_EMPLT::DOUBLE emp13, P18_EMPLT::DOUBLE emp18, ETTOT18::DOUBLE ets, ETGZ18::DOUBLE ets_trade,
                  SUPERF::DOUBLE area, P18_CHOM1564::DOUBLE unemployed, P18_ACT1564::DOUBLE active,
                  P18_LOG::DOUBLE dwellings, P18_LOGVAC::DOUBLE vacant, MED19::DOUBLE median_income
           FROM read_csv(?, all_varchar = true)""",
        [str(sources / "snapshots/comparateur_territoires_2022_communes.csv.gz")],
    )
    # Communes carried to 2026 codes (mergers summed, splits shared by ratio); arrondissements as is.
    con.execute(
        f"""CREATE TEMP TABLE comp26 AS
            SELECT 'COM:' || m.code AS territory, sum(c.p13 * m.ratio) p13, sum(c.p18 * m.ratio) p18,
                   sum(c.nais * m.ratio) nais, sum(c.dece * m.ratio) dece, sum(c.emp13 * m.ratio) emp13,
                   sum(c.emp18 * m.ratio) emp18, sum(c.ets * m.ratio) ets, sum(c.ets_trade * m.ratio) ets_trade,
                   sum(c.area * m.ratio) area, sum(c.unemployed * m.ratio) unemployed,
                   sum(c.active * m.ratio) active, sum(c.dwellings * m.ratio) dwellings,
                   sum(c.vacant * m.ratio) vacant,
                   -- a median cannot be added up: kept only where one old commune is the new one
                   CASE WHEN count(*) = 1 AND min(m.ratio) = 1 THEN min(c.median_income) END AS median_income,
                   CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END AS flag
            FROM comp c JOIN {cog_map} m ON m.old = c.CODGEO GROUP BY m.code
            UNION ALL
            SELECT 'ARM:' || c.CODGEO, p13, p18, nais, dece, emp13, emp18, ets, ets_trade, area, unemployed,
                   active, dwellings, vacant, median_income, NULL
            FROM comp c WHERE 'ARM:' || c.CODGEO IN (SELECT code FROM territory WHERE level = 'ARM')"""
    )
    span = [CENSUS_FROM, CENSUS_TO]
    rows = {
        "pop_change": f"(p18 - p13) / {SPAN_YEARS}",
        "births": f"nais / {SPAN_YEARS}",
        "deaths": f"dece / {SPAN_YEARS}",
        "natural_balance": f"(nais - dece) / {SPAN_YEARS}",
        "net_migration": f"((p18 - p13) - (nais - dece)) / {SPAN_YEARS}",
    }
    for indicator, expr in rows.items():
        con.execute(
            f"INSERT INTO obs_base SELECT territory, ?, ?, ?, {expr}, flag FROM comp26 WHERE {expr} IS NOT NULL",
            [indicator, *span],
        )
    points = {
        ("jobs", CENSUS_FROM): "emp13",
        ("jobs", CENSUS_TO): "emp18",
        ("establishments", CENSUS_TO): "ets",
        ("establishments_trade", CENSUS_TO): "ets_trade",
        ("area", CENSUS_TO): "area",
        ("unemployed", CENSUS_TO): "unemployed",
        ("active_population", CENSUS_TO): "active",
        ("dwellings", CENSUS_TO): "dwellings",
        ("vacant_dwellings", CENSUS_TO): "vacant",
        ("median_income", 2019): "median_income",
    }
    for (indicator, year), col in points.items():
        con.execute(
            f"INSERT INTO obs_base SELECT territory, ?, ?, ?, {col}, flag FROM comp26 WHERE {col} IS NOT NULL",
            [indicator, year, year],
        )
    # Arrondissements have no yearly series: their census populations of 2013 and 2018.
    for year, col in ((CENSUS_FROM, "p13"), (CENSUS_TO, "p18")):
        con.execute(
            f"INSERT INTO obs_base SELECT territory, 'population', ?, ?, {col}, NULL FROM comp26 "
            "WHERE territory LIKE 'ARM:%'",
            [year, year],
        )


def load_departement_panel(con: duckdb.DuckDBPyConnection, sources: Path) -> None:
    """Yearly estimates, births, deaths and business creations of the 96 metropolitan départements.

    Net migration of year N = (population 1 Jan N+1 − population 1 Jan N) − (births N − deaths N).
    """
    d = sources / "departements"
    con.execute(
        """CREATE TEMP TABLE panel AS
           SELECT lpad(p.dep_code, 2, '0') AS dep, p.year::INT AS year, p.pop_jan1::DOUBLE AS pop,
                  b.live_births::DOUBLE AS births, x.deaths::DOUBLE AS deaths,
                  lead(p.pop_jan1::DOUBLE) OVER (PARTITION BY p.dep_code ORDER BY p.year::INT) AS pop_next
           FROM read_csv(?, all_varchar = true, delim = ';') p
           JOIN read_csv(?, all_varchar = true, delim = ';') b USING (dep_code, year)
           JOIN read_csv(?, all_varchar = true, delim = ';') x USING (dep_code, year)""",
        [str(d / "population_insee.csv"), str(d / "births_insee.csv"), str(d / "deaths_insee.csv")],
    )
    exprs = {
        "population_estimate": "pop",
        "births": "births",
        "deaths": "deaths",
        "natural_balance": "births - deaths",
        "pop_change": "pop_next - pop",
        "net_migration": "(pop_next - pop) - (births - deaths)",
    }
    for indicator, expr in exprs.items():
        con.execute(
            f"""INSERT INTO obs_base SELECT 'DEP:' || dep, ?, year, year, {expr}, NULL
                FROM panel WHERE {expr} IS NOT NULL""",
            [indicator],
        )
    creations = {
        "business_creations": "total_firm_creations",
        "creations_industry": "creations_sector_industry",
        "creations_construction": "creations_sector_construction",
        "creations_trade": "creations_sector_trade",
        "creations_services": "creations_sector_services",
    }
    for indicator, col in creations.items():
        con.execute(
            f"""INSERT INTO obs_base SELECT 'DEP:' || lpad(dep_code, 2, '0'), ?, year::INT, year::INT,
                       {col}::DOUBLE, NULL
                FROM read_csv(?, all_varchar = true, delim = ';') WHERE {col} IS NOT NULL AND {col} <> ''""",
            [indicator, str(d / "firm_creations_side.csv")],
        )


def load_ets_emissions(con: duckdb.DuckDBPyConnection, sources: Path, shapes: dict) -> dict[str, int]:
    """EU ETS installations placed in their 2026 commune by point-in-polygon, summed per year.

    Postcodes cross département borders, coordinates do not. Every commune with a boundary gets a
    value each year: 0 t where it has no installation, which is a real value in this scope.
    """
    src = str(sources / "co2/eu_ets_emissions_fr_2005_2022.csv.gz")
    con.execute(
        """CREATE TEMP TABLE ets AS SELECT seqe_id, X::DOUBLE AS lon, Y::DOUBLE AS lat, year::INT AS year,
                  emissions::DOUBLE AS emissions
           FROM read_csv(?, all_varchar = true) WHERE emissions IS NOT NULL AND emissions <> ''""",
        [src],
    )
    sites = con.execute("SELECT DISTINCT seqe_id, lon, lat FROM ets WHERE lon IS NOT NULL").fetchall()
    codes = geo.locate_points(np.array([s[1] for s in sites]), np.array([s[2] for s in sites]), shapes)
    con.execute("CREATE TEMP TABLE ets_site(seqe_id VARCHAR, commune VARCHAR)")
    con.executemany("INSERT INTO ets_site VALUES (?, ?)", [(s[0], c) for s, c in zip(sites, codes) if c])
    con.execute(
        "CREATE TEMP TABLE ets_shaped AS SELECT unnest(?::VARCHAR[]) AS code", [list(shapes)]
    )
    con.execute(
        """INSERT INTO obs_base
           SELECT 'COM:' || s.code, 'co2_ets', y.year, y.year, coalesce(e.t, 0), NULL
           FROM ets_shaped s
           CROSS JOIN (SELECT DISTINCT year FROM ets) y
           LEFT JOIN (SELECT st.commune, ets.year, sum(ets.emissions) AS t
                      FROM ets JOIN ets_site st USING (seqe_id) GROUP BY ALL) e
                  ON e.commune = s.code AND e.year = y.year
           WHERE s.code IN (SELECT code_insee FROM commune_src)"""
    )
    total, placed = store.first(con,
        """SELECT sum(emissions), sum(emissions) FILTER (WHERE seqe_id IN (SELECT seqe_id FROM ets_site))
           FROM ets"""
    )
    return {"sites": len(sites), "unplaced_sites": sum(c is None for c in codes),
            "share_placed": round(placed / total, 6)}
