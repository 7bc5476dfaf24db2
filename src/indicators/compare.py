"""Comparisons: territories against the others of their level (ranks, percentiles), and groups."""
from __future__ import annotations

import duckdb
import pandas as pd


def ranks(con: duckdb.DuckDBPyConnection, indicator: str, period_start: int, year: int,
          codes: list[str], polarity: int) -> pd.DataFrame:
    """Value, rank and percentile of each territory among the current territories of its level.

    Rank 1 is the best by the indicator's polarity (the highest, or the lowest when less is better;
    the highest when neutral). Ranks are taken in France and in the territory's région.
    """
    if not codes:
        return pd.DataFrame(columns=["code", "label", "level", "value", "rank_fr", "n_fr", "percentile",
                                     "rank_reg", "n_reg"])
    order = "ASC" if polarity < 0 else "DESC"
    marks = ", ".join("?" * len(codes))
    return con.execute(
        f"""WITH levels AS (SELECT DISTINCT level FROM territory WHERE code IN ({marks})),
            pool AS (
                SELECT t.code, t.label, t.level, t.parent_reg, o.value
                FROM territory t JOIN observation o ON o.territory = t.code
                WHERE o.indicator = ? AND o.period_start = ? AND o.year = ?
                  AND t.level IN (SELECT level FROM levels)
                  AND (t.valid_until IS NULL OR t.code IN ({marks}))),
            ranked AS (
                SELECT *,
                  rank() OVER (PARTITION BY level ORDER BY value {order}) AS rank_fr,
                  count(*) OVER (PARTITION BY level) AS n_fr,
                  100 * percent_rank() OVER (PARTITION BY level ORDER BY value {'DESC' if order == 'ASC' else 'ASC'}) AS percentile,
                  rank() OVER (PARTITION BY level, parent_reg ORDER BY value {order}) AS rank_reg,
                  count(*) OVER (PARTITION BY level, parent_reg) AS n_reg
                FROM pool)
            SELECT t.code, t.label, t.level, r.value, r.rank_fr, r.n_fr, r.percentile, r.rank_reg, r.n_reg
            FROM territory t LEFT JOIN ranked r ON r.code = t.code
            WHERE t.code IN ({marks})
            ORDER BY r.value {order} NULLS LAST""",
        [*codes, indicator, period_start, year, *codes, *codes],
    ).df()


def group_aggregate(con: duckdb.DuckDBPyConnection, indicator: str, codes: list[str]) -> pd.DataFrame:
    """The group's value per period by the indicator's rule: a sum for counts, a ratio of sums for
    ratios (Σ numerator / Σ denominator over the members that have both), never a mean of ratios.

    Only periods where every member has a value are returned, with n_members, so a group total is
    never silently partial.
    """
    ind = con.execute(
        "SELECT kind, numerator, denominator, scale FROM indicator WHERE id = ?", [indicator]
    ).fetchone()
    if ind is None or not codes:
        return pd.DataFrame(columns=["period_start", "year", "value", "n_members"])
    kind, num, den, scale = ind
    marks = ", ".join("?" * len(codes))
    if kind == "count":
        return con.execute(
            f"""SELECT period_start, year, sum(value) AS value, count(*) AS n_members FROM observation
                WHERE indicator = ? AND territory IN ({marks})
                GROUP BY ALL HAVING count(*) = ? ORDER BY year, period_start""",
            [indicator, *codes, len(codes)],
        ).df()
    if kind == "ratio":
        return con.execute(
            f"""SELECT n.period_start, n.year, sum(n.value) / sum(d.value) * ? AS value, count(*) AS n_members
                FROM observation n JOIN observation d
                  ON d.territory = n.territory AND d.indicator = ? AND d.year = n.period_start
                 AND d.period_start = n.period_start
                WHERE n.indicator = ? AND n.territory IN ({marks})
                GROUP BY ALL HAVING count(*) = ? ORDER BY n.year, n.period_start""",
            [scale, den, num, *codes, len(codes)],
        ).df()
    return pd.DataFrame(columns=["period_start", "year", "value", "n_members"])
