"""Plotly figures from data frames: pure functions, one chart model shared by screen and exports."""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import mapdata
from .classify import Classes, labels
from .format import MISSING, fr_int, fr_number, period_label
from .store import METRO_ONLY
from .text import plot

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
REFERENCE_COLOURS = {"DEP": "#7f7f7f", "REG": "#a6a6a6", "FR": "#4d4d4d"}
SOURCE_NOTE = "source"  # name of the annotation that carries a figure's source (exports add to it)
FONT = "DejaVu Sans, Arial, sans-serif"  # system fonts only: the app makes no web-font request


TEMPLATE = "plotly_white"  # set on every figure: Streamlit's default template must not leak into exports


@dataclass(frozen=True)
class ChartSpec:
    """The one description of a chart: the screen and every export (PNG, SVG, CSV, XLSX, PDF) are
    drawn from it, so titles, units, sources and links never differ between them."""

    title: str
    unit: str
    source: str
    subtitle: str = ""
    decimals: int = 0
    permalink: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    marker_year: int | None = None  # e.g. a programme's start year, drawn as a vertical line
    marker_label: str = ""
    licence: str = ""
    transform: str = "valeurs"  # what the values are: « valeurs », « indice base 100 en 2013 »…

    def rows(self) -> list[tuple[str, str]]:
        """The metadata sheet of an export."""
        from datetime import date

        return [("Titre", self.title), ("Sous-titre", self.subtitle), ("Unité", self.unit),
                ("Valeurs", self.transform), ("Source", self.source), ("Licence", self.licence),
                ("Date d'export", date.today().isoformat()), ("Lien", self.permalink),
                ("Note", " ".join(self.notes))]


def spec_of(ind, **fields: object) -> ChartSpec:
    """The spec of a chart of one indicator, with what the catalog says of it (title, unit, source,
    licence, decimals, cautions) unless a field is given."""
    base = {"title": str(ind.label), "unit": str(ind.unit), "source": str(ind.source),
            "decimals": ind.decimals, "licence": str(ind.licence or ""),
            "notes": (str(ind.caution),) if ind.caution else ()}
    return ChartSpec(**{**base, **fields})


# Vertical layout in pixels, top to bottom: title, plot, x axis, legend, source, notes, export line.
# Every block gets its own band and the figure grows to hold them: nothing can overlap, whatever the
# number of series or the length of a source.
AXIS_BAND = 48
LEGEND_ROW = 21
TEXT_LINE = 15
LEGEND_ENTRY = 300  # px per legend entry when the width is known (exports): entries flow in columns
LEGEND_CHARS = 40
NOTES = "notes"


def short(label: str, limit: int = LEGEND_CHARS) -> str:
    """A legend entry that fits its column (the hover keeps the full name)."""
    return label if len(label) <= limit else label[:limit - 1].rstrip() + "…"


def _legend_count(fig: go.Figure) -> int:
    shown = [t for t in fig.data if t.showlegend is not False and t.name]
    return len(shown) if len(fig.data) > 1 or any(t.showlegend for t in fig.data) else 0


# A printed link in a font without ligatures (DejaVu Sans shapes « ff » into one glyph, and a link copied
# from a PDF would read « vue=eﬀet »), cut only after « ? », « & » or « , » so a reader sees where it goes on.
LINK_STYLE = "font-family:DejaVu Sans Mono, monospace;font-variant-ligatures:none"
LINK_WIDTH = 120  # characters of a printed link line


def link_lines(url: str, width: int = LINK_WIDTH) -> list[str]:
    """A link in lines of at most `width` characters, broken only after ?, & or , (a longer piece stays whole)."""
    pieces = [p for p in re.split(r"(?<=[?&,])", url) if p]
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return lines


def frame(fig: go.Figure, spec: ChartSpec, plot_height: int = 300, legend: str = "below",
          width: int | None = None, notes: tuple[str, ...] = (), stamp: str = "",
          height: int | None = None, link: str = "") -> go.Figure:
    """Lay a figure out in bands (see above). `legend` is "below", "right" (maps) or "none"; with a
    known `width` the legend flows in columns. `height` fixes the total (a PDF page): the plot takes
    what the other bands leave."""
    fig.layout.annotations = [a for a in fig.layout.annotations if a.name not in (SOURCE_NOTE, NOTES)]
    shown_title, shown_subtitle = plot(spec.title), plot(spec.subtitle)  # escaped once, kept so for the screen
    title, top = _title(shown_title, shown_subtitle, 90, 120)
    n = _legend_count(fig) if legend == "below" else 0
    # plotly adds the symbol and padding (about 50 px) to each entry's width
    columns = 1 if width is None else max(1, (width - 64 - 24) // (LEGEND_ENTRY + 50))
    legend_band = (-(-n // columns) * LEGEND_ROW + 10) if n else 0
    # The export line wraps like the source: a long permalink goes on, whole, on the next line.
    source = [plot(line) for line in [*textwrap.wrap(spec.source, 150), *textwrap.wrap(stamp, 150)]] + [
        f"<span style='{LINK_STYLE}'>{plot(line)}</span>" for line in link_lines(link)]
    note_lines = [plot(line) for note in notes for line in textwrap.wrap(note, 160)]
    source_band = TEXT_LINE * len(source) + 8
    notes_band = TEXT_LINE * len(note_lines) + 10 if note_lines else 0
    bottom = AXIS_BAND + legend_band + source_band + notes_band + 8
    total = height or top + plot_height + bottom
    inner = max(total - top - bottom, 80)
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 1 - 20 / total, "yanchor": "top",
               "font": {"size": 17}},
        separators=", ", font={"family": FONT, "size": 13}, height=total, plot_bgcolor="white",
        margin={"l": 64, "r": 270 if legend == "right" else 24, "t": top, "b": bottom},
        showlegend=legend == "right" or n > 0,
        meta={"frame": {"plot_height": plot_height, "legend": legend, "notes": list(notes),
                        "source_band": source_band + notes_band, "link": link, "title": shown_title,
                        "subtitle": shown_subtitle}},
    )
    if legend == "below" and n:
        fig.update_layout(legend={"orientation": "v" if columns == 1 else "h", "x": 0, "xanchor": "left",
                                  "y": -AXIS_BAND / inner, "yanchor": "top", "font": {"size": 12},
                                  "entrywidth": LEGEND_ENTRY if columns > 1 else None, "entrywidthmode": "pixels",
                                  "traceorder": "normal", "itemsizing": "constant"})
    elif legend == "right":
        fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"})
    fig.add_annotation(name=SOURCE_NOTE, text="<br>".join(source), xref="paper", yref="paper", x=0,
                       y=-(AXIS_BAND + legend_band) / inner, showarrow=False, yanchor="top", xanchor="left",
                       align="left", font={"size": 10, "color": "#555"})
    if note_lines:
        fig.add_annotation(name=NOTES, text="<br>".join(note_lines), xref="paper", yref="paper", x=0,
                           y=-(AXIS_BAND + legend_band + source_band) / inner, showarrow=False, yanchor="top",
                           xanchor="left", align="left", font={"size": 11, "color": "#222"})
    return fig


def reframe(fig: go.Figure, spec: ChartSpec, **changes: object) -> go.Figure:
    """A copy of a framed figure laid out again (an export line, a known width, a page's height)."""
    out = go.Figure(fig)
    meta = (out.layout.meta or {}).get("frame", {})
    args = {"plot_height": meta.get("plot_height", 300), "legend": meta.get("legend", "below"),
            "notes": tuple(meta.get("notes", ())), **changes}
    return frame(out, spec, **args)


def _title(title: str, subtitle: str, width: int, sub_width: int) -> tuple[str, int]:
    """The title and subtitle (already escaped: an entity holds no space, so wrapping never splits one)
    wrapped at these widths (characters), and the height of their band."""
    lines, subs = textwrap.wrap(title, width) or [""], textwrap.wrap(subtitle, sub_width)
    text = "<br>".join(lines) + "".join(f"<br><span style='font-size:13px;color:#444'>{line}</span>" for line in subs)
    return text, 28 + 24 * len(lines) + 18 * len(subs) + 10


SCREEN_TITLE, SCREEN_SUBTITLE = 38, 46  # characters a phone (390 px) shows on one line of title, of subtitle


def for_screen(fig: go.Figure) -> go.Figure:
    """The figure for the page: the source and notes leave the image, because the page says them in text
    that wraps at any width (a phone cut them), while every export keeps them in the image; the title is
    wrapped to a phone's width (plotly never wraps it, and cut it)."""
    out = go.Figure(fig)
    meta = (out.layout.meta or {}).get("frame", {})
    band = meta.get("source_band", 0)
    if band:
        out.layout.annotations = [a for a in out.layout.annotations if a.name not in (SOURCE_NOTE, NOTES)]
        out.update_layout(height=out.layout.height - band, margin_b=out.layout.margin.b - band)
    if "title" in meta:
        text, top = _title(meta["title"], meta.get("subtitle", ""), SCREEN_TITLE, SCREEN_SUBTITLE)
        height = out.layout.height + top - out.layout.margin.t
        out.update_layout(title_text=text, margin_t=top, height=height, title_y=1 - 20 / height)
    return out


def _layout(fig: go.Figure, spec: ChartSpec, plot_height: int = 300) -> go.Figure:
    frame(fig, spec, plot_height)
    # French ticks: "16 500" and "5,25" rather than SI suffixes ("16.5k") that read as English.
    fig.update_yaxes(title=plot(spec.unit), gridcolor="#e5e5e5", zerolinecolor="#999", tickformat=",~r")
    fig.update_xaxes(gridcolor="#f0f0f0")
    return fig


def year_step(years: int) -> int:
    """One tick a year up to 12 years, then every 2 or 5: eighteen upright year labels do not fit a phone."""
    return 1 if years <= 12 else 2 if years <= 24 else 5


def trend_chart(series: pd.DataFrame, spec: ChartSpec, references: frozenset[str] = frozenset()) -> go.Figure:
    """Lines per territory; references drawn lightly; a span (2013–2018) drawn as a segment over its years.

    `series` has columns territory, territory_label, level, period_start, year, value.
    """
    fig = go.Figure()
    colour_index = 0
    # One line per territory and scope: France (communes) and France métropolitaine (départements) differ.
    for (code, territory_label), rows in series.groupby(["territory", "territory_label"], sort=False):
        rows = rows.sort_values(["year", "period_start"])
        is_ref = code in references
        colour = REFERENCE_COLOURS.get(str(rows["level"].iloc[0]), "#888") if is_ref else PALETTE[colour_index % len(PALETTE)]
        colour_index += 0 if is_ref else 1
        # Legend names are cut before escaping: a cut must never split an entity such as &lt;.
        name = str(territory_label) + (" (référence)" if is_ref else "")
        label = plot(name)
        points = rows[rows["period_start"] == rows["year"]]
        spans = rows[rows["period_start"] != rows["year"]]
        hover = [f"{label}<br>{period_label(p, y)} : {fr_number(v, spec.decimals)} {plot(spec.unit)}"
                 for p, y, v in zip(points["period_start"], points["year"], points["value"], strict=True)]
        if not points.empty:
            fig.add_trace(go.Scatter(
                x=points["year"], y=points["value"], name=plot(short(name)), mode="lines+markers",
                line={"color": colour, "width": 1.5 if is_ref else 2.5, "dash": "dot" if is_ref else "solid"},
                marker={"size": 4 if is_ref else 6}, hovertext=hover, hoverinfo="text", legendgroup=code,
            ))
        for i, s in enumerate(spans.itertuples()):
            text = (f"{label}<br>{period_label(s.period_start, s.year)} (moyenne annuelle) : "
                    f"{fr_number(s.value, spec.decimals)} {plot(spec.unit)}")
            fig.add_trace(go.Scatter(
                x=[s.period_start, s.year], y=[s.value, s.value], mode="lines+markers",
                name=plot(short(f"{name}, {period_label(s.period_start, s.year)}")), legendgroup=code,
                showlegend=points.empty and i == 0,
                line={"color": colour, "width": 5 if not is_ref else 3}, opacity=0.45 if is_ref else 0.8,
                marker={"symbol": "line-ns", "size": 10, "line": {"width": 2, "color": colour}},
                hovertext=[text, text], hoverinfo="text",
            ))
    _flagged_points(fig, series)
    if spec.marker_year is not None:
        _start_line(fig, spec, right=spec.marker_year > series["year"].median())
    fig.update_xaxes(dtick=year_step(series["year"].nunique()), tickformat="d")
    return _layout(fig, spec)


def _flagged_points(fig: go.Figure, series: pd.DataFrame) -> None:
    """Values flagged at the source (estimated share of a split commune, metropolitan scope) get an
    open ring, so an estimate never looks like a measure."""
    if "flag" not in series:
        return
    # The metropolitan scope is said by the line's own label; other flags (estimates) get a ring.
    flagged = series[series["flag"].notna() & ~series["flag"].isin(["", METRO_ONLY])
                     & (series["period_start"] == series["year"])]
    if flagged.empty:
        return
    kinds = ", ".join(sorted(set(flagged["flag"])))
    fig.add_trace(go.Scatter(
        x=flagged["year"], y=flagged["value"], mode="markers", name=plot(f"valeur signalée : {kinds}"),
        marker={"symbol": "circle-open", "size": 12, "color": "#555", "line": {"width": 1.5}},
        hovertext=[plot(f"{lab} : {flag}") for lab, flag in zip(flagged["territory_label"], flagged["flag"], strict=True)],
        hoverinfo="text",
    ))


def profile_chart(series: pd.DataFrame, indicators: dict, references: frozenset[str],
                  title: str, source: str) -> go.Figure:
    """Small multiples: one panel per indicator, the territory in colour and its references in grey."""
    from plotly.subplots import make_subplots

    own = series[~series["territory"].isin(references)]
    counts = own[own["period_start"] == own["year"]].groupby("indicator").size()
    ids = [i for i in indicators if counts.get(i, 0) >= 3]  # a panel needs a series, not a point
    cols = 3
    rows = max(1, -(-len(ids) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[
        plot(indicators[i].label) for i in ids],
        vertical_spacing=0.6 / rows, horizontal_spacing=0.07)
    for n, ind in enumerate(ids):
        r, c = n // cols + 1, n % cols + 1
        part = series[series["indicator"] == ind]
        if indicators[ind].kind == "count":  # France's count would flatten a commune's line
            part = part[~part["territory"].isin(references)]
        dec = indicators[ind].decimals
        for code, s in part.groupby("territory", sort=False):
            is_ref = code in references
            s = s.sort_values("year")
            colour = REFERENCE_COLOURS.get(str(s["level"].iloc[0]), "#999") if is_ref else PALETTE[0]
            x = [y if p == y else (p + y) / 2 for p, y in zip(s["period_start"], s["year"], strict=True)]
            fig.add_trace(go.Scatter(
                x=x, y=s["value"], mode="lines+markers", showlegend=False,
                line={"color": colour, "width": 1 if is_ref else 2, "dash": "dot" if is_ref else "solid"},
                marker={"size": 3 if is_ref else 5},
                hovertext=[f"{plot(lab)}<br>{period_label(p, y)} : {fr_number(v, dec)}"
                           for lab, p, y, v in zip(s["territory_label"], s["period_start"], s["year"], s["value"], strict=True)],
                hoverinfo="text"), row=r, col=c)
    fig.update_annotations(font={"size": 11})
    spec = ChartSpec(title=title, unit="", source=source)
    fig = _layout(fig, spec, plot_height=260 * rows)
    fig.update_xaxes(tickformat="d")
    return fig


def bar_chart(values: pd.DataFrame, spec: ChartSpec, highlight: frozenset[str] = frozenset()) -> go.Figure:
    """Horizontal bars, largest on top; `values` has columns code, label, value."""
    data = values.dropna(subset=["value"]).sort_values("value")
    colours = [PALETTE[1] if c in highlight else PALETTE[0] for c in data["code"]]
    fig = go.Figure(go.Bar(
        x=data["value"], y=[plot(lab) for lab in data["label"]], orientation="h", marker_color=colours,
        hovertext=[plot(f"{lab} : {fr_number(v, spec.decimals)} {spec.unit}") for lab, v in zip(data["label"], data["value"], strict=True)],
        hoverinfo="text",
    ))
    fig = _layout(fig, spec, plot_height=max(200, 28 * len(data)))
    fig.update_xaxes(title=plot(spec.unit), tickformat=",~r")
    fig.update_yaxes(title=None, tickformat="")
    return fig


SMALL_MULTIPLES_FROM = 5  # members: above four, one line each in one chart cannot be read
SPAN_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]  # one colour per census span


def small_multiples(series: pd.DataFrame, spec: ChartSpec, members: list[str],
                    references_of: dict[str, list[str]], shared_scale: bool = True) -> go.Figure:
    """One panel per member, its own references in grey; yearly values as a line, each census span as a
    segment coloured by its period and named once in the legend (eight members × three overlapping spans
    in one chart were unreadable). Rates share one y scale so panels compare; counts (`shared_scale`
    False) get a scale each, since a town of 10 000 beside an EPCI of 55 000 would be a flat line."""
    from plotly.subplots import make_subplots

    shown = [m for m in members if (series["territory"] == m).any()]
    cols = 2 if len(shown) <= 4 else 4 if len(shown) > 6 else 3
    rows = -(-len(shown) // cols)
    labels = dict(zip(series["territory"], series["territory_label"], strict=True))
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=shared_scale, shared_xaxes=True,
                        horizontal_spacing=0.04 if shared_scale else 0.07,
                        vertical_spacing=0.16 if rows > 1 else 0.1,
                        subplot_titles=[plot(short(str(labels[m]), 30)) for m in shown])
    spans = sorted({(int(p), int(y)) for p, y in zip(series["period_start"], series["year"], strict=True) if p != y})
    span_colour = {sp: SPAN_COLOURS[i % len(SPAN_COLOURS)] for i, sp in enumerate(spans)}
    in_legend: set[str] = set()

    def once(name: str) -> bool:
        first = name not in in_legend
        in_legend.add(name)
        return first

    for n, member in enumerate(shown):
        row, col = n // cols + 1, n % cols + 1
        for code in [*references_of.get(member, []), member]:
            part = series[series["territory"] == code].sort_values(["year", "period_start"])
            if part.empty:
                continue
            is_ref = code != member
            name = f"{part['territory_label'].iloc[0]} (référence)" if is_ref else "Le membre, valeurs annuelles"
            colour = REFERENCE_COLOURS.get(str(part["level"].iloc[0]), "#888") if is_ref else "#111"
            points = part[part["period_start"] == part["year"]]
            if not points.empty:
                fig.add_trace(go.Scatter(x=points["year"], y=points["value"], mode="lines+markers",
                                         name=plot(short(name)), legendgroup=name, showlegend=once(name),
                                         line={"color": colour, "width": 1.2 if is_ref else 2,
                                               "dash": "dot" if is_ref else "solid"}, marker={"size": 3}),
                              row=row, col=col)
            for s in part[part["period_start"] != part["year"]].itertuples():
                period = period_label(s.period_start, s.year)
                label = f"{period} (référence)" if is_ref else period
                fig.add_trace(go.Scatter(
                    x=[s.period_start, s.year], y=[s.value, s.value], mode="lines", name=plot(label),
                    legendgroup=label, showlegend=once(label), opacity=0.5 if is_ref else 0.9,
                    line={"color": colour if is_ref else span_colour[(int(s.period_start), int(s.year))],
                          "width": 2 if is_ref else 4, "dash": "dot" if is_ref else "solid"},
                    hovertext=f"{plot(str(labels.get(code, code)))}<br>{period} : {fr_number(s.value, spec.decimals)} "
                              f"{plot(spec.unit)}", hoverinfo="text"), row=row, col=col)
        if spec.marker_year is not None:
            fig.add_vline(x=spec.marker_year - 0.5, line={"color": "#CC79A7", "dash": "dash", "width": 1.5},
                          row=row, col=col)
    for a in fig.layout.annotations:  # the panels' titles
        a.font = {"size": 12}
    first, last = int(series["period_start"].min()), int(series["year"].max())
    fig.update_xaxes(range=[first - 0.5, last + 0.5], dtick=year_step(last - first + 1) * 2, tickformat="d",
                     gridcolor="#f0f0f0")
    fig.update_yaxes(gridcolor="#e5e5e5", zerolinecolor="#999", tickformat=",~r")
    if shared_scale:  # one scale, set here: the shared autorange of plotly's subplots kept only some panels
        drawn = series[series["territory"].isin(set(shown) | {r for m in shown for r in references_of.get(m, [])})]
        lo, hi = float(drawn["value"].min()), float(drawn["value"].max())
        pad = (hi - lo) * 0.06 or 1.0
        fig.update_yaxes(range=[lo - pad, hi + pad])
    if spec.marker_year is not None:  # named once, in the legend (the panels are too small for a label)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line={"color": "#CC79A7", "dash": "dash"},
                                 name=plot(short(spec.marker_label or f"Début : {spec.marker_year}"))), row=1, col=1)
    if not shared_scale:  # said in the legend (the y title has no room for it), within a legend column
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker={"opacity": 0},
                                 name="Échelle propre à chaque panneau"), row=1, col=1)
    fig = frame(fig, spec, plot_height=170 * rows)
    fig.update_layout(yaxis_title=plot(spec.unit))
    return fig


def _start_line(fig: go.Figure, spec: ChartSpec, right: bool) -> None:
    """The programme's start as a dashed line; its label on the side with room (left of the line when
    the line stands in the later years, `right`)."""
    fig.add_vline(x=spec.marker_year - 0.5, line={"color": "#CC79A7", "dash": "dash", "width": 2},
                  annotation={"text": plot(spec.marker_label or f"Début : {spec.marker_year}"),
                              "font": {"color": "#a0467f", "size": 11}},
                  annotation_position="top left" if right else "top right")


def event_chart(event: pd.Series, spec: ChartSpec, band: pd.DataFrame | None = None,
                intervals: pd.DataFrame | None = None) -> go.Figure:
    """Event study by years since the start: the gap (group − comparison) minus the gap of the reference
    year as points; beside them the regression's own estimates with their 95 % intervals (`intervals`:
    estimate, lo, hi); in grey, the central 95 % of the placebo groups (`band`: lo, hi), what chance alone
    draws. Points, never bars spanning years: two census years are two points."""
    x = event.index.to_numpy()
    fig = go.Figure()
    if band is not None and not band.empty and band.notna().all().all():
        fig.add_trace(go.Scatter(x=[*band.index, *band.index[::-1]], y=[*band["hi"], *band["lo"][::-1]],
                                 fill="toself", fillcolor="rgba(154,163,173,0.28)", line={"width": 0},
                                 hoverinfo="skip", name=plot("95 % des groupes tirés au hasard")))
    fig.add_trace(go.Scatter(
        x=x, y=event.to_numpy(), mode="markers+lines", line={"color": "#bbb", "width": 1},
        marker={"color": [PALETTE[1] if e >= 0 else "#555" for e in x], "size": 9}, name=plot("Écart"),
        hovertext=[f"{'+' if e > 0 else ''}{e} an(s) : {fr_number(v, spec.decimals)} {plot(spec.unit)}"
                   for e, v in zip(x, event, strict=True)], hoverinfo="text"))
    if intervals is not None and not intervals.empty:
        iv = intervals.reindex(x).dropna()
        fig.add_trace(go.Scatter(
            x=iv.index.to_numpy() + 0.2, y=iv["estimate"], mode="markers",
            marker={"color": "white", "size": 7, "symbol": "diamond", "line": {"color": "#333", "width": 1.2}},
            error_y={"type": "data", "symmetric": False, "array": (iv["hi"] - iv["estimate"]).to_numpy(),
                     "arrayminus": (iv["estimate"] - iv["lo"]).to_numpy(), "color": "#777", "thickness": 1.2,
                     "width": 3},
            name=plot("Régression, intervalle à 95 %"),
            hovertext=[f"{'+' if e > 0 else ''}{e} an(s) : {fr_number(v, spec.decimals)} "
                       f"[{fr_number(lo, spec.decimals)} ; {fr_number(hi, spec.decimals)}]"
                       for e, v, lo, hi in zip(iv.index, iv["estimate"], iv["lo"], iv["hi"], strict=True)],
            hoverinfo="text"))
    fig.add_hline(y=0, line={"color": "#333", "width": 1})
    fig.add_vline(x=-0.5, line={"color": "#CC79A7", "dash": "dash", "width": 2},
                  annotation={"text": plot(spec.marker_label or "Début"), "font": {"color": "#a0467f", "size": 11}},
                  annotation_position="top left" if len(x) and np.median(x) > 0 else "top right")
    fig = _layout(fig, spec)
    fig.update_xaxes(title=plot("Années depuis le début"), dtick=year_step(len(x)), tickformat="d")
    return fig


def placebo_chart(placebo: np.ndarray, observed: float, spec: ChartSpec,
                  band: tuple[float, float] | None = None) -> go.Figure:
    """The effects of the placebo groups as a histogram, what chance alone gives shaded (`band`, by
    default their central 95 %), the observed effect as a line: where it falls is the answer to « could
    chance alone give this? »."""
    lo, hi = band if band is not None else np.quantile(placebo, [0.025, 0.975])
    fig = go.Figure(go.Histogram(x=placebo, nbinsx=40, marker_color="#9aa3ad", name=plot("Groupes tirés au hasard"),
                                 hovertemplate="%{y} groupes<extra></extra>"))
    fig.add_vrect(x0=lo, x1=hi, fillcolor="rgba(154,163,173,0.18)", line_width=0)
    fig.add_vline(x=observed, line={"color": PALETTE[1], "width": 3},
                  annotation={"text": plot(f"Groupe du programme : {fr_number(observed, spec.decimals)}"),
                              "font": {"color": PALETTE[1], "size": 12}, "bgcolor": "rgba(255,255,255,0.85)"},
                  annotation_position="top left" if observed > np.median(placebo) else "top right")
    fig.add_annotation(x=(lo + hi) / 2, y=0, yref="paper", yanchor="bottom", showarrow=False,
                       text=plot("zone grise : 95 % des groupes au hasard"), font={"size": 11, "color": "#444"},
                       bgcolor="rgba(255,255,255,0.7)")
    fig = _layout(fig, spec)
    fig.update_xaxes(title=plot("Différence de différences"), tickformat=",~r")
    fig.update_yaxes(title=plot("Nombre de groupes"), tickformat="d")
    return fig


def balance_chart(balance: pd.DataFrame, spec: ChartSpec) -> go.Figure:
    """Standardised mean differences of the matching variables, before (the whole pool) and after
    matching: the closer to 0, the more alike the two sides were before the start."""
    labels = [plot(short(v, 48)) for v in balance["label"]]
    fig = go.Figure([
        go.Scatter(x=balance["smd_pool"], y=labels, mode="markers", marker={"color": "#9aa3ad", "size": 10},
                   name=plot("Avant appariement (tout le vivier)")),
        go.Scatter(x=balance["smd_matched"], y=labels, mode="markers", marker={"color": PALETTE[0], "size": 10,
                                                                               "symbol": "diamond"},
                   name=plot("Après appariement"))])
    fig.add_vrect(x0=-0.25, x1=0.25, fillcolor="rgba(0,158,115,0.10)", line_width=0)
    fig.add_vline(x=0, line={"color": "#333", "width": 1})
    fig = _layout(fig, spec, plot_height=max(160, 34 * len(balance)))
    fig.update_xaxes(title=plot("Écart des moyennes, en écarts-types du vivier"), tickformat=",~r")
    fig.update_yaxes(title=None, autorange="reversed")
    return fig


def map_figure(layer: dict, codes: list[str], cl: Classes, colours: list[str], missing_colour: str, spec: ChartSpec,
               visible: set[str] | None = None, outline: frozenset[str] | set[str] = frozenset(),
               small: frozenset[str] | set[str] = frozenset(), group_name: str = "") -> go.Figure:
    """The map as a vector figure for exports: one filled trace per class (legend = bounds and counts),
    grey for missing values, values resting on a small count hatched as on screen, the group outlined
    and named. `layer` is a geometry file of `mapdata` (pre-projected, y downwards); `codes` are
    aligned with `cl.classes`."""
    cls = dict(zip(codes, cl.classes.tolist(), strict=True))
    drawn = [i for i, c in enumerate(layer["codes"]) if visible is None or c in visible]
    by_class: dict[int, list[int]] = {}
    for i in drawn:
        by_class.setdefault(int(cls.get(layer["codes"][i], -1)), []).append(i)
    names = [f"{lab} ({fr_int(n)})" for lab, n in zip(labels(cl, spec.decimals), cl.counts, strict=True)]
    fig = go.Figure()
    for k in [*range(cl.k), -1]:
        xy = _rings_xy(layer, by_class.get(k, []))
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], fill="toself", mode="lines", line={"width": 0.3 if len(drawn) < 2000 else 0,
                                                                         "color": "white"},
            fillcolor=colours[k] if k >= 0 else missing_colour, hoverinfo="skip",
            name=names[k] if k >= 0 else f"{MISSING} ({fr_int(cl.missing)})", showlegend=k >= 0 or cl.missing > 0))
    hatched = [i for i in drawn if layer["codes"][i] in small]
    if hatched:
        xy = _rings_xy(layer, hatched)
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], fill="toself", mode="lines", line={"width": 0}, fillcolor="rgba(0,0,0,0)",
            fillpattern={"shape": "/", "fgcolor": "rgba(0,0,0,0.55)", "size": 6, "solidity": 0.15},
            hoverinfo="skip", name=f"hachures : effectif faible ({fr_int(len(hatched))})"))
    ring_owner = [i for i in drawn if layer["codes"][i] in outline]
    if ring_owner:
        xy = _rings_xy(layer, ring_owner)
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", line={"width": 1.6, "color": "#111"},
                                 hoverinfo="skip",
                                 name=plot(f"contour : {short(group_name, 34)}") if group_name else "Groupe souligné"))
    fig = frame(fig, spec, plot_height=620, legend="right")
    fig.update_layout(legend_title={"text": plot(spec.unit)})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", scaleratio=1)
    return fig


def _rings_xy(layer: dict, features: list[int]) -> np.ndarray:
    """Rings of the given features, separated by NaN rows (a gap, so plotly fills each ring on its own)."""
    parts = [np.vstack([r, [[np.nan, np.nan]]]) for i in features for r in mapdata.rings(layer["features"][i])]
    return np.vstack(parts) if parts else np.empty((0, 2))
