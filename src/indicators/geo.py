"""Boundaries: decoding the shipped TopoJSON/GeoJSON and locating points in territories."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from .datasets import ANCT_LAYERS, COMMUNE_SHAPES


def _decode_arcs(topology: dict) -> list[np.ndarray]:
    """Absolute lon/lat coordinates of every arc (TopoJSON arcs are delta-encoded when quantised)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        a = np.asarray(arc, dtype=float)
        if transform:
            a = np.cumsum(a, axis=0) * transform["scale"] + transform["translate"]
        arcs.append(a)
    return arcs


def _ring(arc_ids: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    parts = []
    for i in arc_ids:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if not parts else a[1:])
    return np.concatenate(parts)


def _geometry(obj: dict, arcs: list[np.ndarray]) -> Polygon | MultiPolygon | None:
    if obj["type"] == "Polygon":
        rings = [_ring(r, arcs) for r in obj["arcs"]]
        return Polygon(rings[0], rings[1:])
    if obj["type"] == "MultiPolygon":
        polys = []
        for poly in obj["arcs"]:
            rings = [_ring(r, arcs) for r in poly]
            polys.append(Polygon(rings[0], rings[1:]))
        return MultiPolygon(polys)
    return None


def read_topojson(path: Path, key: str = "code") -> dict[str, Polygon | MultiPolygon]:
    """Geometries of the first object of a TopoJSON file, keyed by a property."""
    topology = json.loads(Path(path).read_text())
    arcs = _decode_arcs(topology)
    obj = next(iter(topology["objects"].values()))
    out = {}
    for g in obj["geometries"]:
        geom = _geometry(g, arcs)
        if geom is None:
            continue
        geom = _polygonal(shapely.make_valid(geom))
        if not geom.is_empty:  # a few small communes are collapsed to a line in the simplified source
            out[g["properties"][key]] = geom
    return out


def _polygonal(geom):
    """Repairing a self-touching ring can yield a collection with stray lines: keep the polygons."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in (p.geoms if p.geom_type == "MultiPolygon" else [p])]
    return MultiPolygon(polys)


def read_geojson(path: Path, key: str) -> dict[str, Polygon | MultiPolygon]:
    """Geometries of a GeoJSON FeatureCollection, keyed by a property."""
    data = json.loads(Path(path).read_text())
    return {f["properties"][key]: shape(f["geometry"]) for f in data["features"] if f.get("geometry")}


def locate_points(
    lon: np.ndarray, lat: np.ndarray, geometries: dict[str, Polygon | MultiPolygon], max_distance: float = 0.05
) -> list[str | None]:
    """The key of the polygon that contains each point, else of the nearest within max_distance degrees.

    Simplified boundaries leave coastal or border points just outside every polygon; the nearest
    polygon is then the right answer far more often than none.
    """
    keys = list(geometries)
    tree = shapely.STRtree(list(geometries.values()))
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    found: list[str | None] = [None] * len(points)
    pt_idx, geom_idx = tree.query(points, predicate="within")
    for p, g in zip(pt_idx, geom_idx, strict=True):
        if found[p] is None:
            found[p] = keys[g]
    missing = [i for i, f in enumerate(found) if f is None]
    if missing:
        near_pt, near_geom = tree.query_nearest(points[missing], max_distance=max_distance, all_matches=False)
        for p, g in zip(near_pt, near_geom, strict=True):
            found[missing[p]] = keys[g]
    return found


COMMUNES, _EPCI = COMMUNE_SHAPES.files
_REG, _DEP, _ = ANCT_LAYERS.files
LAYERS = {
    # level: (file, property holding the code, code prefix); ANCT layers place overseas
    # départements as insets beside metropolitan France, good for national maps.
    "REG": (_REG, "insee_reg", "REG:"),
    "DEP": (_DEP, "insee_dep", "DEP:"),
    "EPCI": (_EPCI, "epci_siren", "EPCI:"),
}


def _rounded(geometry: dict, digits: int = 4) -> dict:
    """Coordinates rounded (4 decimals ≈ 10 m): halves the payload, invisible at these scales."""
    def walk(c):
        if not len(c):
            return []
        if isinstance(c[0], (list, tuple)):
            return [walk(x) for x in c if len(x)]  # an empty ring left by repair is dropped
        return [round(c[0], digits), round(c[1], digits)]
    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


@lru_cache(maxsize=8)
def layer(sources: Path, level: str) -> dict:
    """A GeoJSON FeatureCollection of a level whose feature ids are territory codes (`DEP:12`)."""
    file, key, prefix = LAYERS[level]
    data = json.loads((sources / file).read_text())
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": prefix + f["properties"][key], "properties": {},
             "geometry": _rounded(f["geometry"])}
            for f in data["features"] if f.get("geometry")
        ],
    }


@lru_cache(maxsize=2)
def commune_shapes(sources: Path) -> dict:
    """Every 2026 commune's boundary (WGS84), read once per process: Terrain's outlines and the
    placing of imported points."""
    return read_topojson(sources / COMMUNES)


def communes_layer(sources: Path, codes: frozenset[str]) -> dict:
    """Communes (codes `COM:xxxxx`) as a FeatureCollection, e.g. those of one département."""
    shapes = commune_shapes(sources)
    features = []
    for code in sorted(codes):
        geom = shapes.get(code.split(":", 1)[1])
        if geom is not None:  # read_topojson leaves out communes without a boundary
            features.append({"type": "Feature", "id": code, "properties": {},
                             "geometry": _rounded(shapely.geometry.mapping(geom))})
    return {"type": "FeatureCollection", "features": features}
