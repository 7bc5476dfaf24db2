"""URSSAF's private salaried jobs by commune × APE: one wide file, one row per commune and activity,
`Effectifs salariés <année>` columns (ODbL)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..format import fr_int
from .layout import CheckFailed, LayoutChanged, Summary, contiguous, year_columns

URSSAF_KEYS = ("Code commune", "Code APE")
URSSAF_YEAR = r"Effectifs salariés (\d{4})"


def read_urssaf(path: Path) -> pd.DataFrame:
    """URSSAF's wide file as commune, year, jobs: columns by name; an empty cell is no establishment
    that year, not 0."""
    header = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", nrows=0).columns.tolist()
    years = year_columns(header, URSSAF_YEAR)
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
    contiguous(path.name, years)
    communes = jobs["commune"].nunique()
    if communes < minimum_communes:
        raise CheckFailed(f"{path.name} : {fr_int(communes)} communes seulement ; un extrait (départemental ou régional) "
                          "fausserait les totaux des départements et de la France : fichier refusé pour la base")
    return Summary(len(jobs), (int(years[0]), int(years[-1])), f"{fr_int(communes)} communes")
