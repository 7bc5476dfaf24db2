"""Programme evaluation: known answers on SYNTHETIC panels built here (named as such): planted effects
recovered by every method, a staggered design with known cohort effects, the library's regression
equal to our difference in differences, p-values that are honest when there is no effect."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators import evaluation as ev
from indicators import outcomes, verdict
from indicators.evaluation import Design, Evaluation, Refusal

YEARS = list(range(2008, 2022))
START = 2016


def synthetic_case(effect: float | dict[int, float] = 0.0, pre_drift: float = 0.0, noise: float = 0.0,
                   starts: dict[int, int] | None = None, n_others: int = 80, k: int = 3, seed: int = 1,
                   weights: bool = False, index: bool = False, indicator: str = "synthetique",
                   years: list[int] = YEARS) -> tuple[outcomes.Outcome, Design]:
    """SYNTHETIC test data: territories sharing a common path, each with its own level and noise; the
    members M0… get `effect` (or, per start year, `effect[start]`) from their start on, and drift by
    `pre_drift` a year before it. `starts` maps member number → start year (default: 4 members, START).
    Each member is matched with k pool territories, may be replaced in a placebo by 20 of them."""
    rng = np.random.default_rng(seed)
    starts = starts or dict.fromkeys(range(4), START)
    yrs = np.array(years)
    common = np.linspace(10, 14, len(yrs))
    num, den = {}, {}
    for i in range(len(starts) + n_others):
        member = i < len(starts)
        code = f"M{i}" if member else f"C{i}"
        series = common + rng.normal(0, 2) + rng.normal(0, noise, len(yrs))
        if member:
            g = starts[i]
            size = effect[g] if isinstance(effect, dict) else effect
            series = series + np.where(yrs >= g, size, 0.0) + np.where(yrs < g, pre_drift * (yrs - g), 0.0)
        d = rng.uniform(50, 500, len(yrs)).round() if weights else np.ones(len(yrs))
        num[code], den[code] = series * d, d
    num_df = pd.DataFrame(num, index=years).T
    den_df = pd.DataFrame(den, index=years).T
    out = outcomes.Outcome(indicator, num_df, den_df, 1.0, index, weights, "points", False,
                           {y: str(y) for y in years}, {y: y for y in years}, label="Valeur synthétique")
    members = [f"M{i}" for i in range(len(starts))]
    pool = [c for c in num_df.index if c.startswith("C")]
    neighbours = {m: pool[k * j:k * j + k] for j, m in enumerate(members)}
    similar = {m: list(rng.choice(pool, 20, replace=False)) for m in members}
    cand_nb = {c: [pool[(j + s) % len(pool)] for s in range(1, k + 7)] for j, c in enumerate(pool)}
    design = Design(tuple(members), {f"M{i}": g for i, g in starts.items()}, neighbours, similar, cand_nb, k)
    return out, design


def test_a_planted_effect_of_five_is_recovered_by_every_method():
    out, design = synthetic_case(effect=5.0)
    e = ev.evaluate(out, design, draws=200)
    assert isinstance(e, Evaluation)
    assert e.effect == pytest.approx(5.0, abs=1e-9)
    assert e.event[e.event.index >= 0].to_numpy() == pytest.approx(5.0, abs=1e-9)
    assert e.event[e.event.index < 0].to_numpy() == pytest.approx(0.0, abs=1e-9)
    assert e.time_placebo == pytest.approx(0.0, abs=1e-9)
    assert e.synthetic.effect == pytest.approx(5.0, abs=0.05)
    assert e.regression.did == pytest.approx(5.0, abs=1e-6)
    assert e.regression.table.loc[2:, "estimate"].to_numpy() == pytest.approx(5.0, abs=1e-6)
    assert e.inference.p_two <= 1 / 199  # no placebo group comes near +5 (a few noiseless ones cannot be studentized)
    assert e.inference.p_one <= 1 / 199
    assert e.members["effect"].tolist() == pytest.approx([5.0] * 4, abs=1e-9)


def test_a_staggered_design_recovers_each_cohorts_effect_and_their_weighted_mean():
    starts = {**dict.fromkeys(range(6), 2014), **dict.fromkeys(range(6, 10), 2018)}
    out, design = synthetic_case(effect={2014: 3.0, 2018: 8.0}, starts=starts)
    e = ev.evaluate(out, design, draws=100)
    assert set(e.cohorts) == {2014, 2018} and e.staggered
    assert e.effect == pytest.approx((6 * 3.0 + 4 * 8.0) / 10, abs=1e-9)  # each site once: cohorts by size
    detail = e.members.groupby("start")["effect"].mean()
    assert detail[2014] == pytest.approx(3.0, abs=1e-9) and detail[2018] == pytest.approx(8.0, abs=1e-9)
    # Sun & Abraham through pyfixest: one year after the start, both cohorts weighted by their share
    assert e.regression.table.at[1, "estimate"] == pytest.approx(e.effect, abs=1e-6)
    assert e.regression.table.at[-3, "estimate"] == pytest.approx(0.0, abs=1e-6)
    # the event study reaches e = 6 only through the 2014 cohort (60 % of the group): still shown
    assert e.event[6] == pytest.approx(3.0, abs=1e-9)
    assert 7 not in e.event.index or e.event[7] == pytest.approx(3.0, abs=1e-9)


def test_the_regression_line_is_the_cohort_aggregate_on_a_staggered_dynamic_effect():
    """SYNTHETIC: an effect that grows each year after the start, two cohorts. A pooled two-way regression
    mixes early-treated territories into the late cohort's comparison and misses the truth; the printed
    regression is the interaction-weighted aggregate of its own cohort × event-time coefficients, which
    equals the truth computed cohort by cohort."""
    starts = {**dict.fromkeys(range(5), 2013), **dict.fromkeys(range(5, 10), 2017)}
    out, design = synthetic_case(starts=starts, n_others=60, seed=4)
    years = np.array(YEARS)
    truth = {}
    for i, g in starts.items():
        ramp = np.where(years >= g, 2.0 * (years - g + 1), 0.0)
        out.num.loc[f"M{i}"] += ramp
        pre, post = years < g, years >= g
        truth[i] = ramp[post].mean() - ramp[pre].mean()
    e = ev.evaluate(out, design, draws=20, synthetic_fits=0)
    expected = np.mean(list(truth.values()))
    assert e.regression.did == pytest.approx(expected, abs=1e-6)
    assert e.effect == pytest.approx(expected, abs=1e-6)


def test_the_pooled_reading_equals_pyfixest_on_a_balanced_fixture():
    """The « régression » reading (members against every comparison territory pooled) is exactly the
    two-way fixed-effects estimate on a balanced panel, weighted or not: the numbers the page ranks among
    placebo groups are the library's."""
    import pyfixest as pf

    for weighted in (False, True):
        out, design = synthetic_case(effect=1.7, noise=0.8, weights=weighted, seed=5)
        if weighted:  # the fixture's denominators vary by year: give the library the same constant ones
            flat = out.den.mean(axis=1)
            out = outcomes.Outcome(out.indicator, out.num.div(out.den).mul(flat, axis=0),
                                   out.den.mul(0).add(flat, axis=0), 1.0, False, True, "points", False,
                                   out.labels, out.starts)
        e = ev.evaluate(out, design, draws=20)
        units = [*design.members, *dict.fromkeys(c for m in design.members for c in design.neighbours[m])]
        rates = (out.num / out.den).loc[units]
        long = rates.stack().rename("y").reset_index().set_axis(["unit", "year", "y"], axis=1)
        long["treat"] = (long["unit"].str.startswith("M") & (long["year"] >= START)).astype(float)
        long["w"] = out.den.loc[long["unit"]].mean(axis=1).to_numpy() if weighted else 1.0
        fit = pf.feols("y ~ treat | unit + year", data=long, weights="w")
        assert float(fit.coef().iloc[0]) == pytest.approx(e.pooled.effect, abs=1e-8)
        assert e.regression.did == pytest.approx(e.pooled.effect, abs=1e-8)


def test_the_group_effect_is_the_weighted_mean_of_each_member_against_its_own_comparison():
    """SYNTHETIC: computed by hand, member by member (ratio of sums of its three comparison territories),
    then weighted by each member's denominator in the reference year."""
    out, design = synthetic_case(effect=1.2, noise=0.9, weights=True, seed=11)
    e = ev.evaluate(out, design, draws=20, regression=False, synthetic_fits=0)
    pre, post = [y for y in YEARS if y < START], [y for y in YEARS if y >= START]
    effects, weights = [], []
    for m in design.members:
        comp = design.neighbours[m]
        gap = out.num.loc[m] / out.den.loc[m] - out.num.loc[comp].sum() / out.den.loc[comp].sum()
        effects.append(gap[post].mean() - gap[pre].mean())
        weights.append(out.den.at[m, START - 1])
    assert e.members["effect"].tolist() == pytest.approx(effects, abs=1e-9)
    assert e.effect == pytest.approx(np.average(effects, weights=weights), abs=1e-9)
    # the chart's two lines differ by exactly what the effect is computed from
    gap = e.group - e.comparison
    assert gap[post].mean() - gap[pre].mean() == pytest.approx(e.effect, abs=1e-9)


def test_without_an_effect_the_p_value_is_honest():
    """SYNTHETIC: 120 programmes without any effect; p < 0.10 about one time in ten."""
    ps = []
    for seed in range(120):
        out, design = synthetic_case(effect=0.0, noise=0.6, seed=seed, n_others=60)
        e = ev.evaluate(out, design, draws=99, regression=False, synthetic_fits=0)
        ps.append(e.inference.p_two)
    share = np.mean(np.array(ps) < 0.10)
    assert 0.10 - 3 * np.sqrt(0.09 / 120) <= share <= 0.10 + 3 * np.sqrt(0.09 / 120)


def test_diverging_paths_before_the_start_are_flagged_and_not_attributed():
    out, design = synthetic_case(effect=0.0, pre_drift=0.8, noise=0.1)
    e = ev.evaluate(out, design, draws=200, regression=False)
    assert e.pretrend.diverging and e.pretrend.p_value < 0.01
    v = verdict.combine(e, Refusal("—"), "yearly", _group(design), _no_pool())
    assert v.status == "diverging" and "pas d'attribution" in v.headline


def test_no_effect_says_what_effect_could_have_been_seen():
    out, design = synthetic_case(effect=0.0, noise=0.5, seed=3)
    e = ev.evaluate(out, design, draws=200)
    assert e.pretrend.tested and not e.pretrend.diverging
    assert e.inference.band > 0 and e.pretrend.detectable_slope > 0
    v = verdict.combine(e, Refusal("—"), "yearly", _group(design), _no_pool())
    assert v.status == "none"
    assert any(line.startswith("Un effet de moins de ±") for line in v.cannot)
    assert not any("parallèle" in line or "proche" in line for line in v.can)


def test_one_member_driving_the_group_shows_in_the_detail_by_member():
    out, design = synthetic_case(effect=0.0, starts=dict.fromkeys(range(3), START))
    out.num.loc["M0", [y for y in YEARS if y >= START]] += 12.0
    e = ev.evaluate(out, design, draws=20)
    detail = e.members.set_index("member")["effect"]
    assert detail["M0"] == pytest.approx(12.0, abs=1e-9) and detail[["M1", "M2"]].abs().max() < 1e-9


def test_groups_are_ratios_of_sums_and_each_site_once_is_a_mean_of_own_rates():
    num = pd.DataFrame({2015: [1000.0, 6000.0], 2016: [1000.0, 6000.0]}, index=["A", "B"])
    den = pd.DataFrame({2015: [100.0, 300.0], 2016: [100.0, 300.0]}, index=["A", "B"])
    for weighted, expected in ((True, 17.5), (False, 15.0)):  # (1000 + 6000) / 400, or (10 + 20) / 2
        out = outcomes.Outcome("x", num, den, 1.0, False, weighted, "", False, {}, {2015: 2015, 2016: 2016})
        panel = ev._Panel(out, ["A", "B"], [2015, 2016])
        assert panel.aggregate(ev._rows([[0, 1]], 2), None)[0].tolist() == [expected, expected]


def test_members_without_the_indicator_refuse_it_with_the_reason():
    out, design = synthetic_case(effect=0.0, indicator="co2_ets")
    out.num.loc[["M0", "M1", "M2"]] = 0.0  # SYNTHETIC: three of four members have no installation
    result = ev.evaluate(out, design, draws=20)
    assert isinstance(result, Refusal) and "3 des 4 membres n'ont aucune installation" in result.reason
    out.num.loc[["M1", "M2"]] = 5.0
    e = ev.evaluate(out, design, draws=20)
    assert isinstance(e, Evaluation) and e.left_out == {"M0": "aucune installation soumise aux quotas"}


def test_a_member_without_a_complete_series_is_left_out_and_named():
    out, design = synthetic_case(effect=1.0, starts=dict.fromkeys(range(12), START))
    out.num.loc["M3", 2010] = np.nan
    e = ev.evaluate(out, design, draws=20)
    assert e.left_out == {"M3": "série incomplète (2008 à 2021)"}
    assert "M3" not in {m for ms in e.cohorts.values() for m in ms}


def test_a_member_that_starts_after_the_data_is_not_evaluated_and_says_so():
    out, design = synthetic_case(effect=1.0, starts={0: START, 1: START, 2: START, 3: 2024})
    e = ev.evaluate(out, design, draws=20)
    assert e.left_out["M3"] == "début en 2024, après la dernière période disponible (2021)"


def test_census_spans_keep_the_span_before_and_the_one_most_after():
    years = [2013, 2018, 2019]
    out = outcomes.Outcome("x", pd.DataFrame(1.0, index=["A"], columns=years), pd.DataFrame(1.0, index=["A"], columns=years),
                           1.0, False, True, "", True, {2013: "2008–2013", 2018: "2013–2018", 2019: "2013–2019"},
                           {2013: 2008, 2018: 2013, 2019: 2013})
    assert ev._span_pair(out, years, 2016) == [2013, 2019]
    assert ev.share_after(out, 2019, 2016) == pytest.approx(0.5)
    assert ev.share_after(out, 2018, 2016) == pytest.approx(0.4)
    assert ev._span_pair(out, years, 2020) is None  # nothing after a 2020 start


def test_the_same_inputs_give_the_same_numbers():
    out, design = synthetic_case(effect=0.3, noise=0.7, seed=9)
    a, b = ev.evaluate(out, design, draws=150), ev.evaluate(out, design, draws=150)
    assert a.inference.p_two == b.inference.p_two and (a.placebo == b.placebo).all()


def _group(design: Design):
    from indicators.assessment import Group

    return Group("test", "Groupe synthétique", design.members, START)


def _no_pool():
    from indicators.pool import Pool

    return Pool(pd.DataFrame(columns=["code", "level", "stratum", "label"]),
                pd.DataFrame(columns=["code", "label", "level", "reason"]),
                pd.DataFrame({"stratum": ["COM@X"], "level": ["COM"], "scope": ["REG"], "unit": ["X"], "members": [4],
                              "widened": [False], "candidates": [80], "unit_label": ["X"]}), {}, "REG", {})
