"""Every exported link reopens the exported view: open a page, take the link its export carries, open
that link, and find the same chart (same traces, same values) and the same state."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.app.test_pages import open_page


def reopen(link: str):
    parts = urlsplit(link)
    page = parts.path.rsplit("/", 1)[-1] or "accueil"
    return open_page(page, **dict(parse_qsl(parts.query)))


def traces(at, n: int = 0) -> list[tuple[str, list]]:
    figure = json.loads(at.get("plotly_chart")[n].proto.spec)
    return [(t.get("name"), t.get("y")) for t in figure["data"]]


CASES = [
    ("evolutions", {"t": "COM:12202,COM:09225", "i": "population", "mode": "indice", "base": "2010", "ref": "0",
                    "depuis": "2008"}, "evo_population"),
    ("evolutions", {"t": "COM:12202", "i": "net_migration_rate", "g": "acv"}, "evo_net_migration_rate"),
    ("comparer", {"g": "cci-midi-pyrenees", "i": "population", "detail": "vacancy_rate"}, "rang_vacancy_rate"),
    ("comparer", {"g": "cci-midi-pyrenees", "vue": "effet", "indicateur_effet": "births", "voisins": "2", "indice": "0"},
     "groupe_comparaison_births"),
]


@pytest.mark.parametrize("page,params,key", CASES, ids=[c[2] + str(i) for i, c in enumerate(CASES)])
def test_an_exported_link_reopens_the_same_chart(page, params, key):
    at = open_page(page, **params)
    assert not at.exception
    spec = at.session_state[f"spec_{key}"]
    again = reopen(spec.permalink)
    assert not again.exception
    assert again.session_state[f"spec_{key}"] == spec
    assert traces(again) == traces(at)


def test_the_map_export_link_reopens_the_same_map():
    at = open_page("carte", niveau="COM", dans="DEP:09", i="net_migration_rate", p="2013-2018", methode="jenks", k="4",
                   palette="div", centre="val", refval="2", g="cci-midi-pyrenees", sel="COM:09225")
    spec = at.session_state["spec_carte_COM_net_migration_rate"]
    again = reopen(spec.permalink)
    assert again.session_state["spec_carte_COM_net_migration_rate"] == spec
    legend = lambda t: next(m.value for m in t.markdown if m.value.startswith("**Légende**"))  # noqa: E731
    assert legend(again) == legend(at)
    assert dict(again.query_params) == dict(at.query_params)


def test_the_exporter_chart_link_opens_the_same_series_on_evolutions():
    at = open_page("exporter", t="COM:12202,COM:09225", i="population")
    spec = at.session_state["spec_exp_population"]
    again = reopen(spec.permalink)
    assert urlsplit(spec.permalink).path.endswith("/evolutions")
    assert traces(again) == traces(at)


def test_a_review_pack_link_reopens_its_chart_with_its_references():
    from indicators import export, store, territories

    con = store.connect_readonly()
    codes = territories.group_members(con, "cci-midi-pyrenees")["code"].tolist()
    item = export.pack_items(con, codes, ["net_migration_rate"], 2012, 2021, True,
                             export.pack_permalink(codes, "cci-midi-pyrenees", 2012, 2021))[0]
    again = reopen(item.spec.permalink)
    assert not again.exception
    drawn = json.loads(again.get("plotly_chart")[0].proto.spec)["data"]
    # the same territories, references included (the pack draws them one panel per member; Évolutions in one
    # chart whose traces are grouped by territory code)
    assert {t.get("legendgroup") for t in drawn} - {None} == set(item.table["code"])
    assert len(set(item.table["code"])) == 10  # eight members, Occitanie and France
