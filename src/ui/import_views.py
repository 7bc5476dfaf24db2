"""The import flow of the Données page: file, preview, indicator, report, confirm; templates; undo."""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from indicators import ingest, territories
from indicators.errors import ObservatoireError
from indicators.paths import db_path

from . import state, widgets

MAX_UPLOAD_MB = float(os.environ.get("OBS_MAX_UPLOAD_MB", "20"))
POLARITY = {1: "plus = mieux", 0: "neutre", -1: "moins = mieux"}


def problems_table(problems: list[ingest.Problem]) -> pd.DataFrame:
    return pd.DataFrame({
        "Gravité": ["bloquant" if p.blocking else "avertissement" for p in problems],
        "Ligne": [str(p.line) if p.line else "–" for p in problems],
        "Colonne": [p.column or "–" for p in problems],
        "Valeur": ["–" if p.value is None else p.value for p in problems],
        "Problème": [p.message for p in problems],
    })


def declaration_form(con) -> ingest.Declaration:
    mode = st.radio("Indicateur", ["Nouvel indicateur", "Compléter un indicateur existant"], horizontal=True,
                    key="w_imp_mode")
    if mode != "Nouvel indicateur":
        table = widgets.indicator_table(con)
        ind = st.selectbox("Indicateur à compléter", list(table.index), key="w_imp_known",
                           format_func=lambda i: f"{table.at[i, 'label']} ({table.at[i, 'unit']})")
        return ingest.Declaration(id=ind)
    c1, c2 = st.columns(2)
    label = c1.text_input("Libellé", key="w_imp_label", placeholder="Ouvertures de commerces")
    unit = c2.text_input("Unité", key="w_imp_unit", placeholder="ouvertures")
    kind = c1.selectbox("Nature", list(ingest.KINDS), format_func=ingest.KINDS.get, key="w_imp_kind")
    polarity = c2.selectbox("Sens", list(POLARITY), format_func=POLARITY.get, key="w_imp_pol")
    source = c1.text_input("Source (producteur, jeu de données)", key="w_imp_source")
    licence = c2.text_input("Licence", key="w_imp_licence", placeholder="Licence Ouverte")
    definition = st.text_input("Définition (facultatif)", key="w_imp_def")
    return ingest.Declaration(id=ingest.slug_id(label), label=label, unit=unit, kind=kind, polarity=polarity,
                              source=source, licence=licence, definition=definition, is_new=True)


def import_flow(con) -> None:
    upload = st.file_uploader("Fichier CSV ou Excel (format long : territoire, année, valeur ; ou large : une "
                              "colonne par année)", type=["csv", "txt", "xlsx"], key="w_upload")
    if upload is None:
        return
    data = upload.getvalue()
    if len(data) > MAX_UPLOAD_MB * 1e6:
        st.error(f"Fichier trop volumineux ({len(data) / 1e6:.1f} Mo) : la limite est de {MAX_UPLOAD_MB:g} Mo "
                 "(variable OBS_MAX_UPLOAD_MB).")
        return
    try:
        sheet = None
        if upload.name.lower().endswith(".xlsx"):
            sheet = st.selectbox("Feuille", ingest.sheet_names(data), key="w_imp_sheet")
        frame = ingest.read_table(data, upload.name, sheet)
        prepared = ingest.prepare(frame, upload.name, data)
    except ObservatoireError as exc:
        st.error(str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - an unreadable upload must never show a traceback
        st.error(f"Fichier « {upload.name} » illisible : {type(exc).__name__}.")
        return
    st.markdown(f"**Aperçu** ({len(frame)} lignes, format {'long' if prepared.shape == 'long' else 'large'})")
    st.dataframe(frame.head(10), hide_index=True, width="stretch")
    decl = declaration_form(con)
    choices = st.session_state.setdefault("imp_choices", {})
    checked = ingest.validate(con, prepared, decl, choices)
    for name, options in checked.ambiguous.items():
        codes = [c for c, _ in options]
        pick = st.selectbox(f"« {name} » désigne plusieurs territoires : lequel ?", codes, key=f"w_amb_{name}",
                            format_func=dict(options).get)
        if st.button(f"Retenir pour « {name} »", key=f"w_amb_ok_{name}"):
            choices[name] = pick
            st.rerun()
    st.markdown(f"**Rapport de validation** : {len(checked.observations)} valeurs prêtes, "
                f"{len(checked.blocking)} problème(s) bloquant(s), {len(checked.warnings)} avertissement(s).")
    if checked.problems:
        st.dataframe(problems_table(checked.problems), hide_index=True, width="stretch")
    accept = True
    if checked.warnings:
        accept = st.checkbox("J'ai lu les avertissements et j'importe quand même", key="w_imp_accept")
    if st.button("Importer", type="primary", disabled=bool(checked.blocking) or not accept, key="w_imp_go"):
        try:
            import_id, created = ingest.write(checked, decl, accept_warnings=accept, path=db_path())
        except ObservatoireError as exc:
            st.error(str(exc))
            return
        if created:
            st.success(f"Import n° {import_id} enregistré : {len(checked.observations)} valeurs. L'indicateur est "
                       "disponible sur toutes les pages (carte, évolutions, comparaisons, exports).")
            st.page_link("app_pages/evolutions.py", label="Voir la série", icon=":material/show_chart:",
                         query_params={"i": decl.id, "t": ",".join(checked.observations["territory"].unique()[:5])})
        else:
            st.info(f"Ce fichier a déjà été importé (import n° {import_id}) : rien n'a changé.")


def templates(con) -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    groups = territories.groups(con)
    group = c1.selectbox("Territoires du modèle", groups["id"].tolist(), key="w_tpl_g",
                         format_func=dict(zip(groups["id"], groups["name"])).get)
    shape = c2.radio("Format", ["long", "large"], key="w_tpl_shape", horizontal=True)
    first, last = c3.select_slider("Années", list(range(2010, 2027)), value=(2019, 2024), key="w_tpl_years")
    codes = territories.group_members(con, group)["code"].tolist()
    st.download_button(f"Télécharger le modèle ({len(codes)} territoires)",
                       ingest.template(con, codes, shape, list(range(first, last + 1))),
                       file_name=f"modele_{group}_{shape}.csv", mime="text/csv", on_click="ignore")


def import_log(con) -> None:
    log = ingest.imports(con)
    if log.empty:
        st.info("Aucun import pour l'instant : la base ne contient que les sources publiques listées sur la page Méthodes.")
        return
    st.dataframe(log.rename(columns={"id": "N°", "imported_at": "Date", "file": "Fichier", "sha256": "Empreinte SHA-256",
                                     "rows": "Valeurs", "indicator_ids": "Indicateurs"}), hide_index=True, width="stretch")
    c1, c2 = st.columns([1, 2])
    target = c1.selectbox("Import à annuler", log["id"].tolist(), key="w_undo_id")
    if c2.button("Annuler cet import en entier", key="w_undo"):
        try:
            n = ingest.undo(int(target), path=db_path())
            st.success(f"Import n° {target} annulé : {n} valeurs retirées.")
            state.put("undone", target)
        except ObservatoireError as exc:
            st.error(str(exc))
