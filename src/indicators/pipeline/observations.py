"""Base observations, each at the level its source publishes (communes, arrondissements, départements).

Everything lands in the temp table obs_base(territory, indicator, period_start, year, value, flag);
roll-ups to other levels follow in aggregate.py. Flows over a span (2013–2018) are stored as their
yearly average so that they read on the same scale as yearly values.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from .. import datasets, geo, store
from ..refresh import melodi
from ..refresh.sources import adapter

CENSUS_FROM, CENSUS_TO = 2013, 2018
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
        [str(sources / adapter("populations").shipped)],
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
        [str(sources / adapter("comparateur").shipped)],
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
    insert_span(con, "comp26", (CENSUS_FROM, CENSUS_TO), "p13", "p18", "nais", "dece")
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


def store_ets_installations(con: duckdb.DuckDBPyConnection, sources: Path) -> int:
    """The installations themselves (name, operator, sector, place, 2026 commune) and their yearly
    verified emissions, for the Terrain page's circles and popups. Needs `load_ets_emissions` first."""
    # Names come from a public register, still data: made plain text (no control, invisible or
    # bidirectional character, no markup or template character) before they are stored.
    con.execute(r"""CREATE OR REPLACE TEMP MACRO plain_text(x) AS left(trim(regexp_replace(regexp_replace(x,
                    '[\x00-\x1f\x7f\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}<>`$\\{}]', '', 'g'),
                    '\s+', ' ', 'g')), 200)""")
    con.execute(
        """CREATE TABLE ets_installation AS
           SELECT s.seqe_id, plain_text(any_value(s.installation_name)) AS name,
                  plain_text(any_value(s.account_holder_name)) AS operator,
                  any_value(s.kind) AS sector, any_value(s.main_activity_type_code_lookup) AS activity,
                  any_value(s.X::DOUBLE) AS lon, any_value(s.Y::DOUBLE) AS lat, 'COM:' || st.commune AS commune
           FROM read_csv(?, all_varchar = true) s JOIN ets_site st USING (seqe_id)
           GROUP BY s.seqe_id, st.commune ORDER BY commune, s.seqe_id""",
        [str(ets_file(sources))],
    )
    con.execute("""CREATE TABLE ets_emission AS SELECT seqe_id, year, sum(emissions) AS emissions FROM ets
                   WHERE seqe_id IN (SELECT seqe_id FROM ets_installation) GROUP BY ALL ORDER BY seqe_id, year""")
    return store.first(con, "SELECT count(*) FROM ets_installation")[0]


def insert_span(con: duckdb.DuckDBPyConnection, table: str, span: tuple[int, int], pop_from: str, pop_to: str,
                births: str, deaths: str) -> None:
    """The demographic accounts of a census span, as yearly averages: population change, births,
    deaths, natural balance and new residents = (P_end − P_start) − (births − deaths), exactly."""
    years = span[1] - span[0]
    rows = {
        "pop_change": f"({pop_to} - {pop_from}) / {years}",
        "births": f"{births} / {years}",
        "deaths": f"{deaths} / {years}",
        "natural_balance": f"({births} - {deaths}) / {years}",
        "net_migration": f"(({pop_to} - {pop_from}) - ({births} - {deaths})) / {years}",
    }
    for indicator, expr in rows.items():
        con.execute(
            f"INSERT INTO obs_base SELECT territory, ?, ?, ?, {expr}, flag FROM {table} WHERE {expr} IS NOT NULL",
            [indicator, *span],
        )


SERIE_HISTORIQUE, SERIE_HISTORIQUE_OUTRE_MER = datasets.SERIE_HISTORIQUE.files
SERIE_COLUMNS = ("CODGEO", "P19_POP", "P13_POP", "P08_POP", "NAIS1319", "NAIS0813", "DECE1319", "DECE0813")


def load_census_spans(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> dict[str, float]:
    """Census spans 2008–2013 and 2013–2019 for every commune (INSEE historical series, RP2019).

    The file has no header (its columns are those of SERIE_COLUMNS, documented in the data README)
    and its codes lost their leading zero; arrondissements sit beside their commune and are kept
    for the arrondissements only. Returns the checks: Σ P19 of communes, and Rodez's accounts."""
    columns = {c: "VARCHAR" for c in SERIE_COLUMNS}
    con.execute(
        f"""CREATE TEMP TABLE serie AS
            SELECT lpad(CODGEO, 5, '0') AS CODGEO, P19_POP::DOUBLE p19, P13_POP::DOUBLE p13, P08_POP::DOUBLE p08,
                   NAIS1319::DOUBLE nais1319, NAIS0813::DOUBLE nais0813, DECE1319::DOUBLE dece1319,
                   DECE0813::DOUBLE dece0813
            FROM read_csv(?, header = false, columns = {columns!r}, delim = ',')
            UNION ALL BY NAME
            SELECT CODGEO, P19_POP::DOUBLE p19, P13_POP::DOUBLE p13, P08_POP::DOUBLE p08,
                   NAIS1319::DOUBLE nais1319, NAIS0813::DOUBLE nais0813, DECE1319::DOUBLE dece1319,
                   DECE0813::DOUBLE dece0813
            FROM read_csv(?, all_varchar = true, header = true)""",
        [str(sources / SERIE_HISTORIQUE), str(sources / SERIE_HISTORIQUE_OUTRE_MER)],
    )
    arm = "SELECT split_part(code, ':', 2) FROM territory WHERE level = 'ARM'"
    con.execute(
        f"""CREATE TEMP TABLE serie26 AS
            SELECT 'COM:' || m.code AS territory,
                   {", ".join(f"sum(s.{c} * m.ratio) AS {c}" for c in ("p19", "p13", "p08", "nais1319", "nais0813",
                                                                       "dece1319", "dece0813"))},
                   CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END AS flag
            FROM serie s JOIN {cog_map} m ON m.old = s.CODGEO
            WHERE s.CODGEO NOT IN ({arm}) GROUP BY m.code
            UNION ALL
            SELECT 'ARM:' || CODGEO, p19, p13, p08, nais1319, nais0813, dece1319, dece0813, NULL
            FROM serie WHERE CODGEO IN ({arm})"""
    )
    insert_span(con, "serie26", (2008, 2013), "p08", "p13", "nais0813", "dece0813")
    insert_span(con, "serie26", (2013, 2019), "p13", "p19", "nais1319", "dece1319")
    total, rodez_births = store.first(  # the main file's communes: outside the overseas collectivities
        con, f"""SELECT sum(p19) FILTER (WHERE CODGEO NOT IN ({arm}) AND CODGEO NOT SIMILAR TO '97[5-8].*'),
                        sum(nais1319) FILTER (WHERE CODGEO = '12202') FROM serie""")
    return {"p19_communes": total, "rodez_nais1319": rodez_births}


ETAT_CIVIL_BIRTHS = adapter("naissances").target


def current_codes_map(con: duckdb.DuckDBPyConnection, cog_map: str) -> str:
    """`cog_map` extended for files published in a recent geography (2025): a code is either carried
    by the passage tables or is itself a 2026 commune (Mayotte's, communes restored in 2025 after a
    merger). Made once per build; returns the table's name."""
    name = f"{cog_map}_current"
    con.execute(
        f"""CREATE TEMP TABLE IF NOT EXISTS {name} AS
            SELECT old, code, ratio FROM {cog_map}
            UNION ALL
            SELECT code_insee, code_insee, 1.0 FROM commune_src
            WHERE code_insee NOT IN (SELECT old FROM {cog_map})"""
    )
    return name


ETAT_CIVIL_DEATHS = adapter("deces").target
SIDE_CREATIONS = adapter("creations").target


def load_melodi_yearly(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str, relative: str,
                       layout: melodi.MelodiLayout, indicator: str) -> dict[int, int] | None:
    """One of INSEE's Melodi files by commune, yearly (births, deaths, business creations), COG 2025
    codes carried to 2026. Checked before anything is kept: each year the communes sum to INSEE's
    own national row; a failed check stops the build. Paris, Lyon and Marseille are communes here;
    their arrondissements get their own rows. None when the file is absent (brought by a refresh);
    otherwise the values of each year that no 2026 commune received (a code the passage tables
    do not know)."""
    path = sources / relative
    if not path.exists():
        return None
    table = f"melodi_{indicator}"
    melodi.load(con, path, layout, table)
    melodi.check_national(con, table, layout, path.name)
    codes = current_codes_map(con, cog_map)  # the files are in the 2025 geography for every year
    con.execute(
        f"""INSERT INTO obs_base
            SELECT 'COM:' || m.code, ?, n.year, n.year, sum(n.value * m.ratio),
                   CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END
            FROM {table} n JOIN {codes} m ON m.old = n.geo
            WHERE n.geo_object = 'COM' AND n.value IS NOT NULL GROUP BY m.code, n.year
            UNION ALL
            SELECT 'ARM:' || n.geo, ?, n.year, n.year, n.value, NULL
            FROM {table} n JOIN territory t ON t.code = 'ARM:' || n.geo
            WHERE n.geo_object = 'ARM' AND n.value IS NOT NULL""",
        [indicator, indicator],
    )
    return dict(con.execute(
        f"""SELECT year, sum(value)::BIGINT FROM {table}
            WHERE geo_object = 'COM' AND value IS NOT NULL AND geo NOT IN (SELECT old FROM {codes})
            GROUP BY year ORDER BY year"""
    ).fetchall())


def derive_yearly_accounts(con: duckdb.DuckDBPyConnection) -> int:
    """With births and deaths yearly by commune: the natural balance of each year, and with legal
    populations the population change and the apparent net migration of year N =
    (population N+1 − population N) − (births N − deaths N). Legal populations are smoothed over
    five surveys: the catalog says so and the spans stay beside. Returns the rows written."""
    con.execute(
        """CREATE TEMP TABLE yearly AS
           SELECT b.territory, b.year, b.value AS births, d.value AS deaths, p.value AS pop, q.value AS pop_next,
                  coalesce(b.flag, d.flag) AS flag
           FROM obs_base b
           JOIN obs_base d ON d.territory = b.territory AND d.year = b.year AND d.period_start = b.period_start
                          AND d.indicator = 'deaths'
           LEFT JOIN obs_base p ON p.territory = b.territory AND p.indicator = 'population' AND p.year = b.year
                               AND p.period_start = b.year
           LEFT JOIN obs_base q ON q.territory = b.territory AND q.indicator = 'population' AND q.year = b.year + 1
                               AND q.period_start = b.year + 1
           WHERE b.indicator = 'births' AND b.period_start = b.year"""
    )
    before = store.first(con, "SELECT count(*) FROM obs_base")[0]
    for indicator, expr in (("natural_balance", "births - deaths"), ("pop_change", "pop_next - pop"),
                            ("net_migration", "(pop_next - pop) - (births - deaths)")):
        con.execute(f"INSERT INTO obs_base SELECT territory, ?, year, year, {expr}, flag FROM yearly "
                    f"WHERE {expr} IS NOT NULL", [indicator])
    return store.first(con, "SELECT count(*) FROM obs_base")[0] - before


URSSAF_JOBS = adapter("urssaf").target
# Paris, Lyon and Marseille are published by arrondissement: summed into their commune too.
_CITY_OF_ARM = "CASE WHEN commune LIKE '751%' THEN '75056' WHEN commune LIKE '6938%' THEN '69123' " \
               "WHEN commune LIKE '132%' AND commune >= '13201' AND commune <= '13216' THEN '13055' END"


def load_urssaf_jobs(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> int:
    """Private salaried jobs per commune and year (URSSAF's national file, present only after a
    refresh: the shipped sources do not hold it). Returns the number of values loaded."""
    path = sources / URSSAF_JOBS
    if not path.exists():
        return 0
    from ..refresh.urssaf import read_urssaf

    jobs = read_urssaf(path)
    con.register("urssaf_jobs", jobs)
    con.execute(
        f"""CREATE TEMP TABLE urssaf AS
            SELECT coalesce({_CITY_OF_ARM}, commune) AS commune,
                   CASE WHEN {_CITY_OF_ARM} IS NOT NULL THEN commune END AS arm,
                   year, jobs FROM urssaf_jobs"""
    )
    con.execute(
        f"""INSERT INTO obs_base
            SELECT 'COM:' || m.code, 'salaried_jobs', u.year, u.year, sum(u.jobs * m.ratio),
                   CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END
            FROM urssaf u JOIN {current_codes_map(con, cog_map)} m ON m.old = u.commune
            GROUP BY m.code, u.year
            UNION ALL
            SELECT 'ARM:' || arm, 'salaried_jobs', year, year, sum(jobs), NULL FROM urssaf
            WHERE arm IS NOT NULL AND 'ARM:' || arm IN (SELECT code FROM territory) GROUP BY arm, year"""
    )
    return len(jobs)


POPULATIONS_HISTORY = adapter("populations").target


def load_recent_populations(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> list[int]:
    """Legal populations of the years after the harmonised series (INSEE's historical series, brought
    by a refresh, in its edition's geography carried to 2026). Returns the years added."""
    path = sources / POPULATIONS_HISTORY
    if not path.exists():
        return []
    from ..refresh.census import read_populations

    con.register("pop_history", read_populations(path))
    last = store.first(con, "SELECT max(year) FROM obs_base WHERE indicator = 'population'")[0] or 0
    con.execute(
        f"""INSERT INTO obs_base
            SELECT 'COM:' || m.code, 'population', h.year, h.year, sum(h.population * m.ratio),
                   CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END
            FROM pop_history h JOIN {current_codes_map(con, cog_map)} m ON m.old = h.commune
            WHERE h.year > ? GROUP BY m.code, h.year""",
        [last],
    )
    return [r[0] for r in con.execute("SELECT DISTINCT year FROM pop_history WHERE year > ? ORDER BY 1",
                                      [last]).fetchall()]


NEWEST_CENSUS = adapter("comparateur").target


def load_newest_census(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> tuple[int, int] | None:
    """The newest census span (2016–2022 in the 2025 edition) from INSEE's comparator base, brought by a
    refresh: demographic accounts of the span and jobs at both ends. Returns the span."""
    path = sources / NEWEST_CENSUS
    if not path.exists():
        return None
    from ..refresh.census import read_comparator

    years, frame = read_comparator(path)
    if store.first(con, "SELECT count(*) FROM obs_base WHERE indicator = 'net_migration' AND period_start = ? "
                        "AND year = ?", [years.start, years.end])[0]:
        return None  # an edition whose span the shipped files already hold
    for role in ("jobs_start", "jobs_end"):
        if role not in frame:
            frame[role] = float("nan")
    con.register("newest_census", frame)
    arm = "SELECT split_part(code, ':', 2) FROM territory WHERE level = 'ARM'"
    sums = ", ".join(f"sum(c.{r} * m.ratio) AS {r}" for r in ("pop_start", "pop_end", "births", "deaths",
                                                               "jobs_start", "jobs_end"))
    con.execute(
        f"""CREATE TEMP TABLE census_new AS
            SELECT 'COM:' || m.code AS territory, {sums}, CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END AS flag
            FROM newest_census c JOIN {current_codes_map(con, cog_map)} m ON m.old = c.CODGEO
            WHERE c.CODGEO NOT IN ({arm}) GROUP BY m.code
            UNION ALL
            SELECT 'ARM:' || CODGEO, pop_start, pop_end, births, deaths, jobs_start, jobs_end, NULL
            FROM newest_census WHERE CODGEO IN ({arm})"""
    )
    insert_span(con, "census_new", (years.start, years.end), "pop_start", "pop_end", "births", "deaths")
    for year, col in ((years.start, "jobs_start"), (years.end, "jobs_end")):
        con.execute(f"""INSERT INTO obs_base SELECT territory, 'jobs', ?, ?, {col}, flag FROM census_new
                        WHERE {col} IS NOT NULL AND NOT EXISTS (
                            SELECT 1 FROM obs_base o WHERE o.indicator = 'jobs' AND o.year = ? AND o.period_start = ?)""",
                    [year, year, year, year])
    return years.start, years.end


CITEPA = adapter("citepa").target


def load_ghg_inventory(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> list[int]:
    """Citepa's territorialised inventory: t CO2e per commune and year, all sectors in the total
    (biogenic CO2 stays outside, as the inventory reports it). Codes of the inventory's geography
    (any COG since the map's year) carried to 2026. Returns the years loaded."""
    path = sources / CITEPA
    if not path.exists():
        return []
    from ..refresh.emissions import read_citepa

    con.register("citepa_rows", read_citepa(path))
    con.execute(
        f"""INSERT INTO obs_base
            SELECT 'COM:' || m.code, 'ghg_inventory', c.year, c.year, sum(c.value * m.ratio),
                   CASE WHEN bool_or(m.ratio < 1) THEN '{ESTIMATED}' END
            FROM citepa_rows c JOIN {current_codes_map(con, cog_map)} m ON m.old = c.commune
            GROUP BY m.code, c.year"""
    )
    return [r[0] for r in con.execute("SELECT DISTINCT year FROM citepa_rows ORDER BY 1").fetchall()]


ETS_SHIPPED = adapter("seqe").shipped
ETS_REFRESHED = adapter("seqe").target


def ets_file(sources: Path) -> Path:
    """The register's export: the refreshed one when a refresh brought it, else the shipped one."""
    refreshed = sources / ETS_REFRESHED
    return refreshed if refreshed.exists() else sources / ETS_SHIPPED


def load_departement_panel(con: duckdb.DuckDBPyConnection, sources: Path, from_communes: set[str] = frozenset()) -> None:
    """Yearly estimates, births, deaths and business creations of the 96 metropolitan départements.

    Net migration of year N = (population 1 Jan N+1 − population 1 Jan N) − (births N − deaths N).
    Indicators in `from_communes` have yearly commune values: their départements are the sum of
    their communes (one source at every level), so the panel's own are left out.
    """
    con.execute(
        """CREATE TEMP TABLE panel AS
           SELECT lpad(p.dep_code, 2, '0') AS dep, p.year::INT AS year, p.pop_jan1::DOUBLE AS pop,
                  b.live_births::DOUBLE AS births, x.deaths::DOUBLE AS deaths,
                  lead(p.pop_jan1::DOUBLE) OVER (PARTITION BY p.dep_code ORDER BY p.year::INT) AS pop_next
           FROM read_csv(?, all_varchar = true, delim = ';') p
           JOIN read_csv(?, all_varchar = true, delim = ';') b USING (dep_code, year)
           JOIN read_csv(?, all_varchar = true, delim = ';') x USING (dep_code, year)""",
        [str(sources / f) for f in datasets.DEP_PANEL.files],
    )
    con.execute("""CREATE TEMP TABLE side_dep AS SELECT lpad(dep_code, 2, '0') AS dep, year::INT AS year, *
                   EXCLUDE (dep_code, year) FROM read_csv(?, all_varchar = true, delim = ';')""",
                [str(sources / datasets.SIDE.files[0])])
    exprs = {
        "population_estimate": ("panel", "pop"),
        # births: from the communes' yearly file (same vintage at every level), not from this panel
        "deaths": ("panel", "deaths"),
        "natural_balance": ("panel", "births - deaths"),
        "pop_change": ("panel", "pop_next - pop"),
        "net_migration": ("panel", "(pop_next - pop) - (births - deaths)"),
        **{indicator: ("side_dep", f"NULLIF({col}, '')::DOUBLE") for indicator, col in (
            ("business_creations", "total_firm_creations"),
            ("creations_industry", "creations_sector_industry"),
            ("creations_construction", "creations_sector_construction"),
            ("creations_trade", "creations_sector_trade"),
            ("creations_services", "creations_sector_services"))},
    }
    for indicator, (table, expr) in exprs.items():
        if indicator in from_communes:
            continue
        con.execute(
            f"""INSERT INTO obs_base SELECT 'DEP:' || dep, ?, year, year, {expr}, NULL
                FROM {table} WHERE {expr} IS NOT NULL""",
            [indicator],
        )


def load_ets_emissions(con: duckdb.DuckDBPyConnection, sources: Path, shapes: dict) -> dict[str, int]:
    """EU ETS installations placed in their 2026 commune by point-in-polygon, summed per year.

    Postcodes cross département borders, coordinates do not. Every commune with a boundary gets a
    value each year: 0 t where it has no installation, which is a real value in this scope.
    """
    src = str(ets_file(sources))
    con.execute(
        """CREATE TEMP TABLE ets AS SELECT seqe_id, X::DOUBLE AS lon, Y::DOUBLE AS lat, year::INT AS year,
                  emissions::DOUBLE AS emissions
           FROM read_csv(?, all_varchar = true) WHERE emissions IS NOT NULL AND emissions <> ''""",
        [src],
    )
    sites = con.execute("SELECT DISTINCT seqe_id, lon, lat FROM ets WHERE lon IS NOT NULL").fetchall()
    codes = geo.locate_points(np.array([s[1] for s in sites]), np.array([s[2] for s in sites]), shapes)
    con.execute("CREATE TEMP TABLE ets_site(seqe_id VARCHAR, commune VARCHAR)")
    con.executemany("INSERT INTO ets_site VALUES (?, ?)", [(s[0], c) for s, c in zip(sites, codes, strict=True) if c])
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
