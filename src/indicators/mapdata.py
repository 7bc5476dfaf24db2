"""Map geometry for the browser: every level pre-projected, simplified and quantised once at build
time, written as static files that the browser downloads once and caches. Values travel separately.

Overseas départements are moved next to metropolitan France (as in ANCT's layers), so one national
frame shows every territory.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import shapely
from shapely.affinity import affine_transform

from . import geo
from .territories import MAP_LEVELS

LAT0 = 46.5
KX = math.cos(math.radians(LAT0))  # equirectangular around France's middle latitude: shapes look right
QUANT = 20000  # integer grid over the national frame (≈ 60 m per step)
DROM = ("971", "972", "973", "974", "976")
SIMPLIFY = {"REG": 0.004, "DEP": 0.003, "EPCI": 0.002, "COM": 0.0012,  # degrees, before projection
            "ZE": 0.002, "BV": 0.0015, "AAV": 0.0015, "UU": 0.0012}
FORMAT = 4  # bump when the files change shape: `build --if-stale` then rewrites them
LEVELS = MAP_LEVELS


def _inset_transforms(communes: dict, commune_dep: dict[str, str], anct_dep: dict) -> dict[str, list[float]]:
    """Affine transforms from each overseas département's true position to its ANCT inset."""
    out = {}
    for dep in DROM:
        parts = [g for code, g in communes.items() if commune_dep.get(code) == dep]
        if not parts or dep not in anct_dep:
            continue
        x0, y0, x1, y1 = shapely.GeometryCollection(parts).bounds
        a0, b0, a1, b1 = anct_dep[dep].bounds
        sx, sy = (a1 - a0) / (x1 - x0), (b1 - b0) / (y1 - y0)
        out[dep] = [sx, 0, 0, sy, a0 - x0 * sx, b0 - y0 * sy]
    return out


def _encode(geom, frame: tuple[float, float, float, float]) -> list[list[int]]:
    """Rings as flat, delta-encoded integer lists on the national grid (y downwards)."""
    x0, y0, x1, y1 = frame
    scale = QUANT / max(x1 - x0, y1 - y0)
    rings = []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        # Holes turn the other way from their exterior, so a non-zero fill (canvas, SVG) leaves
        # them empty and an enclave drawn earlier stays visible whatever the drawing order. With y
        # downwards an exterior has a negative signed area; rounding may flip a tiny ring: turn it back.
        for ring, sign in [(poly.exterior, -1), *((r, 1) for r in poly.interiors)]:
            xy = np.asarray(ring.coords)
            q = np.column_stack([(xy[:, 0] * KX - x0) * scale, (y1 - xy[:, 1]) * scale]).round().astype(np.int64)
            q = q[np.r_[True, np.any(np.diff(q, axis=0) != 0, axis=1)]]  # drop repeated points
            area = signed_area(q)
            if len(q) < 4 or area == 0:
                continue
            if np.sign(area) != sign:
                q = q[::-1]
            d = np.vstack([q[:1], np.diff(q, axis=0)])
            rings.append(d.ravel().tolist())
    return rings


def signed_area(ring: np.ndarray) -> float:
    """Shoelace area of a closed ring given as (n, 2) points; its sign says which way it turns."""
    x, y = ring[:, 0].astype(float), ring[:, 1].astype(float)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2


def build_layers(sources: Path, out_dir: Path, labels: dict[str, str], commune_dep: dict[str, str],
                 communes: dict, zonings: dict[str, dict[str, list[str]]]) -> dict[str, int]:
    """Write `<level>.json` for every map level into the staging folder of `out_dir` (`publish` moves
    them in place once the base they belong to is swapped in: a killed build leaves the old set whole);
    returns the size of each file in bytes. `communes` are the commune shapes the build has already read
    (`geo.read_topojson(geo.COMMUNES)`); `zonings` give each study zone's communes (level → zone code →
    commune codes), dissolved here whole, across département and région borders."""
    stage = staging(out_dir)
    shutil.rmtree(stage, ignore_errors=True)  # a killed build's leftovers
    stage.mkdir(parents=True)
    anct_dep, anct_reg, epci = (geo.read_geojson(sources / geo.LAYERS[lv][0], geo.LAYERS[lv][1])
                                for lv in ("DEP", "REG", "EPCI"))
    insets = _inset_transforms(communes, commune_dep, anct_dep)

    def moved(geom, dep: str | None):
        return affine_transform(geom, insets[dep]) if dep in insets else geom

    layers = {
        "REG": {f"REG:{k}": g for k, g in anct_reg.items()},
        "DEP": {f"DEP:{k}": g for k, g in anct_dep.items()},
        "EPCI": {f"EPCI:{k}": moved(g, _drom_of(g)) for k, g in epci.items()},
        "COM": {f"COM:{k}": moved(g, commune_dep.get(k)) for k, g in communes.items()},
    }
    for level, zones in zonings.items():
        layers[level] = _dissolved(zones, layers["COM"])
    # One frame for every level, from the départements (insets included), so layers line up.
    bx0, by0, bx1, by1 = shapely.GeometryCollection(list(anct_dep.values())).bounds
    frame = (bx0 * KX, by0, bx1 * KX, by1)
    sizes = {}
    for level in LEVELS:
        shapes = layers[level]
        codes = sorted(shapes)
        feats = [_encode(shapely.simplify(shapes[c], SIMPLIFY[level], preserve_topology=True), frame) for c in codes]
        doc = {"level": level, "quant": QUANT, "frame": frame, "codes": codes,
               "names": [labels.get(c, c) for c in codes], "features": feats}
        path = stage / f"{level}.json"
        path.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
        sizes[level] = path.stat().st_size
    (stage / "index.json").write_text(json.dumps({"format": FORMAT, "sizes": sizes}))
    return sizes


def staging(out_dir: Path) -> Path:
    return out_dir / ".staging"


def publish(out_dir: Path) -> None:
    """Move a build's staged map files in place, each by an atomic rename (the index last: readers that
    check the format see it only when every layer is there)."""
    stage = staging(out_dir)
    if not stage.is_dir():
        return
    for path in sorted(stage.glob("*.json"), key=lambda p: p.name == "index.json"):
        os.replace(path, out_dir / path.name)
    shutil.rmtree(stage, ignore_errors=True)


def _dissolved(zones: dict[str, list[str]], communes: dict) -> dict:
    """Each zone as the union of its communes' shapes (a zone whose communes have no shape is left out)."""
    out = {}
    for code, members in zones.items():
        parts = [communes[c] for c in members if c in communes]
        if parts:
            out[code] = shapely.union_all(parts)
    return out


def is_current(out_dir: Path) -> bool:
    """Every level's file is there, written by this version of the code."""
    try:
        index = json.loads((out_dir / "index.json").read_text())
    except (OSError, ValueError):
        return False
    return index.get("format") == FORMAT and all((out_dir / f"{lv}.json").exists() for lv in LEVELS)


def read_layer(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def rings(feature: list[list[int]]) -> list[np.ndarray]:
    """A feature's rings back as (n, 2) arrays on the national grid (y downwards)."""
    return [np.cumsum(np.asarray(r, dtype=np.int64).reshape(-1, 2), axis=0) for r in feature]


def _drom_of(geom) -> str | None:
    """Which overseas département an EPCI's true position falls in (by longitude/latitude boxes)."""
    x, y = geom.representative_point().coords[0]
    if -62 < x < -60.9 and 15.8 < y < 16.6:
        return "971"
    if -61.3 < x < -60.7 and 14.3 < y < 14.95:
        return "972"
    if -55 < x < -51 and 2 < y < 6:
        return "973"
    if 55 < x < 56 and -21.5 < y < -20.8:
        return "974"
    if 44.9 < x < 45.4 and -13.1 < y < -12.5:
        return "976"
    return None
