"""The evaluation on the real base: clean comparison pools, each member's start, p-values that chance
alone keeps at their level, and the pack's « Évaluation » saying what a reviewer needs."""
from __future__ import annotations

import numpy as np
import pytest

from indicators import assessment, pool, store, territories
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
    # the towns are compared in Occitanie, each member with territories of its own level only
    assert "COM@REG:76#pole" in set(a.pool.strata["stratum"])
    nb = a.matching["yearly"].neighbours
    assert (nb["code"].str.split(":").str[0] == nb["member"].str.split(":").str[0]).all()
    assert (nb.groupby("member").size() == 3).all() and not set(nb["code"]) & set(group.members)


def test_pilot_sites_are_compared_with_places_of_their_own_kind_and_size(con):
    """Town centres with town centres: a pôle of its bassin de vie with pôles (never a suburb of Toulouse or
    Montpellier), a CA with CAs (never a métropole), populations within a factor of three."""
    from indicators import kinds

    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    kind = kinds.kinds(con, "COM") | kinds.kinds(con, "EPCI")
    pop = dict(con.execute("SELECT code, population FROM territory").fetchall())
    for indicator in ("births", "net_migration_rate"):
        a = assessment.assess(con, group, indicator, FAST)
        nb = a.matching[a.main].neighbours
        assert set(nb["member"]) == set(group.members)
        assert (nb["member"].map(kind) == nb["code"].map(kind)).all()
        ratio = nb["code"].map(pop) / nb["member"].map(pop)
        assert ((ratio >= 1 / 3.05) & (ratio <= 3.05)).all(), nb.assign(ratio=ratio)
        assert not nb["code"].map(kind).str.startswith("URBAN").any()
        assert not nb["code"].map(kind).isin(["crown_large", "pole_large"]).any()
        rodez = set(nb.loc[nb["member"] == "EPCI:241200187", "code"])
        assert rodez and all(kind[c] == "CA/pole" for c in rodez)
        assert "EPCI:243100518" not in set(nb["code"])  # Toulouse Métropole
    # a later programme's town is a fair comparator until its own start, and the list says so
    later = a.pool.later.set_index("code")
    assert len(later) and (later["from"] > 2016).all()
    assert later["reason"].str.contains("comparable jusqu'en").all()


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
    for gid, first in (("acv", 2018), ("pvd", 2020)):
        p = pool.comparison_pool(con, sorted(members[gid]), gid, first_start=first)
        others = set().union(*(m for g, m in members.items() if g != gid))
        # a town of another programme is a candidate only if that programme starts later, until its start
        inside = set(p.candidates["code"]) & others
        assert inside <= set(p.later["code"]) and all(y > first for y in p.treated_from.values())
        reasons = p.excluded.set_index("code")["reason"]
        some = sorted(others & set(reasons.index))[:20]
        assert some and all("programme" in reasons[c] for c in some)
    # the pilot sites (2016) are never in the pool of ACV (2018); PVD towns (2021) are, until 2020
    acv_pool = pool.comparison_pool(con, sorted(members["acv"]), "acv", first_start=2018)
    assert not set(acv_pool.candidates["code"]) & members[territories.PILOT_GROUP]
    pvd_in_acv = acv_pool.later[acv_pool.later["code"].isin(members["pvd"])]
    assert len(pvd_in_acv) and (pvd_in_acv["from"] >= 2020).all()
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
    assert firms.verdict.headline == ("Pas d'évaluation possible pour « Créations d'entreprises » : pas de série "
                                      "annuelle aux niveaux des membres (série annuelle publiée pour : département, "
                                      "région, France).")


@pytest.mark.parametrize("indicator, starts", [("births", (2014, 2018)), ("net_migration_rate", (2014, 2016))])
def test_fake_programmes_raise_few_false_alarms_and_the_printed_detectable_effect_is_met(con, indicator, starts):
    """Seeded fake programmes (8 untreated towns of 3 to 50 thousand inhabitants in one random région, a random
    start): no printed test says p < 0.05 in more than 10 % of them, the verdict claims an effect in at most
    10 %, and an effect planted at each group's printed detectable size is found about 8 times out of 10.
    `bench/calibration.py` runs the same with more groups, régions and pools."""
    from indicators import calibration

    groups = calibration.fake_groups(con, 30, seed=5, starts=starts)
    options = Options(draws=99, regression=False, synthetic_fits=0)
    runs = calibration.run(con, groups, indicator, options)
    alarms = calibration.false_alarms(runs)
    print(indicator, alarms)
    evaluated = [r for r in runs if r.status != "refused"]
    assert len(evaluated) >= 20
    assert all(alarms[t] <= 0.10 for t in ("main", "unadjusted", "pooled", "pretrend", "time") if np.isfinite(alarms[t]))
    assert alarms["verdict_effect"] <= 0.10
    planted = {r.group: r.detectable for r in evaluated}
    power = calibration.power(calibration.run(con, groups, indicator, options, plant=planted))
    print(indicator, "puissance à l'effet détectable imprimé", power)
    assert 0.6 <= power <= 0.95


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
    assert comp["poids dans l'effet (%)"].sum() == pytest.approx(100, abs=0.1)
    numbers = births.numbers.set_index("libellé")["valeur"]
    assert numbers["Groupes placebo"] == 200 and numbers[evaluation_pack.DETECTABLE] > 0
    # the pack's first page: one line per indicator, the verdict in a few words
    summary = evaluation_pack.summary_table(list(sections.values()))
    assert list(summary["indicateur"]) == ["Population municipale", "Naissances"]
    assert summary["effet détectable"].str.startswith("±").all()


def test_an_indicator_that_cannot_be_evaluated_gets_one_line_and_no_comparison(con):
    from indicators import evaluation_pack

    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    sections = evaluation_pack.sections(con, group, {"vacancy_rate": store.indicator(con, "vacancy_rate")}, FAST)
    vacancy = sections["vacancy_rate"]
    assert vacancy.refused and not vacancy.charts and not vacancy.method
    assert "comparaison" not in vacancy.tables and "equilibre" not in vacancy.tables
    lines = evaluation_pack.text(vacancy, "Taux de vacance")
    assert not any(x.startswith(("Méthode", "Chiffres", "Ce que l'on peut dire")) for x in lines)
    assert vacancy.summary["verdict"] == ("non évaluable : la base ne tient cet indicateur que pour 2018 : aucune "
                                          "année avant le début (2016)")
    assert not vacancy.left_out  # every member for the same reason: said once


def test_a_pool_within_the_members_zones_d_emploi_is_named_so_in_the_verdict(con):
    """`vivier=ZE`: each member's comparison territories come from its own zone d'emploi (widened to the
    région where it is too small), and the verdict says where they come from."""
    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    a = assessment.assess(con, group, "population", Options(draws=200, regression=False, synthetic_fits=0, scope="ZE"))
    assert a.pool.scope == "ZE"
    said = " ".join(a.verdict.can)
    assert "même zone d'emploi" in said and "élargi pour" in said, said


def test_kinds_of_place_come_from_insee_zonings(con):
    from indicators import kinds

    com, epci = kinds.kinds(con, "COM"), kinds.kinds(con, "EPCI")
    assert com["COM:09122"] == "pole"              # Foix, pôle of its bassin de vie
    assert com["COM:34129"] == "crown_large"       # Lattes, in Montpellier's aire, not a pôle
    assert com["COM:31555"] == "pole_large"        # Toulouse
    assert epci["EPCI:241200187"] == "CA/pole"     # CA Rodez Agglomération
    assert epci["EPCI:243100518"].startswith("URBAN/")  # Toulouse Métropole
    assert epci["EPCI:248100380"] == "CC/pole"     # CC Tarn et Dadou (2016 perimeter), from its name and communes


def test_a_users_group_of_one_programmes_towns_does_not_mix_programmes(con):
    """A selection of ACV towns (a link group, not a programme) evaluates ACV: no « mêle les programmes »;
    the pilot sites, a programme of their own whose towns are also ACV, do mix."""
    acv_towns = ("COM:81004", "COM:32013", "COM:46042")  # Albi, Auch, Cahors
    p = pool.comparison_pool(con, list(acv_towns), None, first_start=2018)
    assert p.overlaps == {}
    pilots = assessment.group_in_base(con, territories.PILOT_GROUP)
    pp = pool.comparison_pool(con, list(pilots.members), pilots.id, first_start=2016)
    assert len(pp.overlaps) == 8


def test_census_answers_wait_for_a_census_after_the_start(con):
    """ACV (2018): no census span has half its years after the start: the answer says which census will serve,
    and the smoothed yearly population is said to be indicative, never evidence."""
    acv = assessment.group_in_base(con, "acv")
    a = assessment.assess(con, acv, "population", FAST)
    assert a.main == "spans" and a.verdict.status == "refused"
    assert "pas encore évaluable avec les recensements : le premier recensement utile est celui de 2021" in \
        a.verdict.headline
    assert any("indicative seulement" in line and "ni de preuve d'un effet" in line for line in a.verdict.cannot)


def test_the_kept_default_evaluation_is_the_computed_one(con):
    """What the build keeps for a shipped group's default view reads back as the section computed now."""
    from indicators import evaluation_pack, precomputed

    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    kept = precomputed.lookup(con, group, "births", assessment.DEFAULT)
    assert kept is not None
    fresh = evaluation_pack.section(con, assessment.assess(con, group, "births"), store.indicator(con, "births"),
                                    precomputed.canonical_link(group.id, "births"))
    assert kept.verdict == fresh.verdict and kept.numbers.equals(fresh.numbers)
    for stem, table in fresh.tables.items():
        assert kept.tables[stem].equals(table.reset_index(drop=True)), stem
    assert [c[0] for c in kept.charts] == [c[0] for c in fresh.charts]
    # other options, or an edited group, are computed afresh
    assert precomputed.lookup(con, group, "births", Options(k=4)) is None
    moved = assessment.Group(group.id, group.name, group.members, 2017, group.start_note)
    assert precomputed.lookup(con, moved, "births", assessment.DEFAULT) is None


def test_the_evaluate_command_prints_the_page_numbers_for_groups_of_a_members_file(con, tmp_path, capsys):
    import json

    from indicators import cli, evaluation_record

    members = tmp_path / "membres.csv"
    members.write_text("groupe;territoire;debut\nA;COM:09122;2016\nA;COM:09225;2017\nB;COM:65286;2016\n"
                       "B;COM:82033;2016\n", encoding="utf-8")
    assert cli.main(["evaluate", "--members", str(members), "--indicator", "births", "--draws", "199",
                     "--synthetic-fits", "0", "--no-regression", "--format", "json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["group"] for r in records] == ["A", "B"]
    a = records[0]
    assert a["members"] == [{"code": "COM:09122", "start": 2016}, {"code": "COM:09225", "start": 2017}]
    assert {"effect", "effect_unadjusted", "p_value", "detectable_effect", "comparators", "balance"} <= set(a)
    assert {c["member"] for c in a["comparators"]} <= {"COM:09122", "COM:09225"}
    assert abs(sum(c["weight"] for c in a["comparators"]) - 1) < 1e-9
    # the same numbers as the library (the page and the pack)
    group = evaluation_record.read_members(con, members)[0]
    page = assessment.assess(con, group, "births", Options(draws=199, synthetic_fits=0, regression=False))
    assert a["effect"] == pytest.approx(page.answer.effect) and a["p_value"] == pytest.approx(page.answer.inference.p_two)
    # a bad line is named with its column and value
    members.write_text("groupe;territoire;debut\nA;COM:09122;2016\nA;COM:99999;2016\n", encoding="utf-8")
    assert cli.main(["evaluate", "--members", str(members), "--indicator", "births"]) == 2
    assert "ligne 3, colonne territoire : « COM:99999 »" in capsys.readouterr().err


def test_kept_evaluations_of_older_code_are_not_used_and_make_the_base_stale(db_copy, monkeypatch):
    """A change to the evaluation code makes the kept default views stale: the page computes afresh, and
    `build --if-stale` (make run, make test) rebuilds them."""
    import duckdb as ddb

    from indicators import pipeline, precomputed

    assert not pipeline.is_stale(db_copy)
    con = store.connect_readonly(db_copy)
    group = assessment.group_in_base(con, territories.PILOT_GROUP)
    assert precomputed.lookup(con, group, "births", assessment.DEFAULT) is not None
    monkeypatch.setattr(precomputed, "code_fingerprint", lambda: "autre code")
    assert precomputed.lookup(con, group, "births", assessment.DEFAULT) is None
    con.close()
    assert pipeline.is_stale(db_copy)
    monkeypatch.undo()
    rw = ddb.connect(str(db_copy))
    rw.execute("UPDATE meta SET value = 'ancien' WHERE key = 'evaluations'")
    rw.close()
    assert pipeline.is_stale(db_copy)
