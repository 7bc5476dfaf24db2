"""The unit-level event study, by pyfixest: each territory's series with territory and year fixed
effects, one coefficient per start cohort and year since the start (Sun & Abraham 2021: cohorts
never contaminate each other), aggregated by the cohorts' shares. With one start year it is the plain
event study. Its difference in differences is the interaction-weighted aggregate of those same
coefficients (per cohort, mean after minus mean before, the reference year counting as 0), so that on a
staggered design it is the cohort-by-cohort answer, not a pooled two-way regression's. Intervals
clustered by territory are drawn for the event study only: with a handful of treated territories they
are too narrow, so the p-value printed for this estimator comes from the placebo groups (`evaluation`).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

_NAME = re.compile(r"::(-?\d+(?:\.0)?):[^:]*::(\d+(?:\.0)?)$")


@dataclass(frozen=True)
class EventRegression:
    table: pd.DataFrame      # event time → estimate, se, lo, hi (95 %)
    clusters: int
    did: float               # interaction-weighted aggregate: per cohort mean(after) − mean(before), share-weighted
    did_se: float            # its clustered standard error (not used for significance: too few clusters)


def event_regression(panel: pd.DataFrame, reference: int = -1) -> EventRegression | None:
    """`panel`: unit, year, y, weight, cohort (the start year; 0 for a comparison territory).
    None when the regression cannot be run (fewer than two territories on a side)."""
    from scipy import stats

    treated = panel.loc[panel["cohort"] > 0, "unit"].nunique()
    if treated < 1 or panel.loc[panel["cohort"] == 0, "unit"].nunique() < 2:
        return None
    df = panel.assign(rel=np.where(panel["cohort"] > 0, panel["year"] - panel["cohort"], reference),
                      after=((panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])).astype(float))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyfixest.estimation import feols  # about 150 MB: loaded by the first evaluation only

            fit = feols(f"y ~ i(rel, cohort, ref={reference}, ref2=0) | unit + year", data=df, weights="weight",
                        vcov={"CRV1": "unit"})
    except Exception:  # noqa: BLE001 - a degenerate panel (one year after, collinear cohorts): no regression
        return None
    coef, vcov = fit.coef(), np.asarray(fit._vcov)
    names = list(coef.index)
    shares = df[df["cohort"] > 0].drop_duplicates("unit").groupby("cohort")["weight"].sum()
    clusters = int(df["unit"].nunique())
    tq = stats.t.ppf(0.975, max(clusters - 1, 1))
    parsed: dict[int, list[tuple[int, int]]] = {}
    for i, name in enumerate(names):
        m = _NAME.search(name)
        if m:
            parsed.setdefault(int(float(m.group(1))), []).append((i, int(float(m.group(2)))))
    rows = []
    for e, items in sorted(parsed.items()):
        w = np.zeros(len(names))
        total = sum(shares.get(g, 0.0) for _, g in items)
        for i, g in items:
            w[i] = shares.get(g, 0.0) / total if total else 0.0
        est, se = float(w @ coef.to_numpy()), float(np.sqrt(max(w @ vcov @ w, 0.0)))
        rows.append({"event": e, "estimate": est, "se": se, "lo": est - tq * se, "hi": est + tq * se})
    rows.append({"event": reference, "estimate": 0.0, "se": 0.0, "lo": 0.0, "hi": 0.0})
    table = pd.DataFrame(rows).sort_values("event").set_index("event")
    agg = _aggregate(parsed, shares, len(names), df, reference)
    if agg is None:
        return None
    did, did_se = float(agg @ coef.to_numpy()), float(np.sqrt(max(agg @ vcov @ agg, 0.0)))
    return EventRegression(table, clusters, did, did_se)


def _aggregate(parsed: dict[int, list[tuple[int, int]]], shares: pd.Series, size: int, df: pd.DataFrame,
               reference: int) -> np.ndarray | None:
    """The weights that turn the cohort × event-time coefficients into one difference in differences:
    for each cohort, the mean of its coefficients after the start minus the mean before it (the
    reference year's 0 among them), then the cohorts by their shares."""
    by_cohort: dict[int, dict[int, int]] = {}
    for e, items in parsed.items():
        for i, g in items:
            by_cohort.setdefault(g, {})[e] = i
    total = sum(shares.get(g, 0.0) for g in by_cohort)
    if not total:
        return None
    w = np.zeros(size)
    for g, events in by_cohort.items():
        years = df.loc[df["cohort"] == g, "year"].unique()
        rel = sorted(int(y - g) for y in years)
        post, pre = [e for e in rel if e >= 0], [e for e in rel if e < 0]
        if not post or not pre:
            continue
        share = shares.get(g, 0.0) / total
        for e in post:
            if e in events:
                w[events[e]] += share / len(post)
        for e in pre:
            if e in events and e != reference:
                w[events[e]] -= share / len(pre)
    return w
