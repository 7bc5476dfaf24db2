"""The app's read-only access to the store, reopened when a writer swaps in a new file."""
from __future__ import annotations

import duckdb
import streamlit as st

from indicators import store
from indicators.errors import DatabaseUnavailable
from indicators.paths import REBUILD_COMMAND, db_path


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
    # One cursor per call: DuckDB connections are not shared between Streamlit's threads.
    return store.cursor(_open(str(path), version))


def require_database() -> duckdb.DuckDBPyConnection:
    """The connection, or a French message with the rebuild command and a stop (never a traceback)."""
    try:
        return connection()
    except DatabaseUnavailable as exc:
        st.error(str(exc))
        st.code(REBUILD_COMMAND.split("  ")[0], language="bash")
        st.stop()
        raise  # unreachable: st.stop() ends the script run
