"""Files people really have, and hostile ones: bounded by cells and values before any work, each refusal
in French with its place, nothing of a refused file kept. SYNTHETIC files built here."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from indicators import ingest, tabular
from indicators.errors import ImportProblem
from tests.fixtures.hostile import (ods, ods_cell, ods_repeating, ods_row, xlsx_pointing_at_a_missing_shared_string,
                                    xlsx_with_shared_string_used)

ROOT = Path(__file__).resolve().parents[2]


def peak_memory_of(code: str) -> tuple[float, str]:
    """Run `code` in a fresh interpreter; its peak resident memory (MB) and what it printed."""
    # VmHWM, not ru_maxrss: the latter survives exec and would report the parent's (a test worker's) peak
    script = textwrap.dedent(code) + ("\nprint('PEAK', next(line.split()[1] for line in open('/proc/self/status') "
                                      "if line.startswith('VmHWM')))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    peak = int(run.stdout.split("PEAK")[-1]) / 1024
    return peak, run.stdout


def test_a_shared_string_used_by_many_cells_is_refused_before_any_copy():
    data = xlsx_with_shared_string_used(45, 120)
    assert len(data) < 100_000  # a 47 KB workbook…
    with pytest.raises(ImportProblem, match="une cellule de texte dépasse 1\u202f000 caractères"):
        tabular.read_table(data, "piege.xlsx")
    peak, out = peak_memory_of("""
        from tests.fixtures.hostile import xlsx_with_shared_string_used
        from indicators import tabular
        data = xlsx_with_shared_string_used(45, 120)
        try:
            tabular.read_table(data, "piege.xlsx")
        except Exception as exc:
            print(type(exc).__name__)
    """)
    assert "ImportProblem" in out and peak < 200, f"{peak:.0f} Mo"  # …that naive reading takes to 5 GB


def test_an_opendocument_cell_repeated_a_million_times_is_refused_without_unfolding():
    data = ods_repeating(1000, 1000)
    assert len(data) < 2_000
    with pytest.raises(ImportProblem, match="trop de colonnes"):
        tabular.read_table(data, "piege.ods")
    with pytest.raises(ImportProblem, match="ses cellules répétées en font plus de"):
        tabular.read_table(ods_repeating(150, 50_000, 10), "piege.ods")
    peak, out = peak_memory_of("""
        from tests.fixtures.hostile import ods_repeating
        from indicators import tabular
        for cols, rows in ((1000, 1000), (150, 50_000)):
            try:
                tabular.read_table(ods_repeating(cols, rows, 900), "piege.ods")
            except Exception as exc:
                print(type(exc).__name__)
    """)
    assert out.count("ImportProblem") == 2 and peak < 200, f"{peak:.0f} Mo"


def test_an_opendocument_file_is_read_with_its_numbers_and_its_empty_tail():
    data = ods([ods_row(ods_cell("Ouvertures de commerces, 2022") + '<table:table-cell table:number-columns-repeated="1000"/>'),
                ods_row(ods_cell("territoire") + ods_cell("2022") + ods_cell("2023")
                        + '<table:table-cell table:number-columns-repeated="1021"/>'),
                ods_row(ods_cell("09225") + ods_cell(12.0) + ods_cell(14.5)),
                ods_row('<table:table-cell table:number-columns-repeated="1024"/>', 1_048_000)])
    frame = tabular.read_table(data, "ouvertures.ods", header_words=ingest.HEADER_WORDS)
    assert list(frame.columns) == ["territoire", "2022", "2023"]
    assert frame.iloc[0].tolist() == ["09225", 12.0, 14.5] and tabular.line_numbers(frame) == [3]
    assert tabular.sheet_names(data, "ouvertures.ods") == ["Feuille1"]


def test_a_cell_pointing_at_a_missing_shared_string_is_a_french_refusal():
    with pytest.raises(ImportProblem, match="classeur Excel endommagé : une cellule est illisible"):
        tabular.read_table(xlsx_pointing_at_a_missing_shared_string(), "abime.xlsx")


def test_a_title_above_the_header_is_skipped_and_lines_stay_those_of_the_file(con):
    data = ("Nombre de commerces ouverts en 2023;;\nSource : ville de Pamiers;;\n;;\n"
            "territoire;année;valeur\n09225;2023;12\n09122;2023;x\n").encode()
    prepared = ingest.load(data, "titre.csv")
    checked = ingest.validate(con, prepared, ingest.Declaration(id="user_t", label="T", unit="u", source="s", is_new=True))
    assert [str(p) for p in checked.blocking] == ["ligne 6, colonne « valeur » : valeur non numérique (valeur : « x »)"]
    assert checked.observations["territory"].tolist() == ["COM:09225"]


def test_utf16_text_from_excel_is_read():
    data = "territoire\tannée\tvaleur\r\n09225\t2023\t12\r\n".encode("utf-16")
    frame = tabular.read_table(data, "unicode.txt", header_words=ingest.HEADER_WORDS)
    assert frame.to_dict("records") == [{"territoire": "09225", "année": "2023", "valeur": "12"}]


def test_a_wide_file_is_bounded_by_its_cells_before_it_is_parsed():
    header = "territoire;" + ";".join(str(1900 + i) for i in range(198)) + "\n"
    data = (header + ("09225;" + ";".join("1" for _ in range(198)) + "\n") * 47_000).encode()
    assert len(data) < 20_000_000
    with pytest.raises(ImportProblem, match=r"fichier trop grand : environ 9\u202f\d{3}\u202f\d{3} cellules"):
        tabular.read_table(data, "large.csv")


def test_values_are_bounded_too():
    header = "territoire;" + ";".join(str(1900 + i) for i in range(110)) + "\n"
    data = (header + ("09225;" + ";".join("1" for _ in range(110)) + "\n") * 19_000).encode()
    with pytest.raises(ImportProblem, match=r"trop de valeurs : 2\u202f090\u202f000"):
        ingest.load(data, "large.csv")


def test_a_report_lists_a_thousand_problems_and_counts_the_rest(con):
    data = ("territoire;année;valeur\n" + "".join(f"09225;{1950 + i % 70};x{i}\n" for i in range(5_000))).encode()
    checked = ingest.validate(con, ingest.load(data, "x.csv"),
                              ingest.Declaration(id="user_t", label="T", unit="u", source="s", is_new=True))
    assert len(checked.problems) <= ingest.LISTED + 20
    said = [str(p) for p in checked.problems]
    assert said[0] == "ligne 2, colonne « valeur » : valeur non numérique (valeur : « x0 »)"
    assert "… et 4\u202f000 autre(s) du même type (valeur non numérique)" in said


def test_official_long_names_of_intercommunalities_are_found_and_unknown_ones_get_the_closest(con):
    data = ("territoire;année;valeur\nCommunauté urbaine de Dunkerque;2023;1\nValenciennes Métropole;2023;2\n"
            "Métropole Européenne de Lille;2023;3\nCommunauté d'agglomération du Grand Rodez;2023;4\nPamers;2023;5\n"
            ).encode()
    checked = ingest.validate(con, ingest.load(data, "epci.csv"),
                              ingest.Declaration(id="user_t", label="T", unit="u", source="s", is_new=True))
    assert checked.observations["territory"].tolist() == ["EPCI:245900428", "EPCI:245901160", "EPCI:200093201"]
    assert checked.suggested["Communauté d'agglomération du Grand Rodez"][0] == \
        ("EPCI:241200187", "CA Rodez Agglomération (intercommunalité, Aveyron (12))")
    assert checked.suggested["Pamers"][0] == ("COM:09225", "Pamiers (09) (commune)")
    said = [str(p) for p in checked.blocking]
    assert said[-1].endswith("territoire inconnu (code INSEE, SIREN ou nom attendu) ; le plus proche : Pamiers (09) "
                             "(commune) (valeur : « Pamers »)")
    # picked on the page, the name is settled without editing the file
    again = ingest.validate(con, ingest.load(data, "epci.csv"),
                            ingest.Declaration(id="user_t", label="T", unit="u", source="s", is_new=True),
                            {"Pamers": "COM:09225", "Communauté d'agglomération du Grand Rodez": "EPCI:241200187"})
    assert not again.blocking and len(again.observations) == 5


def test_typing_the_declaration_never_reads_the_rows_again(con, monkeypatch):
    data = ("territoire;année;valeur\n" + "".join(f"09225;{1950 + i};{i}\n" for i in range(60))).encode()
    prepared = ingest.load(data, "x.csv")
    calls = []
    original = ingest._assign_territories
    monkeypatch.setattr(ingest, "_assign_territories", lambda *a: calls.append(1) or original(*a))
    for label in ("O", "Ou", "Ouvertures"):
        ingest.validate(con, prepared, ingest.Declaration(id=ingest.slug_id(label), label=label, unit="u", source="s",
                                                          is_new=True))
    assert len(calls) == 1
    negative = ingest.load(b"territoire;annee;valeur\n09225;2022;-3\n", "n.csv")
    as_count = ingest.validate(con, negative, ingest.Declaration(id="user_n", label="N", unit="u", source="s", is_new=True))
    as_level = ingest.validate(con, negative, ingest.Declaration(id="user_n", label="N", unit="u", source="s",
                                                                 kind="level", is_new=True))
    assert [p.message for p in as_count.blocking] == ["effectif négatif"] and not as_level.blocking


@pytest.mark.parametrize("name, make, said", [
    ("entites.xlsx", "xlsx_entity_bomb()", "déclarations XML non admises (DOCTYPE ou ENTITY)"),
    ("imbrique.xlsx", "xlsx_deeply_nested()", "imbriqués sur plus de 64 niveaux"),
    ("masque.xlsx", "xlsx_deeply_nested(3_000_000, masked=True)", "une valeur d'attribut XML contient « /> »"),
    ("vides.xlsx", "xlsx_many_cells()", "plus de 2\u202f000\u202f000 cellules déclarées"),
    ("nombres.xlsx", "xlsx_many_cells(15_000, 200, b'<c><v>1</v></c>')", "plus de 2\u202f000\u202f000 cellules"),
])
def test_hostile_workbook_xml_is_refused_while_streaming_before_any_parser(name, make, said):
    """SYNTHETIC payloads of 40 to 200 KB that grew a server past 2 to 3 GB: refused from their bytes, in about
    a second at most, well under 200 MB, whatever reads the file next (openpyxl, calamine, pandas)."""
    from tests.fixtures import hostile

    data = eval(f"hostile.{make}", {"hostile": hostile})  # the fixtures' own builders, named above
    assert len(data) < 250_000
    with pytest.raises(ImportProblem, match=re.escape(said)):
        tabular.read_table(data, name)
    peak, out = peak_memory_of(f"""
        import time
        from tests.fixtures import hostile
        from indicators import tabular
        data = hostile.{make}
        t = time.process_time()
        try:
            tabular.read_table(data, "{name}")
        except Exception as exc:
            print("REFUSED", type(exc).__name__, round(time.process_time() - t, 2))
    """)
    assert "REFUSED ImportProblem" in out
    assert float(out.split("REFUSED ImportProblem")[1].split()[0]) < 2.0  # CPU seconds, on a loaded machine too
    assert peak < 400, f"{peak:.0f} MB"


def test_openpyxl_parses_with_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML


def test_an_entity_bomb_named_like_insee_s_population_file_is_refused_by_the_refresh(tmp_path):
    from indicators.refresh import census
    from indicators.refresh.layout import CheckFailed
    from tests.fixtures.hostile import xlsx_entity_bomb

    path = tmp_path / "base-pop-historiques-1876-2024.xlsx"
    path.write_bytes(xlsx_entity_bomb())
    with pytest.raises(CheckFailed, match="déclarations XML non admises"):
        census.read_populations(path)
