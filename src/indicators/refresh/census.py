"""INSEE's census files: the historical series of legal populations (`base-pop-historiques-1876-<année>.xlsx`)
and the comparator base (`base_cc_comparateur.csv`). Their column names carry the years (`PMUN2023`,
`P22_POP`, `NAIS1621`): the years are read from the names, never assumed."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ImportProblem
from ..format import fr_int
from ..tabular import scan_workbook
from .archives import read_member
from .layout import CheckFailed, LayoutChanged, Summary, contiguous, require_columns, year_columns

MINIMUM_COMMUNES = 34_000
COMPARATOR_MAX_BYTES = 300_000_000  # base_cc_comparateur.csv unpacked (2022 edition: about 20 MB)
# France's population (all communes, with or without Mayotte) lies in this range: outside it, the file
# is a part of France or counts something else.
NATIONAL_RANGE = (60e6, 75e6)
ARRONDISSEMENTS = r"751(0[1-9]|1\d|20)|6938[1-9]|132(0[1-9]|1[0-6])"  # Paris, Lyon, Marseille


# ---------------------------------------------------------------- legal populations, historical series
PMUN = r"PMUN(\d{4})"


def read_populations(path: Path) -> pd.DataFrame:
    """commune, year, population from the historical series: the sheet `pop_…`, its header row found by
    its `CODGEO` cell (row 6 today), every `PMUN<année>` column."""
    try:
        with zipfile.ZipFile(path) as zf:  # no DOCTYPE, no entity, no deep nesting, before pandas parses it
            scan_workbook(zf, path.name, "xlsx", max_cells=None)
        sheets = pd.ExcelFile(path)
    except ImportProblem as exc:
        raise CheckFailed(f"{path.name} : {exc.problems[0].message}") from exc
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise LayoutChanged(f"{path.name} : classeur Excel illisible ({exc})") from exc
    sheet = next((s for s in sheets.sheet_names if s.lower().startswith("pop_")), None)
    if sheet is None:
        raise LayoutChanged(f"{path.name} : pas de feuille « pop_… » (feuilles : {', '.join(sheets.sheet_names)})")
    top = pd.read_excel(sheets, sheet_name=sheet, header=None, nrows=20, dtype=str)
    rows = [i for i, row in top.iterrows() if "CODGEO" in row.tolist()]
    if not rows:
        raise LayoutChanged(f"{path.name} : pas de ligne d'en-tête avec CODGEO dans la feuille {sheet}")
    frame = pd.read_excel(sheets, sheet_name=sheet, header=rows[0], dtype=str)
    header = [str(c) for c in frame.columns]
    require_columns(path.name, header, ("CODGEO",), "l'Insee")
    years = year_columns(header, PMUN)
    if not years:
        raise LayoutChanged(f"{path.name} : aucune colonne PMUN<année> (trouvées : {', '.join(header[:10])}…)")
    long = frame[["CODGEO", *years.values()]].melt(id_vars="CODGEO", var_name="column", value_name="population")
    long["year"] = long["column"].str[-4:].astype(int)
    long["population"] = pd.to_numeric(long["population"], errors="coerce")
    return (long.dropna(subset=["population"]).rename(columns={"CODGEO": "commune"})
            [["commune", "year", "population"]].reset_index(drop=True))


def validate_populations(path: Path) -> Summary:
    """Every commune once, yearly populations without a gap since 2006, a national total in France's
    range each year and no national jump of more than 2 % from one year to the next."""
    pop = read_populations(path)
    if pop.duplicated(["commune", "year"]).any():
        raise CheckFailed(f"{path.name} : communes en double ({', '.join(pop[pop.duplicated(['commune', 'year'])]['commune'][:3])})")
    recent = sorted(y for y in pop["year"].unique() if y >= 2006)
    if not recent:
        raise CheckFailed(f"{path.name} : pas de population légale annuelle (depuis 2006)")
    contiguous(path.name, recent)
    _check_national(path.name, pop[pop["year"].isin(recent)].groupby("year")["population"].sum())
    communes = pop.loc[pop["year"] == recent[-1], "commune"].nunique()
    _check_communes(path.name, communes)
    return Summary(len(pop), (recent[0], recent[-1]), f"{fr_int(communes)} communes, population légale {recent[-1]}")


def _check_range(name: str, year: int, total: float) -> None:
    low, high = NATIONAL_RANGE
    if not low <= total <= high:
        raise CheckFailed(f"{name} : en {year}, la France compterait {fr_int(total)} habitants ; fichier refusé")


def _check_national(name: str, totals: pd.Series) -> None:
    for year, total in totals.items():
        _check_range(name, int(year), total)
    jumps = totals.pct_change().abs()
    if (jumps > 0.02).any():
        year = int(jumps.idxmax())
        raise CheckFailed(f"{name} : la population de la France varie de {jumps.max():.1%} en {year} ; fichier refusé")


def _check_communes(name: str, communes: int) -> None:
    if communes < MINIMUM_COMMUNES:
        raise CheckFailed(f"{name} : {fr_int(communes)} communes seulement ; un extrait fausserait les totaux : "
                          "fichier refusé pour la base")


# ---------------------------------------------------------------- comparator base (newest census)
@dataclass(frozen=True)
class ComparatorYears:
    start: int        # 2016
    end: int          # 2022
    columns: dict     # role -> column name: pop_start, pop_end, births, deaths, jobs_start, jobs_end


def comparator_years(name: str, header: list[str]) -> ComparatorYears:
    """The census years from the column names: `P22_POP`, `P16_POP` and their span `NAIS1621`, `DECE1621`."""
    pops = year_columns(header, r"P(\d{2})_POP")
    if len(pops) < 2:
        raise LayoutChanged(f"{name} : deux colonnes P<aa>_POP attendues (trouvées : {', '.join(header[:10])}…)")
    end, start = sorted(pops)[-1], sorted(pops)[-2]
    # Births and deaths between the two censuses: INSEE names the span by its end year (NAIS1318, 2022
    # edition) or by its last full year (NAIS1621, 2025 edition); both count 1 Jan start → 1 Jan end.
    span = next((f"{start:02d}{e:02d}" for e in (end, end - 1) if f"NAIS{start:02d}{e:02d}" in header),
                f"{start:02d}{end:02d}")
    columns = {"pop_start": pops[start], "pop_end": pops[end], "births": f"NAIS{span}", "deaths": f"DECE{span}",
               "jobs_start": f"P{start:02d}_EMPLT", "jobs_end": f"P{end:02d}_EMPLT"}
    require_columns(name, header, ("CODGEO", columns["births"], columns["deaths"]), "l'Insee")
    return ComparatorYears(2000 + start, 2000 + end, {k: v for k, v in columns.items() if v in header})


def comparator_bytes(path: Path) -> bytes:
    """The CSV inside INSEE's zip (`base_cc_comparateur.csv`, not its metadata) or the file itself."""
    if not zipfile.is_zipfile(path):
        return path.read_bytes()
    return read_member(path, lambda n: n.lower().endswith(".csv") and "meta" not in n.lower(), "fichier CSV",
                       max_bytes=COMPARATOR_MAX_BYTES)


def read_comparator(path: Path) -> tuple[ComparatorYears, pd.DataFrame]:
    """The comparator's census accounts per commune, columns renamed to their role."""
    data = comparator_bytes(path)
    head = data[: data.find(b"\n")].decode("utf-8-sig")
    sep = ";" if head.count(";") >= head.count(",") else ","
    years = comparator_years(path.name, [h.strip().strip('"') for h in head.strip().split(sep)])
    frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, encoding="utf-8-sig",
                        usecols=["CODGEO", *years.columns.values()])
    frame = frame.rename(columns={v: k for k, v in years.columns.items()})
    for role in years.columns:
        frame[role] = pd.to_numeric(frame[role].str.replace(",", ".", regex=False), errors="coerce")
    return years, frame


def validate_comparator(path: Path) -> Summary:
    """Every commune once, national population in range at both censuses."""
    years, frame = read_comparator(path)
    doubles = frame["CODGEO"][frame["CODGEO"].duplicated()]
    if len(doubles):
        raise CheckFailed(f"{path.name} : communes en double ({', '.join(doubles[:3])})")
    communes = frame[~frame["CODGEO"].str.fullmatch(ARRONDISSEMENTS)]  # beside their commune: not counted twice
    _check_communes(path.name, len(communes))
    for year, role in ((years.start, "pop_start"), (years.end, "pop_end")):
        _check_range(path.name, year, communes[role].sum())
    return Summary(len(frame), (years.start, years.end),
                   f"{fr_int(len(communes))} communes, recensements {years.start} et {years.end}")
