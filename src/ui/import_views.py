"""The import flow of the Données page: file, preview, indicator, report, confirm; templates; undo."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from indicators import catalog, ingest, journal, links, tabular, territories, text
from indicators.config import settings
from indicators.errors import ObservatoireError
from indicators.format import fr_number
from indicators.text import md
from indicators.paths import db_path

from . import access, data, widgets

POLARITY = catalog.POLARITY_WORDS
T = TypeVar("T")


def problems_table(problems: list[ingest.Problem]) -> pd.DataFrame:
    return pd.DataFrame({
        "Gravité": ["bloquant" if p.blocking else "avertissement" for p in problems],
        "Ligne": [str(p.line) if p.line else "–" for p in problems],
        "Colonne": [p.column or "–" for p in problems],
        "Valeur": ["–" if p.value is None else p.value for p in problems],
        "Problème": [p.message for p in problems],
    })


def _kept(name: str, default: object = "") -> object:
    """A declaration field survives a corrected re-upload: widgets not drawn in a run lose their state,
    so each value is also kept under a key of its own."""
    return st.session_state.get(f"imp_decl_{name}", default)


def declaration_form(con) -> ingest.Declaration:
    mode = st.radio("Indicateur", ["Nouvel indicateur", "Compléter un indicateur existant"], horizontal=True,
                    key="w_imp_mode", index=int(_kept("mode", 0)))
    st.session_state["imp_decl_mode"] = 0 if mode == "Nouvel indicateur" else 1
    if mode != "Nouvel indicateur":
        table = widgets.indicator_table(con)
        options = list(table)
        known = _kept("known", options[0])
        ind = st.selectbox("Indicateur à compléter", options, key="w_imp_known",
                           index=options.index(known) if known in options else 0,
                           format_func=lambda i: f"{table[i].label} ({table[i].unit})")
        st.session_state["imp_decl_known"] = ind
        return ingest.Declaration(id=ind)
    c1, c2 = st.columns(2)
    values = {
        "label": c1.text_input("Libellé", _kept("label"), key="w_imp_label", placeholder="Ouvertures de commerces",
                               max_chars=text.LIMITS["label"]),
        "unit": c2.text_input("Unité", _kept("unit"), key="w_imp_unit", placeholder="ouvertures",
                              max_chars=text.LIMITS["unit"]),
        "kind": c1.selectbox("Nature", list(ingest.KINDS), format_func=ingest.KINDS.get, key="w_imp_kind",
                             index=list(ingest.KINDS).index(_kept("kind", "count"))),
        "polarity": c2.selectbox("Sens", list(POLARITY), format_func=POLARITY.get, key="w_imp_pol",
                                 index=list(POLARITY).index(_kept("polarity", 0))),
        "source": c1.text_input("Source (producteur, jeu de données)", _kept("source"), key="w_imp_source",
                                max_chars=text.LIMITS["source"]),
        "licence": c2.text_input("Licence", _kept("licence"), key="w_imp_licence", placeholder="Licence Ouverte",
                                 max_chars=text.LIMITS["licence"]),
        "definition": st.text_input("Définition (facultatif)", _kept("definition"), key="w_imp_def",
                                    max_chars=text.LIMITS["definition"]),
    }
    for name, value in values.items():
        st.session_state[f"imp_decl_{name}"] = value
    return ingest.Declaration(id=ingest.slug_id(values["label"]), is_new=True, **values)


def _once(slot: str, key: tuple, read: Callable[[], T]) -> T | ObservatoireError:
    """`read()` once per uploaded file (and sheet): a rerun never parses the upload again; a refusal
    is kept too, so a hostile file costs its check once."""
    cached = st.session_state.get(slot)
    if cached and cached[0] == key:
        return cached[1]
    try:
        result: T | ObservatoireError = read()
    except ObservatoireError as exc:
        result = exc
    st.session_state[slot] = (key, result)
    return result


def _read_once(upload, sheet: str | None) -> ingest.Prepared | ObservatoireError:
    return _once("imp_file", (upload.file_id, upload.size, sheet),
                 lambda: ingest.load(upload.getvalue(), upload.name, sheet))


def _sheets_once(upload) -> list[str] | ObservatoireError:
    return _once("imp_sheets", (upload.file_id, upload.size), lambda: ingest.sheet_names(upload.getvalue(), upload.name))


def preview(prepared: ingest.Prepared) -> pd.DataFrame:
    """The first rows as read, each cell cut to 60 characters: the browser never receives a huge cell."""
    head = prepared.rows.drop_duplicates("line").head(10)
    cut = lambda v: v if len(v) <= 60 else v[:59] + "…"  # noqa: E731
    return pd.DataFrame({"Ligne": head["line"], "Territoire": head["territory_raw"].map(cut),
                         "Indicateur": head["indicator_raw"].map(cut), "Période": head["period_raw"].map(cut),
                         "Valeur": head["value_raw"].map(cut)})


def _mb(size: float) -> str:
    return fr_number(size, 0 if size >= 10 else 1 if size >= 1 else 3)


def upload_too_large(upload) -> bool:
    """Said in French before anything is read (the widget lets larger files through so that we can)."""
    limit = settings().max_upload_mb
    if upload.size > limit * 1e6:
        st.error(f"Fichier trop volumineux ({_mb(upload.size / 1e6)} Mo) : la limite est de {_mb(limit)} Mo "
                 "(réglage OBS_MAX_UPLOAD_MB).")
        return True
    return False


FILE_TYPES = ["csv", "txt", "tsv", "xlsx", "ods"]


def import_flow(con) -> None:
    limit = settings().max_upload_mb
    # A new key after each import: the written file leaves the page (and the session's memory), so the
    # next run cannot say of it « déjà importé ».
    upload = st.file_uploader(f"Fichier CSV, Excel ou OpenDocument, {_mb(limit)} Mo au plus (format "
                              "long : territoire, année, valeur ; ou large : une colonne par année ; un titre "
                              "au-dessus du tableau est permis)", type=FILE_TYPES,
                              help="Territoires : code INSEE, SIREN, code préfixé (ZE:7612) ou nom. Une colonne "
                                   "« niveau » (commune, EPCI, département, région, ZE, BV, AAV, UU) lève les "
                                   "ambiguïtés : un code de bassin de vie est celui de sa commune-centre.",
                              key=f"w_upload_{st.session_state.get('imp_round', 0)}",
                              max_upload_size=settings().upload_hard_cap_mb)
    refused(prefix="imp")
    if st.session_state.get("imp_done"):
        kind, message = st.session_state.pop("imp_done")
        (st.success if kind == "ok" else st.info)(message)
    if st.session_state.get("imp_last"):
        ind_id, codes = st.session_state.pop("imp_last")
        st.page_link(links.page("evolutions").file, label=f"Voir la série importée ({len(codes)} territoires"
                     + (", les 50 premiers" if len(codes) == 50 else "") + ")", icon=":material/show_chart:",
                     query_params=links.EvolutionsView.query(indicator=[ind_id], territories=codes))
    if upload is None or upload_too_large(upload):
        return
    sheet = None
    if tabular.is_excel(upload.name):
        sheets = _sheets_once(upload)
        if isinstance(sheets, ObservatoireError):
            let_go("imp", sheets)
        sheet = st.selectbox("Feuille", sheets, key="w_imp_sheet")
    prepared = _read_once(upload, sheet)
    if isinstance(prepared, ObservatoireError):
        let_go("imp", prepared)
    lines = prepared.rows["line"].nunique()
    st.markdown(f"**Aperçu** ({fr_number(lines)} lignes, format {'long' if prepared.shape == 'long' else 'large'})")
    st.dataframe(preview(prepared), hide_index=True, width="stretch")
    decl = declaration_form(con)
    choices = st.session_state.setdefault("imp_choices", {})
    # validated once per file, declaration and choices: typing a label must not check 200 000 rows again
    checked = _once("imp_check", (prepared.sha256, decl, tuple(sorted(choices.items())), data.file_version()),
                    lambda: ingest.validate(con, prepared, decl, choices))
    if isinstance(checked, ObservatoireError):
        st.error(md(str(checked)))
        return
    if checked.already:
        when, file = checked.already
        st.info(f"Ce fichier a déjà été importé le {when} (« {md(file)} ») : rien à faire.")
        return
    _pickers(checked, choices)
    st.markdown(f"**Rapport de validation** : {fr_number(len(checked.observations))} valeurs prêtes, "
                f"{len(checked.blocking)} problème(s) bloquant(s), {len(checked.warnings)} avertissement(s)."
                + (f" Territoires lus par niveau : {checked.levels_read()}." if checked.levels_read() else ""))
    written = confirm_and_write(
        checked, "Importer", "imp", lambda accept: ingest.write(checked, decl, accept_warnings=accept, path=db_path()),
        "import", f"{upload.name}, {len(checked.observations)} valeurs ({decl.id})")
    if written:
        _, created = written
        n = fr_number(len(checked.observations))
        st.session_state["imp_done"] = ("ok", f"Import enregistré : {n} valeurs. L'indicateur est disponible sur "
                                              "toutes les pages (carte, évolutions, comparaisons, exports).") \
            if created else ("info", "Ce fichier a déjà été importé : rien n'a changé.")
        st.session_state["imp_last"] = (decl.id, checked.observations["territory"].unique()[:50].tolist())
        st.session_state["imp_round"] = st.session_state.get("imp_round", 0) + 1
        for slot in ("imp_file", "imp_check", "imp_sheets", "imp_choices"):
            st.session_state.pop(slot, None)
        st.rerun()


def let_go(prefix: str, refusal: ObservatoireError) -> None:
    """A refused file leaves the page and the session (its bytes with it): the refusal is said after
    the rerun, above a fresh uploader."""
    st.session_state[f"{prefix}_refused"] = str(refusal)
    st.session_state[f"{prefix}_round"] = st.session_state.get(f"{prefix}_round", 0) + 1
    for slot in ("file", "check", "sheets"):
        st.session_state.pop(f"{prefix}_{slot}", None)
    st.rerun()


def refused(prefix: str) -> None:
    if st.session_state.get(f"{prefix}_refused"):
        st.error(md(st.session_state.pop(f"{prefix}_refused")))


def _pickers(checked: ingest.Validated, choices: dict[str, str]) -> None:
    """A name shared by several territories, or one the base does not know, is settled here: the
    choice is kept for this file and the file is checked again (no need to edit it)."""
    asks = [(name, options, f"« {md(name)} » désigne plusieurs territoires : lequel ?")
            for name, options in checked.ambiguous.items()]
    asks += [(name, options, f"« {md(name)} » est inconnu ; vouliez-vous dire :")
             for name, options in checked.suggested.items()]
    if not asks:
        return
    with st.expander(f"Territoires à préciser ({len(asks)})", expanded=True), \
            st.form("w_imp_pickers", border=False):
        picked = {}
        for n, (name, options, question) in enumerate(asks):
            labels = dict(options)
            picked[name] = st.selectbox(question, ["", *labels], key=f"w_pick_{n}",
                                        format_func=lambda c, lab=labels: lab.get(c, "— laisser en problème —"))
        if st.form_submit_button("Retenir ces territoires"):
            choices.update({name: code for name, code in picked.items() if code})
            st.rerun()


def confirm_and_write(checked, label: str, key: str, write, action: str, detail: str,
                      ready: bool = True) -> tuple[int, bool] | None:
    """The problems found, the warnings to accept, the button, then the write in one transaction and its
    line in the journal; (import id, created) once written, None otherwise (a refusal is said in French)."""
    if checked.problems:
        st.dataframe(problems_table(checked.problems), hide_index=True, width="stretch")
    accept = st.checkbox("J'ai lu les avertissements et j'importe quand même", key=f"w_{key}_accept") \
        if checked.warnings else True
    if not st.button(label, type="primary", key=f"w_{key}_go", disabled=bool(checked.blocking) or not accept or not ready):
        return None
    try:
        import_id, created = write(accept)
    except ObservatoireError as exc:
        st.error(md(str(exc)))
        return None
    if created:
        access.note(lambda: journal.record(action, f"n° {import_id} : {detail}", access.current_user()))
    return import_id, created


def templates(con) -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    groups = territories.groups(con)
    group = c1.selectbox("Territoires du modèle", groups["id"].tolist(), key="w_tpl_g",
                         format_func=dict(zip(groups["id"], groups["name"], strict=True)).get)
    shape = c2.radio("Format", ["long", "large"], key="w_tpl_shape", horizontal=True)
    first, last = c3.select_slider("Années", list(range(2010, 2027)), value=(2019, 2024), key="w_tpl_years")
    codes = territories.group_members(con, group)["code"].tolist()
    if c1.checkbox("Ajouter leurs zonages d'étude", key="w_tpl_zones",
                   help="Les zones d'emploi, bassins de vie, aires d'attraction des villes et unités urbaines "
                        "qui contiennent ces territoires (codes préfixés : ZE:7612…)."):
        codes += territories.zones_holding(con, codes)
    st.download_button(f"Télécharger le modèle ({len(codes)} territoires)",
                       ingest.template(con, codes, shape, list(range(first, last + 1))),
                       file_name=f"modele_{group}_{shape}.csv", mime="text/csv", on_click="ignore")


def import_log(con) -> None:
    if st.session_state.get("imp_undone"):
        st.success(st.session_state.pop("imp_undone"))
    log = ingest.imports(con)
    if log.empty:
        st.info("Aucun import pour l'instant : la base ne contient que les sources publiques listées sur la page Méthodes.")
        return
    shown = log.assign(imported_at=log["imported_at"].dt.strftime("%d/%m/%Y %H:%M"))
    st.dataframe(shown.rename(columns={"id": "N°", "imported_at": "Date (UTC)", "file": "Fichier",
                                       "sha256": "Empreinte SHA-256", "rows": "Valeurs", "indicator_ids": "Indicateurs"}),
                 hide_index=True, width="stretch")
    if not access.can_write():
        return
    said = {int(r.id): f"n° {r.id} — {r.file}, {r.imported_at:%d/%m/%Y %H:%M}, {fr_number(r.rows)} valeurs"
            for r in log.itertuples()}
    c1, c2 = st.columns([2, 1])
    target = c1.selectbox("Import à annuler (le plus récent en premier)", list(said), key="w_undo_id",
                          format_func=said.get)
    sure = c2.checkbox("Je confirme l'annulation de cet import", key="w_undo_sure")
    if c2.button("Annuler cet import en entier", key="w_undo", disabled=not sure):
        try:
            n = ingest.undo(int(target), path=db_path())
        except ObservatoireError as exc:
            st.error(md(str(exc)))
            return
        access.note(lambda: journal.record("annulation", f"import n° {target} ({n} valeurs)", access.current_user()))
        st.session_state["imp_undone"] = f"Import n° {target} annulé : {fr_number(n)} valeurs retirées."
        st.rerun()
