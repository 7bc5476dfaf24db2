"""The refresh's adapters, one per official layout: columns read by name, the publisher's checks, and
what the build makes of each file. Fixtures are cut from the real files shipped with the project
(named as such); where no real file exists on these machines (deaths, creations by commune), the
fixture is SYNTHETIC, says so, and only tests arithmetic and layout handling."""
from __future__ import annotations

import gzip
import io
import re
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from indicators import catalog
from indicators.pipeline import observations
from indicators.paths import SOURCES_DIR
from indicators.refresh import census, emissions, melodi, sources
from indicators.refresh.layout import CheckFailed, LayoutChanged

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CITEPA_SAMPLE = FIXTURES / "igt_citepa_prg_commune_excerpt.csv"  # Citepa's real header and 10 rows
COMPARATEUR = SOURCES_DIR / "snapshots" / "comparateur_territoires_2022_communes.csv.gz"
POPULATIONS = SOURCES_DIR / "population" / "pop_communes_2006_2023_harmonised_cog2026.csv.gz"
ETS = SOURCES_DIR / observations.ETS_SHIPPED


def melodi_zip(dataset: str, rows: list[str], header: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{dataset}_data.csv", "\n".join([header, *rows]) + "\n")
        z.writestr(f"{dataset}_metadata.csv", "COD_VAR;LIB_VAR\n")
    return out.getvalue()


EC_HEADER = '"EC_MEASURE";"FREQ";"GEO";"GEO_OBJECT";"OBS_STATUS";"TIME_PERIOD";"OBS_VALUE"'


def synthetic_deaths(national_2024: int = 30) -> bytes:
    """SYNTHETIC deaths in INSEE's Melodi layout: two communes, an arrondissement, a missing value
    (status M) and a national row; not real figures."""
    rows = ['"DTH";"A";"12202";"COM";"A";2023;10', '"DTH";"A";"12202";"COM";"A";2024;12',
            '"DTH";"A";"09225";"COM";"A";2023;8', '"DTH";"A";"09225";"COM";"M";2024;',
            '"DTH";"A";"09225";"COM";"W";2024;18', '"DTH";"A";"75101";"ARM";"A";2024;5',
            '"DTH";"A";"F_X_D976";"FRANCE";"A";2023;18', f'"DTH";"A";"F_X_D976";"FRANCE";"A";2024;{national_2024}',
            '"DTH";"A";"12";"DEP";"A";2024;12']
    return melodi_zip("DS_ETAT_CIVIL_DECES_COMMUNES", rows, EC_HEADER)


SIDE_HEADER = "ACTIVITY;FREQ;GEO;GEO_OBJECT;LEGAL_FORM;SIDE_MEASURE;OBS_STATUS;TIME_PERIOD;OBS_VALUE"


def synthetic_creations(extra_measure: bool = False, header: str = SIDE_HEADER) -> bytes:
    """SYNTHETIC business creations in the layout INSEE documents for DS_SIDE_CREA_ENT_COM: totals
    (`_T`) beside breakdowns by activity and legal form, which must not be added again."""
    rows = ["_T;A;12202;COM;_T;CREA_ENT;A;2022;400", "GZ;A;12202;COM;_T;CREA_ENT;A;2022;150",
            "_T;A;12202;COM;EI;CREA_ENT;A;2022;250", "_T;A;09225;COM;_T;CREA_ENT;A;2022;199",
            "_T;A;FRANCE;FRANCE;_T;CREA_ENT;A;2022;600", "_T;A;F;FRANCE;_T;CREA_ENT;A;2022;600"]
    if extra_measure:
        rows.append("_T;A;12202;COM;_T;CREA_ETAB;A;2022;420")
    return melodi_zip("DS_SIDE_CREA_ENT_COM", rows, header)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- Melodi: deaths and creations
def test_deaths_keep_w_rows_skip_missing_values_and_match_the_national_row(tmp_path):
    path = write(tmp_path, "DS_ETAT_CIVIL_DECES_COMMUNES.zip", synthetic_deaths())
    summary = melodi.validator(melodi.DEATHS)(path)
    assert summary.years == (2023, 2024) and "30 décès en 2024" in summary.detail.replace("\u202f", " ")
    with pytest.raises(CheckFailed, match="en 2024, la somme des communes"):
        melodi.validator(melodi.DEATHS)(write(tmp_path, "bad.zip", synthetic_deaths(national_2024=31)))


def test_creations_keep_the_totals_only_and_refuse_two_measures(tmp_path):
    con = duckdb.connect()
    melodi.load(con, write(tmp_path, "side.zip", synthetic_creations()), melodi.CREATIONS, "side")
    assert dict(con.execute("SELECT geo, value FROM side WHERE geo_object = 'COM'").fetchall()) == {
        "12202": 400, "09225": 199}
    # 599 of 600 placed: within the 1 % INSEE's unlocated legal units may take
    assert melodi.check_national(con, "side", melodi.CREATIONS, "side.zip") == {2022: 600}
    with pytest.raises(LayoutChanged, match="2 mesures dans SIDE_MEASURE"):
        melodi.validator(melodi.CREATIONS)(write(tmp_path, "two.zip", synthetic_creations(extra_measure=True)))
    renamed = synthetic_creations(header=SIDE_HEADER.replace("LEGAL_FORM", "FORME_JURIDIQUE"))
    with pytest.raises(LayoutChanged, match="colonnes absentes LEGAL_FORM"):
        melodi.validator(melodi.CREATIONS)(write(tmp_path, "renamed.zip", renamed))


@pytest.fixture
def small_build():
    """A build's temp tables for two communes and an arrondissement (codes carried as they are)."""
    con = duckdb.connect()
    observations.create_base(con)
    con.execute("CREATE TEMP TABLE commune_src AS SELECT * FROM (VALUES ('12202'), ('09225')) t(code_insee)")
    con.execute("CREATE TEMP TABLE territory AS SELECT * FROM (VALUES ('COM:12202', 'COM'), ('COM:09225', 'COM'), "
                "('ARM:75101', 'ARM')) t(code, level)")
    con.execute("CREATE TEMP TABLE cog_map_test(old VARCHAR, code VARCHAR, ratio DOUBLE)")
    return con


def test_the_build_derives_yearly_natural_balance_and_net_migration_from_deaths(tmp_path, small_build):
    con = small_build
    (tmp_path / "etat_civil").mkdir()
    (tmp_path / observations.ETAT_CIVIL_DEATHS).write_bytes(synthetic_deaths())
    assert observations.load_melodi_yearly(con, tmp_path, "cog_map_test", observations.SIDE_CREATIONS,
                                           melodi.CREATIONS, "business_creations") is None  # absent: nothing
    lost = observations.load_melodi_yearly(con, tmp_path, "cog_map_test", observations.ETAT_CIVIL_DEATHS,
                                           melodi.DEATHS, "deaths")
    assert lost == {}
    # SYNTHETIC births and populations beside them, to check the accounts' arithmetic
    con.execute("""INSERT INTO obs_base VALUES ('COM:12202', 'births', 2023, 2023, 25, NULL),
                   ('COM:12202', 'births', 2024, 2024, 20, NULL), ('COM:12202', 'population', 2023, 2023, 1000, NULL),
                   ('COM:12202', 'population', 2024, 2024, 1030, NULL), ('COM:09225', 'births', 2023, 2023, 3, NULL)""")
    observations.derive_yearly_accounts(con)
    got = {(t, i, y): v for t, i, y, v in con.execute(
        "SELECT territory, indicator, year, value FROM obs_base WHERE indicator <> 'births' AND indicator <> "
        "'population'").fetchall()}
    assert got[("COM:12202", "deaths", 2024)] == 12 and got[("ARM:75101", "deaths", 2024)] == 5
    assert got[("COM:12202", "natural_balance", 2023)] == 15 and got[("COM:09225", "natural_balance", 2023)] == -5
    assert got[("COM:12202", "pop_change", 2023)] == 30 and got[("COM:12202", "net_migration", 2023)] == 15
    assert ("COM:12202", "net_migration", 2024) not in got  # no population 2025: no value, never 0
    assert ("COM:09225", "deaths", 2024) in got and got[("COM:09225", "deaths", 2024)] == 18  # W row kept


def test_with_commune_deaths_the_departement_panel_leaves_its_own_accounts_out():
    con = duckdb.connect()
    observations.create_base(con)
    observations.load_departement_panel(con, SOURCES_DIR, {"deaths", "natural_balance", "pop_change",
                                                           "net_migration", "business_creations"})
    kept = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM obs_base").fetchall()}
    assert kept == {"population_estimate", "creations_industry", "creations_construction", "creations_trade",
                    "creations_services"}


# ---------------------------------------------------------------- legal populations, historical series
@pytest.fixture(scope="module")
def populations_xlsx(tmp_path_factory) -> Path:
    """FIXTURE in the layout of INSEE's base-pop-historiques (sheet pop_…, five lines of title, header
    on row 6), filled with the real legal populations 2021–2023 shipped with the project."""
    pop = pd.read_csv(POPULATIONS, dtype=str)
    pop = pop[pop["pop_year"].isin(["2021", "2022", "2023"])]
    wide = pop.pivot_table(index="code_insee_cog2026", columns="pop_year", values="population_municipale",
                           aggfunc="first").reset_index()
    frame = pd.DataFrame({"CODGEO": wide["code_insee_cog2026"], "REG": "", "DEP": "", "LIBGEO": "",
                          **{f"PMUN{y}": pd.to_numeric(wide[y]) for y in ("2023", "2022", "2021")}})
    path = tmp_path_factory.mktemp("pop") / "base-pop-historiques-1876-2023.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Populations légales historiques"], [""], ["Source : Insee"], [""], [""]]).to_excel(
            writer, sheet_name="pop_1876_2023", header=False, index=False)
        frame.to_excel(writer, sheet_name="pop_1876_2023", startrow=5, index=False)
    return path


def test_populations_are_read_by_year_columns_under_a_header_found_by_name(populations_xlsx):
    pop = census.read_populations(populations_xlsx).set_index(["commune", "year"])["population"]
    assert pop[("12202", 2023)] == 23_981 and pop[("12202", 2021)] == 24_207  # the shipped file's Rodez
    summary = census.validate_populations(populations_xlsx)
    assert summary.years == (2021, 2023) and "population légale 2023" in summary.detail


def test_populations_refuse_a_national_jump_and_an_extract(tmp_path, populations_xlsx):
    frame = pd.read_excel(populations_xlsx, sheet_name=0, header=5, dtype=str)
    frame["PMUN2023"] = (pd.to_numeric(frame["PMUN2023"]) * 1.05).round()
    jumped = tmp_path / "base-pop-historiques-1876-2023.xlsx"
    with pd.ExcelWriter(jumped) as writer:
        frame.to_excel(writer, sheet_name="pop_1876_2023", startrow=5, index=False)
    with pytest.raises(CheckFailed, match="varie de 5"):
        census.validate_populations(jumped)
    extract = tmp_path / "extrait.xlsx"
    with pd.ExcelWriter(extract) as writer:
        frame.head(500).to_excel(writer, sheet_name="pop_1876_2023", startrow=5, index=False)
    with pytest.raises(CheckFailed, match="la France compterait"):
        census.validate_populations(extract)


def test_the_build_adds_only_the_years_after_the_harmonised_series(tmp_path, small_build, populations_xlsx):
    con = small_build
    con.execute("INSERT INTO cog_map_test VALUES ('12202', '12202', 1.0)")
    con.execute("INSERT INTO obs_base VALUES ('COM:12202', 'population', 2022, 2022, 24000, NULL)")
    (tmp_path / "population").mkdir()
    (tmp_path / observations.POPULATIONS_HISTORY).write_bytes(populations_xlsx.read_bytes())
    assert observations.load_recent_populations(con, tmp_path, "cog_map_test") == [2023]
    assert con.execute("SELECT year, value FROM obs_base WHERE territory = 'COM:12202' ORDER BY year").fetchall() == [
        (2022, 24000), (2023, 23_981)]


# ---------------------------------------------------------------- census comparator
@pytest.fixture(scope="module")
def comparator_zip(tmp_path_factory) -> Path:
    """FIXTURE in the layout of INSEE's base_cc_comparateur_csv.zip (`;`, CODGEO, P<aa>_POP, NAIS<aaaa>…),
    cut from the real 2022 comparator shipped with the project."""
    frame = pd.read_csv(COMPARATEUR, dtype=str, usecols=["CODGEO", "P18_POP", "P13_POP", "NAIS1318", "DECE1318",
                                                         "P18_EMPLT", "P13_EMPLT"])
    out = tmp_path_factory.mktemp("comp") / "base_cc_comparateur_csv.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("base_cc_comparateur.csv", frame.to_csv(sep=";", index=False))
        z.writestr("meta_base_cc_comparateur.csv", "COD_VAR;LIB_VAR\n")
    return out


def test_the_comparator_span_comes_from_its_column_names(comparator_zip):
    years, frame = census.read_comparator(comparator_zip)
    assert (years.start, years.end) == (2013, 2018) and years.columns["births"] == "NAIS1318"
    rodez = frame.set_index("CODGEO").loc["12202"]
    assert (rodez["pop_end"], rodez["pop_start"], rodez["births"]) == (24_319, 23_741, 1_209)
    assert census.validate_comparator(comparator_zip).years == (2013, 2018)
    # the 2025 edition names its span by the last full year: NAIS1621 beside P16_POP and P22_POP
    newer = census.comparator_years("x", ["CODGEO", "P22_POP", "P16_POP", "NAIS1621", "DECE1621", "P22_EMPLT"])
    assert (newer.start, newer.end, newer.columns["deaths"]) == (2016, 2022, "DECE1621")
    assert "jobs_start" not in newer.columns  # absent columns are not invented
    with pytest.raises(LayoutChanged, match="colonnes absentes NAIS1622"):
        census.comparator_years("x", ["CODGEO", "P22_POP", "P16_POP"])


def test_the_build_adds_the_newest_span_and_skips_one_it_already_has(tmp_path, small_build, comparator_zip):
    con = small_build
    con.execute("INSERT INTO cog_map_test VALUES ('12202', '12202', 1.0)")
    (tmp_path / "census").mkdir()
    (tmp_path / observations.NEWEST_CENSUS).write_bytes(comparator_zip.read_bytes())
    assert observations.load_newest_census(con, tmp_path, "cog_map_test") == (2013, 2018)
    got = dict(con.execute("SELECT indicator, value FROM obs_base WHERE territory = 'COM:12202' AND "
                           "period_start = 2013 AND year = 2018").fetchall())
    # Rodez in the comparator: ((24 319 − 23 741) − (1 209 births − 1 319 deaths)) / 5 years
    assert got["net_migration"] == pytest.approx(137.6) and got["births"] == pytest.approx(241.8)
    assert got["pop_change"] == pytest.approx(115.6) and got["natural_balance"] == pytest.approx(-22)
    assert observations.load_newest_census(con, tmp_path, "cog_map_test") is None  # same span: not twice


# ---------------------------------------------------------------- Citepa and EU ETS
def test_citepa_wide_layout_needs_its_year_and_leaves_biogenic_co2_out(tmp_path):
    with pytest.raises(LayoutChanged, match="année de l'inventaire"):
        emissions.read_citepa(CITEPA_SAMPLE)
    named = tmp_path / "igt_2016_FIXTURE.csv"  # the year is the test's, stated in the name as asked
    named.write_bytes(CITEPA_SAMPLE.read_bytes())
    frame = emissions.read_citepa(named)
    assert set(frame["year"]) == {2016} and "CO2 biomasse hors-total" not in set(frame["sector"])
    first = frame[frame["commune"] == "01001"]["value"].sum()
    # 01001's row of the real file, by hand, without the biogenic column (432.75…)
    assert first == pytest.approx(3711.42599095982 + 101.430476404296 + 2.35455774116892 + 6.91121335068922
                                  + 309.3581952031101 + 793.156500797939 + 367.036172334044)
    with pytest.raises(CheckFailed, match="10 communes seulement"):
        emissions.validate_citepa(named)


def test_citepa_long_layout_reads_its_years_from_date_mesure(tmp_path):
    path = tmp_path / "igt_long_SYNTHETIC.csv"  # SYNTHETIC values in the 2023 edition's long layout
    path.write_text("date_mesure,geocode_commune,libelle_commune,secteur,valeur\n"
                    "2019-01-01,1001,A,Routier,10.5\n2019-01-01,1001,A,CO2 biomasse hors-total,99\n"
                    "2020-01-01,01001,A,Routier,9\n", encoding="utf-8")
    frame = emissions.read_citepa(path)
    assert frame.to_dict("records") == [{"commune": "01001", "year": 2019, "sector": "Routier", "value": 10.5},
                                        {"commune": "01001", "year": 2020, "sector": "Routier", "value": 9.0}]


@pytest.fixture(scope="module")
def ets_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ets") / "emissions-FR-geo.csv"
    path.write_bytes(gzip.decompress(ETS.read_bytes()))
    return path


def test_the_ets_export_passes_and_a_missing_year_or_column_is_refused(tmp_path, ets_csv):
    summary = emissions.validate_ets(ets_csv)
    assert summary.years == (2005, 2022) and summary.detail.startswith("1\u202f570 installations")
    frame = pd.read_csv(ets_csv, dtype=str)
    frame[frame["year"] != "2015"].to_csv(gap := tmp_path / "gap.csv", index=False)
    with pytest.raises(CheckFailed, match="années non contiguës"):
        emissions.validate_ets(gap)
    frame.rename(columns={"emissions": "verified"}).to_csv(renamed := tmp_path / "renamed.csv", index=False)
    with pytest.raises(LayoutChanged, match="colonnes absentes emissions"):
        emissions.validate_ets(renamed)


def test_the_build_reads_a_refreshed_ets_export_instead_of_the_shipped_one(tmp_path, ets_csv):
    assert observations.ets_file(tmp_path) == tmp_path / observations.ETS_SHIPPED
    (tmp_path / "co2").mkdir()
    (tmp_path / observations.ETS_REFRESHED).write_bytes(ets_csv.read_bytes())
    assert observations.ets_file(tmp_path) == tmp_path / observations.ETS_REFRESHED


# ---------------------------------------------------------------- catalogues and the registry
def test_a_catalogue_page_names_the_newest_file_by_its_pattern():
    adapter = next(a for a in sources.ADAPTERS if a.name == "populations")
    page = ('<a href="/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2022.xlsx">2022</a>'
            '<a href="/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2024.xlsx">2024</a>')
    remote = adapter.locate(lambda url: page)
    assert remote.url == "https://www.insee.fr/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2024.xlsx"
    citepa = next(a for a in sources.ADAPTERS if a.name == "citepa")
    with pytest.raises(LayoutChanged, match="ne nomme aucun fichier"):
        citepa.locate(lambda url: "{}")


def test_every_adapter_has_a_distinct_target_and_its_indicators_cite_it():
    targets = [a.target for a in sources.ADAPTERS]
    assert len(set(targets)) == len(targets) == 8
    cited = {s.dataset for i in catalog.INDICATORS for s in i.sources}
    for source in (catalog.ETAT_CIVIL_DECES, catalog.SIDE_COMMUNES, catalog.POP_HISTORY, catalog.COMPARATEUR_NEW,
                   catalog.CITEPA):
        assert source.dataset in cited
    assert catalog.get("ghg_per_inhabitant").numerator == "ghg_inventory"


def test_populations_found_on_insee_s_page_downloaded_checked_and_recorded(tmp_path, populations_xlsx):
    """The whole chain against a local publisher: INSEE's web page names the file (relative link),
    the workbook is downloaded, checked by column name and placed; a second run changes nothing."""
    import http.server
    import threading

    from indicators import refresh

    page = b'<html><a href="/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2023.xlsx">xlsx</a></html>'
    files = {"/fr/statistiques/3698339": page,
             "/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2023.xlsx": populations_xlsx.read_bytes()}

    class Insee(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            body = files.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Insee)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    folder = tmp_path / "sources"
    folder.mkdir()
    try:
        rebuilt = []
        [done] = refresh.run(folder, cache=tmp_path / "cache", only=["populations"], base=base,
                             rebuild=lambda: rebuilt.append(True), log=lambda _: None)
        assert done.status == "mis à jour" and "2021–2023" in done.message and rebuilt == [True]
        assert (folder / observations.POPULATIONS_HISTORY).read_bytes() == files[
            "/fr/statistiques/fichier/3698339/base-pop-historiques-1876-2023.xlsx"]
        record = refresh.manifest(folder)["populations"]
        assert record["url"].endswith("/base-pop-historiques-1876-2023.xlsx") and record["years"] == [2021, 2023]
        [again] = refresh.run(folder, cache=tmp_path / "cache", only=["populations"], base=base, log=lambda _: None)
        assert again.status == "à jour"
        state = next(r for r in refresh.status(folder) if r["Mise à jour"] == "refresh --only populations")["État"]
        assert re.fullmatch(r"mis à jour le \d\d/\d\d/20\d\d à \d\d h \d\d \(UTC\) \(2021–2023\)", state), state
    finally:
        server.shutdown()


def test_a_broken_file_fails_its_source_only(tmp_path):
    """Garbage under every adapter's name: each source fails in French, none raises, nothing is placed."""
    from indicators import refresh

    folder = tmp_path / "from"
    folder.mkdir()
    for name in ("DS_ETAT_CIVIL_DECES_COMMUNES.zip", "DS_SIDE_CREA_ENT_COM.zip", "base-pop-historiques-1876-2024.xlsx",
                 "base_cc_comparateur_csv.zip", "igt_2016.csv", "emissions-FR-geo.csv"):
        (folder / name).write_bytes(b"PK\x03\x04 not really a zip \x00\xff" * 10)
    sources_dir = tmp_path / "sources"
    sources_dir.mkdir()
    outcomes = refresh.run(sources_dir, from_dir=folder, only=["deces", "creations", "populations", "comparateur",
                                                               "citepa", "seqe"], log=lambda _: None)
    assert [o.status for o in outcomes] == ["échec"] * 6
    assert all("rien n'a changé" in o.message for o in outcomes)
    assert not [p for p in sources_dir.rglob("*") if p.is_file()]


def test_refresh_from_a_folder_rebuilds_a_base_that_reads_the_new_files_and_keeps_its_imports(
        tmp_path, ets_csv, populations_xlsx):
    """`refresh --from`: files in the official layouts replace the sources, the real build runs once and
    reads them, and the users' imports come through the rebuild. The EU ETS FIXTURE is the real export
    without its last year, so the change shows; the import is SYNTHETIC. (One rebuild for both checks: a
    rebuild is the suite's dearest step.)"""
    import shutil

    from indicators import ingest, refresh, store
    from indicators.pipeline import build
    from indicators.paths import db_path

    sources_dir = tmp_path / "sources"
    shutil.copytree(SOURCES_DIR, sources_dir, ignore=shutil.ignore_patterns("refresh.json", "*.avant-maj"))
    folder = tmp_path / "from"
    folder.mkdir()
    frame = pd.read_csv(ets_csv, dtype=str)
    frame[frame["year"] != "2022"].to_csv(folder / "emissions-FR-geo.csv", index=False)
    shutil.copyfile(populations_xlsx, folder / populations_xlsx.name)
    base = tmp_path / "base.duckdb"
    shutil.copyfile(db_path(), base)
    data = "territoire;année;valeur\n09225;2021;12\n09225;2022;14\n09122;2013-2018;7,5\n".encode()
    declared = ingest.Declaration(id="user_synthetic", label="Synthétique", unit="u", source="test", licence="test",
                                  is_new=True)
    with store.connect_readonly(base) as con:
        checked = ingest.validate(con, ingest.load(data, "synthetique.csv"), declared)
    ingest.write(checked, declared, path=base)
    outcomes = refresh.run(sources_dir, from_dir=folder, only=["seqe", "populations"], log=lambda _: None,
                           rebuild=lambda: build(base, sources=sources_dir, log=lambda _: None, map_dir=None,
                                                       evaluations=False))
    assert [o.status for o in outcomes] == ["mis à jour", "mis à jour"], [o.message for o in outcomes]
    con = store.connect_readonly(base)
    assert store.first(con, "SELECT max(year) FROM observation WHERE indicator = 'co2_ets'")[0] == 2021
    assert store.first(con, "SELECT max(year) FROM ets_emission")[0] == 2021
    assert store.first(con, "SELECT max(year) FROM observation WHERE indicator = 'population'")[0] == 2023
    assert store.first(con, "SELECT count(*) FROM observation WHERE indicator = 'user_synthetic'")[0] == 3
    assert store.first(con, "SELECT count(*) FROM import_log")[0] == 1
    con.close()
    assert set(refresh.manifest(sources_dir)) == {"seqe", "populations"}


def test_a_source_is_cited_once_the_refresh_has_loaded_it():
    """Charts and exports cite the sources that gave the base its values: the historical series of
    populations only after `refresh --only populations`, never while it is still to be fetched."""
    population = catalog.get("population")
    assert "base-pop-historiques" not in population.as_row(frozenset({"naissances"}))["source"]
    assert "base-pop-historiques" in population.as_row(frozenset({"populations"}))["source"]
    assert population.as_row(frozenset())["licence"] == catalog.COG_POP.licence  # the shipped source's alone
    # an indicator whose only source is still to be fetched keeps it: it says where values would come from
    assert "Citepa" in catalog.get("ghg_inventory").as_row(frozenset())["source"]
    assert sources.loaded(SOURCES_DIR) >= {"naissances"} and "deces" not in sources.loaded(SOURCES_DIR)
    from indicators import store

    con = store.connect_readonly()  # the base built from the shipped files
    cited = dict(con.execute("SELECT id, source FROM indicator WHERE id IN ('population', 'net_migration')").fetchall())
    con.close()
    assert "base-pop-historiques" not in cited["population"] and "DS_ETAT_CIVIL_DECES" not in cited["net_migration"]
    assert "séries historiques du recensement" in cited["net_migration"]
