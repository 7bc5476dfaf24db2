"""Données › Importer des points: a file of places (shops opened or closed, actions…) checked where it
is wrong, then written with the counts it makes per commune and year."""
from __future__ import annotations

import streamlit as st

from indicators import links, points, tabular, text
from indicators.config import settings
from indicators.errors import ObservatoireError
from indicators.format import fr_number
from indicators.paths import db_path
from indicators.text import md

from .import_views import FILE_TYPES, _once, confirm_and_write, let_go, refused, upload_too_large

TEMPLATE = ("latitude;longitude;catégorie;date;libellé;commune\n"
            "42,9653;1,6069;Ouverture de commerce;2024-03-15;Librairie du centre;09122\n"
            "42,9649;1,6052;Fermeture de commerce;2024-05-02;Magasin de chaussures;09122\n")


def points_flow(con) -> None:
    refused(prefix="pts")
    if st.session_state.get("pts_done"):
        st.success(st.session_state.pop("pts_done"))
        st.page_link(links.page("terrain").file, label="Voir les points sur la page Terrain", icon=":material/location_on:",
                     query_params=st.session_state.pop("pts_link", {}))
    upload = st.file_uploader("Fichier de points CSV ou Excel (latitude/longitude WGS84 ou x/y Lambert-93, catégorie, "
                              "date ; libellé et commune facultatifs)", type=FILE_TYPES, key=f"w_pts_upload_{st.session_state.get('pts_round', 0)}",
                              max_upload_size=settings().upload_hard_cap_mb)
    st.download_button("Modèle de fichier de points (CSV)", TEMPLATE.encode("utf-8-sig"), "modele_points.csv",
                       "text/csv", on_click="ignore")
    if upload is None or upload_too_large(upload):
        return
    sheet = None
    if tabular.is_excel(upload.name):
        sheets = _once("pts_sheets", (upload.file_id, upload.size), lambda: tabular.sheet_names(upload.getvalue(), upload.name))
        if isinstance(sheets, ObservatoireError):
            let_go("pts", sheets)
        sheet = st.selectbox("Feuille", sheets, key="w_pts_sheet")
    checked = _once("pts_file", (upload.file_id, upload.size, sheet),
                    lambda: points.check(con, points.read(upload.getvalue(), upload.name, sheet), upload.name,
                                         upload.getvalue()))
    if isinstance(checked, ObservatoireError):
        let_go("pts", checked)
    layer = st.text_input("Nom de la couche (devient le nom des indicateurs)", key="w_pts_layer",
                          placeholder="Commerces du centre-ville", max_chars=text.LIMITS["label"])
    placed = checked.points["commune"].notna().sum() if not checked.points.empty else 0
    categories = sorted(set(checked.points["category"])) if not checked.points.empty else []
    st.markdown(f"**Rapport de validation** : {fr_number(len(checked.points))} points lus, {fr_number(placed)} placés "
                f"dans une commune ; {len(checked.blocking)} problème(s) bloquant(s), {len(checked.warnings)} "
                f"avertissement(s). Catégories : {md(', '.join(categories)) or '–'}.")
    written = confirm_and_write(
        checked, "Importer les points", "pts",
        lambda accept: points.write(checked, layer.strip(), accept_warnings=accept, path=db_path()),
        "import de points", f"{upload.name}, {placed} points, couche {layer.strip()}", ready=bool(layer.strip()))
    if written:
        _, created = written
        communes = checked.points["commune"].dropna().unique().tolist()
        st.session_state["pts_done"] = (
            f"{fr_number(placed)} points importés : {len(categories)} catégorie(s) comptée(s) par commune et par année "
            "(et le solde ouvertures − fermetures quand il y a les deux), sur toutes les pages." if created else "Ce fichier a déjà été importé : rien n'a changé.")
        st.session_state["pts_link"] = links.TerrainView.query(territories=communes[:5], lieu=communes[0]) \
            if communes else {}
        st.rerun()
