"""Exporter: one chart with its data, or a review pack (ZIP and PDF) for a group or territories."""
from __future__ import annotations

import streamlit as st

from indicators import assessment, charts, export, links, store, summaries, territories
from indicators.text import not_available
from ui import data, state, widgets

con = data.require_database()
st.title("Exporter")
view = state.load(state.ExporterView)
P = state.ExporterView.param
codes = widgets.territory_sidebar(con)

st.header("Un graphique et ses données")
ind = widgets.indicator_select(con)
french = st.radio("Format CSV", ["français (; et virgule décimale)", "international (, et point décimal)"],
                  index=0 if view.csv == "fr" else 1, horizontal=True, key="w_csv")
state.write(P("csv"), "fr" if french.startswith("français") else "int")
csv_french = french.startswith("français")
series = store.series(con, codes, [ind.id])
if series.empty:
    st.info(not_available("pour ces territoires", ind.coverage))
else:
    names = ", ".join(territories.labels(con, codes).values())
    # The same chart on Évolutions: these territories, this indicator, no references.
    spec = charts.spec_of(ind, subtitle=names, permalink=links.permalink(links.EvolutionsView(territories=codes, indicator=[ind.id], ref="0")))
    table = export.series_table(series, spec, {ind.id: str(ind.label)})
    fig = charts.trend_chart(series, spec)
    widgets.show_chart(fig)
    stem = f"observatoire_{ind.id}"
    c1, c2, c3 = st.columns(3)
    # Deferred files: the callables run on click, after this script, so they get their values now.
    c1.download_button("Télécharger le CSV",
                       lambda t=table, fr=csv_french: export.to_csv(t, french=fr),
                       file_name=f"{stem}.csv", mime="text/csv", on_click="ignore", width="stretch")
    c2.download_button("Télécharger le classeur XLSX", lambda t=table, m=spec: export.to_xlsx(t, m),
                       file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", width="stretch")
    with c3:
        widgets.export_chart(fig, spec, series, f"exp_{ind.id}")
    with st.expander("Données"):
        st.dataframe(table.assign(valeur=summaries.format_values(table["valeur"], ind.decimals)),
                     hide_index=True, width="stretch")

st.header("Dossier d'évaluation")
st.caption("Pour chaque indicateur : le graphique (PNG, SVG), les données (CSV, XLSX), la définition, la source, "
           "les précautions et le lien de la vue ; en ZIP, ou en rapport PDF. Rendu local, sans réseau.")
group = widgets.group_select(con, "Groupe (ou « aucun » pour les territoires suivis)", P("gp"), allow_none=True)
pack_codes = territories.group_members(con, group["id"])["code"].tolist() if group is not None else codes
catalog_rows = widgets.indicator_table(con)
default = [i for i in ("population", "net_migration_rate", "co2_ets_per_inhabitant", "vacancy_rate",
                       "unemployment_rate", "jobs") if i in catalog_rows]
picked = st.multiselect("Indicateurs", list(catalog_rows), default=state.read(P("ip"), list(catalog_rows)) or default,
                        format_func=lambda i: catalog_rows[i].label, key="w_ip",
                        placeholder="Choisir des indicateurs")
state.write(P("ip"), picked)
first, last = data.cached(store.year_range)
lo, hi = st.slider("Années", first, last, widgets.year_span(first, last, (max(first, 2012), min(last, 2021))),
                   key="w_pack_years")
state.write(state.YEAR_FROM, lo)
state.write(state.YEAR_TO, hi)
refs = st.toggle("Références : région(s) et France (pour les taux)", value=True, key="w_pack_refs")
names = list(territories.labels(con, pack_codes).values())
group_name = group["name"] if group is not None else None
title, listed = export.pack_subject(names, group_name), export.pack_subject(names, group_name, short=False)
if st.button("Préparer le dossier (ZIP et PDF)", type="primary", disabled=not picked or not pack_codes):
    bar = st.progress(0.0, "Préparation…")
    evaluated = assessment.group_in_base(con, group["id"]) if group is not None else None
    items = export.pack_items(con, pack_codes, picked, lo, hi, refs,
                              export.pack_permalink(pack_codes, group["id"] if group is not None else None, lo, hi),
                              subtitle=title, group=evaluated)
    zipped = export.review_zip(items, export.pack_title(title), listed,
                               lambda f, m: bar.progress(0.5 * f, f"Images et données : {m}"))
    pdf = export.review_pdf(items, export.pack_title(title), listed,
                            lambda f, m: bar.progress(0.5 + 0.5 * f, f"Rapport PDF : {m}"),
                            members=names, period=f"{lo}–{hi}")
    st.session_state["pack"] = (zipped, pdf)
    bar.progress(1.0, "Dossier prêt")
widgets.link_warning()
if "pack" in st.session_state:
    zipped, pdf = st.session_state["pack"]
    c1, c2 = st.columns(2)
    c1.download_button("Télécharger le ZIP", zipped, export.pack_filename(group_name or title, "zip"),
                       "application/zip", on_click="ignore", width="stretch")
    c2.download_button("Télécharger le PDF", pdf, export.pack_filename(group_name or title, "pdf"),
                       "application/pdf", on_click="ignore", width="stretch")
st.caption("Le même dossier en ligne de commande : `" + export.pack_command(
    group["id"] if group is not None else None, pack_codes, picked, lo, hi, refs) + "` (ajoutez `--pdf`).")
