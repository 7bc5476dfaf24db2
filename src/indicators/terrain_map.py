"""The Terrain map: a territory's communes and the EU ETS installations inside, drawn with Leaflet
(folium) served from the app itself: no CDN, no tiles unless configured (`OBS_TILES`).

The national choropleth stays on the canvas component; this map is for a few hundred communes and
points, with popups and click-back."""
from __future__ import annotations

import html

import duckdb
import folium
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from . import geo, territories
from .format import fr_int, fr_number
from .paths import SOURCES_DIR
from . import terrain
from .terrain import OTHER_COLOUR, SECTOR_COLOURS, communes_of, emissions_of, installations

STATIC = "/app/static/vendor"
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet-1.9.4/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC}/leaflet-1.9.4/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{STATIC}/leaflet.markercluster-1.5.3/leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", f"{STATIC}/leaflet.markercluster-1.5.3/MarkerCluster.css"),
               ("markerclusterdefaultcss", f"{STATIC}/leaflet.markercluster-1.5.3/MarkerCluster.Default.css")]
class HtmlPopup(MacroElement):
    """A popup bound with Leaflet alone: folium's own Popup builds its element with jQuery, which
    would be one more library to serve (and a blank map when it is missing)."""
    _template = Template("""{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 280});
    {% endmacro %}""")

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "HtmlPopup"
        self.html = html_text


class PointCluster(JSCSSMixin, MacroElement):
    """Thousands of points in one clustered layer, sent as one JSON array and drawn by a loop in the
    browser (one folium object per point costs 3 s for 5 000). Labels are escaped here: Leaflet puts
    a tooltip's text in as HTML."""
    default_js = CLUSTER_JS
    default_css = CLUSTER_CSS
    # Users' points are black symbols, one shape per category, clustered in numbered black squares: never
    # the installations' coloured circles, nor MarkerCluster's default green/yellow/orange bubbles.
    _template = Template("""{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.markerClusterGroup({chunkedLoading: true,
            iconCreateFunction: function (c) {
                return L.divIcon({className: "obs-cluster", iconSize: [28, 28], html: '<div style="width:26px;height:26px;'
                    + 'background:#111;color:#fff;border:2px solid #fff;font:bold 12px/26px sans-serif;'
                    + 'text-align:center;box-shadow:0 0 0 1px #111">' + c.getChildCount() + '</div>'});
            }});
        var glyphs = {{ this.glyphs|tojson }};
        {{ this.points|tojson }}.forEach(function (p) {
            var m = L.marker([p[0], p[1]], {icon: L.divIcon({className: "obs-point", iconSize: [18, 18], html:
                '<div style="font:16px/18px sans-serif;color:#111;text-align:center;'
                + 'text-shadow:0 0 2px #fff,0 0 2px #fff">' + glyphs[p[3]] + '</div>'})});
            if (p[2]) { m.bindTooltip(p[2]); }
            {{ this.get_name() }}.addLayer(m);
        });
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
    {% endmacro %}""")

    def __init__(self, points: pd.DataFrame) -> None:
        super().__init__()
        self._name = "PointCluster"
        labels = points["label"] if "label" in points else pd.Series("", index=points.index)
        categories = points["category"].fillna("") if "category" in points else pd.Series("", index=points.index)
        shape = terrain.point_shapes(categories)
        self.glyphs = terrain.POINT_GLYPHS
        self.points = [[round(float(la), 6), round(float(lo), 6), html.escape(str(lb or "")), shape[str(c)]]
                       for la, lo, lb, c in zip(points["lat"], points["lon"], labels.fillna(""), categories,
                                                strict=True)]



def tooltip_text(text: str) -> str:
    """Text for a folium tooltip: folium writes it inside a JavaScript template string (`…`), where a
    backtick or `${` would end the string or run code, and Leaflet shows it as HTML: both escaped."""
    return (html.escape(str(text)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
            .replace("{", "&#123;").replace("}", "&#125;"))


def tiles() -> tuple[str, str] | None:
    """(URL, attribution) of a basemap when OBS_TILES is set (`URL|attribution`); None offline."""
    from .config import settings

    raw = settings().tiles
    if not raw:
        return None
    url, _, attribution = raw.partition("|")
    return url.strip(), attribution.strip() or "Fond de carte"


def _radius(emissions: float | None, largest: float) -> float:
    """Circle area proportional to emissions (radius ∝ √t), 3 to 30 px."""
    if not emissions or emissions <= 0 or not largest:
        return 3.0
    return 3.0 + 27.0 * (emissions / largest) ** 0.5


def popup_html(row: pd.Series, history: pd.DataFrame, year: int) -> str:
    """Name, operator, sector, emissions by year (small table) and share of the territory's total;
    every text escaped (names come from a public register, still data)."""
    lines = "".join(f"<tr><td>{int(y)}</td><td style='text-align:right'>{html.escape(fr_int(v))} t</td></tr>"
                    for y, v in zip(history["year"], history["emissions"], strict=True))
    share = "" if pd.isna(row["share"]) else f"{html.escape(fr_number(row['share'], 1))} % du total SEQE-UE du territoire en {year}"
    return (f"<div style='font:13px sans-serif;max-width:260px'><b>{html.escape(str(row['name']))}</b><br>"
            f"Exploitant : {html.escape(str(row['operator'] or '–'))}<br>Secteur : {html.escape(str(row['sector'] or '–'))}"
            f"<br>{share}<table style='margin-top:4px;font-size:12px'>{lines}</table></div>")


def build_map(con: duckdb.DuckDBPyConnection, code: str, year: int, selected: str | None = None,
              cluster_points: pd.DataFrame | None = None,
              communes: list[str] | None = None) -> tuple[folium.Map, pd.DataFrame]:
    """The folium map of a territory (its `communes`, looked up when not given) and the installations
    drawn on it."""
    communes = communes_of(con, code) if communes is None else communes
    layer = geo.communes_layer(SOURCES_DIR, frozenset(communes))
    plants = installations(con, communes, year)
    basemap = tiles()
    # A maximum zoom is required by MarkerCluster (without it the clustered layer throws and stays empty).
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, zoom_control=True, zoom_snap=0.25)
    m.options["maxZoom"] = 18  # folium passes max_zoom to tiles only, and there are none by default
    m.default_js, m.default_css = LEAFLET_JS, LEAFLET_CSS
    if basemap:
        folium.TileLayer(basemap[0], attr=html.escape(basemap[1]), name="Fond de carte").add_to(m)
    names = territories.labels(con, communes)
    for feature in layer["features"]:
        feature["properties"] = {"code": feature["id"], "nom": names.get(feature["id"], feature["id"])}
    outlines = folium.GeoJson(
        layer, name="Communes",
        style_function=lambda f: {"fillColor": "#0072B2" if f["id"] == selected else "#dfe7ef",
                                  "color": "#4a5a6a", "weight": 0.8, "fillOpacity": 0.55 if f["id"] == selected else 0.35},
        highlight_function=lambda f: {"weight": 2.2, "color": "#111"},
        tooltip=folium.GeoJsonTooltip(fields=["nom"], labels=False),
    ).add_to(m)
    largest = plants["emissions"].max() if not plants.empty else 0
    group = folium.FeatureGroup(name="Installations SEQE-UE").add_to(m)
    histories = dict(tuple(emissions_of(con, plants["seqe_id"].tolist()).groupby("seqe_id")))
    empty = pd.DataFrame(columns=["year", "emissions"])
    for row in plants.itertuples():
        r = pd.Series(row._asdict())
        marker = folium.CircleMarker(
            (row.lat, row.lon), radius=_radius(row.emissions, largest),
            color="#222", weight=1, fill=True, fill_opacity=0.85,
            fill_color=SECTOR_COLOURS.get(row.sector, OTHER_COLOUR),
            tooltip=tooltip_text(f"{row.name} : {fr_int(row.emissions)} t" if pd.notna(row.emissions) else str(row.name)),
        )
        marker.add_child(HtmlPopup(popup_html(r, histories.get(row.seqe_id, empty), year)))
        marker.add_to(group)
    if cluster_points is not None and not cluster_points.empty:
        PointCluster(cluster_points).add_to(m)
    if layer["features"]:
        (south, west), (north, east) = outlines.get_bounds()
        m.location = [(south + north) / 2, (west + east) / 2]
        m.options["zoom"] = view_zoom(east - west, north - south, (south + north) / 2)
        m.fit_bounds([[south, west], [north, east]])
    return m, plants


def view_zoom(lon_span: float, lat_span: float, lat: float, width: int = 900, height: int = 540) -> float:
    """The web-map zoom at which a box of these spans fills the map (the frame is sized only once the
    map is drawn, so fitting the bounds alone leaves the territory small)."""
    import math

    lon_zoom = math.log2(width * 360 / (256 * max(lon_span, 1e-6)))
    lat_zoom = math.log2(height * 360 / (256 * max(lat_span, 1e-6) / max(math.cos(math.radians(lat)), 0.2)))
    return max(3.0, min(16.0, math.floor(min(lon_zoom, lat_zoom) * 4) / 4))  # quarter zooms (zoomSnap)
