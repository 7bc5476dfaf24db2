"""Shared fixtures: the real database built by `make data`, opened read-only; a private copy of it for
tests that write; a free local port."""
from __future__ import annotations

import shutil
import socket

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


@pytest.fixture()
def db_copy(tmp_path):
    """A private copy of the real database, for tests that write."""
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(db_path(), path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
