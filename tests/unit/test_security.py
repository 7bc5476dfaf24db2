"""Hostile input, tested where it lands: user text never becomes markup, bombs are refused early,
numbers are never silently wrong, and a damaged or unwritable database says so in French."""
from __future__ import annotations

import errno
import io
import json
import re
import shutil
import subprocess
import sys
import time

import openpyxl
import pandas as pd
import pytest

from indicators import charts, export, ingest, store, tabular, text
from indicators.errors import DatabaseUnavailable, DatabaseWriteFailed, ImportProblem
from tests.fixtures.hostile import PAYLOADS, xlsx_claiming_every_column, xlsx_with_huge_cell, xlsx_with_many_rows

NEW = ingest.Declaration(id="user_ouvertures", label="Ouvertures de commerces", unit="ouvertures", kind="count",
                         polarity=1, source="Ville de Pamiers, registre des commerces", is_new=True)


def check(con, data: bytes, file: str = "f.csv", decl=NEW, sheet=None):
    return ingest.validate(con, ingest.load(data, file, sheet), decl)


# ---------------------------------------------------------------- escaping
@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_escaping_leaves_no_markup(payload):
    out = text.md(payload)
    # every character that could open a tag, a link, an image or a directive is escaped
    assert not re.search(r"(?<!\\)[<>\[\]():!*$`]", out), out
    assert "http://" not in out and "javascript:" not in out  # no autolink, no scheme


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_and_plotly_escaping_leave_no_tag(payload):
    for out in (text.html_text(payload), text.plot(payload)):
        assert "<" not in out and ">" not in out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_declared_labels_units_and_sources_refuse_markup_and_links(payload):
    assert text.check("label", payload) is not None
    decl = ingest.Declaration(id="user_x", label="Ouvertures", unit=payload, source=payload, is_new=True)
    problems = ingest.check_declaration(pd.DataFrame(index=pd.Index([], name="id")), decl)
    assert any("unité" in p.message for p in problems) and any("source" in p.message for p in problems)


def test_plain_french_labels_pass():
    for value in ("Ouvertures de commerces", "t CO2e par habitant", "Émissions (SEQE-UE) – 2 €/m²", "‰ habitants"):
        assert text.check("label", value) is None


def test_a_chart_with_hostile_labels_holds_no_markup():
    series = pd.DataFrame({"territory": ["COM:1", "COM:1"], "territory_label": [PAYLOADS[9], PAYLOADS[9]],
                           "level": "COM", "period_start": [2020, 2021], "year": [2020, 2021], "value": [1.0, 2.0],
                           "flag": [None, PAYLOADS[1]]})
    spec = charts.ChartSpec(title=PAYLOADS[0], subtitle=PAYLOADS[6], unit=PAYLOADS[3], source=PAYLOADS[4],
                            marker_year=2021, marker_label=PAYLOADS[2], permalink="http://localhost/x?<b>")
    figure = json.dumps(export.stamp(charts.trend_chart(series, spec), spec).to_plotly_json(), ensure_ascii=False)
    for marker in ("<iframe", "<script", "<img", "<meta", "<object", "<a href", "<div"):
        assert marker not in figure
    bars = json.dumps(charts.bar_chart(pd.DataFrame({"code": ["a"], "label": [PAYLOADS[9]], "value": [1.0]}),
                                       spec).to_plotly_json())
    assert "<a href" not in bars


# ---------------------------------------------------------------- bombs and limits
@pytest.mark.parametrize("make,expected", [(xlsx_with_huge_cell, "se décompresse en"), (xlsx_with_many_rows, "trop de lignes"),
                                           (xlsx_claiming_every_column, "ligne 1 : trop de colonnes")])
def test_decompression_bombs_are_refused_within_a_second(make, expected):
    data = make()
    assert len(data) < 3_000_000
    started = time.perf_counter()
    with pytest.raises(ImportProblem, match=expected):
        tabular.read_table(data, "bombe.xlsx")
    assert time.perf_counter() - started < 1.0


def test_csv_limits_name_the_place():
    with pytest.raises(ImportProblem, match="trop de lignes"):
        tabular.read_table(b"territoire;annee;valeur\n" + b"09225;2020;1\n" * (tabular.MAX_ROWS + 5), "x.csv")
    with pytest.raises(ImportProblem, match=r"ligne 2, colonne « valeur » : cellule trop longue"):
        tabular.read_table(b"territoire;annee;valeur\n09225;2020;" + b"9" * 2000 + b"\n", "x.csv")
    with pytest.raises(ImportProblem, match="trop de colonnes"):
        tabular.read_table((";".join(f"c{i}" for i in range(300)) + "\n" + ";".join("1" * 300) + "\n").encode(), "x.csv")


def test_duplicate_year_columns_are_an_error_not_a_silent_drop():
    with pytest.raises(ImportProblem, match=r"colonne en double : « 2019 » apparaît deux fois \(colonnes 2 et 4\)"):
        tabular.read_table(b"territoire;2019;2020;2019\n09225;1;2;3\n", "large.csv")


def test_a_file_mixing_encodings_says_where():
    data = "territoire;annee;valeur;nom\n09225;2020;1;Pamiers é\n".encode() + "09122;2020;2;Foix é\n".encode("latin-1")
    with pytest.raises(ImportProblem, match=r"ligne 3 : encodages mélangés"):
        tabular.read_table(data, "mix.csv")


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("cells,expected", [
    (["0.125", "3.5"], [0.125, 3.5]),
    (["3.141", "2.5"], [3.141, 2.5]),
    (["1.250", "2,5"], [1250.0, 2.5]),      # a decimal comma elsewhere: the point groups thousands
    (["1 234,5", "12"], [1234.5, 12.0]),
    (["1,234.5", "2.25"], [1234.5, 2.25]),
])
def test_decimal_convention_is_decided_per_column(con, cells, expected):
    body = "territoire;annee;valeur\n" + "".join(f"09225;{2000 + i};{c}\n" for i, c in enumerate(cells))
    v = check(con, body.encode())
    assert v.blocking == []
    assert v.observations.sort_values("year")["value"].tolist() == expected


def test_an_ambiguous_separator_is_a_warning_with_its_place_never_a_silent_thousand(con):
    v = check(con, b"territoire;annee;valeur\n09225;2020;1.250\n09225;2021;3\n")
    assert v.blocking == [] and v.observations.sort_values("year")["value"].tolist() == [1.25, 3.0]
    assert [str(p) for p in v.warnings] == [
        "ligne 2, colonne « valeur » : séparateur ambigu : lu 1,250 et non 1\u202f250 (aucune autre valeur de la "
        "colonne ne dit si le point est décimal) (valeur : « 1.250 »)"]


def test_excel_numbers_are_numbers_never_reparsed(con):
    wb = openpyxl.Workbook()
    wb.active.append(["territoire", "annee", "valeur"])
    wb.active.append(["09225", 2020, 0.125])
    wb.active.append(["09122", 2020, 1.25])
    buf = io.BytesIO()
    wb.save(buf)
    v = check(con, buf.getvalue(), "x.xlsx")
    assert v.problems == [] and sorted(v.observations["value"]) == [0.125, 1.25]


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e309", "9" * 400, "1e308", "nan"])
def test_infinite_and_absurd_values_are_refused_with_their_place(con, cell):
    v = check(con, f"territoire;annee;valeur\n09225;2020;{cell}\n".encode())
    assert [(p.line, p.column) for p in v.blocking][:1] == [(2, "valeur")]
    assert v.blocking[0].message.startswith("valeur hors limites"), v.blocking[0]


# ---------------------------------------------------------------- writes
def test_completing_an_existing_indicator_works_end_to_end_from_the_command_line(db_copy, tmp_path):
    csv = tmp_path / "pop.csv"
    csv.write_text("territoire;annee;valeur\n09225;2024;15800\n09122;2024;9600\n")
    out = subprocess.run([sys.executable, "-m", "indicators", "--db", str(db_copy), "import", str(csv),
                          "--indicator", "population"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    c = store.connect_readonly(db_copy)
    assert c.execute("SELECT value FROM observation WHERE territory = 'COM:09225' AND indicator = 'population' "
                     "AND year = 2024").fetchall() == [(15800.0,)]


def test_two_users_declaring_the_same_indicator_get_a_french_message(con, db_copy):
    data = b"territoire;annee;valeur\n09225;2020;3\n"
    first = check(con, data)
    second = check(con, data + b"09122;2020;4\n")  # another file, validated before the first was written
    ingest.write(first, NEW, path=db_copy)
    with pytest.raises(ImportProblem, match="existe déjà"):
        ingest.write(second, NEW, path=db_copy)


def test_the_same_file_twice_says_already_imported_through_validation(con, db_copy):
    data = b"territoire;annee;valeur\n09225;2020;3\n"
    ingest.write(check(con, data), NEW, path=db_copy)
    again = ingest.validate(store.connect_readonly(db_copy), ingest.load(data, "autre_nom.csv"), NEW)
    assert again.problems == [] and again.already is not None and again.already[1] == "f.csv"


def test_a_full_disk_leaves_no_partial_copy_and_says_so(db_copy, monkeypatch):
    def full(src, dst, *args, **kwargs):
        with open(dst, "wb") as fh:
            fh.write(b"x" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(DatabaseWriteFailed, match="disque plein"), store.replacing(db_copy):
        pass
    assert not list(db_copy.parent.glob(f".{db_copy.name}.*"))


def test_a_read_only_folder_says_so(db_copy, monkeypatch):
    import builtins

    real_open = builtins.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    with pytest.raises(DatabaseWriteFailed, match="lecture seule"), store.replacing(db_copy):
        pass


def test_a_killed_writers_journal_is_never_replayed(db_copy):
    stale = db_copy.with_name(f".{db_copy.name}.{12345}.tmp.wal")
    stale.write_bytes(b"journal of a killed writer")
    with store.replacing(db_copy) as c:
        c.execute("SELECT 1").fetchall()
    assert not stale.exists()


def test_private_copies_are_named_uniquely(db_copy):
    names = []
    for _ in range(2):
        with store.replacing(db_copy):
            names += [p.name for p in db_copy.parent.glob(f".{db_copy.name}.*.tmp")]
    assert len(names) == 2 and names[0] != names[1]


@pytest.mark.parametrize("damage", ["truncate", "checksum"])
def test_a_damaged_database_gives_the_rebuild_command_on_the_command_line(db_copy, damage):
    if damage == "truncate":
        with open(db_copy, "r+b") as fh:
            fh.truncate(db_copy.stat().st_size // 2)
    else:
        with open(db_copy, "r+b") as fh:
            for offset in range(8192, db_copy.stat().st_size, 262_144):
                fh.seek(offset)
                fh.write(b"\xde\xad\xbe\xef" * 16)
    out = subprocess.run([sys.executable, "-m", "indicators", "--db", str(db_copy), "export", "--group",
                          "cci-midi-pyrenees", "--indicators", "population", "--out", str(db_copy) + ".zip"],
                         capture_output=True, text=True, timeout=120)
    assert "Traceback" not in out.stderr
    assert out.returncode == 2 and "make data" in out.stderr, out.stderr


def test_unknown_database_states_are_french(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="introuvable"):
        store.connect_readonly(tmp_path / "absent.duckdb")


def test_group_names_refuse_markup(db_copy):
    from indicators import territories

    with pytest.raises(territories.GroupProblem, match="caractères non admis"):
        territories.save_group(PAYLOADS[6], ["COM:09225"], 2020, path=db_copy)
    assert territories.save_group("Bastides d'Ariège (test)", ["COM:09225"], 2020, path=db_copy)


def test_a_value_column_named_after_the_indicator_is_understood(con):
    v = check(con, "territoire;année;Ouvertures de commerces\n09225;2022;12\n".encode())
    assert v.blocking == [] and v.observations["value"].tolist() == [12.0]


def test_two_candidate_value_columns_name_the_column_to_rename(con):
    with pytest.raises(ImportProblem, match=r"renommez en « valeur » la colonne qui porte les chiffres "
                                            r"\(« ouvertures », « fermetures »\)"):
        ingest.load("territoire;année;ouvertures;fermetures\n09225;2022;12;3\n".encode(), "f.csv")


def test_france_is_named_by_its_scope(con):
    deaths = store.series(con, ["FR"], ["deaths"])
    yearly = deaths[deaths["period_start"] == deaths["year"]]
    span = deaths[deaths["period_start"] != deaths["year"]]
    assert set(yearly["territory_label"]) == {"France métropolitaine"}  # summed from the 96 départements
    assert set(span["territory_label"]) == {"France"}  # summed from every commune (Mayotte aside)
    table = export.series_table(deaths)
    births = store.series(con, ["FR"], ["births"])  # births yearly come from every commune: France
    assert set(births["territory_label"]) == {"France"}
    assert set(table["territoire"]) == {"France", "France métropolitaine"}


def test_the_long_format_indicator_column_takes_ids_and_labels(con, db_copy):
    body = ("territoire;indicateur;année;valeur\n09225;population;2024;15800\n"
            "09122;Population municipale;2024;9600\n09225;inconnu;2024;1\n")
    v = check(con, body.encode(), decl=ingest.Declaration(id="population"))
    assert sorted(v.observations["indicator"]) == ["population", "population"]
    assert [str(p) for p in v.blocking] == [
        "ligne 4, colonne « indicateur » : indicateur inconnu : déclarez-le dans le formulaire ou corrigez son nom "
        "(valeur : « inconnu »)"]


def test_a_declared_indicator_is_checked_before_anything_is_read(con):
    known = store.indicators(con).set_index("id")
    bad = ingest.Declaration(id="population", label="Population municipale", unit="", kind="autre", source="",
                             is_new=True)
    messages = [p.message for p in ingest.check_declaration(known, bad)]
    assert messages == [
        "l'indicateur « Population municipale » existe déjà : choisissez « Compléter un indicateur existant » pour y "
        "ajouter des valeurs.",
        "le champ « unité » est obligatoire.", "le champ « source » est obligatoire.",
        "nature inconnue « autre » (effectif, taux ou niveau)."]


def test_public_mode_refuses_every_write_in_the_library(db_copy, monkeypatch):
    from indicators.errors import ReadOnlyMode

    monkeypatch.setenv("OBS_MODE", "public")
    with pytest.raises(ReadOnlyMode, match="lecture seule"), store.replacing(db_copy):
        pass


@pytest.mark.parametrize("name,value,expected", [("OBS_MAX_UPLOAD_MB", "abc", "n'est pas un nombre"),
                                                 ("OBS_MAX_UPLOAD_MB", "inf", "attendu entre"),
                                                 ("OBS_MODE", "admin", "valeurs possibles : edition, public")])
def test_a_bad_setting_is_named_in_french(monkeypatch, name, value, expected):
    from indicators.config import ConfigError, settings

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=expected):
        settings()


def test_a_long_hostile_legend_name_is_cut_before_it_is_escaped():
    label = "x" * 38 + "<b>gras</b>"  # the cut falls inside what would be an entity once escaped
    series = pd.DataFrame({"territory": ["COM:1"] * 2, "territory_label": [label] * 2, "level": "COM",
                           "period_start": [2020, 2021], "year": [2020, 2021], "value": [1.0, 2.0], "flag": None})
    name = charts.trend_chart(series, charts.ChartSpec(title="t", unit="u", source="s")).data[0].name
    assert name == "x" * 38 + "&lt;…" and "<" not in name
