"""Shared fixtures: the real database built by `make data`, opened read-only."""
from __future__ import annotations

import duckdb
import pytest

from indicators import store
from indicators.paths import db_path


@pytest.fixture(scope="session")
def con() -> duckdb.DuckDBPyConnection:
    if not db_path().exists():
        pytest.fail(f"{db_path()} is missing: run `make data` first (make test does it)")
    connection = store.connect_readonly()
    yield connection
    connection.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]
