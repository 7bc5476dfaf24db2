"""The unit-level event study, by pyfixest: each territory's series with territory and year fixed
effects, one coefficient per start cohort and year since the start (Sun & Abraham 2021: cohorts
never contaminate each other), aggregated by the cohorts' shares, with intervals clustered by
territory. With one start year it is the plain event study.
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
    did: float               # the same regression with one « after » dummy per cohort, share-weighted
    did_se: float


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
            did_fit = feols("y ~ i(cohort, after, ref=0) | unit + year", data=df, weights="weight",
                            vcov={"CRV1": "unit"}) if df["cohort"].nunique() > 2 else \
                feols("y ~ after | unit + year", data=df, weights="weight", vcov={"CRV1": "unit"})
    except Exception:  # noqa: BLE001 - a degenerate panel (one year after, collinear cohorts): no regression
        return None
    coef, vcov = fit.coef(), np.asarray(fit._vcov)
    names = list(coef.index)
    shares = df[df["cohort"] > 0].drop_duplicates("unit").groupby("cohort")["weight"].sum()
    clusters = int(df["unit"].nunique())
    tq = stats.t.ppf(0.975, max(clusters - 1, 1))
    parsed = {}
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
    dcoef, dv = did_fit.coef(), np.asarray(did_fit._vcov)
    if len(dcoef) == 1:
        did, did_se = float(dcoef.iloc[0]), float(np.sqrt(max(dv[0, 0], 0.0)))
    else:
        cohorts = [int(float(re.findall(r"::(\d+(?:\.0)?)", n)[0])) for n in dcoef.index]
        w = np.array([shares.get(g, 0.0) for g in cohorts])
        w = w / w.sum()
        did, did_se = float(w @ dcoef.to_numpy()), float(np.sqrt(max(w @ dv @ w, 0.0)))
    return EventRegression(table, clusters, did, did_se)
