"""Points that users bring (shops opened or closed, the programme's actions…): read like an indicator
import, validated first with located French messages, written in one transaction with the counts
they make per commune, year and category (rolled up to every level by sums), undone as a whole."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import geo, store, tabular, text, years
from .errors import HasProblems, ImportProblem, Problem
from .format import decimal_convention, fr_number, parse_number
from .ingest import declare_indicator, find_column, log_import, next_import, ready_to_write
from .territories import slug
from .paths import SOURCES_DIR

COLUMNS = {
    "lat": ("latitude", "lat"),
    "lon": ("longitude", "lon", "lng", "long"),
    "x": ("x", "x_l93", "lambert93_x", "x_lambert93"),
    "y": ("y", "y_l93", "lambert93_y", "y_lambert93"),
    "category": ("categorie", "category", "type", "nature"),
    "date": ("date", "annee", "year"),
    "label": ("libelle", "nom", "label", "enseigne"),
    "commune": ("commune", "code_commune", "insee", "code_insee", "codgeo"),
}
# Metropolitan France and the overseas départements, generously: a point outside is flagged.
FRANCE_BOXES = ((41.0, 51.6, -5.8, 10.0), (15.8, 16.6, -61.9, -60.9), (14.3, 15.0, -61.3, -60.7),
                (2.0, 6.0, -54.7, -51.5), (-21.5, -20.8, 55.1, 55.9), (-13.1, -12.6, 44.9, 45.4))
L93 = (0.0, 1_300_000.0, 6_000_000.0, 7_200_000.0)  # x, y bounds of Lambert-93 over France
MAX_POINTS = 100_000  # points of one file


@dataclass
class PointsChecked(HasProblems):
    file: str
    sha256: str
    points: pd.DataFrame            # lat, lon, category, year, date, label, commune, line
    problems: list[Problem] = field(default_factory=list)


def read(data: bytes, file: str, sheet: str | None = None) -> pd.DataFrame:
    """The file as text cells, bounded like every import (size, rows, columns, cells)."""
    return tabular.read_table(data, file, sheet, frozenset(n for names in COLUMNS.values() for n in names))


def check(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str, data: bytes) -> PointsChecked:
    """Every point checked where it is: coordinates (WGS84 or Lambert-93), category, date, commune."""
    found = {role: find_column([str(c) for c in frame.columns], names) for role, names in COLUMNS.items()}
    problems: list[Problem] = []
    sha = hashlib.sha256(data).hexdigest()
    wgs = found["lat"] and found["lon"]
    l93 = found["x"] and found["y"]
    if not (wgs or l93):
        problems.append(Problem(f"colonnes de coordonnées introuvables : il faut « latitude » et « longitude » "
                                f"(WGS84) ou « x » et « y » (Lambert-93). Colonnes lues : {', '.join(map(str, frame.columns))}."))
    for role, name in (("category", "catégorie"), ("date", "date")):
        if not found[role]:
            problems.append(Problem(f"colonne « {name} » introuvable (colonnes lues : {', '.join(map(str, frame.columns))})."))
    if problems:
        return PointsChecked(file, sha, pd.DataFrame(), problems)
    if len(frame) > MAX_POINTS:
        return PointsChecked(file, sha, pd.DataFrame(), [Problem(
            f"trop de points : {fr_number(len(frame))} (au plus {fr_number(MAX_POINTS)} par fichier). Découpez-le.")])
    cells = frame.map(_cell_text)
    a, b = (found["lat"], found["lon"]) if wgs else (found["x"], found["y"])
    conv_a, conv_b = decimal_convention(cells[a]), decimal_convention(cells[b])
    first = np.array([parse_number(v, conv_a) if v.strip() else None for v in cells[a]], dtype=float)
    second = np.array([parse_number(v, conv_b) if v.strip() else None for v in cells[b]], dtype=float)
    lines = np.array(tabular.line_numbers(frame))  # each point's line in the file
    bad = np.isnan(first) | np.isnan(second)
    for i in np.flatnonzero(bad)[:20]:
        column, value = (a, cells[a].iloc[i]) if np.isnan(first[i]) else (b, cells[b].iloc[i])
        problems.append(Problem("coordonnée manquante" if not value.strip() else "coordonnée illisible",
                                line=int(lines[i]), column=column, value=value[:60] if value.strip() else None))
    if bad.sum() > 20:
        problems.append(Problem(f"… et {fr_number(int(bad.sum()) - 20)} autre(s) coordonnée(s) manquante(s) ou illisible(s)"))
    if l93 and not wgs:
        inside = (first >= L93[0]) & (first <= L93[1]) & (second >= L93[2]) & (second <= L93[3])
        for i in np.flatnonzero(~bad & ~inside)[:20]:
            problems.append(Problem(f"x = {cells[a].iloc[i]}, y = {cells[b].iloc[i]} n'est pas en Lambert-93 sur la "
                                    "France (x de 0 à 1 300 000 m, y de 6 000 000 à 7 200 000 m)", line=int(lines[i]), column=a))
        bad |= ~inside
        from pyproj import Transformer

        lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(first, second)
    else:
        lat, lon = first, second
        outside_range = ~bad & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
        for i in np.flatnonzero(outside_range)[:20]:
            problems.append(Problem(f"latitude {cells[a].iloc[i]}, longitude {cells[b].iloc[i]} : hors des bornes "
                                    "(latitude ±90, longitude ±180 ; colonnes inversées ?)", line=int(lines[i]), column=a))
        bad |= outside_range
    categories = cells[found["category"]].str.strip()
    for i in np.flatnonzero((categories == "").to_numpy())[:20]:
        problems.append(Problem("catégorie vide", line=int(lines[i]), column=found["category"]))
    if categories.nunique() > 20:  # said before each of 200 000 names is checked one by one
        return PointsChecked(file, sha, pd.DataFrame(), [*problems, Problem(
            f"{fr_number(categories.nunique())} catégories : 20 au plus (chacune devient un indicateur).",
            column=found["category"])])
    for category in sorted(set(categories) - {""}):
        message = text.check("category", category)
        if message:
            problems.append(Problem(message, column=found["category"], value=category[:60]))
    dates = cells[found["date"]].str.strip()
    years = dates.map(_year)
    for i in np.flatnonzero(years.isna().to_numpy())[:20]:
        problems.append(Problem(f"date illisible « {dates.iloc[i]} » (attendu : 2024-03-15, 15/03/2024 ou 2024)", line=int(lines[i]), column=found["date"]))
    points = pd.DataFrame({"lat": lat, "lon": lon, "category": categories, "year": years, "date": dates,
                           "label": cells[found["label"]].str.slice(0, 200) if found["label"] else "",
                           "stated": cells[found["commune"]].str.strip().str.zfill(5) if found["commune"] else "",
                           "line": lines})
    ok = ~bad & (categories != "").to_numpy() & years.notna().to_numpy()
    points = points[ok].reset_index(drop=True)
    problems += _place(points, file)
    return PointsChecked(file, sha, points, problems)


def _cell_text(value: object) -> str:
    """A cell as typed: a spreadsheet number without a spurious `.0`, the text « nan » kept as text."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return "" if value is None else str(value)


def _year(value: str) -> int | None:
    for pattern in (r"^(\d{4})-\d{2}-\d{2}", r"^\d{1,2}/\d{1,2}/(\d{4})$", r"^(\d{4})$"):
        m = re.match(pattern, value)
        if m and years.valid_data(int(m.group(1))):
            return int(m.group(1))
    return None


def _place(points: pd.DataFrame, file: str) -> list[Problem]:
    """The 2026 commune of each point (flagged when outside France or outside the stated commune)."""
    problems = []
    inside = np.zeros(len(points), dtype=bool)
    for south, north, west, east in FRANCE_BOXES:
        inside |= ((points["lat"] >= south) & (points["lat"] <= north) & (points["lon"] >= west)
                   & (points["lon"] <= east)).to_numpy()
    codes = [None] * len(points)
    if inside.any():
        shapes = geo.commune_shapes(SOURCES_DIR)
        located = geo.locate_points(points["lon"].to_numpy()[inside], points["lat"].to_numpy()[inside], shapes)
        for i, code in zip(np.flatnonzero(inside), located, strict=True):
            codes[i] = code
    points["commune"] = [f"COM:{c}" if c else None for c in codes]
    for row in points[points["commune"].isna()].head(20).itertuples():
        problems.append(Problem(f"point hors de France (latitude {row.lat:.5f}, longitude {row.lon:.5f}) : il ne "
                                "compte dans aucune commune", line=int(row.line), blocking=False))
    stated = points["stated"].astype(str)
    wrong = points[(stated != "") & points["commune"].notna() & ("COM:" + stated != points["commune"])]
    for row in wrong.head(20).itertuples():
        problems.append(Problem(f"le point tombe dans la commune {row.commune[4:]}, pas dans la commune indiquée "
                                f"{row.stated} : il est compté là où il tombe", line=int(row.line),
                                blocking=False))
    return problems


POINT_TABLES = """
CREATE TABLE IF NOT EXISTS point_layer(import_id INTEGER PRIMARY KEY, label VARCHAR, file VARCHAR, sha256 VARCHAR,
    imported_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS point(import_id INTEGER, lat DOUBLE, lon DOUBLE, category VARCHAR, year INTEGER,
    date VARCHAR, label VARCHAR, commune VARCHAR);
"""


def indicator_id(layer: str, category: str) -> str:
    return f"pts_{slug(layer, '_')[:30]}_{slug(category, '_')[:30]}"


def write(checked: PointsChecked, layer: str, accept_warnings: bool = False, path: Path | None = None) -> tuple[int, bool]:
    """Points, their layer and one count indicator per category (per commune and year, summed to
    EPCI, département, région and France), in one transaction. Same file again → no-op."""
    message = text.check("label", layer)
    if message:
        raise ImportProblem([Problem(message)], checked.file)
    ready_to_write(checked, checked.file, accept_warnings)
    placed = checked.points[checked.points["commune"].notna()]
    with store.replacing(path) as con:
        con.execute(POINT_TABLES)
        import_id, new = next_import(con, checked.sha256)
        if not new:
            return import_id, False
        ids = []
        for category in sorted(set(placed["category"])):
            ind = indicator_id(layer, category)
            if store.first(con, "SELECT 1 FROM indicator WHERE id = ?", [ind]):
                raise ImportProblem([Problem(f"la couche « {layer} » a déjà une catégorie « {category} » : "
                                             "annulez l'import précédent ou nommez autrement la couche.")], checked.file)
            ids.append(ind)
            _declare(con, ind, f"{category} ({layer})", f"Nombre de points « {category} » de la couche « {layer} » "
                     "par année.", checked.file)
        sign = placed["category"].map(_sign)
        balance = (sign > 0).any() and (sign < 0).any()
        if balance:  # openings and closings: the net balance a town-centre manager follows
            ids.append(indicator_id(layer, "solde"))
            _declare(con, ids[-1], f"Solde ouvertures − fermetures ({layer})",
                     f"Points « ouverture… » moins points « fermeture… » de la couche « {layer} », par année.",
                     checked.file)
        con.register("_pts", placed.assign(indicator=[indicator_id(layer, c) for c in placed["category"]]))
        con.execute("""INSERT INTO point SELECT ?, lat, lon, category, year, date, label, commune FROM _pts""",
                    [import_id])
        # Counts per commune and year, then the same summed to every parent of the commune.
        con.execute("""CREATE TEMP TABLE _counts AS SELECT commune AS territory, indicator, year, count(*)::DOUBLE AS n
                       FROM _pts GROUP BY ALL""")
        if balance:
            con.register("_signed", placed.assign(sign=sign)[["commune", "year", "sign"]])
            con.execute("INSERT INTO _counts SELECT commune, ?, year, sum(sign)::DOUBLE FROM _signed "
                        "WHERE sign <> 0 GROUP BY ALL", [indicator_id(layer, "solde")])
            con.unregister("_signed")
        con.execute("""INSERT INTO observation SELECT territory, indicator, year, year, n, NULL, ? FROM _counts""",
                    [import_id])
        con.execute("""INSERT INTO observation
                       SELECT c.parent, k.indicator, k.year, k.year, sum(k.n), NULL, ? FROM _counts k
                       JOIN composition c ON c.child = k.territory AND c.child_level = 'COM' GROUP BY ALL""",
                    [import_id])
        con.unregister("_pts")
        con.execute("INSERT INTO point_layer VALUES (?, ?, ?, ?, ?)",
                    [import_id, layer, checked.file, checked.sha256, datetime.now(UTC).replace(tzinfo=None)])
        log_import(con, import_id, checked.file, checked.sha256, len(placed), ",".join(ids))
    return import_id, True


def _sign(category: str) -> int:
    key = slug(category, "_")
    return 1 if key.startswith("ouverture") else -1 if key.startswith("fermeture") else 0


def _declare(con: duckdb.DuckDBPyConnection, ind: str, label: str, definition: str, file: str) -> None:
    declare_indicator(con, ind, label, "points", "count", 0, 0, definition,
                      "Communes où tombent les points, et leurs agrégats (sommes).",
                      "Points importés par un utilisateur : un point hors de France n'est compté nulle part.",
                      "Somme des territoires qui composent l'agrégat.", f"Source : {file} (points importés)",
                      "non précisée")


def of_communes(con: duckdb.DuckDBPyConnection, communes: list[str]) -> pd.DataFrame:
    """The imported points that fall in these communes (none when nothing was imported)."""
    if not communes or not store.has_table(con, "point"):
        return pd.DataFrame(columns=["lat", "lon", "category", "year", "label", "commune", "layer"])
    marks = ", ".join("?" * len(communes))
    return con.execute(f"""SELECT p.lat, p.lon, p.category, p.year, p.label, p.commune, l.label AS layer
                           FROM point p JOIN point_layer l USING (import_id) WHERE p.commune IN ({marks})""",
                       communes).df()
