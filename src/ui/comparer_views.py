"""The sections of the Comparer page, each reading its state from the URL and calling the library."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import catalog, charts, compare, journal, store, territories, years
from indicators.errors import ObservatoireError
from indicators.format import MISSING, fr_int, fr_number, fr_ordinal, period_label
from indicators.text import md, not_available

from . import access, data, state, widgets

P = state.ComparerView.param
PROGRAMME_LABEL = ("Programme : ses membres en bénéficient, ils restent donc hors des territoires de comparaison "
                   "des autres groupes")
# Weights in the reader's number format (« 0,5 » in a French browser), bounded as the URL bounds them.
WEIGHT_COLUMN = st.column_config.NumberColumn(min_value=0.0, max_value=state.MAX_WEIGHT, step=0.5, format="localized")


def _colour(percentile: float, polarity: int) -> str:
    """Green for the favourable side, orange for the other, grey when the indicator is neutral."""
    if pd.isna(percentile):
        return "color: #888"
    if polarity == 0:
        return ""
    alpha = abs(percentile - 50) / 50 * 0.55
    rgb = "0, 158, 115" if percentile >= 50 else "213, 94, 0"
    return f"background-color: rgba({rgb}, {alpha:.2f})"


def members_table(con, members: pd.DataFrame, inds: list[store.IndicatorRow]) -> None:
    """Members × indicators: value, rank in France among the same level, coloured by percentile."""
    codes = members["code"].tolist()
    shown = pd.DataFrame({"Territoire": members["label"].tolist(),
                          "Niveau": members["level"].map(territories.LEVELS).tolist()}, index=codes)
    colours = pd.DataFrame("", index=codes, columns=shown.columns)
    for ind in inds:
        ind_id = ind.id
        periods = data.cached(store.periods, ind_id, None, codes)
        if periods.empty:
            shown[ind.label] = MISSING
            colours[ind.label] = "color: #888"
            continue
        p0, y = int(periods["period_start"].iloc[-1]), int(periods["year"].iloc[-1])
        r = data.cached(compare.ranks, ind_id, p0, y, codes, ind.polarity, widgets.include_small())
        r = r.set_index("code").reindex(codes)
        col = f"{ind.label} ({period_label(p0, y)})"
        shown[col] = [
            MISSING if pd.isna(v) else
            f"{fr_number(v, int(ind.decimals))} · " + (f"{fr_ordinal(rk)}/{fr_int(n)}" if pd.notna(rk)
                                                          else f"effectif faible (n = {fr_number(b)})")
            for v, rk, n, b in zip(r["value"], r["rank_fr"], r["n_fr"], r["n"], strict=True)]
        colours[col] = [_colour(p, ind.polarity) for p in r["percentile"]]
    last = [c for c in shown.columns if c != "Niveau"] + ["Niveau"]  # on a phone, the values come first
    shown, colours = shown[last], colours[last]
    st.dataframe(shown.style.apply(lambda _: colours, axis=None), hide_index=True, width="stretch")
    st.caption("Chaque case : valeur · rang en France parmi les territoires du même niveau (1er = le plus "
               "favorable selon le sens de l'indicateur). Vert : moitié favorable, orange : l'autre moitié, "
               "d'autant plus foncé que le territoire est loin de la médiane. Une valeur calculée sur un effectif "
               "faible (règle de l'indicateur, page Méthodes) n'est pas classée, et les autres sont classées sans elles.")
    widgets.small_toggle()


def ranks_detail(con, members: pd.DataFrame, ind: store.IndicatorRow, group_name: str) -> None:
    periods = data.cached(store.periods, ind.id, None, members["code"].tolist())
    period = widgets.period_select(periods, P("p"), "Période")
    if period is None:
        st.info(not_available("pour ces territoires", ind.coverage))
        return
    r = data.cached(compare.ranks, ind.id, period[0], period[1], members["code"].tolist(), ind.polarity,
                    widgets.include_small())
    table = pd.DataFrame({
        "Territoire": r["label"], "Valeur": r["value"],
        "Rang en France": r["rank_fr"].astype("Float64"), "Sur": r["n_fr"].astype("Float64"),
        "Centile (100 = meilleur)": r["percentile"], "Rang dans la région": r["rank_reg"].astype("Float64"),
        "Effectif faible": [f"oui (n = {fr_number(n)})" if s else "" for s, n in zip(r["small"], r["n"], strict=True)],
        "Niveau": r["level"].map(territories.LEVELS),
    })
    widgets.french_table(table, {"Valeur": ind.decimals, "Sur": 0, "Centile (100 = meilleur)": 0},
                         unranked=("Rang en France", "Rang dans la région"))
    spec = charts.spec_of(ind, title=f"{ind.label}, {period_label(*period)}", subtitle=group_name,
                              permalink=state.link(state.ComparerView))
    if r["value"].notna().any():
        fig = charts.bar_chart(r[["code", "label", "value"]], spec)
        widgets.show_chart(fig)
        table = r.rename(columns={"code": "territory", "label": "territory_label"}).assign(
            indicator=ind.id, period_start=period[0], year=period[1], flag=None)
        widgets.export_chart(fig, spec, table, f"rang_{ind.id}")


def weights_editor(level: str, labels: dict[str, store.IndicatorRow]) -> dict[str, float]:
    """The variables of the similarity model and their weights, editable, in the URL."""
    defaults = compare.SIMILARITY_VARIABLES[level]
    weights = state.weights(P("w"), defaults)
    frame = pd.DataFrame({"Variable": [labels[v].label if v in labels else v for v in weights],
                          "Poids": list(weights.values())}, index=list(weights))
    edited = st.data_editor(frame, disabled=["Variable"], hide_index=True, key=f"w_w_{level}",
                            column_config={"Poids": WEIGHT_COLUMN})
    weights = dict(zip(weights, edited["Poids"].fillna(0).astype(float), strict=True))
    state.write_weights(P("w"), weights, defaults)
    return weights


def similar(con, members: pd.DataFrame, followed: list[str]) -> None:
    # The followed territory first: « semblables à » reads as « semblables au territoire que je suis ».
    codes = list(dict.fromkeys(followed + members["code"].tolist()))
    names = territories.labels(con, codes)
    target = st.selectbox("Territoire (territoire suivi ou membre du groupe)", codes, format_func=names.get,
                          index=codes.index(state.read(P("target"), codes, codes[0])), key="w_cible")
    state.write(P("target"), target)
    level = territories.level_of(target)
    if level not in compare.SIMILARITY_VARIABLES:
        st.info(f"Pas de territoires semblables pour le niveau « {territories.LEVELS[level]} » : choisissez une "
                "commune, une intercommunalité, un département, une région ou une zone d'étude (zone d'emploi…).")
        return
    where = state.segmented(P("marche"), "Où chercher", compare.LABOUR_MARKET) \
        if level in ("COM", "EPCI") else "partout"
    c1, c2 = st.columns([1, 2])
    with c1:
        k = st.slider("Nombre de territoires semblables", 3, 20, state.read(P("nv")), key="w_nv")
        state.write(P("nv"), k)
        weights = weights_editor(level, widgets.indicator_table(con))
    matrix = compare.feature_matrix(con, level, list(weights), include=[target])
    near = compare.nearest(matrix, target, weights, k, exclude=compare.labour_market_filter(con, matrix, target, where))
    with c2:
        if near.empty:
            st.info("Donnée non disponible : ce territoire n'a pas de valeur pour toutes les variables pondérées.")
            return
        labels = matrix.attrs["labels"]
        rows = matrix.loc[[target, *near["code"]]]
        table = pd.DataFrame({"Territoire": [labels.get(c, c) for c in rows.index],
                              "Distance": ["—"] + [fr_number(d, 2) for d in near["distance"]]})
        tab = widgets.indicator_table(con)
        for v in weights:
            table[tab[v].label] = [fr_number(x, tab[v].decimals) for x in rows[v]]
        st.dataframe(table, hide_index=True, width="stretch")
        periods = ", ".join(f"{tab[v].label} {period_label(*p)}" for v, p in matrix.attrs["periods"].items())
        st.caption("Distance = racine de la moyenne pondérée des écarts au carré entre valeurs centrées-réduites "
                   "(population et densité en logarithme). Territoires du même niveau seulement"
                   + ("" if where == "partout" else f", {compare.LABOUR_MARKET[where].lower()}") + f". Années : {periods}.")


def profile(con, members: pd.DataFrame) -> None:
    tab = widgets.indicator_table(con)
    defaults = {"net_migration_rate": 1.0, "unemployment_rate": 1.0, "vacancy_rate": 1.0, "density": 0.0,
                "median_income": 1.0}
    weights = state.weights(P("cw"), defaults)
    frame = pd.DataFrame({"Indicateur": [tab[v].label for v in weights], "Poids": list(weights.values()),
                          "Sens": [catalog.POLARITY_WORDS[tab[v].polarity]
                                   + (" (compté plus = mieux)" if tab[v].polarity == 0 else "") for v in weights]},
                         index=list(weights))
    edited = st.data_editor(frame, disabled=["Indicateur", "Sens"], hide_index=True, key="w_cw",
                            column_config={"Poids": WEIGHT_COLUMN})
    weights = dict(zip(weights, edited["Poids"].fillna(0).astype(float), strict=True))
    state.write_weights(P("cw"), weights, defaults)
    rows, scored_without = [], {}
    for level, part in members.groupby("level"):
        matrix = compare.feature_matrix(con, level, list(weights), include=part["code"].tolist())
        scores = compare.composite(matrix, weights, {v: r.polarity for v, r in tab.items()})
        rows.append(scores.reindex(part["code"]).assign(Territoire=part["label"].tolist()))
        missing = [tab[v].label for v, w in weights.items() if w > 0 and v not in scores.columns]
        if missing:
            scored_without[level] = missing
    out = pd.concat(rows)
    used = [v for v, w in weights.items() if w > 0 and v in out.columns]
    table = pd.DataFrame({"Territoire": out["Territoire"], "Score": out["score"],
                          **{tab[v].label: out[v] for v in used}})
    # Numbers, not formatted text: a sort puts −1,2 before 0,3 (text put the minus sign after the digits).
    widgets.french_table(table.sort_values("Score", ascending=False, na_position="last"),
                         {c: 2 for c in table.columns if c != "Territoire"})
    for level, missing in scored_without.items():
        st.caption(f"{territories.LEVELS[level]} : score calculé sans {md(', '.join(missing))} (pas de valeur publiée "
                   "à ce niveau).")
    st.caption("Score = moyenne pondérée des écarts à la moyenne (en écarts-types) parmi les territoires du même "
               "niveau, chaque écart orienté pour que « plus » soit favorable. 0 = territoire moyen. Aucun poids "
               "caché : ce tableau est tout le calcul.")


def manage(con, group: pd.Series, members: pd.DataFrame, followed: list[str], db_path) -> None:
    if st.session_state.get("group_done"):  # said after the rerun that selects the new or edited group
        st.success(st.session_state.pop("group_done"))
    access.journal_warning()
    names = territories.labels(con, list(dict.fromkeys(members["code"].tolist() + followed)))
    first, last = years.FIRST_START, years.last_start()
    with st.form("edit_group"):
        st.markdown(f"**Modifier « {md(group['name'])} »**")
        name = st.text_input("Nom", group["name"], max_chars=120)
        start = st.number_input("Année de démarrage", first, last,
                                int(group["start_year"]) if pd.notna(group["start_year"]) else 2020)
        desc = st.text_area("Description", group["description"] or "", max_chars=600)
        programme = st.checkbox(PROGRAMME_LABEL, value=bool(group.get("programme")))
        kept = st.multiselect("Membres (ajoutez des territoires suivis depuis la barre latérale)", list(names),
                              default=members["code"].tolist(), format_func=names.get,
                              placeholder="Choisir des territoires")
        st.markdown("Début propre d'un membre (vide : l'année du groupe), par exemple la date de sa convention")
        # Text, not a number column: Streamlit writes an empty number cell « None »; a year is four digits
        # (the library bounds it and says so in French).
        own = st.data_editor(
            pd.DataFrame({"Membre": members["label"].tolist(),
                          "Début propre": ["" if pd.isna(y) else str(int(y)) for y in members["start_year"]]},
                         index=members["code"].tolist()),
            disabled=["Membre"], hide_index=True, key="w_member_starts", width="stretch",
            column_config={"Début propre": st.column_config.TextColumn(
                max_chars=4, validate=r"^\d{4}$", help=f"Une année de {first} à {last}, ou vide")})
        starts = {c: (int(v) if isinstance(v, str) and v.strip().isdigit() else None)
                  for c, v in zip(own.index, own["Début propre"], strict=True)}
        if st.form_submit_button("Enregistrer") and _write(
                lambda: territories.save_group(name, kept, int(start), desc, group_id=group["id"], path=db_path,
                                               programme=programme, member_starts=starts),
                f"Groupe « {name.strip()} » enregistré ({len(kept)} membres).") is not False:
            st.rerun()
    with st.form("new_group"):
        st.markdown("**Nouveau groupe**, à partir des territoires suivis")
        new_name = st.text_input("Nom du nouveau groupe", max_chars=120)
        new_start = st.number_input("Année de démarrage ", first, last, 2020)
        new_programme = st.checkbox(PROGRAMME_LABEL + " ", value=False)
        new_members = st.multiselect("Membres", followed, default=followed, format_func=names.get,
                                     placeholder="Choisir des territoires")
        if st.form_submit_button("Créer"):
            gid = _write(lambda: territories.save_group(new_name, new_members, int(new_start), path=db_path,
                                                        programme=new_programme),
                         f"Groupe « {new_name.strip()} » créé avec {len(new_members)} membres : il est sélectionné.")
            if gid:
                state.write(state.GROUP, gid)
                st.session_state.pop("w_g", None)  # the picker then reads the new group from the link
                st.rerun()
    if (not group["builtin"] and st.button(f"Supprimer « {md(group['name'])} »", type="secondary")
            and _write(lambda: territories.delete_group(group["id"], path=db_path),
                       f"Groupe « {group['name']} » supprimé.") is not False):
        state.write(state.GROUP, None)
        st.session_state.pop("w_g", None)
        st.rerun()


def compose_in_link(con, followed: list[str], current: list[str]) -> None:
    """A group kept in the page's address only: nothing is written, the link is the group."""
    st.markdown("**Composer un groupe** à partir des territoires suivis (barre latérale) : il est gardé dans "
                "l'adresse de la page, à copier pour le partager ; rien n'est enregistré.")
    options = list(dict.fromkeys(followed + current))
    names = territories.labels(con, options)
    chosen = st.multiselect("Membres", options, default=[c for c in current if c in names], format_func=names.get,
                            key="w_membres", placeholder="Choisir des territoires suivis")
    start = st.number_input("Année de démarrage", years.FIRST_START, years.last_start(),
                            state.read(P("debut"), default=2020), key="w_debut")
    if st.button("Composer ce groupe", key="w_compose", disabled=not chosen):
        state.write(P("membres"), chosen)
        state.write(P("debut"), int(start))
        state.write(state.GROUP, territories.LINK_GROUP)
        st.session_state.pop("w_g", None)
        st.rerun()


def _write(action, done: str):
    """Run a write; problems (busy base, bad input) are shown in French at once, success after the rerun."""
    try:
        result = action()
    except ObservatoireError as exc:
        st.error(md(str(exc)))
        return False
    access.note(lambda: journal.record("groupe", done, access.current_user()))
    st.session_state["group_done"] = md(done)
    return result
