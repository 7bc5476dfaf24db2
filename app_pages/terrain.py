"""Terrain: one territory on the ground — its communes, the EU ETS installations that emit its CO2,
sized by the chosen year's emissions; click a commune to choose it, an installation to read its series."""
from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from indicators import charts, export, links, points, terrain, terrain_map, territories
from indicators.screens import terrain as screen
from indicators.text import md
from ui import data, state, widgets

con = data.require_database()
st.title("Terrain")
P = state.TerrainView.param
followed = widgets.territory_sidebar(con)

f1, f2 = st.columns(2)
with f1:
    widgets.territory_finder(con, P("lieu"), terrain.LEVELS, "Chercher un territoire", "w_terrain_find", "w_lieu")
with f2:
    group = widgets.group_select(con, "Ou un membre du groupe", allow_none=True, default=None)
members = territories.group_members(con, group["id"])["code"].tolist() if group is not None else []
asked = P("lieu").raw(st.query_params)  # a territory found by name, or opened from a link, need not be followed
places = [c for c in dict.fromkeys([*followed, *members, *([asked] if asked else [])])
          if territories.level_of(c) in terrain.LEVELS]
names = territories.labels(con, places)
places = [c for c in places if c in names]  # a code the base does not know is not offered
if not places:
    st.info("Cherchez une commune, une intercommunalité ou un département ci-dessus, ou choisissez-en dans la "
            "barre latérale (ou un groupe).")
    st.stop()
years = data.cached(terrain.ets_years)
c1, c2 = st.columns([3, 1])
place = state.select(P("lieu"), "Territoire", places, where=c1, format_func=names.get)
year = state.select(P("annee"), "Année des émissions", years[::-1], default=years[-1], where=c2, key="w_annee_ets")
selected = state.read(P("sel"))

communes = terrain.communes_of(con, place)
brought = points.of_communes(con, communes)
fig, plants = terrain_map.build_map(con, place, int(year), selected=selected, cluster_points=brought, communes=communes)
clicked = st_folium(fig, height=560, use_container_width=True, key=f"terrain_{place}_{year}",
                    returned_objects=["last_active_drawing", "last_object_clicked"]) or {}
st.markdown(screen.sectors_legend(plants), unsafe_allow_html=True)
st.caption(screen.map_caption(plants, brought, names[place], int(year), terrain_map.tiles()))

drawing = clicked.get("last_active_drawing") or {}
code = (drawing.get("properties") or {}).get("code") or drawing.get("id")
if code and code != selected and territories.level_of(str(code)) == "COM":
    state.write(P("sel"), code)
    st.rerun()
if selected and selected in set(communes):
    st.markdown(f"**Commune choisie : {md(territories.labels(con, [selected]).get(selected, selected))}**")
    b1, b2 = st.columns(2)
    b1.page_link(links.page("evolutions").file, label="Ses évolutions", icon=":material/show_chart:",
                 query_params=links.EvolutionsView.query(territories=[selected]))
    if selected not in followed:
        b2.button("Ajouter aux territoires suivis", on_click=state.write, args=(state.TERRITORIES, [*followed, selected]))

plant = screen.clicked_plant(plants, clicked.get("last_object_clicked") or {})
if plant is not None:
    series, spec = screen.plant_chart(con, plant, state.link(state.TerrainView))
    widgets.show_chart(charts.trend_chart(series, spec))

st.subheader("Installations du territoire")
if plants.empty:
    st.info("Aucune installation soumise aux quotas (SEQE-UE) dans ce territoire : ses émissions SEQE-UE sont nulles "
            "dans ce périmètre (les autres sources d'émissions ne sont pas couvertes par ce registre).")
else:
    widgets.french_table(*screen.plants_table(plants, territories.labels(con, plants["commune"].tolist()), year),
                         height="auto" if len(plants) <= 7 else 280)  # a few plants: no blank rows under them
    sites = screen.sites(plants, year)
    d1, d2 = st.columns(2)
    d1.download_button("Exporter les points (CSV)", export.to_csv(sites), f"installations_{place}_{year}.csv",
                       "text/csv", on_click="ignore")
    d2.download_button("Exporter les points (GeoJSON)", screen.sites_geojson(sites),
                       f"installations_{place}_{year}.geojson", "application/geo+json", on_click="ignore")
if not brought.empty:
    st.download_button("Exporter les points importés (CSV)", export.to_csv(brought), f"points_{place}.csv", "text/csv",
                       on_click="ignore")
st.caption(f"{md(screen.ETS.source_line)}. Installations placées dans leur commune 2026 par leurs coordonnées.")
