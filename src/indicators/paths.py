"""Where the project's data lives (the folders themselves; the variables that move them, OBS_DB and
OBS_SOURCES, are read and checked in config.py like every other setting)."""
from __future__ import annotations

from pathlib import Path

from .errors import REBUILD_COMMAND

__all__ = ["DATA_DIR", "MAP_DIR", "PROJECT_ROOT", "REBUILD_COMMAND", "SOURCES_DIR", "base_url", "db_path",
           "local_base_url"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
MAP_DIR = PROJECT_ROOT / "static" / "geo"  # map geometry, served by Streamlit at /app/static/geo/


def _sources() -> Path:
    from .config import sources_dir

    return sources_dir(DATA_DIR / "sources")


SOURCES_DIR = _sources()


def db_path() -> Path:
    """The database file (OBS_DB lets tests and several deployments point elsewhere)."""
    from .config import database

    return database(DATA_DIR / "observatoire.duckdb")


def base_url() -> str:
    """Where the app is served, for the links printed in exports: OBS_BASE_URL, else the address this
    server answers on (its port), else the default port."""
    from .config import served_url

    return served_url()


def local_base_url() -> bool:
    return base_url().startswith(("http://localhost", "https://localhost", "http://127.", "https://127."))
