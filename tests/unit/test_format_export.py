"""French formats and exports that parse back to the same numbers, with formula cells neutralised."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd

from indicators import charts, export
from indicators.format import MISSING, NBSP, fr_datetime, fr_number, fr_numbers, fr_ordinal, fr_signed, period_label


def test_french_number_format():
    assert fr_number(12345.61, 1) == f"12{NBSP}345,6"
    assert fr_number(-4.06, 1) == "−4,1"
    assert fr_number(2103778) == f"2{NBSP}103{NBSP}778"
    assert fr_signed(3.2, 1) == "+3,2"


def test_missing_is_said_never_zero():
    assert fr_number(None) == MISSING == "donnée non disponible"
    assert fr_number(float("nan"), 2) == MISSING


def test_many_numbers_at_once_read_like_one_at_a_time():
    values = [1234567.891, -2.5, float("nan"), None, 0.0, 16473]
    assert fr_numbers(values, 1) == [fr_number(v, 1) for v in values]
    assert fr_numbers(values, 1)[2:4] == [MISSING, MISSING]


def test_ranks_read_as_french_ordinals():
    assert [fr_ordinal(r) for r in (1, 2, 605, 34963)] == ["1er", "2e", "605e", f"34{NBSP}963e"]


def test_build_time_reads_as_a_french_date():
    assert fr_datetime("2026-11-24T23:59:10+00:00") == "24/11/2026 à 23 h 59 (UTC)"
    assert fr_datetime(None) == MISSING


def test_period_labels():
    assert period_label(2018, 2018) == "2018"
    assert period_label(2013, 2018) == "2013–2018"


def _synthetic_series():
    return pd.DataFrame({
        "territory": ["COM:09225", "COM:09122", "COM:99999"],
        "territory_label": ["Pamiers (09)", "Foix (09)", "=HYPERLINK(\"http://x\")"],
        "indicator": ["net_migration_rate"] * 3,
        "period_start": [2013, 2013, 2013], "year": [2018, 2018, 2018],
        "value": [-4.06, 1234.5, None], "flag": [None, "estimé", None],
    })


def test_csv_french_and_international_parse_back_to_the_same_numbers():
    table = export.series_table(_synthetic_series())
    fr = export.to_csv(table, french=True)
    assert fr.startswith("\ufeff".encode())
    back_fr = pd.read_csv(io.BytesIO(fr), sep=";", decimal=",", encoding="utf-8-sig")
    back_int = pd.read_csv(io.BytesIO(export.to_csv(table, french=False)))
    assert back_fr["valeur"].tolist()[:2] == [-4.06, 1234.5] == back_int["valeur"].tolist()[:2]
    assert pd.isna(back_fr["valeur"].iloc[2])


def test_formula_looking_names_are_neutralised_in_csv_and_xlsx():
    table = export.series_table(_synthetic_series())
    back = pd.read_csv(io.BytesIO(export.to_csv(table)), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["territoire"].iloc[2] == "'=HYPERLINK(\"http://x\")"
    meta = charts.ChartSpec(title="+titre", source="s", licence="l", unit="u")
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(table, meta)))
    assert wb.sheetnames == ["données", "métadonnées"]
    names = [c.value for c in wb["données"]["B"]]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert wb["métadonnées"]["B2"].value == "'+titre"


def test_a_printed_link_breaks_only_after_question_mark_ampersand_or_comma():
    from indicators.charts import link_lines

    url = "http://h/evolutions?t=COM:82033,COM:09122,EPCI:241200187&i=population&vue=effet"
    lines = link_lines(url, width=30)
    assert "".join(lines) == url and all(line[-1] in "?&," for line in lines[:-1])
    assert lines == ["http://h/evolutions?", "t=COM:82033,COM:09122,", "EPCI:241200187&i=population&", "vue=effet"]
    assert link_lines("http://h/carte", 5) == ["http://h/carte"]  # a piece longer than the width stays whole


def test_on_screen_a_long_title_wraps_to_a_phone_while_exports_keep_their_width():
    series = pd.DataFrame({"territory": ["X"], "territory_label": ["Lieu"], "level": ["COM"], "indicator": ["x"],
                           "period_start": [2020], "year": [2020], "value": [1.0], "flag": [None]})  # synthetic
    title = "Variation de population (recensements, pour 1 000 habitants) : le groupe et sa comparaison"
    spec = charts.ChartSpec(title=title, unit="‰", source="Source : test", subtitle="Sous-titre de test")
    fig = charts.trend_chart(series, spec)
    screen = charts.for_screen(fig)
    lines = [line for line in screen.layout.title.text.split("<br>") if not line.startswith("<span")]
    assert " ".join(lines) == title and all(len(line) <= charts.SCREEN_TITLE for line in lines) and len(lines) == 3
    assert screen.layout.margin.t - fig.layout.margin.t == 2 * 24  # two more title lines, the band grows
    assert export.stamp(fig, spec).layout.title.text.split("<br>")[0] == title  # an export keeps one line
