"""Comparer › Effet du programme: the group against its comparison group, answered as a review asks
(parallel before? bigger than chance? year by year?), with census spans and each member's detail."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from indicators import charts, compare, evaluation, evaluation_pack, export, territories
from indicators.format import fr_number, fr_signed, period_label
from indicators.text import md

from . import data, state, widgets

P = state.ComparerView.param


def effect(con, group: pd.Series, members: pd.DataFrame, followed: list[str]) -> None:
    codes = members["code"].tolist()
    start = int(group["start_year"]) if pd.notna(group["start_year"]) else None
    if start is None:
        st.info("Ce groupe n'a pas d'année de démarrage : indiquez-la dans « Gérer les groupes ».")
        return
    c1, c2 = st.columns([1, 2])
    with c1:
        k = st.slider("Voisins par membre", 1, 10, state.read(P("kc")), key="w_kc")
        state.write(P("kc"), k)
        ind = widgets.indicator_select(con, "Indicateur de l'effet", P("ie"))
        index_mode = st.toggle(f"Indice base 100 avant {start}", value=state.read(P("me")), key="w_me",
                               help="Chaque groupe vaut 100 la dernière année avant le début : on compare des évolutions.")
        state.write(P("me"), index_mode)
        weighted = st.toggle("Pondérer par la population", value=state.read(P("pond")), key="w_pond",
                             help="Activé : somme des effectifs, rapport des sommes pour un taux. Désactivé : chaque "
                                  "membre compte une fois (moyenne simple).")
        state.write(P("pond"), weighted)
    neighbours = data.cached(compare.comparison_group, list(codes), k)
    chosen = _comparison_picker(con, c2, codes, neighbours, followed)
    unit = str(ind["unit"])
    bar = st.progress(0.0, "Tirage des groupes placebo…")
    ev, spans = evaluation.assess(
        lambda query, *args: data.cached(query, *args, large=query is evaluation.load_panel), ind["id"], codes, chosen,
        start, sorted(set(members["level"])), weighted=weighted, index=index_mode, neighbours=neighbours,
        progress=lambda share: bar.progress(share, "Tirage des groupes placebo…"))
    bar.empty()
    if ev is None and spans.empty:
        st.info(f"Donnée non disponible : {md(ind['label'])} n'a ni série annuelle ni période de recensement commune "
                f"aux deux groupes avant et après {start} (couverture : {md(ind['coverage'])}). Choisissez par exemple "
                "la population, les naissances ou le taux de nouveaux résidents.")
        return
    names = territories.labels(con, list(dict.fromkeys(codes + chosen)))
    if ev is not None:
        _yearly(ind, group, ev, unit if ev.index_base is None else f"indice base 100 en {ev.index_base}", weighted,
                names, (len(codes), len(chosen)))
    else:
        st.info(f"{md(ind['label'])} : pas de série annuelle aux niveaux des membres ; les périodes de recensement "
                "ci-dessous donnent un avant et un après.")
    if not spans.empty:
        _spans(ind, spans, start, group["name"])
    st.warning(md(evaluation.CAVEAT))


def _comparison_picker(con, column, codes: list[str], neighbours: pd.DataFrame, followed: list[str]) -> list[str]:
    """Proposals (each member's nearest non-members) that can be removed, followed territories that can
    be added; both kept in the link."""
    proposed = list(dict.fromkeys(neighbours["code"]))
    added = [c for c in state.read(P("avec")) if c not in proposed]
    options = list(dict.fromkeys(proposed + added + [f for f in followed if f not in codes]))
    labels = territories.labels(con, options)
    removed = set(state.read(P("sans")))
    with column:
        chosen = st.multiselect("Groupe de comparaison (proposé : les plus proches non-membres de chaque membre ; "
                                "ajoutez les territoires suivis de la barre latérale)", options,
                                default=[c for c in proposed + added if c not in removed],
                                format_func=lambda c: labels.get(c, c), key="w_comparaison",
                                placeholder="Choisir des territoires")
        state.write(P("sans"), [c for c in proposed if c not in chosen])
        state.write(P("avec"), [c for c in chosen if c not in proposed])
    return chosen


def _yearly(ind: pd.Series, group: pd.Series, ev: evaluation.Evaluation, unit: str, weighted: bool,
            names: dict[str, str], sizes: tuple[int, int]) -> None:
    link = export.permalink("comparer", **st.query_params.to_dict())
    how = "pondéré (règle de l'indicateur)" if weighted else "chaque membre compte une fois"
    series = [("G", str(group["name"])[:60], ev.group), ("C", "Groupe de comparaison", ev.comparison)]
    if ev.synthetic is not None:
        series.append(("S", "Comparaison synthétique", ev.synthetic.series))
    frame = pd.concat([pd.DataFrame({"territory": code, "territory_label": label, "level": "GRP",
                                     "period_start": s.index, "year": s.index, "value": s.to_numpy()})
                       for code, label, s in series])
    spec = widgets.chart_spec(ind, title=str(ind["label"]), subtitle=f"programme et comparaison · début {ev.start} · {how}",
                              unit=unit, decimals=1, marker_year=ev.start, marker_label=f"Début du programme ({ev.start})",
                              transform=unit if ev.index_base else "valeurs", permalink=link)
    fig = charts.trend_chart(frame, spec)
    widgets.show_chart(fig)
    widgets.export_chart(fig, spec, frame.assign(indicator=ind["id"], flag=None), f"effet_{ind['id']}")

    m = st.columns(3)
    # Short labels (a long one is cut on a narrow screen); the unit is said in the sentences below.
    m[0].metric("Différence de différences", fr_signed(ev.effect, 2), help=f"En {unit}.")
    m[1].metric("Groupes au hasard avec un écart ≥", f"{fr_number(ev.placebo_share * 100, 0)} %" if ev.placebo.size else "–",
                help="Part des groupes tirés au hasard dont l'écart est au moins aussi grand, en valeur absolue.")
    m[2].metric("Trajectoires avant le début", "parallèles" if ev.trend.parallel else "divergentes")
    for sentence in evaluation.findings(ev, unit):
        st.markdown(f"- {md(sentence)}")
    st.caption(f"Avant : {ev.before[0]}–{ev.before[-1]} ; après : {ev.after[0]}–{ev.after[-1]} ; "
               f"{sizes[0]} membres, {sizes[1]} territoires de comparaison ; {how}."
               + (f" Écartés faute de série complète : {md(', '.join(names.get(c, c) for c in ev.left_out))}."
                  if ev.left_out else ""))

    base = widgets.chart_spec(ind, unit=unit, decimals=2, transform=unit, permalink=link)
    for column, (stem, fig, spec, frame) in zip(st.columns(2), evaluation_pack.detail_charts(ev, base)):
        with column:
            widgets.show_chart(fig)
            widgets.export_chart(fig, spec, frame, f"{stem}_{ind['id']}")

    with st.expander("Comparaison synthétique et détail par membre"):
        if ev.synthetic is not None:
            w = ev.synthetic.weights[ev.synthetic.weights > 0.005]
            st.markdown("**Poids de la comparaison synthétique** (retirez un territoire du groupe de comparaison "
                        "pour le retirer d'ici)")
            widgets.french_table(pd.DataFrame({"Territoire": [names.get(c, c) for c in w.index], "Poids (%)": w * 100}),
                                 {"Poids (%)": 1})
        if not ev.members.empty:
            st.markdown("**Chaque membre face à ses propres voisins** (moyenne simple des voisins)")
            d = ev.members
            widgets.french_table(pd.DataFrame({"Membre": [names.get(c, c) for c in d["member"]],
                                               "Voisins": d["n_comparison"], f"Avant ({unit})": d["before"],
                                               f"Après ({unit})": d["after"], "Différence de différences": d["effect"]}),
                                 {"Voisins": 0, f"Avant ({unit})": 1, f"Après ({unit})": 1, "Différence de différences": 2})
        with st.popover("Méthode"):
            for line in evaluation.METHOD:
                st.markdown(f"- {md(line)}")


def _spans(ind: pd.Series, spans: pd.DataFrame, start: int, group_name: str) -> None:
    st.subheader("Périodes de recensement")
    table = pd.DataFrame({
        "Période": [period_label(p, y) for p, y in zip(spans["period_start"], spans["year"])],
        f"Groupe ({ind['unit']})": spans["group"], f"Comparaison ({ind['unit']})": spans["comparison"],
        "Écart": spans["gap"], f"Part de la période après {start} (%)": spans["share_after"] * 100})
    widgets.french_table(table, {f"Groupe ({ind['unit']})": 2, f"Comparaison ({ind['unit']})": 2, "Écart": 2,
                                 f"Part de la période après {start} (%)": 0})
    before = spans[spans["share_after"] == 0]
    after = spans[spans["share_after"] > 0]
    if not before.empty and not after.empty:
        b, a = before.iloc[-1], after.iloc[-1]
        st.markdown(md(f"Écart {period_label(int(a.period_start), int(a.year))} − écart "
                       f"{period_label(int(b.period_start), int(b.year))} : {fr_signed(a.gap - b.gap, 2)} "
                       f"({fr_number(a.share_after * 100, 0)} % de la seconde période après le début)."))
    st.caption("Moyennes annuelles sur chaque période de recensement, agrégées par la règle de l'indicateur "
               "(rapport des sommes pour un taux). Une période à cheval sur le début ne mesure qu'en partie "
               f"l'« après » ; « {md(group_name)} » et son groupe de comparaison y sont comparés de la même façon.")
