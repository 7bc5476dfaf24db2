"""Screenshots of every page in headless Debian Chromium: `python scripts/screenshots.py URL OUTDIR`."""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = ["", "carte?niveau=COM&dans=DEP:09&i=population&p=2023&sel=COM:09225&g=cci-midi-pyrenees",
         "evolutions?t=COM:09225,COM:12202&i=population&mode=indice&base=2013&g=cci-midi-pyrenees",
         "comparer?g=cci-midi-pyrenees&i=net_migration_rate,vacancy_rate,unemployment_rate,median_income",
         "comparer?g=cci-midi-pyrenees&vue=effet&indicateur_effet=population",
         "comparer?g=cci-midi-pyrenees&vue=effet&indicateur_effet=net_migration_rate",
         "comparer?g=acv&vue=effet&indicateur_effet=birth_rate&indice=0",
         "terrain?t=COM:13039,EPCI:200054807&lieu=EPCI:200054807&annee=2022",
         "exporter?t=COM:09225&i=population", "donnees", "methodes"]
MAP = "iframe[title='ui.mapview.carte_territoires']"


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # Tall viewports: Streamlit scrolls inside its own container, so a full-page capture needs the height.
        for name, viewport in (("", {"width": 1366, "height": 2400}), ("telephone_", {"width": 390, "height": 4200})):
            page = browser.new_page(viewport=viewport)
            shoot(page, base, out, name)
            page.close()
        browser.close()


def shoot(page, base: str, out: Path, prefix: str) -> None:
    for path in PAGES:
        page.goto(f"{base}/{path}")
        page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=30000)
        page.wait_for_function(
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30000)
        if path.startswith("carte"):
            page.wait_for_function(f"() => {{ const f = document.querySelector(\"{MAP}\");"
                                   " return f && f.contentWindow.__map && f.contentWindow.__map.ready; }",
                                   timeout=60000)
        if path.startswith("terrain"):
            page.frame_locator("iframe[title='streamlit_folium.st_folium']").locator(".leaflet-container").wait_for(
                timeout=60000)
        page.wait_for_timeout(1500)  # let plotly finish drawing
        query = dict(part.split("=", 1) for part in path.partition("?")[2].split("&") if "=" in part)
        indicator = query.get("indicateur_effet") or query.get("ie") or "defaut"  # the French key, or the old one
        suffix = f"_effet_{query.get('g', 'groupe')}_{indicator}" if query.get("vue") == "effet" else ""
        target = out / f"{prefix}{path.split('?')[0] or 'accueil'}{suffix}.png"
        page.screenshot(path=str(target), full_page=True)
        print(target)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8501",
         Path(sys.argv[2] if len(sys.argv) > 2 else "artifacts/screenshots"))
