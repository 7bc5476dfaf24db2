"""Reading a user's CSV or Excel file without trusting it: sizes, rows, columns and cell lengths are
bounded before any parsing, so a small hostile file (a 300 KB workbook that unpacks to gigabytes, a
million empty rows) is refused in well under a second instead of taking the server's memory.

Cells come back as text, except Excel numbers, which stay numbers: a float cell is never re-read
through a decimal convention."""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib

import pandas as pd

from .errors import ImportProblem, Problem
from .format import fr_number

MAX_ROWS = 200_000         # data rows of one file
MAX_COLUMNS = 200
MAX_CELL = 1_000           # characters in one cell
MAX_UNPACKED = 50_000_000  # bytes of XML inside a workbook, all parts together
MAX_PARTS = 500            # files inside a workbook
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def refuse(message: str, file: str, line: int | None = None, column: str | None = None,
           value: str | None = None) -> ImportProblem:
    return ImportProblem([Problem(message, line, column, value)], file)


def is_excel(file: str) -> bool:
    return file.lower().endswith((".xlsx", ".xlsm"))


# ---------------------------------------------------------------- Excel
def _parts(data: bytes, file: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise refuse("ce n'est pas un classeur Excel lisible (.xlsx).", file) from exc
    if len(infos) > MAX_PARTS:
        raise refuse(f"classeur refusé : {len(infos)} parties internes (au plus {MAX_PARTS}).", file)
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNPACKED:
        raise refuse(f"classeur refusé : il se décompresse en {fr_number(declared / 1e6)} Mo (au plus "
                     f"{fr_number(MAX_UNPACKED / 1e6)} Mo). Enregistrez les données utiles seules, ou en CSV.", file)
    return zf


def _streamed_size_and_rows(zf: zipfile.ZipFile, name: str, file: str) -> int:
    """Decompress one part in chunks, never beyond the limit (declared sizes can lie), counting rows."""
    total, rows, tail = 0, 0, b""
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            total += len(chunk)
            if total > MAX_UNPACKED:
                raise refuse(f"classeur refusé : une feuille dépasse {MAX_UNPACKED / 1e6:.0f} Mo une fois "
                             "décompressée.", file)
            rows += len(_ROW_TAG.findall(tail + chunk)) - len(_ROW_TAG.findall(tail))
            tail = chunk[-16:]
            if rows > MAX_ROWS + 1:
                raise refuse(f"trop de lignes : plus de {fr_number(MAX_ROWS)} (au plus {fr_number(MAX_ROWS)}). "
                             "Découpez le fichier.", file)
    return rows


def sheet_names(data: bytes, file: str = "classeur.xlsx") -> list[str]:
    from openpyxl import load_workbook

    _parts(data, file)
    try:
        return load_workbook(io.BytesIO(data), read_only=True).sheetnames
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise refuse(f"ce n'est pas un classeur Excel lisible ({type(exc).__name__}).", file) from exc


def _read_excel(data: bytes, file: str, sheet: str | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    zf = _parts(data, file)
    for part in zf.namelist():
        if part.startswith("xl/worksheets/") and part.endswith(".xml") or part == "xl/sharedStrings.xml":
            try:
                _streamed_size_and_rows(zf, part, file)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise refuse("classeur Excel endommagé (archive illisible).", file) from exc
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of a damaged workbook is the user's file, not a bug
        raise refuse(f"ce n'est pas un classeur Excel lisible ({type(exc).__name__}).", file) from exc
    names = wb.sheetnames
    if sheet is not None and sheet not in names:
        raise refuse(f"la feuille « {sheet} » n'existe pas ; feuilles présentes : "
                     + ", ".join(f"« {n} »" for n in names) + ".", file)
    ws = wb[sheet or names[0]]
    # The sheet's own claim of its size is not trusted: a declared A1:XFD200000 would have every row
    # padded to 16 384 cells (seconds of CPU for a 700 KB file). Rows come back as long as their cells.
    ws.reset_dimensions()
    rows: list[list[object]] = []
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if n > MAX_ROWS + 1:
            raise refuse(f"trop de lignes (au plus {fr_number(MAX_ROWS)}).", file)
        if len(row) > MAX_COLUMNS and any(v is not None for v in row[MAX_COLUMNS:]):
            raise refuse(f"trop de colonnes : au-delà de {MAX_COLUMNS}.", file, line=n)
        row = row[:MAX_COLUMNS]
        rows.append([_excel_cell(v) for v in row])
    wb.close()
    rows = [r for r in rows if any(v != "" for v in r)]
    if not rows:
        raise refuse("le fichier est vide.", file)
    header, body = rows[0], rows[1:]
    width = max(len(r) for r in rows)
    body = [r + [""] * (width - len(r)) for r in body]
    header = header + [""] * (width - len(header))
    return _frame([_header_text(h) for h in header], body, file)


def _excel_cell(value: object) -> object:
    """Numbers stay numbers (a float cell is a number, never re-parsed); the rest becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def _header_text(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip()


# ---------------------------------------------------------------- CSV
def decode(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), else Latin-1; a file mixing both is refused with its first bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if re.search(rb"[\xc2-\xf4][\x80-\xbf]", data):  # real UTF-8 letters elsewhere in the file
            line = data[:exc.start].count(b"\n") + 1
            raise refuse("encodages mélangés : le fichier contient de l'UTF-8 mais cette ligne ne l'est pas "
                         "(réenregistrez-le en UTF-8).", file, line=line) from exc
        return data.decode("latin-1")


def _read_csv(data: bytes, file: str) -> pd.DataFrame:
    text = decode(data, file)
    if text.count("\n") > MAX_ROWS + 1:
        raise refuse(f"trop de lignes : {fr_number(text.count(chr(10)))} (au plus {fr_number(MAX_ROWS)}). "
                     "Découpez le fichier.", file)
    try:
        sep = csv.Sniffer().sniff(text[:20000], delimiters=";,\t").delimiter
    except csv.Error:
        sep = ";" if text.count(";") >= text.count(",") else ","
    csv.field_size_limit(MAX_CELL * 4 + 16)
    try:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise refuse(f"CSV illisible : une cellule dépasse {MAX_CELL} caractères ou le fichier est mal formé "
                     f"({exc}).", file) from exc
    if not rows:
        raise refuse("le fichier est vide.", file)
    header, body = [c.strip() for c in rows[0]], rows[1:]
    width = len(header)
    for n, r in enumerate(body, start=2):
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise refuse(f"{len(r)} cellules sur cette ligne pour {width} colonnes d'en-tête.", file, line=n)
    body = [[c.strip() for c in (r + [""] * width)[:width]] for r in body]
    return _frame(header, body, file)


# ---------------------------------------------------------------- both
def _frame(header: list[str], body: list[list[object]], file: str) -> pd.DataFrame:
    if len(header) > MAX_COLUMNS:
        raise refuse(f"trop de colonnes : {len(header)} (au plus {MAX_COLUMNS}).", file)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        if key and key in seen:
            raise refuse(f"colonne en double : « {name} » apparaît deux fois (colonnes {seen[key] + 1} et {i + 1}) ; "
                         "gardez-en une seule.", file, column=name)
        seen[key] = i
    for n, r in enumerate(body, start=2):
        for name, cell in zip(header, r):
            if isinstance(cell, str) and len(cell) > MAX_CELL:
                raise refuse(f"cellule trop longue ({fr_number(len(cell))} caractères, au plus {fr_number(MAX_CELL)})",
                             file, line=n, column=name or None, value=cell[:40] + "…")
    if not body:
        raise refuse("le fichier n'a pas de ligne de données sous l'en-tête.", file)
    return pd.DataFrame(body, columns=header, dtype=object)


def read_table(data: bytes, file: str, sheet: str | None = None) -> pd.DataFrame:
    """Every cell of the first (or chosen) sheet: text, or a float for an Excel number; "" when empty."""
    if not data or not data.strip():
        raise refuse("le fichier est vide.", file)
    return _read_excel(data, file, sheet) if is_excel(file) else _read_csv(data, file)
