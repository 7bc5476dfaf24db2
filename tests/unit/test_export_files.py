"""Open what was exported and check it: images, data equal to the store's, the review pack and its PDF."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from indicators import charts, export, store, territories

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def pilot_items(con):
    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    ids = ["population", "net_migration_rate", "co2_ets_per_inhabitant"]
    return export.pack_items(con, codes, ids, 2012, 2021, True,
                             export.pack_permalink(codes, "cci-midi-pyrenees", 2012, 2021), subtitle="Sites pilotes")


def test_png_is_print_quality_and_not_blank(con):
    series = store.series(con, ["COM:12202"], ["population"])
    spec = charts.ChartSpec(title="Population municipale", unit="habitants", source="Source : Insee (test)")
    figure = charts.trend_chart(series, spec)
    stamped = export.stamp(figure, spec)
    assert stamped.layout.height == figure.layout.height + charts.TEXT_LINE  # one band more: the export line
    png = export.render(stamped, "png")
    image = Image.open(io.BytesIO(png))
    assert image.size == (2400, 2 * stamped.layout.height)  # 1 200 px wide at scale 2
    pixels = np.asarray(image.convert("L"))
    assert (pixels < 128).mean() > 0.005  # lines and text drawn, not an empty canvas


def test_svg_carries_title_source_date_and_permalink(con):
    series = store.series(con, ["COM:12202"], ["population"])
    spec = charts.ChartSpec(title="Population de Rodez", unit="habitants", source="Source : Insee, populations légales",
                            permalink="http://localhost:8501/evolutions?t=COM:12202")
    svg = export.render(export.stamp(charts.trend_chart(series, spec), spec), "svg", scale=1).decode()
    for text in ("Population de Rodez", "Source : Insee, populations légales", "Exporté le",
                 "http://localhost:8501/evolutions?t=COM:12202"):
        assert text in svg


def test_csv_values_equal_the_store(con):
    series = store.series(con, ["COM:09225", "FR"], ["net_migration_rate"])
    table = export.series_table(series)
    back = pd.read_csv(io.BytesIO(export.to_csv(table)), sep=";", decimal=",", encoding="utf-8-sig")
    expected = con.execute("""SELECT value FROM observation WHERE indicator = 'net_migration_rate'
                              AND territory IN ('COM:09225', 'FR') ORDER BY territory, year, period_start""").fetchall()
    assert back.sort_values(["code", "fin", "début"])["valeur"].tolist() == pytest.approx([v[0] for v in expected])


def test_review_zip_has_a_folder_per_indicator_and_metadata(pilot_items):
    data = export.review_zip(pilot_items, "Dossier d'évaluation : sites pilotes", "Sites pilotes")
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    for n, ind in enumerate(["population", "net_migration_rate", "co2_ets_per_inhabitant"], start=1):
        for f in ("graphique.png", "graphique.svg", "donnees.csv", "donnees.xlsx"):
            assert f"{n:02d}_{ind}/{f}" in names
    meta = json.loads(zf.read("metadata.json"))
    assert [i["id"] for i in meta["indicateurs"]] == ["population", "net_migration_rate", "co2_ets_per_inhabitant"]
    assert all(i["lien"].startswith("http") and i["source"].startswith("Source") for i in meta["indicateurs"])
    readme = zf.read("README.txt").decode()
    assert "Règle d'agrégation" in readme and "jamais zéro" in readme
    wb = openpyxl.load_workbook(io.BytesIO(zf.read("02_net_migration_rate/donnees.xlsx")))
    assert wb.sheetnames == ["données", "métadonnées"]
    assert wb["données"].max_row > 8


def test_review_pdf_pages_and_titles(pilot_items):
    pdf = PdfReader(io.BytesIO(export.review_pdf(pilot_items, "Dossier d'évaluation : sites pilotes", "Sites pilotes")))
    tables = sum(-(-max(len(it.table), 1) // export.TABLE_ROWS) for it in pilot_items)
    assert len(pdf.pages) == 1 + 3 + tables + 1
    text = "\n".join(p.extract_text() for p in pdf.pages)
    for title in ("Population municipale", "Taux de nouveaux résidents", "Émissions SEQE-UE par habitant",
                  "Sources et licences", "Dossier d'évaluation"):
        assert title in text


def test_formula_looking_territory_name_is_neutralised_in_the_pack():
    fake = pd.DataFrame({"territory": ["COM:00000", "COM:00000"], "territory_label": ["=cmd|' /C calc'!A0"] * 2,
                         "level": ["COM"] * 2, "indicator": ["x"] * 2, "period_start": [2020, 2021],
                         "year": [2020, 2021], "value": [1.0, 2.0], "flag": [None, None]})  # synthetic
    spec = charts.ChartSpec(title="Test", unit="u", source="Source : test synthétique")
    item = export.PackItem(store.IndicatorRow.of({"id": "x", "label": "Test", "unit": "u", "kind": "count",
                                                  "definition": "d", "rule": "r", "source": "s", "licence": "l",
                                                  "vintage": "v", "caution": None}),
                           charts.trend_chart(fake, spec), spec, export.series_table(fake, spec))
    zf = zipfile.ZipFile(io.BytesIO(export.review_zip([item], "Dossier test", "Test")))
    text = zf.read("01_x/donnees.csv").decode("utf-8-sig")
    assert "'=cmd" in text and ";=cmd" not in text
    sheet = openpyxl.load_workbook(io.BytesIO(zf.read("01_x/donnees.xlsx")))["données"]
    assert sheet["B2"].value == "'=cmd|' /C calc'!A0"


def test_command_line_pack_of_an_unknown_group_is_refused_in_french(tmp_path):
    """(The command line's pack itself is read page by page in test_export_visual.)"""
    bad = subprocess.run([sys.executable, "-m", "indicators", "export", "--group", "nope", "--indicators", "population",
                          "--out", str(tmp_path / "x.zip")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "groupe inconnu « nope »" in bad.stderr


@pytest.fixture(scope="module")
def evaluated_items(con):
    from indicators import assessment

    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    return export.pack_items(con, codes, ["births", "net_migration_rate"], 2008, 2024, False,
                             export.pack_permalink(codes, "cci-midi-pyrenees", 2008, 2024), subtitle="Sites pilotes",
                             group=assessment.group_in_base(con, "cci-midi-pyrenees"))


def test_a_programme_pack_has_an_evaluation_section_per_indicator(evaluated_items):
    births, migration = evaluated_items
    assert [c[0] for c in births.evaluation.charts] == ["groupe_comparaison", "evenement", "placebo",
                                                         "ecarts_standardises"]
    # no yearly series at these levels: the census spans answer, without an event study
    assert [c[0] for c in migration.evaluation.charts] == ["groupe_comparaison", "placebo", "ecarts_standardises"]
    numbers = migration.evaluation.numbers.set_index("libellé")["valeur"]
    assert numbers["Part de la dernière période après le début"] == 50
    zf = zipfile.ZipFile(io.BytesIO(export.review_zip(evaluated_items, "Dossier", "Sites pilotes")))
    names = zf.namelist()
    for f in ("evenement.png", "evenement.svg", "evenement.csv", "placebo.png", "placebo.csv", "chiffres.csv",
              "comparaison.csv", "exclusions.csv", "equilibre.csv", "membres.csv", "LISEZMOI.txt"):
        assert f"01_births/evaluation/{f}" in names
    assert len(set(names)) == len(names)  # no file written twice
    placebo = pd.read_csv(io.BytesIO(zf.read("01_births/evaluation/placebo.csv")), sep=";", decimal=",")
    assert len(placebo) == 1000 and placebo["difference_de_differences"].std() > 0
    figures = pd.read_csv(io.BytesIO(zf.read("01_births/evaluation/chiffres.csv")), sep=";", dtype={"valeur": str})
    assert all(len(v.split(",")[-1]) <= 3 for v in figures["valeur"].dropna())  # rounded, never 16 decimals
    exclusions = pd.read_csv(io.BytesIO(zf.read("01_births/evaluation/exclusions.csv")), sep=";")
    assert "CA Gaillac-Graulhet" in set(exclusions["territoire"])
    readme = zf.read("01_births/evaluation/LISEZMOI.txt").decode()
    assert readme.splitlines()[2] == births.evaluation.verdict.headline  # the verdict first
    assert "Ce que l'on peut dire :" in readme and "Ce que l'on ne peut pas dire :" in readme
    assert "Début retenu : 2016, année supposée : non publiée par la CCI" in readme
    assert "Méthode :" in readme and "pas une preuve d'effet" in readme
    assert readme.rstrip().endswith("/comparer?g=cci-midi-pyrenees&vue=effet&indicateur_effet=births")
    pdf = PdfReader(io.BytesIO(export.review_pdf(evaluated_items, "Dossier", "Sites pilotes")))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert text.count("Évaluation : ") >= 2 and "étude d'événement" in text and "tirés au hasard" in text
    assert "territoires de comparaison" in text and "territoires écartés du vivier" in text


def test_an_indicator_the_members_lack_says_why_and_shows_their_departements_instead(con):
    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    item = export.pack_items(con, codes, ["business_creations"], 2012, 2021, True, lambda i, r: "")[0]
    assert item.gap.startswith("Créations d'entreprises : donnée non disponible pour ces territoires sur 2012–2021")
    assert "À la place, ce qui existe : les départements des membres" in item.gap
    shown = set(item.table["territoire"])
    assert shown == {"Ariège (09) (département d'un membre)", "Aveyron (12) (département d'un membre)",
                     "Haute-Garonne (31) (département d'un membre)", "Hautes-Pyrénées (65) (département d'un membre)",
                     "Tarn (81) (département d'un membre)", "Tarn-et-Garonne (82) (département d'un membre)"}
    ariege = item.table[(item.table["code"] == "DEP:09") & (item.table["fin"] == 2021)]["valeur"].iloc[0]
    assert ariege == con.execute("SELECT value FROM observation WHERE territory = 'DEP:09' AND indicator = "
                                 "'business_creations' AND year = 2021 AND period_start = 2021").fetchone()[0]
    readme = export._readme(export._metadata([item], "Test", "Test"))
    assert item.gap in readme


def test_more_than_four_members_get_one_panel_each_with_their_own_references(con):
    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    item = export.pack_items(con, codes, ["net_migration_rate"], 2012, 2021, True, lambda i, r: "")[0]
    fig = item.figure
    panels = [a.text for a in fig.layout.annotations if a.name != "source"][:8]
    assert len(panels) == 8 and "Pamiers (09)" in panels and "Lourdes (65)" in panels
    axes = {t.xaxis for t in fig.data}
    assert len(axes) == 8  # a panel per member
    lourdes = next(i for i, a in enumerate(panels) if a == "Lourdes (65)")
    axis = "x" if lourdes == 0 else f"x{lourdes + 1}"
    spans = sorted((t.x[0], t.x[1], round(t.y[0], 1)) for t in fig.data
                   if t.xaxis == axis and "(référence)" not in t.name and len(t.x) == 2)
    assert spans == [(2008, 2013, -5.2), (2013, 2018, -11.6), (2013, 2019, -8.7)]  # every span, labelled by its period
    names = {t.name for t in fig.data if t.showlegend is not False}
    assert {"2008–2013", "2013–2018", "2013–2019", "Occitanie (référence)"} <= names
    lo, hi = fig.layout.yaxis.range
    assert lo < -11.6 and hi > 12.1  # one scale holds every panel


def test_counts_in_panels_get_a_scale_each_and_say_so(con):
    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    fig = export.pack_items(con, codes, ["population"], 2012, 2021, True, lambda i, r: "")[0].figure
    assert "Échelle propre à chaque panneau" in {t.name for t in fig.data}
    assert all(len(t.name or "") <= charts.LEGEND_CHARS for t in fig.data)  # each fits its legend column
    assert fig.layout.yaxis2.matches is None and fig.layout.yaxis.range is None  # each panel its own range


def test_a_departement_in_panels_keeps_its_region_as_reference(con):
    codes = ["DEP:09", "DEP:12", "DEP:31", "DEP:65", "DEP:81"]
    fig = export.pack_items(con, codes, ["net_migration_rate"], 2012, 2021, True, lambda i, r: "")[0].figure
    first_panel = {t.name for t in fig.data if t.xaxis == "x"}
    assert "Occitanie (référence)" in first_panel  # the région, not only France


def test_a_pack_s_subject_fits_its_title_line_and_names_what_it_leaves_out():
    names = ["Foix-Pamiers (zone d'emploi)", "Rodez (zone d'emploi)", "Rodez (bassin de vie)", "Pamiers (unité urbaine)"]
    assert export.pack_subject(names[:2]) == "Foix-Pamiers (zone d'emploi), Rodez (zone d'emploi)"
    assert export.pack_subject(names) == "Foix-Pamiers (zone d'emploi) et 3 autres territoires"
    assert export.pack_subject(["Foix (09)", *names[:3]]) == \
        "Foix (09), Foix-Pamiers (zone d'emploi) et 2 autres territoires"
    assert export.pack_subject([names[0], "Communauté d'agglomération du Grand Rodez et environs (12)"]) == \
        "Foix-Pamiers (zone d'emploi) et 1 autre territoire"
    assert len(export.pack_title(export.pack_subject([f"Commune n° {i} (31)" for i in range(40)]))) <= 95
    assert export.pack_subject(names, "Sites pilotes") == "Sites pilotes"


def test_the_pack_s_command_line_is_the_pack_chosen_and_runs(tmp_path):
    """The Exporter page prints the command that rebuilds its pack: the chosen territories (or group),
    indicators, years and references, and nothing a hostile id could smuggle in."""
    command = export.pack_command(None, ["ZE:7612", "COM:09225"], ["population"], 2012, 2021, False)
    assert command == ("python -m indicators export --territories ZE:7612,COM:09225 --indicators population "
                       "--from 2012 --to 2021 --no-references --out dossier.zip")
    assert export.pack_command("cci-midi-pyrenees", [], ["births", "x;rm -rf /", "`id`"], 2016, 2024, True) == (
        "python -m indicators export --group cci-midi-pyrenees --indicators births --from 2016 --to 2024 "
        "--out dossier.zip")
    many = ["ZE:7612", "COM:09225", "COM:09122", "BV:12202", "UU:09401", "AAV:199"]
    args = export.pack_command(None, many, ["population"], 2012, 2021, False).split()[3:-1]
    run = subprocess.run([sys.executable, "-m", "indicators", *args, str(tmp_path / "dossier.zip")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "dossier.zip") as zf:
        assert "01_population/donnees.csv" in zf.namelist()
        csv = zf.read("01_population/donnees.csv").decode("utf-8-sig")
        readme = zf.read("README.txt").decode("utf-8")
    assert "ZE:7612;Foix-Pamiers (zone d'emploi)" in csv and "REG:76" not in csv  # no references, as asked
    # The title is shortened to its line; the README still names every territory.
    title, listed = readme.splitlines()[0], next(x for x in readme.splitlines() if x.startswith("Territoires : "))
    assert title.startswith("Dossier d'évaluation : ") and title.endswith(" et 4 autres territoires")
    assert all(name in listed for name in ("Foix (09)", "Pamiers (09)", "Foix-Pamiers (zone d'emploi)",
                                           "Rodez (bassin de vie)", "Pamiers (unité urbaine)",
                                           "Pamiers (aire d'attraction)"))


def test_text_pages_never_leave_a_heading_alone_at_the_foot():
    from indicators import export

    lines = [f"ligne {i}" for i in range(export.PAGE_LINES - 1)] + ["Méthode :", "• première ligne de méthode"]
    pages = export._text_pages("Titre", lines)
    assert len(pages) == 2
    texts = [p.layout.annotations[0].text for p in pages]
    assert "Méthode :" not in texts[0] and "Méthode :" in texts[1] and "première ligne" in texts[1]


def test_pack_files_are_named_after_their_subject_and_day_and_the_pdf_carries_its_title():
    import datetime
    import io

    from pypdf import PdfReader

    from indicators import export

    name = export.pack_filename("Sites pilotes du management de centre-ville (CCI Midi-Pyrénées)", "pdf",
                                datetime.date(2026, 12, 8))
    assert name == "dossier_sites-pilotes-du-management-de-centre-ville-cci-midi_2026-12-08.pdf"
    assert export.pack_filename("«»", "zip", datetime.date(2026, 12, 8)) == "dossier_territoires_2026-12-08.zip"
    titled = export._titled(_one_page_pdf(), "Dossier d'évaluation : Foix (09)", "Foix (09)")
    meta = PdfReader(io.BytesIO(titled)).metadata
    assert meta.title == "Dossier d'évaluation : Foix (09)" and meta.subject == "Foix (09)"


def _one_page_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_sources_page_names_each_dataset_once_with_its_licence_and_vintage(con):
    from types import SimpleNamespace

    from indicators import export, store

    items = [SimpleNamespace(indicator=store.indicator(con, i)) for i in ("births", "net_migration_rate")]
    lines = export.sources_lines(items)
    text = "\n".join(lines)
    assert "millésime millésimes" not in text and text.count("comparateur de territoires 2022") == 1
    comparator = next(x for x in lines if "comparateur de territoires 2022" in x)
    assert comparator.count("Licence Ouverte") == 1 and "Pour : Naissances, Taux de nouveaux résidents." in comparator
