"""Every URL key of every page with extreme, unknown, empty, repeated and hostile values: no traceback,
no English error, and a notice when a value from the link was replaced. One session visiting every
page with extreme values keeps working. (Server time per view is measured in `make bench`.)"""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP, TIMEOUT, all_text
from indicators import links

# The section of a page in which a key is read (Comparer's `kc` only exists under « Effet du programme »).
CONTEXT = {
    "carte": {"bornes": {"methode": "manuel"}, "centre": {"palette": "div"}, "refval": {"palette": "div", "centre": "val"}},
    "evolutions": {"cible": {"vue": "profil"}, "base": {"mode": "indice"}},
    "comparer": {k: {"vue": "similaires"} for k in ("semblables", "poids", "cible")}
    | {k: {"vue": "effet", "indicateur_effet": "population"}
       for k in ("voisins", "indicateur_effet", "indice", "avec", "sans", "vivier", "autres", "debuts")}
    | {"poids_profil": {"vue": "profil"}},
}

VALUES = {
    "extreme": "-99999999999999999999",
    "unknown": "COM:00000",
    "empty": "",
    "repeated": "x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x",
    "hostile": "<script>alert(1)</script>[x](javascript:alert(1))" + "é" * 2500,
}
ENGLISH = ("Traceback", "Error", "Exception", "KeyError", "ValueError", "not found", "invalid literal")


def run_page(page: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(f"app_pages/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def errors_of(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


@pytest.mark.parametrize("kind", list(VALUES))
@pytest.mark.parametrize("view", links.VIEWS, ids=lambda v: v.PAGE)
def test_every_key_of_a_page_takes_any_value(view, kind):
    for param in view.params().values():
        params = {**CONTEXT.get(view.PAGE, {}).get(param.key, {}), param.key: VALUES[kind]}
        at = run_page(view.PAGE, params)
        assert not at.exception, (param.key, kind, errors_of(at))
        assert not at.error, (param.key, kind, errors_of(at))
        said = [m.value for m in (*at.warning, *at.info, *at.caption)]
        assert not [s for s in said if any(word in s for word in ENGLISH)], (param.key, kind)
        assert "<script>" not in all_text(at)


@pytest.mark.parametrize("page,key,value,notice", [
    ("carte", "k", "12", "Nombre de classes : « 12 » remplacé par « 9 »"),
    ("carte", "dans", "DEP:99", "Emprise : « DEP\\:99 » remplacé par « FR »"),
    ("comparer", "semblables", "99999", "Nombre de territoires semblables : « 99999 » remplacé par « 20 »"),
    ("evolutions", "depuis", "1850", "Première année : « 1850 » remplacé par"),
    ("evolutions", "de", "1850", "Première année : « 1850 » remplacé par"),  # the key's older name
])
def test_a_replaced_value_is_announced_above_the_page(page, key, value, notice):
    params = {**CONTEXT.get(page, {}).get(key, {}), key: value, "vue": "similaires"} if page == "comparer" \
        else {key: value}
    at = run_page(page, params)
    assert not at.exception
    said = [c.value for c in at.caption if c.value.startswith("Lien corrigé : ")]
    assert len(said) == 1 and notice in said[0], [c.value for c in at.caption][:3]
    at.run()  # the corrected value is now in the link: said once
    assert not [c.value for c in at.caption if c.value.startswith("Lien corrigé : ")]


def test_one_session_visits_every_page_with_extreme_values():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    visits = [
        ("comparer", {"g": "cci-midi-pyrenees", "vue": "similaires", "nv": "20", "cible": "FR"}),
        ("carte", {"k": "12", "niveau": "COM", "dans": "DEP:09", "annees": "2006,2007,2008,2009,2010,2011"}),
        ("evolutions", {"mode": "indice", "base": "1990", "vue": "profil", "t": "FR,COM:09225"}),
        ("comparer", {"vue": "effet", "kc": "0", "ie": "population", "avec": "FR,FR,FR"}),
        ("exporter", {"de": "3000", "a": "-4", "csv": "autre", "ip": "population,population"}),
        ("carte", {"palette": "div", "centre": "val", "refval": "1e400", "sel": "DEP:99"}),
        ("donnees", {}), ("methodes", {}), ("accueil", {}),
    ]
    for page, params in visits:
        at.switch_page(f"app_pages/{page}.py")
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, (page, errors_of(at))
        assert not at.error, (page, errors_of(at))
    # Comparer's `vue` and Carte's classes did not leak into each other: the last Carte shows 9 classes
    at.switch_page("app_pages/carte.py")
    at.run()
    assert at.number_input(key="w_k").value == 9 and at.selectbox(key="w_niveau").value == "COM"


def test_a_value_the_user_left_by_changing_another_is_replaced_quietly():
    """Choosing communes after a département map of 2020 (communes have census spans only) replaces the
    year without saying « Lien corrigé »: nobody opened a wrong link."""
    at = run_page("carte", {"niveau": "DEP", "i": "net_migration_rate", "p": "2020"})
    assert not at.exception and not [c.value for c in at.caption if c.value.startswith("Lien corrigé")]
    at.selectbox(key="w_niveau").set_value("COM").run()
    assert not at.exception and at.query_params["p"] != "2020"
    assert not [c.value for c in at.caption if c.value.startswith("Lien corrigé")]


def test_a_key_read_twice_in_a_run_is_announced_once():
    at = run_page("carte", {"groupe_seul": "peut-être", "g": "cci-midi-pyrenees"})
    said = [c.value for c in at.caption if c.value.startswith("Lien corrigé : ")]
    assert len(said) == 1 and said[0].count("Membres du groupe seulement") == 1, said
