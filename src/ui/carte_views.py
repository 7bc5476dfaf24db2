"""Pieces of the Carte page: legend with counts, histogram with breaks, the territory card."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from indicators import charts, classify, compare, store, territories
from indicators.format import MISSING, fr_int, fr_number, period_label

KEY_FIGURES = ("population", "net_migration_rate", "jobs", "unemployment_rate", "vacancy_rate", "median_income",
               "co2_ets_per_inhabitant")


def legend(cl: classify.Classes, colours: list[str], decimals: int, unit: str) -> None:
    """Each class with its bounds and how many territories it holds, and the missing ones."""
    rows = []
    for i, (bounds, n) in enumerate(zip(classify.labels(cl, decimals), cl.counts)):
        rows.append(f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
                    f'<span style="width:22px;height:14px;background:{colours[i]};border:1px solid #999"></span>'
                    f'<span style="flex:1">{bounds}</span><span style="color:#555">{fr_int(n)}</span></div>')
    rows.append(f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
                f'<span style="width:22px;height:14px;background:{classify.MISSING_COLOUR};border:1px solid #999">'
                f'</span><span style="flex:1">{MISSING}</span><span style="color:#555">{fr_int(cl.missing)}</span></div>')
    st.markdown(f"**Légende** ({unit})<br>" + "".join(rows), unsafe_allow_html=True)


def histogram(values: np.ndarray, cl: classify.Classes, colours: list[str], unit: str) -> go.Figure:
    data = values[~np.isnan(values)]
    # Binned here: 40 bars travel to the browser instead of 35 000 raw values.
    counts, edges = np.histogram(data, bins=40)
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                           marker_color="#9aa5b1", hoverinfo="skip"))
    for b, c in zip(cl.bounds[:-1], colours):
        fig.add_vline(x=b, line={"color": "#333", "width": 1, "dash": "dot"})
    fig.update_layout(height=170, margin={"l": 10, "r": 10, "t": 24, "b": 30}, separators=", ",
                      title={"text": "Distribution et bornes des classes", "font": {"size": 12}},
                      plot_bgcolor="white", xaxis={"title": None, "tickformat": ",~r"}, yaxis={"title": None},
                      bargap=0.05,
                      font={"family": charts.FONT, "size": 11}, showlegend=False)
    return fig


def card(con, code: str, ind: pd.Series, period: tuple[int, int]) -> None:
    """Key figures with units and years, ranks, a sparkline, and links to the other pages."""
    t = territories.get(con, code)
    st.markdown(f"#### {t['label']}")
    st.caption(territories.LEVELS[t["level"]])
    r = compare.ranks(con, ind["id"], period[0], period[1], [code], int(ind["polarity"]))
    if not r.empty and pd.notna(r["value"].iloc[0]):
        row = r.iloc[0]
        st.metric(f"{ind['label']} ({period_label(*period)})", f"{fr_number(row['value'], int(ind['decimals']))} {ind['unit']}")
        ranks = [f"{fr_int(row[f'rank_{s}'])}e / {fr_int(row[f'n_{s}'])} {name}" for s, name in
                 (("dep", "dans le département"), ("reg", "dans la région"), ("fr", "en France"))
                 if pd.notna(row[f"rank_{s}"]) and t["level"] not in ({"dep": ("DEP", "REG"), "reg": ("REG",), "fr": ()}[s])]
        st.caption(" · ".join(ranks))
    else:
        st.metric(ind["label"], MISSING)
    spark = store.series(con, [code], [ind["id"]])
    spark = spark[spark["period_start"] == spark["year"]]
    if len(spark) >= 2:
        fig = go.Figure(go.Scatter(x=spark["year"], y=spark["value"], mode="lines", line={"color": "#0072B2"},
                                   hoverinfo="skip"))
        fig.update_layout(height=90, margin={"l": 0, "r": 0, "t": 0, "b": 0}, xaxis={"visible": False},
                          yaxis={"visible": False}, plot_bgcolor="white")
        st.plotly_chart(fig, width="stretch", config={"displayModeBar": False, "staticPlot": True})
        st.caption(f"{ind['label']}, {int(spark['year'].min())}–{int(spark['year'].max())}")
    figures = store.series(con, [code], list(KEY_FIGURES))
    table = store.indicators(con).set_index("id")
    lines = []
    for ind_id in KEY_FIGURES:
        rows = figures[figures["indicator"] == ind_id]
        if rows.empty or ind_id not in table.index:
            continue
        last = rows.sort_values(["year", "period_start"]).iloc[-1]
        lines.append(f"- {table.at[ind_id, 'label']} : **{fr_number(last['value'], int(table.at[ind_id, 'decimals']))}** "
                     f"{table.at[ind_id, 'unit']} ({period_label(int(last['period_start']), int(last['year']))})")
    st.markdown("\n".join(lines))
    st.page_link("app_pages/evolutions.py", label="Évolutions de ce territoire", icon=":material/show_chart:",
                 query_params={"t": code, "i": ind["id"]})
    st.page_link("app_pages/comparer.py", label="Territoires semblables", icon=":material/compare_arrows:",
                 query_params={"vue": "similaires", "t": code, "cible": code})
