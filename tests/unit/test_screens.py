"""The view models the pages render (indicators.screens), on the shipped base: values, not that code ran."""
from __future__ import annotations

import json

import pandas as pd

from indicators import store
from indicators.screens import carte, evolutions, terrain
from tests.conftest import scalar

PAMIERS = "COM:09225"


def _value(con, code: str, indicator: str, year: int) -> float:
    return scalar(con, "SELECT value FROM observation WHERE territory = ? AND indicator = ? AND year = ? "
                       "AND period_start = year", [code, indicator, year])


def test_evolutions_panel_growth_is_first_and_last_value_of_the_years_asked(con):
    ind = store.indicator(con, "population")
    p = evolutions.panel(con, ind, evolutions.Choices((PAMIERS,), (), years=(2013, 2021)), {PAMIERS: "Pamiers"})
    row = p.growth.iloc[0]
    first, last = _value(con, PAMIERS, "population", 2013), _value(con, PAMIERS, "population", 2021)
    assert (row["Territoire"], row["Période"], row["Début"], row["Fin"]) == ("Pamiers", "2013–2021", first, last)
    assert abs(row["Évolution (%)"] - 100 * (last / first - 1)) < 1e-9
    assert p.spec.title == ind.label and p.spec.subtitle.endswith("2013–2021") and p.notes == []


def test_evolutions_rate_in_values_changes_in_points_and_is_not_made_per_thousand(con):
    ind = store.indicator(con, "birth_rate")
    p = evolutions.panel(con, ind, evolutions.Choices((PAMIERS,), (), mode="pour1000"), {PAMIERS: "Pamiers"})
    assert p.notes[0].startswith(ind.label) and "déjà un taux" in p.notes[0]
    row = p.growth.iloc[0]
    assert "Évolution (%)" not in p.growth.columns
    assert abs(row["Écart (points)"] - (row["Fin"] - row["Début"])) < 1e-12


def test_evolutions_index_is_100_in_the_base_year(con):
    ind = store.indicator(con, "population")
    p = evolutions.panel(con, ind, evolutions.Choices((PAMIERS,), (), mode="indice", base=2015), {})
    shown = p.shown[(p.shown["year"] == 2015) & (p.shown["period_start"] == 2015)]
    assert shown["value"].tolist() == [100.0] and p.spec.unit == "indice base 100 en 2015"


def test_evolutions_missing_territory_is_said_not_drawn_as_zero(con):
    ind = store.indicator(con, "population")
    p = evolutions.panel(con, ind, evolutions.Choices(("COM:99999",), ("FR",)), {"COM:99999": "Nulle part"})
    assert "COM:99999" not in set(p.shown["territory"]) and not p.shown.empty
    assert "donnée non disponible pour Nulle part" in p.notes[0]


def test_evolutions_cut_says_how_many_indicators_are_drawn():
    assert evolutions.cut(3, 4) == (3, "")
    shown, said = evolutions.cut(20, 50)
    assert shown == 2 and said.startswith("Vue coupée : 20 indicateurs × 50 territoires demandés ; les 2 premiers")


def test_carte_screen_ranks_departements_by_population(con):
    c = carte.Choices("population", "DEP", None, (2021, 2021))
    screen = carte.build(con, c)
    assert len(screen.values) == scalar(con, "SELECT count(*) FROM territory WHERE level = 'DEP'")
    assert screen.model.classes.missing == int(screen.values["value"].isna().sum())
    ind = store.indicator(con, "population")
    table, formats = carte.ranked_table(screen.values, ind, False)
    top = table.iloc[0]
    assert top["Rang"] == 1 and top["Territoire"].startswith("Nord")
    assert formats == {f"{ind.label} ({ind.unit})": 0}
    assert carte.status(screen, 0).startswith(f"{len(screen.values) - screen.model.classes.missing} territoires")


def test_carte_export_table_is_long_with_the_period():
    values = pd.DataFrame({"code": ["DEP:09"], "label": ["Ariège"], "value": [1.5]})  # synthetic
    ind = store.IndicatorRow.of({"id": "x", "label": "Indicateur x", "kind": "ratio"})
    out = carte.export_table(values, ind, (2013, 2018))
    assert out.to_dict("records") == [{"territory": "DEP:09", "territory_label": "Ariège", "value": 1.5,
                                       "indicator": "x", "indicator_label": "Indicateur x", "period_start": 2013,
                                       "year": 2018}]


def test_the_map_csv_says_each_value_status_and_the_indicator_label(con):
    from indicators import charts, export

    ind = store.indicator(con, "net_migration_rate")
    c = carte.Choices(ind.id, "COM", "DEP:09", (2013, 2019))
    screen = carte.build(con, c)
    table = export.series_table(carte.export_table(screen.values, ind, c.period), charts.spec_of(ind))
    assert set(table["libellé"]) == {ind.label}
    small = screen.values["small"].to_numpy() & screen.values["value"].notna().to_numpy()
    assert small.sum() > 10  # Ariège's villages: most are under the small-count rule
    assert (table.loc[small, "statut"] == "effectif faible").all()
    assert (table.loc[~small & screen.values["value"].notna().to_numpy(), "statut"] == "").all()
    missing = screen.values["value"].isna().to_numpy()
    assert (table.loc[missing, "statut"] == "donnée non disponible").all()


def test_carte_periods_in_link_are_written_with_a_hyphen():
    periods = pd.DataFrame({"period_start": [2013, 2021], "year": [2018, 2021]})
    assert carte.periods_in_link(periods) == {"2013-2018": (2013, 2018), "2021": (2021, 2021)}


def test_terrain_click_finds_the_circle_under_the_pointer_only():
    plants = pd.DataFrame({"seqe_id": ["A", "B"], "lat": [43.0, 44.0], "lon": [1.0, 2.0]})  # synthetic
    assert terrain.clicked_plant(plants, {"lat": 44.0, "lng": 2.0})["seqe_id"] == "B"
    assert terrain.clicked_plant(plants, {"lat": 43.5, "lng": 1.5}) is None
    assert terrain.clicked_plant(plants, {}) is None


def test_terrain_sites_geojson_keeps_missing_values_null_and_escapes_nothing_into_html():
    table = pd.DataFrame({"seqe_id": ["A"], "name": ["<b>Usine</b>"], "operator": [None], "sector": ["Ciment"],
                          "commune": ["COM:09225"], "lon": [1.6], "lat": [43.1], "emissions": [12.5]})  # synthetic
    doc = json.loads(terrain.sites_geojson(terrain.sites(table, 2023)))
    feature = doc["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [1.6, 43.1]}
    assert feature["properties"] == {"seqe_id": "A", "name": "<b>Usine</b>", "operator": None, "sector": "Ciment",
                                     "commune": "COM:09225", "emissions": 12.5, "annee": 2023}
    assert "&lt;b&gt;" in terrain.sectors_legend(table.assign(sector=["<b>x</b>"]))


def test_a_rate_crossing_zero_is_never_an_index_nor_a_percentage_change(con):
    ind = store.indicator(con, "net_migration_rate")
    fr = _value(con, "FR", "net_migration_rate", 2012)
    p = evolutions.panel(con, ind, evolutions.Choices(("DEP:75",), ("FR",), mode="indice", base=2012), {})
    assert (p.shown["value"] <= 0).any()  # Paris loses residents to the rest of France
    assert "passe par zéro" in p.notes[0] and p.spec.unit == ind.unit
    assert p.shown[(p.shown["territory"] == "FR") & (p.shown["year"] == 2012)]["value"].iloc[0] == fr  # values
    assert "Écart (points)" in p.growth.columns and "Évolution (%)" not in p.growth.columns


def test_adapted_mode_indexes_a_count_beside_its_references_and_keeps_rates_in_values(con):
    pop = store.indicator(con, "population")
    p = evolutions.panel(con, pop, evolutions.Choices((PAMIERS,), ("DEP:09", "FR"), years=(2013, 2021)), {})
    first = p.shown[p.shown["year"] == 2013]
    assert p.spec.unit == "indice base 100 en 2013" and set(first["value"]) == {100.0}  # France no longer flattens
    alone = evolutions.panel(con, pop, evolutions.Choices((PAMIERS,), ()), {})
    assert alone.spec.unit == pop.unit  # without references, the count itself
    rate = store.indicator(con, "birth_rate")
    assert evolutions.panel(con, rate, evolutions.Choices((PAMIERS,), ("FR",)), {}).spec.unit == rate.unit
