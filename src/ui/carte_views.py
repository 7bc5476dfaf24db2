"""Pieces of the Carte page: legend with counts, histogram with breaks, the territory card."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from indicators import classify, compare, store, territories
from indicators.format import MISSING, fr_int, fr_number, fr_ordinal, period_label
from indicators.text import html_text, md

KEY_FIGURES = ("population", "net_migration_rate", "jobs", "unemployment_rate", "vacancy_rate", "median_income",
               "co2_ets_per_inhabitant")


HATCH = "repeating-linear-gradient(135deg,#00000088 0 1px,transparent 1px 5px)"


def legend(cl: classify.Classes, colours: list[str], decimals: int, unit: str, small: int = 0,
           small_rule: str | None = None) -> None:
    """Each class with its bounds and how many territories it holds, the missing ones, and the values
    hatched because they rest on a small count."""
    rows = [*zip(colours, classify.labels(cl, decimals), cl.counts, strict=True), (classify.MISSING_COLOUR, MISSING, cl.missing)]
    if small and small_rule:
        rows.append((f"#ffffff;background-image:{HATCH}", f"hachures : effectif faible ({html_text(small_rule)}), "
                     "valeur fragile", small))
    st.markdown(f"**Légende** ({html_text(unit)})<br>" + "".join(
        f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
        f'<span style="width:22px;height:14px;background:{colour};border:1px solid #999"></span>'
        f'<span style="flex:1">{text}</span><span style="color:#555">{fr_int(n)}</span></div>'
        for colour, text, n in rows), unsafe_allow_html=True)


def histogram_svg(values: np.ndarray, cl: classify.Classes, decimals: int, bins: int = 40) -> str:
    """The distribution with the class breaks dotted, as a small inline SVG: no chart library for the
    browser to load before the map can draw."""
    data = values[~np.isnan(values)]
    counts, edges = np.histogram(data, bins=bins)
    w, h, top, bottom = 300.0, 120.0, 6.0, 18.0
    lo, hi = float(edges[0]), float(edges[-1])
    span = (hi - lo) or 1.0
    x = lambda val: (val - lo) / span * w  # noqa: E731
    peak = counts.max() or 1
    bars = "".join(
        f'<rect x="{x(a):.1f}" y="{h - bottom - c / peak * (h - top - bottom):.1f}" width="{max(x(b) - x(a) - 0.6, 0.6):.1f}" '
        f'height="{c / peak * (h - top - bottom):.1f}" fill="#9aa5b1"/>'
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True) if c)
    breaks = "".join(f'<line x1="{x(b):.1f}" x2="{x(b):.1f}" y1="{top}" y2="{h - bottom}" stroke="#333" '
                     f'stroke-dasharray="2,2"/>' for b in cl.bounds[:-1])
    axis = (f'<text x="0" y="{h - 4}" font-size="10" fill="#555">{fr_number(lo, decimals)}</text>'
            f'<text x="{w}" y="{h - 4}" font-size="10" fill="#555" text-anchor="end">{fr_number(hi, decimals)}</text>')
    return (f'<figure style="margin:0"><figcaption style="font-size:12px;color:#333">Distribution et bornes des '
            f'classes</figcaption><svg viewBox="0 0 {w:.0f} {h:.0f}" width="100%" role="img" '
            f'aria-label="Histogramme des valeurs, {len(cl.bounds) - 1} bornes de classes" '
            f'style="font-family:sans-serif">{bars}{breaks}{axis}</svg></figure>')


def sparkline_svg(x: np.ndarray, y: np.ndarray, w: float = 300, h: float = 60) -> str:
    """A line without axes: the shape of a series at a glance (the years are said in the caption)."""
    ok = ~np.isnan(y)
    x, y = x[ok], y[ok]
    sx = (x - x.min()) / ((x.max() - x.min()) or 1) * (w - 4) + 2
    sy = h - 2 - (y - y.min()) / ((y.max() - y.min()) or 1) * (h - 4)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy, strict=True))
    return (f'<svg viewBox="0 0 {w:.0f} {h:.0f}" width="100%" role="img" aria-label="Courbe de la série">'
            f'<polyline points="{points}" fill="none" stroke="#0072B2" stroke-width="2"/></svg>')


def card(con, code: str, ind: pd.Series, period: tuple[int, int], include_small: bool = False,
         small_rule: str | None = None) -> None:
    """Key figures with units and years, ranks, a sparkline, and links to the other pages."""
    t = territories.get(con, code)
    st.markdown(f"#### {md(t['label'])}")
    st.caption(territories.LEVELS[t["level"]])
    r = compare.ranks(con, ind["id"], period[0], period[1], [code], int(ind["polarity"]), include_small)
    if not r.empty and pd.notna(r["value"].iloc[0]):
        row = r.iloc[0]
        st.markdown(f"**{md(ind['label'])}** ({period_label(*period)})  \n"
                    f"### {fr_number(row['value'], int(ind['decimals']))}  \n{md(ind['unit'])}")
        if row["small"]:
            st.caption(f"Effectif faible : n = {fr_number(row['n'])} ({md(small_rule or '')}) : valeur fragile"
                       + ("." if include_small else ", hors des rangs."))
        ranks = [f"{fr_ordinal(row[f'rank_{s}'])} / {fr_int(row[f'n_{s}'])} {name}" for s, name in
                 (("dep", "dans le département"), ("reg", "dans la région"), ("fr", "en France"))
                 if pd.notna(row[f"rank_{s}"]) and t["level"] not in ({"dep": ("DEP", "REG"), "reg": ("REG",), "fr": ()}[s])]
        if ranks:
            st.caption(" · ".join(ranks))
    else:
        st.metric(md(ind["label"]), MISSING)
    spark = store.series(con, [code], [ind["id"]])
    spark = spark[spark["period_start"] == spark["year"]]
    if len(spark) >= 2:
        st.markdown(sparkline_svg(spark["year"].to_numpy(dtype=float), spark["value"].to_numpy(dtype=float)),
                    unsafe_allow_html=True)
        st.caption(f"{md(ind['label'])}, {int(spark['year'].min())}–{int(spark['year'].max())}")
    figures = store.series(con, [code], list(KEY_FIGURES))
    table = store.indicators(con).set_index("id")
    lines = []
    for ind_id in KEY_FIGURES:
        rows = figures[figures["indicator"] == ind_id]
        if rows.empty or ind_id not in table.index:
            continue
        last = rows.sort_values(["year", "period_start"]).iloc[-1]
        lines.append(f"- {md(table.at[ind_id, 'label'])} : **{fr_number(last['value'], int(table.at[ind_id, 'decimals']))}** "
                     f"{md(table.at[ind_id, 'unit'])} ({period_label(int(last['period_start']), int(last['year']))})")
    st.markdown("\n".join(lines))
    st.page_link("app_pages/evolutions.py", label="Évolutions de ce territoire", icon=":material/show_chart:",
                 query_params={"t": code, "i": ind["id"]})
    st.page_link("app_pages/comparer.py", label="Territoires semblables", icon=":material/compare_arrows:",
                 query_params={"vue": "similaires", "t": code, "cible": code})
