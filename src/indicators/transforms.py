"""Display modes of a series (pure functions on tidy frames): index, per 1 000, moving average, growth.

A frame has at least territory, period_start, year, value. Modes other than raw values use yearly
points only: a span (2013–2018) has no year to index on or average over.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MAX_SERIES = 120  # series one Évolutions page draws (territories with their references × indicators)

MODES = {
    "auto": "Adapté",  # an index for counts beside their references (France's millions flatten a town), else values
    "valeurs": "Valeurs",
    "pour1000": "Pour 1 000 habitants",
    "indice": "Indice base 100",
    "mm3": "Moyenne mobile sur 3 ans",
    "mm5": "Moyenne mobile sur 5 ans",
}


def yearly(series: pd.DataFrame) -> pd.DataFrame:
    return series[series["period_start"] == series["year"]]


def index_base(series: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Value / value of the base year × 100, per territory; territories without the base year drop out."""
    s = yearly(series)
    base = s[s["year"] == base_year].set_index("territory")["value"]
    out = s[s["territory"].isin(base.index[base.notna() & (base != 0)])].copy()
    out["value"] = out["value"] / out["territory"].map(base.to_dict()).astype(float) * 100
    return out


def moving_average(series: pd.DataFrame, window: int) -> pd.DataFrame:
    """Trailing mean over `window` consecutive years; a year without a full window has no value."""
    s = yearly(series).sort_values(["territory", "year"]).copy()
    parts = []
    for _, rows in s.groupby("territory", sort=False):
        full = rows.set_index("year")["value"].reindex(range(rows["year"].min(), rows["year"].max() + 1))
        avg = full.rolling(window, min_periods=window).mean()
        parts.append(rows.assign(value=rows["year"].map(avg).to_numpy()))
    out = pd.concat(parts) if parts else s
    return out.dropna(subset=["value"])


def per_thousand(series: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Value per 1 000 inhabitants of the same territory at the start of the period."""
    pop = population.set_index(["territory", "year"])["value"]
    keys = pd.MultiIndex.from_arrays([series["territory"], series["period_start"]])
    out = series.copy()
    out["value"] = series["value"].to_numpy() / pop.reindex(keys).to_numpy() * 1000
    return out.dropna(subset=["value"])


def growth(series: pd.DataFrame) -> pd.DataFrame:
    """First and last yearly values, change over the period and compound annual growth rate (%)."""
    rows = []
    for code, s in yearly(series).dropna(subset=["value"]).sort_values("year").groupby("territory", sort=False):
        if len(s) < 2:
            continue
        y0, y1 = int(s["year"].iloc[0]), int(s["year"].iloc[-1])
        v0, v1 = float(s["value"].iloc[0]), float(s["value"].iloc[-1])
        change = (v1 / v0 - 1) * 100 if v0 else np.nan
        cagr = ((v1 / v0) ** (1 / (y1 - y0)) - 1) * 100 if v0 > 0 and v1 > 0 else np.nan
        rows.append({"territory": code, "from": y0, "to": y1, "first": v0, "last": v1,
                     "change_pct": change, "cagr_pct": cagr})
    return pd.DataFrame(rows, columns=["territory", "from", "to", "first", "last", "change_pct", "cagr_pct"])
