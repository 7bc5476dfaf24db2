"""Programme evaluation on an `Outcome`: difference in differences by start cohort, event study,
randomisation inference with placebo groups, pre-trend test with its power, placebo in time, a
synthetic difference in differences, and each member's own figure.

The group is set against territories matched before the start (see `matching`). Chance is stated by
a randomisation test: placebo groups are drawn in the clean pool, each member replaced by one of the
territories most like it, and each placebo group is compared exactly as the group is (its own
matched comparison). The observed effect is ranked among them: exact permutation p-values, the 95 %
band of what chance alone gives (« un effet de moins de ±X n'aurait pas pu être distingué du hasard »),
and the pre-start gaps tested jointly against the same draws.
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


@dataclass(frozen=True)
class Design:
    """Who is compared with whom: members and their start years, each member's matched comparison
    territories (nearest first), the stand-ins a placebo may put in each member's place, and the
    matched neighbours of those stand-ins."""
    members: tuple[str, ...]
    starts: dict[str, int]
    neighbours: dict[str, list[str]]
    similar: dict[str, list[str]]
    candidate_neighbours: dict[str, list[str]]
    k: int = 3
    covariates: pd.DataFrame | None = None  # standardised matching variables: the bias correction's regressors


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
        return self.tested and self.p_value < 0.05


@dataclass(frozen=True)
class Inference:
    draws: int
    centre: float
    band: float                # half-width of the central 95 % of the placebo effects
    p_one: float               # one-sided, in the direction observed
    p_two: float               # two-sided about the centre


@dataclass(frozen=True)
class Evaluation:
    outcome: oc.Outcome
    periods: tuple[int, ...]
    cohorts: dict[int, tuple[str, ...]]      # start → members
    references: dict[int, int]               # start → last period before it (index base, event reference)
    group: pd.Series                          # period → group (all members, main cohort's base)
    comparison: pd.Series                     # its matched comparison, corrected for what matching left apart
    comparison_codes: tuple[str, ...]
    effect: float                             # difference in differences, cohorts weighted
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
    members: pd.DataFrame                     # per member: start, n_comparison, before, after, effect
    left_out: dict[str, str]                  # member → why it is not evaluated
    excluded_comparison: int                  # comparison territories without a usable series

    @property
    def start(self) -> int:
        return max(self.cohorts, key=lambda g: len(self.cohorts[g]))

    @property
    def staggered(self) -> bool:
        return len(self.cohorts) > 1

    @property
    def before(self) -> tuple[int, ...]:
        return tuple(p for p in self.periods if p < self.start)

    @property
    def after(self) -> tuple[int, ...]:
        return tuple(p for p in self.periods if p >= self.start)


def _usable(outcome: oc.Outcome, codes: list[str], periods: list[int]) -> tuple[set[str], dict[str, str]]:
    """Territories with a value, a positive denominator and (for an index) a non-zero base every
    period kept; not all zeros. Returns the usable ones and, for the others, why."""
    num = outcome.num.reindex(index=codes, columns=periods)
    den = outcome.den.reindex(index=codes, columns=periods)
    complete = (num.notna() & den.notna() & (den > 0)).all(axis=1)
    nonzero = (num.fillna(0) != 0).any(axis=1)
    hint = oc.hints(outcome.indicator)
    absent = hint.absent if hint is not None and hint.absent else "aucune valeur non nulle"
    span = f"{outcome.labels[periods[0]]} à {outcome.labels[periods[-1]]}" if periods else ""
    why = {}
    for c in codes:
        if not complete.get(c, False):
            why[c] = f"série incomplète ({span})" if span else "pas de valeur"
        elif not nonzero.get(c, False):
            why[c] = absent
    return set(codes) - set(why), why


def _window(outcome: oc.Outcome, members: list[str]) -> list[int]:
    present = outcome.num.reindex(index=members).notna() & outcome.den.reindex(index=members).notna()
    return [int(p) for p in present.columns[present.mean() >= COMPLETE]]


class _Panel:
    """The arrays the statistics run on: the usable territories × the periods kept."""

    def __init__(self, outcome: oc.Outcome, units: list[str], periods: list[int]):
        self.units = units
        self.pos = {c: i for i, c in enumerate(units)}
        self.periods = np.array(periods)
        self.num = outcome.num.reindex(index=units, columns=periods).to_numpy(dtype=float)
        self.den = outcome.den.reindex(index=units, columns=periods).to_numpy(dtype=float)
        self.scale, self.index, self.weighted = outcome.scale, outcome.index, outcome.weighted
        with np.errstate(divide="ignore", invalid="ignore"):
            self.rates = self.num / self.den * self.scale
        # the weight a territory carries in its set: its denominator, or its value for an indexed count
        self.weight = self.num if np.all(self.den == 1) else self.den

    def col(self, period: int) -> int:
        return int(np.flatnonzero(self.periods == period)[0])

    def aggregate(self, sets: sparse.csr_matrix, ref: int | None) -> np.ndarray:
        """Each set's series (sets × periods) by the rule, indexed at column `ref` when reading an index."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.weighted:
                agg = (sets @ self.num) / (sets @ self.den) * self.scale
                if self.index and ref is not None:
                    agg = agg / agg[:, [ref]] * 100
            else:
                r = self.rates / self.rates[:, [ref]] * 100 if self.index and ref is not None else self.rates
                agg = (sets @ r) / np.asarray(sets.sum(axis=1))
        return agg

    def unit_series(self, ref: int | None) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.rates / self.rates[:, [ref]] * 100 if self.index and ref is not None else self.rates

    def fit_adjustment(self, covariates: np.ndarray, pool: np.ndarray, refs: list[int]) -> None:
        """Bias correction of matching (Abadie & Imbens 2011): each territory's series predicted from its
        matching variables by least squares over the pool (weighted like the sets), so that what is left
        of the differences between a member and its matches (a town a bit larger than its neighbours)
        is taken out of the comparison, for the group and every placebo group alike."""
        x = np.column_stack([np.ones(len(covariates)), covariates])
        self.adjust = {}
        for ref in refs:
            u = self.unit_series(ref)
            w = self.weight[:, ref] if self.weighted else np.ones(len(u))
            rows = pool & np.isfinite(u).all(axis=1) & np.isfinite(x).all(axis=1) & (w > 0)
            sw = np.sqrt(w[rows])[:, None]
            beta, *_ = np.linalg.lstsq(x[rows] * sw, u[rows] * sw, rcond=None)
            self.adjust[ref] = x @ beta

    def bias(self, sets: sparse.csr_matrix, ref: int) -> np.ndarray | None:
        """The predicted series of each set, aggregated like the set (None without an adjustment)."""
        fitted = getattr(self, "adjust", {}).get(ref)
        if fitted is None:
            return None
        w = self.weight[:, ref] if self.weighted else np.ones(len(fitted))
        with np.errstate(divide="ignore", invalid="ignore"):
            return (sets @ (fitted * w[:, None])) / np.asarray(sets @ w)[:, None]

    def set_weight(self, sets: sparse.csr_matrix, ref: int) -> np.ndarray:
        if not self.weighted:
            return np.asarray(sets.sum(axis=1)).ravel()
        return np.asarray(sets @ self.weight[:, ref]).ravel()


def _rows(lists: list[list[int]], n: int) -> sparse.csr_matrix:
    """A 0/1 matrix with one row per list of territory positions (a territory counted once per row)."""
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    uniq = [np.unique(np.asarray(x, dtype=np.int64)) for x in lists]
    indptr[1:] = np.cumsum([len(u) for u in uniq])
    idx = np.concatenate(uniq) if uniq else np.array([], dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(idx)), idx, indptr), shape=(len(lists), n))


@dataclass
class _Stats:
    did: np.ndarray
    event: dict[int, np.ndarray]
    coverage: dict[int, np.ndarray]   # event time → share of the sets' weight whose cohorts reach it
    time: np.ndarray
    noise: np.ndarray                 # how much each set's gap wanders before the start (its own scale)


def _statistics(panel: _Panel, cohorts: dict[int, tuple[sparse.csr_matrix, sparse.csr_matrix]],
                refs: dict[int, int]) -> _Stats:
    """For every set: the cohort-weighted difference in differences, the event study and the placebo in
    time. `cohorts[g] = (group sets, comparison sets)`, one row per set."""
    years = panel.periods
    parts, events, times, noises = [], {}, [], []
    for g, (gs, cs) in cohorts.items():
        ref = panel.col(refs[g])
        gap = panel.aggregate(gs, ref) - panel.aggregate(cs, ref)
        bg, bc = panel.bias(gs, ref), panel.bias(cs, ref)
        if bg is not None:
            gap = gap - (bg - bc)
        pre, post = years < g, years >= g
        did = gap[:, post].mean(axis=1) - gap[:, pre].mean(axis=1)
        w = panel.set_weight(gs, ref)
        parts.append((did, w))
        before = gap[:, pre]
        noises.append((np.sqrt(((before - before.mean(axis=1, keepdims=True)) ** 2).mean(axis=1)), w))
        for j, y in enumerate(years):
            events.setdefault(int(y - g), []).append((gap[:, j] - gap[:, ref], w))
        fake = g - TIME_SHIFT
        early, late = years < fake, (years >= fake) & pre
        t = gap[:, late].mean(axis=1) - gap[:, early].mean(axis=1) if early.any() and late.any() else np.full(len(w), np.nan)
        times.append((t, w))
    total = sum(w for _, w in parts)
    did = sum(d * w for d, w in parts) / total
    event = {e: sum(v * w for v, w in items) / sum(w for _, w in items) for e, items in sorted(events.items())}
    coverage = {e: sum(w for _, w in items) / total for e, items in sorted(events.items())}
    tw = [(t, w) for t, w in times if np.isfinite(t).all()]
    time = sum(t * w for t, w in tw) / sum(w for _, w in tw) if tw else np.full(len(did), np.nan)
    noise = sum(v * w for v, w in noises) / total
    return _Stats(did, event, coverage, time, noise)


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


def _spreads(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[str]], refs: dict[int, int],
             picks: np.ndarray, valid: list[str], nb: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """The standard error of a set's effect read from its members: each member's own effect against its own
    matches, their weighted spread over √n. For the group, and for every placebo group (each stand-in
    against its own nearest matches). The scale of the studentized test."""
    n = len(panel.units)
    member_effect, member_weight = np.empty(len(valid)), np.empty(len(valid))
    stand_effect, stand_weight = np.full((picks.shape[0], len(valid)), np.nan), np.empty(picks.shape)
    col_of = {m: j for j, m in enumerate(valid)}
    for g, ms in cohorts.items():
        ref = panel.col(refs[g])
        cols = [col_of[m] for m in ms]
        eff = _unit_effects(panel, [[panel.pos[m]] for m in ms], [[panel.pos[c] for c in comp[m]] for m in ms], g, ref)
        member_effect[cols] = eff
        member_weight[cols] = _unit_weight(panel, [panel.pos[m] for m in ms], ref)
        units = np.unique(picks[:, cols])
        near = nb[units]
        keep = (near >= 0) & (np.cumsum(near >= 0, axis=1) <= k)
        eff_units = _unit_effects(panel, [[u] for u in units], [row[ok].tolist() for row, ok in zip(near, keep,
                                                                                                    strict=True)], g, ref)
        lookup = np.full(n, np.nan)
        lookup[units] = eff_units
        stand_effect[:, cols] = lookup[picks[:, cols]]
        stand_weight[:, cols] = _unit_weight(panel, picks[:, cols].ravel(), ref).reshape(len(picks), len(cols))
    return _weighted_se(member_effect[None, :], member_weight[None, :])[0], _weighted_se(stand_effect, stand_weight)


def _unit_effects(panel: _Panel, own: list[list[int]], other: list[list[int]], g: int, ref: int) -> np.ndarray:
    n = len(panel.units)
    a, b = _rows(own, n), _rows(other, n)
    gap = panel.aggregate(a, ref) - panel.aggregate(b, ref)
    ba, bb = panel.bias(a, ref), panel.bias(b, ref)
    if ba is not None:
        gap = gap - (ba - bb)
    pre, post = panel.periods < g, panel.periods >= g
    return gap[:, post].mean(axis=1) - gap[:, pre].mean(axis=1)


def _unit_weight(panel: _Panel, idx, ref: int) -> np.ndarray:
    idx = np.asarray(idx)
    return panel.weight[idx, ref] if panel.weighted else np.ones(len(idx))


def _weighted_se(effects: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row by row: √(Σ w² (x − x̄_w)²) / Σ w, the spread of a weighted mean."""
    w = np.where(np.isfinite(effects), weights, 0.0)
    x = np.nan_to_num(effects)
    total = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (w * x).sum(axis=1) / total
        return np.sqrt((w ** 2 * (x - mean[:, None]) ** 2).sum(axis=1)) / total


def _cautious(plain: Inference, studentized: Inference) -> Inference:
    """The less favourable of the two tests. On real towns (fake programmes of Occitanie towns, no effect),
    plain ranks reject 13 to 16 % of the time at the 10 % level, studentized ones 6 to 16 % depending on
    the indicator; the larger p-value (and the wider band) stays at or under the level for every one
    (see the calibration tests), at some cost in power."""
    return Inference(plain.draws, plain.centre, max(plain.band, studentized.band),
                     max(plain.p_one, studentized.p_one), max(plain.p_two, studentized.p_two))


def _pretrend(observed: dict[int, float], draws: dict[int, np.ndarray], refs_rel: set[int],
              did_span: dict[int, float]) -> PreTrend:
    """Joint test of the pre-start gaps against the placebo groups (Wald distance with their covariance,
    ranked among theirs), and the smallest linear pre-trend it would catch four times out of five."""
    from scipy import optimize, stats

    pre = [e for e in observed if e < 0 and e not in refs_rel and np.isfinite(observed[e])]
    gaps = pd.Series({e: observed[e] for e in sorted(observed) if e < 0})
    if not pre:
        return PreTrend(gaps, np.nan, np.nan, np.nan, np.nan)
    b = np.column_stack([draws[e] for e in pre])
    b = b[np.isfinite(b).all(axis=1)]
    if len(b) < 5 * len(pre):
        return PreTrend(gaps, np.nan, np.nan, np.nan, np.nan)
    mu = b.mean(axis=0)
    cov = np.atleast_2d(np.cov(b, rowvar=False))
    inv = np.linalg.pinv(cov + 1e-12 * np.trace(cov) * np.eye(len(pre)))
    x = np.array([observed[e] for e in pre]) - mu
    stat = float(x @ inv @ x)
    db = b - mu
    wb = np.einsum("ij,jk,ik->i", db, inv, db)
    p = (1 + int(np.sum(wb >= stat - 1e-12))) / (1 + len(wb))
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


def evaluate(outcome: oc.Outcome, design: Design, draws: int = DRAWS, seed: int = SEED,
             progress: Callable[[float], None] | None = None, regression: bool = True,
             synthetic_fits: int = SYNTH_FITS, adjust: bool = True, studentize: bool = True) -> Evaluation | Refusal:
    """The whole evaluation of one outcome, or the reason it cannot be made."""
    members = [m for m in design.members]
    window = _window(outcome, members)
    if not window:
        return Refusal("aucune période commune aux membres")
    if outcome.spans:
        window = _span_pair(outcome, window, min(design.starts.get(m, 9999) for m in members))
        if window is None:
            return Refusal("pas de période de recensement à la fois avant le début et (en partie) après")
    ok, why = _usable(outcome, members, window)
    left_out = {m: why.get(m, "pas de valeur de l'indicateur") for m in members if m not in ok}
    hint = oc.hints(outcome.indicator)
    absent = hint.absent if hint is not None and hint.absent else None
    if absent and sum(r == absent for r in left_out.values()) * 2 > len(members):
        n = sum(r == absent for r in left_out.values())
        return Refusal(f"{n} des {len(members)} membres n'ont {absent} : l'indicateur ne décrit pas ce groupe, "
                       "il n'est pas évalué", left_out)
    # cohorts: members by start year, each needing a period before and one after
    cohorts: dict[int, list[str]] = {}
    last = max(window)
    for m in members:
        if m not in ok:
            continue
        g = design.starts[m]
        if outcome.spans:
            g = min(design.starts[x] for x in members)
        if not any(p < g for p in window):
            left_out[m] = f"début en {g} : aucune période avant"
        elif not any(p >= g for p in window):
            left_out[m] = f"début en {g}, après la dernière période disponible ({outcome.labels[last]})"
        else:
            cohorts.setdefault(g, []).append(m)
    if not cohorts:
        return Refusal("aucun membre n'a une période avant et une après son début", left_out)
    refs = {g: max(p for p in window if p < g) for g in cohorts}

    # every territory the draws may touch must have the whole series
    cand = set()
    for m in members:
        cand.update(design.neighbours.get(m, []))
        for s in design.similar.get(m, []):
            cand.add(s)
            cand.update(design.candidate_neighbours.get(s, []))
    usable, _ = _usable(outcome, sorted(cand - set(members)), window)
    if outcome.index and not outcome.weighted:  # each territory's own index needs a non-zero base
        base = outcome.num.reindex(index=sorted(usable), columns=[refs[g] for g in cohorts]).ne(0).all(axis=1)
        usable = set(base[base].index)
    valid = [m for g in cohorts for m in cohorts[g]]
    comp = {m: [c for c in design.neighbours.get(m, []) if c in usable][:design.k] for m in valid}
    if not any(comp.values()):
        return Refusal("aucun territoire de comparaison n'a de série complète", left_out)
    units = valid + sorted(usable)
    panel = _Panel(outcome, units, window)
    pos = panel.pos
    n = len(units)
    if design.covariates is not None and not design.covariates.empty and adjust:
        cov = design.covariates.reindex(units)
        known = cov.notna().all(axis=1).to_numpy()
        panel.fit_adjustment(cov.fillna(0.0).to_numpy(), known & ~np.isin(units, valid),
                             sorted({panel.col(refs[g]) for g in cohorts}))

    # the observed sets
    obs_sets = {g: (_rows([[pos[m] for m in ms]], n), _rows([[pos[c] for m in ms for c in comp[m]]], n))
                for g, ms in cohorts.items()}
    observed = _statistics(panel, obs_sets, refs)
    effect = float(observed.did[0])

    # placebo groups: each member replaced by one of its stand-ins, compared with the stand-in's own neighbours
    rng = np.random.default_rng(seed)
    stand = {m: [pos[s] for s in design.similar.get(m, []) if s in usable] for m in valid}
    if all(stand[m] for m in valid):
        picks = _draw(stand, valid, draws, rng, progress)
        nb = _neighbour_table(design, pos, usable, n)
        col_of = {m: j for j, m in enumerate(valid)}
        plac_sets = {}
        for g, ms in cohorts.items():
            cols = [col_of[m] for m in ms]
            comps = []
            drawn = np.zeros(n + 1, dtype=bool)  # the last slot stands for « no neighbour » (−1)
            for row in picks:
                drawn[row] = True
                cand = nb[row[cols]]
                keep = (cand >= 0) & ~drawn[cand]
                keep &= np.cumsum(keep, axis=1) <= design.k
                comps.append(cand[keep])
                drawn[row] = False
            plac_sets[g] = (_rows(list(picks[:, cols]), n), _rows(comps, n))
        placebo_stats = _statistics(panel, plac_sets, refs)
        placebo = placebo_stats.did
    else:
        placebo_stats, placebo, plac_sets = None, np.array([]), {}
    finite = np.isfinite(placebo)
    inference = _p_values(effect, placebo)
    if studentize and placebo.size:
        # the scale: how much the gap wandered before the start, or with a single period before it (census
        # spans, two census years) the spread of the members' own effects
        if all(sum(p < g for p in window) >= 2 for g in cohorts):
            scale, scales = float(observed.noise[0]), placebo_stats.noise[finite]
        else:
            scale, scales = _spreads(panel, cohorts, comp, refs, picks, valid, nb, design.k)
            scales = scales[finite]
        inference = _cautious(inference, _studentized(effect, scale, placebo[finite], scales))
    # event times reached by cohorts holding at least half the group (a lone early cohort is noise)
    shown = [e for e, c in observed.coverage.items() if c[0] >= 0.5]
    event = pd.Series({e: float(observed.event[e][0]) for e in shown})
    band = pd.DataFrame({e: np.nanquantile(placebo_stats.event[e][finite], [0.025, 0.975]) if placebo.size else [np.nan] * 2
                         for e in shown}, index=["lo", "hi"]).T
    refs_rel = {refs[g] - g for g in cohorts}
    did_span = {g: float(np.mean([p - g for p in window if p >= g]) - np.mean([p - g for p in window if p < g]))
                for g in cohorts}
    pretrend = (_pretrend(event.to_dict(), {e: placebo_stats.event[e][finite] for e in shown}, refs_rel, did_span)
                if placebo.size else PreTrend(event[event.index < 0], np.nan, np.nan, np.nan, np.nan))
    time_placebo = float(observed.time[0]) if np.isfinite(observed.time[0]) else None
    time_p = (_p_values(time_placebo, placebo_stats.time).p_two
              if time_placebo is not None and placebo.size else None)

    # the series shown: all members against all their comparison territories, main cohort's base
    main = max(cohorts, key=lambda g: len(cohorts[g]))
    all_g = _rows([[pos[m] for m in valid]], n)
    all_c_codes = list(dict.fromkeys(c for m in valid for c in comp[m]))
    all_c = _rows([[pos[c] for c in all_c_codes]], n)
    ref_main = panel.col(refs[main])
    group = pd.Series(panel.aggregate(all_g, ref_main)[0], index=window)
    comparison = panel.aggregate(all_c, ref_main)[0]
    bg, bc = panel.bias(all_g, ref_main), panel.bias(all_c, ref_main)
    if bg is not None:  # what the effect compares with: the comparison corrected for what matching left apart
        comparison = comparison + (bg - bc)[0]
    comparison = pd.Series(comparison, index=window)

    reg = _regression(panel, cohorts, comp, refs) if regression and not outcome.spans else None
    if reg is not None:
        reg = replace(reg, table=reg.table[reg.table.index.isin(shown)])
    synth, synth_p, ratio_p, donors = _synthetic(panel, cohorts[main], comp, main, refs[main],
                                                 plac_sets.get(main), placebo, synthetic_fits)
    detail = _per_member(panel, cohorts, comp, refs)
    excluded = len({c for m in valid for c in design.neighbours.get(m, [])[:design.k]} - usable)
    return Evaluation(outcome, tuple(window), {g: tuple(ms) for g, ms in sorted(cohorts.items())}, refs, group,
                      comparison, tuple(all_c_codes), effect, event, band, placebo[finite], inference, pretrend,
                      time_placebo, time_p, reg, synth, synth_p, ratio_p, donors, detail, left_out, excluded)


def _span_pair(outcome: oc.Outcome, window: list[int], start: int) -> list[int] | None:
    """The census span entirely before the start (the latest) and, not overlapping it, the span with
    the largest share after the start."""
    before = [p for p in window if p <= start]
    if not before:
        return None
    pre = max(before)
    after = [p for p in window if p > start and outcome.starts[p] >= pre]
    if not after:
        return None
    share = {p: (p - max(outcome.starts[p], start)) / (p - outcome.starts[p]) for p in after}
    return [pre, max(after, key=lambda p: (share[p], p))]


def share_after(outcome: oc.Outcome, period: int, start: int) -> float:
    """The part of a census span that lies after the start (a straddling span is only partly « after »)."""
    first = outcome.starts[period]
    if first == period:
        return 1.0 if period >= start else 0.0
    return max(0.0, min(1.0, (period - max(first, start)) / (period - first)))


def _neighbour_table(design: Design, pos: dict[str, int], usable: set[str], n: int) -> np.ndarray:
    """territory position → its matched neighbours' positions (padded with −1), for the stand-ins."""
    width = design.k + max((len(v) for v in design.candidate_neighbours.values()), default=0)
    table = np.full((n, max(width, 1)), -1, dtype=np.int64)
    for s, near in design.candidate_neighbours.items():
        if s in pos:
            row = [pos[c] for c in near if c in usable]
            table[pos[s], :len(row)] = row
    return table


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


def _regression(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[str]],
                refs: dict[int, int]) -> EventRegression | None:
    """pyfixest on the territories' own series (weights by the rule), when every cohort's reference
    is the year just before its start."""
    if any(refs[g] != g - 1 for g in cohorts):
        return None
    main = max(cohorts, key=lambda g: len(cohorts[g]))
    comp_codes = list(dict.fromkeys(c for ms in cohorts.values() for m in ms for c in comp[m]))
    parts = []
    for g, ms in [*cohorts.items(), (0, comp_codes)]:
        ref = panel.col(refs[g] if g else refs[main])
        idx = np.array([panel.pos[c] for c in ms])
        y = panel.unit_series(ref)[idx]
        w = panel.weight[idx, ref] if panel.weighted else np.ones(len(idx))
        keep = (w > 0) & np.isfinite(y).all(axis=1)  # no births in the base year: no index, no weight
        idx, y, w = idx[keep], y[keep], w[keep]
        t = len(panel.periods)
        parts.append(pd.DataFrame({"unit": np.repeat(idx, t), "year": np.tile(panel.periods, len(idx)),
                                   "y": y.ravel(), "weight": np.repeat(w, t), "cohort": g}))
    return event_regression(pd.concat(parts, ignore_index=True))


def _synthetic(panel: _Panel, members: tuple[str, ...] | list[str], comp: dict[str, list[str]], start: int,
               ref: int, placebo_sets: tuple[sparse.csr_matrix, sparse.csr_matrix] | None, placebo: np.ndarray,
               fits: int) -> tuple[SyntheticFit | None, float | None, float | None, pd.Series]:
    """The synthetic difference in differences of the main cohort, its donors being the matched
    comparison territories (nearest first, at most DONOR_CAP), ranked among placebo refits."""
    pre = panel.periods < start
    r = panel.col(ref)
    series = panel.unit_series(r)
    n = len(panel.units)
    treated = panel.aggregate(_rows([[panel.pos[m] for m in members]], n), r)[0]
    finite = np.isfinite(series).all(axis=1)  # a territory with nothing in the base year has no index
    donor_codes = [c for c in _nearest_first([comp[m] for m in members]) if finite[panel.pos[c]]][:DONOR_CAP]
    fit = sdid(treated, series[[panel.pos[c] for c in donor_codes]], pre)
    if fit is None:
        return None, None, None, pd.Series(dtype=float)
    weights = pd.Series(fit.weights, index=donor_codes).sort_values(ascending=False)
    if placebo_sets is None or not placebo.size:
        return fit, None, None, weights
    gs, cs = placebo_sets
    agg = panel.aggregate(gs[:fits], r)
    effects, ratios = [], []
    for d in range(min(fits, gs.shape[0])):
        donors = cs[d].indices[finite[cs[d].indices]][:DONOR_CAP]
        f = sdid(agg[d], series[donors], pre)
        if f is not None:
            effects.append(f.effect)
            ratios.append(f.ratio)
    if not effects:
        return fit, None, None, weights
    p = _p_values(fit.effect, np.array(effects)).p_two
    ratio_p = (1 + sum(x >= fit.ratio for x in ratios)) / (1 + len(ratios))
    return fit, p, ratio_p, weights


def _nearest_first(lists: list[list[str]]) -> list[str]:
    """Interleave each member's neighbours by rank: every member's nearest first, then the second…"""
    out: dict[str, None] = {}
    for rank in range(max((len(x) for x in lists), default=0)):
        for x in lists:
            if rank < len(x):
                out.setdefault(x[rank])
    return list(out)


def _per_member(panel: _Panel, cohorts: dict[int, list[str]], comp: dict[str, list[str]],
                refs: dict[int, int]) -> pd.DataFrame:
    """Each member against its own comparison territories, both by the indicator's rule (ratio of
    sums): one town driving the group shows here."""
    parts = []
    n = len(panel.units)
    for g, ms in cohorts.items():
        ms = [m for m in ms if comp[m]]
        if not ms:
            continue
        ref = panel.col(refs[g])
        pre, post = panel.periods < g, panel.periods >= g
        own = panel.aggregate(_rows([[panel.pos[m]] for m in ms], n), ref)
        other = panel.aggregate(_rows([[panel.pos[c] for c in comp[m]] for m in ms], n), ref)
        gap = own - other
        parts.append(pd.DataFrame({"member": ms, "start": g, "n_comparison": [len(comp[m]) for m in ms],
                                   "before": own[:, pre].mean(axis=1), "after": own[:, post].mean(axis=1),
                                   "comparison_before": other[:, pre].mean(axis=1),
                                   "comparison_after": other[:, post].mean(axis=1),
                                   "effect": gap[:, post].mean(axis=1) - gap[:, pre].mean(axis=1)}))
    columns = ["member", "start", "n_comparison", "before", "after", "comparison_before", "comparison_after", "effect"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
