"""Imports: real-looking files (synthetic, built here), every error with its place, nothing lost."""
from __future__ import annotations

import hashlib
import io
import signal
import subprocess
import sys
import time

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import ingest, store
from indicators.paths import db_path

NEW = ingest.Declaration(id="user_ouvertures", label="Ouvertures de commerces", unit="ouvertures", kind="count",
                         polarity=1, source="Ville de Pamiers, registre des commerces", licence="Licence Ouverte",
                         is_new=True)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(con, data: bytes, file: str, decl=NEW, choices=None, sheet=None):
    frame = ingest.read_table(data, file, sheet)
    return ingest.validate(con, ingest.prepare(frame, file, data), decl, choices)


FRENCH_EXCEL_CSV = (
    "\ufeffterritoire;nom;année;valeur\n"
    "09225;Pamiers;2021;12\n"
    "09225;Pamiers;2022;1\u202f234,5\n"
    "09122;Foix;2013-2018;7,5\n"
).encode("utf-8")


def test_french_csv_with_bom_decimal_comma_and_spans(con):
    v = check(con, FRENCH_EXCEL_CSV, "ouvertures.csv")
    assert v.problems == []
    rows = v.observations.sort_values(["territory", "year"]).to_dict("records")
    assert rows == [
        {"territory": "COM:09122", "indicator": "user_ouvertures", "period_start": 2013, "year": 2018, "value": 7.5},
        {"territory": "COM:09225", "indicator": "user_ouvertures", "period_start": 2021, "year": 2021, "value": 12.0},
        {"territory": "COM:09225", "indicator": "user_ouvertures", "period_start": 2022, "year": 2022, "value": 1234.5},
    ]


def test_latin1_comma_separated_file_with_names(con):
    data = "commune,année,valeur\nPamiers,2021,3\nFoix,2021,4.5\nSaint-Étienne,2021,8\n".encode("latin-1")
    v = check(con, data, "latin1.csv")
    assert v.problems == []
    assert set(v.observations["territory"]) == {"COM:09225", "COM:09122", "COM:42218"}


def test_wide_excel_sheet_by_name(con):
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    ws = wb.create_sheet("données")
    ws.append(["code_insee", "nom", 2020, 2021, 2022])
    ws.append(["65286", "Lourdes", 10, 11, None])
    ws.append(["82033", "Castelsarrasin", 4, 5, 6])
    buf = io.BytesIO()
    wb.save(buf)
    v = check(con, buf.getvalue(), "large.xlsx", sheet="données")
    assert [p.blocking for p in v.problems] == [False]  # the empty 2022 cell of Lourdes
    assert "1 cellule(s) vide(s) ignorée(s)" in v.problems[0].message and v.problems[0].line == 2
    assert len(v.observations) == 5
    with pytest.raises(ingest.ImportProblem, match="la feuille « Feuil1 » n'existe pas ; feuilles présentes : « notes », « données »"):
        check(con, buf.getvalue(), "large.xlsx", sheet="Feuil1")


def test_homonyms_are_listed_with_their_departement_then_chosen(con):
    data = b"territoire;annee;valeur\nRevel;2021;5\n"
    v = check(con, data, "revel.csv")
    assert len(v.blocking) == 1
    assert str(v.blocking[0]) == ("ligne 2, colonne « territoire » : nom ambigu, précisez lequel : "
                                  "Revel (31) [COM:31451], Revel (38) [COM:38334] (valeur : « Revel »)")
    v = check(con, data, "revel.csv", choices={"Revel": "COM:31451"})
    assert v.problems == [] and v.observations["territory"].tolist() == ["COM:31451"]


@pytest.mark.parametrize("body,expected", [
    ("territoire;annee;valeur\n99999;2021;5\n",
     "ligne 2, colonne « territoire » : territoire inconnu (code INSEE, SIREN ou nom attendu) (valeur : « 99999 »)"),
    ("territoire;annee;valeur\n09225;2021;5\n09225;2021;6\n",
     "ligne 3, colonne « territoire » : doublon : même territoire, indicateur et période qu'une ligne précédente (valeur : « 09225 »)"),
    ("territoire;annee;valeur\n09225;2021;beaucoup\n",
     "ligne 2, colonne « valeur » : valeur non numérique (valeur : « beaucoup »)"),
    ("territoire;annee;valeur\n09225;1850;5\n",
     f"ligne 2, colonne « année » : année hors limites (1900–{ingest.MAX_YEAR}) (valeur : « 1850 »)"),
    ("territoire;annee;valeur\n09225;vingt;5\n",
     "ligne 2, colonne « année » : année ou période illisible (attendu : 2019 ou 2013-2018) (valeur : « vingt »)"),
    ("territoire;annee;valeur\n09225;2021;-3\n",
     "ligne 2, colonne « valeur » : effectif négatif (valeur : « -3 »)"),
    ("territoire;annee;valeur;unite\n09225;2021;3;euros\n",
     "ligne 2, colonne « unité » : unité différente de celle de l'indicateur (« ouvertures ») (valeur : « euros »)"),
])
def test_each_error_has_its_exact_message(con, body, expected):
    v = check(con, body.encode(), "erreurs.csv")
    assert [str(p) for p in v.blocking] == [expected]


def test_empty_file_and_unknown_shape(con):
    with pytest.raises(ingest.ImportProblem, match="le fichier est vide"):
        check(con, b"", "vide.csv")
    with pytest.raises(ingest.ImportProblem, match="aucune colonne de territoire"):
        check(con, b"a;b\n1;2\n", "bizarre.csv")
    with pytest.raises(ingest.ImportProblem, match="format non reconnu"):
        check(con, b"territoire;x\n09225;2\n", "bizarre.csv")


def test_extending_a_known_indicator_cannot_overwrite_official_values(con):
    v = check(con, b"territoire;annee;valeur\n09225;2020;15000\n", "pop.csv", ingest.Declaration(id="population"))
    assert [p.message for p in v.blocking] == [
        "une valeur existe déjà dans la base pour ce territoire et cette période (annulez d'abord l'import qui l'a apportée)"]


def test_write_is_one_transaction_idempotent_and_undoable(con, db_copy):
    before = digest(db_copy)
    v = check(con, FRENCH_EXCEL_CSV, "ouvertures.csv")
    import_id, created = ingest.write(v, NEW, path=db_copy)
    assert created
    c = store.connect_readonly(db_copy)
    assert c.execute("SELECT count(*) FROM observation WHERE indicator = 'user_ouvertures'").fetchone()[0] == 3
    assert c.execute("SELECT source FROM indicator WHERE id = 'user_ouvertures'").fetchone()[0].startswith(
        "Source : Ville de Pamiers")
    assert ingest.write(v, NEW, path=db_copy) == (import_id, False)  # same bytes: nothing more
    assert store.connect_readonly(db_copy).execute("SELECT count(*) FROM import_log").fetchone()[0] == 1
    assert ingest.undo(import_id, path=db_copy) == 3
    c = store.connect_readonly(db_copy)
    assert c.execute("SELECT count(*) FROM indicator WHERE id = 'user_ouvertures'").fetchone()[0] == 0
    assert c.execute("SELECT count(*) FROM observation WHERE import_id IS NOT NULL").fetchone()[0] == 0
    assert before != digest(db_copy)  # rewritten, but with the same content:
    assert c.execute("SELECT count(*) FROM observation").fetchone()[0] == \
        store.connect_readonly(db_path()).execute("SELECT count(*) FROM observation").fetchone()[0]


def test_an_undone_import_s_number_is_never_given_again(con, db_copy):
    """Two « import n° 1 » in the journal (one undone, one new) read as one import: numbers only go up."""
    first, _ = ingest.write(check(con, FRENCH_EXCEL_CSV, "ouvertures.csv"), NEW, path=db_copy)
    ingest.undo(first, path=db_copy)
    other = FRENCH_EXCEL_CSV.replace(b"Pamiers;2021;12", b"Pamiers;2021;13")  # other bytes, a new import
    second, created = ingest.write(check(con, other, "ouvertures_2022.csv"), NEW, path=db_copy)
    assert created and second == first + 1


def test_blocking_problems_write_nothing(con, db_copy):
    before = digest(db_copy)
    v = check(con, b"territoire;annee;valeur\n99999;2021;5\n", "x.csv")
    with pytest.raises(ingest.ImportProblem):
        ingest.write(v, NEW, path=db_copy)
    assert digest(db_copy) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: ("territoire;annee;valeur\n" + t).encode()))
def test_malformed_input_only_gives_validation_errors_and_changes_nothing(con, db_copy, data):
    before = store.file_version(db_copy)  # every write replaces the file: a new inode and mtime
    try:
        v = check(con, data, "fuzz.csv")
        if not v.blocking:
            ingest.write(v, NEW, accept_warnings=True, path=db_copy)
            return  # a valid file may be written: that is not a failure
    except ingest.ImportProblem:
        pass
    assert store.file_version(db_copy) == before


def test_a_killed_import_leaves_the_database_as_before(db_copy, tmp_path):
    """A subprocess writes a large import and is killed during the write; the file must be intact."""
    big = tmp_path / "gros.csv"
    codes = [r[0] for r in store.connect_readonly(db_copy).execute(
        "SELECT split_part(code, ':', 2) FROM territory WHERE level = 'COM' LIMIT 20000").fetchall()]
    big.write_text("territoire;annee;valeur\n" + "".join(f"{c};{y};1\n" for c in codes for y in range(2000, 2010)))
    before = digest(db_copy)
    count = store.connect_readonly(db_copy).execute("SELECT count(*) FROM observation").fetchone()[0]
    proc = subprocess.Popen([sys.executable, "-m", "indicators", "--db", str(db_copy), "import", str(big), "--new",
                             "Test interrompu", "--unit", "u", "--source", "test"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until the writer has made its private copy, i.e. is inside the write, then kill it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(db_copy.parent.glob(f".{db_copy.name}.*.tmp")):
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert digest(db_copy) == before
    c = store.connect_readonly(db_copy)
    assert c.execute("SELECT count(*) FROM observation").fetchone()[0] == count
    total, distinct = c.execute("SELECT count(*), count(DISTINCT (territory, indicator, period_start, year)) "
                                "FROM observation").fetchone()
    assert total == distinct == count
    # The next write clears the dead writer's leftover copy and succeeds.
    from indicators import territories
    territories.save_group("Après coupure", ["COM:09225"], 2020, path=db_copy)
    assert not list(db_copy.parent.glob(f".{db_copy.name}.*.tmp"))
