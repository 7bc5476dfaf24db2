"""A real server and Debian Chromium for the browser tests; a screenshot of every test as an artifact."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    setattr(item, f"rep_{call.when}", outcome.get_result())


def start_server(database: Path, env: dict[str, str] | None = None, port: int | None = None,
                 args: tuple[str, ...] = ()):
    """A Streamlit server on a free port (or `port`) for this database; yields its base URL, stops it after."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "OBS_DB": str(database), **(env or {})},
    )
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the Streamlit server did not answer /_stcore/health within 60 s")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app on a private copy of the database: browser tests may import or edit groups."""
    from indicators.paths import db_path

    copy = tmp_path_factory.mktemp("db") / "observatoire.duckdb"
    shutil.copyfile(db_path(), copy)
    yield from start_server(copy)


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory):
    """The app on a copy holding markup payloads where user text lives (synthetic, see fixtures/hostile.py)."""
    from indicators.paths import db_path
    from tests.fixtures.hostile import plant_payloads

    copy = tmp_path_factory.mktemp("hostile") / "observatoire.duckdb"
    shutil.copyfile(db_path(), copy)
    plant_payloads(copy)
    yield from start_server(copy)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("OBS_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server, request):
    """A page whose every non-localhost request is blocked and recorded: the app must work offline."""
    yield from _page(browser, server, request)


@pytest.fixture()
def hostile_page(browser, hostile_server, request):
    """A page on the hostile base that also records dialogs (an `alert` would mean script ran)."""
    yield from _page(browser, hostile_server, request)


def _page(browser, server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.external_requests = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if host in ("localhost", "127.0.0.1"):
            r.continue_()
        else:
            pg.external_requests.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.base = server
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    context.on("page", lambda p: pg.dialogs.append(f"new window: {p.url}"))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    (ARTIFACTS / f"FAILED_{name}.png").unlink(missing_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{'FAILED_' if failed else ''}{name}.png"), full_page=True)
    finally:
        context.close()
