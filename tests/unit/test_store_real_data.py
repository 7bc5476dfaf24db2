"""Known answers on the real database: counts, published figures, additivity, identities, groups."""
from __future__ import annotations

import gzip

import pandas as pd
import pytest

from indicators import compare, store, territories
from indicators.paths import SOURCES_DIR
from tests.conftest import scalar


def test_territory_counts_per_level(con):
    counts = dict(con.execute(
        "SELECT level, count(*) FROM territory WHERE valid_until IS NULL GROUP BY level").fetchall())
    assert counts == {"FR": 1, "REG": 18, "DEP": 101, "EPCI": 1255, "COM": 34969, "ARM": 45,
                      "ZE": 306, "BV": 1707, "AAV": 699, "UU": 2471}


def test_paris_legal_population_2006_and_2023(con):
    rows = dict(con.execute(
        "SELECT year, value FROM observation WHERE territory = 'COM:75056' AND indicator = 'population'"
        " AND year IN (2006, 2023)").fetchall())
    assert rows == {2006: 2_181_374, 2023: 2_103_778}


def test_arrondissements_are_children_of_their_commune_and_never_summed(con):
    parents = dict(con.execute(
        "SELECT parent_com, count(*) FROM territory WHERE level = 'ARM' GROUP BY 1").fetchall())
    assert parents == {"COM:75056": 20, "COM:69123": 9, "COM:13055": 16}
    assert scalar(con, "SELECT count(*) FROM composition WHERE child LIKE 'ARM:%'") == 0


@pytest.mark.parametrize("indicator", ["population", "jobs", "net_migration", "co2_ets"])
@pytest.mark.parametrize("level", ["EPCI", "DEP", "REG"])
def test_aggregates_equal_the_sum_of_their_communes(con, indicator, level):
    worst = scalar(con, """
        WITH sums AS (
            SELECT c.parent, o.period_start, o.year, sum(o.value) AS total
            FROM observation o JOIN territory t ON t.code = o.territory AND t.level = 'COM'
            JOIN territory p ON p.code = CASE ? WHEN 'EPCI' THEN t.parent_epci WHEN 'DEP' THEN t.parent_dep
                                                ELSE t.parent_reg END
            JOIN composition c ON c.parent = p.code AND c.child = t.code
            WHERE o.indicator = ? GROUP BY ALL)
        SELECT max(abs(a.value - s.total)) FROM sums s
        JOIN observation a ON a.territory = s.parent AND a.indicator = ? AND a.year = s.year
             AND a.period_start = s.period_start""", [level, indicator, indicator])
    assert worst is not None and worst < 1e-6


def test_every_current_epci_has_a_population_equal_to_its_communes(con):
    n = scalar(con, """
        SELECT count(*) FROM territory e WHERE e.level = 'EPCI' AND e.valid_until IS NULL
        AND e.population = (SELECT sum(c.population) FROM territory c WHERE c.parent_epci = e.code AND c.level = 'COM')""")
    assert n == 1255


def test_france_population_leaves_out_mayotte_and_collectivities(con):
    fr = scalar(con, "SELECT value FROM observation WHERE territory='FR' AND indicator='population' AND year=2023")
    regs = scalar(con, """SELECT sum(value) FROM observation WHERE indicator='population' AND year=2023
                          AND territory LIKE 'REG:%' AND territory <> 'REG:06'""")
    assert fr == regs
    assert scalar(con, "SELECT count(*) FROM observation WHERE territory='DEP:976' AND indicator='population'") == 3


@pytest.mark.parametrize("level", ["COM", "ARM", "EPCI", "DEP", "REG", "FR"])
def test_new_residents_identity_population_change_is_natural_balance_plus_migration(con, level):
    rows = con.execute("""
        SELECT count(*), max(abs(c.value - (n.value + m.value)))
        FROM observation c JOIN territory t ON t.code = c.territory AND t.level = ?
        JOIN observation n ON n.territory = c.territory AND n.indicator = 'natural_balance'
             AND n.year = c.year AND n.period_start = c.period_start
        JOIN observation m ON m.territory = c.territory AND m.indicator = 'net_migration'
             AND m.year = c.year AND m.period_start = c.period_start
        WHERE c.indicator = 'pop_change'""", [level]).fetchone()
    assert rows[0] > 0
    assert rows[1] < 1e-6


def test_commune_new_residents_follow_the_comparateur_formula_exactly(con):
    raw = pd.read_csv(SOURCES_DIR / "snapshots/comparateur_territoires_2022_communes.csv.gz", dtype={"CODGEO": str})
    rodez = raw.set_index("CODGEO").loc["12202"]
    expected = ((rodez.P18_POP - rodez.P13_POP) - (rodez.NAIS1318 - rodez.DECE1318)) / 5
    stored = scalar(con, "SELECT value FROM observation WHERE territory='COM:12202' AND indicator='net_migration'"
                         " AND period_start=2013 AND year=2018")
    assert stored == pytest.approx(expected, abs=1e-9)


def test_departement_yearly_migration_from_the_panel(con):
    # Aveyron 2015: (pop 1 Jan 2016 − pop 1 Jan 2015) − (births 2015 − deaths 2015)
    d = SOURCES_DIR / "departements"
    pop = pd.read_csv(d / "population_insee.csv", sep=";", dtype={"dep_code": str}).set_index(["dep_code", "year"])
    b = pd.read_csv(d / "births_insee.csv", sep=";", dtype={"dep_code": str}).set_index(["dep_code", "year"])
    x = pd.read_csv(d / "deaths_insee.csv", sep=";", dtype={"dep_code": str}).set_index(["dep_code", "year"])
    expected = (pop.loc[("12", 2016), "pop_jan1"] - pop.loc[("12", 2015), "pop_jan1"]) - (
        b.loc[("12", 2015), "live_births"] - x.loc[("12", 2015), "deaths"])
    stored = scalar(con, "SELECT value FROM observation WHERE territory='DEP:12' AND indicator='net_migration'"
                         " AND period_start=2015 AND year=2015")
    assert stored == expected


def test_rates_of_aggregates_are_ratios_of_sums(con):
    num, den = con.execute("""
        SELECT sum(n.value), sum(d.value) FROM observation n
        JOIN territory t ON t.code = n.territory AND t.parent_dep = 'DEP:12' AND t.level = 'COM'
        JOIN observation d ON d.territory = n.territory AND d.indicator = 'population' AND d.year = 2013
        WHERE n.indicator = 'net_migration' AND n.period_start = 2013 AND n.year = 2018""").fetchone()
    stored = scalar(con, "SELECT value FROM observation WHERE territory='DEP:12' AND indicator='net_migration_rate'"
                         " AND period_start=2013 AND year=2018")
    assert stored == pytest.approx(num / den * 1000)


def test_group_rate_is_ratio_of_sums_not_mean_of_ratios(con):
    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    agg = compare.group_aggregate(con, "net_migration_rate", codes)
    row = agg[(agg.period_start == 2013) & (agg.year == 2018)].iloc[0]
    parts = con.execute(f"""
        SELECT n.value AS num, d.value AS den FROM observation n
        JOIN observation d ON d.territory = n.territory AND d.indicator = 'population' AND d.year = 2013
             AND d.period_start = 2013
        WHERE n.indicator = 'net_migration' AND n.period_start = 2013 AND n.year = 2018
          AND n.territory IN ({", ".join("?" * len(codes))})""", codes).df()
    assert row.n_members == 8 and len(parts) == 8
    assert row.value == pytest.approx(parts.num.sum() / parts.den.sum() * 1000)
    assert row.value != pytest.approx((parts.num / parts.den).mean() * 1000, rel=1e-3)


def test_pilot_group_has_its_eight_sites_with_mixed_levels(con):
    members = territories.group_members(con, "cci-midi-pyrenees")
    assert len(members) == 8
    assert sorted(members["level"].value_counts().items()) == [("COM", 5), ("EPCI", 3)]
    assert "COM:31451" in set(members["code"]) and "COM:38334" not in set(members["code"])  # Revel (31)


@pytest.mark.parametrize("siren,expected", [("241200633", 10), ("248100380", 29)])
def test_dissolved_epci_rebuilt_from_their_2016_communes(con, siren, expected):
    n, unknown = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE t.code IS NULL) FROM composition c
        LEFT JOIN territory t ON t.code = c.child AND t.level = 'COM'
        WHERE c.parent = ?""", [f"EPCI:{siren}"]).fetchone()
    assert (n, unknown) == (expected, 0)
    with gzip.open(SOURCES_DIR / "history/communes_membership_cog2008_2024_slim.csv.gz", "rt") as fh:
        hist = pd.read_csv(fh, dtype=str)
    assert (hist[(hist.cog_year == "2016") & (siren == hist.EPCI)]).shape[0] == expected
    pop = scalar(con, "SELECT population FROM territory WHERE code = ?", [f"EPCI:{siren}"])
    assert pop > 0


def test_programme_groups_and_start_years(con):
    g = territories.groups(con).set_index("id")
    assert g.loc["acv", "members"] == 244 and g.loc["acv", "start_year"] == 2018
    assert g.loc["pvd", "members"] == 1645 and g.loc["pvd", "start_year"] == 2020
    assert g.loc["cci-midi-pyrenees", "start_year"] == 2016
    assert g["programme"].all()  # the three shipped groups are treated territory for every other group
    assert g.loc["cci-midi-pyrenees", "start_note"].startswith("2016, année supposée : non publiée par la CCI")


def test_ets_emissions_national_totals_match_the_source(con):
    fr = dict(con.execute("SELECT year, value FROM observation WHERE territory = 'FR' AND indicator = 'co2_ets'"
                          " AND year IN (2005, 2022)").fetchall())
    assert fr[2005] / 1e6 == pytest.approx(131, abs=1.5)
    assert fr[2022] / 1e6 == pytest.approx(84, abs=1.5)


def test_communes_without_installation_have_zero_not_missing_and_no_fake_yearly_creations(con):
    assert scalar(con, "SELECT value FROM observation WHERE territory='COM:09122' AND indicator='co2_ets' AND year=2020") == 0
    assert scalar(con, """SELECT count(*) FROM observation o JOIN territory t ON t.code = o.territory
                          WHERE o.indicator = 'business_creations' AND t.level IN ('COM', 'EPCI')""") == 0


def test_france_from_the_departement_panel_says_it_is_metropolitan(con):
    flag = scalar(con, "SELECT flag FROM observation WHERE territory='FR' AND indicator='business_creations' AND year=2019")
    assert flag == "France métropolitaine"


# ---- Births yearly (INSEE état civil) and census spans (historical series, RP2019) ----

@pytest.fixture(scope="module")
def melodi_births():
    """INSEE's own rows of the births file, read here independently of the build."""
    import duckdb
    import tempfile
    import zipfile

    with zipfile.ZipFile(SOURCES_DIR / "etat_civil/DS_ETAT_CIVIL_NAIS_COMMUNES.zip") as z, \
            tempfile.TemporaryDirectory() as tmp:
        path = z.extract("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv", tmp)
        return duckdb.sql(f"""SELECT GEO, GEO_OBJECT, TIME_PERIOD::INT AS year, OBS_VALUE::DOUBLE AS value
                              FROM read_csv('{path}', all_varchar = true, delim = ';')
                              WHERE OBS_VALUE IS NOT NULL""").df()


def test_france_births_each_year_equal_insee_national_row(con, melodi_births):
    national = melodi_births[melodi_births["GEO"] == "F_X_D976"].set_index("year")["value"].to_dict()
    ours = dict(con.execute("SELECT year, value FROM observation WHERE territory = 'FR' AND indicator = 'births'"
                            " AND period_start = year").fetchall())
    assert len(national) == 17 and ours == national  # France without Mayotte, 2008–2024
    assert ours[2008] == 826_772 and ours[2024] == 650_823


def test_rodez_births_yearly_add_up_to_its_census_count(con):
    yearly = dict(con.execute("SELECT year, value FROM observation WHERE territory = 'COM:12202' AND indicator = "
                              "'births' AND period_start = year AND year BETWEEN 2013 AND 2017").fetchall())
    assert yearly == {2013: 270, 2014: 236, 2015: 226, 2016: 257, 2017: 220}
    census = scalar(con, "SELECT value FROM observation WHERE territory = 'COM:12202' AND indicator = 'births' "
                         "AND period_start = 2013 AND year = 2018")
    assert sum(yearly.values()) == 1_209 == pytest.approx(census * 5)  # NAIS1318, stored as a yearly mean


@pytest.mark.parametrize("level,share", [("EPCI", 0.999), ("DEP", 0.998), ("REG", 0.99)])
def test_births_rolled_up_match_insee_own_rows_where_perimeters_agree(con, melodi_births, level, share):
    theirs = melodi_births[melodi_births["GEO_OBJECT"] == level].assign(territory=lambda d: f"{level}:" + d["GEO"])
    ours = con.execute("SELECT territory, year, value AS ours FROM observation WHERE indicator = 'births' "
                       "AND period_start = year AND territory LIKE ?", [f"{level}:%"]).df()
    both = theirs.merge(ours, on=["territory", "year"])
    assert len(both) >= 0.95 * len(theirs)
    assert ((both["value"] - both["ours"]).abs() < 0.5).mean() >= share


def test_census_spans_give_rodez_a_before_and_an_after(con):
    """(P13 − P08) − (NAIS0813 − DECE0813) and the same on 2013–2019, per year (data README's figures)."""
    spans = dict(con.execute("SELECT period_start || '-' || year, value FROM observation WHERE territory = "
                             "'COM:12202' AND indicator = 'net_migration' AND period_start <> year").fetchall())
    assert spans["2008-2013"] == pytest.approx(((23_741 - 24_540) - (1_344 - 1_223)) / 5)
    assert spans["2013-2019"] == pytest.approx(((24_475 - 23_741) - (1_435 - 1_525)) / 6)
    assert "2013-2018" in spans


def test_every_pilot_site_has_new_residents_before_and_after(con):
    members = territories.group_members(con, territories.PILOT_GROUP)["code"].tolist()
    rows = con.execute(f"""SELECT territory, count(DISTINCT period_start || '-' || year) FROM observation
                           WHERE indicator = 'net_migration_rate' AND period_start <> year
                             AND territory IN ({", ".join("?" * len(members))}) GROUP BY 1""", members).fetchall()
    assert len(rows) == 8 and all(n == 3 for _, n in rows)


def test_birth_rate_is_a_ratio_of_sums_and_missing_without_a_population(con):
    rate, births, pop = con.execute("""
        SELECT max(value) FILTER (WHERE indicator = 'birth_rate'), max(value) FILTER (WHERE indicator = 'births'),
               max(value) FILTER (WHERE indicator = 'population')
        FROM observation WHERE territory = 'DEP:12' AND period_start = year AND year = 2019""").fetchone()
    assert rate == pytest.approx(births / pop * 1000)
    assert scalar(con, "SELECT count(*) FROM observation WHERE indicator = 'birth_rate' AND year = 2024") == 0


def test_indicator_rows_are_typed_and_read_the_catalog_as_built(con):
    rows = store.indicator_rows(con)
    rate = rows["net_migration_rate"]
    assert (rate.kind, rate.denominator, rate.decimals, rate.polarity) == ("ratio", "population", 1, 1)
    assert isinstance(rate.scale, float) and rate.scale == 1000.0
    assert rows["population"].numerator is None  # NULL in the base, None here (never NaN)
    assert rows["population"].caution.startswith("Une population légale de l'année N")
    assert store.indicator(con, "jobs") == rows["jobs"] and rate["label"] == rate.label
    with pytest.raises(KeyError):
        store.indicator(con, "no_such_indicator")
