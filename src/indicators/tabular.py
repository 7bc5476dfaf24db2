"""Reading a user's CSV, Excel or OpenDocument file without trusting it: sizes, rows, columns, cells and
cell lengths are bounded before any parsing, so a small hostile file (a 47 KB workbook whose one shared
string is 45 MB, an 800-byte spreadsheet that repeats a cell a million times, a million empty rows) is
refused in well under a second instead of taking the server's memory.

Cells come back as text, except spreadsheet numbers, which stay numbers: a float cell is never re-read
through a decimal convention. Agencies put a title above their table: the header is the first row that
names known columns (or, failing that, the first row as wide as the table); every body row keeps its
line in the file (`line_numbers`), so a problem is said where the user will find it."""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from xml.etree import ElementTree

import pandas as pd

from .errors import ImportProblem, Problem
from .format import fr_number

MAX_ROWS = 200_000         # data rows of one file
MAX_COLUMNS = 200
MAX_CELL = 1_000           # characters in one cell
MAX_CELLS = 4_000_000      # cells read from one file (rows × columns), counted before they are kept
MAX_UNPACKED = 50_000_000  # bytes of XML inside a workbook, all parts together
MAX_PARTS = 500            # files inside a workbook
MAX_TEXT = 50_000_000      # characters of text a spreadsheet unfolds into (repeated cells counted)
HEADER_SEARCH = 30         # rows looked at for the header, below a title
QUOTED = 40                # characters of a cell quoted in a message
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_EXCEL = (".xlsx", ".xlsm")
_ODS = (".ods",)


def refuse(message: str, file: str, line: int | None = None, column: str | None = None,
           value: str | None = None) -> ImportProblem:
    return ImportProblem([Problem(message, line, column, value)], file)


def is_excel(file: str) -> bool:
    """A spreadsheet with sheets (Excel or OpenDocument), as opposed to a text file."""
    return file.lower().endswith(_EXCEL + _ODS)


def _quote(text: str) -> str:
    return text if len(text) <= QUOTED else text[:QUOTED] + "…"


def line_numbers(frame: pd.DataFrame) -> list[int]:
    """The line in the file of each row of a table read here (the header excluded)."""
    return list(frame.attrs.get("lines") or range(2, len(frame) + 2))


# ---------------------------------------------------------------- workbooks (zip)
def _parts(data: bytes, file: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise refuse("ce n'est pas un classeur lisible (.xlsx ou .ods).", file) from exc
    if len(infos) > MAX_PARTS:
        raise refuse(f"classeur refusé : {len(infos)} parties internes (au plus {MAX_PARTS}).", file)
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNPACKED:
        raise refuse(f"classeur refusé : il se décompresse en {fr_number(declared / 1e6)} Mo (au plus "
                     f"{fr_number(MAX_UNPACKED / 1e6)} Mo). Enregistrez les données utiles seules, ou en CSV.", file)
    return zf


def _stream(zf: zipfile.ZipFile, name: str, file: str) -> Iterable[bytes]:
    """A part decompressed in chunks, never beyond the limit (declared sizes can lie)."""
    total = 0
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > MAX_UNPACKED:
                    raise refuse(f"classeur refusé : une partie dépasse {MAX_UNPACKED / 1e6:.0f} Mo une fois "
                                 "décompressée.", file)
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise refuse("classeur endommagé (archive illisible).", file) from exc


MAX_DEPTH = 64            # nesting of XML elements (a worksheet needs about 6)
MAX_SHEET_CELLS = 2_000_000  # cells a workbook's sheets may declare (the import's values are bounded alike)
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"),
                 "<!DOCTYPE".encode("utf-16-be"), "<!ENTITY".encode("utf-16-be"))
# « /> » inside an attribute's value would pass for a tag that closes itself and hide the nesting
_SLASH_IN_VALUE = re.compile(rb"""=\s*(?:"[^"<]*/>|'[^'<]*/>)""")
# counted as cells: « <c » (a few « <col », « <cfRule » with them: the bound errs on the safe side)
_CELL_TAGS = {"xlsx": (b"<c",), "ods": (b"<table:table-cell", b"<table:covered-table-cell")}


def scan_workbook(zf: zipfile.ZipFile, file: str, kind: str, max_cells: int | None = MAX_SHEET_CELLS) -> None:
    """Every XML part of a workbook streamed once, before any reader parses it: no DOCTYPE or ENTITY
    declaration anywhere (entity expansion turns 42 KB into gigabytes), no UTF-16 part (it would hide
    them), no nesting deeper than MAX_DEPTH (six million nested elements cost a parser 2 GB), and no more
    than `max_cells` cells declared (a small file of empty styled cells costs a reader half a minute).
    Counting is done on bytes at C speed: a legitimate 30 MB sheet is scanned in a fraction of a second."""
    cells = 0
    for name in zf.namelist():
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        depth, carry, first = 0, b"", True
        count_cells = max_cells is not None and (name.startswith("xl/worksheets/") or name == "content.xml")
        for chunk in _stream(zf, name, file):
            if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or first and chunk[:4] in (b"<\x00?\x00",
                                                                                         b"\x00<\x00?"):
                raise refuse(f"classeur refusé : la partie {_quote(name)} est en UTF-16 (non admis).", file)
            first = False
            buffer = carry + chunk
            if any(d in buffer for d in _DECLARATIONS):
                raise refuse("classeur refusé : déclarations XML non admises (DOCTYPE ou ENTITY) dans la partie "
                             f"{_quote(name)}.", file)
            cut = buffer.rfind(b"<")  # a tag cut by the chunk's end is counted with the next chunk
            whole, carry = (buffer[:cut], buffer[cut:]) if cut > 0 else (buffer, b"")
            closes = whole.count(b"</")
            opens = whole.count(b"<") - closes
            if b"<?" in whole or b"<!" in whole:  # declarations, comments, CDATA: rare, not elements
                opens -= whole.count(b"<?") + whole.count(b"<!")
            if b"/>" in whole and _SLASH_IN_VALUE.search(whole):
                raise refuse(f"classeur refusé : une valeur d'attribut XML contient « /> » (partie {_quote(name)}).",
                             file)
            depth += opens - closes - whole.count(b"/>")
            if depth > MAX_DEPTH:
                raise refuse(f"classeur refusé : éléments XML imbriqués sur plus de {MAX_DEPTH} niveaux dans la "
                             f"partie {_quote(name)}.", file)
            if count_cells:
                cells += sum(whole.count(tag) for tag in _CELL_TAGS[kind])
                if cells > max_cells:
                    raise refuse(f"fichier trop grand : plus de {fr_number(max_cells)} cellules déclarées (au plus "
                                 f"{fr_number(max_cells)}). Enregistrez les données utiles seules, ou en CSV.", file)
            if len(carry) > MAX_UNPACKED:
                raise refuse("classeur refusé : une balise XML sans fin.", file)


def _count_rows(zf: zipfile.ZipFile, name: str, file: str) -> None:
    rows, tail = 0, b""
    for chunk in _stream(zf, name, file):
        rows += len(_ROW_TAG.findall(tail + chunk)) - len(_ROW_TAG.findall(tail))
        tail = chunk[-16:]
        if rows > MAX_ROWS + HEADER_SEARCH:
            raise refuse(f"trop de lignes : plus de {fr_number(MAX_ROWS)} (au plus {fr_number(MAX_ROWS)}). "
                         "Découpez le fichier.", file)


def _check_shared_strings(zf: zipfile.ZipFile, file: str) -> None:
    """Each shared string's length, once, before any cell copies it: one 45 MB string used by 120 cells
    would otherwise become 5 GB of text. Measured in bytes between `<si>` and `</si>` (4 bytes a
    character at most, and the markup of a few formatted runs)."""
    if "xl/sharedStrings.xml" not in zf.namelist():
        return
    limit = MAX_CELL * 4 + 2_000
    start, seen, index, tail = None, 0, -1, b""
    for chunk in _stream(zf, "xl/sharedStrings.xml", file):
        buffer = tail + chunk
        offset = seen - len(tail)
        pos = 0
        while True:
            if start is None:
                found = re.search(rb"<(?:\w+:)?si[\s>]", buffer[pos:])
                if not found:
                    break
                start, index = offset + pos + found.start(), index + 1
                pos += found.end()
            end = re.search(rb"</(?:\w+:)?si>", buffer[pos:])
            if not end:
                break
            if offset + pos + end.start() - start > limit:
                raise _long_string(index, file)
            start, pos = None, pos + end.end()
        if start is not None and seen + len(chunk) - start > limit:
            raise _long_string(index, file)
        seen += len(chunk)
        tail = buffer[-16:]


def _long_string(index: int, file: str) -> ImportProblem:
    return refuse(f"une cellule de texte dépasse {fr_number(MAX_CELL)} caractères (texte partagé n° {index + 1} du "
                  "classeur) : raccourcissez-la ou retirez-la.", file)


def sheet_names(data: bytes, file: str = "classeur.xlsx") -> list[str]:
    scan_workbook(_parts(data, file), file, "ods" if file.lower().endswith(_ODS) else "xlsx")
    if file.lower().endswith(_ODS):
        return _calamine(data, file).sheet_names
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True).sheetnames
    except Exception as exc:  # noqa: BLE001 - a damaged workbook raises many types: the user's file, not a bug
        raise refuse(f"ce n'est pas un classeur Excel lisible ({type(exc).__name__}).", file) from exc


def _read_xlsx(data: bytes, file: str, sheet: str | None) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    zf = _parts(data, file)
    scan_workbook(zf, file, "xlsx")
    for part in zf.namelist():
        if part.startswith("xl/worksheets/") and part.endswith(".xml"):
            _count_rows(zf, part, file)
    _check_shared_strings(zf, file)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of a damaged workbook is the user's file, not a bug
        raise refuse(f"ce n'est pas un classeur Excel lisible ({type(exc).__name__}).", file) from exc
    ws = wb[_sheet(wb.sheetnames, sheet, file)]
    # The sheet's own claim of its size is not trusted: a declared A1:XFD200000 would have every row
    # padded to 16 384 cells (seconds of CPU for a 700 KB file). Rows come back as long as their cells.
    ws.reset_dimensions()
    try:
        return _bounded_rows(enumerate(ws.iter_rows(values_only=True), start=1), file)
    except ImportProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - a cell pointing at a missing shared string, broken XML…
        raise refuse(f"classeur Excel endommagé : une cellule est illisible ({type(exc).__name__}). Ouvrez-le et "
                     "réenregistrez-le, ou enregistrez-le en CSV.", file) from exc
    finally:
        wb.close()


def _sheet(names: list[str], sheet: str | None, file: str) -> str:
    if sheet is not None and sheet not in names:
        raise refuse(f"la feuille « {_quote(sheet)} » n'existe pas ; feuilles présentes : "
                     + ", ".join(f"« {_quote(n)} »" for n in names) + ".", file)
    if not names:
        raise refuse("le classeur n'a aucune feuille.", file)
    return sheet or names[0]


def _bounded_rows(rows: Iterable[tuple[int, Iterable[object]]], file: str) -> list[tuple[int, list[object]]]:
    """Spreadsheet rows with their line, each cell checked before it is copied or kept."""
    out, cells = [], 0
    for n, row in rows:
        if n > MAX_ROWS + HEADER_SEARCH:
            raise refuse(f"trop de lignes (au plus {fr_number(MAX_ROWS)}).", file)
        row = list(row)
        if len(row) > MAX_COLUMNS:
            if any(v is not None and v != "" for v in row[MAX_COLUMNS:]):
                raise refuse(f"trop de colonnes : au-delà de {MAX_COLUMNS}.", file, line=n)
            row = row[:MAX_COLUMNS]
        cells += len(row)
        if cells > MAX_CELLS:
            raise refuse(f"fichier trop grand : plus de {fr_number(MAX_CELLS)} cellules (au plus "
                         f"{fr_number(MAX_CELLS)}). Découpez-le.", file)
        kept = []
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) > MAX_CELL:  # measured before any copy (strip)
                raise refuse(f"cellule trop longue ({fr_number(len(value))} caractères, au plus "
                             f"{fr_number(MAX_CELL)})", file, line=n, column=_column_letter(c), value=_quote(value))
            kept.append(_excel_cell(value))
        if any(v != "" for v in kept):
            out.append((n, kept))
    return out


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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


# ---------------------------------------------------------------- OpenDocument
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _check_ods(zf: zipfile.ZipFile, file: str) -> None:
    """What an .ods unfolds into, before a reader does it: a cell may say it repeats 16 000 times in a
    row repeated 100 000 times (an 800-byte file, gigabytes once read). Filled cells are counted with
    their repetitions; their extent, their number and their text are bounded like a plain file's."""
    if "content.xml" not in zf.namelist():
        raise refuse("ce n'est pas un classeur OpenDocument lisible (content.xml absent).", file)
    scan_workbook(zf, file, "ods")

    class Chunks(io.RawIOBase):
        def __init__(self) -> None:
            self.source, self.rest = iter(_stream(zf, "content.xml", file)), b""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            while not self.rest:
                try:
                    self.rest = next(self.source)
                except StopIteration:
                    return 0
            n = min(len(buffer), len(self.rest))
            buffer[:n], self.rest = self.rest[:n], self.rest[n:]
            return n

    filled, text, row, col, row_filled, row_text, row_last = 0, 0, 0, 0, 0, 0, 0
    try:
        for event, el in ElementTree.iterparse(io.BufferedReader(Chunks()), events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == f"{_TABLE}table":
                    row = 0
                elif tag == f"{_TABLE}table-row":
                    col, row_filled, row_text, row_last = 0, 0, 0, 0
                continue
            if tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                repeat = int(el.get(f"{_TABLE}number-columns-repeated", "1"))
                content = "".join(el.itertext())
                if len(content) > MAX_CELL:
                    raise refuse(f"cellule trop longue ({fr_number(len(content))} caractères, au plus "
                                 f"{fr_number(MAX_CELL)})", file, line=row + 1, column=_column_letter(col),
                                 value=_quote(content))
                col += repeat
                if content or el.get(f"{_OFFICE}value-type"):
                    row_filled += repeat
                    row_text += repeat * len(content)
                    row_last = col
                    if row_last > MAX_COLUMNS:
                        raise refuse(f"trop de colonnes : au-delà de {MAX_COLUMNS}.", file, line=row + 1)
                el.clear()
            elif tag == f"{_TABLE}table-row":
                repeat = int(el.get(f"{_TABLE}number-rows-repeated", "1"))
                if row_filled:
                    filled += repeat * row_filled
                    text += repeat * row_text
                    if row + repeat > MAX_ROWS + HEADER_SEARCH:
                        raise refuse(f"trop de lignes (au plus {fr_number(MAX_ROWS)}).", file)
                    if filled > MAX_CELLS or text > MAX_TEXT:
                        raise refuse(f"classeur refusé : ses cellules répétées en font plus de "
                                     f"{fr_number(MAX_CELLS)} (ou plus de {fr_number(MAX_TEXT / 1e6)} millions de "
                                     "caractères). Enregistrez les données utiles seules, ou en CSV.", file)
                row += repeat
                el.clear()
    except ImportProblem:
        raise
    except (ElementTree.ParseError, ValueError) as exc:
        raise refuse(f"classeur OpenDocument endommagé ({type(exc).__name__}).", file) from exc


def _calamine(data: bytes, file: str):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-calamine raises its own types for a damaged file
        raise refuse(f"ce n'est pas un classeur OpenDocument lisible ({type(exc).__name__}).", file) from exc


def _read_ods(data: bytes, file: str, sheet: str | None) -> list[tuple[int, list[object]]]:
    zf = _parts(data, file)
    _check_ods(zf, file)
    wb = _calamine(data, file)
    try:
        rows = wb.get_sheet_by_name(_sheet(wb.sheet_names, sheet, file)).to_python(skip_empty_area=False)
    except ImportProblem:
        raise
    except Exception as exc:  # noqa: BLE001
        raise refuse(f"classeur OpenDocument endommagé ({type(exc).__name__}).", file) from exc
    finally:
        wb.close()
    return _bounded_rows(enumerate(rows, start=1), file)


# ---------------------------------------------------------------- CSV
def decode(data: bytes, file: str) -> str:
    """UTF-16 (Excel's « Texte Unicode », with its byte-order mark), UTF-8 (with or without BOM), else
    Latin-1; a file mixing UTF-8 and Latin-1 is refused with its first bad line."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"\x00" in data[:200] and len(data) % 2 == 0):
        try:
            return data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else
                               "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        except UnicodeDecodeError as exc:
            raise refuse("fichier UTF-16 illisible : réenregistrez-le en CSV UTF-8.", file) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if re.search(rb"[\xc2-\xf4][\x80-\xbf]", data):  # real UTF-8 letters elsewhere in the file
            line = data[:exc.start].count(b"\n") + 1
            raise refuse("encodages mélangés : le fichier contient de l'UTF-8 mais cette ligne ne l'est pas "
                         "(réenregistrez-le en UTF-8).", file, line=line) from exc
        return data.decode("latin-1")


def _read_csv(data: bytes, file: str) -> list[tuple[int, list[object]]]:
    text = decode(data, file)
    if "\x00" in text:
        raise refuse("fichier binaire ou encodage inconnu (octets nuls) : enregistrez-le en CSV UTF-8.", file)
    lines = text.count("\n") + 1
    if lines > MAX_ROWS + HEADER_SEARCH:
        raise refuse(f"trop de lignes : {fr_number(lines)} (au plus {fr_number(MAX_ROWS)}). Découpez le fichier.", file)
    try:
        sep = csv.Sniffer().sniff(text[:20000], delimiters=";,\t").delimiter
    except csv.Error:
        sep = ";" if text.count(";") >= text.count(",") else ","
    width = max((line.count(sep) + 1 for line in text[:200_000].splitlines()[:HEADER_SEARCH + 20]), default=1)
    if width * lines > MAX_CELLS:  # said before a single row is kept: 198 columns × 47 000 rows is 9 million cells
        raise refuse(f"fichier trop grand : environ {fr_number(width * lines)} cellules ({fr_number(lines)} lignes × "
                     f"{width} colonnes ; au plus {fr_number(MAX_CELLS)}). Découpez-le.", file)
    csv.field_size_limit(MAX_CELL * 4 + 16)
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    rows, cells = [], 0
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            cells += len(row)
            if cells > MAX_CELLS:
                raise refuse(f"fichier trop grand : plus de {fr_number(MAX_CELLS)} cellules. Découpez-le.", file)
            rows.append((reader.line_num, [c.strip() for c in row]))
    except csv.Error as exc:
        raise refuse(f"CSV illisible : une cellule dépasse {MAX_CELL} caractères ou le fichier est mal formé "
                     f"({str(exc)[:80]}).", file, line=reader.line_num) from exc
    return rows


# ---------------------------------------------------------------- both
def _header_index(rows: list[tuple[int, list[object]]], words: frozenset[str]) -> int:
    """Where the header is: the first of the first rows that names a known column (a title or a source
    line may stand above it); without one, the first row at least half as wide as the widest."""
    from .territories import normalise

    head = rows[:HEADER_SEARCH]
    if words:
        for i, (_, row) in enumerate(head):
            names = {normalise(str(c)).replace(" ", "_") for c in row if isinstance(c, str) and c}
            if names & words and sum(1 for c in row if c != "") >= 2:
                return i
    filled = [sum(1 for c in row if c != "") for _, row in head]
    widest = max(filled, default=0)
    return next((i for i, n in enumerate(filled) if n >= 2 and n * 2 >= widest), 0)


def _frame(rows: list[tuple[int, list[object]]], file: str, words: frozenset[str]) -> pd.DataFrame:
    if not rows:
        raise refuse("le fichier est vide.", file)
    start = _header_index(rows, words)
    header_line, header = rows[start]
    body = rows[start + 1:]
    width = max(len(r) for _, r in rows[start:])
    header = [_header_text(h) for h in header] + [""] * (width - len(header))
    while header and header[-1] == "" and all(len(r) < len(header) or r[len(header) - 1] == "" for _, r in body):
        header.pop()
    width = len(header)
    if width > MAX_COLUMNS:
        raise refuse(f"trop de colonnes : {width} (au plus {MAX_COLUMNS}).", file, line=header_line)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        if key and key in seen:
            raise refuse(f"colonne en double : « {_quote(name)} » apparaît deux fois (colonnes {seen[key] + 1} et "
                         f"{i + 1}) ; gardez-en une seule.", file, line=header_line, column=_quote(name))
        seen[key] = i
    for n, r in rows[start:]:
        for c, cell in enumerate(r):
            if isinstance(cell, str) and len(cell) > MAX_CELL:
                raise refuse(f"cellule trop longue ({fr_number(len(cell))} caractères, au plus {fr_number(MAX_CELL)})",
                             file, line=n, column=_quote(header[c]) if c < width and header[c] else _column_letter(c),
                             value=_quote(cell))
    for n, r in body:
        if len(r) > width and any(c != "" for c in r[width:]):
            raise refuse(f"{len(r)} cellules sur cette ligne pour {width} colonnes d'en-tête.", file, line=n)
    if not body:
        raise refuse("le fichier n'a pas de ligne de données sous l'en-tête.", file, line=header_line)
    if len(body) > MAX_ROWS:
        raise refuse(f"trop de lignes : {fr_number(len(body))} (au plus {fr_number(MAX_ROWS)}). Découpez le fichier.",
                     file)
    frame = pd.DataFrame([(r + [""] * width)[:width] for _, r in body], columns=header, dtype=object)
    frame.attrs["lines"] = [n for n, _ in body]
    frame.attrs["header_line"] = header_line
    return frame


def _header_text(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip()


def read_table(data: bytes, file: str, sheet: str | None = None, header_words: Iterable[str] = ()) -> pd.DataFrame:
    """Every cell of the first (or chosen) sheet: text, or a float for a spreadsheet number; "" when empty.
    `header_words` are the column names (normalised) that tell the header row from a title above it."""
    if not data or not data.strip():
        raise refuse("le fichier est vide.", file)
    lower = file.lower()
    rows = (_read_xlsx(data, file, sheet) if lower.endswith(_EXCEL) else
            _read_ods(data, file, sheet) if lower.endswith(_ODS) else _read_csv(data, file))
    return _frame(rows, file, frozenset(header_words))
