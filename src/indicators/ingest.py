"""User imports: read a CSV/Excel file, validate every row, report in French, write in one transaction.

Flow: `read_table` (bytes → text cells) → `prepare` (long rows with their file line and column) →
`validate` (every problem with line, column and value) → `write` (one transaction through the
store's writer path; a re-import of the same bytes is a no-op) → `undo` (the whole import).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from . import store
from .errors import ObservatoireError
from .format import parse_number
from .territories import labels, normalise, slug

MIN_YEAR, MAX_YEAR = 1900, datetime.now().year + 1
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
PERIOD_RE = re.compile(r"^\s*(\d{4})(?:\s*[-–/à]\s*(\d{4}))?\s*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, where it is, and whether it blocks the import."""

    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    blocking: bool = True

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"ligne {self.line}" if self.line else "",
                                      f"colonne « {self.column} »" if self.column else "") if p)
        shown = f" (valeur : « {self.value} »)" if self.value is not None else ""
        return f"{where + ' : ' if where else ''}{self.message}{shown}"


class ImportProblem(ObservatoireError):
    """An import that cannot go on; carries every problem found so the report lists them all."""

    def __init__(self, problems: list[Problem], file: str = ""):
        self.problems = problems
        head = f"Fichier « {file} » : " if file else ""
        super().__init__(head + "; ".join(str(p) for p in problems[:5])
                         + (f" … et {len(problems) - 5} autres problèmes." if len(problems) > 5 else ""))


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
    rows: pd.DataFrame  # line, column, territory_raw, indicator_raw, period_raw, value_raw, unit_raw
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Validated:
    prepared: Prepared
    observations: pd.DataFrame  # territory, indicator, period_start, year, value
    problems: list[Problem]
    ambiguous: dict[str, list[tuple[str, str]]]  # name → [(code, label)]

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]


# ---------------------------------------------------------------- reading
def sheet_names(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data), read_only=True).sheetnames


def read_table(data: bytes, file: str, sheet: str | None = None) -> pd.DataFrame:
    """Every cell as text. CSV: `;`, `,` or tab, UTF-8 (with or without BOM) or Latin-1. XLSX: a sheet."""
    if not data or not data.strip():
        raise ImportProblem([Problem("le fichier est vide.")], file)
    if file.lower().endswith((".xlsx", ".xlsm")):
        try:
            names = sheet_names(data)
        except Exception as exc:  # openpyxl raises many types for a non-Excel file
            raise ImportProblem([Problem(f"ce n'est pas un classeur Excel lisible ({type(exc).__name__}).")], file) from exc
        if sheet is not None and sheet not in names:
            raise ImportProblem([Problem(f"la feuille « {sheet} » n'existe pas ; feuilles présentes : "
                                         + ", ".join(f"« {n} »" for n in names) + ".")], file)
        frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet or names[0], dtype=str, header=0)
        frame = frame.dropna(how="all")
    else:
        text = _decode(data)
        try:
            dialect = csv.Sniffer().sniff(text[:20000], delimiters=";,\t")
            sep = dialect.delimiter
        except csv.Error:
            sep = ";" if text.count(";") >= text.count(",") else ","
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                skip_blank_lines=True)
        except (pd.errors.ParserError, UnicodeError) as exc:
            raise ImportProblem([Problem(f"CSV illisible : {str(exc).splitlines()[0]}")], file) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise ImportProblem([Problem("le fichier n'a pas de ligne de données sous l'en-tête.")], file)
    return frame.fillna("")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---------------------------------------------------------------- shaping
def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    keyed = {normalise(c).replace(" ", "_"): c for c in columns}
    for n in names:
        if n in keyed:
            return keyed[n]
    return None


def prepare(frame: pd.DataFrame, file: str, data: bytes) -> Prepared:
    """Long rows from a long (territoire, indicateur, année, valeur) or wide (one column per year) table."""
    cols = list(frame.columns)
    sha = hashlib.sha256(data).hexdigest()
    terr = _find(cols, TERRITORY_COLUMNS)
    ind, per, val, unit = (_find(cols, c) for c in (INDICATOR_COLUMNS, PERIOD_COLUMNS, VALUE_COLUMNS, UNIT_COLUMNS))
    lines = pd.Series(range(2, len(frame) + 2), index=frame.index)  # line 1 is the header
    if terr is None:
        raise ImportProblem([Problem("aucune colonne de territoire (attendu : « territoire », « code », "
                                     "« code_insee », « siren » ou « nom ») ; colonnes lues : "
                                     + ", ".join(f"« {c} »" for c in cols) + ".")], file)
    if per is not None and val is not None:
        rows = pd.DataFrame({
            "line": lines, "column": val, "territory_raw": frame[terr].str.strip(),
            "indicator_raw": frame[ind].str.strip() if ind else "", "period_raw": frame[per].str.strip(),
            "value_raw": frame[val].str.strip(), "unit_raw": frame[unit].str.strip() if unit else "",
        })
        return Prepared(file, sha, "long", rows.reset_index(drop=True))
    year_cols = [c for c in cols if PERIOD_RE.match(c)]
    if not year_cols:
        raise ImportProblem([Problem("format non reconnu : il faut soit des colonnes « année » et « valeur » "
                                     "(format long), soit une colonne par année, nommée 2019, 2020… (format large).")], file)
    parts = [pd.DataFrame({
        "line": lines, "column": c, "territory_raw": frame[terr].str.strip(),
        "indicator_raw": frame[ind].str.strip() if ind else "", "period_raw": c,
        "value_raw": frame[c].str.strip(), "unit_raw": frame[unit].str.strip() if unit else "",
    }) for c in year_cols]
    return Prepared(file, sha, "wide", pd.concat(parts).sort_values(["line", "column"]).reset_index(drop=True))


# ---------------------------------------------------------------- validation
def _resolve(con: duckdb.DuckDBPyConnection, raws: list[str], choices: dict[str, str]
             ) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Map each raw territory to a code: prefixed codes, INSEE codes, SIREN, or names (accent-blind).

    A name shared by several territories is ambiguous unless `choices` says which one.
    """
    table = con.execute("SELECT code, level, label, search_key FROM territory WHERE valid_until IS NULL "
                        "OR level = 'EPCI'").df()
    codes = set(table["code"])
    by_name: dict[str, list[tuple[str, str]]] = {}
    for code, label, key in zip(table["code"], table["label"], table["search_key"]):
        by_name.setdefault(key, []).append((code, label))
    resolved, ambiguous = {}, {}
    for raw in raws:
        if raw in choices:
            resolved[raw] = choices[raw]
            continue
        up = raw.upper().replace(" ", "")
        guesses = [up] if ":" in up or up == "FR" else [f"COM:{up.zfill(5)}" if len(up) in (4, 5) else "",
                                                         f"EPCI:{up}" if len(up) == 9 else "",
                                                         f"DEP:{up.zfill(2)}" if len(up) in (1, 2, 3) else "",
                                                         f"REG:{up}" if len(up) == 2 else ""]
        hit = [g for g in guesses if g in codes]
        if len(hit) == 1 or (hit and up.isdigit() and len(up) == 5):
            resolved[raw] = hit[0]
            continue
        if normalise(raw) == "france":
            resolved[raw] = "FR"
            continue
        named = by_name.get(normalise(raw), [])
        if len(named) == 1:
            resolved[raw] = named[0][0]
        elif len(named) > 1:
            ambiguous[raw] = named
    return resolved, ambiguous


def _period(text: str) -> tuple[int, int] | None:
    m = PERIOD_RE.match(text)
    if not m:
        return None
    start = int(m.group(1))
    end = int(m.group(2) or start)
    return (start, end) if start <= end else None


def validate(con: duckdb.DuckDBPyConnection, prepared: Prepared, declaration: Declaration,
             choices: dict[str, str] | None = None) -> Validated:
    """Every problem of the file, each with its line, column and value; nothing is written here."""
    rows = prepared.rows.copy()
    problems: list[Problem] = list(prepared.problems)
    known = store.indicators(con).set_index("id")
    # Indicators: the file's column (ids or labels of known ones) or the declaration for every row.
    label_to_id = {normalise(lab): i for i, lab in known["label"].items()}
    if declaration.is_new:
        if declaration.id in known.index:
            problems.append(Problem(f"l'indicateur « {declaration.id} » existe déjà : choisissez-le pour le compléter."))
        if not declaration.label.strip() or not declaration.unit.strip():
            problems.append(Problem("un nouvel indicateur doit avoir un libellé et une unité."))
        if declaration.kind not in KINDS:
            problems.append(Problem(f"nature inconnue « {declaration.kind} » (effectif, taux ou niveau)."))
        if not declaration.source.strip():
            problems.append(Problem("indiquez la source du nouvel indicateur (producteur, jeu de données)."))
    elif declaration.id not in known.index:
        problems.append(Problem(f"indicateur inconnu « {declaration.id} »."))

    def indicator_of(raw: str) -> str | None:
        if not raw:
            return declaration.id
        if raw in known.index or raw == declaration.id:
            return raw
        if declaration.is_new and normalise(raw) == normalise(declaration.label):
            return declaration.id
        return label_to_id.get(normalise(raw))

    rows["indicator"] = rows["indicator_raw"].map(indicator_of)
    for r in rows[rows["indicator"].isna()].drop_duplicates("indicator_raw").itertuples():
        problems.append(Problem("indicateur inconnu : déclarez-le dans le formulaire ou corrigez son nom",
                                r.line, "indicateur", r.indicator_raw))
    kind = declaration.kind if declaration.is_new else (known.at[declaration.id, "kind"] if declaration.id in known.index else "count")
    unit = declaration.unit if declaration.is_new else (known.at[declaration.id, "unit"] if declaration.id in known.index else "")
    # Units given in the file must match the indicator's unit.
    for r in rows[(rows["unit_raw"] != "") & (rows["unit_raw"].map(normalise) != normalise(unit))].drop_duplicates("unit_raw").itertuples():
        problems.append(Problem(f"unité différente de celle de l'indicateur (« {unit} »)", r.line, "unité", r.unit_raw))

    # Territories.
    raws = rows["territory_raw"].unique().tolist()
    resolved, ambiguous = _resolve(con, [r for r in raws if r], choices or {})
    rows["territory"] = rows["territory_raw"].map(resolved)
    for r in rows[rows["territory_raw"] == ""].itertuples():
        problems.append(Problem("territoire manquant", r.line, "territoire", ""))
    for r in rows[(rows["territory_raw"] != "") & rows["territory"].isna()].drop_duplicates("territory_raw").itertuples():
        if r.territory_raw in ambiguous:
            options = ", ".join(f"{lab} [{code}]" for code, lab in ambiguous[r.territory_raw])
            problems.append(Problem(f"nom ambigu, précisez lequel : {options}", r.line, "territoire", r.territory_raw))
        else:
            problems.append(Problem("territoire inconnu (code INSEE, SIREN ou nom attendu)", r.line, "territoire",
                                    r.territory_raw))

    # Periods.
    parsed = rows["period_raw"].map(_period)
    for r in rows[parsed.isna()].itertuples():
        problems.append(Problem("année ou période illisible (attendu : 2019 ou 2013-2018)", r.line, r.column
                                if prepared.shape == "wide" else "année", r.period_raw))
    rows["period_start"] = parsed.map(lambda p: p[0] if p else None)
    rows["year"] = parsed.map(lambda p: p[1] if p else None)
    out_of_range = parsed.notna() & ~rows["period_start"].between(MIN_YEAR, MAX_YEAR, inclusive="both") | \
        parsed.notna() & ~rows["year"].between(MIN_YEAR, MAX_YEAR, inclusive="both")
    for r in rows[out_of_range].itertuples():
        problems.append(Problem(f"année hors limites ({MIN_YEAR}–{MAX_YEAR})", r.line, "année", r.period_raw))

    # Values: empty cells are skipped (missing is not zero), others must be numbers.
    empty = rows["value_raw"] == ""
    if empty.any():
        first = rows[empty].iloc[0]
        problems.append(Problem(f"{int(empty.sum())} cellule(s) vide(s) ignorée(s) : elles resteront « donnée non "
                                "disponible », jamais 0", int(first["line"]), str(first["column"]), "", blocking=False))
    rows = rows[~empty]
    rows["value"] = rows["value_raw"].map(parse_number)
    for r in rows[rows["value"].isna()].itertuples():
        problems.append(Problem("valeur non numérique", r.line, r.column, r.value_raw))
    if kind == "count" and declaration.id not in SIGNED_COUNTS:
        for r in rows[rows["value"] < 0].itertuples():
            problems.append(Problem("effectif négatif", r.line, r.column, r.value_raw))

    # Duplicates within the file, and values that already exist in the database.
    ok = rows.dropna(subset=["territory", "indicator", "period_start", "value"])
    key = ["territory", "indicator", "period_start", "year"]
    dup = ok[ok.duplicated(key, keep="first")]
    for r in dup.itertuples():
        problems.append(Problem("doublon : même territoire, indicateur et période qu'une ligne précédente", r.line,
                                "territoire", r.territory_raw))
    ok = ok.drop_duplicates(key)
    obs = ok[key + ["value"]].astype({"period_start": int, "year": int})
    if not obs.empty and not declaration.is_new:
        con.register("_incoming", obs)
        clash = con.execute("""SELECT i.territory, i.period_start, i.year FROM _incoming i JOIN observation o
                               USING (territory, indicator, period_start, year) LIMIT 20""").fetchall()
        con.unregister("_incoming")
        for t, p0, y in clash:
            line = int(ok[(ok.territory == t) & (ok.period_start == p0) & (ok.year == y)]["line"].iloc[0])
            problems.append(Problem("une valeur existe déjà dans la base pour ce territoire et cette période "
                                    "(annulez d'abord l'import qui l'a apportée)", line, "territoire", t))
    if obs.empty and not any(p.blocking for p in problems):
        problems.append(Problem("aucune valeur à importer."))
    return Validated(prepared, obs.reset_index(drop=True), problems, ambiguous)


# ---------------------------------------------------------------- writing and undoing
def write(validated: Validated, declaration: Declaration, accept_warnings: bool = False,
          path: Path | None = None) -> tuple[int, bool]:
    """Write the import in one transaction; returns (import id, created). Same bytes again → no-op."""
    if validated.blocking:
        raise ImportProblem(validated.blocking, validated.prepared.file)
    if validated.warnings and not accept_warnings:
        raise ImportProblem([Problem("des avertissements restent à accepter avant d'importer.")],
                            validated.prepared.file)
    prep = validated.prepared
    with store.replacing(path) as con:
        seen = con.execute("SELECT id FROM import_log WHERE sha256 = ?", [prep.sha256]).fetchone()
        if seen:
            return int(seen[0]), False
        import_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM import_log").fetchone()[0]
        if declaration.is_new:
            d = declaration
            con.execute(
                """INSERT INTO indicator (id, label, unit, kind, scale, polarity, decimals, theme, definition,
                       coverage, caution, rule, source, licence, vintage, small_count, user_defined)
                   VALUES (?, ?, ?, ?, 1, ?, ?, 'Indicateurs importés', ?, ?, ?, ?, ?, ?, ?, NULL, TRUE)""",
                [d.id, d.label, d.unit, d.kind, d.polarity, _decimals(validated.observations["value"]),
                 d.definition or d.label,
                 "Territoires et périodes du fichier importé ; pas de calcul d'agrégat.",
                 "Indicateur importé par un utilisateur : vérifiez la source indiquée.",
                 "Valeurs importées affichées telles quelles ; un groupe additionne les effectifs de ses membres.",
                 "Source : " + d.source + " (import utilisateur)", d.licence or "non précisée",
                 f"importé le {datetime.now(timezone.utc).date().isoformat()}"])
        con.register("_obs", validated.observations)
        con.execute("INSERT INTO observation SELECT territory, indicator, period_start, year, value, NULL, ? "
                    "FROM _obs", [import_id])
        con.unregister("_obs")
        ids = ",".join(sorted(set(validated.observations["indicator"])))
        con.execute("INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?)",
                    [import_id, datetime.now(timezone.utc).replace(tzinfo=None), prep.file, prep.sha256,
                     len(validated.observations), ids])
    return int(import_id), True


def _decimals(values: pd.Series) -> int:
    """Whole numbers are shown without decimals; otherwise two."""
    return 0 if (values.round() == values).all() else 2


def undo(import_id: int, path: Path | None = None) -> int:
    """Remove every value of an import, and the indicators it created once they have no value left."""
    with store.replacing(path) as con:
        row = con.execute("SELECT indicator_ids FROM import_log WHERE id = ?", [import_id]).fetchone()
        if row is None:
            raise ImportProblem([Problem(f"import n° {import_id} introuvable.")])
        n = con.execute("SELECT count(*) FROM observation WHERE import_id = ?", [import_id]).fetchone()[0]
        con.execute("DELETE FROM observation WHERE import_id = ?", [import_id])
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


__all__ = ["Declaration", "ImportProblem", "KINDS", "Problem", "imports", "prepare", "read_table",
           "template", "undo", "validate", "write"]
