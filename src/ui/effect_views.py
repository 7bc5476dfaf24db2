"""Comparer › Effet du programme: the verdict first (what can and cannot be said), then the group
against its matched comparison, the event study, chance, the balance before the start and who was
compared. The page renders `evaluation_pack.section`, the model the review pack prints."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import assessment, config, evaluation_limits, evaluation_pack, pool, precomputed, territories
from indicators.text import md

from . import data, state, widgets

P = state.ComparerView.param
_BOX = {"effect": st.success, "none": st.info, "weak": st.info, "fragile": st.warning, "diverging": st.warning,
        "imbalanced": st.warning, "disagree": st.warning, "refused": st.info}


def effect(con, group: pd.Series, members: pd.DataFrame, followed: list[str]) -> None:
    spec = assessment.group_of(group, members)
    if spec is None:
        st.info("Ce groupe n'a pas d'année de démarrage : indiquez-la dans « Gérer les groupes ».")
        return
    ind = widgets.indicator_select(con, "Indicateur évalué", P("ie"))
    answer = st.container()  # the answer first, on a phone too: the settings come after it
    with st.expander("Réglages de la comparaison (vivier, nombre de territoires, pondération, dates de début)"):
        c1, c2, c3 = st.columns(3)
        with c1:
            k = st.slider("Territoires de comparaison par membre", 1, 10, state.read(P("kc")), key="w_kc")
            state.write(P("kc"), k)
            scope = st.selectbox("Vivier de comparaison", list(pool.SCOPES), format_func=pool.SCOPES.get,
                                 index=list(pool.SCOPES).index(state.read(P("vivier"))), key="w_vivier",
                                 help="Où chercher des territoires semblables aux membres (même niveau, même nature). "
                                      "Une zone d'emploi ou une région trop petite pour ses membres est élargie, et la "
                                      "page le dit.")
            state.write(P("vivier"), scope)
        with c2:
            others = state.toggle(P("autres"), "Écarter les territoires d'autres programmes déjà commencés",
                                  help="Un territoire qui est (ou contient) une commune d'Action Cœur de Ville, de "
                                       "Petites Villes de Demain ou d'un groupe marqué comme programme a lui aussi été "
                                       "« traité » : écarté si son programme a commencé avant ou avec le groupe, gardé "
                                       "jusqu'à l'année d'avant son propre début sinon.")
            index_mode = state.toggle(P("me"), "Indice base 100 (effectifs)", key="w_me",
                                      help="Un effectif (naissances, emplois) est comparé en indice base 100 l'année "
                                           "avant le début ; sinon pour 1 000 habitants. Jamais en total de groupes de "
                                           "tailles différentes.")
        with c3:
            weighted = state.toggle(P("pond"), "Pondérer par la taille",
                                    help="Activé : chaque membre pèse sa population (ou sa valeur pour un indice) ; "
                                         "désactivé : chaque membre compte une fois. Chaque membre est toujours comparé "
                                         "à ses propres territoires.")
            own = bool(spec.member_starts)
            if own:
                own = state.toggle(P("debuts"), "Date propre de chaque membre",
                                   help="La date de signature de la convention de chaque commune (ANCT), sinon l'année "
                                        "du groupe pour tous.")
            outside_ze = state.toggle(P("hors_ze"), "Écarter les zones d'emploi des membres",
                                      help="Les territoires du même bassin d'emploi qu'un membre peuvent profiter (ou "
                                           "pâtir) du programme : les écarter évite de comparer avec un voisin touché.")
    options = assessment.Options(k=k, scope=scope, other_programmes=others, outside_ze=outside_ze, index=index_mode,
                                 weighted=weighted, own_starts=own, added=tuple(state.read(P("avec"))),
                                 removed=tuple(state.read(P("sans"))))
    options, bounded = evaluation_limits.bounded(options, len(spec.members), not config.settings().editable)
    with answer, st.spinner("Évaluation : appariement, 1 000 groupes placebo, régression…"):
        sec = data.cached(precomputed.lookup, spec, ind.id, options)  # a shipped group's default view: kept
        if sec is None:
            assessed = data.cached(assessment.assess, spec, ind.id, options, large=True)
            sec = evaluation_pack.section(con, assessed, ind, state.link(state.ComparerView))
        _verdict(sec)
        if bounded:
            st.caption(bounded)
    _said(sec)
    charts = {stem: (fig, chart_spec, frame) for stem, fig, chart_spec, frame in sec.charts}
    if "groupe_comparaison" in charts:
        _chart(charts, "groupe_comparaison", ind.id)
        for column, stem in zip(st.columns(2), [s for s in ("evenement", "placebo") if s in charts], strict=False):
            with column:
                _chart(charts, stem, ind.id)
        st.caption("Zone grise de l'histogramme : ce que le hasard seul produit 95 fois sur 100, compte tenu de ce que "
                   "l'écart variait déjà avant le début ; elle peut déborder des barres des groupes placebo.")
    with st.expander("Détails pour l'évaluateur : chiffres, méthode, territoires comparés et écartés, équilibre"):
        for line in sec.findings:
            st.markdown(f"- {md(line)}")
        if sec.method:
            st.markdown("**Méthode**")
            for line in sec.method:
                st.markdown(f"- {md(line)}")
            st.caption(md(sec.caveat))
        _comparison(con, sec, charts, followed, members["code"].tolist())


def _chart(charts: dict, stem: str, indicator: str) -> None:
    fig, chart_spec, frame = charts[stem]
    widgets.show_chart(fig)
    widgets.export_chart(fig, chart_spec, frame, f"{stem}_{indicator}")


def _number(numbers: pd.Series, label: str, decimals: int) -> str:
    from indicators.format import fr_number

    return fr_number(numbers.get(label), decimals, missing="–")


def _verdict(sec: evaluation_pack.EvaluationSection) -> None:
    """The answer in one sentence, the start used, and the three figures a mayor quotes."""
    _BOX[sec.verdict.status](md(sec.verdict.headline))
    st.caption(md(sec.start_line))
    if sec.numbers.empty:
        return
    numbers = sec.numbers.set_index("libellé")["valeur"]
    unit = sec.numbers.at[0, "unité"]
    m = st.columns(3)
    m[0].metric("Différence de différences", _number(numbers, "Différence de différences", 2),
                help=f"En {unit}. Chaque membre face à ses propres territoires de comparaison, puis la moyenne pondérée.")
    m[1].metric("Effet détectable", "±" + _number(numbers, evaluation_pack.DETECTABLE, 2),
                help="L'effet que cette étude verrait huit fois sur dix ; un effet plus petit peut passer inaperçu.")
    m[2].metric("p (rang parmi les placebos)", _number(numbers, "p bilatéral (autour du centre)", 3),
                help="Part des groupes placebo au moins aussi éloignés du centre de leur distribution (bilatéral).")


def _said(sec: evaluation_pack.EvaluationSection) -> None:
    can, cannot = st.columns(2)
    with can:
        if sec.verdict.can:
            st.markdown("**Ce que l'on peut dire**")
            for line in sec.verdict.can:
                st.markdown(f"- {md(line)}")
    with cannot:
        st.markdown("**Ce que l'on ne peut pas dire**")
        for line in sec.verdict.cannot:
            st.markdown(f"- {md(line)}")
    if sec.left_out:
        st.caption("Membres non évalués : " + md(" ; ".join(sec.left_out)) + ".")


def _comparison(con, sec: evaluation_pack.EvaluationSection, charts: dict, followed: list[str],
                members: list[str]) -> None:
    """Who was compared and who was left out, as a count first; editable in the link."""
    comp = sec.tables.get("comparaison", pd.DataFrame(columns=["territoire", "code"]))
    excl = sec.tables.get("exclusions", pd.DataFrame(columns=["territoire", "code", "raison"]))
    st.caption(md(sec.comparison_line))
    with st.expander(f"Territoires de comparaison ({len(comp['code'].unique())}) : voir, retirer, remettre"):
        widgets.french_table(comp.rename(columns=str.capitalize), {"Rang": 0, "Distance": 3})
        removed = state.read(P("sans"))
        names = dict(zip(comp["code"], comp["territoire"], strict=True)) | territories.labels(con, removed)
        out = st.multiselect("Retirer du vivier (le suivant le plus proche prend la place)",
                             list(dict.fromkeys([*comp["code"], *removed])), default=[c for c in removed if c in names],
                             format_func=lambda c: names.get(c, c), key="w_sans", placeholder="Choisir des territoires")
        state.write(P("sans"), out)
        programmes = excl[excl["raison"].str.contains("programme")]
        added = state.read(P("avec"))
        refused = set(excl.loc[excl["raison"].str.startswith("partage"), "code"])
        back_options = list(dict.fromkeys([*[a for a in added if a not in refused], *programmes["code"],
                                           *[f for f in followed if f not in members]]))
        back_names = (dict(zip(programmes["code"], programmes["territoire"], strict=True))
                      | territories.labels(con, [*followed, *added]))
        back = st.multiselect("Remettre dans le vivier (territoires d'autres programmes, territoires suivis)",
                              back_options, default=[c for c in added if c in back_options],
                              format_func=lambda c: back_names.get(c, c), key="w_avec", placeholder="Choisir des territoires")
        state.write(P("avec"), back)
    with st.expander(f"Territoires écartés du vivier ({len(excl)})"):
        for line in evaluation_pack.exclusions_summary(excl):
            st.markdown(md(line))
        st.dataframe(excl, hide_index=True, width="stretch")
    later = sec.tables.get("programmes_plus_tard")
    if later is not None:
        with st.expander(f"Territoires d'un programme plus tardif, comparés jusqu'à leur propre début ({len(later)})"):
            st.dataframe(later, hide_index=True, width="stretch")
    if "equilibre" in sec.tables:
        with st.expander("Équilibre avant le début : les membres et leurs territoires de comparaison se ressemblaient-ils ?"):
            if "ecarts_standardises" in charts:
                _chart(charts, "ecarts_standardises", "")
            table = sec.tables["equilibre"]
            widgets.french_table(table, {c: 2 for c in table.columns if c != "variable"})
            st.caption("Écart standardisé : différence des moyennes en écarts-types du vivier ; sous 0,25 en valeur "
                       "absolue, les deux côtés se ressemblent sur cette variable. Population et densité : moyennes "
                       "géométriques. Toutes mesurées au plus tard l'année avant le début.")
    if "membres" in sec.tables:
        with st.expander("Chaque membre face à ses propres territoires de comparaison"):
            table = sec.tables["membres"]
            widgets.french_table(table, {c: 2 for c in table.columns[4:]})
