"""Payloads stored where user text lives, opened in Chromium: no script runs, nothing navigates, no
outside host is called, no overlay covers the page; the text shows as typed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages_in_browser import TIMEOUT, open_view

VIEWS = [
    "carte?niveau=COM&dans=DEP:09&i=user_hostile&p=2022&sel=COM:09225&g=hostile",
    "evolutions?t=COM:09225&i=user_hostile&g=hostile",
    "comparer?g=hostile&i=user_hostile&detail=user_hostile",
    "comparer?g=hostile&vue=groupes",
    "exporter?t=COM:09225&i=user_hostile",
    "donnees",
    "methodes",
    "terrain?t=COM:13039&lieu=COM:13039",
]


@pytest.mark.parametrize("path", VIEWS)
def test_stored_payloads_stay_text(hostile_page, path):
    page = hostile_page
    open_view(page, path)
    if path == "methodes":
        page.get_by_text("iframe srcdoc", exact=False).first.click()  # open the hostile indicator's expander
    page.wait_for_timeout(1500)  # time for any injected script, refresh or request to fire
    assert page.dialogs == []
    assert page.url.startswith(page.base), page.url
    assert page.external_requests == []
    if path.startswith("terrain"):  # the renamed installation is drawn, its tooltip and popup shown as text
        folium = "iframe[title='streamlit_folium.st_folium']"
        expect(page.frame_locator(folium).locator(".leaflet-container")).to_be_visible(timeout=TIMEOUT)
        inner = page.locator(folium).element_handle().content_frame()
        inner.wait_for_function("() => Object.values(window).some(v => v instanceof window.L.CircleMarker)",
                                timeout=TIMEOUT)
        inner.evaluate("""() => { for (const v of Object.values(window)) {
            if (v instanceof window.L.CircleMarker && v.getTooltip() && v.getTooltip().getContent().includes('AUBERT')) {
                v.openTooltip(); v.openPopup(); } } }""")
        expect(page.frame_locator(folium).locator(".leaflet-tooltip")).to_contain_text("AUBERT ${alert(document.domain)}",
                                                                                        timeout=TIMEOUT)
        expect(page.frame_locator(folium).locator(".leaflet-popup-content")).to_contain_text('<img src=x onerror=')
        page.wait_for_timeout(500)
        assert page.dialogs == []
        return  # (folium's own page carries a content-type <meta>: the checks below are for ours)
    for frame in page.frames:  # no overlay, no injected frame or object anywhere
        assert frame.evaluate("() => document.querySelectorAll('div[style*=\"position:fixed\"], object, embed, "
                              "iframe[srcdoc], meta[http-equiv]').length") == 0, frame.url
    assert page.locator("a[href^='http://evil'], a[href^='javascript']").count() == 0
    shown = {"donnees": None, "comparer?g=hostile&vue=groupes": "PIRATÉ"}.get(path, "iframe srcdoc")
    if shown:  # the payload is on the page, as text
        expect(page.get_by_text(shown, exact=False).first).to_be_visible(timeout=TIMEOUT)
