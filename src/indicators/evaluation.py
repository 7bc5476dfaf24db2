"""Programme evaluation on an `Outcome`: each member against its own matched comparison territories,
the group's effect the weighted mean of its members' effects, randomisation inference with placebo
groups, a pre-trend test with its power, the placebo in time, the effect that would be seen 8 times
out of 10, and three other readings of the same data (without the regression adjustment, the pooled
event-study regression, a synthetic difference in differences) whose agreement the verdict checks.

Each member has its own start: its own years (or census spans) before and after, its own reference
year. A comparison territory of a programme that starts later is used until the year before its own
start (its later values are masked), « pas encore traité ». Chance is stated by a randomisation test:
placebo groups are drawn in the clean pool, each member replaced by one of the territories most like
it, each stand-in compared exactly as the member is (its own matched territories), and the observed
effect is ranked among them: exact permutation p-values, the band of what chance alone gives, and the
effect that a placebo group would show at p < 0.05 four times out of five if it were planted there.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse

from . import outcomes as oc
from .regression import EventRegression, event_regression
from .synthetic import DONOR_CAP, SyntheticFit, sdid

DRAWS = 1_000
SEED = 2016
TIME_SHIFT = 3      # the placebo in time starts this many years before the real start
SYNTH_FITS = 100    # placebo groups refitted by the synthetic comparison (its RMSPE ranking)
COMPLETE = 0.9      # the periods kept are those at least this share of the members has
ALPHA = 0.05        # the level every printed test is read at
POWER = 0.8         # « l'effet que l'étude verrait 8 fois sur 10 »
MIN_SHARE_AFTER = 0.5  # a census span counts as « after » when at least half of it follows the start
NEVER = 10_000      # the start of a territory that is not in any later programme


@dataclass(frozen=True)
class Design:
    """Who is compared with whom: members and their start years, each member's matched comparison
    territories (nearest first), the stand-ins a placebo may put in each member's place, the matched
    neighbours of those stand-ins, and the start of each comparison territory of a later programme."""
    members: tuple[str, ...]
    starts: dict[str, int]
    neighbours: dict[str, list[str]]
    similar: dict[str, list[str]]
    candidate_neighbours: dict[str, list[str]]
    k: int = 3
    covariates: pd.DataFrame | None = None  # standardised matching variables: the bias correction's regressors
    treated_from: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    reason: str
    left_out: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreTrend:
    gaps: pd.Series            # event time (before the start) → gap relative to the reference year
    statistic: float           # Wald distance of the gaps from what the placebo groups show
    p_value: float             # its rank among the placebo groups (NaN without two pre-start years)
    detectable_slope: float    # smallest linear pre-trend found 4 times out of 5 (per year)
    detectable_bias: float     # what that trend, carried on, adds to the effect

    @property
    def tested(self) -> bool:
        return np.isfinite(self.p_value)

    @property
    def diverging(self) -> bool:
        return self.tested and self.p_value < ALPHA


@dataclass(frozen=True)
class Inference:
    draws: int
    centre: float
    band: float                # half-width of the central 95 % of the placebo effects
    p_one: float               # one-sided, in the direction observed
    p_two: float               # two-sided about the centre


@dataclass(frozen=True)
class Reading:
    """One other reading of the same comparison (without adjustment, pooled regression): its estimate
    and where it falls among the placebo groups read the same way."""
    name: str
    effect: float
    inference: Inference

    @property
    def significant(self) -> bool:
        return bool(np.isfinite(self.inference.p_two) and self.inference.p_two < ALPHA)


@dataclass(frozen=True)
class Plan:
    """A cohort's periods: those before its start (the last is the reference) and those after."""
    start: int
    pre: tuple[int, ...]
    post: tuple[int, ...]

    @property
    def ref(self) -> int:
        return self.pre[-1]


@dataclass(frozen=True)
class Evaluation:
    outcome: oc.Outcome
    periods: tuple[int, ...]
    cohorts: dict[int, tuple[str, ...]]      # start → members
    references: dict[int, int]               # start → last period before it (index base, event reference)
    group: pd.Series                          # period → the members' weighted mean
    comparison: pd.Series                     # period → the group minus its members' weighted gaps
    comparison_codes: tuple[str, ...]
    effect: float                             # weighted mean of the members' differences in differences
    event: pd.Series                          # event time → gap relative to the reference
    event_band: pd.DataFrame                  # event time → lo, hi: central 95 % of the placebo groups
    placebo: np.ndarray
    inference: Inference
    pretrend: PreTrend
    time_placebo: float | None
    time_placebo_p: float | None
    regression: EventRegression | None
    synthetic: SyntheticFit | None
    synthetic_p: float | None                 # rank of the synthetic effect among placebo refits
    synthetic_ratio_p: float | None           # rank of its post/pre RMSPE ratio
    synthetic_donors: pd.Series               # donor → weight
    members: pd.DataFrame                     # per member: start, weight, n_comparison, before, after, effects
    left_out: dict[str, str]                  # member → why it is not evaluated
    excluded_comparison: int                  # comparison territories without a usable series
    plans: dict[int, Plan] = field(default_factory=dict)
    detectable: float = np.nan                # the effect seen at p < ALPHA POWER of the time (placebo groups)
    unadjusted: Reading | None = None         # the same comparison without the regression adjustment
    pooled: Reading | None = None             # the event-study regression's estimator, ranked the same way
    weighting: str = ""                       # how members are weighted, in words
    comparators: pd.DataFrame = field(default_factory=pd.DataFrame)  # member, code, weight in the group effect

    @property
    def start(self) -> int:
        return max(self.cohorts, key=lambda g: len(self.cohorts[g]))

    @property
    def staggered(self) -> bool:
        return len(self.cohorts) > 1

    @property
    def before(self) -> tuple[int, ...]:
        return self.plans[self.start].pre if self.plans else tuple(p for p in self.periods if p < self.start)

    @property
    def after(self) -> tuple[int, ...]:
        return self.plans[self.start].post if self.plans else tuple(p for p in self.periods if p >= self.start)

    @property
    def significant(self) -> bool:
        return bool(np.isfinite(self.inference.p_two) and self.inference.p_two < ALPHA)


class _Panel:
    """The arrays the statistics run on: the territories × the periods kept, with `ok` marking the
    values that may be used (present, positive denominator, not yet treated by a later programme)."""

    def __init__(self, outcome: oc.Outcome, units: list[str], periods: list[int],
                 treated_from: dict[str, int] | None = None):
        self.units = units
        self.pos = {c: i for i, c in enumerate(units)}
        self.periods = np.array(periods)
        self.num = outcome.num.reindex(index=units, columns=periods).to_numpy(dtype=float)
        self.den = outcome.den.reindex(index=units, columns=periods).to_numpy(dtype=float)
        self.scale, self.index, self.weighted = outcome.scale, outcome.index, outcome.weighted
        starts = np.array([(treated_from or {}).get(u, NEVER) for u in units])
        self.treated = starts[:, None] <= self.periods[None, :]
        with np.errstate(invalid="ignore"):
            self.ok = np.isfinite(self.num) & np.isfinite(self.den) & (self.den > 0) & ~self.treated
        with np.errstate(divide="ignore", invalid="ignore"):
            self.rates = np.where(self.ok, self.num / self.den * self.scale, np.nan)
        # the weight a territory carries in its set: its denominator, or its value for an indexed count
        self.weight = self.num if np.all(self.den[np.isfinite(self.den)] == 1) else self.den
        self.adjust: dict[int, np.ndarray] = {}

    def col(self, period: int) -> int:
        return int(np.flatnonzero(self.periods == period)[0])

    def cols(self, periods) -> np.ndarray:
        return np.array([self.col(p) for p in periods], dtype=int)

    def unit_weight(self, idx, ref: int) -> np.ndarray:
        idx = np.asarray(idx, dtype=int)
        return np.nan_to_num(self.weight[idx, ref]) if self.weighted else np.ones(len(idx))

    def aggregate(self, sets: sparse.csr_matrix, ref: int | None) -> np.ndarray:
        """Each set's series (sets × periods) by the rule, indexed at column `ref` when reading an index."""
        ok = self.ok & (self.ok[:, [ref]] if ref is not None else True)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.weighted:
                agg = (sets @ np.where(ok, self.num, 0)) / (sets @ np.where(ok, self.den, 0)) * self.scale
                if self.index and ref is not None:
                    at_ref = ((sets @ (np.nan_to_num(self.num[:, [ref]]) * ok))
                              / (sets @ (np.nan_to_num(self.den[:, [ref]]) * ok)) * self.scale)
                    agg = agg / at_ref * 100
            else:
                u = self.unit_series(ref)
                fine = ok & np.isfinite(u)
                agg = (sets @ np.where(fine, u, 0)) / (sets @ fine.astype(float))
        return np.asarray(agg)

    def unit_series(self, ref: int | None) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.index and ref is not None:
                base = self.rates[:, [ref]]
                return np.where(np.isfinite(base) & (base != 0), self.rates / base * 100, np.nan)
            return self.rates

    def fit_adjustment(self, covariates: np.ndarray, pool: np.ndarray, refs: list[int]) -> None:
        """Bias correction of matching (Abadie & Imbens 2011): each territory's series predicted from its
        matching variables by least squares over the pool (weighted like the sets), so that what is left
        of the differences between a member and its matches (a town a bit larger than its neighbours)
        is taken out of the comparison, for the group and every placebo group alike."""
        x = np.column_stack([np.ones(len(covariates)), covariates])
        for ref in refs:
            u = self.unit_series(ref)
            w = np.nan_to_num(self.weight[:, ref]) if self.weighted else np.ones(len(u))
            rows = pool & np.isfinite(u).all(axis=1) & np.isfinite(x).all(axis=1) & (w > 0)
            if rows.sum() <= x.shape[1]:
                continue
            sw = np.sqrt(w[rows])[:, None]
            beta, *_ = np.linalg.lstsq(x[rows] * sw, u[rows] * sw, rcond=None)
            self.adjust[ref] = x @ beta

    def gaps(self, own: np.ndarray, comps: list[list[int]], cols: np.ndarray, ref: int,
             adjust: bool) -> np.ndarray:
        """Each own territory's series minus its comparison set's (by the rule, over the territories
        usable that period), rows × `cols`; with `adjust`, minus what their matching variables predict."""
        sets = _rows(comps, len(self.units))
        series = self.unit_series(ref)
        gap = series[np.asarray(own, dtype=int)][:, cols] - self.aggregate(sets, ref)[:, cols]
        fitted = self.adjust.get(ref) if adjust else None
        if fitted is not None:
            # the comparison's prediction over the territories its series used, weighted as they were
            avail = self.ok[:, cols] & self.ok[:, [ref]] & (True if self.weighted else np.isfinite(series[:, cols]))
            w = avail * (np.nan_to_num(self.weight[:, [ref]]) if self.weighted else 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                predicted = (sets @ (fitted[:, cols] * w)) / (sets @ w)
            gap = gap - (fitted[np.asarray(own, dtype=int)][:, cols] - np.asarray(predicted))
        return gap


@dataclass
class _Units:
    """Per-territory answers of one cohort: each row a territory compared with its own matched set."""
    unit: np.ndarray          # panel position
    effect: np.ndarray        # difference in differences (with the adjustment)
    raw: np.ndarray           # the same without it
    time: np.ndarray          # placebo in time (pre-start periods only)
    events: np.ndarray        # rows × event axis: gap minus the reference's gap (NaN where not reached)
    gaps: np.ndarray          # rows × the cohort's periods: the adjusted gap itself
    weight: np.ndarray


def _units(panel: _Panel, own: list[int], comps: list[list[int]], plan: Plan, axis: list[int]) -> _Units:
    cols = panel.cols(plan.pre + plan.post)
    ref = panel.col(plan.ref)
    pre = np.isin(panel.periods[cols], plan.pre)
    post = ~pre
    out = {}
    for adjust in (True, False):
        g = panel.gaps(np.array(own, dtype=int), comps, cols, ref, adjust)
        out[adjust] = (_nanmean(g[:, post]) - _nanmean(g[:, pre]), g)
    gap = out[True][1]
    events = np.full((len(own), len(axis)), np.nan)
    at_ref = gap[:, list(panel.periods[cols]).index(plan.ref)]
    for j, p in enumerate(panel.periods[cols]):
        events[:, axis.index(int(p) - plan.start)] = gap[:, j] - at_ref
    fake = plan.start - TIME_SHIFT
    early, late = pre & (panel.periods[cols] < fake), pre & (panel.periods[cols] >= fake)
    time = (_nanmean(gap[:, late]) - _nanmean(gap[:, early]) if early.any() and late.any()
            else np.full(len(own), np.nan))
    return _Units(np.array(own, dtype=int), out[True][0], out[False][0], time, events, gap,
                  panel.unit_weight(own, ref))


def _nanmean(x: np.ndarray, axis: int = 1) -> np.ndarray:
    """Mean skipping NaN, NaN where nothing is left (without numpy's warning)."""
    fine = np.isfinite(x)
    count = fine.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(fine, x, 0.0).sum(axis=axis) / count, np.nan)


def _mean(values: np.ndarray, weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """Weighted mean skipping NaN (all NaN → NaN)."""
    w = np.where(np.isfinite(values), weights, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w.sum(axis=axis) > 0, (np.nan_to_num(values) * w).sum(axis=axis) / w.sum(axis=axis), np.nan)


def _weighted_se(effects: np.ndarray, weights: np.ndarray, axis: int = 1) -> np.ndarray:
    """Along `axis`: √(Σ w² (x − x̄_w)²) / Σ w, the spread of a weighted mean (NaN values left out)."""
    w = np.where(np.isfinite(effects), weights, 0.0)
    x = np.nan_to_num(effects)
    total = w.sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.expand_dims((w * x).sum(axis=axis) / total, axis)
        return np.sqrt((w ** 2 * (x - mean) ** 2).sum(axis=axis)) / total


def _rows(lists: list[list[int]], n: int) -> sparse.csr_matrix:
    """A 0/1 matrix with one row per list of territory positions (a territory counted once per row)."""
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    uniq = [np.unique(np.asarray(x, dtype=np.int64)) for x in lists]
    indptr[1:] = np.cumsum([len(u) for u in uniq])
    idx = np.concatenate(uniq) if uniq else np.array([], dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(idx)), idx, indptr), shape=(len(lists), n))



def _p_values(observed: float, draws: np.ndarray) -> Inference:
    draws = draws[np.isfinite(draws)]
    n = draws.size
    if not n or not np.isfinite(observed):
        return Inference(n, np.nan, np.nan, np.nan, np.nan)
    centre = float(np.median(draws))
    lo, hi = np.quantile(draws, [0.025, 0.975])
    as_far = draws >= observed - 1e-12 if observed >= 0 else draws <= observed + 1e-12
    p_one = (1 + int(np.sum(as_far))) / (1 + n)
    p_two = (1 + int(np.sum(np.abs(draws - centre) >= abs(observed - centre) - 1e-12))) / (1 + n)
    return Inference(n, centre, float(hi - lo) / 2, p_one, p_two)


def _studentized(observed: float, scale: float, draws: np.ndarray, scales: np.ndarray) -> Inference:
    """Ranks of effects divided by their own standard error read from their members (Chung & Romano 2013:
    a studentized permutation test stays valid when the group and its placebo groups differ in spread, as
    towns at the edge of the pool do from the territories around them). The centre and band are given back
    in the effect's unit, at the group's own scale. Without a spread (one member), the plain ranks."""
    ok = np.isfinite(scales) & (scales > 0)
    if not (np.isfinite(scale) and scale > 0) or ok.mean() < 0.9:
        return _p_values(observed, draws)
    t = _p_values(observed / scale, draws[ok] / scales[ok])
    return Inference(t.draws, t.centre * scale, t.band * scale, t.p_one, t.p_two)



def _cautious(plain: Inference, studentized: Inference) -> Inference:
    """The less favourable of the two tests. On real towns (fake programmes of Occitanie towns, no effect),
    plain ranks reject 13 to 16 % of the time at the 10 % level, studentized ones 6 to 16 % depending on
    the indicator; the larger p-value (and the wider band) stays at or under the level for every one
    (see the calibration tests), at some cost in power."""
    return Inference(plain.draws, plain.centre, max(plain.band, studentized.band),
                     max(plain.p_one, studentized.p_one), max(plain.p_two, studentized.p_two))


def _wald_rank(x: np.ndarray, b: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Wald distance of `x` from the draws `b` (rows), with theirs: statistic, rank p-value, the draws'
    distances and the inverse covariance."""
    mu = b.mean(axis=0)
    cov = np.atleast_2d(np.cov(b, rowvar=False))
    inv = np.linalg.pinv(cov + 1e-12 * np.trace(cov) * np.eye(b.shape[1]))
    stat = float((x - mu) @ inv @ (x - mu))
    db = b - mu
    wb = np.einsum("ij,jk,ik->i", db, inv, db)
    return stat, (1 + int(np.sum(wb >= stat - 1e-12))) / (1 + len(wb)), wb, inv


def _pretrend(observed: dict[int, float], draws: dict[int, np.ndarray], refs_rel: set[int],
              did_span: dict[int, float], observed_se: dict[int, float] | None = None,
              draws_se: dict[int, np.ndarray] | None = None) -> PreTrend:
    """Joint test of the pre-start gaps against the placebo groups (Wald distance with their covariance,
    ranked among theirs), and the smallest linear pre-trend it would catch four times out of five. With
    each set's own standard errors (the spread of its members' gaps), the same test on the gaps divided
    by them too, and the larger p-value kept: a group at the edge of the pool, whose members' gaps
    wander more than the placebo groups', is not taken for a divergence (Chung & Romano, as for the effect)."""
    from scipy import optimize, stats

    pre = [e for e in observed if e < 0 and e not in refs_rel and np.isfinite(observed[e])]
    gaps = pd.Series({e: observed[e] for e in sorted(observed) if e < 0})
    if not pre:
        return PreTrend(gaps, np.nan, np.nan, np.nan, np.nan)
    b = np.column_stack([draws[e] for e in pre])
    keep = np.isfinite(b).all(axis=1)
    b = b[keep]
    if len(b) < 5 * len(pre):
        return PreTrend(gaps, np.nan, np.nan, np.nan, np.nan)
    x = np.array([observed[e] for e in pre])
    stat, p, wb, inv = _wald_rank(x, b)
    if observed_se is not None and draws_se is not None:
        xs = np.array([observed_se[e] for e in pre])
        bs = np.column_stack([draws_se[e] for e in pre])[keep]
        fine = np.isfinite(bs).all(axis=1) & (bs > 0).all(axis=1)
        if np.isfinite(xs).all() and (xs > 0).all() and fine.mean() >= 0.9:
            p = max(p, _wald_rank(x / xs, b[fine] / bs[fine])[1])
    # smallest slope γ with P(detected) = 0.8: the gap drifting by γ per year from the reference year
    ref = max(refs_rel)
    d = np.array([e - ref for e in pre], dtype=float)
    info = float(d @ inv @ d)
    crit = float(np.quantile(wb, 0.95))
    k = len(pre)
    try:
        lam = optimize.brentq(lambda nc: stats.ncx2.sf(crit, k, nc) - 0.8, 1e-9, 1e4)
        slope = float(np.sqrt(lam / info)) if info > 0 else np.nan
    except ValueError:
        slope = np.nan
    bias = slope * sum(did_span.values()) / len(did_span) if did_span else np.nan
    return PreTrend(gaps, stat, p, slope, float(bias))


def share_after(outcome: oc.Outcome, period: int, start: int) -> float:
    """The part of a census span that lies after the start (a straddling span is only partly « after »)."""
    first = outcome.starts[period]
    if first == period:
        return 1.0 if period >= start else 0.0
    return max(0.0, min(1.0, (period - max(first, start)) / (period - first)))



def _draw(stand: dict[str, list[int]], valid: list[str], draws: int, rng: np.random.Generator,
          progress: Callable[[float], None] | None) -> np.ndarray:
    """draws × members: for each member one of its stand-ins, at random, never twice in one draw
    (a stand-in drawn for two members is drawn again for the second; after a few rounds a rare
    leftover is simply counted once)."""
    lengths = np.array([len(stand[m]) for m in valid])
    table = np.full((len(valid), lengths.max()), -1)
    for j, m in enumerate(valid):
        table[j, :lengths[j]] = stand[m]
    picks = table[np.arange(len(valid))[None, :], (rng.random((draws, len(valid))) * lengths).astype(int)]
    for _ in range(12):
        order = np.argsort(picks, axis=1, kind="stable")
        ranked = np.take_along_axis(picks, order, axis=1)
        dup_sorted = np.zeros_like(ranked, dtype=bool)
        dup_sorted[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
        rows, cols = np.nonzero(dup_sorted)
        if not rows.size:
            break
        members = order[rows, cols]
        picks[rows, members] = table[members, (rng.random(members.size) * lengths[members]).astype(int)]
    if progress:
        progress(1.0)
    return picks



def _nearest_first(lists: list[list[str]]) -> list[str]:
    """Interleave each member's neighbours by rank: every member's nearest first, then the second…"""
    out: dict[str, None] = {}
    for rank in range(max((len(x) for x in lists), default=0)):
        for x in lists:
            if rank < len(x):
                out.setdefault(x[rank])
    return list(out)




def _plans(outcome: oc.Outcome, members: list[str], starts: dict[str, int]
           ) -> tuple[dict[int, Plan], dict[str, int], dict[str, str]]:
    """Each member's start, its cohort's periods before and after, or why it has none."""
    present = outcome.num.reindex(index=members).notna() & outcome.den.reindex(index=members).notna()
    window = [int(p) for p in present.columns[present.mean() >= COMPLETE]] if len(members) else []
    plans, cohort_of, why = {}, {}, {}
    for m in members:
        g = int(starts[m])
        if g not in plans:
            plan = _plan(outcome, window, g)
            if isinstance(plan, str):
                why[m] = plan
                continue
            plans[g] = plan
        cohort_of[m] = g
    return plans, cohort_of, why


def first_after(outcome: oc.Outcome, members: list[str], starts: dict[str, int]) -> dict[str, int]:
    """The first period after each member's start that its comparison will read (its start year, or the
    end year of the census span after it): a territory of a later programme serves a member only while it
    is still untreated then."""
    plans, cohort_of, _ = _plans(outcome, members, starts)
    return {m: (plans[cohort_of[m]].post[0] if m in cohort_of else int(starts[m])) for m in members}


def _plan(outcome: oc.Outcome, window: list[int], g: int) -> Plan | str:
    if not window:
        return "aucune période commune aux membres"
    if outcome.spans:
        pair = _span_pair(outcome, window, g)
        if pair is not None:
            return Plan(g, (pair[0],), (pair[1],))
        if not any(p <= g for p in window):
            return f"début en {g} : aucune période de recensement avant"
        from datetime import date

        later = (f"diffusé vers {g + 6}" if date.today().year < g + 6
                 else "que cette base ne contient pas encore")
        return (f"pas encore évaluable avec les recensements : le premier recensement utile est celui de {g + 3} "
                f"(période {g - 3}–{g + 3}, dont la moitié suit le début), {later}")
    pre, post = tuple(p for p in window if p < g), tuple(p for p in window if p >= g)
    held = ", ".join(outcome.labels[p] for p in window[:6]) + ("…" if len(window) > 6 else "")
    if not pre:
        return f"la base ne tient cet indicateur que pour {held} : aucune année avant le début ({g})"
    if not post:
        return f"début en {g}, après la dernière période disponible ({outcome.labels[window[-1]]})"
    return Plan(g, pre, post)


def _span_pair(outcome: oc.Outcome, window: list[int], start: int) -> list[int] | None:
    """The census span entirely before the start (the latest) and, not overlapping it, the span with
    the largest share after the start, when at least half of it follows the start."""
    before = [p for p in window if p <= start]
    if not before:
        return None
    pre = max(before)
    after = [p for p in window if p > start and outcome.starts[p] >= pre]
    share = {p: (p - max(outcome.starts[p], start)) / (p - outcome.starts[p]) for p in after}
    after = [p for p in after if share[p] >= MIN_SHARE_AFTER - 1e-9]
    if not after:
        return None
    return [pre, max(after, key=lambda p: (share[p], p))]


def _member_problems(outcome: oc.Outcome, members: list[str], plan: Plan) -> dict[str, str]:
    """Members of one cohort without a complete, non-zero series over its periods: why."""
    periods = list(plan.pre + plan.post)
    num = outcome.num.reindex(index=members, columns=periods)
    den = outcome.den.reindex(index=members, columns=periods)
    complete = (num.notna() & den.notna() & (den > 0)).all(axis=1)
    nonzero = (num.fillna(0) != 0).any(axis=1)
    hint = oc.hints(outcome.indicator)
    absent = hint.absent if hint is not None and hint.absent else "aucune valeur non nulle"
    span = f"{outcome.labels[periods[0]]} à {outcome.labels[periods[-1]]}"
    why = {}
    for c in members:
        if not complete.get(c, False):
            why[c] = f"série incomplète ({span})"
        elif not nonzero.get(c, False):
            why[c] = absent
    return why


def _fit_to_compare(panel: _Panel, plan: Plan) -> np.ndarray:
    """Territories that can serve as comparison for a cohort: a value every period (or masked once their
    own programme starts), one at the reference and after the start, not all zeros."""
    cols, ref = panel.cols(plan.pre + plan.post), panel.col(plan.ref)
    post = panel.cols(plan.post)
    usable = (panel.ok[:, cols] | panel.treated[:, cols]).all(axis=1) & panel.ok[:, ref] & panel.ok[:, post].any(axis=1)
    usable &= (np.nan_to_num(panel.num[:, cols]) != 0).any(axis=1)
    if panel.index:
        usable &= np.nan_to_num(panel.num[:, ref]) != 0
    return usable


def _complete(panel: _Panel, plan: Plan, fit: np.ndarray) -> np.ndarray:
    """Territories that can stand in for a member: fit to compare (`fit`), and their own values usable
    every period of the cohort."""
    return panel.ok[:, panel.cols(plan.pre + plan.post)].all(axis=1) & fit


def evaluate(outcome: oc.Outcome, design: Design, draws: int = DRAWS, seed: int = SEED,
             progress: Callable[[float], None] | None = None, regression: bool = True,
             synthetic_fits: int = SYNTH_FITS, adjust: bool = True, studentize: bool = True) -> Evaluation | Refusal:
    """The whole evaluation of one outcome, or the reason it cannot be made."""
    members = list(design.members)
    plans, cohort_of, left_out = _plans(outcome, members, design.starts)
    if not plans:
        reasons = sorted(set(left_out.values()), key=list(left_out.values()).count, reverse=True)
        return Refusal(reasons[0] if reasons else "aucune période commune aux membres", left_out)
    cohorts: dict[int, list[str]] = {}
    for m in members:
        if m in cohort_of:
            cohorts.setdefault(cohort_of[m], []).append(m)
    for g, ms in cohorts.items():
        left_out |= _member_problems(outcome, ms, plans[g])
    hint = oc.hints(outcome.indicator)
    absent = hint.absent if hint is not None and hint.absent else None
    if absent and sum(r == absent for r in left_out.values()) * 2 > len(members):
        n = sum(r == absent for r in left_out.values())
        return Refusal(f"{n} des {len(members)} membres n'ont {absent} : l'indicateur ne décrit pas ce groupe, "
                       "il n'est pas évalué", left_out)
    cohorts = {g: [m for m in ms if m not in left_out] for g, ms in sorted(cohorts.items())}
    cohorts = {g: ms for g, ms in cohorts.items() if ms}
    if not cohorts:
        return Refusal("aucun membre n'a une série complète avant et après son début", left_out)
    plans = {g: plans[g] for g in cohorts}

    # the panel: members and every territory the draws may touch, over every cohort's periods
    others: dict[str, None] = {}
    for m in (m for ms in cohorts.values() for m in ms):
        others.update(dict.fromkeys(design.neighbours.get(m, [])))
        for s in design.similar.get(m, []):
            others[s] = None
            others.update(dict.fromkeys(design.candidate_neighbours.get(s, [])))
    valid = [m for ms in cohorts.values() for m in ms]
    units = valid + sorted(set(others) - set(valid))
    periods = sorted({p for plan in plans.values() for p in plan.pre + plan.post})
    panel = _Panel(outcome, units, periods, design.treated_from)
    pos, n = panel.pos, len(units)
    if design.covariates is not None and not design.covariates.empty and adjust:
        cov = design.covariates.reindex(units)
        known = cov.notna().all(axis=1).to_numpy()
        panel.fit_adjustment(cov.fillna(0.0).to_numpy(), known & ~np.isin(units, valid),
                             sorted({panel.col(p.ref) for p in plans.values()}))
    axis = sorted({p - g for g, plan in plans.items() for p in plan.pre + plan.post})

    # each member against its own matched set
    comp, fit = {}, {g: _fit_to_compare(panel, plan) for g, plan in plans.items()}
    for g, ms in cohorts.items():
        for m in ms:
            comp[m] = [pos[c] for c in design.neighbours.get(m, []) if c in pos and fit[g][pos[c]]][:design.k]
            if not comp[m]:
                left_out[m] = "aucun territoire de comparaison n'a de série complète"
    cohorts = {g: [m for m in ms if comp.get(m)] for g, ms in cohorts.items()}
    cohorts = {g: ms for g, ms in cohorts.items() if ms}
    if not cohorts:
        return Refusal("aucun territoire de comparaison n'a de série complète", left_out)
    plans = {g: plans[g] for g in cohorts}
    valid = [m for ms in cohorts.values() for m in ms]
    member_rows = _concat([_units(panel, [pos[m] for m in ms], [comp[m] for m in ms], plans[g], axis)
                           for g, ms in cohorts.items()])

    # stand-ins: each territory a placebo may put in a member's place, compared with its own matched set
    stand_parts, stand_of, offset = [], {}, 0
    treated_members = set(valid)
    for g, ms in cohorts.items():
        fits = fit[g]
        whole = _complete(panel, plans[g], fits)
        cand = [c for c in dict.fromkeys(s for m in ms for s in design.similar.get(m, [])) if c in pos
                and whole[pos[c]] and c not in treated_members]
        nb = {c: [pos[x] for x in design.candidate_neighbours.get(c, []) if x in pos and fits[pos[x]]
                  and x != c and x not in treated_members][:design.k] for c in cand}
        cand = [c for c in cand if nb[c]]
        if not cand:
            stand_parts = []
            break
        part = _units(panel, [pos[c] for c in cand], [nb[c] for c in cand], plans[g], axis)
        row = {c: offset + i for i, c in enumerate(cand) if np.isfinite(part.effect[i])}
        for m in ms:
            stand_of[m] = [row[s] for s in design.similar.get(m, []) if s in row]
        stand_parts.append((part, [nb[c] for c in cand]))
        offset += len(cand)
    rng = np.random.default_rng(seed)
    placebo_ok = bool(stand_parts) and all(stand_of.get(m) for m in valid)
    stands = _concat([p for p, _ in stand_parts]) if placebo_ok else None
    picks = _draw(stand_of, valid, draws, rng, progress) if placebo_ok else np.zeros((0, len(valid)), dtype=int)

    w = member_rows.weight
    effect = float(_mean(member_rows.effect, w))
    raw = float(_mean(member_rows.raw, w))
    event_all = _mean(member_rows.events, w[:, None], axis=0)
    coverage = np.where(np.isfinite(member_rows.events), w[:, None], 0).sum(axis=0) / w.sum()
    shown = [e for j, e in enumerate(axis) if coverage[j] >= 0.5 and np.isfinite(event_all[j])]
    event = pd.Series({e: float(event_all[axis.index(e)]) for e in shown})
    time_obs = float(_mean(member_rows.time, w))
    yearly_noise = not outcome.spans and all(len(p.pre) >= 2 for p in plans.values())

    if placebo_ok:
        pw = stands.weight[picks]
        placebo = _mean(stands.effect[picks], pw, axis=1)
        placebo_raw = _mean(stands.raw[picks], pw, axis=1)
        placebo_time = _mean(stands.time[picks], pw, axis=1)
        placebo_events, placebo_event_se = _set_events(stands, picks)
    else:
        placebo = placebo_raw = placebo_time = np.array([])
        placebo_events = placebo_event_se = np.zeros((0, len(axis)))
    event_se = _weighted_se(member_rows.events.T, np.broadcast_to(w, member_rows.events.T.shape))
    finite = np.isfinite(placebo)
    pre_axis = [j for j, e in enumerate(axis) if e < 0 and e in shown]
    if yearly_noise:
        scale = _noise(event_all[None, pre_axis])[0]
        scales = _noise(placebo_events[:, pre_axis])
    else:
        scale = float(_weighted_se(member_rows.effect[None, :], w[None, :])[0])
        scales = _weighted_se(stands.effect[picks], pw) if placebo_ok else np.array([])
    inference = _infer(effect, scale, placebo, scales, studentize)
    raw_scale = scale if yearly_noise else float(_weighted_se(member_rows.raw[None, :], w[None, :])[0])
    raw_scales = scales if yearly_noise or not placebo_ok else _weighted_se(stands.raw[picks], pw)
    unadjusted = (Reading("sans correction", raw, _infer(raw, raw_scale, placebo_raw, raw_scales, studentize))
                  if adjust and panel.adjust else None)
    detectable = _detectable(placebo[finite], scales[finite] if len(scales) == len(placebo) else np.array([]),
                             studentize)
    band = pd.DataFrame({e: np.nanquantile(placebo_events[finite, axis.index(e)], [0.025, 0.975])
                         if finite.any() else [np.nan] * 2 for e in shown}, index=["lo", "hi"]).T
    refs_rel = {p.ref - g for g, p in plans.items()}
    did_span = {g: float(np.mean([x - g for x in p.post]) - np.mean([x - g for x in p.pre])) for g, p in plans.items()}
    pretrend = (_pretrend(event.to_dict(), {e: placebo_events[finite, axis.index(e)] for e in shown}, refs_rel,
                          did_span, {e: event_se[axis.index(e)] for e in shown} if studentize else None,
                          {e: placebo_event_se[finite, axis.index(e)] for e in shown} if studentize else None)
                if finite.any() else PreTrend(event[event.index < 0], np.nan, np.nan, np.nan, np.nan))
    time_placebo = time_obs if np.isfinite(time_obs) else None
    time_p = (_p_values(time_placebo, placebo_time).p_two if time_placebo is not None and finite.any() else None)

    group, comparison = _series(panel, member_rows, plans, cohorts, valid)
    reg, pooled = None, None
    if not outcome.spans:
        reg = _regression(panel, cohorts, comp, plans) if regression else None
        pooled = _pooled_reading(panel, cohorts, comp, plans, picks, stand_parts if placebo_ok else [], reg, scale,
                                 scales, studentize)
    if reg is not None:
        reg = replace(reg, table=reg.table[reg.table.index.isin(shown)])
    main = max(cohorts, key=lambda g: len(cohorts[g]))
    synth, synth_p, ratio_p, donors = _synthetic(panel, cohorts, comp, plans[main], picks, stand_parts, valid,
                                                 synthetic_fits if placebo_ok else 0)
    detail = _per_member(panel, member_rows, cohorts, comp, plans, valid)
    used = _comparators(panel, cohorts, comp, plans, member_rows.weight)
    comparison_codes = tuple(dict.fromkeys(units[c] for m in valid for c in comp[m]))
    excluded = len({c for m in valid for c in design.neighbours.get(m, [])[:design.k]} - set(comparison_codes))
    return Evaluation(outcome, tuple(periods), {g: tuple(ms) for g, ms in cohorts.items()},
                      {g: p.ref for g, p in plans.items()}, group, comparison, comparison_codes, effect, event, band,
                      placebo[finite], inference, pretrend, time_placebo, time_p, reg, synth, synth_p, ratio_p, donors,
                      detail, left_out, excluded, plans, detectable, unadjusted, pooled, _weighting(outcome), used)


def _concat(parts: list[_Units]) -> _Units:
    """One cohort's rows after another's (every cohort has as many periods: the same years, or two spans)."""
    return _Units(*(np.concatenate([getattr(p, f) for p in parts])
                    for f in ("unit", "effect", "raw", "time", "events", "gaps", "weight")))


def _set_events(stands: _Units, picks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each placebo group's event study (draws × event axis) and its standard error from its members."""
    means, ses = [], []
    for chunk in np.array_split(picks, max(1, len(picks) // 100)):
        ev, wt = stands.events[chunk], stands.weight[chunk][..., None]
        means.append(_mean(ev, wt, axis=1))
        ses.append(_weighted_se(ev, np.broadcast_to(wt, ev.shape), axis=1))
    return np.vstack(means), np.vstack(ses)


def _noise(pre_events: np.ndarray) -> np.ndarray:
    """How much a set's gap wanders before the start (root mean square about its mean), row by row."""
    if pre_events.shape[1] < 2:
        return np.full(len(pre_events), np.nan)
    centred = pre_events - _nanmean(pre_events)[:, None]
    return np.sqrt(_nanmean(centred ** 2))


def _infer(observed: float, scale: float, draws: np.ndarray, scales: np.ndarray, studentize: bool) -> Inference:
    finite = np.isfinite(draws)
    inference = _p_values(observed, draws)
    if studentize and draws.size and len(scales) == len(draws):
        inference = _cautious(inference, _studentized(observed, scale, draws[finite], scales[finite]))
    return inference


def _detectable(draws: np.ndarray, scales: np.ndarray, studentize: bool) -> float:
    """The smallest effect the test finds at p < ALPHA in POWER of the cases: each placebo group stands in
    turn for the group with the effect planted in it, and is tested against the others the way the group
    is (plain and, when the group's test is studentized, studentized ranks). The larger of the two signs;
    infinite when even an effect twenty times chance's range is not found that often (two members whose
    own effects disagree: their spread hides anything). NaN without enough placebo groups."""
    n = draws.size
    if n < 20:
        return np.nan
    centre = np.median(draws)
    plain = np.sort(np.abs(draws - centre))
    use_t = studentize and len(scales) == n and np.isfinite(scales).all() and (scales > 0).all()
    if use_t:
        t = draws / scales
        t_centre = np.median(t)
        stud = np.sort(np.abs(t - t_centre))
    top = float(plain[-1]) * 20 + 1e-9
    grid = np.concatenate([np.linspace(0, top / 5, 401)[1:], np.linspace(top / 5, top, 101)[1:]])
    found = []
    for sign in (1.0, -1.0):
        hit = np.nan
        for delta in grid:
            shifted = draws + sign * delta
            p = (1 + n - np.searchsorted(plain, np.abs(shifted - centre) - 1e-12, "left")) / (1 + n)
            if use_t:
                q = (1 + n - np.searchsorted(stud, np.abs(shifted / scales - t_centre) - 1e-12, "left")) / (1 + n)
                p = np.maximum(p, q)
            if np.mean(p < ALPHA) >= POWER:
                hit = float(delta)
                break
        found.append(hit)
    return float(max(found)) if all(np.isfinite(found)) else np.inf  # inf: no size of effect is seen that often


def _series(panel: _Panel, rows: _Units, plans: dict[int, Plan], cohorts: dict[int, list[str]],
            valid: list[str]) -> tuple[pd.Series, pd.Series]:
    """The group (its members' weighted mean, each on its own reference for an index) and its comparison
    (the group minus the members' weighted gaps): their gap is the one the effect is computed from."""
    t = len(panel.periods)
    own = np.full((len(valid), t), np.nan)
    gaps = np.full((len(valid), t), np.nan)
    i = 0
    for g, ms in cohorts.items():
        cols = panel.cols(plans[g].pre + plans[g].post)
        ref = panel.col(plans[g].ref)
        idx = np.array([panel.pos[m] for m in ms])
        own[i:i + len(ms), cols] = panel.unit_series(ref)[idx][:, cols]
        gaps[i:i + len(ms), cols] = rows.gaps[i:i + len(ms)]
        i += len(ms)
    w = rows.weight[:, None]
    group = _mean(own, w, axis=0)
    return (pd.Series(group, index=[int(p) for p in panel.periods]),
            pd.Series(group - _mean(gaps, w, axis=0), index=[int(p) for p in panel.periods]))


def _comparators(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[int]], plans: dict[int, Plan],
                 member_weight: np.ndarray) -> pd.DataFrame:
    """Each comparison territory actually used, with the weight it carries in the group's effect: its
    member's share, split within the member's set by the rule (its denominator, or equally). A territory
    serving several members appears once per member: it never carries more than its share of each."""
    rows, i, total = [], 0, float(member_weight.sum())
    for g, ms in cohorts.items():
        ref = panel.col(plans[g].ref)
        for m in ms:
            idx = np.array(comp[m], dtype=int)
            w = panel.unit_weight(idx, ref)
            share = w / w.sum() if w.sum() > 0 else np.full(len(idx), 1 / len(idx))
            for c, x in zip(idx, share, strict=True):
                rows.append((m, panel.units[c], float(member_weight[i] / total * x)))
            i += 1
    return pd.DataFrame(rows, columns=["member", "code", "weight"])


def _weighting(outcome: oc.Outcome) -> str:
    if not outcome.weighted:
        return "chaque membre comptant une fois"
    return f"pondéré par {'la valeur' if outcome.index else 'la population'} de chaque membre l'année de référence"


def _regression(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[int]],
                plans: dict[int, Plan]) -> EventRegression | None:
    """pyfixest on the territories' own series (weights by the rule), when every cohort's reference
    is the year just before its start; comparison territories with a masked year are left out (the
    regression needs every year of each)."""
    if any(p.ref != g - 1 for g, p in plans.items()):
        return None
    main = max(cohorts, key=lambda g: len(cohorts[g]))
    comp_idx = list(dict.fromkeys(c for ms in cohorts.values() for m in ms for c in comp[m]))
    parts = []
    for g, idx in [*((g, [panel.pos[m] for m in ms]) for g, ms in cohorts.items()), (0, comp_idx)]:
        ref = panel.col(plans[g].ref if g else plans[main].ref)
        idx = np.array(idx, dtype=int)
        y = panel.unit_series(ref)[idx]
        w = panel.unit_weight(idx, ref)
        keep = (w > 0) & np.isfinite(y).all(axis=1)  # no births in the base year: no index, no weight
        idx, y, w = idx[keep], y[keep], w[keep]
        t = len(panel.periods)
        parts.append(pd.DataFrame({"unit": np.repeat(idx, t), "year": np.tile(panel.periods, len(idx)),
                                   "y": y.ravel(), "weight": np.repeat(w, t), "cohort": g}))
    return event_regression(pd.concat(parts, ignore_index=True))


def _pooled(panel: _Panel, treated: dict[int, sparse.csr_matrix], comps: sparse.csr_matrix,
            plans: dict[int, Plan], main: int) -> np.ndarray:
    """The event-study regression's difference in differences computed directly, for many sets at once:
    each cohort's members (weighted means of their own series) against the union of all comparison
    territories (every year usable), per cohort mean after minus mean before, cohorts by their weight."""
    n = len(panel.units)
    ref_m = panel.col(plans[main].ref)
    yc = panel.unit_series(ref_m)
    wc = panel.unit_weight(np.arange(n), ref_m)
    fine = np.isfinite(yc).all(axis=1) & (wc > 0)
    c = comps @ sparse.diags(fine.astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        cbar = (c @ (wc[:, None] * np.nan_to_num(yc))) / np.asarray(c @ wc)[:, None]
        total, out = 0.0, 0.0
        for g, sets in treated.items():
            ref = panel.col(plans[g].ref)
            y = np.nan_to_num(panel.unit_series(ref))
            wt = panel.unit_weight(np.arange(n), ref)
            share = np.asarray(sets @ wt)
            tbar = (sets @ (wt[:, None] * y)) / share[:, None]
            pre, post = panel.cols(plans[g].pre), panel.cols(plans[g].post)
            did = (tbar[:, post].mean(axis=1) - tbar[:, pre].mean(axis=1)) - (cbar[:, post].mean(axis=1)
                                                                             - cbar[:, pre].mean(axis=1))
            out = out + share * did
            total = total + share
        return out / total


def _pooled_reading(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[int]],
                    plans: dict[int, Plan], picks: np.ndarray, stand_parts: list, reg: EventRegression | None,
                    scale: float, scales: np.ndarray, studentize: bool) -> Reading | None:
    """The regression's estimator and its rank among the placebo groups read the same way (clustered
    intervals over a handful of treated territories are too narrow to be trusted)."""
    n = len(panel.units)
    main = max(cohorts, key=lambda g: len(cohorts[g]))
    treated = {g: _rows([[panel.pos[m] for m in ms]], n) for g, ms in cohorts.items()}
    comps = _rows([[c for ms in cohorts.values() for m in ms for c in comp[m]]], n)
    observed = float(_pooled(panel, treated, comps, plans, main)[0])
    if not np.isfinite(observed):
        return None
    draws = np.array([])
    if stand_parts and len(picks):
        units = np.concatenate([p.unit for p, _ in stand_parts])
        near = [x for _, nb in stand_parts for x in nb]
        col_of, i = {}, 0
        for g, ms in cohorts.items():
            col_of[g] = list(range(i, i + len(ms)))
            i += len(ms)
        sets = {g: _rows([units[row] for row in picks[:, cols]], n) for g, cols in col_of.items()}
        cs = _rows([[c for r in row for c in near[r]] for row in picks], n)
        draws = _pooled(panel, sets, cs, plans, main)
    inference = _infer(observed, scale, draws, scales if len(scales) == len(draws) else np.array([]), studentize)
    return Reading("régression", float(reg.did) if reg is not None else observed, inference)


def _synthetic(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[int]], plan: Plan,
               picks: np.ndarray, stand_parts: list, valid: list[str], fits: int
               ) -> tuple[SyntheticFit | None, float | None, float | None, pd.Series]:
    """The synthetic difference in differences of the main cohort, its donors being the matched
    comparison territories (nearest first, at most DONOR_CAP), ranked among placebo refits."""
    members = cohorts[plan.start]
    cols = panel.cols(plan.pre + plan.post)
    pre = np.isin(panel.periods[cols], plan.pre)
    series = panel.unit_series(panel.col(plan.ref))[:, cols]
    finite = np.isfinite(series).all(axis=1)  # a territory with nothing in the base year has no index
    idx = np.array([panel.pos[m] for m in members])
    treated = _mean(series[idx], panel.unit_weight(idx, panel.col(plan.ref))[:, None], axis=0)
    donors = [c for c in _nearest_first([comp[m] for m in members]) if finite[c]][:DONOR_CAP]
    fit = sdid(treated, series[donors], pre)
    if fit is None:
        return None, None, None, pd.Series(dtype=float)
    weights = pd.Series(fit.weights, index=[panel.units[c] for c in donors]).sort_values(ascending=False)
    if not fits or not stand_parts or not len(picks):
        return fit, None, None, weights
    units = np.concatenate([p.unit for p, _ in stand_parts])
    near = [x for _, nb in stand_parts for x in nb]
    main_cols = [valid.index(m) for m in members]
    effects, ratios = [], []
    for row in picks[:fits, main_cols]:
        u = units[row]
        t = _mean(series[u], panel.unit_weight(u, panel.col(plan.ref))[:, None], axis=0)
        d = [c for c in dict.fromkeys(c for r in row for c in near[r]) if finite[c]][:DONOR_CAP]
        f = sdid(t, series[d], pre) if len(d) >= 2 else None
        if f is not None:
            effects.append(f.effect)
            ratios.append(f.ratio)
    if not effects:
        return fit, None, None, weights
    p = _p_values(fit.effect, np.array(effects)).p_two
    ratio_p = (1 + sum(x >= fit.ratio for x in ratios)) / (1 + len(ratios))
    return fit, p, ratio_p, weights


def _per_member(panel: _Panel, rows: _Units, cohorts: dict[int, list[str]], comp: dict[str, list[int]],
                plans: dict[int, Plan], valid: list[str]) -> pd.DataFrame:
    """Each member against its own comparison territories: its weight, its values before and after, its
    comparison's (corrected), its effect with and without the correction. One town driving the group shows here."""
    parts, i = [], 0
    for g, ms in cohorts.items():
        plan = plans[g]
        cols = panel.cols(plan.pre + plan.post)
        pre = np.isin(panel.periods[cols], plan.pre)
        idx = np.array([panel.pos[m] for m in ms])
        own = panel.unit_series(panel.col(plan.ref))[idx][:, cols]
        gap = rows.gaps[i:i + len(ms)]
        before, after = _nanmean(own[:, pre]), _nanmean(own[:, ~pre])
        parts.append(pd.DataFrame({
            "member": ms, "start": g, "weight": rows.weight[i:i + len(ms)], "n_comparison": [len(comp[m]) for m in ms],
            "before": before, "after": after, "comparison_before": before - _nanmean(gap[:, pre]),
            "comparison_after": after - _nanmean(gap[:, ~pre]), "effect": rows.effect[i:i + len(ms)],
            "effect_unadjusted": rows.raw[i:i + len(ms)]}))
        i += len(ms)
    columns = ["member", "start", "weight", "n_comparison", "before", "after", "comparison_before",
               "comparison_after", "effect", "effect_unadjusted"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
