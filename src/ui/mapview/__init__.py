"""A canvas choropleth built for 35 000 communes: `territory_map` is the one public function.

The frontend (plain JavaScript in `frontend/`, no build step, no CDN) fetches a level's geometry
once from the app's static files and draws it on canvas with hover, zoom, pan and click-back.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from indicators import mapdata
from indicators.paths import MAP_DIR as GEO_DIR

_component = components.declare_component("carte_territoires", path=str(Path(__file__).parent / "frontend"))


@lru_cache(maxsize=8)
def _codes(level: str, stamp: float) -> tuple[list[str], dict[str, int]]:
    codes = mapdata.read_layer(GEO_DIR / f"{level}.json")["codes"]
    return codes, {c: i for i, c in enumerate(codes)}


def geometry_codes(level: str) -> tuple[list[str], dict[str, int]]:
    """The codes in the order of the level's geometry file (values are sent in that order)."""
    path = GEO_DIR / f"{level}.json"
    return _codes(level, path.stat().st_mtime)


def territory_map(level: str, codes: list[str], values: np.ndarray, classes: np.ndarray, colours: list[str],
                  missing_colour: str, unit: str, decimals: int, visible: set[str] | None = None,
                  outline: set[str] = frozenset(), selected: str | None = None, height: int = 620,
                  key: str = "carte", small: np.ndarray | None = None, view_of: str | None = None) -> dict | None:
    """Draw the map of `codes` with their values and classes (aligned arrays); returns {"code": ...}
    once per click on a territory; `small` (aligned with `codes`) marks values resting on a small count,
    hatched on the map, (a component keeps its last value across reruns: without this, an
    old click would undo a later choice made elsewhere). Only values and classes travel on each
    rerun, in the geometry's order; one key for every level keeps the same frame and its geometry."""
    geo_codes, index = geometry_codes(level)
    stamp = int((GEO_DIR / f"{level}.json").stat().st_mtime)
    # A sentinel row at the end: a shape without a row (index -1) reads "missing", even with no rows at all.
    at = pd.Index(codes).get_indexer(geo_codes)
    vals = np.append(np.asarray(values, dtype=float), np.nan)[at].round(6).tolist()
    cls = np.append(np.asarray(classes, dtype=int), -1)[at].tolist()
    clicked = _component(
        geometry_url=f"/app/static/geo/{level}.json?v={stamp}",
        # The view is kept while the same emprise is shown (two emprises of 325 communes are not the same view).
        view_key=f"{level}:{view_of or ','.join(sorted(visible or []))[:2000]}",
        values=[None if v != v else v for v in vals], classes=cls, palette=colours, missing_colour=missing_colour,
        unit=unit, decimals=decimals,
        visible=sorted(index[c] for c in visible if c in index) if visible is not None else None,
        # only what is on this map: a group member outside the emprise would be drawn at its edge
        outline=sorted(index[c] for c in outline if c in index and (visible is None or c in visible)),
        small=sorted(index[c] for c, s in zip(codes, small, strict=True) if s and c in index) if small is not None else [],
        selected=index.get(selected, -1) if selected else -1, height=height, key=key, default=None,
    )
    seen = f"_{key}_click"
    if not clicked or clicked.get("at") == st.session_state.get(seen):
        return None
    st.session_state[seen] = clicked.get("at")
    return clicked
