"""Exporter: the data behind a chart, with its sources, as CSV (French or international) and XLSX."""
from __future__ import annotations

import streamlit as st

from indicators import export, store, territories
from ui import data, state, widgets

con = data.require_database()
st.title("Exporter")
st.write("Téléchargez les données exactes d'une série, avec leur source, leur licence et le lien de la vue.")

codes = widgets.territory_sidebar(con)
ind = widgets.indicator_select(con)
french = st.radio("Format CSV", ["français (; et virgule décimale)", "international (, et point décimal)"],
                  index=0 if state.get_str("csv", "fr") == "fr" else 1, horizontal=True, key="w_csv")
state.put("csv", "fr" if french.startswith("français") else "int")

series = store.series(con, codes, [ind["id"]])
if series.empty:
    st.info(f"Donnée non disponible pour ces territoires. Couverture : {ind['coverage']}")
    st.stop()
table = export.series_table(series)
names = ", ".join(territories.labels(con, codes).values())
meta = export.ExportMeta(title=f"{ind['label']} · {names}", source=ind["source"], licence=ind["licence"],
                         unit=ind["unit"], permalink=state.link("evolutions", t=codes, i=ind["id"]),
                         note=ind["caution"] or "")
stem = f"observatoire_{ind['id']}"
c1, c2 = st.columns(2)
c1.download_button("Télécharger le CSV", export.to_csv(table, french=state.get_str("csv") == "fr"),
                   file_name=f"{stem}.csv", mime="text/csv", on_click="ignore", width="stretch")
c2.download_button("Télécharger le classeur XLSX", export.to_xlsx(table, meta), file_name=f"{stem}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   on_click="ignore", width="stretch")
preview = table.assign(valeur=widgets.format_values(table["valeur"], int(ind["decimals"])))
st.dataframe(preview, hide_index=True, width="stretch")
widgets.source_caption(ind)
