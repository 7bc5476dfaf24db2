"""The writer path and the read-only guard: failures leave the database as it was, in French."""
from __future__ import annotations

import hashlib
import threading

import duckdb
import pytest

from indicators import store
from indicators.errors import DatabaseBusy, DatabaseUnavailable


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def small_db(tmp_path):
    """A synthetic database with the real schema and one row: writes are tested on it, not on the real one."""
    path = tmp_path / "synthetic.duckdb"
    with store.replacing(path, start_from_copy=False) as con:
        con.execute(store.SCHEMA)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [store.SCHEMA_VERSION])
        con.execute(f"CREATE TABLE observation({store.OBSERVATION_TABLE})")
        con.execute("INSERT INTO observation VALUES ('COM:09225', 'population', 2020, 2020, 15000, NULL, NULL)")
    return path


def test_a_failed_write_leaves_the_file_untouched(small_db):
    before = _digest(small_db)
    with pytest.raises(RuntimeError), store.replacing(small_db) as con:
        con.execute("DELETE FROM observation")
        raise RuntimeError("interrupted")
    assert _digest(small_db) == before
    assert store.connect_readonly(small_db).execute("SELECT count(*) FROM observation").fetchone()[0] == 1
    assert not list(small_db.parent.glob(".*.tmp"))


def test_a_successful_write_is_seen_by_a_new_reader(small_db):
    version = store.file_version(small_db)
    with store.replacing(small_db) as con:
        con.execute("INSERT INTO observation VALUES ('COM:09122', 'population', 2020, 2020, 9000, NULL, NULL)")
    assert store.file_version(small_db) != version
    assert store.connect_readonly(small_db).execute("SELECT count(*) FROM observation").fetchone()[0] == 2


def test_a_reader_open_during_a_write_keeps_working(small_db):
    reader = store.connect_readonly(small_db)
    with store.replacing(small_db) as con:
        con.execute("DELETE FROM observation")
        assert reader.execute("SELECT count(*) FROM observation").fetchone()[0] == 1
    assert reader.execute("SELECT count(*) FROM observation").fetchone()[0] == 1  # its snapshot, until reopened
    assert store.connect_readonly(small_db).execute("SELECT count(*) FROM observation").fetchone()[0] == 0


def test_a_second_writer_gets_a_busy_message(small_db):
    entered, release = threading.Event(), threading.Event()

    def hold():
        with store.replacing(small_db):
            entered.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    entered.wait(10)
    try:
        with pytest.raises(DatabaseBusy, match="Base occupée"), store.replacing(small_db):
            pass
    finally:
        release.set()
        t.join()


def test_missing_empty_and_corrupt_files_name_the_rebuild_command(tmp_path):
    missing = tmp_path / "none.duckdb"
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"not a database" * 1000)
    for path, word in ((missing, "introuvable"), (empty, "vide"), (corrupt, "corrompue")):
        with pytest.raises(DatabaseUnavailable) as err:
            store.connect_readonly(path)
        assert word in str(err.value) and "make data" in str(err.value)


def test_a_database_without_our_schema_is_refused(tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE x(a INT)").close()
    with pytest.raises(DatabaseUnavailable, match="make data"):
        store.connect_readonly(other)


def test_the_real_database_is_opened_read_only(con):
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE scratch(a INT)")


def test_build_failure_keeps_the_previous_database(tmp_path, small_db):
    from indicators.pipeline import build

    before = _digest(small_db)
    broken_sources = tmp_path / "sources"
    broken_sources.mkdir()
    with pytest.raises(duckdb.IOException, match="No files found"):  # the first source file is missing
        build(small_db, sources=broken_sources, log=lambda _: None, map_dir=None, evaluations=False)
    assert _digest(small_db) == before


def test_a_base_built_from_another_catalog_is_stale(tmp_path):
    import shutil as sh

    from indicators.pipeline import is_stale
    from indicators.paths import db_path

    assert not is_stale()  # `make data` has just built it from this catalog
    copy = tmp_path / "old.duckdb"
    sh.copyfile(db_path(), copy)
    with store.replacing(copy) as con:
        con.execute("UPDATE meta SET value = 'un autre catalogue' WHERE key = 'catalog'")
    assert is_stale(copy)


def test_a_full_disk_during_a_write_is_said_as_such_and_leaves_nothing(small_db):
    """DuckDB says a full disk with its own exceptions (at commit: FatalException): the base is intact, the
    message says « disque plein », not « corrompue », and no private copy is left to fill the disk further."""
    from indicators.errors import DatabaseWriteFailed

    before = _digest(small_db)
    for error in (duckdb.IOException("No space left on device"), duckdb.FatalException("could not write: No space "
                                                                                        "left on device")):
        with pytest.raises(DatabaseWriteFailed, match="disque plein"), store.replacing(small_db):
            raise error
        assert _digest(small_db) == before
        assert not list(small_db.parent.glob(f".{small_db.name}.*.tmp*"))
