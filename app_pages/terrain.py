"""Terrain: one territory on the ground — its communes, the EU ETS installations that emit its CO2,
sized by the chosen year's emissions; click a commune to choose it, an installation to read its series."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from indicators import catalog, charts, export, points, terrain, territories
from indicators.format import fr_int
from indicators.text import html_text, md
from ui import data, state, widgets

ETS = catalog.get("co2_ets")  # the register's source, licence and vintage: said once, in the catalog

con = data.require_database()
st.title("Terrain")
view = state.load(state.TerrainView)
P = state.TerrainView.param
followed = widgets.territory_sidebar(con)

group = widgets.group_select(con, "Ou un membre du groupe", allow_none=True, default=None)
members = territories.group_members(con, group["id"])["code"].tolist() if group is not None else []
places = [c for c in dict.fromkeys(followed + members) if territories.level_of(c) in terrain.LEVELS]
if not places:
    st.info("Choisissez une commune, une intercommunalité ou un département dans la barre latérale (ou un groupe).")
    st.stop()
names = territories.labels(con, places)
years = data.cached(terrain.ets_years)
c1, c2 = st.columns([3, 1])
place = c1.selectbox("Territoire", places, format_func=names.get, key="w_lieu",
                     index=places.index(state.read(P("lieu"), places, places[0])))
state.write(P("lieu"), place)
year = c2.selectbox("Année des émissions", years[::-1], key="w_annee_ets",
                    index=years[::-1].index(state.read(P("annee"), default=years[-1], bounds=(years[0], years[-1]))))
state.write(P("annee"), year)
selected = state.read(P("sel"))

communes = terrain.communes_of(con, place)
brought = points.of_communes(con, communes)
fig, plants = terrain.build_map(con, place, int(year), selected=selected, cluster_points=brought, communes=communes)
clicked = st_folium(fig, height=560, use_container_width=True, key=f"terrain_{place}_{year}",
                    returned_objects=["last_active_drawing", "last_object_clicked"])
basemap = terrain.tiles()
sectors = sorted(set(plants["sector"].dropna()))
st.markdown(" ".join(f'<span style="white-space:nowrap;margin-right:14px"><span style="display:inline-block;width:12px;'
                     f'height:12px;border-radius:6px;border:1px solid #222;background:{terrain.SECTOR_COLOURS.get(s, terrain.OTHER_COLOUR)}">'
                     f'</span> {html_text(s)}</span>' for s in sectors), unsafe_allow_html=True)
st.caption(f"{fr_int(len(plants))} installations soumises aux quotas (SEQE-UE) dans « {md(names[place])} » ; "
           f"cercles proportionnels aux émissions vérifiées de {year}, couleur par secteur. "
           + ("Fond de carte : " + md(basemap[1]) + "." if basemap else
              "Sans fond de carte (fonctionne hors ligne ; réglez OBS_TILES pour en ajouter un).")
           + " Clic sur une commune : la choisir ; sur un cercle : sa fiche et sa série."
           + (f" Points importés (verts, regroupés) : {fr_int(len(brought))} — "
              + md(", ".join(f"{c} : {fr_int(n)}" for c, n in brought["category"].value_counts().sort_index().items()))
              + "." if not brought.empty else ""))

drawing = (clicked or {}).get("last_active_drawing") or {}
code = (drawing.get("properties") or {}).get("code") or drawing.get("id")
if code and code != selected and territories.level_of(str(code)) == "COM":
    state.write(P("sel"), code)
    st.rerun()
if selected and selected in set(communes):
    label = territories.labels(con, [selected]).get(selected, selected)
    st.markdown(f"**Commune choisie : {md(label)}**")
    b1, b2 = st.columns(2)
    b1.page_link("app_pages/evolutions.py", label="Ses évolutions", icon=":material/show_chart:",
                 query_params={"t": selected})
    if selected not in followed:
        b2.button("Ajouter aux territoires suivis", on_click=state.write, args=(state.TERRITORIES, [*followed, selected]))

point = (clicked or {}).get("last_object_clicked") or {}
if point and not plants.empty:
    near = plants.assign(d=(plants["lat"] - point.get("lat", 0)) ** 2 + (plants["lon"] - point.get("lng", 0)) ** 2)
    hit = near.sort_values("d").iloc[0]
    if hit["d"] < 1e-8:
        history = terrain.emissions_of(con, [hit["seqe_id"]])
        series = history.assign(territory=hit["seqe_id"], territory_label=str(hit["name"]), level="ETS",
                                period_start=history["year"], value=history["emissions"])
        spec = charts.ChartSpec(title=f"{hit['name']} : émissions vérifiées", unit="t CO2e",
                                subtitle=f"{hit['sector'] or 'secteur non renseigné'} · {hit['operator'] or ''}",
                                source=ETS.source_line, licence=ETS.licence,
                                permalink=state.link(state.TerrainView))
        widgets.show_chart(charts.trend_chart(series, spec))

st.subheader("Installations du territoire")
if plants.empty:
    st.info("Aucune installation soumise aux quotas (SEQE-UE) dans ce territoire : ses émissions SEQE-UE sont nulles "
            "dans ce périmètre (les autres sources d'émissions ne sont pas couvertes par ce registre).")
else:
    table = pd.DataFrame({"Installation": plants["name"], "Exploitant": plants["operator"], "Secteur": plants["sector"],
                          "Commune": plants["commune"].map(territories.labels(con, plants["commune"].tolist())),
                          f"Émissions {year} (t)": plants["emissions"], "Part du territoire (%)": plants["share"]})
    widgets.french_table(table, {f"Émissions {year} (t)": 0, "Part du territoire (%)": 1}, height=280)
    sites = plants[["seqe_id", "name", "operator", "sector", "commune", "lon", "lat", "emissions"]].assign(annee=year)
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
         "properties": {k: (None if pd.isna(v) else v) for k, v in r._asdict().items() if k not in ("Index", "lon", "lat")}}
        for r in sites.itertuples()]}
    d1, d2 = st.columns(2)
    d1.download_button("Exporter les points (CSV)", export.to_csv(sites), f"installations_{place}_{year}.csv",
                       "text/csv", on_click="ignore")
    d2.download_button("Exporter les points (GeoJSON)", json.dumps(geojson, ensure_ascii=False, default=str),
                       f"installations_{place}_{year}.geojson", "application/geo+json", on_click="ignore")
if not brought.empty:
    st.download_button("Exporter les points importés (CSV)", export.to_csv(brought), f"points_{place}.csv", "text/csv",
                        on_click="ignore")
st.caption(f"{md(ETS.source_line)}. Installations placées dans leur commune 2026 par leurs coordonnées.")
