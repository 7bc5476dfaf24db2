"""Fake programmes on the real base: are the printed tests honest, is the printed detectable effect met?

A fake programme is a group of towns that no programme touched, drawn at random in one région, with a
random start: any effect found there is chance. Run through the same evaluation as a real group, the
share of fake programmes flagged by a test at the 5 % level is that test's false-alarm rate. Planting
a SYNTHETIC effect of the printed detectable size in the same fake groups (their members' values after
the start, nothing else) tells whether that effect is found about 8 times out of 10, as printed.
Used by `bench/calibration.py` and, smaller, by the test suite; nothing here reaches a page.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd

from . import assessment, outcomes
from .evaluation import ALPHA, MIN_SHARE_AFTER, Evaluation, share_after

TESTS = ("main", "unadjusted", "pooled", "synthetic", "pretrend", "time")


@dataclass(frozen=True)
class Run:
    """One fake programme's answers: each test's p-value (NaN where not printed), the detectable effect,
    the verdict's status."""
    group: int
    indicator: str
    status: str
    p: dict[str, float]
    detectable: float
    effect: float


def untreated_towns(con: duckdb.DuckDBPyConnection, low: int = 3_000, high: int = 50_000) -> pd.DataFrame:
    """Communes of `low`–`high` inhabitants that hold no programme's ground (code, région)."""
    return con.execute(
        """SELECT t.code, t.parent_reg AS region FROM territory t
           WHERE t.level = 'COM' AND t.valid_until IS NULL AND t.zone = 'metro' AND t.population BETWEEN ? AND ?
             AND t.code NOT IN (SELECT m.territory FROM group_member m JOIN territory_group g ON g.id = m.group_id
                                WHERE g.programme)
           ORDER BY t.code""", [low, high]).df()


def fake_groups(con: duckdb.DuckDBPyConnection, n: int, seed: int, size: int = 8,
                starts: tuple[int, int] = (2014, 2018), regions: tuple[str, ...] | None = None) -> list[assessment.Group]:
    """`n` fake programmes of `size` towns of one région each (a random région among `regions`, or among
    those with enough towns), each with a random start year in `starts` (inclusive)."""
    towns = untreated_towns(con)
    rng = np.random.default_rng(seed)
    counts = towns["region"].value_counts()
    eligible = [r for r in (regions or counts.index) if counts.get(r, 0) >= 4 * size]
    out = []
    for i in range(n):
        region = eligible[rng.integers(len(eligible))]
        codes = towns.loc[towns["region"] == region, "code"].to_numpy()
        members = tuple(sorted(rng.choice(codes, size, replace=False)))
        start = int(rng.integers(starts[0], starts[1] + 1))
        out.append(assessment.Group(None, f"Faux programme {i + 1}", members, start,
                                    "faux programme de calibration (aucun effet)"))
    return out


def planted(delta: float, starts: dict[str, int]) -> Callable[[outcomes.Outcome], outcomes.Outcome]:
    """An outcome hook adding a SYNTHETIC effect of `delta` (in the unit compared) to the members' values
    from their start on: an index is raised by delta points (delta % of the value the year before the
    start added to each later value), a rate by delta."""
    def hook(outcome: outcomes.Outcome) -> outcomes.Outcome:
        num = outcome.num.copy()
        for code, start in starts.items():
            if code not in num.index:
                continue
            after = [p for p in num.columns if share_after(outcome, int(p), start) >= MIN_SHARE_AFTER]
            before = [p for p in num.columns if p < start]
            if outcome.index and before:
                num.loc[code, after] = num.loc[code, after] + delta / 100 * num.at[code, max(before)]
            else:
                num.loc[code, after] = num.loc[code, after] + delta * outcome.den.loc[code, after] / outcome.scale
        return replace(outcome, num=num)
    return hook


def run(con: duckdb.DuckDBPyConnection, groups: list[assessment.Group], indicator: str,
        options: assessment.Options, plant: dict[int, float] | None = None) -> list[Run]:
    """Each fake group evaluated (with, for group i, an effect of `plant[i]` planted after its start)."""
    out = []
    for i, group in enumerate(groups):
        hook = planted(plant[i], group.starts(True)) if plant and np.isfinite(plant.get(i, np.nan)) else None
        a = assessment.assess(con, group, indicator, options, outcome_hook=hook)
        e = a.answer
        if not isinstance(e, Evaluation):
            out.append(Run(i, indicator, a.verdict.status, dict.fromkeys(TESTS, np.nan), np.nan, np.nan))
            continue
        p = {"main": e.inference.p_two,
             "unadjusted": e.unadjusted.inference.p_two if e.unadjusted else np.nan,
             "pooled": e.pooled.inference.p_two if e.pooled else np.nan,
             "synthetic": e.synthetic_p if e.synthetic_p is not None else np.nan,
             "pretrend": e.pretrend.p_value,
             "time": e.time_placebo_p if e.time_placebo_p is not None else np.nan}
        out.append(Run(i, indicator, a.verdict.status, p, e.detectable, e.effect))
    return out


def false_alarms(runs: list[Run]) -> dict[str, float]:
    """Share of the runs where each test (where printed) says p < ALPHA, and the share of « effect » verdicts."""
    out = {}
    for t in TESTS:
        ps = np.array([r.p[t] for r in runs])
        ps = ps[np.isfinite(ps)]
        out[t] = float(np.mean(ps < ALPHA)) if ps.size else np.nan
    out["verdict_effect"] = float(np.mean([r.status == "effect" for r in runs])) if runs else np.nan
    return out


def power(runs: list[Run]) -> float:
    """Share of runs (with an effect planted) where the main test finds it at p < ALPHA."""
    ps = np.array([r.p["main"] for r in runs])
    ps = ps[np.isfinite(ps)]
    return float(np.mean(ps < ALPHA)) if ps.size else np.nan
