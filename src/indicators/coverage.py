"""Which years and census spans a base holds, read from its observations: the catalog's coverage texts
name them by placeholder (`{annees_COM}`, `{periodes_COM}`, `{annees_DEP}`), filled in at build time,
so a refresh that brings a newer census or year is said without anyone editing a sentence."""
from __future__ import annotations

import re
from collections import defaultdict

import duckdb

from .format import spans_text, years_text

Periods = dict[tuple[str, str], dict[str, list]]
_PLACEHOLDER = re.compile(r"\{(annees|periodes)_([A-Z]+)\}")


def held_periods(con: duckdb.DuckDBPyConnection, indicators: list[str] | None = None,
                 table: str = "observation") -> Periods:
    """(indicator, level) → its yearly values' years and its spans, as this base holds them (for the
    `indicators` given, or all; `table` is the build's `obs_base` while a build runs)."""
    where = f"WHERE o.indicator IN ({', '.join('?' * len(indicators))})" if indicators else ""
    rows = con.execute(f"""SELECT DISTINCT o.indicator, t.level, o.period_start, o.year
                           FROM {table} o JOIN territory t ON t.code = o.territory {where}""",
                       indicators or []).fetchall()
    held: Periods = defaultdict(lambda: {"annees": [], "periodes": []})
    for indicator, level, start, year in rows:
        entry = held[(indicator, level)]
        if start == year:
            entry["annees"].append(year)
        else:
            entry["periodes"].append((start, year))
    return dict(held)


def said(periods: Periods, indicator: str, level: str, what: str) -> str:
    """`2006–2023` or `2008–2013, 2013–2018 et 2013–2019` for one indicator at one level."""
    entry = periods.get((indicator, level), {"annees": [], "periodes": []})
    return years_text(entry["annees"]) if what == "annees" else spans_text(entry["periodes"])


def fill(text: str, indicator: str, periods: Periods) -> str:
    """A catalog text with its placeholders replaced by what the base holds."""
    return _PLACEHOLDER.sub(lambda m: said(periods, indicator, m.group(2), m.group(1)), text)


def filled(row: dict, periods: Periods) -> dict:
    """An indicator row (catalog.Indicator.as_row) whose coverage names the base's years and spans."""
    return {**row, "coverage": fill(row["coverage"], row["id"], periods)}
