"""Where the project's data lives; overridable by environment for tests and deployments."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
MAP_DIR = PROJECT_ROOT / "static" / "geo"  # map geometry, served by Streamlit at /app/static/geo/
SOURCES_DIR = Path(os.environ.get("OBS_SOURCES", DATA_DIR / "sources"))
# Where the app is served, for permalinks printed on exported figures.
BASE_URL = os.environ.get("OBS_BASE_URL", "http://localhost:8501").rstrip("/")
LOCAL_BASE_URL = BASE_URL.startswith(("http://localhost", "https://localhost", "http://127.", "https://127."))
REBUILD_COMMAND = "make data  (ou : python -m indicators build)"


def db_path() -> Path:
    """The database file; `OBS_DB` lets tests and several deployments point elsewhere."""
    return Path(os.environ.get("OBS_DB", DATA_DIR / "observatoire.duckdb"))
