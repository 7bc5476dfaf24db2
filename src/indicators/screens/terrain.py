"""The Terrain page's texts and tables: the sectors' legend, the line under the map, the installation a
click landed on and its series, the installations' table and their GeoJSON export."""
from __future__ import annotations

import json

import duckdb
import pandas as pd

from .. import catalog, charts, terrain
from ..format import fr_int
from ..text import html_text, md

ETS = catalog.get("co2_ets")  # the register's source, licence and vintage: said once, in the catalog
HIT = 1e-8  # squared degrees: a click on a circle lands on its centre (folium returns the marker's position)


def sectors_legend(plants: pd.DataFrame) -> str:
    """The sectors drawn, each with its colour (static HTML; the register's sector names escaped)."""
    return " ".join(
        '<span style="white-space:nowrap;margin-right:14px"><span style="display:inline-block;width:12px;height:12px;'
        f'border-radius:6px;border:1px solid #222;background:{terrain.SECTOR_COLOURS.get(s, terrain.OTHER_COLOUR)}">'
        f'</span> {html_text(s)}</span>' for s in sorted(set(plants["sector"].dropna())))


def map_caption(plants: pd.DataFrame, brought: pd.DataFrame, place_name: str, year: int,
                basemap: tuple[str, str] | None) -> str:
    """What the map shows and how to use it (markdown, names escaped)."""
    counts = brought["category"].value_counts().sort_index() if not brought.empty else pd.Series(dtype=int)
    glyphs, shape = terrain.POINT_GLYPHS, terrain.point_shapes(brought["category"] if not brought.empty else counts)
    return (f"{fr_int(len(plants))} installations soumises aux quotas (SEQE-UE) dans « {md(place_name)} » ; "
            f"cercles proportionnels aux émissions vérifiées de {year}, couleur par secteur. "
            + ("Fond de carte : " + md(basemap[1]) + "." if basemap else
               "Sans fond de carte (fonctionne hors ligne ; réglez OBS_TILES pour en ajouter un).")
            + " Clic sur une commune : la choisir ; sur un cercle : sa fiche et sa série."
            + (f" Vos points importés ({fr_int(len(brought))}, symboles noirs ; un carré noir numéroté en regroupe "
               "plusieurs) : " + ", ".join(f"{glyphs[shape[str(c)]]} {md(str(c))} : {fr_int(n)}"
                                           for c, n in counts.items()) + "." if not brought.empty else ""))


def clicked_plant(plants: pd.DataFrame, point: dict) -> pd.Series | None:
    """The installation whose circle was clicked (folium returns the circle's centre), or None."""
    if not point or plants.empty or "lat" not in point or "lng" not in point:
        return None
    near = plants.assign(d=(plants["lat"] - point["lat"]) ** 2 + (plants["lon"] - point["lng"]) ** 2)
    hit = near.sort_values("d").iloc[0]
    return hit if hit["d"] < HIT else None


def plant_chart(con: duckdb.DuckDBPyConnection, plant: pd.Series, link: str) -> tuple[pd.DataFrame, charts.ChartSpec]:
    """An installation's verified emissions by year, as a series and its chart spec."""
    history = terrain.emissions_of(con, [plant["seqe_id"]])
    series = history.assign(territory=plant["seqe_id"], territory_label=str(plant["name"]), level="ETS",
                            period_start=history["year"], value=history["emissions"])
    return series, charts.ChartSpec(title=f"{plant['name']} : émissions vérifiées", unit="t CO2e",
                                    subtitle=f"{plant['sector'] or 'secteur non renseigné'} · {plant['operator'] or ''}",
                                    source=ETS.source_line, licence=ETS.licence, permalink=link)


def plants_table(plants: pd.DataFrame, names: dict[str, str], year: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """The installations in French columns, with the decimals of each number."""
    emitted, share = f"Émissions {year} (t)", "Part du territoire (%)"
    return pd.DataFrame({"Installation": plants["name"], "Exploitant": plants["operator"], "Secteur": plants["sector"],
                         "Commune": plants["commune"].map(names), emitted: plants["emissions"],
                         share: plants["share"]}), {emitted: 0, share: 1}


def sites(plants: pd.DataFrame, year: int) -> pd.DataFrame:
    """The installations as exported (CSV), with the year of their emissions."""
    return plants[["seqe_id", "name", "operator", "sector", "commune", "lon", "lat", "emissions"]].assign(annee=year)


def sites_geojson(table: pd.DataFrame) -> str:
    """`sites` as GeoJSON points (missing values as null)."""
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
         "properties": {k: (None if pd.isna(v) else v) for k, v in r._asdict().items() if k not in ("Index", "lon", "lat")}}
        for r in table.itertuples()]}, ensure_ascii=False, default=str)
