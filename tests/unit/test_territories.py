"""Search by name (accents, case, homonyms) and the hierarchy of references."""
from __future__ import annotations

from indicators import territories
from indicators.territories import normalise


def test_normalise_ignores_accents_case_and_punctuation():
    assert normalise("Saint-Étienne") == normalise("saint etienne") == "saint etienne"
    assert normalise("L'Haÿ-les-Roses") == "l hay les roses"
    assert normalise("Œuilly") == "oeuilly"


def test_homonyms_come_back_with_their_departement(con):
    found = territories.search(con, "revel", levels=("COM",))
    exact = found[found["label"].str.match(r"^Revel \(")]
    assert sorted(exact["label"]) == ["Revel (31)", "Revel (38)"]


def test_search_is_accent_and_case_blind(con):
    found = territories.search(con, "SAINT ETIENNE", levels=("COM",))
    assert found.iloc[0]["label"] == "Saint-Étienne (42)"
    assert territories.search(con, "ariege").iloc[0]["code"] == "DEP:09"


def test_search_by_official_code(con):
    assert territories.search(con, "12202").iloc[0]["label"] == "Rodez (12)"
    assert territories.search(con, "241200187").iloc[0]["code"] == "EPCI:241200187"


def test_references_of_a_commune_are_its_departement_region_and_france(con):
    assert territories.references(con, "COM:09225") == ["DEP:09", "REG:76", "FR"]
    assert territories.references(con, "DEP:12") == ["REG:76", "FR"]
    assert territories.references(con, "REG:76") == ["FR"]
    assert territories.references(con, "FR") == []
