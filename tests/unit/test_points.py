"""Points that users bring: each error with its exact message, Lambert-93, one transaction, undo,
the same file twice, and the counts they make per commune and level."""
from __future__ import annotations

import shutil

import pytest

from indicators import ingest, points, store
from indicators.errors import ImportProblem
from indicators.paths import db_path

# SYNTHETIC example (made-up shops at real places of Foix and Pamiers), as in the README's template.
SHOPS = """latitude;longitude;catégorie;date;libellé;commune
42,9653;1,6069;Ouverture de commerce;2024-03-15;Librairie du centre;09122
42,9660;1,6080;Ouverture de commerce;12/06/2024;Épicerie fine;09122
42,9649;1,6052;Fermeture de commerce;2024;Magasin de chaussures;09122
43,1167;1,6110;Ouverture de commerce;2023-09-01;Boulangerie;09225
""".encode()


@pytest.fixture()
def checked(con):
    return points.check(con, points.read(SHOPS, "commerces.csv"), "commerces.csv", SHOPS)


def test_a_valid_file_places_every_point_in_its_commune(checked):
    assert checked.problems == []
    assert checked.points["commune"].tolist() == ["COM:09122", "COM:09122", "COM:09122", "COM:09225"]
    assert checked.points["year"].tolist() == [2024, 2024, 2024, 2023]


def test_lambert93_coordinates_are_converted_to_wgs84(con):
    # Notre-Dame de Paris: x 652 469 m, y 6 861 660 m in Lambert-93 is 48,8532 N, 2,3522 E.
    data = "x;y;categorie;date\n652469;6861660;Événement;2024\n".encode()
    c = points.check(con, points.read(data, "l93.csv"), "l93.csv", data)
    assert c.problems == []
    assert c.points.loc[0, "lat"] == pytest.approx(48.85323, abs=1e-4)
    assert c.points.loc[0, "lon"] == pytest.approx(2.35224, abs=1e-4)
    assert c.points.loc[0, "commune"] == "COM:75056"


@pytest.mark.parametrize("content,message", [
    ("lat;lon;date\n43;1;2024\n", "colonne « catégorie » introuvable (colonnes lues : lat, lon, date)."),
    ("nom;categorie;date\nA;B;2024\n", "colonnes de coordonnées introuvables : il faut « latitude » et « longitude » "
                                      "(WGS84) ou « x » et « y » (Lambert-93). Colonnes lues : nom, categorie, date."),
    ("latitude;longitude;categorie;date\nabc;1,6;Ouverture;2024\n",
     "ligne 2, colonne « latitude » : coordonnée illisible (valeur : « abc »)"),
    ("latitude;longitude;categorie;date\nnan;1,6;Ouverture;2024\n",
     "ligne 2, colonne « latitude » : coordonnée illisible (valeur : « nan »)"),
    ("latitude;longitude;categorie;date\n;1,6;Ouverture;2024\n", "ligne 2, colonne « latitude » : coordonnée manquante"),
    ("latitude;longitude;categorie;date\n142;1,6;Ouverture;2024\n",
     "ligne 2, colonne « latitude » : latitude 142, longitude 1,6 : hors des bornes (latitude ±90, longitude ±180 ; "
     "colonnes inversées ?)"),
    ("latitude;longitude;categorie;date\n42,9;1,6;;2024\n", "ligne 2, colonne « categorie » : catégorie vide"),
    ("latitude;longitude;categorie;date\n42,9;1,6;Ouverture;hier\n",
     "ligne 2, colonne « date » : date illisible « hier » (attendu : 2024-03-15, 15/03/2024 ou 2024)"),
    ("x;y;categorie;date\n100;200;Ouverture;2024\n",
     "ligne 2, colonne « x » : x = 100, y = 200 n'est pas en Lambert-93 sur la France (x de 0 à 1 300 000 m, "
     "y de 6 000 000 à 7 200 000 m)"),
])
def test_each_blocking_error_says_what_and_where(con, content, message):
    data = content.encode()
    c = points.check(con, points.read(data, "f.csv"), "f.csv", data)
    assert [str(p) for p in c.blocking] == [message]


def test_points_outside_france_or_outside_the_stated_commune_are_flagged_not_blocking(con):
    data = b"latitude;longitude;categorie;date;commune\n40,4;-3,7;Ouverture;2024;\n42,9653;1,6069;Ouverture;2024;9225\n"
    c = points.check(con, points.read(data, "f.csv"), "f.csv", data)
    assert c.blocking == []
    assert [str(p) for p in c.warnings] == [
        "ligne 2 : point hors de France (latitude 40.40000, longitude -3.70000) : il ne compte dans aucune commune",
        "ligne 3 : le point tombe dans la commune 09122, pas dans la commune indiquée 09225 : il est compté là où il tombe"]


def test_write_counts_per_commune_and_level_undo_and_same_file_twice(con, checked, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), path)
    import_id, created = points.write(checked, "Commerces du centre", path=path)
    assert created
    c = store.connect_readonly(path)
    opened = points.indicator_id("Commerces du centre", "Ouverture de commerce")
    rows = dict(c.execute("SELECT territory || ' ' || year, value FROM observation WHERE indicator = ?", [opened]).fetchall())
    assert rows["COM:09122 2024"] == 2 and rows["COM:09225 2023"] == 1
    assert rows["DEP:09 2024"] == 2 and rows["REG:76 2023"] == 1 and rows["FR 2024"] == 2  # summed to every level
    assert c.execute("SELECT label FROM indicator WHERE id = ?", [opened]).fetchone()[0] == \
        "Ouverture de commerce (Commerces du centre)"
    balance = dict(c.execute("SELECT territory || ' ' || year, value FROM observation WHERE indicator = ?",
                             [points.indicator_id("Commerces du centre", "solde")]).fetchall())
    assert balance["COM:09122 2024"] == 1 and balance["COM:09225 2023"] == 1 and balance["DEP:09 2024"] == 1
    assert len(points.of_communes(c, ["COM:09122"])) == 3
    c.close()
    assert points.write(checked, "Commerces du centre", path=path) == (import_id, False)  # the same file: nothing
    assert ingest.undo(import_id, path=path) > 0
    c = store.connect_readonly(path)
    assert c.execute("SELECT count(*) FROM observation WHERE indicator LIKE 'pts_%'").fetchone()[0] == 0
    assert points.of_communes(c, ["COM:09122"]).empty


def test_blocking_problems_write_nothing(con, tmp_path):
    data = b"latitude;longitude;categorie;date\nabc;1,6;Ouverture;2024\n"
    c = points.check(con, points.read(data, "f.csv"), "f.csv", data)
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), path)
    before = path.stat().st_mtime_ns
    with pytest.raises(ImportProblem, match="coordonnée illisible"):
        points.write(c, "Couche", path=path)
    assert path.stat().st_mtime_ns == before


def test_the_command_line_imports_points_and_says_what_is_wrong(tmp_path, capsys):
    from indicators import cli

    path = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), path)
    good, bad = tmp_path / "commerces.csv", tmp_path / "faux.csv"
    good.write_bytes(SHOPS)
    bad.write_bytes(b"latitude;longitude;categorie;date\n42,9;1,6;Ouverture;hier\n")
    assert cli.main(["--db", str(path), "import-points", str(bad), "--layer", "Commerces"]) == 2
    assert "ERREUR ligne 2, colonne « date » : date illisible « hier »" in capsys.readouterr().out
    assert cli.main(["--db", str(path), "import-points", str(good), "--layer", "Commerces"]) == 0
    assert capsys.readouterr().out.strip() == "Import n° 1 : 4 points"
