"""Every page through Streamlit's AppTest, with and without query parameters."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ["accueil", "carte", "evolutions", "comparer", "exporter", "donnees", "methodes"]
TIMEOUT = 60


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "accueil":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    return at


def all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(page):
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title[0].value


def test_home_shows_real_counts():
    at = open_page("accueil")
    values = {m.label: m.value for m in at.metric}
    assert values["Communes"] == "34\u202f969"
    assert values["Intercommunalités"] == "1\u202f255"


def test_carte_restores_level_indicator_and_period_from_the_url():
    at = open_page("carte", niveau="REG", i="population", p="2020")
    assert not at.exception
    assert at.selectbox(key="w_niveau").value == "REG"
    assert at.selectbox(key="w_i").value == "population"
    assert at.selectbox(key="w_p").value == "2020"
    table = at.dataframe[0].value
    assert len(table) == 18
    assert "68\u202f" not in table.iloc[:, 1].iloc[0]  # a région, not France
    assert at.query_params["niveau"] == "REG"


def test_carte_communes_of_one_departement_and_missing_values_said():
    at = open_page("carte", niveau="COM", dans="DEP:09", i="net_migration_rate", p="2013-2018")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 325  # communes of Ariège
    assert any("donnée non disponible" in c.value or "territoires avec une valeur" in c.value for c in at.caption)


def test_carte_level_without_data_says_not_available():
    at = open_page("carte", niveau="COM", dans="DEP:12", i="business_creations")
    assert not at.exception
    assert "Donnée non disponible" in all_text(at)


def test_evolutions_shows_territory_with_references():
    at = open_page("evolutions", t="COM:12202", i="population")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.index) == ["Rodez (12)", "Aveyron (12)", "Occitanie", "France"]
    assert table.loc["Rodez (12)", "2006"] == "24\u202f028"  # source file, 2026 geography


def test_evolutions_without_references_from_url():
    at = open_page("evolutions", t="COM:12202,COM:09225", i="population", ref="0")
    assert list(at.dataframe[0].value.index) == ["Pamiers (09)", "Rodez (12)"] or \
        sorted(at.dataframe[0].value.index) == ["Pamiers (09)", "Rodez (12)"]


def test_comparer_pilot_sites_table_has_the_eight_sites():
    at = open_page("comparer", g="cci-midi-pyrenees", i="net_migration_rate", p="2013-2018")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 8
    assert {"Revel (31)", "Lourdes (65)", "CA Rodez Agglomération"} <= set(table["Territoire"])
    assert all(table["Valeur"] != "0")


def test_comparer_other_group_from_url():
    at = open_page("comparer", g="acv", i="population", p="2023")
    assert not at.exception
    assert len(at.dataframe[0].value) == 244


def test_exporter_and_downloads_present():
    at = open_page("exporter", t="COM:09225", i="population")
    assert not at.exception
    assert len(at.dataframe[0].value) == 18


def test_methodes_lists_every_indicator_with_its_source():
    at = open_page("methodes")
    assert len(at.expander) >= 19
    assert "COGugaison" in all_text(at)


def test_missing_database_shows_the_rebuild_command(tmp_path, monkeypatch):
    monkeypatch.setenv("OBS_DB", str(tmp_path / "absent.duckdb"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert "make data" in at.error[0].value and "introuvable" in at.error[0].value


def test_corrupt_database_shows_the_rebuild_command(tmp_path, monkeypatch):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"\x00garbage" * 4096)
    monkeypatch.setenv("OBS_DB", str(bad))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert "corrompue" in at.error[0].value
