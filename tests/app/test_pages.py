"""Every page through Streamlit's AppTest, with and without query parameters."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from indicators import links
from ui import widgets

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = [Path(p.file).stem for p in links.PAGES]  # the registry app.py navigates
TIMEOUT = 60


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "accueil":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    return at


def all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception_and_no_table_cell_reads_none(page):
    """Streamlit draws a null cell « None » whatever the column's format: a missing figure must reach a
    table already written « donnée non disponible » (or a number the table formats), never as a null."""
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title[0].value
    assert_no_null_cell(at)


@pytest.mark.parametrize("vue", ["groupes", "similaires", "profil"])
def test_comparer_views_have_no_null_cell(vue):
    at = open_page("comparer", vue=vue)
    assert not at.exception, at.exception
    assert at.dataframe, "no table drawn"
    assert_no_null_cell(at)


def assert_no_null_cell(at: AppTest) -> None:
    for table in at.dataframe:
        frame = pd.DataFrame(getattr(table.value, "data", table.value))
        assert not frame.isna().any().any(), [c for c in frame.columns if frame[c].isna().any()]


def test_every_page_file_is_in_the_registry_and_every_view_has_its_page():
    assert sorted(PAGES) == sorted(f.stem for f in (ROOT / "app_pages").glob("*.py") if f.stem != "__init__")
    assert {p.view for p in links.PAGES if p.view} == set(links.VIEWS)
    assert all(p.view is None or p.name == p.view.PAGE for p in links.PAGES)


def test_home_shows_real_counts():
    at = open_page("accueil")
    values = {m.label: m.value for m in at.metric}
    assert values["Communes"] == "34\u202f969"
    assert values["Intercommunalités"] == "1\u202f255"


def test_carte_restores_level_indicator_and_period_from_the_url():
    at = open_page("carte", niveau="REG", i="population", p="2020")
    assert not at.exception
    assert at.selectbox(key="w_niveau").value == "REG"
    assert at.selectbox(key="w_i").value == "population"
    assert at.select_slider(key="w_p").value == "2020"
    table = at.dataframe[0].value
    assert len(table) == 18
    assert table.iloc[:, 2].iloc[0] < 20e6  # a région (sorted as a number), not France
    assert table["Rang"].iloc[0] == 1 and table["Territoire"].iloc[0] == "Île-de-France"
    assert at.query_params["niveau"] == "REG"


def test_carte_communes_of_one_departement_and_missing_values_said():
    at = open_page("carte", niveau="COM", dans="DEP:09", i="net_migration_rate", p="2013-2018")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 325  # communes of Ariège
    assert at.caption[0].value.startswith("325 territoires avec une valeur ; 0 en « donnée non disponible » (gris).")


def test_carte_level_without_data_says_not_available():
    at = open_page("carte", niveau="COM", dans="DEP:12", i="business_creations")
    assert not at.exception
    assert "Donnée non disponible" in all_text(at)


def test_evolutions_shows_territory_with_references():
    at = open_page("evolutions", t="COM:12202", i="population", mode="valeurs")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.index) == ["Rodez (12)", "Aveyron (12)", "Occitanie", "France"]
    assert table.loc["Rodez (12)", "2006"] == "24\u202f028"  # source file, 2026 geography
    # By default a count beside its references is an index (France's 68 million would flatten Rodez).
    table = open_page("evolutions", t="COM:12202", i="population").dataframe[0].value
    assert table.loc["Rodez (12)", "2013"] == table.loc["France", "2013"] == "100,0"


def test_evolutions_without_references_from_url():
    at = open_page("evolutions", t="COM:12202,COM:09225", i="population", ref="0")
    assert not at.exception
    # the values table lists the two territories in the order they were followed, and no reference
    assert list(at.dataframe[0].value.index) == ["Rodez (12)", "Pamiers (09)"]


def test_comparer_pilot_sites_table_has_the_eight_sites():
    at = open_page("comparer", g="cci-midi-pyrenees", i="net_migration_rate,vacancy_rate", id="net_migration_rate",
                   p="2013-2018")
    assert not at.exception
    table = at.dataframe[0].value
    table = getattr(table, "data", table)  # a Styler carries its frame in .data
    assert len(table) == 8
    assert {"Revel (31)", "Lourdes (65)", "CA Rodez Agglomération"} <= set(table["Territoire"])
    cell = table.set_index("Territoire").loc["Foix (09)", "Taux de nouveaux résidents (2013–2019)"]
    # ranked among the 16 503 communes of 500 inhabitants or more (small counts left out)
    assert re.fullmatch(r"−?\d+,\d · \d[\d\u202f]*(er|e)/16\u202f503", cell), cell
    detail = at.dataframe[1].value
    assert len(detail) == 8 and all(detail["Valeur"] != "0")


def test_comparer_other_group_from_url():
    at = open_page("comparer", g="acv", i="population", id="population", p="2023")
    assert not at.exception
    assert len(getattr(at.dataframe[0].value, "data", at.dataframe[0].value)) == 244


def test_comparer_similar_territories_of_pamiers():
    at = open_page("comparer", g="cci-midi-pyrenees", vue="similaires", cible="COM:09225", nv="4")
    assert not at.exception
    table = at.dataframe[-1].value
    assert len(table) == 5 and table["Territoire"].iloc[0] == "Pamiers (09)"
    assert table["Distance"].iloc[1] != "—"


def test_comparer_programme_effect_gives_the_verdict_first_then_the_figures():
    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="births")
    assert not at.exception
    said = all_text(at).replace("\\", "")  # markdown escapes
    boxes = [b.value.replace("\\", "") for b in [*at.success, *at.info, *at.warning]]
    assert boxes and boxes[0].startswith(("Depuis 2016", "On ne voit pas d'effet sur « Naissances »", "Un écart de",
                                           "Pas de conclusion"))
    assert "Ce que l'on peut dire" in said and "Ce que l'on ne peut pas dire" in said
    assert "Début retenu : 2016, année supposée : non publiée par la CCI" in said
    assert "Un effet de moins de ±" in said  # what chance alone could hide, said
    assert "CA Gaillac-Graulhet" in said  # left out because it holds the treated CC Tarn et Dadou
    metrics = {m.label: m.value for m in at.metric}
    assert re.fullmatch(r"[+−]?\d+,\d\d", metrics["Différence de différences"])
    assert re.fullmatch(r"0,\d\d\d", metrics["p (rang parmi les placebos)"])
    assert re.fullmatch(r"±\d+,\d\d", metrics["Effet détectable"])
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    titles = [t.replace("<br>", " ").lower() for t in titles]
    assert any("étude d'événement" in t for t in titles) and any("groupes tirés au hasard" in t for t in titles)
    assert any("équilibre avant le début" in t for t in titles)
    assert at.multiselect(key="w_sans").options  # the comparison list is editable, not chips above the page


@pytest.mark.parametrize("vivier", ["REG", "DEP", "ZE", "FR"])
def test_comparer_effect_names_each_comparison_pool_it_draws(vivier):
    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="births", vivier=vivier)
    assert not at.exception, at.exception
    said = all_text(at).replace("\\", "")
    assert {"REG": "même région", "DEP": "même département", "ZE": "même zone d'emploi",
            "FR": "France entière"}[vivier] in said


@pytest.mark.parametrize("option", [{"hors_ze": "1"}, {"indice": "0"}, {"pond": "0"}, {"autres": "0"}, {"debuts": "0"},
                                    {"voisins": "1"}, {"voisins": "10"}, {"vivier": "ZE", "hors_ze": "1"}])
def test_comparer_effect_takes_each_of_its_options_from_the_link(option):
    """The effect view's own keys only act in that view: the URL sweep (default view) cannot reach them."""
    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="births", **option)
    assert not at.exception, at.exception
    assert at.metric and at.metric[0].label == "Différence de différences"


def test_comparer_effect_on_new_residents_answers_with_the_census_spans():
    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="net_migration_rate")
    assert not at.exception
    said = all_text(at).replace("\\", "")
    assert "2008–2013 face à 2013–2019" in said
    assert "Le début (2016) tombe dans la période 2013–2019 : seule une part (50 %) en est après le début" in said
    assert "Trop peu de périodes avant le début pour vérifier" in said


def test_comparer_effect_without_any_series_says_why_and_does_not_suggest_it_again():
    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="business_creations")
    assert not at.exception
    said = " ".join(i.value for i in at.info).replace("\\", "")
    assert "Pas d'évaluation possible pour « Créations d'entreprises » : pas de série annuelle aux niveaux des membres" \
        in said
    assert "département, région, France" in said


def test_comparer_effect_refuses_co2_where_most_members_have_no_installation():
    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="co2_ets_per_inhabitant")
    assert not at.exception
    said = " ".join(i.value for i in at.info).replace("\\", "")
    assert "6 des 8 membres n'ont aucune installation soumise aux quotas" in said
    assert not at.get("plotly_chart")


def test_comparer_effect_for_petites_villes_de_demain_uses_each_communes_convention_year():
    at = open_page("comparer", g="pvd", vue="effet", ie="births")
    assert not at.exception
    said = all_text(at).replace("\\", "")
    assert "chaque membre à sa propre date" in said and "en 2021" in said
    assert at.toggle(key="w_debuts").value is True
    comparison = at.multiselect(key="w_sans")
    assert len(comparison.options) > 1000 and not comparison.value  # a count and a list, not 2 000 chips


def test_comparer_composite_profile_lists_members_with_scores():
    at = open_page("comparer", g="cci-midi-pyrenees", vue="profil")
    assert not at.exception
    table = at.dataframe[-1].value
    assert len(table) == 8 and "Score" in table.columns


def test_comparer_group_creation_confirms_selects_and_refuses_a_duplicate(tmp_path, monkeypatch):
    import shutil

    from indicators import store, territories
    from indicators.paths import db_path

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), copy)
    monkeypatch.setenv("OBS_DB", str(copy))
    at = open_page("comparer", g="cci-midi-pyrenees", vue="groupes", t="COM:12202,COM:12300")
    assert not at.exception
    at.text_input[1].input("Bastides test")
    at.button[1].click()
    at.run()
    assert not at.exception
    groups = territories.groups(store.connect_readonly(copy)).set_index("name")
    assert groups.loc["Bastides test", "members"] == 2
    assert at.query_params["g"] == groups.loc["Bastides test", "id"]  # the new group is selected
    assert at.success[0].value.startswith("Groupe « Bastides test » créé avec 2 membres")
    gid = groups.loc["Bastides test", "id"]
    for view in ("effet", "tableau", "groupes"):  # the new group stays the one shown, whatever the view
        at.segmented_control(key="w_vue_c").set_value(view).run()
        assert not at.exception and at.query_params["g"] == gid and at.selectbox(key="w_g").value == gid
    at.text_input[1].input("bastides TEST")
    at.button[1].click()
    at.run()
    assert "Un groupe s'appelle déjà « bastides TEST »" in at.error[0].value.replace("\\", "")


def test_exporter_and_downloads_present():
    at = open_page("exporter", t="COM:09225", i="population")
    assert not at.exception
    assert len(at.dataframe[0].value) == 18  # 2006–2023, one row a year
    assert [b.label for b in at.get("download_button")] == ["Télécharger le CSV", "Télécharger le classeur XLSX",
                                                            "CSV", "XLSX"]


def test_methodes_lists_every_indicator_with_its_source():
    at = open_page("methodes")
    assert len(at.expander) >= 19
    assert "COGugaison" in all_text(at)
    sources = at.dataframe[0].value.set_index("Mise à jour")["État"]
    assert sources["refresh --only naissances"] == "fichier livré"
    assert sources["refresh --only deces"] == "non chargé"


def test_missing_database_shows_the_rebuild_command(tmp_path, monkeypatch):
    monkeypatch.setenv("OBS_DB", str(tmp_path / "absent.duckdb"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert "make data" in at.error[0].value and "introuvable" in at.error[0].value


def test_corrupt_database_shows_the_rebuild_command(tmp_path, monkeypatch):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"\x00garbage" * 4096)
    monkeypatch.setenv("OBS_DB", str(bad))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert "corrompue" in at.error[0].value


def test_evolutions_index_mode_is_100_at_the_base_year():
    at = open_page("evolutions", t="COM:12202", i="population", mode="indice", base="2013", ref="0")
    assert not at.exception
    table = at.dataframe[0].value
    assert table.loc["Rodez (12)", "2013"] == "100,0"
    growth = at.dataframe[1].value
    assert growth["Période"].iloc[0] == "2006–2023"


def test_evolutions_moving_average_and_programme_line():
    at = open_page("evolutions", t="DEP:12", i="net_migration", mode="mm3", g="acv", ref="0")
    assert not at.exception
    table = at.dataframe[0].value
    assert "2012" not in table.columns and "2014" in table.columns  # a 3-year window starts in 2014
    assert at.selectbox(key="w_g").value == "acv"


def _start_lines(at) -> list[str]:
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [a["text"] for a in figure["layout"].get("annotations", []) if a.get("text", "").startswith("Début")]


def test_evolutions_draws_a_programme_start_only_for_territories_of_the_programme():
    at = open_page("evolutions", t="COM:23008", i="population", g="cci-midi-pyrenees")  # Aubusson, after Comparer
    assert not at.exception and _start_lines(at) == []
    assert any("Repère non tracé : aucun des territoires affichés" in c.value for c in at.caption)
    at = open_page("evolutions", t="COM:09225", i="population", g="cci-midi-pyrenees")  # Pamiers, a pilot site
    assert len(_start_lines(at)) == 1 and "(2016)" in _start_lines(at)[0]
    assert open_page("evolutions", t="COM:09225", i="population").selectbox(key="w_g").value == ""  # « aucun » by default


def test_evolutions_profile_key_figures_with_references():
    at = open_page("evolutions", t="COM:12202", vue="profil")
    assert not at.exception
    figures = at.dataframe[0].value.set_index("Indicateur")
    assert list(figures.columns) == ["Période", "Rodez (12)", "Aveyron (12)", "Occitanie", "France"]
    assert figures.loc["Niveau de vie médian (€ par an et par unité de consommation)", "Aveyron (12)"] == \
        "donnée non disponible"


def test_comparison_group_is_editable_from_the_url():
    def compared(at) -> list[str]:
        table = next(d.value for d in at.dataframe if "Apparié à" in getattr(d.value, "data", d.value).columns)
        return list(dict.fromkeys(getattr(table, "data", table)["Code"]))

    at = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="births", kc="1")
    assert not at.exception
    first = compared(at)
    assert 5 <= len(first) <= 8 and not at.multiselect(key="w_sans").value  # one match per member, some shared
    gone = first[0]
    at2 = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="births", kc="1", sans=gone)
    assert at2.multiselect(key="w_sans").value == [gone]
    assert gone not in compared(at2) and len(compared(at2)) >= len(first) - 1  # the next nearest took its place
    # a town of another programme (Albi, Action Cœur de Ville) is out of the pool unless put back by hand;
    # one that shares ground with a member (Villefranche-de-Rouergue) cannot be put back
    at3 = open_page("comparer", g="cci-midi-pyrenees", vue="effet", ie="births", kc="1", avec="COM:81004,COM:12300")
    assert not at3.exception and at3.multiselect(key="w_avec").value == ["COM:81004"]


def test_import_flow_validates_then_writes_and_the_indicator_appears(tmp_path, monkeypatch):
    import shutil

    from indicators import store
    from indicators.paths import db_path

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), copy)
    monkeypatch.setenv("OBS_DB", str(copy))
    at = open_page("donnees")
    at.file_uploader[0].set_value(("ouvertures.csv", "territoire;année;valeur\n09225;2022;12\nRevel;2022;4\n09122;2022;x\n"
                                   .encode(), "text/csv"))
    at.run()
    at.text_input(key="w_imp_label").input("Ouvertures de commerces")
    at.text_input(key="w_imp_unit").input("ouvertures")
    at.text_input(key="w_imp_source").input("CCI Ariège, synthétique de test")
    at.run()
    assert not at.exception
    report = at.dataframe[1].value
    assert set(report["Problème"]) >= {"valeur non numérique"}
    assert any(p.startswith("nom ambigu") for p in report["Problème"])
    assert at.button(key="w_imp_go").disabled
    revel = at.selectbox(key="w_pick_0")
    assert revel.label.replace("\\", "").startswith("« Revel » désigne plusieurs territoires")
    revel.set_value("COM:31451")  # Revel (31)
    at.button(key="FormSubmitter:w_imp_pickers-Retenir ces territoires").click().run()
    at.file_uploader[0].set_value(("ouvertures.csv", "territoire;année;valeur\n09225;2022;12\nRevel;2022;4\n"
                                   .encode(), "text/csv"))
    at.run()
    assert not at.button(key="w_imp_go").disabled
    at.button(key="w_imp_go").click().run()
    assert not at.exception
    assert "Import enregistré : 2 valeurs" in at.success[0].value
    said = " ".join(i.value for i in at.info)
    assert "déjà été importé" not in said  # the written file has left the page
    c = store.connect_readonly(copy)
    assert sorted(c.execute("SELECT territory FROM observation WHERE indicator = 'user_ouvertures_de_commerces'")
                  .fetchall()) == [("COM:09225",), ("COM:31451",)]
    carte = open_page("carte", niveau="COM", dans="DEP:09", i="user_ouvertures_de_commerces")
    assert not carte.exception
    table = carte.dataframe[0].value
    assert table.iloc[0, 1] == "Pamiers (09)" and table.iloc[0, 2] == 12
    absent = table.iloc[:, 2] == widgets.ABSENT  # drawn « donnée non disponible » (Streamlit would say « None »)
    assert absent.sum() == len(table) - 1 and not (table.iloc[:, 2] == 0).any()
    shown = carte.dataframe[0].proto.arrow_data.styler.display_values  # the table as drawn (Arrow bytes)
    assert "donnée non disponible".encode() in shown and b"None" not in shown


def test_carte_legend_counts_every_territory_and_the_missing():
    at = open_page("carte", niveau="DEP", i="business_creation_rate", p="2019", methode="quantiles", k="4")
    assert not at.exception
    legend = next(m.value for m in at.markdown if m.value.startswith("**Légende**"))
    counts = [int(x.replace("\u202f", "")) for x in re.findall(r'color:#555">([\d\u202f]+)</span>', legend)]
    assert sum(counts[:-1]) == 96 and counts[-1] == 5 and len(counts) == 5


def test_carte_group_as_extent_classes_and_ranks_only_its_members():
    from indicators import store, territories

    con = store.connect_readonly()
    members = territories.codes_at_level(con, territories.group_members(con, "cci-midi-pyrenees")["code"].tolist(),
                                         "DEP")
    at = open_page("carte", niveau="DEP", i="population", p="2021", g="cci-midi-pyrenees", groupe_seul="1")
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == len(members) == 6 and set(table["Rang"].astype(int)) == set(range(1, 7))
    legend = next(m.value for m in at.markdown if m.value.startswith("**Légende**"))
    counts = [int(x.replace("\u202f", "")) for x in re.findall(r'color:#555">([\d\u202f]+)</span>', legend)]
    assert sum(counts[:5]) == 6  # five classes over the six départements of the pilot sites
    assert "contour : Sites pilotes" in legend and counts[-1] == 6
    assert at.query_params["groupe_seul"] in ("1", ["1"])


def test_carte_card_of_a_selected_commune():
    at = open_page("carte", niveau="COM", dans="DEP:09", i="population", p="2023", sel="COM:09225")
    assert not at.exception
    assert any(m.value == r"#### Pamiers \(09\)" for m in at.markdown)
    figure = next(m.value for m in at.markdown if m.value.startswith("**Population municipale**"))
    assert figure == "**Population municipale** (2023)  \n### 15\u202f744  \nhabitants" or "### " in figure, figure
    assert any("1er / 325 dans le département" in c.value for c in at.caption)


def test_carte_card_says_a_small_count_and_leaves_it_out_of_the_ranks():
    at = open_page("carte", niveau="COM", dans="DEP:09", i="net_migration_rate", p="2013-2018", sel="COM:09001")
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Effectif faible : n = 53 (moins de 500 habitants)") and "hors des rangs" in c
               for c in captions), captions
    assert not any("dans le département" in c for c in captions)
    table = at.dataframe[0].value
    row = table.set_index("Territoire").loc["Aigues-Juntes (09)"]
    assert row["Effectif faible"] == "oui" and row["Rang"] == widgets.ABSENT  # drawn « – »
    assert table["Rang"].max() == 68  # the 68 communes of Ariège with 500 inhabitants or more
    legend = next(m.value for m in at.markdown if m.value.startswith("**Légende**"))
    assert "effectif faible (moins de 500 habitants)" in legend
    at.toggle(key="w_petits").set_value(True).run()
    assert at.query_params["petits"] == "1" and at.dataframe[0].value["Rang"].max() <= 325


def test_carte_search_selects_a_territory():
    at = open_page("carte", niveau="COM", dans="DEP:09", i="population", p="2023")
    at.text_input(key="w_sel_search").input("foix").run()  # Enter: the best match is chosen at once
    assert at.query_params["sel"] == "COM:09122"
    at.button(key="w_hit_COM:09122").click().run()
    assert not at.exception
    assert at.query_params["sel"] == "COM:09122"
    assert any(m.value == r"#### Foix \(09\)" for m in at.markdown)


def test_carte_years_compared_share_the_classes_of_all_years():
    at = open_page("carte", niveau="DEP", i="population", p="2023", methode="quantiles", k="3")
    legend = lambda: next(m.value for m in at.markdown if m.value.startswith("**Légende**"))  # noqa: E731
    alone = legend()
    at.multiselect(key="w_annees").select("2006").run()
    assert not at.exception
    assert at.query_params["annees"] == "2006"
    # Quantiles over 2006 and 2023 pooled differ from 2023's alone, already in the run that adds 2006.
    assert legend() != alone and any(m.value == "**2006**" for m in at.markdown)


def test_carte_exports_the_map_as_an_image_with_its_legend():
    at = open_page("carte", niveau="DEP", i="net_migration_rate", p="2020", methode="quantiles", k="5", g="cci-midi-pyrenees")
    at.button(key="carte_DEP_net_migration_rate_render").click().run()
    assert not at.exception
    spec, png, svg = at.session_state["img_carte_DEP_net_migration_rate"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and spec.title == "Taux de nouveaux résidents, 2020"
    text = svg.decode()
    assert "donnée non disponible (5)" in text and "contour : Sites pilotes" in text
    assert "niveau=DEP" in spec.permalink and "g=cci-midi-pyrenees" in spec.permalink


def test_carte_diverging_palette_around_a_typed_value_is_in_the_link():
    at = open_page("carte", niveau="DEP", i="net_migration_rate", p="2020", palette="div", centre="val", refval="5")
    assert not at.exception
    assert at.number_input(key="w_refval").value == 5.0
    assert at.query_params["refval"] == "5"
    legend = next(m.value for m in at.markdown if m.value.startswith("**Légende**"))
    assert "#f7f7f7" in legend  # the class holding 5 ‰ is the neutral middle of the palette
    assert any("Référence : 5,00" in c.value for c in at.caption)


def test_carte_manual_breaks_that_are_not_numbers_are_named():
    at = open_page("carte", niveau="DEP", i="population", p="2023", methode="manuel", bornes="500000;abc;1000000")
    assert not at.exception
    assert "abc" in at.warning[0].value
    legend = next(m.value for m in at.markdown if m.value.startswith("**Légende**"))
    assert "plus de 500\u202f000 à 1\u202f000\u202f000" in legend


def test_carte_extent_without_territories_of_the_level_says_so():
    at = open_page("carte", niveau="REG", dans="DEP:09", i="population", p="2023")
    assert not at.exception
    assert "Aucun territoire du niveau « Région » dans l'emprise « Ariège \\(09\\) »" in all_text(at)  # markdown-escaped


def test_completing_an_existing_indicator_from_the_page(tmp_path, monkeypatch):
    import shutil

    from indicators import store
    from indicators.paths import db_path

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), copy)
    monkeypatch.setenv("OBS_DB", str(copy))
    at = open_page("donnees")
    at.file_uploader[0].set_value(("pop_2024.csv", "territoire;année;valeur\n09225;2024;15\u202f800\n".encode(), "text/csv"))
    at.run()
    at.radio(key="w_imp_mode").set_value("Compléter un indicateur existant").run()
    at.selectbox(key="w_imp_known").set_value("population").run()
    assert not at.exception
    assert not at.button(key="w_imp_go").disabled
    at.button(key="w_imp_go").click().run()
    assert not at.exception
    assert "Import enregistré : 1 valeurs" in at.success[0].value
    assert store.connect_readonly(copy).execute(
        "SELECT value FROM observation WHERE territory = 'COM:09225' AND indicator = 'population' AND year = 2024"
    ).fetchall() == [(15800.0,)]
    # The same file again: « déjà importé », with its date and name, no internal number.
    at.file_uploader[0].set_value(("pop_2024_bis.csv", "territoire;année;valeur\n09225;2024;15\u202f800\n".encode(),
                                   "text/csv"))
    at.run()
    assert any(i.value.startswith("Ce fichier a déjà été importé le ") and "pop\\_2024\\.csv" in i.value
               for i in at.info), [i.value for i in at.info]


def test_an_over_limit_upload_is_refused_in_french(monkeypatch):
    monkeypatch.setenv("OBS_MAX_UPLOAD_MB", "0.001")
    at = open_page("donnees")
    at.file_uploader[0].set_value(("gros.csv", b"territoire;annee;valeur\n" + b"09225;2021;1\n" * 200, "text/csv"))
    at.run()
    assert at.error[0].value == ("Fichier trop volumineux (0,003 Mo) : la limite est de 0,001 Mo "
                                 "(réglage OBS_MAX_UPLOAD_MB).")
    assert at.file_uploader[0].proto.max_upload_size_mb == 50  # the widget lets it through for a French refusal


@pytest.mark.parametrize("query", ["st girons", "St-Girons", "saint girons", "ST GIRONS"])
def test_search_spells_out_abbreviations(query):
    from indicators import store, territories

    hits = territories.search(store.connect_readonly(), query, levels=("COM",))
    assert hits["label"].iloc[0] == "Saint-Girons (09)"


def test_an_import_undone_from_the_page_is_gone_and_the_log_says_so(tmp_path, monkeypatch):
    import shutil

    from indicators import ingest, store
    from indicators.paths import db_path

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), copy)
    monkeypatch.setenv("OBS_DB", str(copy))
    decl = ingest.Declaration(id="user_test", label="Test", unit="u", source="Test synthétique", is_new=True)
    data = b"territoire;annee;valeur\n09225;2022;3\n"
    ingest.write(ingest.validate(store.connect_readonly(copy), ingest.load(data, "t.csv"), decl), decl, path=copy)
    at = open_page("donnees")
    assert len(at.dataframe[0].value) == 1  # the import log
    assert at.selectbox(key="w_undo_id").format_func(1).startswith("n° 1 — t.csv, ")
    assert at.button(key="w_undo").disabled  # nothing undone without a confirmation
    at.checkbox(key="w_undo_sure").check().run()
    at.button(key="w_undo").click().run()
    assert not at.exception
    assert at.success[0].value == "Import n° 1 annulé : 1 valeurs retirées."
    assert any(i.value.startswith("Aucun import pour l'instant") for i in at.info)  # the log refreshed
    assert store.connect_readonly(copy).execute("SELECT count(*) FROM indicator WHERE id = 'user_test'").fetchall() == [(0,)]


def test_followed_territories_are_carried_from_page_to_page():
    at = open_page("evolutions", t="COM:12202,COM:09225", i="population")
    at.switch_page("app_pages/comparer.py")
    at.run()
    assert not at.exception
    kept = at.multiselect(key="w_t_COM:12202,COM:09225").value
    assert kept == ["COM:12202", "COM:09225"]
    at.switch_page("app_pages/carte.py")
    at.query_params["k"] = "20"  # Comparer's neighbours count must not break the map's classes (3 to 9)
    at.run()
    assert not at.exception and at.number_input(key="w_k").value == 9


def test_the_declaration_survives_a_corrected_re_upload():
    at = open_page("donnees")
    at.file_uploader[0].set_value(("v1.csv", b"territoire;annee;valeur\n09225;2022;x\n", "text/csv"))
    at.run()
    at.text_input(key="w_imp_label").input("Ouvertures de commerces")
    at.text_input(key="w_imp_unit").input("ouvertures")
    at.run()
    at.file_uploader[0].set_value(None)  # the user removes the faulty file…
    at.run()
    at.file_uploader[0].set_value(("v2.csv", b"territoire;annee;valeur\n09225;2022;3\n", "text/csv"))  # …and sends it again
    at.run()
    assert not at.exception
    assert at.text_input(key="w_imp_label").value == "Ouvertures de commerces"
    assert at.text_input(key="w_imp_unit").value == "ouvertures"


def test_terrain_shows_the_installations_of_fos_sur_mer_epci_from_the_link():
    at = open_page("terrain", t="COM:13039,EPCI:200054807", lieu="EPCI:200054807", annee="2020")
    assert not at.exception
    assert at.selectbox(key="w_lieu").value == "EPCI:200054807" and at.selectbox(key="w_annee_ets").value == 2020
    table = at.dataframe[0].value
    table = getattr(table, "data", table)
    assert len(table) == 56 and table["Installation"].iloc[0] == "ARCELORMITTAL MEDITERRANEE"
    assert table["Commune"].iloc[0] == "Fos-sur-Mer (13)"
    said = all_text(at).replace("\\", "")
    assert "56 installations soumises aux quotas" in said and "Sans fond de carte" in said
    assert [b.label for b in at.get("download_button")] == ["Exporter les points (CSV)", "Exporter les points (GeoJSON)"]


def test_terrain_finds_any_territory_by_name_not_only_those_followed():
    at = open_page("terrain", t="COM:09225")
    at.text_input(key="w_terrain_find").input("Marseille").run()
    hit = at.button(key="w_terrain_find_COM:13055")
    assert hit.label == "Marseille (13) · Commune"
    hit.click().run()
    assert not at.exception
    assert at.query_params["lieu"] == "COM:13055" and at.selectbox(key="w_lieu").value == "COM:13055"
    assert "COM:13055" not in at.query_params["t"]  # found, not added to the followed territories


def test_terrain_opened_on_a_territory_nobody_follows():
    at = open_page("terrain", lieu="EPCI:200054807")
    assert not at.exception and at.selectbox(key="w_lieu").value == "EPCI:200054807"


def test_terrain_for_a_commune_without_installation_says_so():
    at = open_page("terrain", t="COM:09225")
    assert not at.exception
    assert any("Aucune installation soumise aux quotas" in i.value for i in at.info)


def test_carte_of_zones_d_emploi_keeps_a_cross_border_zone_and_ranks_it_in_its_region_only():
    at = open_page("carte", niveau="ZE", dans="REG:76", i="net_migration_rate", p="2013-2019", sel="ZE:7612")
    assert not at.exception
    captions = [c.value for c in at.caption]
    ranks = next(c for c in captions if "dans la région" in c)
    assert "dans le département" not in ranks and " en France" in ranks
    assert any(c.startswith("27 territoires avec une valeur") for c in captions)  # 2 zones centred outside, kept whole


def test_exporter_prints_the_command_line_of_the_pack_chosen():
    tracked = open_page("exporter", t="ZE:7612,COM:09225", ip="population", de="2012", a="2021")
    said = " ".join(c.value for c in tracked.caption)
    assert "--territories ZE:7612,COM:09225 --indicators population --from 2012 --to 2021" in said
    group = open_page("exporter", gp="cci-midi-pyrenees", ip="births")
    assert "--group cci-midi-pyrenees --indicators births" in " ".join(c.value for c in group.caption)


def test_a_damaged_base_on_a_public_instance_does_not_show_the_server_s_path(tmp_path, monkeypatch):
    """Editors get the file and the command; anonymous visitors of a public instance neither."""
    bad = tmp_path / "chemin_secret" / "bad.duckdb"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00garbage" * 4096)
    monkeypatch.setenv("OBS_DB", str(bad))
    monkeypatch.setenv("OBS_MODE", "public")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    said = " ".join(e.value for e in at.error) + " ".join(c.value for c in at.code)
    assert "momentanément indisponibles" in said and "chemin_secret" not in said and "make data" not in said


def test_the_contents_of_the_base_read_as_a_person_would():
    """Données › Contenu de la base: one year said once (« 2018 », not « 2018–2018 »), no technical id column."""
    at = open_page("donnees")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Indicateur" in getattr(d.value, "columns", []))
    assert "2018–2018" not in set(table["années"]) and "2018" in set(table["années"])
    assert table.index.name is None and "births" not in set(map(str, table.index))
