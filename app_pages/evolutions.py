"""Évolutions: series of the followed territories against their références, in several modes, and
the profile of one territory across every indicator."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import charts, store, summaries, territories, transforms
from indicators.format import period_label
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

views = dict(zip(P("vue").options, ("Séries", "Profil d'un territoire"), strict=True))  # keys declared in state
shown_view = st.segmented_control("Vue", list(views), format_func=views.get, key="w_vue", default=view.vue) or "series"
state.write(P("vue"), shown_view)

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
all_names = territories.labels(con, codes + refs)

if shown_view == "profil":
    with c1:
        target = st.selectbox("Territoire", codes, format_func=names.get, key="w_cible",
                              index=codes.index(state.read(P("target"), codes, codes[0])))
        state.write(P("target"), target)
    table = widgets.indicator_table(con)
    target_refs = territories.references(con, target) if with_refs else []
    series = store.series(con, [target, *target_refs], table.index.tolist())
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
    group = widgets.group_select(con, "Repère : début d'un programme", allow_none=True)
modes = list(transforms.MODES)
mode = st.segmented_control("Mode", modes, format_func=transforms.MODES.get, key="w_mode",
                            default=view.mode) or "valeurs"
state.write(P("mode"), mode)
m2, m3 = st.columns([1, 3])
with m2:
    first, last = data.cached(store.year_range)
    base = st.number_input("Année de base (indice)", first, last,
                           state.read(P("base"), default=min(max(2013, first), last), bounds=(first, last)),
                           key="w_base", disabled=mode != "indice")
    state.write(P("base"), base if mode == "indice" else None)
with m3:
    lo, hi = st.slider("Années", first, last, widgets.year_span(first, last, (first, last)), key="w_annees")
    state.write(state.YEAR_FROM, lo if lo != first else None)
    state.write(state.YEAR_TO, hi if hi != last else None)

marker = int(group["start_year"]) if group is not None and pd.notna(group["start_year"]) else None
# A page draws at most MAX_SERIES series: 50 territories × 20 indicators in moving averages cost 5 s of
# a server's CPU for a chart nobody can read; the rest is said, never silently dropped.
shown_inds = inds.head(max(1, transforms.MAX_SERIES // max(len(codes) + len(refs), 1)))
if len(shown_inds) < len(inds):
    st.warning(f"Vue coupée : {len(inds)} indicateurs × {len(codes) + len(refs)} territoires demandés ; les "
               f"{len(shown_inds)} premiers indicateurs sont affichés (au plus {transforms.MAX_SERIES} séries par page). "
               "Retirez des territoires ou des indicateurs pour voir les autres.")
for ind_id, ind in shown_inds.iterrows():
    raw = store.series(con, codes + refs, [ind_id])
    raw = raw[(raw["year"] >= lo) & (raw["period_start"] <= hi)]
    if mode == "pour1000" and ind["kind"] != "count":
        st.info(f"{md(ind['label'])} est déjà un taux : affiché en valeurs.")
    shown, unit = raw, ind["unit"]
    if mode == "indice":
        shown, unit = transforms.index_base(raw, base), f"indice base 100 en {base}"
    elif mode in ("mm3", "mm5"):
        shown, unit = transforms.moving_average(raw, int(mode[-1])), f"{ind['unit']} (moyenne mobile {mode[-1]} ans)"
    elif mode == "pour1000" and ind["kind"] == "count":
        shown = transforms.per_thousand(raw, store.series(con, codes + refs, ["population"]))
        unit = f"{ind['unit']} pour 1 000 habitants"
    without = [names[c] for c in codes if c not in set(shown["territory"])]
    if shown.empty:
        st.info(f"{md(ind['label'])} : donnée non disponible pour ces territoires et leurs références dans ce mode "
                f"et ces années. Couverture : {md(ind['coverage'])}")
        continue
    if without:  # the references still show, so the territory's absence reads as absence, not as zero
        st.info(f"{md(ind['label'])} : donnée non disponible pour {md(', '.join(without))} dans ce mode et ces "
                f"années ; les références restent affichées. Couverture : {md(ind['coverage'])}")
    transform = (f"indice base 100 en {base}" if mode == "indice" else transforms.MODES[mode].lower())
    spec = widgets.chart_spec(ind, title=ind["label"], subtitle=f"{transforms.MODES[mode]} · {lo}–{hi}", unit=unit,
                              decimals=1 if mode != "valeurs" else int(ind["decimals"]), transform=transform,
                              marker_year=marker,
                              marker_label=f"Début : {charts.short(group['name'], 48)} ({marker})" if marker else "",
                              permalink=state.link(state.EvolutionsView))
    fig = charts.trend_chart(shown, spec, frozenset(refs))
    widgets.show_chart(fig)
    widgets.export_chart(fig, spec, shown, f"evo_{ind_id}")
    with st.expander("Tableau des valeurs"):
        st.dataframe(summaries.values_table(shown, [*codes, *refs], spec.decimals), width="stretch")
    grow = transforms.growth(shown)
    if not grow.empty:
        dec = spec.decimals
        columns = {"Territoire": grow["territory"].map(all_names),
                   "Période": [f"{a}–{b}" for a, b in zip(grow["from"], grow["to"], strict=True)],
                   "Début": grow["first"], "Fin": grow["last"]}
        if ind["kind"] == "ratio" and mode == "valeurs":
            # A growth rate of a rate means nothing: the change of a rate is read in points.
            columns["Écart (points)"] = grow["last"] - grow["first"]
            formats = {"Début": dec, "Fin": dec, "Écart (points)": dec}
        else:
            columns.update({"Évolution (%)": grow["change_pct"], "Par an, moyenne géométrique (%)": grow["cagr_pct"]})
            formats = {"Début": dec, "Fin": dec, "Évolution (%)": 1, "Par an, moyenne géométrique (%)": 2}
        widgets.french_table(pd.DataFrame(columns), formats)
    spans = shown[shown["period_start"] != shown["year"]]
    if not spans.empty:
        st.caption("Les segments horizontaux sont des moyennes annuelles sur une période ("
                   + ", ".join(sorted({period_label(p, y) for p, y in zip(spans.period_start, spans.year, strict=True)})) + ").")
    if ind["caution"]:
        st.caption(f"⚠ {md(ind['caution'])}")
    widgets.source_caption(ind)
