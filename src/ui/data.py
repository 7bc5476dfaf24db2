"""The app's read-only access to the store, reopened when a writer swaps in a new file."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TypeVar

import duckdb
import streamlit as st

from indicators import store
from indicators.errors import DatabaseUnavailable
from indicators.paths import REBUILD_COMMAND, db_path

from . import state


@st.cache_resource(max_entries=2)
def _open(path: str, version: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    return store.connect_readonly(path)


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the current database file; raises DatabaseUnavailable with the rebuild command."""
    path = db_path()
    try:
        version = store.file_version(path)
    except FileNotFoundError as exc:
        raise DatabaseUnavailable(path, "introuvable") from exc
    except OSError as exc:  # the data folder without read rights (chmod 000), a broken mount
        raise DatabaseUnavailable(path, f"inaccessible ({exc.strerror or type(exc).__name__} : vérifiez les droits "
                                        "du dossier data)") from exc
    # One cursor per call: DuckDB connections are not shared between Streamlit's threads.
    return store.cursor(_open(str(path), version))


def require_database() -> duckdb.DuckDBPyConnection:
    """The connection, or a French message with the rebuild command and a stop (never a traceback)."""
    try:
        return connection()
    except DatabaseUnavailable as exc:
        say_unavailable(exc)
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def say_unavailable(exc: DatabaseUnavailable) -> None:
    """The editors' instance says which file and the command that rebuilds it; a public one says neither
    (a server path is nobody's business outside the team)."""
    from indicators.config import settings

    if not settings().editable:
        st.error(DatabaseUnavailable.PUBLIC)
        return
    st.error(str(exc))
    st.code(REBUILD_COMMAND.split("  ")[0], language="bash")


T = TypeVar("T")


def run_guarded(page) -> None:
    """Run a page; a database that turns out damaged while reading (a truncated or corrupt file passes
    the opening check) gives the French message and the rebuild command, never a traceback."""
    notices = st.container()  # above the page: what the link asked for that could not be shown
    try:
        page.run()
    except duckdb.Error as exc:
        say_unavailable(DatabaseUnavailable(db_path(), f"illisible ou corrompue ({type(exc).__name__})"))
    except DatabaseUnavailable as exc:  # met while reading: the file vanished or lost its rights
        say_unavailable(exc)
    except PermissionError as exc:  # a file of the data folder (map outlines, journal) without read rights
        st.error(f"Fichier inaccessible : {exc.filename or 'dossier data'} ({exc.strerror}). Vérifiez les droits du "
                 "dossier data de l'observatoire.")
    finally:  # st.stop() ends a page early: its notices still show
        replaced = state.notices()
        if replaced:
            notices.caption("Lien corrigé : " + " ; ".join(replaced) + ".")


def file_version() -> tuple[int, int]:
    """Identity of the current database file (a write makes it new)."""
    try:
        return store.file_version(db_path())
    except OSError as exc:
        raise DatabaseUnavailable(db_path(), f"inaccessible ({exc.strerror or type(exc).__name__})") from exc


def cached(query: Callable[..., T], *args: object, large: bool = False) -> T:
    """`query(connection, *args)` from a library module, remembered per database file: a warm server
    answers the map's 35 000 values without asking DuckDB again, and a rebuild or an import (a new
    file) makes every answer new. `large` results get their own, smaller cache."""
    version = file_version()
    run = _cached_large if large else _cached_small
    return run(query.__module__, query.__qualname__, version, args)


def _call(module: str, name: str, args: tuple) -> object:
    return getattr(importlib.import_module(module), name)(connection(), *args)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_small(module: str, name: str, version: tuple[int, int], args: tuple) -> object:
    return _call(module, name, args)


@st.cache_data(max_entries=24, show_spinner=False)  # a commune map's values: about 3 MB each
def _cached_large(module: str, name: str, version: tuple[int, int], args: tuple) -> object:
    return _call(module, name, args)
