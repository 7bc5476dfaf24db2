"""Known answers on small synthetic frames (named as such), then checks on the real store."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from indicators import compare, store, territories, transforms


def synthetic_series(values: dict[str, dict[int, float]]) -> pd.DataFrame:
    rows = [{"territory": t, "period_start": y, "year": y, "value": v}
            for t, ys in values.items() for y, v in ys.items()]
    return pd.DataFrame(rows)


def test_index_base_100():
    s = synthetic_series({"A": {2010: 50, 2011: 55, 2012: 60}, "B": {2011: 10, 2012: 20}})
    out = transforms.index_base(s, 2010).set_index(["territory", "year"])["value"]
    assert out.to_dict() == pytest.approx({("A", 2010): 100.0, ("A", 2011): 110.0, ("A", 2012): 120.0})


def test_moving_average_needs_a_full_window_and_skips_spans():
    s = synthetic_series({"A": {2010: 1, 2011: 2, 2012: 6, 2013: 4}})
    s = pd.concat([s, pd.DataFrame([{"territory": "A", "period_start": 2013, "year": 2018, "value": 9}])])
    out = transforms.moving_average(s, 3).set_index("year")["value"]
    assert out.to_dict() == {2012: 3.0, 2013: 4.0}


def test_moving_average_does_not_bridge_a_missing_year():
    s = synthetic_series({"A": {2010: 1, 2011: 2, 2013: 6, 2014: 4, 2015: 5}})
    assert transforms.moving_average(s, 3).set_index("year")["value"].to_dict() == {2015: 5.0}


def test_per_thousand_uses_population_of_the_period_start():
    s = pd.DataFrame([{"territory": "A", "period_start": 2013, "year": 2018, "value": 30.0},
                      {"territory": "A", "period_start": 2020, "year": 2020, "value": 5.0}])
    pop = synthetic_series({"A": {2013: 2000, 2020: 1000}})
    assert transforms.per_thousand(s, pop)["value"].tolist() == [15.0, 5.0]


def test_growth_and_compound_annual_rate():
    g = transforms.growth(synthetic_series({"A": {2010: 100, 2012: 121}})).iloc[0]
    assert g["change_pct"] == pytest.approx(21.0)
    assert g["cagr_pct"] == pytest.approx(10.0)


def test_nearest_neighbours_on_a_hand_made_matrix():
    m = pd.DataFrame({"x": [0.0, 1.0, 2.0, 10.0], "y": [0.0, 0.0, 0.0, 0.0]}, index=["A", "B", "C", "D"])
    # y is constant: its z-score is NaN, so give it no weight. x z-scores: mean 3.25, std 3.9131.
    near = compare.nearest(m, "A", {"x": 1.0}, k=2)
    assert near["code"].tolist() == ["B", "C"]
    assert near["distance"].iloc[0] == pytest.approx(1 / np.std([0, 1, 2, 10]))
    assert compare.nearest(m, "A", {"x": 1.0}, k=2, exclude=frozenset({"B"}))["code"].tolist() == ["C", "D"]


def test_weights_change_the_neighbours():
    m = pd.DataFrame({"x": [0.0, 0.0, 3.0], "y": [0.0, 3.0, 0.0]}, index=["A", "B", "C"])
    assert compare.nearest(m, "A", {"x": 1.0, "y": 0.0}, k=1)["code"].tolist() == ["B"]
    assert compare.nearest(m, "A", {"x": 0.0, "y": 1.0}, k=1)["code"].tolist() == ["C"]


def test_difference_in_differences_by_hand():
    from indicators import evaluation, outcomes

    years = [2014, 2015, 2016, 2017]
    num = pd.DataFrame([[10.0, 12.0, 20.0, 22.0], [10.0, 10.0, 13.0, 13.0]], index=["G", "C"], columns=years)
    out = outcomes.Outcome("x", num, num * 0 + 1, 1.0, False, True, "", False, {}, {y: y for y in years})
    panel = evaluation._Panel(out, ["G", "C"], years)
    plan = evaluation.Plan(2016, (2014, 2015), (2016, 2017))
    units = evaluation._units(panel, [0], [[1]], plan, [-2, -1, 0, 1])
    # group: 21 − 11 = 10 ; comparison: 13 − 10 = 3 ; DiD = 7
    assert units.effect.tolist() == [7.0] and units.raw.tolist() == [7.0]
    assert units.events[0].tolist() == [-2.0, 0.0, 5.0, 7.0]


def test_composite_score_signs_by_polarity():
    m = pd.DataFrame({"good": [1.0, 2.0, 3.0], "bad": [3.0, 2.0, 1.0]}, index=["A", "B", "C"])
    out = compare.composite(m, {"good": 1.0, "bad": 1.0}, {"good": 1, "bad": -1})
    assert out["score"].idxmax() == "C" and out["score"].idxmin() == "A"
    assert out.loc["B", "score"] == pytest.approx(0.0)


# ------------------------------------------------------------------ on the real store
def test_similar_communes_of_pamiers_are_towns_of_similar_size(con):
    w = compare.SIMILARITY_VARIABLES["COM"]
    m = compare.feature_matrix(con, "COM", list(w))
    near = compare.nearest(m, "COM:09225", w, k=5)
    pops = m.loc[near["code"], "population"]
    assert len(near) == 5 and near["distance"].is_monotonic_increasing
    assert pops.between(5_000, 60_000).all()


def test_user_group_create_rename_edit_delete(db_copy):
    gid = territories.save_group("Bastides du Rouergue", ["COM:12300", "COM:12202"], 2019, path=db_copy)
    con = store.connect_readonly(db_copy)
    assert territories.group_members(con, gid)["code"].tolist() == ["COM:12202", "COM:12300"]
    territories.save_group("Bastides", ["COM:12300"], 2020, group_id=gid, path=db_copy)
    con = store.connect_readonly(db_copy)
    g = territories.groups(con).set_index("id").loc[gid]
    assert (g["name"], g["start_year"], g["members"]) == ("Bastides", 2020, 1)
    territories.delete_group(gid, path=db_copy)
    assert gid not in territories.groups(store.connect_readonly(db_copy))["id"].tolist()


def test_group_edits_refuse_bad_input_and_keep_the_file(db_copy):
    before = db_copy.read_bytes()
    with pytest.raises(territories.GroupProblem, match="inconnus : COM:00000"):
        territories.save_group("X", ["COM:00000"], 2020, path=db_copy)
    with pytest.raises(territories.GroupProblem, match="ne peuvent pas être supprimés"):
        territories.delete_group("acv", path=db_copy)
    assert db_copy.read_bytes() == before


def test_editing_the_pilot_start_year_keeps_member_notes(db_copy):
    con = store.connect_readonly(db_copy)
    members = territories.group_members(con, "cci-midi-pyrenees")
    g = territories.groups(con).set_index("id").loc["cci-midi-pyrenees"]
    territories.save_group(g["name"], members["code"].tolist(), 2017, g["description"],
                           group_id="cci-midi-pyrenees", path=db_copy)
    saved = store.connect_readonly(db_copy)
    after = territories.group_members(saved, "cci-midi-pyrenees")
    assert territories.groups(saved).set_index("id").at["cci-midi-pyrenees", "start_year"] == 2017  # saved
    assert after.set_index("code")["note"].to_dict() == members.set_index("code")["note"].to_dict()


def test_ranks_match_a_direct_count_and_dissolved_epci_do_not_shift_others(con):
    pool = con.execute("""SELECT o.territory, o.value FROM observation o JOIN territory t ON t.code = o.territory
                          WHERE t.level = 'EPCI' AND t.valid_until IS NULL AND o.indicator = 'vacancy_rate'
                            AND o.year = 2018 AND o.period_start = 2018""").df().set_index("territory")["value"]
    codes = ["EPCI:241200187", "EPCI:241200633"]  # Rodez agglomeration and the dissolved Villefranchois
    r = compare.ranks(con, "vacancy_rate", 2018, 2018, codes, polarity=-1).set_index("code")
    rodez = pool["EPCI:241200187"]
    assert r.loc["EPCI:241200187", "rank_fr"] == 1 + (pool < rodez).sum()  # less vacancy is better
    assert r.loc["EPCI:241200187", "n_fr"] == r.loc["EPCI:241200633", "n_fr"] == len(pool)
    villefranchois = r.loc["EPCI:241200633", "value"]
    assert r.loc["EPCI:241200633", "rank_fr"] == 1 + (pool < villefranchois).sum()
    assert r.loc["EPCI:241200187", "percentile"] == pytest.approx(100 * (pool > rodez).sum() / (len(pool) - 1))
    alone = compare.ranks(con, "vacancy_rate", 2018, 2018, ["EPCI:241200187"], polarity=-1).iloc[0]
    assert alone["rank_fr"] == r.loc["EPCI:241200187", "rank_fr"]
