"""The evaluation on the real base: clean comparison pools, each member's start, p-values that chance
alone keeps at their level, and the pack's « Évaluation » saying what a reviewer needs."""
from __future__ import annotations

import numpy as np
import pytest

from indicators import assessment, evaluation, matching, outcomes, pool, store, territories
from indicators.assessment import Options
from indicators.evaluation import Evaluation

FAST = Options(draws=200, regression=False, synthetic_fits=0)


def _communes_of(con, code: str) -> set[str]:
    return {r[0] for r in con.execute(
        """SELECT code FROM territory WHERE code = ? AND level = 'COM'
           UNION SELECT child FROM composition WHERE parent = ? AND child_level = 'COM'""", [code, code]).fetchall()}


def test_no_cci_comparison_territory_shares_a_commune_with_a_member(con):
    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    a = assessment.assess(con, group, "population", FAST)
    treated = set().union(*(_communes_of(con, m) for m in group.members))
    compared = set(a.matching["yearly"].neighbours["code"]) | set(a.matching["spans"].neighbours["code"])
    assert compared and all(not (_communes_of(con, c) & treated) for c in compared)
    gaillac = a.pool.excluded.set_index("code").loc["EPCI:200066124"]
    assert gaillac["label"] == "CA Gaillac-Graulhet"
    assert gaillac["reason"] == "partage des communes avec CC Tarn et Dadou (périmètre 2016)"
    # every member is in Occitanie's pool, compared with territories of its own level only
    assert set(a.pool.strata["stratum"]) == {"COM@REG:76", "EPCI@REG:76"}
    nb = a.matching["yearly"].neighbours
    assert (nb["code"].str.split(":").str[0] == nb["member"].str.split(":").str[0]).all()
    assert (nb.groupby("member").size() == 3).all() and not set(nb["code"]) & set(group.members)


def test_the_pilot_sites_start_is_stated_as_an_assumption(con):
    from indicators import evaluation_pack

    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    a = assessment.assess(con, group, "population", FAST)
    assert evaluation_pack.start_line(a) == ("Début retenu : 2016, année supposée : non publiée par la CCI (lancement "
                                             "sous la nouvelle région Occitanie).")
    assert a.main == "spans"  # legal populations pool five surveys: the census spans answer
    assert isinstance(a.yearly, Evaluation) and "indicatif" in a.yearly.outcome.note
    assert any("8 des 8 membres sont aussi dans un autre programme" in line for line in a.verdict.cannot)


def test_no_programme_member_enters_another_programmes_pool_by_default(con):
    members = {g: set(territories.group_members(con, g)["code"]) for g in ("acv", "pvd", territories.PILOT_GROUP)}
    for gid in ("acv", "pvd"):
        p = pool.comparison_pool(con, sorted(members[gid]), gid)
        others = set().union(*(m for g, m in members.items() if g != gid))
        assert not (set(p.candidates["code"]) & others)
        reasons = p.excluded.set_index("code")["reason"]
        some = sorted(others & set(reasons.index))[:20]
        assert some and all("programme" in reasons[c] for c in some)
    # taken back by hand, a programme town is in the pool again
    pamiers = "COM:09225"
    p = pool.comparison_pool(con, ["COM:09122"], None, added=(pamiers,))
    assert pamiers in set(p.candidates["code"])


def test_members_carry_their_convention_year(con):
    acv = territories.group_members(con, "acv").set_index("code")
    assert acv.at["COM:09225", "start_year"] == 2018 and acv.at["COM:09225", "start_note"] == "convention signée le 28/09/2018"
    assert acv.at["COM:12202", "start_note"] == "convention signée le 13/10/2018"
    assert acv["start_year"].value_counts().to_dict() == {2018: 229, 2019: 6, 2024: 2}
    assert acv["start_year"].isna().sum() == 7
    pvd = territories.group_members(con, "pvd")
    assert len(pvd) == 1645


def test_the_pvd_p_value_does_not_move_when_paris_leaves_the_pool(con):
    """Paris drew 51 of the old placebo groups and made PVD's « rare » gap: a stand-in is now one of
    the 25 territories most like the member it replaces, so Paris is never drawn, and taking it out of
    the pool leaves the answer where it was (the few matches that move are ties in Île-de-France)."""
    group = assessment.group_in_base(con, "pvd")
    base = assessment.assess(con, group, "population", FAST)
    without = assessment.assess(con, group, "population", Options(draws=200, regression=False, synthetic_fits=0,
                                                                   removed=("COM:75056",)))
    m = base.matching["yearly"]
    touched = set(m.neighbours["code"]) | {c for v in m.similar.values() for c in v} | set(m.candidate_neighbours)
    assert "COM:75056" not in touched
    assert isinstance(base.yearly, Evaluation)
    assert abs(base.yearly.inference.p_two - without.yearly.inference.p_two) <= 0.05
    assert base.yearly.effect == pytest.approx(without.yearly.effect, abs=0.01)
    assert (base.yearly.inference.p_two < 0.05) == (without.yearly.inference.p_two < 0.05)


def test_indicators_the_group_lacks_are_refused_with_the_reason(con):
    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    co2 = assessment.assess(con, group, "co2_ets_per_inhabitant", FAST)
    assert co2.verdict.status == "refused"
    assert "6 des 8 membres n'ont aucune installation soumise aux quotas" in co2.verdict.headline
    firms = assessment.assess(con, group, "business_creations", FAST)
    assert firms.verdict.headline == ("Pas d'évaluation possible : pas de série annuelle aux niveaux des membres "
                                      "(série annuelle publiée pour : département, région, France).")


@pytest.mark.parametrize("indicator, spans", [("population", False), ("births", False), ("net_migration_rate", True)])
def test_calibration_fake_programmes_on_real_towns_reject_one_time_in_ten(con, indicator, spans):
    """Fake treated groups of eight towns (2 000 inhabitants or more in 2015, before the fake start)
    drawn among never-treated communes of Occitanie, so without any true effect: p < 0.10 in 10 % of
    them, within Monte-Carlo error. The p-value means what it says."""
    anchor = "COM:09225"
    p = pool.comparison_pool(con, [anchor], territories.PILOT_GROUP)
    universe = sorted(set(p.candidates["code"]))
    feats_all = matching.features(con, universe, 2015)
    towns = feats_all.index[feats_all["log_population"] >= np.log10(2000)].tolist()  # size before the start
    outcome, _ = (outcomes.census_spans(con, indicator, universe) if spans
                  else outcomes.yearly(con, indicator, universe, index=True))
    feats = feats_all.join(assessment._outcome_features(outcome, 2015, 2016))
    feats.attrs["labels"] = feats_all.attrs["labels"]
    rng = np.random.default_rng(7)
    ps, n = [], 200
    for _ in range(n):
        fake = list(rng.choice(towns, 8, replace=False))
        sub = pool.Pool(p.candidates[~p.candidates["code"].isin(fake)], p.excluded, p.strata,
                        dict.fromkeys(fake, p.member_stratum[anchor]), "REG", {})
        m = matching.match(feats, sub, fake, 3)
        design = assessment.design_of(fake, dict.fromkeys(fake, 2016), m, 3, outcome)
        e = evaluation.evaluate(outcome, design, draws=199, regression=False, synthetic_fits=0)
        ps.append(e.inference.p_two)
    share = float(np.mean(np.array(ps) < 0.10))
    error = 3 * np.sqrt(0.09 / n)
    print(f"{indicator} : p < 0,10 dans {share:.1%} des {n} faux programmes")
    assert 0.10 - error <= share <= 0.10 + error, f"p < 0,10 dans {share:.1%} des faux programmes"


def test_the_pack_section_lists_comparison_exclusions_start_and_detectable_effect(con):
    from indicators import evaluation_pack

    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    sections = evaluation_pack.sections(con, group, {i: store.indicator(con, i) for i in ("population", "births")}, FAST)
    births = sections["births"]
    lines = evaluation_pack.text(births, "Naissances")
    assert lines[2] == births.verdict.headline
    assert "Début retenu : 2016, année supposée : non publiée par la CCI" in "\n".join(lines)
    assert any(x.startswith("Un effet de moins de ±") for x in births.verdict.cannot)
    comp = births.tables["comparaison"]
    assert len(comp) == 24 and comp["code"].str.match(r"^(COM|EPCI):").all() and comp["territoire"].notna().all()
    excl = births.tables["exclusions"].set_index("code")
    assert excl.at["EPCI:200066124", "territoire"] == "CA Gaillac-Graulhet"
    assert set(births.tables["equilibre"].columns) >= {"écart standardisé avant", "écart standardisé après"}
    numbers = births.numbers.set_index("libellé")["valeur"]
    assert numbers["Groupes placebo"] == 200 and numbers["Effet détectable (demi-largeur de la bande à 95 % du hasard)"] > 0


def test_a_pool_within_the_members_zones_d_emploi_is_named_so_in_the_verdict(con):
    """`vivier=ZE`: each member's comparison territories come from its own zone d'emploi (widened to the
    région where it is too small), and the verdict says where they come from."""
    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    a = assessment.assess(con, group, "population", Options(draws=200, regression=False, synthetic_fits=0, scope="ZE"))
    assert a.pool.scope == "ZE"
    said = " ".join(a.verdict.can)
    assert "même zone d'emploi" in said and "élargi pour" in said, said
