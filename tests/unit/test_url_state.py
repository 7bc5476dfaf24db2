"""The URL state of every page, without Streamlit running: declarations, round trips, replaced values."""
from __future__ import annotations

import dataclasses

import pytest

from indicators.text import md
from indicators import links


@pytest.mark.parametrize("view", links.VIEWS, ids=lambda v: v.__name__)
def test_a_view_survives_its_own_link(view):
    default, notices = view.from_params({})
    assert notices == []
    assert view.from_params(default.to_params()) == (default, [])


SAMPLES = {
    links.CarteView: {"niveau": "COM", "dans": "DEP:09", "i": "population", "p": "2013-2018", "methode": "jenks",
                      "k": "7", "palette": "div", "centre": "val", "refval": "-2.5", "g": "acv", "sel": "COM:09225",
                      "annees": "2019,2020", "petits": "1", "bornes": "0;5;10", "groupe_seul": "1"},
    links.EvolutionsView: {"t": "COM:12202,COM:09225", "vue": "profil", "ref": "REG:76,FR", "cible": "COM:09225",
                           "i": "population,jobs", "g": "acv", "mode": "indice", "base": "2010", "depuis": "2008", "jusqu_a": "2020"},
    links.ComparerView: {"t": "COM:09225", "g": "acv", "vue": "effet", "i": "jobs", "detail": "jobs", "p": "2021",
                         "cible": "COM:09225", "semblables": "12", "poids": "population:2", "voisins": "4",
                         "indicateur_effet": "population", "indice": "0", "pond": "0", "avec": "COM:12202", "sans": "COM:31555,COM:81004", "poids_profil": "density:1", "petits": "1",
                         "membres": "COM:09225,COM:09122", "debut": "2016", "vivier": "FR", "autres": "0", "hors_ze": "1", "marche": "dans", "debuts": "0"},
    links.TerrainView: {"t": "COM:13039,EPCI:200054807", "g": "acv", "lieu": "EPCI:200054807", "annee": "2020",
                        "sel": "COM:13039"},
    links.ExporterView: {"t": "COM:09225", "i": "jobs", "csv": "int", "groupe_dossier": "acv",
                         "indicateurs_dossier": "population,jobs", "depuis": "2012", "jusqu_a": "2021"},
}


@pytest.mark.parametrize("view", links.VIEWS, ids=lambda v: v.__name__)
def test_every_key_of_a_view_round_trips(view):
    link = SAMPLES[view]
    assert set(link) == {p.key for p in view.params().values()}, "the sample names every key of the page"
    parsed, notices = view.from_params(link)
    assert notices == []
    assert parsed.to_params() == link
    assert view.from_params(parsed.to_params())[0] == parsed


def test_values_out_of_range_are_replaced_by_the_nearest_valid_one_with_a_notice():
    view, notices = links.CarteView.from_params({"k": "99", "niveau": "XX", "refval": "inf", "annees": "1,2,3,4,5,6,7"})
    assert (view.k, view.niveau, view.refval, view.annees) == (9, "DEP", 0.0, ["1", "2", "3", "4", "5"])
    assert notices == ["Niveau : « XX » remplacé par « DEP »", "Nombre de classes : « 99 » remplacé par « 9 »",
                       "Valeur de référence : « inf » remplacé par « 0 »", "Autres années : 2 valeur(s) ignorée(s)"]
    view, notices = links.ComparerView.from_params({"semblables": "-3", "voisins": "2.7", "indice": "peut-être"})
    assert (view.nv, view.kc, view.me) == (3, 2, True)
    assert notices[0] == "Nombre de territoires semblables : « \\-3 » remplacé par « 3 »"


def test_hostile_values_are_escaped_in_notices_and_cut():
    _, notices = links.CarteView.from_params({"methode": "[x](http://evil)<script>" + "a" * 100})
    assert notices == [f"Classes : « {md('[x](http://evil)<script>' + 'a' * 16 + '…')} » remplacé par « quantiles »"]
    assert "](" not in notices[0].replace("\\]\\(", "") and "<script" not in notices[0].replace("\\<", "")
    view, notices = links.EvolutionsView.from_params({"t": "x" * 3000})
    assert view.territories == [] and notices == ["Territoires : valeur trop longue ignorée"]


def test_empty_and_repeated_values():
    view, notices = links.CarteView.from_params({"k": "", "annees": "2019,2019,,2019"})
    assert (view.k, view.annees, notices) == (5, ["2019"], [])


def test_options_and_bounds_known_at_run_time_narrow_the_declared_ones():
    param = links.CarteView.param("dans")
    assert param.parse("DEP:99", options=["FR", "DEP:09"], default="FR") == ("FR", "Emprise : « DEP\\:99 » remplacé par « FR »")
    assert links.YEAR_FROM.parse("1990", bounds=(2006, 2023), default=2006) == (2006, "Première année : « 1990 » remplacé par « 2006 »")


def test_a_key_cannot_mean_two_things_on_one_page():
    with pytest.raises(links.KeyCollision):
        links.declare(links.Param("k", "carte", "Autre chose", "int", 1, low=0, high=3))
    with pytest.raises(links.KeyCollision):  # a shared key cannot be taken by a page
        links.declare(links.Param("t", "carte", "Territoire", "text"))
    with pytest.raises(links.KeyCollision):  # nor a page's key shared
        links.declare(links.Param("k", links.SHARED, "Classes", "int", 5, low=3, high=9))


def test_every_key_is_declared_once_per_page():
    for key, params in links.registry().items():
        pages = [p.page for p in params]
        assert len(pages) == len(set(pages)), key
        assert links.SHARED not in pages or len(pages) == 1, key
    for view in links.VIEWS:
        keys = [p.key for p in view.params().values()]
        assert len(keys) == len(set(keys)), view
        assert all(p.page in (links.SHARED, view.PAGE) for p in view.params().values())


def test_the_two_former_collisions_are_gone():
    """`k` was Carte's classes and Comparer's neighbours, `ref` Carte's centre and Évolutions' références."""
    comparer = {p.key for p in links.ComparerView.params().values()}
    carte = {p.key for p in links.CarteView.params().values()}
    assert "k" in carte and "k" not in comparer and "semblables" in comparer
    assert "ref" not in carte and "centre" in carte
    assert all(dataclasses.is_dataclass(v) for v in links.VIEWS)


OLDER = {  # keys a link written before they were renamed still carries
    links.ComparerView: ({"id": "jobs", "nv": "12", "w": "population:2", "kc": "4", "ie": "population", "me": "0",
                          "cw": "density:1"},
                         {"detail": "jobs", "semblables": "12", "poids": "population:2", "voisins": "4",
                          "indicateur_effet": "population", "indice": "0", "poids_profil": "density:1"}),
    links.EvolutionsView: ({"de": "2008", "a": "2020"}, {"depuis": "2008", "jusqu_a": "2020"}),
    links.ExporterView: ({"gp": "acv", "ip": "jobs"}, {"groupe_dossier": "acv", "indicateurs_dossier": "jobs"}),
}


@pytest.mark.parametrize("view", list(OLDER), ids=lambda v: v.__name__)
def test_an_older_link_opens_the_same_view_and_is_written_with_current_names(view):
    old, new = OLDER[view]
    assert view.from_params(old) == view.from_params(new)
    written = view.from_params(old)[0].to_params()
    assert not set(old) & set(written) and set(new) <= set(written)


def test_a_key_is_never_the_older_name_of_another():
    keys = set(links.registry())
    assert not [a for params in links.registry().values() for p in params for a in p.aliases if a in keys]


def test_a_permalink_names_its_page_and_state():
    view = links.EvolutionsView(territories=["COM:09225", "EPCI:200054807"], indicator=["jobs"], year_from=2010)
    link = links.permalink(view)
    assert link.split("?")[0].endswith("/evolutions")
    assert links.EvolutionsView.from_params(dict(kv.split("=") for kv in link.split("?")[1].split("&")))[0] == view


def test_a_replaced_yes_no_value_is_said_in_french():
    _, notices = links.CarteView.from_params({"groupe_seul": "peut-être"})
    assert notices == ["Membres du groupe seulement : « peut\\-être » remplacé par « non »"]
