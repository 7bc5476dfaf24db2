"""The dataset registry: every source file declared once, the build and the refresh driven by it, the
READMEs and the coverage texts generated from it and from the base."""
from __future__ import annotations

import duckdb
import pytest

from indicators import catalog, coverage, datasets, docs
from indicators.format import spans_text, years_text
from indicators.paths import PROJECT_ROOT, SOURCES_DIR
from indicators.pipeline import source_files, steps
from indicators.refresh.sources import ADAPTERS


def test_every_shipped_file_is_declared_by_exactly_one_dataset():
    declared = [f for d in datasets.DATASETS for f in d.files]
    assert len(declared) == len(set(declared))
    shipped = {p.relative_to(SOURCES_DIR).as_posix() for p in source_files(SOURCES_DIR)}
    assert shipped - set(declared) == set()
    for d in datasets.DATASETS:
        present = [f for f in d.files if (SOURCES_DIR / f).exists()]
        assert bool(present) == d.shipped or d.adapter, d.id  # a refresh-only dataset is absent until fetched


def test_the_build_runs_exactly_the_steps_the_registry_names_in_its_order():
    assert set(datasets.steps()) == set(steps.STEPS)
    assert datasets.steps()[0] == "territories" and datasets.steps()[-1] == "maps"
    assert all(d.step for d in datasets.DATASETS)


def test_each_refresh_adapter_brings_one_declared_dataset_into_its_first_file():
    assert {a.name for a in ADAPTERS} == {d.adapter for d in datasets.DATASETS if d.adapter}
    for a in ADAPTERS:
        assert a.target == a.dataset.files[0] and a.licence == a.dataset.licence
    assert datasets.by_adapter("urssaf") is datasets.URSSAF and not datasets.URSSAF.shipped
    assert datasets.EUTL.held(frozenset()) and not datasets.CITEPA.held(frozenset())


def test_every_indicator_cites_registry_datasets_only():
    registered = set(datasets.DATASETS)
    for ind in catalog.INDICATORS:
        assert set(ind.sources) <= registered, ind.id
    refreshed = catalog.get("salaried_jobs")
    assert refreshed.cited(frozenset()) == (datasets.URSSAF,)  # said where it would come from
    assert datasets.POP_HISTORY not in catalog.get("population").cited(frozenset())


def test_years_and_spans_are_said_as_a_reader_says_them():
    assert years_text(range(2006, 2024)) == "2006–2023"
    assert years_text([2018, 2013]) == "2013 et 2018"
    assert years_text([2020, 2022, 2023]) == "2020 et 2022–2023"
    assert years_text([]) == "aucune année"
    assert spans_text([(2013, 2019), (2008, 2013), (2013, 2018)]) == "2008–2013, 2013–2018 et 2013–2019"


def test_coverage_texts_name_the_years_a_base_holds_not_typed_ones():
    """Synthetic base: a newer census span and a later year appear in the text without editing it."""
    con = duckdb.connect()
    con.execute("CREATE TABLE territory(code VARCHAR, level VARCHAR)")
    con.execute("INSERT INTO territory VALUES ('COM:1', 'COM'), ('DEP:1', 'DEP')")
    con.execute("CREATE TABLE observation(territory VARCHAR, indicator VARCHAR, period_start INT, year INT)")
    con.execute("""INSERT INTO observation VALUES ('COM:1', 'x', 2013, 2019), ('COM:1', 'x', 2019, 2025),
                   ('DEP:1', 'x', 2012, 2012), ('DEP:1', 'x', 2013, 2013), ('DEP:1', 'x', 2015, 2015)""")
    held = coverage.held_periods(con)
    text = "Communes sur {periodes_COM} ; départements, annuel {annees_DEP} ; régions {annees_REG}."
    assert coverage.fill(text, "x", held) == ("Communes sur 2013–2019 et 2019–2025 ; départements, annuel "
                                              "2012–2013 et 2015 ; régions aucune année.")


def test_the_shipped_base_has_no_placeholder_left_and_says_its_spans(con):
    texts = dict(con.execute("SELECT id, coverage FROM indicator").fetchall())
    assert not [i for i, t in texts.items() if "{" in t or "}" in t]
    assert "sur 2008–2013, 2013–2018 et 2013–2019" in texts["net_migration"]
    assert texts["births"].startswith("Communes et tous niveaux, annuel 2008–2024 ")
    assert "2013 et 2018" in texts["jobs"]


@pytest.mark.parametrize("readme", ["README.md", "data/README.md"])
def test_the_readme_tables_are_the_generated_ones(con, readme):
    """`python -m indicators docs` rewrites them; a README edited by hand or a registry changed without
    regenerating fails here."""
    blocks = docs.tables(con)[PROJECT_ROOT / readme]
    text = (PROJECT_ROOT / readme).read_text(encoding="utf-8")
    for name, table in blocks.items():
        assert docs.block(text, name) == table, f"{readme}: run `python -m indicators docs`"
    assert "| `co2/eu_ets_emissions_fr.csv`<br>" in datasets.markdown_table()
