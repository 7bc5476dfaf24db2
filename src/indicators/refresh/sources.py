"""One adapter per official source: where its current file is, how it is laid out (columns read by
name, never by position), and the checks it must pass before the base uses it."""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..format import fr_int


class LayoutChanged(Exception):
    """The publisher's file no longer has the columns the adapter reads; the message is French."""


class CheckFailed(Exception):
    """The file is read but its figures do not add up; the message is French."""


@dataclass(frozen=True)
class Remote:
    url: str
    sha256: str | None = None


@dataclass(frozen=True)
class Summary:
    rows: int
    years: tuple[int, int]
    detail: str


@dataclass(frozen=True)
class Adapter:
    name: str                      # --only NAME
    label: str                     # French, for messages
    target: str                    # path under data/sources that the build reads
    catalog: str                   # the publisher's catalogue (file names change every year)
    fallback: str                  # a stable link used when the catalogue names no file
    pattern: str                   # how the file is recognised in the catalogue or in a --from folder
    validate: Callable[[Path], Summary]
    licence: str

    def locate(self, read_text: Callable[[str], str], base: str | None = None) -> Remote:
        """The current file's address (and its checksum when the catalogue gives one)."""
        catalog, fallback = (_rebase(self.catalog, base), _rebase(self.fallback, base)) if base else \
            (self.catalog, self.fallback)
        try:
            found = _find_in_catalog(json.loads(read_text(catalog)), re.compile(self.pattern))
        except (ValueError, KeyError):
            found = None
        return found or Remote(fallback)


def _rebase(url: str, base: str) -> str:
    """The same path on another server (tests, or a mirror inside an agency's network)."""
    return base.rstrip("/") + "/" + url.split("://", 1)[1].split("/", 1)[1]


def _find_in_catalog(node: object, pattern: re.Pattern) -> Remote | None:
    """The first address matching `pattern` anywhere in a JSON catalogue, with a sha256 or checksum
    field beside it if there is one: catalogues change shape, file names follow a pattern."""
    if isinstance(node, dict):
        for value in node.values():
            if isinstance(value, str) and value.startswith("http") and pattern.search(value):
                sha = next((str(v) for k, v in node.items()
                            if k.lower() in ("sha256", "checksum", "hash") and isinstance(v, str) and v), None)
                return Remote(value, sha)
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find_in_catalog(child, pattern)
        if found:
            return found
    return None


# ---------------------------------------------------------------- INSEE births by commune (Melodi)
BIRTH_COLUMNS = ("EC_MEASURE", "GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE")


def read_melodi_births(path: Path) -> pd.DataFrame:
    """The data file inside INSEE's zip, columns checked by name: GEO, GEO_OBJECT, year, value."""
    with zipfile.ZipFile(path) as archive:
        member = next((n for n in archive.namelist() if n.endswith("_data.csv")), None)
        if member is None:
            raise LayoutChanged(f"{path.name} : pas de fichier « …_data.csv » dans l'archive "
                                f"({', '.join(archive.namelist()[:5])})")
        with archive.open(member) as f:
            header = f.readline().decode("utf-8-sig").strip().replace('"', "").split(";")
            missing = [c for c in BIRTH_COLUMNS if c not in header]
            if missing:
                raise LayoutChanged(f"{path.name} : colonnes absentes {', '.join(missing)} (trouvées : "
                                    f"{', '.join(header[:10])}) ; le format de l'Insee a changé, rien n'est chargé")
        frame = pd.read_csv(io.BytesIO(archive.read(member)), sep=";", dtype=str, usecols=list(BIRTH_COLUMNS))
    frame = frame[frame["EC_MEASURE"] == "LVB"]
    return frame.assign(year=frame["TIME_PERIOD"].astype(int), value=pd.to_numeric(frame["OBS_VALUE"], errors="coerce"))


def validate_births(path: Path) -> Summary:
    """Each year, the communes outside Mayotte sum to INSEE's own `F_X_D976` row."""
    frame = read_melodi_births(path)
    com = frame[(frame["GEO_OBJECT"] == "COM") & ~frame["GEO"].str.startswith("976")]
    sums = com.groupby("year")["value"].sum()
    national = frame[frame["GEO"] == "F_X_D976"].set_index("year")["value"].sort_index()
    if national.empty:
        raise LayoutChanged(f"{path.name} : pas de ligne nationale F_X_D976 pour contrôler les communes")
    wrong = [(y, sums.get(y), v) for y, v in national.items() if abs((sums.get(y) or 0) - v) > 0.5]
    if wrong:
        y, s, v = wrong[0]
        raise CheckFailed(f"{path.name} : en {y}, la somme des communes ({fr_int(s)}) diffère de la ligne France "
                          f"de l'Insee ({fr_int(v)}) ; fichier refusé")
    return Summary(len(frame), (int(frame["year"].min()), int(frame["year"].max())),
                   f"{fr_int(com['GEO'].nunique())} communes, {fr_int(national.iloc[-1])} naissances en "
                   f"{national.index[-1]}")


# ---------------------------------------------------------------- URSSAF salaried jobs by commune × APE
URSSAF_KEYS = ("Code commune", "Code APE")
URSSAF_YEAR = re.compile(r"^Effectifs salariés (\d{4})$")


def read_urssaf(path: Path) -> pd.DataFrame:
    """URSSAF's wide file (one row per commune × APE, `Effectifs salariés <année>` columns) as
    commune, year, jobs: columns by name; an empty cell is no establishment that year, not 0."""
    header = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", nrows=0).columns.tolist()
    years = {int(m.group(1)): h for h in header if (m := URSSAF_YEAR.match(h))}
    missing = [c for c in URSSAF_KEYS if c not in header]
    if missing or not years:
        raise LayoutChanged(f"{path.name} : colonnes absentes {', '.join(missing) or 'Effectifs salariés <année>'} "
                            f"(trouvées : {', '.join(header[:8])}…) ; le format de l'Urssaf a changé, rien n'est chargé")
    frame = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig",
                        usecols=["Code commune", *years.values()])
    long = frame.melt(id_vars="Code commune", var_name="column", value_name="jobs").dropna(subset=["jobs"])
    long["year"] = long["column"].str[-4:].astype(int)
    long["jobs"] = pd.to_numeric(long["jobs"].str.replace(",", ".", regex=False), errors="coerce")
    return (long.groupby(["Code commune", "year"], as_index=False)["jobs"].sum()
            .rename(columns={"Code commune": "commune"}))


def validate_urssaf(path: Path, minimum_communes: int = 30_000) -> Summary:
    """Columns by name, years contiguous, and national coverage: a regional extract would make wrong
    département and France totals, so it is refused for the base (it still reads, see `read_urssaf`)."""
    jobs = read_urssaf(path)
    years = sorted(jobs["year"].unique())
    if years != list(range(years[0], years[-1] + 1)):
        raise CheckFailed(f"{path.name} : années non contiguës ({years})")
    communes = jobs["commune"].nunique()
    if communes < minimum_communes:
        raise CheckFailed(f"{path.name} : {fr_int(communes)} communes seulement ; un extrait (départemental ou régional) "
                          "fausserait les totaux des départements et de la France : fichier refusé pour la base")
    return Summary(len(jobs), (int(years[0]), int(years[-1])), f"{fr_int(communes)} communes")


ADAPTERS = (
    Adapter("naissances", "Naissances par commune (Insee, état civil)", "etat_civil/DS_ETAT_CIVIL_NAIS_COMMUNES.zip",
            "https://api.insee.fr/melodi/catalog/DS_ETAT_CIVIL_NAIS_COMMUNES",
            "https://api.insee.fr/melodi/file/DS_ETAT_CIVIL_NAIS_COMMUNES/DS_ETAT_CIVIL_NAIS_COMMUNES_CSV_FR",
            r"DS_ETAT_CIVIL_NAIS_COMMUNES.*CSV_FR", validate_births, "Licence Ouverte / Etalab 2.0"),
    Adapter("urssaf", "Effectifs salariés privés par commune (Urssaf)", "urssaf/effectifs_commune_ape.csv",
            "https://open.urssaf.fr/api/explore/v2.1/catalog/datasets/"
            "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last",
            "https://open.urssaf.fr/api/explore/v2.1/catalog/datasets/"
            "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/exports/csv?delimiter=%3B",
            r"commune-x-ape-last/exports/csv", validate_urssaf, "ODbL"),
)
