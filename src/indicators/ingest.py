"""User imports: read a CSV/Excel file, validate every row, report in French, write in one transaction.

Flow: `read_table` (bytes → text cells) → `prepare` (long rows with their file line and column) →
`validate` (every problem with line, column and value) → `write` (one transaction through the
store's writer path; a re-import of the same bytes is a no-op) → `undo` (the whole import).
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path

import duckdb
import pandas as pd

from . import store, text, years
from .errors import HasProblems, ImportProblem, Problem
from .format import LARGEST, MISSING, decimal_convention, fr_number, is_ambiguous, parse_number
from .tabular import line_numbers, read_table, sheet_names
from .territories import ZONING_LEVELS, ZONING_WORDS, labels, normalise, slug

MIN_YEAR, MAX_YEAR = years.FIRST_DATA, years.last_data()
MAX_VALUES = 2_000_000  # values of one import: each becomes a row checked
KINDS = {"count": "effectif (s'additionne)", "ratio": "taux ou part (publié tel quel)",
         "level": "niveau non additif (médiane, indice…)"}
# Counts that are balances and may legitimately be negative.
SIGNED_COUNTS = frozenset({"net_migration", "natural_balance", "pop_change"})

TERRITORY_COLUMNS = ("territoire", "code", "code_insee", "codgeo", "insee", "siren", "commune", "epci",
                     "departement", "region", "nom", "libelle", "territory")
INDICATOR_COLUMNS = ("indicateur", "indicator", "variable")
PERIOD_COLUMNS = ("annee", "annees", "periode", "year", "millesime", "date")
VALUE_COLUMNS = ("valeur", "value", "valeurs", "nombre")
UNIT_COLUMNS = ("unite", "unit")
LEVEL_COLUMNS = ("niveau", "niveau_geographique", "nivgeo", "level")
# The width of each level's codes, the zeros a spreadsheet drops put back: 7612 → ZE:7612, 61 → AAV:061.
CODE_WIDTHS = {"COM": 5, "EPCI": 9, "DEP": 2, "REG": 2, "ZE": 4, "BV": 5, "AAV": 3, "UU": 5}
# A level column's words → the level: « ZE », « zone d'emploi », « aire »…
LEVEL_WORDS = {**dict.fromkeys(("com", "commune"), "COM"), **dict.fromkeys(("epci", "intercommunalite"), "EPCI"),
               **dict.fromkeys(("dep", "departement"), "DEP"), **dict.fromkeys(("reg", "region"), "REG"),
               **ZONING_WORDS}
_NUMBERLIKE = re.compile(r"[+\-−]?(?:[\d.,]+(?:[eE][+\-]?\d+)?|inf(?:inity)?|nan)%?", re.IGNORECASE)
PERIOD_RE = re.compile(r"^\s*(\d{4})(?:\s*[-–/à]\s*(\d{4}))?\s*$")


@dataclass(frozen=True)
class Declaration:
    """A new indicator described by the user, or (id only) a known one being extended."""

    id: str
    label: str = ""
    unit: str = ""
    kind: str = "count"
    polarity: int = 0
    source: str = ""
    licence: str = ""
    definition: str = ""
    is_new: bool = False


@dataclass
class Prepared:
    """Rows ready to validate: one per value, with where it came from in the file."""

    file: str
    sha256: str
    shape: str  # "long" or "wide"
    rows: pd.DataFrame  # line, column, territory_raw, indicator_raw, period_raw, value_raw, value_cell, unit_raw
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Validated(HasProblems):
    prepared: Prepared
    observations: pd.DataFrame  # territory, indicator, period_start, year, value
    problems: list[Problem]
    ambiguous: dict[str, list[tuple[str, str]]]  # name → [(code, label)]
    already: tuple[str, str] | None = None  # (date, file name) when these exact bytes were imported before
    suggested: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # unknown name → closest territories

    def levels_read(self) -> str:
        """How the file's territories were read, level by level (« zone d'emploi 3, commune 1 »): a code
        read at the level the other codes show is seen here before it is written."""
        if self.observations.empty:
            return ""
        counts = self.observations["territory"].drop_duplicates().str.split(":").str[0].value_counts()
        return ", ".join(f"{_KIND_OF.get(lv, lv)} {fr_number(n)}" for lv, n in counts.items())


# ---------------------------------------------------------------- shaping
def find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The column whose name, accent-, case- and punctuation-blind, is one of `names` (first name first)."""
    keyed = {normalise(c).replace(" ", "_"): c for c in columns}
    for n in names:
        if n in keyed:
            return keyed[n]
    return None


def _as_text(cell: object) -> str:
    """A cell as the user typed it; an Excel number without a spurious `.0`."""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    return str(cell).strip()


def _texts(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].map(_as_text)


def _value_column(frame: pd.DataFrame, used: set[str], file: str) -> str:
    """The long format's value column when it is not called « valeur »: the one column left over
    (named after the indicator, say), or a message saying which column to rename."""
    left = [c for c in frame.columns if c not in used and find_column([c], ("nom", "libelle", "name")) is None]
    if len(left) == 1:
        return left[0]
    raise ImportProblem([Problem("aucune colonne « valeur » : renommez en « valeur » la colonne qui porte les "
                                 "chiffres" + (" (" + ", ".join(f"« {c} »" for c in left) + ")" if left else "")
                                 + ".")], file)


def _with_level(frame: pd.DataFrame, terr: str, lines: pd.Series, file: str) -> pd.Series:
    """The territory column, its codes prefixed by the level a « niveau » column gives (ZE, BV, AAV, UU…:
    their codes alone are ambiguous with communes'); an unknown level stops the import, said where."""
    raws = _texts(frame, terr)
    level = find_column(list(frame.columns), LEVEL_COLUMNS)
    if level is None:
        return raws
    words = _texts(frame, level)
    said = words.map(lambda w: LEVEL_WORDS.get(normalise(w).replace("'", " ")) if w else None)
    unknown = (words != "") & said.isna()
    if unknown.any():
        raise ImportProblem([Problem("niveau inconnu (attendu : commune, EPCI, département, région, ZE, BV, AAV ou UU)",
                                     int(lines[i]), level, _cut(words[i])) for i in unknown[unknown].index[:20]], file)
    return pd.Series([_leveled(raw, lv) for raw, lv in zip(raws, said, strict=True)], index=frame.index, dtype=object)


_CODE_LIKE = re.compile(r"^(?=.*\d)[0-9A-Za-z]{1,9}$")


def _leveled(raw: str, level: str | None) -> str:
    """`7612` with ZE → `ZE:7612`; a zone's name → its label, « Rodez (bassin de vie) »; anything else as typed."""
    if not level or not raw or ":" in raw:
        return raw
    if _CODE_LIKE.match(raw):
        return f"{level}:{raw.zfill(CODE_WIDTHS[level]) if raw.isdigit() else raw.upper()}"
    return f"{raw} ({ZONING_LEVELS[level][1]})" if level in ZONING_LEVELS else raw


def prepare(frame: pd.DataFrame, file: str, data: bytes) -> Prepared:
    """Long rows from a long (territoire, indicateur, année, valeur) or wide (one column per year) table."""
    cols = list(frame.columns)
    sha = hashlib.sha256(data).hexdigest()
    terr = find_column(cols, TERRITORY_COLUMNS)
    ind, per, val, unit = (find_column(cols, c) for c in (INDICATOR_COLUMNS, PERIOD_COLUMNS, VALUE_COLUMNS, UNIT_COLUMNS))
    lines = pd.Series(line_numbers(frame), index=frame.index)  # each row's line in the file, title rows counted
    if terr is None:
        raise ImportProblem([Problem("aucune colonne de territoire (attendu : « territoire », « code », "
                                     "« code_insee », « siren » ou « nom ») ; colonnes lues : "
                                     + ", ".join(f"« {c} »" for c in cols) + ".")], file)
    year_cols = [c for c in cols if PERIOD_RE.match(c)]
    values = len(frame) * (len(year_cols) if year_cols and per is None else 1)
    if values > MAX_VALUES:  # the work is bounded by values, not bytes: each becomes a row to check
        raise ImportProblem([Problem(f"trop de valeurs : {fr_number(values)} ({fr_number(len(frame))} lignes × "
                                     f"{len(year_cols)} colonnes d'années ; au plus {fr_number(MAX_VALUES)}). "
                                     "Découpez le fichier.")], file)
    common = {"territory_raw": _with_level(frame, terr, lines, file), "indicator_raw": _texts(frame, ind),
              "unit_raw": _texts(frame, unit)}
    if per is not None and not year_cols:
        val = val or _value_column(frame, {c for c in (terr, ind, per, unit) if c}, file)
        rows = pd.DataFrame({"line": lines, "column": val, **common, "period_raw": _texts(frame, per),
                             "value_raw": _texts(frame, val), "value_cell": frame[val]})
        return Prepared(file, sha, "long", rows.reset_index(drop=True))
    if not year_cols:
        raise ImportProblem([Problem("format non reconnu : il faut soit des colonnes « année » et « valeur » "
                                     "(format long), soit une colonne par année, nommée 2019, 2020… (format large).")], file)
    parts = [pd.DataFrame({"line": lines, "column": c, **common, "period_raw": c,
                           "value_raw": _texts(frame, c), "value_cell": frame[c]}) for c in year_cols]
    return Prepared(file, sha, "wide", pd.concat(parts).sort_values(["line", "column"]).reset_index(drop=True))


HEADER_WORDS = frozenset(TERRITORY_COLUMNS + INDICATOR_COLUMNS + PERIOD_COLUMNS + VALUE_COLUMNS + UNIT_COLUMNS)


def load(data: bytes, file: str, sheet: str | None = None) -> Prepared:
    """Read and shape a user's file in one call (the page keeps the result: a file is read once)."""
    return prepare(read_table(data, file, sheet, HEADER_WORDS), file, data)


# ---------------------------------------------------------------- validation: one function per check
LISTED = 1_000  # problems of one kind listed one by one; the others are counted (a report nobody reads costs)


def _cut(value: object, limit: int = 60) -> str:
    text_ = str(value)
    return text_ if len(text_) <= limit else text_[:limit - 1] + "…"


def _each(rows: pd.DataFrame, make) -> list[Problem]:
    """One problem per row for the first LISTED rows, then one line that counts the others."""
    listed = [make(r) for r in rows.head(LISTED).itertuples()]
    if len(rows) > LISTED:
        first = listed[0]
        listed.append(Problem(f"… et {fr_number(len(rows) - LISTED)} autre(s) du même type ({first.message})",
                              blocking=first.blocking))
    return listed


def cap(problems: list[Problem]) -> list[Problem]:
    """At most LISTED problems in a report, then one line per kind counting what was left out."""
    if len(problems) <= LISTED + 20:
        return problems
    left: dict[tuple[str, bool], int] = {}
    for p in problems[LISTED:]:
        key = (p.message.split(" (")[0], p.blocking)
        left[key] = left.get(key, 0) + 1
    return problems[:LISTED] + [Problem(f"… et {fr_number(n)} autre(s) : {m}", blocking=b) for (m, b), n in left.items()]
_FORM = re.compile(r"^(?:communaute (?:d agglomeration|de communes|urbaine|d agglo)|metropole|ca|cc|cu|cda|cdc)"
                   r"(?: (?:de la|de l|du|des|de|d))? ")


def epci_core(name: str) -> str:
    """An intercommunality's name without its legal form: « Communauté urbaine de Dunkerque » and
    « CU de Dunkerque » both give « dunkerque » (official long names and the base's short ones meet)."""
    return _FORM.sub("", normalise(name).replace("'", " "), count=1)


def bare(raw: str) -> str:
    return raw.upper().replace(" ", "")


def code_candidates(code: str, codes: set[str]) -> list[str]:
    """The territories a code typed without its level may be: `7612` is a zone d'emploi (or the commune
    07612 had it existed), `09225` the commune Pamiers and its bassin de vie, `11` a département or a
    région. Leading zeros a spreadsheet dropped are put back for communes and zones d'emploi only (`34` is
    the Hérault, not the aire 034). A prefixed code (`ZE:7612`) is itself; a word without a digit is a name
    (« Lux » is a commune, the aire LUX is written `AAV:LUX`)."""
    if ":" in code or code == "FR":
        return [code] if code in codes else []
    if not code_like(code):
        return []
    n, digits, w = len(code), code.isdigit(), CODE_WIDTHS
    forms = [f"COM:{code.zfill(w['COM'])}" if n in (4, 5) else "", f"EPCI:{code}" if n == w["EPCI"] else "",
             f"DEP:{code.zfill(w['DEP'])}" if n <= 3 else "", f"REG:{code}" if n == w["REG"] else "",
             f"ZE:{code.zfill(w['ZE'])}" if digits and 3 <= n <= 4 else "",
             f"AAV:{code}" if n == w["AAV"] else "", f"UU:{code}" if n == w["UU"] else "",
             f"BV:{code.zfill(w['BV'])}" if n in (4, 5) else ""]
    return [f for f in forms if f in codes]


def code_like(raw: str) -> bool:
    """A territory written as a code rather than a name: it holds a digit (« 2A004 », « 7612 », not « Lux »)."""
    return any(c.isdigit() for c in raw)


def _resolve(con: duckdb.DuckDBPyConnection, raws: list[str], choices: dict[str, str]
             ) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Map each raw territory to a code: prefixed codes, INSEE codes, SIREN, or names (accent-blind, an
    intercommunality by its official long name or its short one; a study zone by its label, « Rodez (bassin
    de vie) », or by its name when no other territory bears it, « Foix-Pamiers »).

    A code without its level is read at the level the file's unambiguous codes show (a file whose other
    codes are zones d'emploi makes `1101` the zone, not the commune 01101), else as a commune's code when it
    is one. A name or code shared by several territories is ambiguous unless `choices` says which one.
    """
    table = con.execute("SELECT code, level, label, search_key FROM territory WHERE valid_until IS NULL "
                        "OR level = 'EPCI'").df()
    codes = set(table["code"])
    by_name: dict[str, list[tuple[str, str]]] = {}
    by_core: dict[str, list[tuple[str, str]]] = {}
    by_zone: dict[str, list[tuple[str, str]]] = {}  # a study zone bears its pôle's name: the commune comes first
    for code, level, label, key in zip(table["code"], table["level"], table["label"], table["search_key"], strict=True):
        if level in ZONING_LEVELS:
            by_zone.setdefault(key, []).append((code, label))
            by_name.setdefault(normalise(label), []).append((code, label))  # « Rodez (bassin de vie) »
            continue
        by_name.setdefault(key, []).append((code, label))
        if level == "EPCI":
            by_core.setdefault(epci_core(label), []).append((code, label))
    label_of = dict(zip(table["code"], table["label"], strict=True))
    candidates = {raw: code_candidates(bare(raw), codes) for raw in raws}
    evidence = {hit[0].split(":")[0] for hit in candidates.values() if len(hit) == 1}  # levels the file shows
    resolved, ambiguous = {}, {}
    for raw in raws:
        if raw in choices:
            resolved[raw] = choices[raw]
            continue
        hit = candidates[raw]
        if len(hit) == 1:
            resolved[raw] = hit[0]
            continue
        told = [g for g in hit if g.split(":")[0] in evidence]  # the level the file's unambiguous codes tell
        if len(told) == 1 or (hit and hit[0].startswith("COM:")):  # else a commune's code is the commune
            resolved[raw] = (told if len(told) == 1 else hit)[0]
            continue
        if hit:
            ambiguous[raw] = [(g, label_of[g]) for g in hit]
            continue
        if normalise(raw) == "france":
            resolved[raw] = "FR"
            continue
        core = epci_core(raw)
        has_form = core != normalise(raw).replace("'", " ")
        named = ((by_core.get(core, []) if has_form else []) or by_name.get(normalise(raw), []) or by_core.get(core, [])
                 or by_zone.get(normalise(raw), []))
        if len(named) == 1:
            resolved[raw] = named[0][0]
        elif len(named) > 1:
            ambiguous[raw] = named
    return resolved, ambiguous


_KIND_OF = {**{lv: word for lv, (_, word) in ZONING_LEVELS.items()}, "COM": "commune", "ARM": "arrondissement",
            "EPCI": "intercommunalité", "DEP": "département",
            "REG": "région", "FR": "pays"}
SUGGESTED = 30  # unknown names for which the closest territories are looked for
_GENERIC = frozenset(["grand", "grande", "pays", "agglomeration", "agglo", "communaute", "communes", "commune", "metropole", "territoire", "territoires", "intercommunale", "intercommunal", "de", "du", "des", "la", "le", "les", "d", "l", "et", "en", "sur"])


def _distinctive(name: str) -> str:
    """The words that tell one intercommunality from another (« Grand », « Pays », « Agglo » do not)."""
    return " ".join(w for w in epci_core(name).split() if w not in _GENERIC) or epci_core(name)


def suggestions(con: duckdb.DuckDBPyConnection, raws: list[str], limit: int = 4) -> dict[str, list[tuple[str, str]]]:
    """For each unknown name, the closest territories (rapidfuzz on accent-blind names, intercommunalities
    also by their core name), with their level and département, so the user can pick one."""
    from rapidfuzz import fuzz, process

    if not raws:
        return {}
    table = con.execute("""SELECT t.code, t.level, t.label, t.search_key, d.label AS dep FROM territory t
                           LEFT JOIN territory d ON d.code = t.parent_dep WHERE t.valid_until IS NULL""").df()
    epci = table.index[table["level"] == "EPCI"].tolist()
    cores = [_distinctive(x) for x in table.loc[epci, "label"]]
    keys, rows = table["search_key"].tolist() + cores, table.index.tolist() + epci
    out = {}
    for raw in raws[:SUGGESTED]:
        core = epci_core(raw)
        named_form = core != normalise(raw).replace("'", " ")  # « Communauté de communes … »: intercommunalities
        found = process.extract(_distinctive(raw) if named_form else core, cores if named_form else keys, scorer=fuzz.WRatio, limit=limit * 3,
                                score_cutoff=70)
        if named_form:
            found = [(k, sc, len(table) + i) for k, sc, i in found]
        # A study zone bears its pôle's name: at an equal score, the commune or EPCI comes first.
        found = sorted(found, key=lambda f: (-f[1], table.loc[rows[f[2]], "level"] in ZONING_LEVELS))
        picked: dict[str, str] = {}
        for _, _, i in found:
            r = table.loc[rows[i]]
            where = f", {r['dep']}" if isinstance(r["dep"], str) and r["level"] != "COM" else ""
            picked.setdefault(r["code"], f"{r['label']} ({_KIND_OF[r['level']]}{where})")
            if len(picked) == limit:
                break
        if picked:
            out[raw] = list(picked.items())
    return out


def _period(text: str) -> tuple[int, int] | None:
    m = PERIOD_RE.match(text)
    if not m:
        return None
    start = int(m.group(1))
    end = int(m.group(2) or start)
    return (start, end) if start <= end else None


def check_declaration(known: pd.DataFrame, declaration: Declaration) -> list[Problem]:
    """A new indicator needs an unused id, a label, a unit, a known nature and a source, each plain text."""
    if not declaration.is_new:
        return [] if declaration.id in known.index else [Problem(f"indicateur inconnu « {declaration.id} ».")]
    problems = []
    if declaration.id in known.index:
        problems.append(Problem(f"l'indicateur « {declaration.label} » existe déjà : choisissez « Compléter un "
                                "indicateur existant » pour y ajouter des valeurs."))
    for field_name, required in (("label", True), ("unit", True), ("source", True), ("licence", False),
                                 ("definition", False)):
        message = text.check(field_name, getattr(declaration, field_name), required)
        if message:
            problems.append(Problem(message))
    if declaration.kind not in KINDS:
        problems.append(Problem(f"nature inconnue « {declaration.kind} » (effectif, taux ou niveau)."))
    return problems


def _assign_indicators(rows: pd.DataFrame, known: pd.DataFrame, declaration: Declaration) -> list[Problem]:
    """The file's `indicateur` column (ids or labels of known ones), or the declared indicator."""
    label_to_id = {normalise(lab): i for i, lab in known["label"].items()}

    def indicator_of(raw: str) -> str | None:
        if not raw:
            return declaration.id
        if raw in known.index or raw == declaration.id:
            return raw
        if declaration.is_new and normalise(raw) == normalise(declaration.label):
            return declaration.id
        return label_to_id.get(normalise(raw))

    rows["indicator"] = rows["indicator_raw"].map(indicator_of)
    return _each(rows[rows["indicator"].isna()].drop_duplicates("indicator_raw"),
                 lambda r: Problem("indicateur inconnu : déclarez-le dans le formulaire ou corrigez son nom", r.line,
                                   "indicateur", _cut(r.indicator_raw)))


def _check_units(rows: pd.DataFrame, unit: str) -> list[Problem]:
    """Units given in the file must match the indicator's unit."""
    differ = (rows["unit_raw"] != "") & (rows["unit_raw"].map(normalise) != normalise(unit))
    return _each(rows[differ].drop_duplicates("unit_raw"),
                 lambda r: Problem(f"unité différente de celle de l'indicateur (« {unit} »)", r.line, "unité",
                                   _cut(r.unit_raw)))


def _assign_territories(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, choices: dict[str, str]
                        ) -> tuple[list[Problem], dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
    raws = rows["territory_raw"].unique().tolist()
    resolved, ambiguous = _resolve(con, [r for r in raws if r], choices)
    rows["territory"] = rows["territory_raw"].map(resolved)
    problems = _each(rows[rows["territory_raw"] == ""], lambda r: Problem("territoire manquant", r.line, "territoire", ""))
    unresolved = rows[(rows["territory_raw"] != "") & rows["territory"].isna()].drop_duplicates("territory_raw")
    amb = unresolved["territory_raw"].isin(list(ambiguous))
    problems += _each(unresolved[amb], lambda r: Problem(
        ("code" if bare(r.territory_raw).isalnum() and code_like(r.territory_raw) else "nom")
        + " ambigu, précisez lequel : " + ", ".join(f"{lab} [{code}]" for code, lab in ambiguous[r.territory_raw]),
        r.line, "territoire", _cut(r.territory_raw)))
    close = suggestions(con, unresolved.loc[~amb, "territory_raw"].tolist())
    problems += _each(unresolved[~amb], lambda r: Problem(
        "territoire inconnu (code INSEE, SIREN ou nom attendu)" + (
            " ; le plus proche : " + close[r.territory_raw][0][1] if r.territory_raw in close else ""),
        r.line, "territoire", _cut(r.territory_raw)))
    return problems, ambiguous, close


def _assign_periods(rows: pd.DataFrame, shape: str) -> list[Problem]:
    parsed = rows["period_raw"].map(_period)
    problems = _each(rows[parsed.isna()], lambda r: Problem(
        "année ou période illisible (attendu : 2019 ou 2013-2018)", r.line, r.column if shape == "wide" else "année",
        _cut(r.period_raw)))
    rows["period_start"] = parsed.map(lambda p: p[0] if p else None)
    rows["year"] = parsed.map(lambda p: p[1] if p else None)
    out_of_range = parsed.notna() & ~(rows["period_start"].between(MIN_YEAR, MAX_YEAR)
                                      & rows["year"].between(MIN_YEAR, MAX_YEAR))
    problems += _each(rows[out_of_range], lambda r: Problem(f"année hors limites ({MIN_YEAR}–{MAX_YEAR})", r.line,
                                                            "année", _cut(r.period_raw)))
    return problems


def _conventions(rows: pd.DataFrame) -> dict[str, str | None]:
    """Each column's decimal separator from all its text values; a column that nothing settles takes
    the file's, when the other columns agree on one."""
    texts = rows[rows["value_cell"].map(lambda c: isinstance(c, str))]
    if texts.empty:
        return {}
    per_column = {c: decimal_convention(v) for c, v in texts.groupby("column")["value_raw"]}
    decided = {v for v in per_column.values() if v}
    file_wide = decided.pop() if len(decided) == 1 else None
    return {c: v or file_wide for c, v in per_column.items()}


def _assign_values(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Numbers from the cells: Excel numbers as they are, text by its column's decimal convention.
    Empty cells are skipped (missing is not zero)."""
    problems = []
    empty = rows["value_raw"] == ""
    if empty.any():
        first = rows[empty].iloc[0]
        problems.append(Problem(f"{int(empty.sum())} cellule(s) vide(s) ignorée(s) : elles resteront « {MISSING} », "
                                "jamais 0", int(first["line"]), str(first["column"]), "", blocking=False))
    rows = rows[~empty].copy()
    conventions = _conventions(rows)
    rows["value"] = [(cell if math.isfinite(cell) and abs(cell) <= LARGEST else None) if isinstance(cell, float)
                     else parse_number(raw, conventions.get(col))
                     for cell, raw, col in zip(rows["value_cell"], rows["value_raw"], rows["column"], strict=True)]
    rows["value"] = rows["value"].astype(float)
    numeric = rows["value"].notna()
    bad = rows[~numeric]
    shaped = bad["value_raw"].str.replace("\u202f", "").str.replace("\xa0", "").str.replace(" ", "").map(
        lambda v: bool(_NUMBERLIKE.fullmatch(v)))
    problems += _each(bad[shaped], lambda r: Problem(f"valeur hors limites (nombres finis jusqu'à {fr_number(LARGEST)})",
                                                     r.line, r.column, _cut(r.value_raw)))
    problems += _each(bad[~shaped], lambda r: Problem("valeur non numérique", r.line, r.column, _cut(r.value_raw)))
    texts = rows[rows["value_cell"].map(lambda c: isinstance(c, str)) & numeric]
    ambiguous = texts[[is_ambiguous(v, conventions.get(c)) for v, c in zip(texts["value_raw"], texts["column"],
                                                                           strict=True)]]
    problems += _each(ambiguous, lambda r: Problem(
        f"séparateur ambigu : lu {fr_number(r.value, 3)} et non {fr_number(r.value * 1000)} (aucune autre valeur de "
        "la colonne ne dit si le point est décimal)", r.line, r.column, _cut(r.value_raw), blocking=False))
    return rows, problems


KEY = ["territory", "indicator", "period_start", "year"]


def _check_duplicates(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    ok = rows.dropna(subset=["territory", "indicator", "period_start", "value"])
    problems = _each(ok[ok.duplicated(KEY, keep="first")], lambda r: Problem(
        "doublon : même territoire, indicateur et période qu'une ligne précédente", r.line, "territoire",
        _cut(r.territory_raw)))
    return ok.drop_duplicates(KEY), problems


def _check_existing(con: duckdb.DuckDBPyConnection, ok: pd.DataFrame, obs: pd.DataFrame) -> list[Problem]:
    """A known indicator is completed, never overwritten: values already in the base are refused."""
    cur = store.cursor(con)  # its own statement state: `register` needs no half-read result before it
    cur.register("_incoming", obs)
    clash = cur.execute("""SELECT i.territory, i.period_start, i.year FROM _incoming i JOIN observation o
                           USING (territory, indicator, period_start, year) LIMIT 20""").fetchall()
    cur.unregister("_incoming")
    cur.close()
    problems = []
    for t, p0, y in clash:
        line = int(ok[(ok.territory == t) & (ok.period_start == p0) & (ok.year == y)]["line"].iloc[0])
        problems.append(Problem("une valeur existe déjà dans la base pour ce territoire et cette période "
                                "(annulez d'abord l'import qui l'a apportée)", line, "territoire", t))
    return problems


def already_imported(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[str, str] | None:
    """(date, file) of an earlier import of exactly these bytes, or None."""
    row = store.first(con, "SELECT strftime(imported_at, '%d/%m/%Y'), file FROM import_log WHERE sha256 = ?", [sha256])
    return (row[0], row[1]) if row else None


_READ: dict[tuple, tuple] = {}  # (file, choices) → its rows read: territories, periods, numbers
_READ_KEPT = 2


def _read_rows(con: duckdb.DuckDBPyConnection, prepared: Prepared, choices: dict[str, str]) -> tuple:
    """The heavy part of a check (territories, periods, numbers of up to 2 million values), done once per
    file and choices: a label typed in the form checks the declaration again, never the 200 000 rows."""
    key = (prepared.sha256, prepared.shape, tuple(sorted(choices.items())))
    if key not in _READ:
        rows = prepared.rows.copy()
        territory_problems, ambiguous, close = _assign_territories(con, rows, choices)
        problems = territory_problems + _assign_periods(rows, prepared.shape)
        rows, value_problems = _assign_values(rows)  # a count's sign is the declaration's (validate)
        while len(_READ) >= _READ_KEPT:
            _READ.pop(next(iter(_READ)))
        _READ[key] = (rows, problems + value_problems, ambiguous, close)
    rows, problems, ambiguous, close = _READ[key]
    return rows.copy(), list(problems), ambiguous, close


def validate(con: duckdb.DuckDBPyConnection, prepared: Prepared, declaration: Declaration,
             choices: dict[str, str] | None = None) -> Validated:
    """Every problem of the file, each with its line, column and value; nothing is written here."""
    empty_obs = pd.DataFrame(columns=[*KEY, "value"])
    seen = already_imported(con, prepared.sha256)
    if seen:
        return Validated(prepared, empty_obs, [], {}, already=seen)
    rows, read_problems, ambiguous, close = _read_rows(con, prepared, choices or {})
    known = store.indicators(con).set_index("id")
    problems = list(prepared.problems) + check_declaration(known, declaration)
    problems += _assign_indicators(rows, known, declaration)
    existing = declaration.id in known.index and not declaration.is_new
    kind = known.at[declaration.id, "kind"] if existing else declaration.kind
    unit = known.at[declaration.id, "unit"] if existing else declaration.unit
    problems += _check_units(rows, unit) + read_problems
    if kind == "count" and declaration.id not in SIGNED_COUNTS:
        problems += _each(rows[rows["value"] < 0], lambda r: Problem("effectif négatif", r.line, r.column,
                                                                     _cut(r.value_raw)))
    ok, duplicate_problems = _check_duplicates(rows)
    problems += duplicate_problems
    obs = ok[[*KEY, "value"]].astype({"period_start": int, "year": int})
    if not obs.empty and existing:
        problems += _check_existing(con, ok, obs)
    if obs.empty and not any(p.blocking for p in problems):
        problems.append(Problem("aucune valeur à importer."))
    return Validated(prepared, obs.reset_index(drop=True), cap(problems), ambiguous, suggested=close)


# ---------------------------------------------------------------- writing and undoing
def write(validated: Validated, declaration: Declaration, accept_warnings: bool = False,
          path: Path | None = None) -> tuple[int, bool]:
    """Write the import in one transaction; returns (import id, created). Same bytes again → no-op."""
    prep = validated.prepared
    ready_to_write(validated, prep.file, accept_warnings)
    with store.replacing(path) as con:
        import_id, new = next_import(con, prep.sha256)
        if not new:
            return import_id, False
        if declaration.is_new:
            d = declaration
            if store.first(con, "SELECT 1 FROM indicator WHERE id = ?", [d.id]):  # declared meanwhile by someone else
                raise ImportProblem([Problem(f"l'indicateur « {d.label} » existe déjà (créé entre-temps) : "
                                             "choisissez « Compléter un indicateur existant ».")], prep.file)
            declare_indicator(
                con, d.id, d.label, d.unit, d.kind, d.polarity, _decimals(validated.observations["value"]),
                d.definition or d.label, "Territoires et périodes du fichier importé ; pas de calcul d'agrégat.",
                "Indicateur importé par un utilisateur : vérifiez la source indiquée.",
                "Valeurs importées affichées telles quelles ; un groupe additionne les effectifs de ses membres.",
                "Source : " + d.source + " (import utilisateur)", d.licence or "non précisée")
        con.register("_obs", validated.observations)
        con.execute("INSERT INTO observation SELECT territory, indicator, period_start, year, value, NULL, ? "
                    "FROM _obs", [import_id])
        con.unregister("_obs")
        log_import(con, import_id, prep.file, prep.sha256, len(validated.observations),
                   ",".join(sorted(set(validated.observations["indicator"]))))
    return import_id, True


# The steps every import shares (indicator values here, users' points in points.py).
def ready_to_write(checked: HasProblems, file: str, accept_warnings: bool) -> None:
    """Nothing is written while a blocking problem remains or while the warnings are not accepted."""
    if checked.blocking:
        raise ImportProblem(checked.blocking, file)
    if checked.warnings and not accept_warnings:
        raise ImportProblem([Problem("des avertissements restent à accepter avant d'importer.")], file)


def next_import(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[int, bool]:
    """The id of this file's import and whether it is new: the same bytes imported before keep their
    earlier id and write nothing."""
    seen = store.first(con, "SELECT id FROM import_log WHERE sha256 = ?", [sha256])
    if seen:
        return int(seen[0]), False
    # never a number given before, even to an import since undone: the journal's « import n° 3 » stays one import
    return int(store.first(con, """SELECT greatest(coalesce(max(id), 0),
                                   coalesce((SELECT max(value::INTEGER) FROM meta WHERE key = 'last_import_id'), 0)) + 1
                                   FROM import_log""")[0]), True


def declare_indicator(con: duckdb.DuckDBPyConnection, ind_id: str, label: str, unit: str, kind: str, polarity: int,
                      decimals: int, definition: str, coverage: str, caution: str, rule: str, source: str,
                      licence: str) -> None:
    """A user's indicator in the catalog table, under the theme « Indicateurs importés », dated today."""
    con.execute(
        """INSERT INTO indicator (id, label, unit, kind, scale, polarity, decimals, theme, definition,
               coverage, caution, rule, source, licence, vintage, small_count, user_defined)
           VALUES (?, ?, ?, ?, 1, ?, ?, 'Indicateurs importés', ?, ?, ?, ?, ?, ?, ?, NULL, TRUE)""",
        [ind_id, label, unit, kind, polarity, decimals, definition, coverage, caution, rule, source, licence,
         f"importé le {datetime.now(UTC).date().isoformat()}"])


def log_import(con: duckdb.DuckDBPyConnection, import_id: int, file: str, sha256: str, rows: int,
               indicator_ids: str) -> None:
    con.execute("INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?)",
                [import_id, datetime.now(UTC).replace(tzinfo=None), file, sha256, rows, indicator_ids])
    con.execute("INSERT OR REPLACE INTO meta VALUES ('last_import_id', ?)", [str(import_id)])


def _decimals(values: pd.Series) -> int:
    """Whole numbers are shown without decimals; otherwise two."""
    return 0 if (values.round() == values).all() else 2


def undo(import_id: int, path: Path | None = None) -> int:
    """Remove every value of an import, and the indicators it created once they have no value left."""
    with store.replacing(path) as con:
        row = store.first(con, "SELECT indicator_ids FROM import_log WHERE id = ?", [import_id])
        if row is None:
            raise ImportProblem([Problem(f"import n° {import_id} introuvable.")])
        n = store.first(con, "SELECT count(*) FROM observation WHERE import_id = ?", [import_id])[0]
        con.execute("DELETE FROM observation WHERE import_id = ?", [import_id])
        for table in ("point", "point_layer"):  # an import of points takes its points with it
            if store.has_table(con, table):
                con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])
        con.execute("""DELETE FROM indicator WHERE user_defined AND id NOT IN
                       (SELECT DISTINCT indicator FROM observation)""")
        con.execute("DELETE FROM import_log WHERE id = ?", [import_id])
    return int(n)


def imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT id, imported_at, file, sha256, rows, indicator_ids FROM import_log ORDER BY id DESC").df()


# ---------------------------------------------------------------- templates
def template(con: duckdb.DuckDBPyConnection, codes: list[str], shape: str, years: list[int]) -> bytes:
    """A CSV to fill in (French convention), pre-filled with the territories' codes and names."""
    names = labels(con, codes)
    if shape == "large":
        frame = pd.DataFrame({"territoire": codes, "nom": [names.get(c, "") for c in codes],
                              "indicateur": "", **{str(y): "" for y in years}})
    else:
        frame = pd.DataFrame([{"territoire": c, "nom": names.get(c, ""), "indicateur": "", "année": y, "valeur": "",
                               "unité": ""} for c in codes for y in years])
    return frame.to_csv(index=False, sep=";").encode("utf-8-sig")


def slug_id(label: str) -> str:
    """An identifier for a new indicator from its label (`Ouvertures de commerces` → `user_ouvertures_de_commerces`)."""
    return "user_" + slug(label, "_", "indicateur")


__all__ = ["Declaration", "ImportProblem", "KINDS", "Problem", "already_imported", "imports", "load", "prepare",
           "read_table", "sheet_names", "template", "undo", "validate", "write"]
