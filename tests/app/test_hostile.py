"""Every page with hostile data in the base and hostile links: no markup from users is rendered,
numbers from the URL are bounded, a damaged base gives the rebuild command. Through AppTest."""
from __future__ import annotations

import re
import shutil
import time

import pytest

from indicators.paths import db_path
from tests.app.test_pages import TIMEOUT, open_page
from tests.fixtures.hostile import plant_payloads

# A raw (unescaped) tag, markdown image or link, as a markdown or plotly renderer would act on it.
RAW_MARKUP = re.compile(r"(?<!\\)<(?:iframe|script|img|meta|object|embed|div style=\"position|a href=\"http://evil)|(?<!\\)!(?<!\\)\[|(?<!\\)\]\((?:http|javascript)",
                        re.IGNORECASE)
TEXT_FIELDS = ("body", "label", "help", "spec", "placeholder", "caption")


def rendered_texts(at) -> list[tuple[str, str]]:
    """(element type, text) of every field that Streamlit renders as markdown, HTML or a plotly figure."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and type(node).__name__ not in ("Dataframe", "Selectbox", "Multiselect"):
            for field in TEXT_FIELDS:
                value = getattr(proto, field, None)
                if isinstance(value, str) and value:
                    out.append((type(node).__name__, value))
        if type(node).__name__ in ("Selectbox", "Multiselect"):  # options are plain text; the label is markdown
            out.append((type(node).__name__, proto.label))
        children = getattr(node, "children", None) or {}
        for child in (children.values() if isinstance(children, dict) else children):
            walk(child)

    walk(at._tree)
    return out


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "observatoire.duckdb"
    shutil.copyfile(db_path(), path)
    plant_payloads(path)
    return path


VIEWS = [
    ("accueil", {}),
    ("carte", {"niveau": "COM", "dans": "DEP:09", "i": "user_hostile", "p": "2022", "sel": "COM:09225", "g": "hostile"}),
    ("evolutions", {"t": "COM:09225", "i": "user_hostile", "g": "hostile"}),
    ("evolutions", {"t": "COM:09225", "vue": "profil"}),
    ("comparer", {"g": "hostile", "i": "user_hostile", "detail": "user_hostile"}),
    ("comparer", {"g": "hostile", "vue": "effet", "indicateur_effet": "user_hostile"}),
    ("comparer", {"g": "hostile", "vue": "groupes"}),
    ("exporter", {"t": "COM:09225", "i": "user_hostile", "indicateurs_dossier": "user_hostile", "groupe_dossier": "hostile"}),
    ("terrain", {"t": "COM:09225", "g": "hostile", "sel": "<script>alert(1)</script>"}),
    ("donnees", {}),
    ("methodes", {}),
]


@pytest.mark.parametrize("page,params", VIEWS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(VIEWS)])
def test_hostile_labels_are_shown_as_text_on_every_page(hostile_db, monkeypatch, page, params):
    monkeypatch.setenv("OBS_DB", str(hostile_db))
    at = open_page(page, **params)
    assert not at.exception, at.exception
    texts = rendered_texts(at)
    assert texts, "nothing rendered"
    # Plotly reads tags but not markdown: markdown patterns only count outside charts.
    raw = [(kind, m.group(0)) for kind, t in texts for m in RAW_MARKUP.finditer(t)
           if kind != "UnknownElement" or m.group(0).startswith("<")]
    assert raw == [], raw


def test_the_hostile_indicator_is_really_on_the_pages(hostile_db, monkeypatch):
    """The test above must be able to fail: the payloads are there, escaped."""
    monkeypatch.setenv("OBS_DB", str(hostile_db))
    at = open_page("methodes")
    labels = [e.label for e in at.expander]
    assert any(r"\<iframe" in label for label in labels), labels


CRAFTED = [
    ("comparer", {"g": "cci-midi-pyrenees", "vue": "effet", "indicateur_effet": "population", "voisins": "-5"}, ("w_kc", 1)),
    ("comparer", {"g": "cci-midi-pyrenees", "vue": "effet", "indicateur_effet": "population", "voisins": "99999"}, ("w_kc", 10)),
    ("comparer", {"g": "cci-midi-pyrenees", "vue": "similaires", "semblables": "99999", "poids": "population:inf,density:1e400"},
     ("w_nv", 20)),
    ("carte", {"niveau": "DEP", "i": "population", "k": "99999"}, ("w_k", 9)),
    ("carte", {"niveau": "DEP", "i": "population", "k": "nan"}, ("w_k", 5)),
    ("carte", {"niveau": "DEP", "i": "net_migration_rate", "p": "2020", "palette": "div", "centre": "val",
               "refval": "inf"}, ("w_refval", 0.0)),
    ("evolutions", {"t": "COM:12202", "i": "population", "mode": "indice", "base": "1990"}, ("w_base", 2005)),
    ("evolutions", {"t": "COM:12202", "i": "population", "depuis": "3000", "jusqu_a": "-7"}, ("w_annees", (2005, 2024))),
    ("exporter", {"t": "COM:12202", "i": "population", "depuis": "99999999999999999999"}, ("w_pack_years", (2021, 2024))),
]


@pytest.mark.parametrize("page,params,widget", CRAFTED, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(CRAFTED)])
def test_crafted_links_are_bounded_and_cheap(page, params, widget):
    started = time.perf_counter()
    at = open_page(page, **params)
    elapsed = time.perf_counter() - started
    assert not at.exception, at.exception
    key, expected = widget
    assert at.get_by_key(key).value == expected, at.get_by_key(key).value
    assert elapsed < 15, elapsed  # two script runs; `kc=-5` used to take 187 s


def test_unknown_territory_in_a_link_is_said_not_raised():
    at = open_page("carte", niveau="DEP", sel="DEP:99", i="population")
    assert not at.exception
    assert any("n'est pas sur cette carte" in c.value for c in at.caption)


@pytest.mark.parametrize("target", ["FR", "ARM:75101"])
def test_similar_territories_of_a_level_without_model_say_so(target):
    at = open_page("comparer", g="cci-midi-pyrenees", vue="similaires", t=target, cible=target)
    assert not at.exception
    assert any("Pas de territoires semblables" in i.value for i in at.info)


@pytest.fixture(scope="module")
def damaged_dbs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    truncated, corrupt = folder / "truncated.duckdb", folder / "corrupt.duckdb"
    for path in (truncated, corrupt):
        shutil.copyfile(db_path(), path)
    with open(truncated, "r+b") as fh:
        fh.truncate(truncated.stat().st_size // 2)
    with open(corrupt, "r+b") as fh:
        for offset in range(8192, corrupt.stat().st_size, 262_144):  # every block's checksum broken
            fh.seek(offset)
            fh.write(b"\xde\xad\xbe\xef" * 16)
    return {"truncated": truncated, "corrupt": corrupt}


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
@pytest.mark.parametrize("page", ["accueil", "carte", "evolutions", "comparer", "exporter", "donnees", "methodes"])
def test_a_damaged_database_gives_the_rebuild_command_on_every_page(damaged_dbs, monkeypatch, damage, page):
    monkeypatch.setenv("OBS_DB", str(damaged_dbs[damage]))
    at = open_page(page, i="population", niveau="DEP")
    assert not at.exception, at.exception
    assert at.error and "make data" in at.error[0].value, [e.value for e in at.error]


assert TIMEOUT  # shared with test_pages


def test_a_bad_setting_stops_the_app_with_a_french_message(monkeypatch):
    monkeypatch.setenv("OBS_MAX_UPLOAD_MB", "beaucoup")
    at = open_page("accueil")
    assert not at.exception
    assert at.error[0].value == "Configuration invalide : OBS_MAX_UPLOAD_MB = « beaucoup » n'est pas un nombre."
