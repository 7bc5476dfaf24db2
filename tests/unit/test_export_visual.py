"""The review pack looked at as a person would: PDF pages rendered to images (pypdfium2), made by the
command line and inside the app; tables readable (dark text on light cells), links whole, legend above
the source, members and period on the title page. Images are kept in artifacts/exports/."""
from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from indicators import territories

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "exports"
INDICATORS = "population,net_migration_rate"
SCALE = 2


@pytest.fixture(scope="module")
def members(con) -> list[str]:
    return territories.group_members(con, "cci-midi-pyrenees")["label"].tolist()


@pytest.fixture(scope="module")
def cli_pdf(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("cli") / "dossier.pdf"
    run = subprocess.run([sys.executable, "-m", "indicators", "export", "--group", "cci-midi-pyrenees", "--indicators",
                          INDICATORS, "--from", "2012", "--to", "2021", "--out", str(out), "--pdf"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def app_pack() -> tuple[bytes, bytes]:
    """The pack made by the Exporter page inside a Streamlit process (its plotly template is Streamlit's)."""
    from tests.app.test_pages import open_page

    at = open_page("exporter", gp="cci-midi-pyrenees", ip=INDICATORS, de="2012", a="2021")
    next(b for b in at.button if b.label.startswith("Préparer le dossier")).click()
    at.run(timeout=300)
    assert not at.exception, at.exception
    return at.session_state["pack"]


def pages(pdf: bytes, name: str) -> list[tuple[pdfium.PdfPage, np.ndarray, str]]:
    """Each page with its rendered image (grey levels) and text; images saved as artifacts."""
    doc = pdfium.PdfDocument(pdf)
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(len(doc)):
        page = doc[n]
        image = page.render(scale=SCALE).to_pil()
        image.save(folder / f"page-{n + 1:02d}.png")
        out.append((page, np.asarray(image.convert("L")), page.get_textpage().get_text_range()))
    return out


def boxes(page: pdfium.PdfPage, needle: str) -> list[tuple[float, float, float, float]]:
    """Boxes (left, bottom, right, top in PDF points) of each occurrence's characters."""
    text = page.get_textpage()
    found, searcher = [], text.search(needle, match_case=True)
    while (hit := searcher.get_next()) is not None:
        start, count = hit
        chars = [text.get_charbox(i) for i in range(start, start + count)]
        found.append((min(c[0] for c in chars), min(c[1] for c in chars), max(c[2] for c in chars),
                      max(c[3] for c in chars)))
    return found


def check_pack(pdf: bytes, name: str, members: list[str]) -> None:
    rendered = pages(pdf, name)
    title_page = rendered[0][2]
    assert "Période : 2012–2021" in title_page
    for member in members:
        assert member in title_page, member
    chart_pages = [r for r in rendered if "Exporté le" in r[2] and "Définition" in r[2]]
    table_pages = [r for r in rendered if "Territoire" in r[2] and "Période" in r[2] and "valeurs" in r[2]]
    assert len(chart_pages) == 2 and table_pages
    for page, _image, text in chart_pages:
        flat = text.replace("\r", "").replace("\n", "")
        link = re.search(r"http://localhost:8501/evolutions\?\S+?g=cci-midi-pyrenees", flat)
        assert link, "permalink missing or cut"
        assert all(code in link.group(0) for code in ("COM:09122", "EPCI:241200187"))  # the whole member list
        source_top = max(b[3] for b in boxes(page, "Source :"))
        legend = [b for m in members for b in boxes(page, m[:12])]
        assert legend, "legend missing"
        assert min(b[1] for b in legend) > source_top, "legend runs into the source"
        width, height = page.get_size()
        assert all(b[2] <= width for m in members for b in boxes(page, m[:12])), "legend cut at the page edge"
    for page, image, _text in table_pages:
        assert (image < 100).mean() < 0.08, "table painted dark"
        tp = page.get_textpage()
        h = image.shape[0]
        behind = []
        for i in range(tp.count_chars()):
            left, bottom, right, top = tp.get_charbox(i)
            if right - left < 1:
                continue
            y0, y1 = int(h - top * SCALE), int(h - bottom * SCALE)
            patch = image[max(y0 - 2, 0):y1 + 2, int(left * SCALE) - 1:int(right * SCALE) + 1]
            if patch.size:
                behind.append(np.median(patch))
        assert behind and np.mean(np.asarray(behind) > 170) > 0.95, "text painted over"
    tables_text = " ".join(t.replace("\r\n", " ") for _, _, t in table_pages)
    assert all(m in tables_text for m in members)


def test_the_pack_made_by_the_command_line_reads_as_it_should(cli_pdf, members):
    check_pack(cli_pdf, "cli", members)


def test_the_pack_made_inside_the_app_is_the_same_as_the_command_lines(app_pack, members):
    zipped, pdf = app_pack
    check_pack(pdf, "app", members)
    zf = zipfile.ZipFile(io.BytesIO(zipped))
    folder = ARTIFACTS / "app_zip"
    folder.mkdir(parents=True, exist_ok=True)
    for name in zf.namelist():
        if name.endswith(".png"):
            (folder / name.replace("/", "_")).write_bytes(zf.read(name))
    csv = zf.read("02_net_migration_rate/donnees.csv").decode("utf-8-sig").splitlines()
    assert csv[0] == "code;territoire;indicateur;libellé;période;début;fin;valeur;unité;valeurs;statut"
    assert all(len(v.split(",")[1]) <= 1 for v in (line.split(";")[7] for line in csv[1:]) if "," in v)  # 1 decimal


LIGATURES = re.compile("[\ufb00-\ufb06]")


def test_every_printed_link_is_clickable_without_ligatures_and_reopens_its_view(cli_pdf):
    from urllib.parse import parse_qsl, urlsplit

    from pypdf import PdfReader

    from indicators.charts import link_lines
    from tests.app.test_permalinks import reopen

    reader = PdfReader(io.BytesIO(cli_pdf))
    doc = pdfium.PdfDocument(cli_pdf)
    uris, printed = set(), 0
    for n, page in enumerate(reader.pages):
        text = doc[n].get_textpage().get_text_range()
        assert not LIGATURES.search(text), f"page {n + 1}: {LIGATURES.findall(text)}"
        annots = [a.get_object() for a in page.get("/Annots") or []]
        links = {a["/A"]["/URI"] for a in annots if a.get("/Subtype") == "/Link"}
        if "Lien de cette vue" in text or "Lien : http" in text:
            printed += 1
            assert len(links) == 1, f"page {n + 1}: a printed link without its annotation"
        for uri in links:  # what is clicked is what is printed, line by line, whole
            assert all(line in text for line in link_lines(uri)), (n + 1, uri)
            if "Lien de cette vue" in text:  # a chart page: its QR code and each printed line are clickable
                assert sum(a["/A"]["/URI"] == uri for a in annots) == 1 + len(link_lines(uri))
        uris |= links
    assert printed >= 4 and any("vue=effet" in u for u in uris) and any("/evolutions?" in u for u in uris)
    for uri in sorted(uris):
        at = reopen(uri)
        assert not at.exception, uri
        asked = dict(parse_qsl(urlsplit(uri).query))
        kept = {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
                for k in asked if k in at.query_params}
        assert kept == asked, f"{uri} reopened as {dict(at.query_params)}"
