"""Controls shared by the pages, each bound to its URL parameter."""
from __future__ import annotations

import math

import duckdb
import pandas as pd
import streamlit as st

from indicators import charts, store, summaries, territories
from indicators.format import MISSING, fr_numbers, period_label
from indicators.text import md

from . import state

DEFAULT_TERRITORIES = ["COM:09225"]  # Pamiers, first of the pilot sites
DEFAULT_INDICATOR = "net_migration_rate"


def indicator_table(con: duckdb.DuckDBPyConnection) -> dict[str, store.IndicatorRow]:
    """Every indicator of the base by id, in the pickers' order (theme, then label)."""
    return store.indicator_rows(con)


def indicator_select(con: duckdb.DuckDBPyConnection, label: str = "Indicateur",
                     param: state.Param = state.INDICATOR, only: list[str] | None = None) -> store.IndicatorRow:
    """An indicator picker grouped by theme; returns the catalog row of the chosen indicator."""
    table = indicator_table(con)
    options = [i for i in table if only is None or i in only]
    default = DEFAULT_INDICATOR if DEFAULT_INDICATOR in options else options[0]
    if param.kind == "list":  # Évolutions keeps several indicators in `i`: the first one known is this page's
        current = next(iter(state.read(param, options)), default)
    else:
        current = state.read(param, options, default)
    chosen = st.selectbox(
        label, options, index=options.index(current),
        format_func=lambda i: f"{table[i].theme} · {table[i].label}", key=f"w_{param.key}",
    )
    state.write(param, [chosen] if param.kind == "list" else chosen)
    return table[chosen]


def indicators_multiselect(con: duckdb.DuckDBPyConnection,
                           param: state.Param = state.INDICATOR) -> list[store.IndicatorRow]:
    """Several indicators (URL `i=a,b`); returns their catalog rows in the chosen order."""
    table = indicator_table(con)
    chosen = state.read(param, list(table)) or [DEFAULT_INDICATOR]
    picked = st.multiselect("Indicateurs", list(table), default=chosen, key=f"w_{param.key}_multi",
                            format_func=lambda i: f"{table[i].theme} · {table[i].label}",
                            placeholder="Choisir des indicateurs")
    picked = picked or chosen[:1]
    state.write(param, picked)
    return [table[i] for i in picked]


def group_select(con: duckdb.DuckDBPyConnection, label: str, param: state.Param = state.GROUP,
                 allow_none: bool = False, default: str | None = territories.PILOT_GROUP,
                 link_group: pd.Series | None = None) -> pd.Series | None:
    """A group picker (URL `g`); returns the group row, or None when « aucun » is allowed and chosen.
    `link_group` adds the group composed in the link (public instance)."""
    groups = territories.groups(con).set_index("id", drop=False)
    if link_group is not None:
        groups = pd.concat([groups, link_group.to_frame().T.set_index("id", drop=False)])
    options = ([""] if allow_none else []) + groups.index.tolist()
    fallback = "" if allow_none else (default if default in options else options[0])
    gid = st.selectbox(label, options, index=options.index(state.read(param, options, fallback)),
                       format_func=lambda g: groups.at[g, "name"] if g else "aucun", key=f"w_{param.key}")
    state.write(param, gid)
    return groups.loc[gid] if gid else None


def period_select(periods: pd.DataFrame, param: state.Param, label: str = "Année ou période",
                  slider: bool = False) -> tuple[int, int] | None:
    """A period picker over (period_start, year) pairs; the URL keeps e.g. `2013-2018` or `2021`.
    One period is said, not offered; None when there is none."""
    if periods.empty:
        return None
    pairs = list(zip(periods["period_start"].astype(int), periods["year"].astype(int), strict=True))
    labels = [period_label(p, y) for p, y in pairs]
    in_link = [lab.replace("–", "-") for lab in labels]
    current = labels[in_link.index(state.read(param, in_link, in_link[-1]))]
    if len(labels) == 1:
        st.markdown(f"{label}  \n**{labels[0]}** (seule disponible)")
        chosen = labels[0]
    elif slider:
        chosen = st.select_slider(label, labels, value=current, key=f"w_{param.key}")
    else:
        chosen = st.selectbox(label, labels, index=labels.index(current), key=f"w_{param.key}")
    state.write(param, chosen.replace("–", "-"))
    return pairs[labels.index(chosen)]


def territory_finder(con: duckdb.DuckDBPyConnection, param: state.Param, levels: tuple[str, ...], label: str,
                     key: str, widget: str) -> None:
    """Any territory of these levels by name or code (not only those followed): a click writes its code
    to `param` and to the picker `widget` bound to it."""
    query = st.text_input(label, key=key, placeholder="Nom ou code (ex. Marseille, 13055)", max_chars=80)
    if not query:
        return
    hits = territories.search(con, query, levels=levels, limit=8)
    if hits.empty:
        st.caption(f"Aucun territoire ne correspond à « {md(query)} ».")
    for code, lab, level in zip(hits["code"], hits["label"], hits["level"], strict=True):
        st.button(f"{lab} · {territories.LEVELS[level]}", key=f"{key}_{code}", on_click=_choose,
                  args=(param, code, widget))


def _choose(param: state.Param, code: str, widget: str) -> None:
    state.write(param, code)
    st.session_state[widget] = code


def include_small() -> bool:
    """Whether values resting on a small count are ranked too (URL `petits=1`, shared by the pages)."""
    return bool(state.read(state.SMALL))


def small_toggle(rule: str | None = None) -> bool:
    """Bring the values resting on small counts back into the ranks; returns the choice."""
    return state.toggle(state.SMALL, "Classer aussi les effectifs faibles" + (f" ({rule})" if rule else ""),
                        help="Une valeur calculée sur un petit effectif (moins de 500 habitants pour un taux par "
                             "habitant, par exemple) varie beaucoup : par défaut elle n'est pas classée ; elle reste "
                             "sur la carte, hachurée.")


def year_span(first: int, last: int, default: tuple[int, int]) -> tuple[int, int]:
    """The URL's year range (`de`, `a`), kept inside the years the base holds, in order."""
    lo = state.read(state.YEAR_FROM, default=default[0], bounds=(first, last))
    hi = state.read(state.YEAR_TO, default=default[1], bounds=(first, last))
    return (min(lo, hi), max(lo, hi))


def territory_sidebar(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Search and keep a list of territories (URL `t`); returns their codes."""
    chosen = state.read(state.TERRITORIES) or DEFAULT_TERRITORIES
    known = territories.labels(con, chosen)
    chosen = [c for c in chosen if c in known]
    with st.sidebar:
        st.markdown("**Territoires suivis**")
        kept = st.multiselect("Territoires suivis", chosen, default=chosen, format_func=known.get,
                              label_visibility="collapsed", key=f"w_t_{','.join(chosen)}",
                              placeholder="Choisir des territoires")
        text = st.text_input("Rechercher un territoire", placeholder="Nom ou code INSEE/SIREN", key="w_search")
        if text:
            found = territories.search(con, text)
            if found.empty:
                st.caption("Aucun territoire ne correspond.")
            else:
                pick = st.selectbox("Résultats", found["code"].tolist(), key="w_found",
                                    format_func=dict(zip(found["code"], found["label"] + " · " + found["level"].map(territories.LEVELS), strict=True)).get)
                st.button("Ajouter", key="w_add", on_click=_add_territory, args=(kept, pick))
    state.write(state.TERRITORIES, kept)
    if kept:  # said in the page too: on a phone the side panel is folded away
        st.caption(f"Territoires suivis : {md(', '.join(known.get(c, c) for c in kept))} — à changer dans le panneau "
                   "latéral (bouton » en haut à gauche).")
    return kept


def _add_territory(current: list[str], code: str) -> None:
    # A callback runs before the rerun, so the list above already shows the new territory.
    if code not in current:
        state.write(state.TERRITORIES, [*current, code])


STYLED_ROWS = 1_000  # above this, pandas' Styler costs more than a rerun should (0,3 s of CPU for 4 500 communes)


ABSENT = -math.inf  # a missing number in a displayed table (see french_table)


def french_table(frame: pd.DataFrame, numbers: dict[str, int], unranked: tuple[str, ...] = (),
                 **kwargs: object) -> None:
    """A table whose number columns sort as numbers and read the French way (`12 345,6`, « donnée non
    disponible »); `unranked` columns (ranks) show « – » where a territory has no rank, never « None ».
    Very long tables show French text, to be sorted by their rank column."""
    if len(frame) <= STYLED_ROWS:
        # Streamlit draws a missing cell « None » whatever the Styler says: a missing number is stored as
        # ABSENT (it sorts below every figure) and drawn « donnée non disponible » (« – » for a rank).
        ranks = [c for c in unranked if c in frame]
        frame = frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce").astype(float).fillna(ABSENT)
                                for c in dict.fromkeys([*numbers, *ranks]) if c in frame})
        shown = frame.style.format({c: (lambda v, d=d: MISSING if v == ABSENT else fr_numbers([v], d)[0])
                                    for c, d in numbers.items() if c in frame})
        if ranks:
            shown = shown.format(lambda v: "–" if v == ABSENT else fr_numbers([v], 0)[0], subset=ranks)
    else:
        shown = frame.assign(**{c: summaries.format_values(frame[c], d) for c, d in numbers.items()})
    st.dataframe(shown, hide_index=True, width="stretch", **kwargs)


def source_caption(ind: store.IndicatorRow) -> None:
    st.caption(f"{md(ind.source)}. Couverture : {md(ind.coverage)}")


def show_chart(fig) -> None:
    """A figure as it will be exported: the app's plotly theme is not applied over the chart's own."""
    st.plotly_chart(charts.for_screen(fig), width="stretch", theme=None, config={"displaylogo": False})


def link_warning() -> None:
    """Links printed into files point to OBS_BASE_URL: a local address is said before anyone circulates it."""
    from indicators.paths import base_url, local_base_url

    if local_base_url():
        st.caption(f"⚠ Les liens imprimés dans les fichiers pointent vers {md(base_url())} : ils ne s'ouvrent que sur "
                   "cet ordinateur. Réglez OBS_BASE_URL sur l'adresse publique de l'observatoire avant de diffuser.")


def export_chart(fig, spec, series: pd.DataFrame, key: str) -> None:
    """« Exporter » under a chart. Files are built only when asked for: CSV/XLSX when their button is
    clicked (deferred download), PNG/SVG after « Préparer » (Chromium takes a second). `fig` may be a
    function returning the figure, when building it costs more than a rerun should (the map)."""
    from indicators import export

    def table() -> pd.DataFrame:  # built only when a download asks for it
        return export.series_table(series, spec) if "territory_label" in series else series

    stem = f"observatoire_{key}"
    st.session_state[f"spec_{key}"] = spec  # the chart's description, as exported (tests reopen its link)
    with st.popover("Exporter ce graphique", icon=":material/download:"):
        c1, c2 = st.columns(2)
        c1.download_button("CSV", lambda: export.to_csv(table()), f"{stem}.csv", "text/csv", on_click="ignore",
                           key=f"{key}_csv")
        c2.download_button("XLSX", lambda: export.to_xlsx(table(), spec), f"{stem}.xlsx", on_click="ignore",
                           key=f"{key}_xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        images = st.session_state.get(f"img_{key}")
        if images is None or images[0] != spec:
            if st.button("Préparer PNG et SVG", key=f"{key}_render"):
                stamped = export.stamp(fig() if callable(fig) else fig, spec)
                st.session_state[f"img_{key}"] = (spec, export.render(stamped, "png"), export.render(stamped, "svg", scale=1))
                st.rerun()
        else:
            c1.download_button("PNG", images[1], f"{stem}.png", "image/png", on_click="ignore", key=f"{key}_png")
            c2.download_button("SVG", images[2], f"{stem}.svg", "image/svg+xml", on_click="ignore", key=f"{key}_svg")
        link_warning()
