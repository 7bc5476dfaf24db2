"""Pieces of the Carte page: its controls (the view resolved into `screens.carte.Choices`), the legend
with counts, the histogram with breaks, the search, the territory card and the compared years."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from indicators import choropleth, classify, compare, links, store, territories
from indicators.format import MISSING, fr_int, fr_number, fr_ordinal, period_label
from indicators.screens import carte
from indicators.text import html_text, md, not_available

from . import data, mapview, state, widgets

P = state.CarteView.param
PALETTES = {"auto": "Selon l'indicateur", "div": "Divergente"}


@dataclass(frozen=True)
class Picked:
    """What the controls chose: the choices the screen is built from, and what the page names."""
    choices: carte.Choices
    ind: store.IndicatorRow
    names: dict[str, str]         # extents' names
    extent: str                   # « FR » or the extent's code
    others: list[str]             # the other periods, as a link writes them


def controls(con: duckdb.DuckDBPyConnection, view: state.CarteView) -> Picked:
    """The two rows of controls, each bound to its key; stops the page with a message when the
    indicator has no value at the level."""
    c1, c2, c3, c4 = st.columns([1.4, 2.2, 1.4, 1.3])
    level = state.select(P("niveau"), "Niveau", territories.MAP_LEVELS, where=c1, format_func=territories.LEVELS.get)
    with c2:
        ind = widgets.indicator_select(con)
    # « FR » is France entière, written in the link (an empty value would fall back to the default).
    extents = ["FR"] + [c for lv in ("REG", "DEP") for c in data.cached(territories.by_level, lv)["code"]]
    names = data.cached(territories.labels, tuple(extents))
    extent = state.select(P("dans"), "Emprise", extents, default="DEP:12" if level == "COM" else "FR", where=c3,
                          format_func=lambda c: "France entière" if c == "FR" else names.get(c, c))
    periods = data.cached(store.periods, ind.id, level)
    if periods.empty:
        st.info(not_available(f"au niveau « {territories.LEVELS[level]} » pour cet indicateur", ind.coverage)
                + " Importez vos propres valeurs depuis la page Données.")
        widgets.source_caption(ind)
        st.stop()
    with c4:
        period = widgets.period_select(periods, P("p"), slider=True)

    m1, m2, m3, m4, m5 = st.columns([1.9, 1.1, 1.3, 1.1, 2.2])
    method = state.select(P("methode"), "Classes", classify.METHODS, where=m1, format_func=classify.METHODS.get)
    k = state.number(P("k"), "Nombre de classes", 3, 9, where=m2, disabled=method in ("ecart", "manuel"))
    manual: list[float] = []
    if method == "manuel":
        text = m2.text_input("Bornes (séparées par ;)", view.bornes or "", key="w_bornes", placeholder="0;5;10",
                             max_chars=200)
        manual, bad = classify.parse_breaks(text)
        if bad:
            m2.warning(f"Bornes ignorées, pas des nombres : {md(', '.join(bad))}")
        state.write(P("bornes"), text)
    palette = state.select(P("palette"), "Palette", PALETTES, where=m3, format_func=PALETTES.get)
    # Shown only for a diverging palette (a greyed-out control is hard to read and means nothing).
    centre = state.select(P("centre"), "Centrée sur", choropleth.CENTRES, where=m4,
                          format_func=choropleth.CENTRES.get) if palette == "div" else "FR"
    if palette != "div":
        state.write(P("centre"), None)
    refval = 0.0
    if palette == "div" and centre == "val":
        refval = float(state.number(P("refval"), "Valeur de référence", -1e15, 1e15))
    else:
        state.write(P("refval"), None)
    with m5:
        group = widgets.group_select(con, "Groupe à souligner", allow_none=True, default=None)
        only = state.toggle(P("groupe_seul"), "Ses membres seulement", disabled=group is None,
                            help="Classes, légende, tableau et exports sur les seuls membres du groupe (au niveau "
                                 "choisi : une commune membre compte dans son EPCI, son département…).")
    if group is None:
        state.write(P("groupe_seul"), None)
    spans = carte.periods_in_link(periods)
    others = [y for y in spans if spans[y] != period]
    # The compared years' widget is drawn under the map; its value is current when a rerun starts.
    years = [y for y in st.session_state.get("w_annees", state.read(P("annees"), others)) if y in others][:5]
    choices = carte.Choices(ind.id, level, None if extent == "FR" else extent, period, method, int(k),
                            tuple(manual), palette, centre, refval, tuple(spans[y] for y in years),
                            group["id"] if group is not None else None, widgets.include_small(),
                            bool(only and group is not None), str(group["name"]) if group is not None else "")
    return Picked(choices, ind, names, extent, others)

KEY_FIGURES = ("population", "net_migration_rate", "jobs", "unemployment_rate", "vacancy_rate", "median_income",
               "co2_ets_per_inhabitant")


HATCH = "repeating-linear-gradient(135deg,#00000088 0 1px,transparent 1px 5px)"


def legend(cl: classify.Classes, colours: list[str], decimals: int, unit: str, small: int = 0,
           small_rule: str | None = None, group: str = "", outlined: int = 0) -> None:
    """Each class with its bounds and how many territories it holds, the missing ones, the values
    hatched because they rest on a small count, and the group outlined (named)."""
    rows = [*zip(colours, classify.labels(cl, decimals), cl.counts, strict=True), (classify.MISSING_COLOUR, MISSING, cl.missing)]
    if small and small_rule:
        rows.append((f"#ffffff;background-image:{HATCH}", f"hachures : effectif faible ({html_text(small_rule)}), "
                     "valeur fragile", small))
    if group and outlined:
        rows.append(("transparent;outline:2px solid #111;outline-offset:-2px", f"contour : {html_text(group)}",
                     outlined))
    st.markdown(f"**Légende** ({html_text(unit)})<br>" + "".join(
        f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
        f'<span style="width:22px;height:14px;background:{colour};border:1px solid #999"></span>'
        f'<span style="flex:1">{text}</span><span style="color:#555">{fr_int(n)}</span></div>'
        for colour, text, n in rows), unsafe_allow_html=True)


def histogram_svg(values: np.ndarray, cl: classify.Classes, decimals: int, bins: int = 40) -> str:
    """The distribution with the class breaks dotted, as a small inline SVG: no chart library for the
    browser to load before the map can draw."""
    data = values[~np.isnan(values)]
    # The axis spans the classes too: compared years share classes drawn from all years, whose breaks may
    # lie beyond this year's values (the axis must follow them, not keep this year's range).
    ends = [float(v) for v in (cl.lower, *cl.bounds[-1:]) if v is not None and np.isfinite(v)]
    lo = min([float(data.min()), *ends]) if data.size else min(ends or [0.0])
    hi = max([float(data.max()), *ends]) if data.size else max(ends or [1.0])
    counts, edges = np.histogram(data, bins=bins, range=(lo, hi if hi > lo else lo + 1))
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


def card(con, code: str, ind: store.IndicatorRow, period: tuple[int, int], include_small: bool = False,
         small_rule: str | None = None) -> None:
    """Key figures with units and years, ranks, a sparkline, and links to the other pages."""
    t = territories.get(con, code)
    st.markdown(f"#### {md(t['label'])}")
    st.caption(territories.LEVELS[t["level"]])
    for level, name, query in carte.zone_links(con, code, ind.id):  # each zone opens beside the commune
        if query:
            st.page_link(links.page("evolutions").file, label=f"{level} : {md(name)}", icon=":material/hub:",
                         query_params=query)
        else:
            st.caption(f"{level} : {md(name)}")
    r = compare.ranks(con, ind.id, period[0], period[1], [code], ind.polarity, include_small)
    if not r.empty and pd.notna(r["value"].iloc[0]):
        row = r.iloc[0]
        st.markdown(f"**{md(ind.label)}** ({period_label(*period)})  \n"
                    f"### {fr_number(row['value'], int(ind.decimals))}  \n{md(ind.unit)}")
        if row["small"]:
            st.caption(f"Effectif faible : n = {fr_number(row['n'])} ({md(small_rule or '')}) : valeur fragile"
                       + ("." if include_small else ", hors des rangs."))
        ranks = [f"{fr_ordinal(row[f'rank_{s}'])} / {fr_int(row[f'n_{s}'])} {name}" for s, name in
                 (("dep", "dans le département"), ("reg", "dans la région"), ("fr", "en France"))
                 if pd.notna(row[f"rank_{s}"])  # a study zone is ranked in its main région, not in one département
                 and t["level"] not in ({"dep": ("DEP", "REG", *territories.ZONING_LEVELS), "reg": ("REG",), "fr": ()}[s])]
        if ranks:
            st.caption(" · ".join(ranks))
    else:
        st.metric(md(ind.label), MISSING)
    spark = store.series(con, [code], [ind.id])
    spark = spark[spark["period_start"] == spark["year"]]
    if len(spark) >= 2:
        st.markdown(sparkline_svg(spark["year"].to_numpy(dtype=float), spark["value"].to_numpy(dtype=float)),
                    unsafe_allow_html=True)
        st.caption(f"{md(ind.label)}, {int(spark['year'].min())}–{int(spark['year'].max())}")
    figures = store.series(con, [code], list(KEY_FIGURES))
    table = store.indicator_rows(con)
    lines = []
    for ind_id in KEY_FIGURES:
        rows = figures[figures["indicator"] == ind_id]
        if rows.empty or ind_id not in table:
            continue
        last, row = rows.sort_values(["year", "period_start"]).iloc[-1], table[ind_id]
        lines.append(f"- {md(row.label)} : **{fr_number(last['value'], row.decimals)}** "
                     f"{md(row.unit)} ({period_label(int(last['period_start']), int(last['year']))})")
    st.markdown("\n".join(lines))
    st.page_link(links.page("evolutions").file, label="Évolutions de ce territoire", icon=":material/show_chart:",
                 query_params=links.EvolutionsView.query(territories=[code], indicator=[ind.id]))
    st.page_link(links.page("comparer").file, label="Territoires semblables", icon=":material/compare_arrows:",
                 query_params=links.ComparerView.query(vue="similaires", territories=[code], target=code))


def search(con: duckdb.DuckDBPyConnection, level: str, codes: set[str]) -> None:
    """Find a territory of the map by name or code; Enter on a new search chooses its best match."""
    query = st.text_input("Rechercher sur la carte", key="w_sel_search", placeholder="Nom ou code, puis Entrée")
    if not query:
        return
    hits = territories.search(con, query, levels=(level,), limit=8)
    hits = hits[hits["code"].isin(codes)]
    if hits.empty:
        st.caption("Aucun territoire de la carte ne correspond.")
    elif st.session_state.get("carte_query") != query:  # the map is redrawn with the match outlined
        st.session_state["carte_query"] = query
        state.write(P("sel"), hits["code"].iloc[0])
        st.rerun()
    st.session_state["carte_query"] = query
    for code, lab in zip(hits["code"], hits["label"], strict=True):
        st.button(lab, key=f"w_hit_{code}", on_click=state.write, args=(P("sel"), code))


def compared_years(screen: carte.Screen, picked: Picked) -> None:
    """The other periods chosen, each on its own small map with the same classes and colours."""
    c = picked.choices
    chosen = [period_label(*p).replace("–", "-") for p in c.others]
    years = st.multiselect("Comparer d'autres années (mêmes classes)", picked.others, default=chosen,
                           max_selections=5, key="w_annees", placeholder="Choisir des années") if picked.others else []
    state.write(P("annees"), years)
    shown = [y for y in years if y.replace("-", "–") in screen.others]
    if not shown:
        return
    cols = st.columns(min(3, len(shown)))
    for i, y in enumerate(shown):
        values, cl = screen.others[y.replace("-", "–")]
        with cols[i % len(cols)]:
            st.markdown(f"**{y.replace('-', '–')}**")
            mapview.territory_map(c.level, values["code"].tolist(), values["value"].to_numpy(dtype=float), cl.classes,
                                  list(screen.model.colours), classify.MISSING_COLOUR, str(picked.ind.unit),
                                  int(picked.ind.decimals), visible=set(values["code"]) if c.within else None,
                                  outline=set(screen.outline), height=320, key=f"carte_{y}")
