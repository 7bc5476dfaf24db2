"""French for the framework's own words: a zero-height frame (same origin as the app) that replaces
the English that Streamlit and plotly leave on screen. What it cannot reach is listed in the README."""
from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

_component = components.declare_component("francais", path=str(Path(__file__).parent / "frontend"))


def install(upload_limit: str) -> None:
    """Once per page run (the frame stays mounted: the same key)."""
    _component(upload_limit=upload_limit, key="francais", default=None)
