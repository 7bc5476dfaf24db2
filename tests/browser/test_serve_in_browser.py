"""Pages through nginx in Chromium: the websocket goes through the proxy (scripts/serve.py), and
Streamlit's front end and the map component, which nginx serves from disk, still draw the map."""
from __future__ import annotations

from tests.browser.test_pages_in_browser import wait_map
from tests.deploy.test_serve import served  # noqa: F401 - the fixture: 2 processes behind nginx


def test_pages_run_through_nginx_in_a_browser(browser, served):  # noqa: F811
    base, run, _ = served
    page = browser.new_page()
    page.goto(f"{base}/methodes")
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=60_000)
    assert page.locator("h1").first.inner_text() == "Méthodes"
    page.goto(f"{base}/carte?niveau=DEP&i=population&p=2023")
    wait_map(page)
    inner = page.locator("iframe[title='ui.mapview.carte_territoires']").first.element_handle().content_frame()
    assert inner.evaluate("() => window.__map.drawn()") == 101
    log = (run / "nginx-access.log").read_text()
    component = [li for li in log.splitlines() if "/component/ui.mapview.carte_territoires/" in li]
    assert component and all("upstream=- " in li for li in component)  # from disk, not from Streamlit
    page.close()
