"""The evaluation's design on SYNTHETIC panels (named as such): comparison territories of a later programme
used only until their own start, each member's own start on census spans, the effect that would be seen
8 times out of 10, and a verdict that says imbalance and disagreement instead of staying silent."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from indicators import evaluation as ev
from indicators import outcomes, verdict
from indicators.evaluation import Evaluation, Inference, Reading, Refusal

from .test_evaluation import START, YEARS, _group, _no_pool, synthetic_case


def test_a_later_programmes_territory_is_compared_only_until_its_own_start():
    """SYNTHETIC: comparison territory C4 joins a programme in 2019; whatever happens to it from then on
    (here a jump of +50) does not reach the member it serves: its later values are not read."""
    out, design = synthetic_case(effect=2.0, noise=0.3, seed=8)
    jumped = replace(out, num=out.num.copy())
    jumped.num.loc["C4", [y for y in YEARS if y >= 2019]] += 50.0
    later = replace(design, treated_from={"C4": 2019})
    e = ev.evaluate(jumped, later, draws=50, regression=False, synthetic_fits=0)
    m0 = e.members.set_index("member").loc["M0"]  # C4 is one of M0's three comparison territories
    assert "C4" in design.neighbours["M0"]
    # by hand: M0 against its comparisons, C4 left out of the years from 2019
    comp = design.neighbours["M0"]
    rates = jumped.num / jumped.den
    years = pd.Index(YEARS)
    cset = pd.Series({y: rates.loc[[c for c in comp if not (c == "C4" and y >= 2019)], y].mean() for y in YEARS})
    gap = rates.loc["M0"] - cset
    expected = gap[years >= START].mean() - gap[years < START].mean()
    assert m0["effect"] == pytest.approx(expected, abs=1e-9)
    # read as if never treated, the jump would have pulled M0's effect down by about 50 / 3 × 3 / 6 years
    unmasked = ev.evaluate(jumped, design, draws=50, regression=False, synthetic_fits=0)
    assert m0["effect"] - unmasked.members.set_index("member").at["M0", "effect"] > 5


def _spans_case(starts: dict[str, int]) -> tuple[outcomes.Outcome, ev.Design]:
    """SYNTHETIC census spans 2008–2013, 2013–2018, 2013–2019, members M0… with the given starts."""
    rng = np.random.default_rng(3)
    cols = [2013, 2018, 2019]
    codes = [*starts, *[f"C{i}" for i in range(40)]]
    num = pd.DataFrame(rng.normal(0, 3, (len(codes), 3)), index=codes, columns=cols)
    den = pd.DataFrame(1000.0, index=codes, columns=cols)
    out = outcomes.Outcome("net_migration_rate", num, den, 1.0, False, True, "‰ par an", True,
                           {2013: "2008–2013", 2018: "2013–2018", 2019: "2013–2019"}, {2013: 2008, 2018: 2013, 2019: 2013})
    pool = [c for c in codes if c.startswith("C")]
    members = list(starts)
    design = ev.Design(tuple(members), starts, {m: pool[3 * i:3 * i + 3] for i, m in enumerate(members)},
                       {m: pool[10:35] for m in members}, {c: [x for x in pool if x != c][:9] for c in pool}, 3)
    return out, design


def test_each_member_keeps_its_own_start_on_census_spans():
    """SYNTHETIC: a 2015 member is compared 2008–2013 against 2013–2019 (two thirds after its start); a 2019
    member has no census span after its start: it is named, with the first census that would serve, and the
    group is not moved to the earliest start."""
    out, design = _spans_case({"M0": 2015, "M1": 2016, "M2": 2019})
    e = ev.evaluate(out, design, draws=50, regression=False, synthetic_fits=0)
    assert isinstance(e, Evaluation)
    assert set(e.cohorts) == {2015, 2016} and e.plans[2015].post == (2019,) and e.plans[2016].pre == (2013,)
    assert e.members.set_index("member")["start"].to_dict() == {"M0": 2015, "M1": 2016}
    assert e.left_out["M2"].startswith("pas encore évaluable avec les recensements : le premier recensement utile "
                                       "est celui de 2022 (période 2016–2022")
    # a start whose only later span is mostly before it (2018: one sixth after) cannot be evaluated either
    only = ev.evaluate(*_spans_case({"M0": 2018}), draws=50, regression=False, synthetic_fits=0)
    assert isinstance(only, Refusal) and only.reason.startswith("pas encore évaluable avec les recensements")


def test_the_printed_detectable_effect_is_found_four_times_out_of_five_among_placebo_groups():
    """SYNTHETIC: planted on each placebo group in turn, the printed effect is found at p < 0.05 in 80 % of them."""
    rng = np.random.default_rng(1)
    draws = rng.normal(0, 1, 999)
    delta = ev._detectable(draws, np.array([]), studentize=False)
    centre = np.median(draws)
    crit = np.quantile(np.abs(draws - centre), 0.95)
    found = np.mean(np.abs(draws + delta - centre) > crit)
    assert 0.78 <= found <= 0.85
    assert delta == pytest.approx(1.96 + 0.84, abs=0.25)  # the textbook 80 % power at 5 %, for a normal


def _evaluation() -> Evaluation:
    out, design = synthetic_case(effect=0.0, noise=0.5, seed=3)
    return ev.evaluate(out, design, draws=200, regression=False, synthetic_fits=0)


def test_the_verdict_says_the_balance_is_insufficient_and_names_the_variables():
    from indicators.matching import Matching

    balance = pd.DataFrame({"variable": ["log_density", "jobs_ratio", "birth_rate"],
                            "label": ["Densité 2015 (hab./km²)", "Emplois pour 100 habitants (2013)", "Natalité"],
                            "log": [True, False, False], "group": [1.0, 2.0, 3.0], "pool": [1.0, 2.0, 3.0],
                            "comparison": [1.0, 2.0, 3.0], "smd_pool": [1.2, 0.9, 0.1],
                            "smd_matched": [0.55, -0.44, 0.1]})
    matched = Matching(pd.DataFrame(columns=["member", "code", "distance", "rank"]), {}, {}, balance)
    v = verdict.combine(_evaluation(), Refusal("—"), "yearly", _group(ev.Design(("M0",), {}, {}, {}, {})),
                        _no_pool(), matched, "Naissances")
    assert v.status == "imbalanced"
    assert "équilibre insuffisant" in v.headline and "densité 0,55" in v.headline and "emplois pour 100 habitants −0,44" \
        in v.headline.replace("-", "−")
    assert "natalité" not in v.headline


def test_the_verdict_says_the_methods_disagree_when_significance_differs():
    e = _evaluation()
    significant = Inference(200, 0.0, 1.0, 0.001, 0.002)
    disagreeing = replace(e, pooled=Reading("régression", 3.0, significant))
    v = verdict.combine(disagreeing, Refusal("—"), "yearly", _group(ev.Design(("M0",), {}, {}, {}, {})), _no_pool(),
                        label="Naissances")
    assert v.status == "disagree" and v.headline.startswith("Pas de conclusion : les méthodes ne s'accordent pas")
    agreeing = replace(e, pooled=Reading("régression", 0.1, Inference(200, 0.0, 1.0, 0.4, 0.8)))
    assert verdict.combine(agreeing, Refusal("—"), "yearly", _group(ev.Design(("M0",), {}, {}, {}, {})), _no_pool(),
                           label="Naissances").status == "none"


def test_no_effect_is_said_with_the_effect_seen_eight_times_out__of_ten_and_very_large_only_beyond_plausible():
    e = _evaluation()
    v = verdict.combine(e, Refusal("—"), "yearly", _group(ev.Design(("M0",), {}, {}, {}, {})), _no_pool(),
                        label="Indicateur synthétique")
    assert v.status == "none"
    assert v.headline.startswith("On ne voit pas d'effet sur « Indicateur synthétique » : l'étude aurait vu un effet de ±")
    assert "huit fois sur dix" in v.headline
    births_like = replace(e, outcome=replace(e.outcome, indicator="births", index=True), detectable=25.0)
    weak = verdict.combine(births_like, Refusal("—"), "yearly", _group(ev.Design(("M0",), {}, {}, {}, {})),
                           _no_pool(), label="Naissances")
    assert weak.status == "weak" and "ne peut voir que de très grands effets" in weak.headline
    assert "(±10,00 points d'indice (base 100))" in weak.headline  # the catalog's plausible effect: 10 % of births
