"""Évolutions: series of the followed territories against their références, in several modes, and
the profile of one territory across every indicator."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import charts, store, summaries, territories, transforms
from indicators.screens import evolutions
from indicators.text import md
from ui import data, state, widgets

con = data.require_database()
st.title("Évolutions")
view = state.load(state.EvolutionsView)
P = state.EvolutionsView.param
codes = widgets.territory_sidebar(con)
if not codes:
    st.info("Choisissez au moins un territoire dans la barre latérale.")
    st.stop()
names = territories.labels(con, codes)
shown_view = state.segmented(P("vue"), "Vue", {"series": "Séries", "profil": "Profil d'un territoire"})

c1, c2, c3 = st.columns([2.6, 0.9, 2])
# `ref`: 1 (the first territory's département, région and France), 0 (none) or the codes themselves
# (a review pack's link names its references: the members' régions and France).
named_refs = [c for c in view.ref.split(",")[:20] if ":" in c or c == "FR"]
named_refs = [c for c in named_refs if c in territories.labels(con, named_refs) and c not in codes]
with c2:
    with_refs = st.toggle("Références", value=view.ref != "0", key="w_ref",
                          help="Département, région et France du premier territoire")
refs = (named_refs or [r for r in territories.references(con, codes[0]) if r not in codes]) if with_refs else []
state.write(P("ref"), ",".join(named_refs) if with_refs and named_refs else "1" if with_refs else "0")

if shown_view == "profil":
    target = state.select(P("target"), "Territoire", codes, where=c1, format_func=names.get, key="w_cible")
    table = widgets.indicator_table(con)
    target_refs = territories.references(con, target) if with_refs else []
    series = store.series(con, [target, *target_refs], list(table))
    st.subheader("Chiffres clés")
    st.dataframe(summaries.key_figures(series, table, target, target_refs, territories.labels(con, [target, *target_refs])),
                 hide_index=True, width="stretch")
    fig = charts.profile_chart(series, table, frozenset(target_refs), f"Séries annuelles : {names[target]}",
                               "Sources : voir la page Méthodes (une source par indicateur). Effectifs sans "
                               "référence ; taux avec département, région et France en gris.")
    widgets.show_chart(fig)
    st.stop()

with c1:
    inds = widgets.indicators_multiselect(con)
with c3:
    group = widgets.group_select(con, "Repère : début d'un programme", allow_none=True, default=None)
mode = state.segmented(P("mode"), "Mode", transforms.MODES)
m2, m3 = st.columns([1, 3])
first, last = data.cached(store.year_range)
base = state.number(P("base"), "Année de base (indice)", first, last, default=min(max(2013, first), last), where=m2,
                    disabled=mode not in ("indice", "auto"))  # « Adapté » draws counts as an index too
if mode not in ("indice", "auto"):
    state.write(P("base"), None)
with m3:
    lo, hi = st.slider("Années", first, last, widgets.year_span(first, last, (first, last)), key="w_annees")
    state.write(state.YEAR_FROM, lo if lo != first else None)
    state.write(state.YEAR_TO, hi if hi != last else None)

marker = int(group["start_year"]) if group is not None and pd.notna(group["start_year"]) else None
if marker and not territories.in_group(con, group["id"], codes):  # a start is drawn only where it happened
    st.caption(f"Repère non tracé : aucun des territoires affichés n'appartient au groupe « {md(group['name'])} ».")
    marker = None
choices = evolutions.Choices(tuple(codes), tuple(refs), mode, int(base), (lo, hi), marker,
                             str(group["name"]) if marker else "", state.link(state.EvolutionsView))
count, said = evolutions.cut(len(inds), len(codes) + len(refs))
if said:
    st.warning(said)
all_names = territories.labels(con, codes + refs)
for ind in inds[:count]:
    panel = evolutions.panel(con, ind, choices, all_names)
    for note in panel.notes:
        st.info(note)
    if panel.empty:
        continue
    fig = charts.trend_chart(panel.shown, panel.spec, frozenset(refs))
    widgets.show_chart(fig)
    widgets.export_chart(fig, panel.spec, panel.shown, f"evo_{ind.id}")
    with st.expander("Tableau des valeurs"):
        st.dataframe(summaries.values_table(panel.shown, [*codes, *refs], panel.spec.decimals), width="stretch")
    if panel.growth is not None:
        widgets.french_table(panel.growth, panel.growth_formats)
    if panel.spans:
        st.caption(panel.spans)
    if ind.caution:
        st.caption(f"⚠ {md(ind.caution)}")
    widgets.source_caption(ind)
