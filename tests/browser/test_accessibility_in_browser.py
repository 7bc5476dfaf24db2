"""RGAA-minded checks in Chromium: axe-core on every page (no critical or serious violation), the
framework's English put into French, and the map reachable by keyboard."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from indicators import links
from tests.browser.test_pages_in_browser import MAP_IFRAME, TIMEOUT, open_view, wait_map

# Every page of the registry, with the state that shows its richest screen; Comparer twice (both views).
STATES = {"carte": ["niveau=DEP&i=population"], "evolutions": ["t=COM:12202&i=population"],
          "comparer": ["", "vue=effet&indicateur_effet=population"], "terrain": ["t=COM:13039"]}
PAGES = [p.name + ("?" + q if q else "") for p in links.PAGES for q in STATES.get(p.name, [""])]


@pytest.mark.parametrize("path", PAGES)
def test_no_critical_or_serious_accessibility_violation(page, path):
    from axe_playwright_python.sync_playwright import Axe

    open_view(page, path)
    page.wait_for_timeout(1000)
    violations = Axe().run(page).response["violations"]
    bad = [(v["id"], v["impact"], v["nodes"][0]["target"]) for v in violations if v["impact"] in ("critical", "serious")]
    assert bad == [], bad


def test_the_upload_widget_speaks_french_and_states_our_limit(page):
    open_view(page, "donnees")
    zones = page.locator("[data-testid='stFileUploader']")
    expect(zones).to_have_count(2, timeout=TIMEOUT)  # indicators, then points
    for zone in zones.all():
        expect(zone.get_by_text("20 Mo au plus par fichier", exact=False)).to_be_visible(timeout=TIMEOUT)
        expect(zone.get_by_role("button", name=re.compile("Choisir un fichier"))).to_be_visible()
        assert zone.get_by_text(re.compile("per file|Drag and drop|Browse files")).count() == 0


def test_chart_toolbar_tooltips_are_french(page):
    open_view(page, "evolutions?t=COM:12202&i=population")
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    expect(page.locator(".modebar-btn[data-title='Télécharger en PNG']").first).to_be_attached(timeout=TIMEOUT)
    assert page.locator(".modebar-btn[data-title^='Download plot']").count() == 0


def test_the_map_is_reachable_by_keyboard(page):
    open_view(page, "carte?niveau=DEP&i=population&p=2023")
    wait_map(page)
    inner = page.frame_locator(MAP_IFRAME).first
    canvas = inner.locator("canvas#map")
    assert canvas.get_attribute("tabindex") == "0"
    assert "carte" in (canvas.get_attribute("aria-label") or "").lower()


ENGLISH = re.compile(r"Skip to main content|Select all|Select \d+ match|\bRemove\b|Link to heading|Help for|"
                     r"Browse files|Drag and drop|per file|Running\.\.\.|not allowed|Choose an? option|No results|"
                     r"Download as CSV|Fullscreen|Show/hide columns|Clear all")


@pytest.mark.parametrize("path", PAGES)
def test_no_english_word_of_the_framework_on_screen_or_for_screen_readers(page, path):
    open_view(page, path)
    read = """() => {
        const out = [document.body.innerText];
        for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]'))
            for (const a of ['aria-label', 'title', 'placeholder']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
        for (const el of document.querySelectorAll('a, button')) out.push(el.textContent);
        return out.join('\\n'); }"""
    found: list[str] = []
    for _ in range(20):  # the translation runs on the next animation frame of each change: a busy machine waits
        page.wait_for_timeout(500)
        found = sorted(set(ENGLISH.findall(page.evaluate(read))))
        if not found:
            break
    assert found == [], found


@pytest.mark.parametrize("path", PAGES)
def test_at_phone_width_nothing_runs_off_the_screen(page, path):
    """390 px (a phone held upright): the page never scrolls sideways, and no block of the main column
    (a table, a chart, a row of columns) is wider than the screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_view(page, path)
    page.wait_for_timeout(1500)
    wide = page.evaluate("""() => {
        const w = document.documentElement.clientWidth, out = [];
        if (document.documentElement.scrollWidth > w + 1) out.push('page ' + document.documentElement.scrollWidth);
        for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && (r.right > w + 1 || r.left < -1))
                out.push((el.firstElementChild?.dataset.testid || el.className) + ' ' + Math.round(r.left) + '–' + Math.round(r.right));
        }
        return out; }""")
    assert wide == [], wide
