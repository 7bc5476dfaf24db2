"""Exported images looked at in Chromium: for each chart of the pilot-site pack (made by the Exporter
page), the legend, the source and the export line are separate boxes inside the image, and the link
is whole. The PNGs are kept in artifacts/exports/."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BOXES = """() => {
  const svg = document.querySelector('svg');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const notes = [...document.querySelectorAll('g.annotation')].map(g => [g.textContent, box(g)]);
  return {size: [svg.width.baseVal.value, svg.height.baseVal.value],
          legend: document.querySelector('g.legend') ? box(document.querySelector('g.legend')) : null,
          plot: box(document.querySelector('.cartesianlayer .bg') || document.querySelector('.cartesianlayer')),
          notes: notes};
}"""


INDICATORS = "population,net_migration_rate,co2_ets_per_inhabitant"


@pytest.fixture(scope="module")
def pack() -> tuple[str, zipfile.ZipFile]:
    """The pilot-site pack made by the Exporter page in a Streamlit process (Streamlit's plotly template around
    it). The command line's pack is drawn by the same code; its pages are checked in tests/unit/test_export_visual."""
    from tests.app.test_pages import open_page

    at = open_page("exporter", gp="cci-midi-pyrenees", ip=INDICATORS, de="2008", a="2021")
    next(b for b in at.button if b.label.startswith("Préparer le dossier")).click()
    at.run(timeout=300)
    return "app", zipfile.ZipFile(io.BytesIO(at.session_state["pack"][0]))


def test_legend_source_and_link_never_overlap_in_the_pack_images(page, pack):
    made_by, pack = pack
    folder = ROOT / "artifacts" / "exports" / f"{made_by}_zip"
    folder.mkdir(parents=True, exist_ok=True)
    svgs = [n for n in pack.namelist() if n.endswith(".svg")]
    assert len([n for n in svgs if "/evaluation/" not in n]) == 3
    assert len([n for n in svgs if "/evaluation/" in n]) >= 3  # group and comparison, placebo, balance at least
    for name in svgs:
        (folder / name.replace("/", "_").replace(".svg", ".png")).write_bytes(pack.read(name.replace(".svg", ".png")))
        page.set_content(f"<html><body style='margin:0'>{pack.read(name).decode()}</body></html>")
        b = page.evaluate(BOXES)
        width, height = b["size"]
        source = next(box for text, box in b["notes"] if text.startswith("Source"))
        text = next(t for t, _ in b["notes"] if t.startswith("Source"))
        assert "Exporté le" in text and "g=cci-midi-pyrenees" in text.replace("\u200b", ""), text
        legend = b["legend"]
        if legend is None:  # one series (the placebo histogram): the source stays under the plot, inside the image
            assert "/evaluation/" in name, (name, "a chart of several series without a legend")
            assert source[1] >= b["plot"][3] - 1, (name, "source over the plot")
            assert source[0] >= 0 and source[2] <= width + 1 and source[3] <= height + 1, (name, "cut at the edge")
            continue
        assert legend[1] >= b["plot"][3] - 1, (name, "legend over the plot")
        assert legend[3] <= source[1] + 1, (name, "legend over the source", legend, source)
        for left, _top, right, bottom in (legend, source):
            assert left >= 0 and right <= width + 1 and bottom <= height + 1, (name, "cut at the edge")
