"""Programme evaluation: known answers on synthetic panels built here (named as such), then the
real store's pilot sites."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators import compare, evaluation, territories

YEARS = list(range(2008, 2022))
START = 2016


def synthetic_panel(effect: float = 0.0, pre_drift: float = 0.0, noise: float = 0.0, n_members: int = 4,
                    n_others: int = 60, seed: int = 1) -> evaluation.Panel:
    """SYNTHETIC test data: territories sharing a common yearly path, each with its own level; the
    members (M0…) get `effect` from START on and a drift of `pre_drift` per year before it."""
    rng = np.random.default_rng(seed)
    common = np.linspace(10, 14, len(YEARS))
    rows = {}
    for i in range(n_members + n_others):
        member = i < n_members
        series = common + rng.normal(0, 2) + rng.normal(0, noise, len(YEARS))
        if member:
            years = np.array(YEARS)
            series = series + np.where(years >= START, effect, 0.0) + np.where(years < START, pre_drift * (years - START), 0.0)
        rows[f"M{i}" if member else f"C{i}"] = series
    values = pd.DataFrame(rows, index=YEARS).T
    return evaluation.Panel(values, values * 0 + 1.0, pd.Series("COM", index=values.index), "ratio")


def members_and_comparison(panel: evaluation.Panel, n: int = 20) -> tuple[list[str], list[str]]:
    codes = panel.values.index.tolist()
    return [c for c in codes if c.startswith("M")], [c for c in codes if c.startswith("C")][:n]


def test_a_planted_effect_of_five_is_recovered_by_did_event_study_and_synthetic_weights():
    panel = synthetic_panel(effect=5.0)
    members, comparison = members_and_comparison(panel)
    ev = evaluation.evaluate(panel, members, comparison, START, weighted=False, draws=200)
    assert ev.effect == pytest.approx(5.0, abs=1e-9)
    assert ev.event[ev.event.index >= START].to_numpy() == pytest.approx(5.0, abs=1e-9)
    assert ev.event[ev.event.index < START].to_numpy() == pytest.approx(0.0, abs=1e-9)
    assert ev.reference_year == START - 1 and ev.trend.parallel
    assert ev.synthetic.effect == pytest.approx(5.0, abs=0.2)
    assert ev.placebo_share == 0.0  # no random group of the same size shows +5
    assert ev.time_placebo == pytest.approx(0.0, abs=1e-9)


def test_with_no_effect_the_placebo_share_is_large():
    shares = []
    for seed in range(1, 9):  # eight synthetic programmes without effect: chance alone
        panel = synthetic_panel(effect=0.0, noise=0.5, seed=seed)
        members, comparison = members_and_comparison(panel)
        ev = evaluation.evaluate(panel, members, comparison, START, weighted=False, draws=500)
        assert ev.placebo.size == 500 and abs(ev.effect) < 1
        shares.append(ev.placebo_share)
    assert np.mean(shares) > 0.3 and sum(s < 0.05 for s in shares) <= 2


def test_diverging_paths_before_the_start_are_flagged():
    panel = synthetic_panel(effect=0.0, pre_drift=0.8, noise=0.1)
    members, comparison = members_and_comparison(panel)
    ev = evaluation.evaluate(panel, members, comparison, START, weighted=False, draws=50)
    assert not ev.trend.parallel and ev.trend.slope == pytest.approx(0.8, abs=0.1)
    assert evaluation.pre_trend(pd.Series([1.0, 1.0, 1.0], index=[2010, 2011, 2012])).parallel


def test_synthetic_weights_recover_a_known_convex_combination():
    years = list(range(2008, 2020))
    rng = np.random.default_rng(3)
    candidates = pd.DataFrame(rng.normal(10, 3, (5, len(years))), index=list("ABCDE"), columns=years)
    group = 0.3 * candidates.loc["B"] + 0.7 * candidates.loc["D"]
    synth = evaluation.synthetic(group, candidates, 2016)
    assert synth.weights["B"] == pytest.approx(0.3, abs=1e-3) and synth.weights["D"] == pytest.approx(0.7, abs=1e-3)
    assert synth.weights.sum() == pytest.approx(1.0) and (synth.weights >= 0).all()
    assert synth.pre_rmse < 1e-3 and synth.effect == pytest.approx(0.0, abs=1e-3)


def test_weighted_groups_are_ratios_of_sums_and_unweighted_count_each_site_once():
    values = np.array([[10.0, 10.0], [20.0, 20.0]])   # two territories' rates, two years
    weights = np.array([[100.0, 100.0], [300.0, 300.0]])  # their denominators
    assert evaluation.aggregate(values, weights, "ratio", True).tolist() == [17.5, 17.5]  # (1000+6000)/400
    assert evaluation.aggregate(values, weights, "ratio", False).tolist() == [15.0, 15.0]
    assert evaluation.aggregate(values, weights, "count", True).tolist() == [30.0, 30.0]


def test_census_spans_say_which_share_lies_after_the_start():
    frame = pd.DataFrame({"period_start": [2008, 2013, 2013, 2016], "year": [2013, 2018, 2019, 2016],
                          "value": [1.0, 2.0, 3.0, 9.0]})
    table = evaluation.span_table(frame, frame.assign(value=frame["value"] / 2), 2016)
    assert table[["period_start", "year"]].values.tolist() == [[2008, 2013], [2013, 2018], [2013, 2019]]
    assert table["share_after"].tolist() == pytest.approx([0.0, 0.4, 0.5])
    assert table["gap"].tolist() == [0.5, 1.0, 1.5]


def test_per_member_detail_shows_the_member_that_drives_the_mean():
    panel = synthetic_panel(effect=0.0, n_members=3)
    panel.values.loc["M0", [y for y in YEARS if y >= START]] += 12.0  # one town alone moves the group
    members, comparison = members_and_comparison(panel)
    neighbours = pd.DataFrame({"member": [m for m in members for _ in range(3)],
                               "code": [c for i in range(3) for c in comparison[3 * i:3 * i + 3]]})
    ev = evaluation.evaluate(panel, members, comparison, START, weighted=False, draws=20, neighbours=neighbours)
    detail = ev.members.set_index("member")["effect"]
    assert detail["M0"] == pytest.approx(12.0, abs=1.5) and abs(detail["M1"]) < 1.5 and abs(detail["M2"]) < 1.5


def test_pilot_sites_placebo_draws_only_territories_of_the_members_levels_never_a_member(con):
    members = territories.group_members(con, territories.PILOT_GROUP)
    codes = members["code"].tolist()
    panel = evaluation.load_panel(con, "population", sorted(set(members["level"])), include=codes)
    comparison = compare.comparison_group(con, codes, 3)["code"].drop_duplicates().tolist()
    ev = evaluation.evaluate(panel, codes, comparison, 2016, index=True, draws=100)
    assert set(ev.pool_size) == {"COM", "EPCI"}  # the members' levels, nothing else
    # The pools are the members' levels minus the members themselves.
    n_com = int(((panel.levels == "COM") & panel.values[list(ev.years)].notna().all(axis=1)).sum())
    assert ev.pool_size["COM"] == n_com - int((members["level"] == "COM").sum())
    assert ev.placebo.size == 100 and 0.0 <= ev.placebo_share <= 1.0
    assert ev.event[ev.reference_year] == 0.0 and ev.index_base == 2015


def test_an_index_of_zero_falls_back_to_values_and_candidates_without_index_are_left_out():
    panel = synthetic_panel(effect=2.0)
    panel.values.loc[["M0", "M1", "M2", "M3"], START - 1] = 0.0  # SYNTHETIC: a group with nothing that year
    panel.values.loc["C10", START - 1] = 0.0
    members, comparison = members_and_comparison(panel)
    ev = evaluation.evaluate(panel, members, comparison, START, weighted=True, index=True, draws=20)
    assert ev.index_base is None and np.isfinite(ev.effect)
    synth = evaluation.synthetic(pd.Series([1.0, 2.0, 3.0], index=[2014, 2015, 2016]),
                                 pd.DataFrame([[1.0, np.inf, 3.0], [1.0, 2.0, 3.0]], index=["A", "B"],
                                              columns=[2014, 2015, 2016]), 2016)
    assert synth.weights.index.tolist() == ["B"]
