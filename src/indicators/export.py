"""Files for evaluators: the exact data behind a view as CSV/XLSX, with its metadata and sources."""
from __future__ import annotations

import io
import json
import re
import textwrap
import threading
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from . import evaluation_pack, links, pdf_links, store, territories
from .charts import (FONT, LINK_STYLE, SMALL_MULTIPLES_FROM, TEMPLATE, ChartSpec, frame, link_lines, reframe,
                     small_multiples, spec_of, trend_chart)
from .format import MISSING, fr_numbers, period_label
from .store import METRO_ONLY
from .text import plot

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "object" or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def series_table(series: pd.DataFrame, spec: ChartSpec | None = None,
                 indicator_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The tidy table behind a chart: one row per territory and period, labels beside ids, the unit and
    what the values are (an index is not a population), values rounded as the chart shows them;
    missing values left empty (donnée non disponible, never 0)."""
    decimals = spec.decimals if spec else None
    values = series["value"].astype(float)
    return pd.DataFrame({
        "code": series["territory"].to_numpy(),
        "territoire": series["territory_label"].to_numpy(),
        "indicateur": series["indicator"].to_numpy(),
        "libellé": (series["indicator_label"].to_numpy() if "indicator_label" in series
                    else [(indicator_labels or {}).get(i, "") for i in series["indicator"]]),
        "période": [period_label(p, y) for p, y in zip(series["period_start"], series["year"], strict=True)],
        "début": series["period_start"].astype(int).to_numpy(),
        "fin": series["year"].astype(int).to_numpy(),
        # as the chart shows them: whole numbers without « ,0 », others to the indicator's decimals
        "valeur": (values.round(decimals).astype("Int64") if decimals == 0 and values.dropna().abs().max() < 2**53
                   else values.round(decimals) if decimals is not None else values).to_numpy(),
        "unité": spec.unit if spec else "",
        "valeurs": spec.transform if spec else "valeurs",
        "statut": status(series),
    })


FLAG_STATUS = {"estimé": "estimé", METRO_ONLY: ""}  # a metropolitan France is said by its name, not here


def status(series: pd.DataFrame) -> list[str]:
    """What a reader must know of each value: not available, estimated, a small count (unstable)."""
    flags = series["flag"] if "flag" in series else pd.Series([None] * len(series), index=series.index)
    small = series["small"] if "small" in series else pd.Series([False] * len(series), index=series.index)
    out = []
    for value, flag, is_small in zip(series["value"], flags, small, strict=True):
        said = [MISSING] if pd.isna(value) else []
        said += [FLAG_STATUS.get(flag, str(flag))] if isinstance(flag, str) and flag else []
        said += ["effectif faible"] if not pd.isna(is_small) and bool(is_small) and not pd.isna(value) else []
        out.append(", ".join(s for s in said if s))
    return out


def to_csv(table: pd.DataFrame, french: bool = True) -> bytes:
    """French convention by default (`;`, decimal comma, UTF-8 with BOM so Excel reads accents)."""
    text = _safe(table).to_csv(index=False, sep=";" if french else ",", decimal="," if french else ".")
    return text.encode("utf-8-sig" if french else "utf-8")


def to_xlsx(table: pd.DataFrame, meta: ChartSpec) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
        _safe(table).to_excel(xl, sheet_name="données", index=False)
        pd.DataFrame(meta.rows(), columns=["champ", "valeur"]).map(neutralise).to_excel(
            xl, sheet_name="métadonnées", index=False)
    return buffer.getvalue()


# ---------------------------------------------------------------- images (kaleido + Debian Chromium)
_RENDER_LOCK = threading.Lock()
_server_started = False
IMAGE_SIZE = {"width": 1200, "height": 650}


def stamp(fig: go.Figure, spec: ChartSpec, exported: date | None = None, width: int | None = None) -> go.Figure:
    """A copy of the figure laid out for an image of known width, carrying its export date and its
    permalink on a line of their own under the source (the figure grows: nothing is covered)."""
    if not (fig.layout.meta or {}).get("frame"):  # a figure drawn without the chart frame (a PDF text page)
        return go.Figure(fig)
    return reframe(fig, spec, stamp=export_line(spec, exported), link=spec.permalink,
                   width=width or IMAGE_SIZE["width"])


def export_line(spec: ChartSpec, exported: date | None = None) -> str:
    """What every exported image says under its source: when, and that the link below reopens the view
    (printed by the frame on lines of its own, see charts.link_lines)."""
    when = (exported or date.today()).strftime("%d/%m/%Y")
    return f"Exporté le {when}" + (" · Lien de cette vue :" if spec.permalink else "")


def render(fig: go.Figure, fmt: str, width: int | None = None, height: int | None = None, scale: float = 2) -> bytes:
    """PNG (scale 2, print quality), SVG or PDF through kaleido, which drives the local Chromium."""
    global _server_started
    import kaleido

    with _RENDER_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server": expected
        if not _server_started:
            kaleido.start_sync_server()
            _server_started = True
        return fig.to_image(format=fmt, width=width or IMAGE_SIZE["width"],
                            height=height or fig.layout.height or IMAGE_SIZE["height"], scale=scale)


def chart_files(fig: go.Figure, spec: ChartSpec, table: pd.DataFrame, stem: str,
                french: bool = True) -> dict[str, bytes]:
    """Everything about one chart: images with their stamp, and the exact data behind them."""
    stamped = stamp(fig, spec)
    return {
        f"{stem}.png": render(stamped, "png"),
        f"{stem}.svg": render(stamped, "svg", scale=1),
        f"{stem}.csv": to_csv(table, french=french),
        f"{stem}.xlsx": to_xlsx(table, spec),
    }


# ---------------------------------------------------------------- review pack
def _within(series: pd.DataFrame, year_from: int, year_to: int) -> pd.DataFrame:
    return series[(series["year"] >= year_from) & (series["period_start"] <= year_to)]


def _stand_ins(con, ind: store.IndicatorRow, series: pd.DataFrame, refs_by_code: dict[str, list[str]],
               year_from: int, year_to: int) -> tuple[pd.DataFrame, str]:
    """When no member has the indicator (business creations exist from départements up), the pack says
    why and shows what exists instead: the members' départements and régions, named as such."""
    codes = list(refs_by_code)
    if not codes or series["territory"].isin(codes).any():
        return series, ""
    said = (f"{ind.label} : donnée non disponible pour ces territoires sur {year_from}–{year_to} "
            f"(couverture : {ind.coverage.rstrip('.')}).")
    parents = list(dict.fromkeys(p for c in codes for p in refs_by_code[c][:-1] if p not in codes))
    for level, whose in (("DEP", "départements"), ("REG", "régions")):  # the nearest level that has it
        wanted = [p for p in parents if territories.level_of(p) == level]
        stand = _within(store.series(con, wanted, [ind.id]), year_from, year_to) if wanted else series.iloc[:0]
        if not stand.empty:
            one = whose[:-1]  # « département », « région »
            stand = stand.assign(territory_label=stand["territory_label"] + f" ({one} d'un membre)")
            return (pd.concat([stand, series], ignore_index=True),
                    f"{said} À la place, ce qui existe : les {whose} des membres, nommés comme tels.")
    return series, said


@dataclass
class PackItem:
    """One indicator of a review pack: its figure, spec, data and notes, built once for ZIP and PDF."""

    indicator: store.IndicatorRow
    figure: go.Figure
    spec: ChartSpec
    table: pd.DataFrame
    evaluation: evaluation_pack.EvaluationSection | None = None  # when the pack is a programme's group
    gap: str = ""  # what the members lack, and what is shown instead


def pack_items(con, codes: list[str], indicator_ids: list[str], year_from: int, year_to: int,
               with_references: bool, permalink: Callable[[str, list[str]], str], subtitle: str = "",
               group: evaluation_pack.asm.Group | None = None) -> list[PackItem]:
    """Series, chart and table of each indicator for these territories (and their references); for a
    programme's group with a start year, each indicator's « Évaluation » section too."""
    # References: the members' régions and France, for rates only (France's count would flatten the lines).
    refs_by_code = {c: territories.references(con, c) for c in codes}  # département, région, France: read once
    regions = [r[-2] for r in refs_by_code.values() if len(r) >= 2]
    refs = [r for r in dict.fromkeys(regions + ["FR"]) if r not in codes] if with_references and codes else []
    inds = store.indicator_rows(con)
    start_year = group.start if group is not None else None
    items = []
    for ind_id in indicator_ids:
        ind = inds[ind_id]
        shown_refs = refs if ind.kind != "count" else []
        series = _within(store.series(con, codes + shown_refs, [ind_id]), year_from, year_to)
        series, gap = _stand_ins(con, ind, series, refs_by_code, year_from, year_to)
        spec = spec_of(ind, subtitle=f"{subtitle} · {year_from}–{year_to}".strip(" ·"),
                       permalink=permalink(ind_id, shown_refs), marker_year=start_year,
                       marker_label=f"Début du programme ({start_year})" if start_year else "",
                       notes=tuple(n for n in (gap, ind.caution) if n))
        members = [c for c in codes if (series["territory"] == c).any()]
        if len(members) >= SMALL_MULTIPLES_FROM:  # one panel per member, each with its own région and France
            refs_of = {c: [r for r in refs_by_code[c] if r in shown_refs] for c in members}
            fig = small_multiples(series, spec, members, refs_of, shared_scale=ind.kind != "count")
        else:
            fig = trend_chart(series, spec, frozenset(shown_refs)) if not series.empty else _empty_figure(spec)
        items.append(PackItem(ind, fig, spec, series_table(series, spec, {ind_id: str(ind.label)}), gap=gap))
    if group is not None:
        found = evaluation_pack.sections(con, group, {it.indicator.id: it.indicator for it in items})
        for it in items:
            it.evaluation = found.get(it.indicator.id)
    return items


def _empty_figure(spec: ChartSpec) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=MISSING, showarrow=False, font={"size": 18, "color": "#777"})
    frame(fig, spec, plot_height=300, legend="none")
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def _metadata(items: list[PackItem], title: str, territories_text: str) -> dict:
    return {
        "titre": title,
        "territoires": territories_text,
        "date_export": date.today().isoformat(),
        "indicateurs": [{
            "id": it.indicator.id, "libellé": it.indicator.label, "unité": it.indicator.unit,
            "définition": it.indicator.definition, "règle": it.indicator.rule,
            "source": it.indicator.source, "licence": it.indicator.licence,
            "millésime": it.indicator.vintage, "précautions": it.indicator.caution or "",
            "lien": it.spec.permalink, "valeurs": int(it.table["valeur"].notna().sum()), "absent": it.gap,
        } for it in items],
    }


def review_zip(items: list[PackItem], title: str, territories_text: str,
               progress: Callable[[float, str], None] = lambda *_: None) -> bytes:
    """One folder per indicator (PNG, SVG, CSV, XLSX), with README.txt and metadata.json at the root."""
    buffer = io.BytesIO()
    meta = _metadata(items, title, territories_text)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, it in enumerate(items):
            progress(n / max(len(items), 1), f"{it.indicator.label}…")
            folder = f"{n + 1:02d}_{it.indicator.id}"
            for name, data in chart_files(it.figure, it.spec, it.table, "graphique").items():
                if name.endswith((".csv", ".xlsx")):
                    name = name.replace("graphique", "donnees")
                zf.writestr(f"{folder}/{name}", data)
            if it.evaluation is not None:
                for stem, fig, spec, table in it.evaluation.charts:
                    for name, data in chart_files(fig, spec, table, stem).items():
                        zf.writestr(f"{folder}/evaluation/{name}", data)
                zf.writestr(f"{folder}/evaluation/chiffres.csv", to_csv(_rounded(it.evaluation.numbers)))
                for stem, table in it.evaluation.tables.items():
                    zf.writestr(f"{folder}/evaluation/{stem}.csv", to_csv(table))
                zf.writestr(f"{folder}/evaluation/LISEZMOI.txt",
                            "\n".join(evaluation_pack.text(it.evaluation, it.indicator.label)))
        summary = evaluation_pack.summary_table([it.evaluation for it in items if it.evaluation is not None])
        if len(summary):
            zf.writestr("synthese_evaluation.csv", to_csv(summary))
        zf.writestr("metadata.json", json.dumps(meta, ensure_ascii=False, indent=2))
        zf.writestr("README.txt", _readme(meta))
    progress(1.0, "terminé")
    return buffer.getvalue()


def _readme(meta: dict) -> str:
    lines = [meta["titre"], "=" * len(meta["titre"]), "", f"Territoires : {meta['territoires']}",
             f"Exporté le {meta['date_export']} depuis l'Observatoire de l'attractivité.", "",
             "Chaque dossier contient le graphique (PNG, SVG) et les données exactes qui le composent (CSV au "
             "format français : « ; », virgule décimale, UTF-8 avec BOM ; XLSX avec une feuille de métadonnées).",
             "Une valeur absente est vide dans les fichiers : donnée non disponible, jamais zéro.", ""]
    for entry in meta["indicateurs"]:
        lines += [f"## {entry['libellé']} ({entry['unité']})", f"Définition : {entry['définition']}",
                  f"Règle d'agrégation : {entry['règle']}", f"{entry['source']} · Licence : {entry['licence']} · "
                  f"Millésime : {entry['millésime']}", *([f"Précautions : {entry['précautions']}"] if entry['précautions'] else []),
                  *([entry["absent"]] if entry.get("absent") else []),
                  f"Lien : {entry['lien']}", ""]
    return "\n".join(lines)


def review_pdf(items: list[PackItem], title: str, territories_text: str,
               progress: Callable[[float, str], None] = lambda *_: None, members: list[str] | None = None,
               period: str = "") -> bytes:
    """A report: a title page (members, period, sources), then per indicator a chart page (with its
    definition, rule and cautions) and table pages, then sources and licences.

    Every page is a plotly figure printed to PDF by kaleido, with the template set on each, so the
    report is the same whichever process makes it (the app's or the command line's).
    """
    from pypdf import PdfReader, PdfWriter

    meta = _metadata(items, title, territories_text)
    listed = members or [territories_text]
    pages = [_text_page(title, [
        f"Période : {period}" if period else "", f"Exporté le {date.today().strftime('%d/%m/%Y')} depuis "
        "l'Observatoire de l'attractivité.", "", f"Territoires ({len(listed)}) :",
        *[f"• {m}" for m in listed[:40]], *([f"… et {len(listed) - 40} autres (liste complète dans le ZIP)."]
                                           if len(listed) > 40 else []),
        "", "Sources :", *sorted({f"• {i['source']}" for i in meta['indicateurs']})])]
    summary = evaluation_pack.summary_table([it.evaluation for it in items if it.evaluation is not None])
    if len(summary):  # the answer first: one line per indicator before any chart
        pages += _frame_pages("L'évaluation en une ligne par indicateur (le détail suit, indicateur par indicateur)",
                              summary, 2, widths=[2, 3, 2, 2, 4])
    for n, it in enumerate(items):
        progress(n / max(len(items), 1), f"{it.indicator.label}…")
        notes = [*([it.gap] if it.gap else []), f"Définition : {it.indicator.definition}",
                 f"Règle d'agrégation : {it.indicator.rule}"]
        if it.indicator.caution:
            notes.append(f"Précautions : {it.indicator.caution}")
        pages.append(_chart_page(it, notes))
        pages += _table_pages(it)
        if it.evaluation is not None:
            pages += _evaluation_pages(it)
    pages += _text_pages("Sources et licences", sources_lines(items))
    writer, linked = PdfWriter(), []
    for page in pages:
        url = _page_link(page)
        if url and (page.layout.meta or {}).get("frame"):
            pdf_links.with_qr(page, url)
        for p in PdfReader(io.BytesIO(render(page, "pdf", width=PAGE["width"], height=PAGE["height"], scale=1))).pages:
            writer.add_page(p)
            linked.append((url, (page.layout.meta or {}).get("qr"), PAGE["width"]) if url else None)
    out = io.BytesIO()
    writer.write(out)
    progress(1.0, "terminé")
    return _titled(pdf_links.annotate(out.getvalue(), linked), title, territories_text)


def _titled(pdf: bytes, title: str, subject: str) -> bytes:
    """The document's own title and subject, as a PDF reader shows them in its window and its index."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": title, "/Subject": subject[:500], "/Creator": "Observatoire de l'attractivité",
                         "/Lang": "fr-FR"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pack_filename(subject: str, extension: str, day: date | None = None) -> str:
    """« dossier_sites-pilotes-du-management-de-centre-ville_2026-12-08.pdf »: the group (or territories) and
    the day, in letters a file system and a mail attachment keep."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    if len(slug) > 60:  # cut between words
        slug = slug[:61].rsplit("-", 1)[0]
    slug = slug or "territoires"
    return f"dossier_{slug}_{(day or date.today()).isoformat()}.{extension}"


def sources_lines(items: list[PackItem]) -> list[str]:
    """The pack's sources page: each dataset once (producer, title, vintage, licence) with the indicators it
    feeds, never a licence or a vintage repeated per indicator; an imported indicator with its own words."""
    from . import catalog

    datasets: dict[str, tuple[object, list[str]]] = {}
    own = []
    for it in items:
        try:
            cited = catalog.get(it.indicator.id).sources
        except KeyError:  # a user's indicator: its importer's source and licence
            own.append(f"• {it.indicator.label} : {it.indicator.source} — {it.indicator.licence or 'licence non précisée'}")
            continue
        for d in cited:
            datasets.setdefault(d.id, (d, []))[1].append(str(it.indicator.label))
    lines = [f"• {d.producer}, {d.dataset} — {d.vintage} — {d.licence}. Pour : {', '.join(dict.fromkeys(used))}."
             for d, used in datasets.values()]
    return lines + own + ["", "« © Code Officiel Géographique (Insee) et package R COGugaison » (ODbL)."]


def _page_link(page: go.Figure) -> str:
    """The link a page prints (a chart's permalink, or the « Lien : » of a text page)."""
    meta = page.layout.meta or {}
    return str(meta.get("frame", {}).get("link") or meta.get("link") or "")


PAGE = {"width": 1123, "height": 794}  # A4 landscape at 96 dpi
TABLE_ROWS = 26  # rows of a table page
TABLE_PAGES = 6  # beyond, the ZIP carries the rest


def _wrap(text: str, width: int = 130) -> str:
    """Text page lines, without ligatures: words copied or searched in the PDF read « effet », not « eﬀet »."""
    return "<br>".join(f"<span style='font-variant-ligatures:none'>{plot(line)}</span>"
                       for line in textwrap.wrap(str(text), width)) or " "


def _page(fig: go.Figure) -> go.Figure:
    fig.update_layout(template=TEMPLATE, font={"family": FONT, "color": "#111"}, paper_bgcolor="white",
                      plot_bgcolor="white", width=PAGE["width"], height=PAGE["height"])
    return fig


LINK_PREFIX = "Lien : "


def _text_page(title: str, lines: list[str]) -> go.Figure:
    """A page of text; a line « Lien : <url> » prints its link as charts do (see charts.link_lines)."""
    fig = go.Figure()
    fig.update_layout(title={"text": plot(title), "font": {"size": 22}, "x": 0.04}, xaxis={"visible": False},
                      yaxis={"visible": False}, margin={"l": 50, "r": 40, "t": 80, "b": 40})
    shown, link = [], ""
    for line in lines:
        if str(line).startswith(LINK_PREFIX + "http"):
            link = str(line)[len(LINK_PREFIX):]
            shown.append(plot(LINK_PREFIX) + "<br>".join(f"<span style='{LINK_STYLE}'>{plot(part)}</span>"
                                                          for part in link_lines(link)))
        else:
            shown.append(_wrap(line, 120))
    fig.add_annotation(text="<br>".join(shown), xref="paper", yref="paper", x=0, y=1,
                       xanchor="left", yanchor="top", align="left", showarrow=False, font={"size": 13})
    if link:
        fig.update_layout(meta={"link": link})
    return _page(fig)


PAGE_LINES = 36  # wrapped text lines a page holds


def _text_pages(title: str, lines: list[str]) -> list[go.Figure]:
    """Text over as many pages as it needs, never cut at the bottom of one, and a heading (« Méthode : »)
    never left alone at the foot of a page: it goes over with its first line."""
    pages, current, used = [], [], 0
    for line in lines:
        height = max(1, len(textwrap.wrap(str(line), 120)))
        if used + height > PAGE_LINES and current:
            carried = [current.pop()] if current and str(current[-1]).rstrip().endswith(":") else []
            while current and not str(current[-1]).strip():  # no blank line left at the foot either
                current.pop()
            pages.append(current)
            current, used = carried, sum(max(1, len(textwrap.wrap(str(x), 120))) for x in carried)
        current.append(line)
        used += height
    pages.append(current)
    return [_text_page(title + (f" ({n}/{len(pages)})" if len(pages) > 1 else ""), p)
            for n, p in enumerate(pages, start=1)]


def _rounded(numbers: pd.DataFrame) -> pd.DataFrame:
    """The figures of a section at the decimals they are read with (never 16 decimals in a CSV)."""
    return numbers.assign(valeur=[None if pd.isna(v) else round(float(v), int(d))
                                  for v, d in zip(numbers["valeur"], numbers["décimales"], strict=True)])


def _evaluation_pages(it: PackItem) -> list[go.Figure]:
    """An indicator's « Évaluation »: the verdict and the figures, the charts, then the comparison
    (balance before the start, the territories compared, those left out and why)."""
    ev = it.evaluation
    label = it.indicator.label
    pages = _text_pages(f"Évaluation : {label}", evaluation_pack.text(ev, label)[2:])
    pages += [_page(reframe(fig, spec, stamp=export_line(spec), link=spec.permalink, width=PAGE["width"],
                            height=PAGE["height"]))
              for _, fig, spec, _ in ev.charts]
    if "equilibre" in ev.tables:
        pages += _frame_pages(f"{label} : équilibre avant le début", ev.tables["equilibre"], 2)
    if "comparaison" in ev.tables:
        pages += _frame_pages(f"{label} : territoires de comparaison", ev.tables["comparaison"], 3)
    summary = evaluation_pack.exclusions_summary(ev.tables.get("exclusions", pd.DataFrame()))
    if summary:
        pages += _text_pages(f"{label} : territoires écartés du vivier",
                             ["Un territoire qui partage des communes avec un membre n'est jamais comparé ; un territoire "
                              "d'un autre programme ne l'est que si l'utilisateur l'ajoute. Liste complète : "
                              "exclusions.csv dans le ZIP.", "", *summary])
    return pages


def _frame_pages(title: str, table: pd.DataFrame, decimals: int, widths: list[float] | None = None) -> list[go.Figure]:
    """Any small table as pages of TABLE_ROWS rows (numbers the French way); the ZIP has it whole."""
    chunks = [table.iloc[i:i + TABLE_ROWS] for i in range(0, max(len(table), 1), TABLE_ROWS)][:TABLE_PAGES]
    pages = []
    for n, shown in enumerate(chunks, start=1):
        cells = [[plot(v) for v in (fr_numbers(shown[c].tolist(), decimals) if pd.api.types.is_numeric_dtype(shown[c])
                                    else shown[c].astype(str).tolist())] for c in shown.columns]
        fig = go.Figure(go.Table(
            columnwidth=widths,
            header={"values": [plot(c) for c in shown.columns], "align": "left", "fill_color": "#dde6ef",
                    "font": {"color": "#111", "size": 12}, "line_color": "#9aa5b1", "height": 26},
            cells={"values": cells, "align": "left", "fill_color": "white", "font": {"color": "#111", "size": 11},
                   "line_color": "#c8ced6", "height": 22}))
        more = f" — page {n}/{len(chunks)}" if len(chunks) > 1 else ""
        rest = (f" ; {len(table) - TABLE_ROWS * TABLE_PAGES} lignes de plus dans le ZIP"
                if n == len(chunks) and len(table) > TABLE_ROWS * TABLE_PAGES else "")
        fig.update_layout(title={"text": plot(f"{title}{more}{rest}"), "x": 0.04}, margin={"l": 50, "r": 40, "t": 70, "b": 30})
        pages.append(_page(fig))
    return pages


def _chart_page(it: PackItem, notes: list[str]) -> go.Figure:
    """The chart laid out on the page: legend in columns under the plot, then source and the export line
    (the link wrapped, never cut), then the notes; the plot takes the height that remains."""
    if not (it.figure.layout.meta or {}).get("frame"):
        return _page(go.Figure(it.figure))
    page = reframe(it.figure, it.spec, stamp=export_line(it.spec), link=it.spec.permalink, notes=tuple(notes),
                   width=PAGE["width"], height=PAGE["height"])
    return _page(page)


def _table_pages(it: PackItem) -> list[go.Figure]:
    """The values as dark text on white, in pages of TABLE_ROWS rows."""
    t = it.table
    pages = []
    chunks = [t.iloc[i:i + TABLE_ROWS] for i in range(0, max(len(t), 1), TABLE_ROWS)][:TABLE_PAGES]
    for n, shown in enumerate(chunks, start=1):
        shown = shown.assign(valeur=fr_numbers(shown["valeur"].tolist(), it.spec.decimals))
        fig = go.Figure(go.Table(
            columnwidth=[330, 110, 170, 150],
            header={"values": ["Territoire", "Période", plot(f"Valeur ({it.spec.unit})"), "Statut"], "align": "left",
                    "fill_color": "#dde6ef", "font": {"color": "#111", "size": 12}, "line_color": "#9aa5b1",
                    "height": 26},
            cells={"values": [[plot(v) for v in shown[c]] for c in ("territoire", "période", "valeur", "statut")],
                   "align": "left", "fill_color": "white", "font": {"color": "#111", "size": 11},
                   "line_color": "#c8ced6", "height": 22}))
        more = f" — page {n}/{len(chunks)}" if len(chunks) > 1 else ""
        rest = (f" ; {len(t) - TABLE_ROWS * TABLE_PAGES} lignes de plus dans le ZIP"
                if n == len(chunks) and len(t) > TABLE_ROWS * TABLE_PAGES else "")
        fig.update_layout(title={"text": plot(f"{it.spec.title} : valeurs{more}{rest}"), "x": 0.04},
                          margin={"l": 50, "r": 40, "t": 70, "b": 30})
        pages.append(_page(fig))
    return pages


SUBJECT_CHARS = 72  # a pack's subject on its title line and under each chart title, before « et N autres »


def pack_subject(names: list[str], group_name: str | None = None, short: bool = True) -> str:
    """What a pack is about: the group's name, or the territories' names — `short`, only while they fit a
    title line (« Foix (09), Pamiers (09) et 18 autres territoires »), else all (the README, the metadata)."""
    if group_name:
        return group_name
    if not short or len(", ".join(names)) <= SUBJECT_CHARS:
        return ", ".join(names)
    shown: list[str] = []
    for name in names:
        tail = f" et {len(names) - len(shown) - 1} autres territoires"
        if shown and len(", ".join([*shown, name])) + len(tail) > SUBJECT_CHARS:
            break
        shown.append(name)
    left = len(names) - len(shown)
    return ", ".join(shown) + (f" et {left} autre{'s' if left > 1 else ''} territoire{'s' if left > 1 else ''}"
                               if left else "")


def pack_command(group_id: str | None, codes: list[str], indicators: list[str], year_from: int, year_to: int,
                 references: bool) -> str:
    """The command line that makes the same pack (`python -m indicators export …`), for an evaluator to
    rebuild it on a server; words outside the codes' and ids' alphabet are dropped, never run."""
    def safe(words: list[str]) -> str:
        return ",".join(w for w in words if re.fullmatch(r"[A-Za-z0-9:_-]+", w))

    who = f"--group {safe([group_id])}" if group_id else f"--territories {safe(codes)}"
    return (f"python -m indicators export {who} --indicators {safe(indicators)} --from {int(year_from)} "
            f"--to {int(year_to)}" + ("" if references else " --no-references") + " --out dossier.zip")


def pack_title(subject: str) -> str:
    return f"Dossier d'évaluation : {subject}"


def pack_permalink(codes: list[str], group_id: str | None, year_from: int, year_to: int
                   ) -> Callable[[str, list[str]], str]:
    """The link of each pack chart: Évolutions with the same territories, years, references and
    programme line, so the link reopens the chart that was exported."""
    return lambda indicator_id, refs: links.permalink(links.EvolutionsView(
        territories=codes, indicator=[indicator_id], year_from=year_from, year_to=year_to,
        ref=",".join(refs) or "0", group=group_id))


