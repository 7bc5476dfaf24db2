"""Terrain's library: installations of a territory, popups escaped, the map served offline."""
from __future__ import annotations

import pytest

from indicators import terrain, terrain_map

FOS_EPCI = "EPCI:200054807"  # Métropole d'Aix-Marseille-Provence, home of Fos-sur-Mer's plants


def test_installations_of_fos_sur_mer_epci_with_shares_of_the_territory_total(con):
    plants = terrain.installations(con, terrain.communes_of(con, FOS_EPCI), 2020)
    assert len(plants) == 56
    top = plants.iloc[0]
    assert top["name"] == "ARCELORMITTAL MEDITERRANEE" and top["commune"] == "COM:13039" and top["sector"] == "Metallurgie"
    assert plants["share"].sum() == pytest.approx(100.0)
    # The commune's own ETS total in the base equals the sum of its installations that year.
    fos = plants[plants["commune"] == "COM:13039"]["emissions"].sum()
    stored = con.execute("SELECT value FROM observation WHERE territory = 'COM:13039' AND indicator = 'co2_ets' "
                         "AND year = 2020").fetchone()[0]
    assert fos == pytest.approx(stored)


def test_a_commune_without_installation_has_an_empty_table_not_zeros(con):
    assert terrain.installations(con, ["COM:09225"], 2020).empty  # Pamiers


def test_popup_text_is_escaped():
    import pandas as pd

    row = pd.Series({"name": "<img src=x onerror=alert(1)>", "operator": "A & B", "sector": "Papier", "share": 12.5})
    text = terrain_map.popup_html(row, pd.DataFrame({"year": [2020], "emissions": [1234.0]}), 2020)
    assert "<img" not in text and "&lt;img" in text and "A &amp; B" in text and "12,5 %" in text


def test_the_map_loads_leaflet_from_the_app_and_no_tiles_unless_configured(con, monkeypatch):
    monkeypatch.delenv("OBS_TILES", raising=False)
    m, plants = terrain_map.build_map(con, FOS_EPCI, 2020)
    page = m.get_root().render()
    assert "/app/static/vendor/leaflet-1.9.4/leaflet.js" in page
    assert "cdn" not in page.lower() and "tile.openstreetmap" not in page and "$(" not in page
    assert page.count("L.circleMarker(") == len(plants) == 56
    monkeypatch.setenv("OBS_TILES", "https://tiles.example/{z}/{x}/{y}.png|© Exemple")
    assert terrain_map.tiles() == ("https://tiles.example/{z}/{x}/{y}.png", "© Exemple")
    assert "tiles.example" in terrain_map.build_map(con, "COM:13039", 2020)[0].get_root().render()


@pytest.mark.parametrize("lon_span,lat_span,lat", [(1.0, 0.55, 43.5), (10.0, 9.0, 46.5), (0.05, 0.04, 45.0)])
def test_zoom_fits_the_territory_and_not_more(lon_span, lat_span, lat):
    import math

    z = terrain_map.view_zoom(lon_span, lat_span, lat)
    pixels = lambda zoom: (256 * 2 ** zoom * lon_span / 360,  # noqa: E731
                           256 * 2 ** zoom * lat_span / math.cos(math.radians(lat)) / 360)
    w, h = pixels(z)
    assert w <= 900 and h <= 540  # fits
    w, h = pixels(z + 0.5)
    assert w > 900 or h > 540  # half a zoom more would not


def test_thousands_of_points_go_as_one_clustered_layer_with_escaped_labels(con):
    import pandas as pd

    points = pd.DataFrame({"lat": [43.43, 43.44], "lon": [4.94, 4.95],  # SYNTHETIC points
                           "label": ["<b>Ouverture</b>", None], "category": ["Ouverture", "Fermeture"]})
    page = terrain_map.build_map(con, "COM:13039", 2020, cluster_points=points)[0].get_root().render()
    assert "/app/static/vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js" in page
    assert "L.markerClusterGroup" in page and "<b>Ouverture" not in page
    assert "\\u0026lt;b\\u0026gt;Ouverture" in page  # escaped for HTML, then for the JS string
    assert "cdnjs" not in page
    # one shape per category (name order: Fermeture ■, Ouverture ▲), none of them a circle
    assert '[43.43, 4.94, "\\u0026lt;b\\u0026gt;Ouverture\\u0026lt;/b\\u0026gt;", 1]' in page, page[-3000:]
    assert "L.circleMarker([p[0], p[1]]" not in page
