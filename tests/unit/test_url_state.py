"""The URL state of every page, without Streamlit running: declarations, round trips, replaced values."""
from __future__ import annotations

import dataclasses

import pytest

from indicators.text import md
from ui import state


@pytest.mark.parametrize("view", state.VIEWS, ids=lambda v: v.__name__)
def test_a_view_survives_its_own_link(view):
    default, notices = view.from_params({})
    assert notices == []
    assert view.from_params(default.to_params()) == (default, [])


SAMPLES = {
    state.CarteView: {"niveau": "COM", "dans": "DEP:09", "i": "population", "p": "2013-2018", "methode": "jenks",
                      "k": "7", "palette": "div", "centre": "val", "refval": "-2.5", "g": "acv", "sel": "COM:09225",
                      "annees": "2019,2020", "petits": "1", "bornes": "0;5;10"},
    state.EvolutionsView: {"t": "COM:12202,COM:09225", "vue": "profil", "ref": "REG:76,FR", "cible": "COM:09225",
                           "i": "population,jobs", "g": "acv", "mode": "indice", "base": "2010", "de": "2008", "a": "2020"},
    state.ComparerView: {"t": "COM:09225", "g": "acv", "vue": "effet", "i": "jobs", "id": "jobs", "p": "2021",
                         "cible": "COM:09225", "nv": "12", "w": "population:2", "kc": "4", "ie": "population",
                         "me": "0", "pond": "0", "avec": "COM:12202", "sans": "COM:31555,COM:81004", "cw": "density:1", "petits": "1",
                         "membres": "COM:09225,COM:09122", "debut": "2016", "vivier": "FR", "autres": "0", "debuts": "0"},
    state.TerrainView: {"t": "COM:13039,EPCI:200054807", "g": "acv", "lieu": "EPCI:200054807", "annee": "2020",
                        "sel": "COM:13039"},
    state.ExporterView: {"t": "COM:09225", "i": "jobs", "csv": "int", "gp": "acv", "ip": "population,jobs",
                         "de": "2012", "a": "2021"},
}


@pytest.mark.parametrize("view", state.VIEWS, ids=lambda v: v.__name__)
def test_every_key_of_a_view_round_trips(view):
    link = SAMPLES[view]
    assert set(link) == {p.key for p in view.params().values()}, "the sample names every key of the page"
    parsed, notices = view.from_params(link)
    assert notices == []
    assert parsed.to_params() == link
    assert view.from_params(parsed.to_params())[0] == parsed


def test_values_out_of_range_are_replaced_by_the_nearest_valid_one_with_a_notice():
    view, notices = state.CarteView.from_params({"k": "99", "niveau": "XX", "refval": "inf", "annees": "1,2,3,4,5,6,7"})
    assert (view.k, view.niveau, view.refval, view.annees) == (9, "DEP", 0.0, ["1", "2", "3", "4", "5"])
    assert notices == ["Niveau : « XX » remplacé par « DEP »", "Nombre de classes : « 99 » remplacé par « 9 »",
                       "Valeur de référence : « inf » remplacé par « 0 »", "Autres années : 2 valeur(s) ignorée(s)"]
    view, notices = state.ComparerView.from_params({"nv": "-3", "kc": "2.7", "me": "peut-être"})
    assert (view.nv, view.kc, view.me) == (3, 2, True)
    assert notices[0] == "Nombre de territoires semblables : « \\-3 » remplacé par « 3 »"


def test_hostile_values_are_escaped_in_notices_and_cut():
    _, notices = state.CarteView.from_params({"methode": "[x](http://evil)<script>" + "a" * 100})
    assert notices == [f"Classes : « {md('[x](http://evil)<script>' + 'a' * 16 + '…')} » remplacé par « quantiles »"]
    assert "](" not in notices[0].replace("\\]\\(", "") and "<script" not in notices[0].replace("\\<", "")
    view, notices = state.EvolutionsView.from_params({"t": "x" * 3000})
    assert view.territories == [] and notices == ["Territoires : valeur trop longue ignorée"]


def test_empty_and_repeated_values():
    view, notices = state.CarteView.from_params({"k": "", "annees": "2019,2019,,2019"})
    assert (view.k, view.annees, notices) == (5, ["2019"], [])


def test_options_and_bounds_known_at_run_time_narrow_the_declared_ones():
    param = state.CarteView.param("dans")
    assert param.parse("DEP:99", options=["FR", "DEP:09"], default="FR") == ("FR", "Emprise : « DEP\\:99 » remplacé par « FR »")
    assert state.YEAR_FROM.parse("1990", bounds=(2006, 2023), default=2006) == (2006, "Première année : « 1990 » remplacé par « 2006 »")


def test_a_key_cannot_mean_two_things_on_one_page():
    with pytest.raises(state.KeyCollision):
        state.declare(state.Param("k", "carte", "Autre chose", "int", 1, low=0, high=3))
    with pytest.raises(state.KeyCollision):  # a shared key cannot be taken by a page
        state.declare(state.Param("t", "carte", "Territoire", "text"))
    with pytest.raises(state.KeyCollision):  # nor a page's key shared
        state.declare(state.Param("k", state.SHARED, "Classes", "int", 5, low=3, high=9))


def test_every_key_is_declared_once_per_page():
    for key, params in state.registry().items():
        pages = [p.page for p in params]
        assert len(pages) == len(set(pages)), key
        assert state.SHARED not in pages or len(pages) == 1, key
    for view in state.VIEWS:
        keys = [p.key for p in view.params().values()]
        assert len(keys) == len(set(keys)), view
        assert all(p.page in (state.SHARED, view.PAGE) for p in view.params().values())


def test_the_two_former_collisions_are_gone():
    """`k` was Carte's classes and Comparer's neighbours, `ref` Carte's centre and Évolutions' références."""
    comparer = {p.key for p in state.ComparerView.params().values()}
    carte = {p.key for p in state.CarteView.params().values()}
    assert "k" in carte and "k" not in comparer and "nv" in comparer
    assert "ref" not in carte and "centre" in carte
    assert all(dataclasses.is_dataclass(v) for v in state.VIEWS)
