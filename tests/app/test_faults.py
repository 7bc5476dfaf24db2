"""Faults a server meets (a journal that cannot be written or was cut, a data folder without rights):
each said in French, nothing lost, never a traceback."""
from __future__ import annotations

import shutil

import pytest

from indicators import journal
from indicators.paths import db_path
from tests.app.test_pages import PAGES, open_page


@pytest.fixture
def copy(tmp_path, monkeypatch):
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), path)
    monkeypatch.setenv("OBS_DB", str(path))
    return path


def test_a_journal_that_cannot_be_written_keeps_the_import_and_says_so(copy):
    journal.path_for(copy).mkdir()  # a folder where the journal file should be
    with pytest.raises(journal.JournalFailed, match="L'écriture est faite, mais sa ligne n'a pas pu"):
        journal.record("import", "test", "moi", copy)
    at = open_page("donnees")
    at.file_uploader[0].set_value(("t.csv", b"territoire;annee;valeur\n09225;2022;3\n", "text/csv"))
    at.run()
    at.text_input(key="w_imp_label").input("Test journal")
    at.text_input(key="w_imp_unit").input("u")
    at.text_input(key="w_imp_source").input("Test synthétique")
    at.run()
    at.button(key="w_imp_go").click().run()
    assert not at.exception
    assert "Import enregistré : 1 valeurs" in at.success[0].value
    assert "ligne n'a pas pu être ajoutée au journal" in at.warning[0].value.replace("\\", "")
    from indicators import store

    assert store.connect_readonly(copy).execute(
        "SELECT count(*) FROM observation WHERE indicator = 'user_test_journal'").fetchall() == [(1,)]


def test_a_cut_journal_line_is_shown_as_such(copy):
    journal.record("import", "premier", "moi", copy)
    with journal.path_for(copy).open("a") as f:
        f.write('{"date": "2026-12-06T10:00:00+00:00", "utilisat')  # a write killed halfway
    lines = journal.entries(copy)
    assert lines[0]["action"] == "ligne illisible" and lines[1]["détail"] == "premier"
    at = open_page("donnees")
    assert not at.exception


def test_author_names_from_outside_are_plain_text(copy):
    journal.record("import", "x", "<img src=x onerror=alert(1)>\u202enimda", copy)
    assert journal.entries(copy)[0]["utilisateur"] == "img src=x onerror=alert(1)nimda"


@pytest.mark.parametrize("page", PAGES)
def test_a_data_folder_out_of_reach_gives_the_french_message(page, monkeypatch, tmp_path):
    blocker = tmp_path / "pas_un_dossier"
    blocker.write_text("x")
    monkeypatch.setenv("OBS_DB", str(blocker / "observatoire.duckdb"))  # stat() fails as without rights
    at = open_page(page)
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "est inaccessible" in said and "Reconstruisez-la" in said


@pytest.mark.parametrize("uploader", [0, 1])  # indicators, then points
def test_a_refused_file_leaves_the_page_and_the_session(uploader):
    from tests.fixtures.hostile import xlsx_with_shared_string_used

    at = open_page("donnees")
    at.file_uploader[uploader].set_value(("piege.xlsx", xlsx_with_shared_string_used(2, 10),
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.run()
    assert not at.exception
    assert "une cellule de texte dépasse 1\u202f000 caractères" in at.error[0].value.replace("\\", "")
    assert at.file_uploader[uploader].value is None  # a fresh uploader: the refused bytes are not kept
    kept = [k for k in ("imp_file", "imp_sheets", "imp_check", "pts_file", "pts_sheets") if k in at.session_state]
    assert not kept, kept
