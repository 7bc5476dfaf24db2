"""What a person sees in Chromium: each page, the map, the pilot sites, a download, and no exception."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

TIMEOUT = 45_000


MAP_IFRAME = "iframe[title='ui.mapview.carte_territoires']"


def wait_map(page):
    page.wait_for_function(f"() => {{ const f = document.querySelector(\"{MAP_IFRAME}\"); "
                           "return f && f.contentWindow.__map && f.contentWindow.__map.ready; }", timeout=TIMEOUT)
    return page.frame_locator(MAP_IFRAME).first


def chart_titles(page) -> list[str]:
    """Each chart's title as plotly holds it (its lines joined; on screen a title wraps to a phone's width)."""
    return page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(g => ((g.layout.title || {})"
                         ".text || '').replace(/<br>/g, ' ').replace(/<[^>]+>/g, '').toLowerCase())")


def open_view(page, path: str) -> None:
    page.goto(f"{page.base}/{path}")
    expect(page.locator("[data-testid='stMainBlockContainer'] h1").first).to_be_visible(timeout=TIMEOUT)
    # Streamlit shows a running indicator while the script runs; wait until it is gone.
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert page.external_requests == []


@pytest.mark.parametrize("path,title", [
    ("", "Observatoire de l'attractivité des territoires"),
    ("carte", "Carte"),
    ("evolutions", "Évolutions"),
    ("comparer", "Comparer"),
    ("terrain", "Terrain"),
    ("exporter", "Exporter"),
    ("donnees", "Données"),
    ("methodes", "Méthodes"),
])
def test_each_page_opens_by_its_link(page, path, title):
    open_view(page, path)
    expect(page.locator("h1").first).to_have_text(title)
    assert_no_exception(page)


def test_map_draws_departements_offline_and_counts_missing(page):
    open_view(page, "carte?niveau=DEP&i=net_migration_rate&p=2020")
    wait_map(page)
    inner = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    assert inner.evaluate("() => window.__map.drawn()") == 101
    expect(page.get_by_text(re.compile(r"96 territoires avec une valeur ; 5 en"))).to_be_visible()
    assert_no_exception(page)


def test_changing_the_level_redraws_and_updates_the_url(page):
    open_view(page, "carte?niveau=DEP&i=population&p=2023")
    page.get_by_role("combobox", name=re.compile("Niveau")).click()
    page.get_by_role("option", name="Région").click()
    expect(page.get_by_text(re.compile(r"^18 territoires avec une valeur"))).to_be_visible(timeout=TIMEOUT)
    assert "niveau=REG" in page.url
    assert_no_exception(page)


def test_comparer_shows_the_eight_pilot_sites_from_a_link(page):
    open_view(page, "comparer?g=cci-midi-pyrenees&i=net_migration_rate&p=2013-2018")
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=TIMEOUT)
    labels = chart.locator(".ytick text").all_text_contents()
    assert len(labels) == 8
    assert {"Revel (31)", "Lourdes (65)", "Foix (09)"} <= set(labels)
    assert_no_exception(page)


def test_evolutions_link_restores_the_territories(page):
    open_view(page, "evolutions?t=COM:12202,COM:09225&i=population")
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("Rodez (12)")).to_be_visible(timeout=TIMEOUT)
    expect(sidebar.get_by_text("Pamiers (09)")).to_be_visible()
    assert_no_exception(page)


def test_csv_download_is_a_french_file_with_the_values(page):
    open_view(page, "exporter?t=COM:75056&i=population")
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="Télécharger le CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("code;territoire;")
    assert "COM:75056;Paris (75);population;Population municipale;2006;2006;2006;2181374;habitants;valeurs;" in text


def test_comparer_programme_evaluation_from_its_permalink(page):
    open_view(page, "comparer?g=cci-midi-pyrenees&vue=effet&indicateur_effet=births")
    expect(page.get_by_text(re.compile("^Ce que l'on peut dire$"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("^Ce que l'on ne peut pas dire$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Début retenu : 2016, année supposée"))).to_be_visible()
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=TIMEOUT)
    legend = chart.locator(".legendtext").all_text_contents()
    assert {"Territoires de comparaison (corrigés)", "Comparaison synthétique"} <= set(legend)
    assert any(t.startswith("Sites pilotes") for t in legend)
    titles = chart_titles(page)
    assert any("étude d'événement" in t for t in titles)
    assert any("parmi des groupes tirés au hasard" in t for t in titles)
    event = page.locator(".js-plotly-plot").nth(next(i for i, t in enumerate(titles) if "étude d'événement" in t))
    assert event.locator(".errorbar").count() >= 10  # the regression's intervals are drawn
    histogram = page.locator(".js-plotly-plot").nth(next(i for i, t in enumerate(titles) if "tirés au hasard" in t))
    assert histogram.locator(".bars path").count() >= 10  # the placebo distribution is drawn
    expect(histogram.get_by_text(re.compile("Groupe du programme"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Différence de différences$")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Un effet de moins de ±\d"))).to_be_visible()
    # the answer is the first thing read, above the settings (on a phone too)
    answer = page.locator("[data-testid='stAlert']").first
    settings = page.get_by_text(re.compile("^Réglages de la comparaison"))
    assert answer.bounding_box()["y"] < settings.bounding_box()["y"]
    assert_no_exception(page)


def test_new_residents_of_the_pilot_sites_before_and_after_in_census_spans(page):
    open_view(page, "comparer?g=cci-midi-pyrenees&vue=effet&indicateur_effet=net_migration_rate")
    expect(page.get_by_text(re.compile(r"2008–2013 face à 2013–2019"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"Le début \(2016\) tombe dans la période 2013–2019 : seule une part \(50 %\)"))
           ).to_be_visible()
    assert_no_exception(page)


def test_upload_a_file_and_see_its_indicator_on_the_map(page):
    open_view(page, "donnees")
    page.locator("input[type='file']").first.set_input_files(files=[{
        "name": "participation.csv", "mimeType": "text/csv",
        "buffer": "territoire;année;valeur\n09225;2023;340\n09122;2023;210\n".encode()}])
    page.get_by_label("Libellé", exact=True).fill("Participation aux ateliers")
    page.get_by_label("Unité").fill("participants")
    page.get_by_label("Source (producteur, jeu de données)").fill("Test navigateur (synthétique)")
    page.get_by_label("Source (producteur, jeu de données)").press("Enter")
    expect(page.get_by_text(re.compile(r"2 valeurs prêtes, 0 problème"))).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text(re.compile(r"Import enregistré : 2 valeurs"))).to_be_visible(timeout=TIMEOUT)
    open_view(page, "carte?niveau=COM&dans=DEP:09&i=user_participation_aux_ateliers&p=2023")
    expect(page.get_by_text(re.compile(r"^2 territoires avec une valeur"))).to_be_visible(timeout=TIMEOUT)
    wait_map(page)
    assert_no_exception(page)


def test_png_of_a_chart_downloads_as_an_image(page):
    open_view(page, "exporter?t=COM:12202&i=population")
    page.get_by_role("button", name=re.compile("Exporter ce graphique")).first.click()
    page.get_by_role("button", name="Préparer PNG et SVG").click()
    button = page.get_by_role("button", name="PNG", exact=True)
    for _ in range(3):  # the rerun after rendering may close the popover: reopen it if so
        try:
            expect(button).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            page.get_by_role("button", name=re.compile("Exporter ce graphique")).first.click()
    expect(button).to_be_visible()
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    data = Path(info.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_review_pack_zip_downloads(page):
    open_view(page, "exporter?groupe_dossier=cci-midi-pyrenees&indicateurs_dossier=population,vacancy_rate")
    page.get_by_role("button", name="Préparer le dossier (ZIP et PDF)").click()
    button = page.get_by_role("button", name="Télécharger le ZIP")
    expect(button).to_be_visible(timeout=90_000)
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    import zipfile
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert "metadata.json" in names and "01_population/graphique.png" in names


def test_national_commune_map_draws_every_commune_offline(page):
    open_view(page, "carte?niveau=COM&dans=FR&i=population&p=2023")
    frame = wait_map(page)
    handle = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    assert handle.evaluate("() => window.__map.drawn()") == 34857  # every commune with a non-empty boundary
    expect(page.get_by_text(re.compile(r"112 sans contour dans la source cartographique"))).to_be_visible()
    inked = handle.evaluate("""() => { const c = document.getElementById('map');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) n++; return n; }""")
    assert inked > 10_000
    expect(frame.locator("#status")).to_have_text("")
    assert_no_exception(page)


def test_click_a_commune_opens_its_card(page):
    open_view(page, "carte?niveau=COM&dans=DEP:09&i=population&p=2023")
    frame = wait_map(page)
    inner = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    x, y = inner.evaluate("() => window.__map.locate('COM:09225')")
    frame.locator("#map").hover(position={"x": x, "y": y})
    expect(frame.locator("#tip")).to_contain_text("Pamiers (09)", timeout=TIMEOUT)
    expect(frame.locator("#tip")).to_contain_text("habitants")
    frame.locator("#map").click(position={"x": x, "y": y})
    expect(page.get_by_role("heading", name="Pamiers (09)")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="16\u202f473")).to_be_visible()
    assert "sel=COM%3A09225" in page.url or "sel=COM:09225" in page.url
    # A later choice from the search box wins over the earlier click (the map's value is not replayed).
    page.get_by_placeholder("Nom ou code, puis Entrée", exact=True).fill("foix")
    page.get_by_placeholder("Nom ou code, puis Entrée", exact=True).press("Enter")
    page.get_by_role("button", name="Foix (09)").click()
    expect(page.get_by_role("heading", name="Foix (09)")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Foix (09)")).to_be_visible()
    assert "sel=COM%3A09122" in page.url or "sel=COM:09122" in page.url
    assert_no_exception(page)


def test_changing_the_class_method_changes_the_legend(page):
    open_view(page, "carte?niveau=DEP&i=population&p=2023&methode=quantiles&k=5")
    wait_map(page)
    legend = page.locator("[data-testid='stMarkdownContainer']", has_text="Légende").first
    before = legend.inner_text()
    page.get_by_role("combobox", name=re.compile("Classes")).click()
    page.get_by_role("option", name="Intervalles égaux").click()
    expect(legend).not_to_have_text(before, timeout=TIMEOUT)
    expect(page).to_have_url(re.compile("methode=egal"))
    assert_no_exception(page)


def test_a_group_outline_stays_inside_the_emprise(page):
    open_view(page, "carte?niveau=COM&dans=DEP:09&i=population&p=2023&g=cci-midi-pyrenees")
    wait_map(page)
    inner = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    # Pamiers and Foix are the pilot sites in Ariège; Rodez, Revel… lie outside it and are not drawn.
    outlined = inner.evaluate("() => window.__map.outlined()")
    assert sorted(outlined) == ["COM:09122", "COM:09225"]
    assert_no_exception(page)


FOLIUM = "iframe[title='streamlit_folium.st_folium']"


def test_terrain_of_fos_sur_mer_epci_circles_and_a_popup_offline(page):
    open_view(page, "terrain?t=COM:13039,EPCI:200054807&lieu=EPCI:200054807&annee=2020")
    frame = page.frame_locator(FOLIUM).first
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=TIMEOUT)
    inner = page.locator(FOLIUM).first.element_handle().content_frame()
    inner.wait_for_function("() => { let n = 0; for (const k in window) { const v = window[k];"
                            " if (v && v instanceof window.L.CircleMarker) n++; } return n === 56; }", timeout=TIMEOUT)
    # Open the largest circle's popup as a click would (canvas markers have no DOM node of their own).
    inner.evaluate("""() => { let best = null;
        for (const k in window) { const v = window[k];
            if (v && v instanceof window.L.CircleMarker && (!best || v.getRadius() > best.getRadius())) best = v; }
        best.fire('click', {latlng: best.getLatLng()}); best.openPopup(); }""")
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("ARCELORMITTAL MEDITERRANEE", timeout=TIMEOUT)
    expect(popup).to_contain_text("Secteur : Metallurgie")
    expect(popup).to_contain_text(re.compile(r"2020\s*5\u202f802\u202f\d{3} t"))
    # The click came back to the page: the installation's series is drawn under the map.
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g.layout && "
                           "g.layout.title.text.replace(/<br>/g, ' ').includes('ARCELORMITTAL MEDITERRANEE : émissions "
                           "vérifiées'))", timeout=TIMEOUT)
    assert_no_exception(page)


def test_import_points_then_see_their_clusters_on_terrain_and_their_counts_on_the_map(page):
    from tests.unit.test_points import SHOPS

    open_view(page, "donnees")
    page.locator("input[type='file']").nth(1).set_input_files(files=[{
        "name": "commerces_navigateur.csv", "mimeType": "text/csv", "buffer": SHOPS}])
    expect(page.get_by_text(re.compile(r"4 points lus, 4 placés dans une commune ; 0 problème"))).to_be_visible(
        timeout=TIMEOUT)
    page.get_by_label("Nom de la couche (devient le nom des indicateurs)").fill("Commerces navigateur")
    page.get_by_label("Nom de la couche (devient le nom des indicateurs)").press("Enter")
    page.get_by_role("button", name="Importer les points").click()
    expect(page.get_by_text(re.compile(r"4 points importés : 2 catégorie\(s\) comptée\(s\)"))).to_be_visible(timeout=TIMEOUT)
    open_view(page, "terrain?t=COM:09122&lieu=COM:09122&annee=2022")
    frame = page.frame_locator(FOLIUM).first
    expect(frame.locator(".obs-cluster").first).to_contain_text("3", timeout=TIMEOUT)  # Foix's three points
    # Users' points are black shapes, one per category, never the installations' coloured circles.
    expect(page.get_by_text(re.compile(r"Vos points importés \(3, symboles noirs.*■ Fermeture de commerce : 1, "
                                       r"▲ Ouverture de commerce : 2"))).to_be_visible()
    inner = page.locator(FOLIUM).first.element_handle().content_frame()
    shapes = inner.evaluate("""() => { for (const k in window) { const v = window[k];
        if (v && v instanceof window.L.MarkerClusterGroup)
            return v.getLayers().map(m => m.options.icon.options.html.replace(/<[^>]+>/g, '')).sort(); } }""")
    assert shapes == ["■", "▲", "▲"], shapes  # Foix: one closing, two openings
    open_view(page, "carte?niveau=COM&dans=DEP:09&i=pts_commerces_navigateur_ouverture_de_commerce&p=2024")
    expect(page.get_by_text(re.compile(r"^1 territoires avec une valeur"))).to_be_visible(timeout=TIMEOUT)
    open_view(page, "carte?niveau=DEP&i=pts_commerces_navigateur_solde&p=2024")  # openings − closings, by sums
    expect(page.get_by_text(re.compile(r"^1 territoires avec une valeur"))).to_be_visible(timeout=TIMEOUT)
    wait_map(page)
    assert_no_exception(page)


def test_zones_d_emploi_of_a_departement_drawn_whole_and_a_commune_card_leads_to_its_zone(page):
    """Ariège's four zones d'emploi are drawn, Toulouse's included (most of its communes lie outside
    Ariège); Foix-Pamiers has its card; Pamiers' card names its zone d'emploi and opens it on Évolutions."""
    open_view(page, "carte?niveau=ZE&dans=DEP:09&i=population&p=2023")
    frame = wait_map(page)
    inner = page.locator(MAP_IFRAME).first.element_handle().content_frame()
    assert inner.evaluate("() => window.__map.drawn()") == 4
    assert inner.evaluate("() => window.__map.locate('ZE:7625')")  # Toulouse
    x, y = inner.evaluate("() => window.__map.locate('ZE:7612')")
    frame.locator("#map").hover(position={"x": x, "y": y})
    expect(frame.locator("#tip")).to_contain_text("Foix-Pamiers (zone d'emploi)", timeout=TIMEOUT)
    frame.locator("#map").click(position={"x": x, "y": y})
    expect(page.get_by_role("heading", name="Foix-Pamiers (zone d'emploi)")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Zone d'emploi 2020", exact=True).first).to_be_visible()
    open_view(page, "carte?niveau=COM&dans=DEP:09&i=population&p=2023&sel=COM:09225")
    expect(page.get_by_text("Unité urbaine : Pamiers")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("link", name=re.compile("Zone d'emploi : Foix-Pamiers")).click()
    expect(page.get_by_role("heading", name="Évolutions")).to_be_visible(timeout=TIMEOUT)
    expect(page).to_have_url(re.compile("ZE(%3A|:)7612"))
    # The zone is drawn as a reference beside the commune, named in the chart's legend.
    expect(page.locator(".legendtext", has_text="Foix-Pamiers (zone d'emploi)").first).to_be_visible(timeout=TIMEOUT)
    assert_no_exception(page)
