"""Links a printed review pack can be opened from: a QR code beside each view's link, and every printed
link made a clickable link annotation of the PDF (a reader clicks it, a phone scans it, nobody retypes it)."""
from __future__ import annotations

import base64
import io

import plotly.graph_objects as go

from .charts import link_lines

QR_PX = 76   # side of the QR code on a page, in CSS pixels (about 2 cm printed)
QR_TOP = 6   # its distance to the top of the page


def qr_png(url: str) -> bytes:
    """The link as a QR code image (segno: pure Python, no network, error correction M survives a crease)."""
    import segno

    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def with_qr(fig: go.Figure, url: str) -> go.Figure:
    """The page with the link's QR code in its top right corner, in the title band (the title wraps
    before it reaches that corner)."""
    width, height = fig.layout.width, fig.layout.height
    m = fig.layout.margin
    inner_w, inner_h = width - m.l - m.r, height - m.t - m.b
    fig.add_layout_image(source="data:image/png;base64," + base64.b64encode(qr_png(url)).decode(),
                         xref="paper", yref="paper", x=1 + (m.r - 4) / inner_w, y=1 + (m.t - QR_TOP) / inner_h,
                         sizex=QR_PX / inner_w, sizey=QR_PX / inner_h, xanchor="right", yanchor="top",
                         layer="above", name="qr")
    meta = dict(fig.layout.meta or {})
    meta["qr"] = [width - 4 - QR_PX, QR_TOP, width - 4, QR_TOP + QR_PX]  # CSS px from the top left
    fig.update_layout(meta=meta)
    return fig


def annotate(pdf: bytes, pages: list[tuple[str, list[float] | None, float] | None]) -> bytes:
    """Clickable links on the merged pack: for each page (url, QR box in px, page width in px), the
    printed lines of its link and its QR code become link annotations to the url."""
    import pypdfium2 as pdfium
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link

    reader, doc = PdfReader(io.BytesIO(pdf)), pdfium.PdfDocument(pdf)
    writer = PdfWriter(clone_from=reader)
    for n, entry in enumerate(pages):
        if entry is None:
            continue
        url, qr, width_px = entry
        page_w, page_h = (float(v) for v in writer.pages[n].mediabox[2:])
        boxes = _line_boxes(doc[n].get_textpage(), link_lines(url))
        if qr:
            k = page_w / width_px  # CSS px → PDF points
            boxes.append((qr[0] * k, page_h - qr[3] * k, qr[2] * k, page_h - qr[1] * k))
        for box in boxes:
            writer.add_annotation(n, Link(rect=box, url=url))
    doc.close()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _line_boxes(text, lines: list[str]) -> list[tuple[float, float, float, float]]:
    """Where each printed line of a link sits on the page (PDF points), found by searching its text."""
    boxes = []
    for line in lines:
        searcher = text.search(line, match_case=True)
        hit = searcher.get_next()
        while hit:
            index, count = hit
            rects = [text.get_rect(i) for i in range(text.count_rects(index, count))]
            if rects:
                boxes.append((min(r[0] for r in rects), min(r[1] for r in rects),
                              max(r[2] for r in rects), max(r[3] for r in rects)))
            hit = searcher.get_next()
    return boxes
