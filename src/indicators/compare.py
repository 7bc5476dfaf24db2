"""Comparisons: territories against the others of their level (ranks, percentiles), and groups."""
from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd

from . import store, territories
from .territories import ZONING_LEVELS


def local_ranks(values: pd.Series, polarity: int, eligible: pd.Series | None = None) -> pd.Series:
    """Ranks among the values given (a map's extent), by the same rule as `ranks`: 1 is the best by
    the indicator's polarity, ties share the best rank, values not `eligible` (small counts) get none."""
    shown = values if eligible is None else values.where(eligible)
    return shown.rank(ascending=polarity < 0, method="min").astype("Int64")


def ranks(con: duckdb.DuckDBPyConnection, indicator: str, period_start: int, year: int,
          codes: list[str], polarity: int, include_small: bool = False) -> pd.DataFrame:
    """Value, rank and percentile of each territory among the current territories of its level.

    Rank 1 is the best by the indicator's polarity (the highest, or the lowest when less is better;
    the highest when neutral); ranks are taken in France, in the région and in the département.
    A territory that no longer exists (a dissolved EPCI in its 2016 perimeter) gets the rank it would
    have among the current ones, without shifting theirs. Values resting on a small count (the
    catalog's rule) are unstable: they are left out of the ranking unless `include_small`, and get
    no rank themselves; `n` and `small` say why.
    """
    if not codes:
        return pd.DataFrame(columns=["code", "label", "level", "value", "n", "small", "rank_fr", "n_fr", "percentile",
                                     "rank_reg", "n_reg", "rank_dep", "n_dep"])
    from .store import BASE_COUNT, BASE_COUNT_JOIN, SMALL

    better, worse = ("<", ">") if polarity < 0 else (">", "<")
    order = "ASC" if polarity < 0 else "DESC"
    marks = ", ".join("?" * len(codes))
    return con.execute(
        f"""WITH target_all AS (
                SELECT t.code, t.label, t.level, t.parent_reg, t.parent_dep, t.valid_until, o.value,
                       {BASE_COUNT} AS n, {SMALL} AS small
                FROM territory t LEFT JOIN observation o ON o.territory = t.code AND o.indicator = ?
                     AND o.period_start = ? AND o.year = ?
                {BASE_COUNT_JOIN}
                WHERE t.code IN ({marks})),
            target AS (SELECT * REPLACE (CASE WHEN small AND NOT ? THEN NULL ELSE value END AS value) FROM target_all),
            pool AS (
                SELECT t.code, t.level, t.parent_reg, t.parent_dep, o.value
                FROM territory t JOIN observation o ON o.territory = t.code
                {BASE_COUNT_JOIN}
                WHERE o.indicator = ? AND o.period_start = ? AND o.year = ? AND t.valid_until IS NULL
                  AND t.level IN (SELECT level FROM target) AND (? OR NOT {SMALL})),
            ranked AS (  -- current territories: window ranks over their level
                SELECT code,
                  rank() OVER (PARTITION BY level ORDER BY value {order}) AS rank_fr,
                  count(*) OVER (PARTITION BY level) AS n_fr,
                  100 * percent_rank() OVER (PARTITION BY level ORDER BY value {'DESC' if order == 'ASC' else 'ASC'}) AS percentile,
                  rank() OVER (PARTITION BY level, parent_reg ORDER BY value {order}) AS rank_reg,
                  count(*) OVER (PARTITION BY level, parent_reg) AS n_reg,
                  rank() OVER (PARTITION BY level, parent_dep ORDER BY value {order}) AS rank_dep,
                  count(*) OVER (PARTITION BY level, parent_dep) AS n_dep
                FROM pool),
            gone AS (  -- territories that no longer exist: the rank they would have, others unchanged
                SELECT g.code,
                  1 + count(p.value) FILTER (WHERE p.value {better} g.value) AS rank_fr, count(p.value) AS n_fr,
                  100.0 * count(p.value) FILTER (WHERE p.value {worse} g.value) / nullif(count(p.value), 0) AS percentile,
                  1 + count(p.value) FILTER (WHERE p.parent_reg = g.parent_reg AND p.value {better} g.value) AS rank_reg,
                  count(p.value) FILTER (WHERE p.parent_reg = g.parent_reg) AS n_reg,
                  1 + count(p.value) FILTER (WHERE p.parent_dep = g.parent_dep AND p.value {better} g.value) AS rank_dep,
                  count(p.value) FILTER (WHERE p.parent_dep = g.parent_dep) AS n_dep
                FROM target g JOIN pool p ON p.level = g.level
                WHERE g.valid_until IS NOT NULL AND g.value IS NOT NULL GROUP BY g.code)
            SELECT a.code, a.label, a.level, a.value, a.n, a.small,
                   CASE WHEN g.value IS NOT NULL THEN r.rank_fr END AS rank_fr, r.n_fr,
                   CASE WHEN g.value IS NOT NULL THEN r.percentile END AS percentile,
                   CASE WHEN g.value IS NOT NULL THEN r.rank_reg END AS rank_reg, r.n_reg,
                   CASE WHEN g.value IS NOT NULL THEN r.rank_dep END AS rank_dep, r.n_dep
            FROM target_all a JOIN target g USING (code)
            LEFT JOIN (SELECT * FROM ranked UNION ALL BY NAME SELECT * FROM gone) r ON r.code = a.code
            ORDER BY a.value {order} NULLS LAST""",
        [indicator, period_start, year, *codes, include_small, indicator, period_start, year, include_small],
    ).df()


def group_aggregate(con: duckdb.DuckDBPyConnection, indicator: str, codes: list[str],
                    weighted: bool = True) -> pd.DataFrame:
    """The group's value per period by the indicator's rule: a sum for counts, a ratio of sums for
    ratios (Σ numerator / Σ denominator over the members that have both), never a mean of ratios;
    or, not `weighted`, the plain mean of the members' values (each site counts once).

    Only periods where every member has a value are returned, with n_members, so a group total is
    never silently partial.
    """
    ind = store.first(con, "SELECT kind, numerator, denominator, scale FROM indicator WHERE id = ?", [indicator])
    if ind is None or not codes:
        return pd.DataFrame(columns=["period_start", "year", "value", "n_members"])
    kind, num, den, scale = ind
    marks = ", ".join("?" * len(codes))
    if kind == "count" or (kind == "ratio" and not weighted):
        total = "sum" if weighted else "avg"
        return con.execute(
            f"""SELECT period_start, year, {total}(value) AS value, count(*) AS n_members FROM observation
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


# ---------------------------------------------------------------- similar territories
# Variables used to find territories that resemble each other, per level, with default weights.
# Heavy-tailed counts are compared on a log scale, otherwise Paris would be "far" from everything.
SIMILARITY_VARIABLES: dict[str, dict[str, float]] = {
    "COM": {"population": 2.0, "density": 1.0, "median_income": 1.0, "unemployment_rate": 1.0,
            "vacancy_rate": 1.0, "net_migration_rate": 1.0},
    "EPCI": {"population": 2.0, "density": 1.0, "unemployment_rate": 1.0, "vacancy_rate": 1.0,
             "net_migration_rate": 1.0},
    "DEP": {"population": 1.0, "density": 1.0, "unemployment_rate": 1.0, "vacancy_rate": 1.0,
            "net_migration_rate": 1.0, "business_creation_rate": 1.0},
    "REG": {"population": 1.0, "density": 1.0, "unemployment_rate": 1.0, "vacancy_rate": 1.0,
            "net_migration_rate": 1.0},
    **{lv: {"population": 2.0, "density": 1.0, "unemployment_rate": 1.0, "vacancy_rate": 1.0,
            "net_migration_rate": 1.0} for lv in ZONING_LEVELS},
}
# Where similar territories are looked for, against the target's zone d'emploi (its labour market).
LABOUR_MARKET = {"partout": "Partout", "dans": "Dans sa zone d'emploi", "hors": "Hors de sa zone d'emploi"}


def labour_market_filter(con: duckdb.DuckDBPyConnection, matrix: pd.DataFrame, target: str,
                         where: str) -> frozenset[str]:
    """The rows of `matrix` to leave out so that similar territories lie in the target's zone(s)
    d'emploi (`dans`), outside them (`hors`), or anywhere (`partout`)."""
    if where not in ("dans", "hors"):
        return frozenset()
    market = set(territories.sharing_zone(con, target, "ZE"))
    return frozenset(c for c in matrix.index if (c in market) == (where == "hors"))
LOG_SCALE = frozenset({"population", "density"})


def feature_matrix(con: duckdb.DuckDBPyConnection, level: str, variables: list[str],
                   include: list[str] | None = None) -> pd.DataFrame:
    """One row per territory of a level (plus `include`, e.g. a dissolved EPCI), one column per
    variable at its latest period available at that level; label and period in `attrs`."""
    marks = ", ".join("?" * len(variables))
    extra = include or []
    emarks = ", ".join("?" * len(extra)) or "NULL"
    long = con.execute(
        f"""WITH chosen AS (
                -- latest (year, period_start) of each variable at this level
                SELECT o.indicator, max(struct_pack(year := o.year, period_start := o.period_start)) AS k
                FROM observation o JOIN territory t ON t.code = o.territory AND t.level = ?
                WHERE o.indicator IN ({marks}) GROUP BY o.indicator),
            c AS (SELECT indicator, k.year AS year, k.period_start AS period_start FROM chosen)
            SELECT t.code, t.label, o.indicator, o.value, c.period_start, c.year
            FROM territory t JOIN observation o ON o.territory = t.code
            JOIN c ON c.indicator = o.indicator AND c.year = o.year AND c.period_start = o.period_start
            WHERE t.level = ? AND (t.valid_until IS NULL OR t.code IN ({emarks}))""",
        [level, *variables, level, *extra],
    ).df()
    wide = long.pivot_table(index="code", columns="indicator", values="value", aggfunc="first")
    wide = wide.reindex(columns=variables)
    wide.attrs["labels"] = long.drop_duplicates("code").set_index("code")["label"].to_dict()
    periods = long.drop_duplicates("indicator").set_index("indicator")
    wide.attrs["periods"] = {i: (int(r.period_start), int(r.year)) for i, r in periods.iterrows()}
    return wide


def standardise(matrix: pd.DataFrame) -> pd.DataFrame:
    """z-scores per column (log10 first for heavy-tailed counts)."""
    values = matrix.to_numpy(dtype=float, copy=True)
    for j, col in enumerate(matrix.columns):
        if col in LOG_SCALE:
            with np.errstate(divide="ignore", invalid="ignore"):
                values[:, j] = np.where(values[:, j] > 0, np.log10(values[:, j]), np.nan)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column simply gets no z-score
        mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        z = (values - mean) / np.where(std > 0, std, np.nan)
    return pd.DataFrame(z, index=matrix.index, columns=matrix.columns)


def nearest(matrix: pd.DataFrame, target: str, weights: dict[str, float], k: int,
            exclude: frozenset[str] = frozenset(), standardised: pd.DataFrame | None = None) -> pd.DataFrame:
    """The k territories closest to `target`: weighted Euclidean distance on standardised variables.

    distance = sqrt(Σ wᵢ (zᵢ − zᵢ,target)² / Σ wᵢ); territories missing a weighted variable are left out.
    Pass `standardised` (from `standardise(matrix[used])`) to reuse it across several targets.
    """
    used = [v for v, w in weights.items() if w > 0 and v in matrix.columns]
    if target not in matrix.index or not used:
        return pd.DataFrame(columns=["code", "distance"])
    z = (standardised if standardised is not None else standardise(matrix[used]))[used].dropna()
    if target not in z.index:
        return pd.DataFrame(columns=["code", "distance"])
    w = np.array([weights[v] for v in used], dtype=float)
    diff = z.to_numpy() - z.loc[target].to_numpy()
    dist = np.sqrt((w * diff**2).sum(axis=1) / w.sum())
    out = pd.DataFrame({"code": z.index, "distance": dist})
    out = out[(out["code"] != target) & ~out["code"].isin(exclude)]
    return out.sort_values(["distance", "code"]).head(k).reset_index(drop=True)


# ---------------------------------------------------------------- composite profile
def composite(matrix: pd.DataFrame, weights: dict[str, float], polarity: dict[str, int]) -> pd.DataFrame:
    """A transparent score: weighted mean of z-scores, each signed so that higher is better.

    Returns one row per territory with each variable's signed z-score and the score; a neutral
    variable (polarity 0) counts as « more is better » only if the user gives it a weight.
    """
    # A variable without any value at this level (a median is not published for EPCI) is left out.
    used = [v for v, w in weights.items() if w > 0 and v in matrix.columns and matrix[v].notna().any()]
    z = standardise(matrix[used])
    signed = z * pd.Series({v: (polarity.get(v) or 1) for v in used}, dtype=float)
    w = pd.Series({v: weights[v] for v in used})
    score = (signed * w).sum(axis=1, min_count=len(used)) / w.sum()
    return signed.assign(score=score)
