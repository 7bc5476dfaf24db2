"""Who may write: a public instance offers no write anywhere; the editors' instance with OpenID
Connect shows the sign-in screen first; every write is journaled with its author."""
from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from indicators import journal
from indicators.paths import db_path
from tests.app.test_pages import APP, PAGES, TIMEOUT, all_text, open_page

WRITE_BUTTONS = {"Importer", "Importer les points", "Annuler cet import en entier", "Enregistrer", "Créer",
                 "Se connecter"}


@pytest.mark.parametrize("page", PAGES)
def test_a_public_instance_shows_no_write_control(page, monkeypatch):
    monkeypatch.setenv("OBS_MODE", "public")
    params = {"g": "cci-midi-pyrenees", "vue": "groupes", "t": "COM:09225"} if page == "comparer" else {}
    at = open_page(page, **params)
    assert not at.exception
    assert not at.get("file_uploader")
    labels = {b.label for b in at.button} | {b.label for b in at.get("form_submit_button")}
    assert not labels & WRITE_BUTTONS, labels & WRITE_BUTTONS
    if page == "comparer":
        assert "Gérer les groupes" not in str(at.get("button_group")[0].proto)  # (offered in edition mode)
        assert not any("Modifier «" in m.value for m in at.markdown) and not at.get("form")
    if page == "donnees":
        assert any("Instance publique, en consultation" in i.value for i in at.info)


def test_the_editors_instance_with_openid_connect_asks_to_sign_in_first(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "une-longue-chaine-de-test-au-hasard"\n'
                       'client_id = "observatoire"\nclient_secret = "y"\n'
                       'server_metadata_url = "https://idp.example/.well-known/openid-configuration"\n')
    monkeypatch.setenv("OBS_AUTH", "oidc")
    monkeypatch.setenv("OBS_SECRETS", str(secrets))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("app_pages/donnees.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Observatoire de l'attractivité — édition"
    assert [b.label for b in at.button] == ["Se connecter"]
    assert not at.get("file_uploader") and "Importer vos indicateurs" not in all_text(at)


def test_openid_connect_without_its_settings_is_refused_in_french(monkeypatch, tmp_path):
    monkeypatch.setenv("OBS_AUTH", "oidc")
    monkeypatch.setenv("OBS_SECRETS", str(tmp_path / "absent.toml"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.error[0].value.startswith("Configuration invalide : OBS_AUTH = oidc : ") and "fichier absent ; il faut une section [auth]" in at.error[0].value


def test_writes_from_the_command_line_are_journaled_with_their_author(tmp_path):
    from indicators import cli

    path = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), path)
    data = tmp_path / "participation.csv"
    data.write_text("territoire;année;valeur\n09225;2023;340\n", encoding="utf-8")
    assert cli.main(["--db", str(path), "import", str(data), "--new", "Participation", "--unit", "personnes",
                     "--source", "Test (synthétique)"]) == 0
    assert cli.main(["--db", str(path), "undo", "1"]) == 0
    actions = [(e["action"], e["utilisateur"].endswith("(ligne de commande)")) for e in journal.entries(path)]
    assert actions == [("annulation", True), ("import", True)]
    assert journal.entries(path)[1]["détail"] == "n° 1 : participation.csv, 1 valeurs"


@pytest.mark.parametrize("variable,value,said", [
    ("OBS_BASE_URL", "observatoire.example.fr", "OBS_BASE_URL = « observatoire.example.fr » : attendu une adresse"),
    ("OBS_TILES", "http://tiles/{z}.png", "OBS_TILES = « http://tiles/{z}.png » : attendu"),
    ("OBS_AUTH", "ldap", "OBS_AUTH = « ldap » : valeurs possibles : none, oidc, proxy."),
])
def test_a_bad_setting_is_refused_in_french_at_start_up(monkeypatch, variable, value, said):
    monkeypatch.setenv(variable, value)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and said in at.error[0].value


def test_on_a_public_instance_a_group_lives_in_the_link(monkeypatch):
    monkeypatch.setenv("OBS_MODE", "public")
    before = db_path().stat().st_mtime_ns
    at = open_page("comparer", g="cci-midi-pyrenees", vue="groupes", t="COM:09225,COM:09122,EPCI:200066637")
    at.multiselect(key="w_membres").set_value(["COM:09225", "COM:09122"])
    at.number_input(key="w_debut").set_value(2018)
    at.button(key="w_compose").click().run()
    assert not at.exception
    assert (at.query_params["g"], at.query_params["membres"], at.query_params["debut"]) == \
        ("lien", "COM:09225,COM:09122", "2018")
    assert db_path().stat().st_mtime_ns == before  # nothing stored
    shared = open_page("comparer", g="lien", membres="COM:09225,COM:09122", debut="2018", i="population")
    assert not shared.exception
    table = shared.dataframe[0].value
    table = getattr(table, "data", table)
    assert sorted(table["Territoire"]) == ["Foix (09)", "Pamiers (09)"]
    assert "Début du programme : 2018" in all_text(shared).replace("\\\\", "")


def test_behind_a_proxy_a_visitor_it_does_not_name_cannot_write(monkeypatch):
    monkeypatch.setenv("OBS_AUTH", "proxy")
    at = open_page("donnees")
    assert not at.exception
    assert not at.get("file_uploader")  # no header from the proxy: nobody to journal, nothing written
    assert any("Écriture réservée aux personnes identifiées" in i.value for i in at.info)
    assert any("Non identifié" in c.value for c in at.caption)
