"""Greenhouse-gas files: the EU ETS register's verified emissions per installation (export of the EU
Transaction Log, geolocated) and Citepa's territorialised inventory by commune and sector."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..format import fr_int
from .layout import CheckFailed, LayoutChanged, Summary, contiguous, quote, require_columns

# ---------------------------------------------------------------- EU ETS, one row per installation × year
ETS_COLUMNS = ("X", "Y", "seqe_id", "account_holder_name", "installation_name", "main_activity_type_code_lookup",
               "year", "emissions", "kind")
MINIMUM_INSTALLATIONS = 1_000
MAX_AT_ONE_POINT = 30      # a few plants share a site (a refinery's units); thousands at one point are invented
TOLERANCE = (0.8, 1.25)    # a refreshed register against the one the base holds, years in common


def validate_ets(path: Path) -> Summary:
    """Columns by name (the build reads them by name too), years without a gap, more than a thousand
    installations, and no year where France's verified total halves or doubles."""
    header = pd.read_csv(path, nrows=0, dtype=str).columns.tolist()
    require_columns(path.name, header, ETS_COLUMNS, "l'export du registre SEQE-UE")
    frame = pd.read_csv(path, dtype=str, usecols=["seqe_id", "year", "emissions"])
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
    frame["emissions"] = pd.to_numeric(frame["emissions"], errors="coerce")
    years = sorted(int(y) for y in frame["year"].dropna().unique())
    contiguous(path.name, years)
    installations = frame["seqe_id"].nunique()
    places = pd.read_csv(path, dtype=str, usecols=["seqe_id", "X", "Y"]).drop_duplicates("seqe_id")
    crowded = places.groupby(["X", "Y"]).size()
    if len(crowded) and crowded.max() > MAX_AT_ONE_POINT:
        (x, y), n = crowded.idxmax(), int(crowded.max())
        raise CheckFailed(f"{path.name} : {fr_int(n)} installations au même point ({quote(x, 20)}, {quote(y, 20)}) ; "
                          "fichier refusé")
    if installations < MINIMUM_INSTALLATIONS:
        raise CheckFailed(f"{path.name} : {fr_int(installations)} installations seulement ; fichier refusé")
    totals = frame.groupby("year")["emissions"].sum()
    ratio = (totals / totals.shift()).dropna()
    if ((ratio < 0.5) | (ratio > 2)).any():
        year = int(ratio[(ratio < 0.5) | (ratio > 2)].index[0])
        raise CheckFailed(f"{path.name} : le total national de {year} ({fr_int(totals[year])} t) est sans rapport avec "
                          f"celui de {year - 1} ({fr_int(totals[year - 1])} t) ; fichier refusé")
    return Summary(len(frame), (years[0], years[-1]), f"{fr_int(installations)} installations, "
                                                       f"{fr_int(totals.iloc[-1])} t en {years[-1]}")


def compare_ets(new: Path, current: Path) -> None:
    """A refreshed register against the one the base holds: for the years both have, France's total and
    the number of installations within TOLERANCE (verified emissions are revised, never multiplied)."""
    def totals(path: Path) -> pd.DataFrame:
        frame = pd.read_csv(path, dtype=str, usecols=["seqe_id", "year", "emissions"])
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
        frame["emissions"] = pd.to_numeric(frame["emissions"], errors="coerce")
        frame = frame.dropna(subset=["year", "emissions"])
        return frame.groupby("year").agg(total=("emissions", "sum"), plants=("seqe_id", "nunique"))

    after, before = totals(new), totals(current)
    low, high = TOLERANCE
    for year in sorted(set(after.index) & set(before.index)):
        for column, what, unit in (("total", "le total national", " t"), ("plants", "le nombre d'installations", "")):
            ratio = after.at[year, column] / max(before.at[year, column], 1)
            if not low <= ratio <= high:
                raise CheckFailed(f"{new.name} : en {int(year)}, {what} passerait de {fr_int(before.at[year, column])}"
                                  f"{unit} à {fr_int(after.at[year, column])}{unit} par rapport à la base actuelle ; "
                                  "fichier refusé (écart au-delà de 20 %)")


# ---------------------------------------------------------------- Citepa territorialised inventory
# Two layouts exist: long (`date_mesure, geocode_commune, secteur, valeur`, the 2023 edition) and wide
# (`INSEE commune` and one column per sector, "IGT - Pouvoir de réchauffement global.csv"), whose
# inventory year is in neither the columns nor the rows.
CITEPA_LONG = ("date_mesure", "geocode_commune", "secteur", "valeur")
CITEPA_WIDE_KEY = "INSEE commune"
# Biogenic CO2 is reported beside the total, not in it (the inventory's own convention).
OUTSIDE_TOTAL = ("CO2 biomasse hors-total",)
MINIMUM_COMMUNES = 30_000
NATIONAL_RANGE_T = (200e6, 700e6)  # France's territorial emissions, t CO2e, any year since 1990


def read_citepa(path: Path) -> pd.DataFrame:
    """commune, year, sector, t CO2e in either layout; the sectors outside the total are dropped.
    A wide file must say its year in its name (`igt_2016.csv`): the publisher's does not say it."""
    with open(path, encoding="utf-8-sig") as f:
        first = f.readline()
    sep = ";" if first.count(";") > first.count(",") else ","
    header = pd.read_csv(path, nrows=0, dtype=str, sep=sep, encoding="utf-8-sig").columns.tolist()
    if all(c in header for c in CITEPA_LONG):
        frame = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", usecols=list(CITEPA_LONG))
        frame = frame.rename(columns={"geocode_commune": "commune", "secteur": "sector", "valeur": "value"})
        frame["year"] = pd.to_numeric(frame["date_mesure"].str[:4], errors="coerce")
    elif CITEPA_WIDE_KEY in header:
        year = re.search(r"(?<!\d)(19[9]\d|20[0-4]\d)(?!\d)", path.name)
        if not year:
            raise LayoutChanged(f"{path.name} : l'année de l'inventaire n'est ni dans les colonnes ni dans le nom du "
                                "fichier ; renommez-le avec son année (par exemple « igt_2016.csv ») après l'avoir "
                                "vérifiée auprès du Citepa")
        sectors = [c for c in header if c not in (CITEPA_WIDE_KEY, "Commune")]
        wide = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", usecols=[CITEPA_WIDE_KEY, *sectors])
        frame = wide.melt(id_vars=CITEPA_WIDE_KEY, var_name="sector", value_name="value").rename(
            columns={CITEPA_WIDE_KEY: "commune"})
        frame["year"] = int(year.group(1))
    else:
        require_columns(path.name, header, CITEPA_LONG, "l'inventaire du Citepa")
    frame["value"] = pd.to_numeric(frame["value"].str.replace(",", ".", regex=False), errors="coerce")
    frame = frame[~frame["sector"].isin(OUTSIDE_TOTAL)].dropna(subset=["value", "year"])
    frame["commune"] = frame["commune"].str.zfill(5)
    return frame[["commune", "year", "sector", "value"]].astype({"year": int}).reset_index(drop=True)


def validate_citepa(path: Path) -> Summary:
    """Every commune × sector once a year, national coverage, a national total in France's range."""
    frame = read_citepa(path)
    if frame.duplicated(["commune", "year", "sector"]).any():
        raise CheckFailed(f"{path.name} : lignes en double pour une commune, une année et un secteur")
    communes = frame["commune"].nunique()
    if communes < MINIMUM_COMMUNES:
        raise CheckFailed(f"{path.name} : {fr_int(communes)} communes seulement ; un extrait fausserait les totaux : "
                          "fichier refusé pour la base")
    low, high = NATIONAL_RANGE_T
    for year, total in frame.groupby("year")["value"].sum().items():
        if not low <= total <= high:
            raise CheckFailed(f"{path.name} : en {year}, la France émettrait {fr_int(total)} t CO2e ; fichier refusé")
    years = sorted(frame["year"].unique())
    return Summary(len(frame), (int(years[0]), int(years[-1])),
                   f"{fr_int(communes)} communes, {frame['sector'].nunique()} secteurs")
