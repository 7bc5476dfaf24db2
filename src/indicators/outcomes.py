"""An indicator as an evaluation compares it: never totals of groups of different sizes.

Each territory and period carries a numerator and a denominator, so that a set of territories is
worth Σ num / Σ den × scale: a count becomes a rate per 1 000 inhabitants (or an index base 100),
a ratio stays the ratio of sums. « Chaque membre compte une fois » takes the plain mean of the
territories' own rates or indices instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from . import catalog, store

PER_THOUSAND = 1000.0


@dataclass(frozen=True)
class Outcome:
    """Values of one indicator, territory × period, as num / den × scale."""
    indicator: str
    num: pd.DataFrame
    den: pd.DataFrame
    scale: float
    index: bool          # read as an index base 100 the year before the start
    weighted: bool       # by the indicator's rule (ratio of sums) or each territory once
    unit: str            # the unit the values are read in
    spans: bool          # columns are census spans (labelled by their last year), not years
    labels: dict[int, str]   # column → how a period is written (`2013–2019`)
    starts: dict[int, int]   # column → first year of the period (the year itself for a year)
    note: str = ""       # what the reader must know (« indicatif : lissé sur 5 ans »)
    label: str = ""      # what is compared (« Variation de population, recensements »)

    @property
    def periods(self) -> list[int]:
        return [int(c) for c in self.num.columns]

    def rates(self) -> pd.DataFrame:
        """Each territory's own value (before any index)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.num / self.den * self.scale


def hints(indicator: str) -> catalog.Indicator | None:
    """The catalog's entry (None for an indicator a user imported: no hint, plain rules)."""
    try:
        return catalog.get(indicator)
    except KeyError:
        return None


def yearly(con: duckdb.DuckDBPyConnection, indicator: str, codes: list[str], index: bool,
           weighted: bool = True) -> tuple[Outcome | None, str]:
    """The yearly series of `codes`; (None, reason) without one. A count is read per 1 000
    inhabitants, or as an index; a ratio that can be negative (a migration rate) is never indexed."""
    ind = _row(con, indicator)
    if ind is None or ind.kind not in ("count", "ratio"):
        return None, "indicateur non additif : il ne se compare pas entre groupes"
    note = ""
    if ind.kind == "count":
        per_capita = indicator != "population" and not index
        den_ind = "population" if per_capita else None
        long = _long(con, indicator, den_ind, codes, spans=False)
        if long.empty:
            return None, _missing(con, indicator, spans=False)
        if not per_capita:
            long["den"] = 1.0
            index = True
        scale, unit = (PER_THOUSAND, f"{ind.unit} pour 1 000 habitants") if per_capita else (1.0, "")
    else:
        long = _long(con, indicator, ind.denominator, codes, spans=False)
        if long.empty:
            return None, _missing(con, indicator, spans=False)
        if index and (long["value"] <= 0).any():
            index, note = False, "taux qui peut être négatif : comparé en points, jamais en indice"
        long["value"] = long["value"] * long["den"] / ind.scale
        scale, unit = ind.scale, str(ind.unit)
    hint = hints(indicator)
    if hint is not None and hint.smoothed:
        note = ("indicatif : chaque valeur du recensement lisse cinq années d'enquêtes (celle de N réunit les "
                "enquêtes de N − 2 à N + 2)")
    what = str(ind.label) + (" pour 1 000 habitants" if ind.kind == "count" and not index else "")
    return _outcome(indicator, long, scale, index, weighted, unit, spans=False, note=note, label=what), ""


def census_spans(con: duckdb.DuckDBPyConnection, indicator: str, codes: list[str],
                 weighted: bool = True) -> tuple[Outcome | None, str]:
    """The census spans (2008–2013, 2013–2019…) as yearly averages per 1 000 inhabitants at the start of
    each span (for population: its change). (None, reason) when the indicator has no span."""
    hint = hints(indicator)
    source = hint.census_outcome if hint is not None and hint.census_outcome else indicator
    ind = _row(con, source)
    if ind is None or ind.kind not in ("count", "ratio"):
        return None, "pas de période de recensement"
    if ind.kind == "count":
        long = _long(con, source, "population", codes, spans=True)
        scale, unit = PER_THOUSAND, "‰ par an"
    else:
        long = _long(con, source, ind.denominator, codes, spans=True)
        if not long.empty:
            long["value"] = long["value"] * long["den"] / ind.scale
        scale, unit = ind.scale, str(ind.unit)
    if long.empty:
        return None, _missing(con, source, spans=True)
    what = f"{ind.label} (recensements" + (", pour 1 000 habitants)" if ind.kind == "count" else ")")
    return _outcome(source, long, scale, False, weighted, unit, spans=True, label=what), ""


def _missing(con: duckdb.DuckDBPyConnection, indicator: str, spans: bool) -> str:
    """Why a group has no series: the levels where the indicator exists, said."""
    from .territories import LEVELS

    levels = [r[0] for r in con.execute(
        f"""SELECT DISTINCT t.level FROM observation o JOIN territory t ON t.code = o.territory
            WHERE o.indicator = ? AND o.period_start {'<' if spans else '='} o.year""", [indicator]).fetchall()]
    what = "de période de recensement" if spans else "de série annuelle"
    if not levels:
        return f"pas {what} dans la base"
    shown = [LEVELS[lv] if lv == "FR" else LEVELS[lv].lower() for lv in LEVELS if lv in levels]
    return f"pas {what} aux niveaux des membres ({what[3:]} publiée pour : {', '.join(shown)})"


def _row(con: duckdb.DuckDBPyConnection, indicator: str) -> store.IndicatorRow | None:
    try:
        return store.indicator(con, indicator)
    except KeyError:
        return None


def _long(con: duckdb.DuckDBPyConnection, indicator: str, den: str | None, codes: list[str],
          spans: bool) -> pd.DataFrame:
    """Long values with their denominator at the start of the period (the population on 1 January
    of a span's first year)."""
    join = ("JOIN observation d ON d.territory = o.territory AND d.indicator = ? AND d.period_start = o.period_start "
            "AND d.year = o.period_start") if den else ""
    return con.execute(
        f"""SELECT o.territory, o.period_start, o.year, o.value, {'d.value' if den else '1.0'} AS den
            FROM observation o {join}
            WHERE o.indicator = ? AND o.territory IN (SELECT unnest(?::VARCHAR[]))
              AND o.period_start {'<' if spans else '='} o.year AND o.value IS NOT NULL""",
        [*([den] if den else []), indicator, list(dict.fromkeys(codes))]).df()


def _outcome(indicator: str, long: pd.DataFrame, scale: float, index: bool, weighted: bool, unit: str,
             spans: bool, note: str = "", label: str = "") -> Outcome:
    if spans:  # two spans ending the same year (2013–2018, 2008–2018) cannot share a column: the longest after wins
        long = long.sort_values("period_start").drop_duplicates(["territory", "year"], keep="last")
        firsts = long.groupby("year")["period_start"].agg(lambda s: s.mode().iloc[0])
        long = long[long["period_start"] == long["year"].map(firsts)]
    num = long.pivot(index="territory", columns="year", values="value").astype(float)
    den = long.pivot(index="territory", columns="year", values="den").astype(float).reindex_like(num)
    starts = {int(y): int(p) for y, p in long.groupby("year")["period_start"].first().items()}
    labels = {y: (f"{p}–{y}" if p != y else str(y)) for y, p in starts.items()}
    return Outcome(indicator, num, den, scale, index, weighted, "indice base 100" if index else unit, spans, labels,
                   starts, note, label)
