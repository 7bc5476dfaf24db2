"""Terrain page, server side (`make bench`): time to build and serialise the folium map, and its
size, beside the naive folium path (every commune of France as GeoJSON, one marker per point).
Targets: ≤ 1 s for Bouches-du-Rhône with its installations, and for an EPCI with 5 000 points
(SYNTHETIC points for the bench: user point imports are not in the shipped base)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import folium  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from indicators import geo, store, terrain, terrain_map  # noqa: E402
from indicators.paths import SOURCES_DIR, db_path  # noqa: E402


def timed(make) -> tuple[float, float]:
    t0 = time.perf_counter()
    html = make()
    return time.perf_counter() - t0, len(html) / 1e6


def naive(con, code: str, points: pd.DataFrame) -> str:
    every = con.execute("SELECT code FROM territory WHERE level = 'COM' AND valid_until IS NULL").fetchall()
    m = folium.Map()
    folium.GeoJson(geo.communes_layer(SOURCES_DIR, frozenset(c for (c,) in every))).add_to(m)
    for p in points.itertuples():
        folium.Marker((p.lat, p.lon), popup=str(p.label)).add_to(m)
    return m.get_root().render()


def main() -> None:
    con = store.connect_readonly(db_path())
    geo.communes_layer(SOURCES_DIR, frozenset({"COM:13039"}))  # warm: the commune shapes are read once per process
    print("Terrain, côté serveur (construction + HTML de la carte), cible ≤ 1 s")
    ours = timed(lambda: terrain_map.build_map(con, "DEP:13", 2022)[0].get_root().render())
    plants = terrain.installations(con, terrain.communes_of(con, "DEP:13"), 2022)
    slow = timed(lambda: naive(con, "DEP:13", plants.assign(label=plants["name"])))
    print(f"  Bouches-du-Rhône, {len(plants)} installations : {ours[0]:.2f} s, {ours[1]:.1f} Mo"
          f"   | folium naïf (35 000 communes, un marqueur par point) : {slow[0]:.2f} s, {slow[1]:.1f} Mo")
    rng = np.random.default_rng(0)
    points = pd.DataFrame({"lat": 43.3 + rng.random(5000) * 0.4, "lon": 5.0 + rng.random(5000) * 0.6,
                           "label": [f"point {i}" for i in range(5000)]})  # SYNTHETIC
    ours = timed(lambda: terrain_map.build_map(con, "EPCI:200054807", 2022, cluster_points=points)[0].get_root().render())
    slow = timed(lambda: naive(con, "EPCI:200054807", points))
    print(f"  Aix-Marseille-Provence, 5 000 points regroupés : {ours[0]:.2f} s, {ours[1]:.1f} Mo"
          f"   | folium naïf : {slow[0]:.2f} s, {slow[1]:.1f} Mo")


if __name__ == "__main__":
    main()
