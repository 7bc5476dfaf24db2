"""A page through nginx in Chromium: the websocket goes through the proxy (scripts/serve.py)."""
from __future__ import annotations

from tests.deploy.test_serve import served  # noqa: F401 - the fixture: 2 processes behind nginx


def test_a_page_runs_through_nginx_in_a_browser(browser, served):  # noqa: F811
    base, _, _ = served
    page = browser.new_page()
    page.goto(f"{base}/methodes")
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=60_000)
    assert page.locator("h1").first.inner_text() == "Méthodes"
    page.close()
