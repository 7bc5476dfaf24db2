"""Roll-ups from base territories to every aggregate, following each indicator's rule.

Counts are summed. Ratios are a ratio of sums: numerator and denominator are summed over the same
base territories (those where both exist) before dividing, never a mean of ratios. A value that a
source publishes for a level itself wins over the roll-up.
"""
from __future__ import annotations

import duckdb

from .. import catalog

from ..store import METRO_ONLY


def roll_up_counts(con: duckdb.DuckDBPyConnection) -> None:
    """Sum every count indicator from its base level to each parent in `composition`."""
    count_ids = [i.id for i in catalog.INDICATORS if i.kind == "count"]
    published = count_ids + [i.id for i in catalog.INDICATORS if i.kind == "level"]  # levels: as published only
    con.execute(
        f"""INSERT INTO obs_all
            SELECT territory, indicator, period_start, year, value, flag FROM obs_base
            WHERE indicator IN ({", ".join("?" * len(published))})""",
        published,
    )
    for base_level in ("COM", "DEP"):
        _insert_rollup(con, base_level, "sum(o.value)", "obs_base", count_ids)


def _insert_rollup(con: duckdb.DuckDBPyConnection, base_level: str, value_sql: str, table: str,
                   indicator_ids: list[str], extra_cols: str = "") -> None:
    # France from départements covers only the metropolitan panel: say so on the value itself.
    # Base flags (a split commune's estimated share) do not carry over: the shares add up to a whole.
    flag = f"CASE WHEN c.parent = 'FR' AND ? = 'DEP' THEN '{METRO_ONLY}' END"
    con.execute(
        f"""INSERT OR IGNORE INTO obs_all
            SELECT c.parent, o.indicator, o.period_start, o.year, {value_sql},
                   {flag} {extra_cols}
            FROM {table} o JOIN composition c ON c.child = o.territory AND c.child_level = ?
            WHERE o.indicator IN ({", ".join("?" * len(indicator_ids))})
            GROUP BY c.parent, o.indicator, o.period_start, o.year""",
        [base_level, base_level, *indicator_ids],
    )


def compute_ratios(con: duckdb.DuckDBPyConnection) -> None:
    """Each ratio at its numerator's base territories, then summed up pairwise and divided."""
    con.execute(
        """CREATE TEMP TABLE ratio_pairs(territory VARCHAR, indicator VARCHAR, period_start INTEGER,
           year INTEGER, num DOUBLE, den DOUBLE, flag VARCHAR)"""
    )
    for ind in catalog.ratios():
        # The denominator is read at the start of the period (a population of 2013 for 2013–2018).
        con.execute(
            """INSERT INTO ratio_pairs
               SELECT n.territory, ?, n.period_start, n.year, n.value, d.value, n.flag
               FROM obs_base n JOIN obs_all d
                 ON d.territory = n.territory AND d.indicator = ? AND d.year = n.period_start
                AND d.period_start = n.period_start
               WHERE n.indicator = ? AND d.value > 0""",
            [ind.id, ind.denominator, ind.numerator],
        )
        scale = ind.scale
        con.execute(
            """INSERT INTO obs_all SELECT territory, indicator, period_start, year, num / den * ?, flag
               FROM ratio_pairs WHERE indicator = ?""",
            [scale, ind.id],
        )
        for base_level in ("COM", "DEP"):
            _insert_rollup(con, base_level, f"sum(o.num) / sum(o.den) * {float(scale)!r}", "ratio_pairs", [ind.id])
