"""Baselines for `make bench`: the naive ways to draw a level's map in Streamlit (not used by the app).

`?renderer=plotly`: go.Choroplethmap with the GeoJSON inline in the figure.
`?renderer=folium`: folium GeoJson through st_folium, Leaflet served locally (tiles=None, offline).
"""
from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
from indicators import geo, store  # noqa: E402
from indicators.paths import SOURCES_DIR  # noqa: E402

st.set_page_config(layout="wide")
renderer = st.query_params.get("renderer", "plotly")
level = st.query_params.get("level", "COM")
indicator = st.query_params.get("i", "population")
within = st.query_params.get("dans") or None  # e.g. DEP:09: one département's communes


@lru_cache(maxsize=4)
def layer(level: str) -> dict:
    if level == "COM":
        shapes = geo.read_topojson(SOURCES_DIR / geo.COMMUNES)
        return geo.communes_layer(SOURCES_DIR, frozenset(f"COM:{c}" for c in shapes))
    return geo.layer(SOURCES_DIR, level)


con = store.connect_readonly()
values = store.level_values(con, indicator, level, 2018, 2018, within)
gj = layer(level)
if within:
    keep = set(values["code"])
    gj = {**gj, "features": [f for f in gj["features"] if f["id"] in keep]}
if renderer == "plotly":
    import plotly.graph_objects as go

    fig = go.Figure(go.Choroplethmap(geojson=gj, locations=values["code"], z=values["value"], featureidkey="id",
                                     marker_line_width=0))
    fig.update_layout(map={"style": "white-bg", "center": {"lat": 46.6, "lon": 2.4}, "zoom": 4.3}, height=620)
    st.plotly_chart(fig)
else:
    import folium
    from streamlit_folium import st_folium

    m = folium.Map(location=[46.6, 2.4], zoom_start=6, tiles=None)
    if within:
        m.fit_bounds(folium.GeoJson(gj).get_bounds())
    m.default_js = [("leaflet", "/app/static/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", "/app/static/leaflet/leaflet.css")]
    colour = dict(zip(values["code"], values["value"].rank(pct=True).fillna(0), strict=True))
    folium.GeoJson(json.loads(json.dumps(gj)), style_function=lambda f: {
        "fillColor": f"#{int(255 * (1 - colour.get(f['id'], 0))):02x}80c0", "weight": 0, "fillOpacity": 0.9}).add_to(m)
    st_folium(m, height=620, width=900, returned_objects=[])
st.caption(f"baseline {renderer} {level}")
