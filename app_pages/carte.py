"""Carte: one indicator across the territories of a level, with sound classes, a legend that counts,
the pilot sites in view, a card for the clicked territory, and the same data as a table."""
from __future__ import annotations

import streamlit as st

from indicators import charts, classify, export, mapdata, territories
from indicators.format import period_label
from indicators.screens import carte
from indicators.text import md
from ui import carte_views, data, mapview, state, widgets

con = data.require_database()
st.title("Carte")
view = state.load(state.CarteView)
picked = carte_views.controls(con, view)
c, ind = picked.choices, picked.ind
screen = data.cached(carte.build, c, large=True)
if screen is None:
    st.info(f"Aucun territoire du niveau « {territories.LEVELS[c.level]} » dans l'emprise « "
            f"{md(picked.names.get(c.within, ''))} » : choisissez une emprise plus large ou un niveau plus fin.")
    st.stop()
if screen.reference_note:
    st.caption(screen.reference_note)

cl, colours, codes = screen.model.classes, list(screen.model.colours), screen.codes
visible = set(codes) if c.within or c.members_only else None
selected = state.read(state.CarteView.param("sel"))
left, right = st.columns([3, 1.1])
with left:
    clicked = mapview.territory_map(c.level, codes, screen.numbers, cl.classes, colours, classify.MISSING_COLOUR,
                                    str(ind.unit), ind.decimals, visible=visible, outline=set(screen.outline),
                                    selected=selected, key="carte", small=screen.values["small"].to_numpy(dtype=bool),
                                    view_of=picked.extent)
    if clicked and clicked["code"] != selected:
        state.write(state.CarteView.param("sel"), clicked["code"])
        st.rerun()
    st.caption(carte.status(screen, len(set(codes) - set(mapview.geometry_codes(c.level)[1]))))
with right:
    carte_views.legend(cl, colours, ind.decimals, str(ind.unit), int(screen.values["small"].sum()),
                       screen.small_rule, c.group_name, len(screen.outline & set(codes)))
    if cl.k:
        st.markdown(carte_views.histogram_svg(screen.numbers, cl, ind.decimals), unsafe_allow_html=True)
    carte_views.search(con, c.level, set(codes))
    if selected and territories.level_of(selected) == c.level and selected in set(codes):
        carte_views.card(con, selected, ind, c.period, c.include_small, screen.small_rule)
    elif selected:
        st.caption("Le territoire choisi n'est pas sur cette carte (autre niveau, autre emprise ou code inconnu).")

carte_views.compared_years(screen, picked)

chosen = period_label(*c.period)
spec = charts.spec_of(
    ind, title=f"{ind.label}, {chosen}",
    subtitle=f"{territories.LEVELS[c.level]} · {picked.names.get(c.within, 'France entière')} · "
             f"{classify.METHODS[c.method]}", permalink=state.link(state.CarteView))
spec_table = carte.export_table(screen.values, ind, c.period)
with left:
    widgets.export_chart(
        lambda: charts.map_figure(mapdata.read_layer(mapview.GEO_DIR / f"{c.level}.json"), codes, cl, colours,
                                  classify.MISSING_COLOUR, spec, visible=visible, outline=set(screen.outline),
                                  small=set(screen.values.loc[screen.values["small"], "code"]),
                                  group_name=c.group_name),
        spec, spec_table, f"carte_{c.level}_{c.indicator}")

st.subheader("Les mêmes données en tableau")
include_small = widgets.small_toggle(screen.small_rule) if screen.small_rule else c.include_small
table, formats = carte.ranked_table(screen.values, ind, include_small)
widgets.french_table(table, formats, unranked=("Rang",), height=320)
st.download_button("Télécharger le tableau (CSV)", lambda t=spec_table: export.to_csv(export.series_table(t, spec)),
                   f"carte_{c.level}_{c.indicator}_{chosen}.csv", "text/csv", on_click="ignore")
widgets.source_caption(ind)
