"""The « Évaluation » section of a review pack, per indicator: the method in five lines, the event
study, the placebo distribution, the numbers, the caveats and the permalink of the same view."""
from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import pandas as pd
import plotly.graph_objects as go

from . import compare, evaluation, territories
from .charts import ChartSpec, event_chart, placebo_chart
from .format import fr_int, period_label


@dataclass
class EvaluationSection:
    findings: list[str]
    numbers: pd.DataFrame                      # libellé, valeur (the figures a review quotes)
    charts: list[tuple[str, go.Figure, ChartSpec, pd.DataFrame]]  # (file stem, figure, spec, data)
    permalink: str
    method: tuple[str, ...] = evaluation.METHOD
    caveat: str = evaluation.CAVEAT


def sections(con: duckdb.DuckDBPyConnection, group_id: str, start: int,
             ind_rows: dict[str, dict]) -> dict[str, EvaluationSection]:
    """One section per indicator with something to evaluate (a yearly series or census spans), as the
    Comparer page computes it by default: 3 neighbours per member, index base 100 before the start,
    aggregates by the indicator's rule, 1 000 placebo groups."""
    from .export import permalink

    members = territories.group_members(con, group_id)
    codes = members["code"].tolist()
    neighbours = compare.comparison_group(con, codes, 3)
    comparison = list(dict.fromkeys(neighbours["code"]))
    out = {}
    for ind_id, ind in ind_rows.items():
        if ind["kind"] not in ("count", "ratio"):
            continue
        link = permalink("comparer", g=group_id, vue="effet", ie=ind_id)
        ev, spans = evaluation.assess(lambda query, *args: query(con, *args), ind_id, codes, comparison, start,
                                      sorted(set(members["level"])), index=True, neighbours=neighbours)
        if ev is None and spans.empty:
            continue
        rows, charts, findings = [], [], []
        if ev is not None:
            unit = f"indice base 100 en {ev.index_base}"
            findings = evaluation.findings(ev, unit)
            rows += [("Différence de différences", ev.effect, unit, 2),
                     ("Groupe : moyenne avant", ev.group[list(ev.before)].mean(), unit, 2),
                     ("Groupe : moyenne après", ev.group[list(ev.after)].mean(), unit, 2),
                     ("Comparaison : moyenne avant", ev.comparison[list(ev.before)].mean(), unit, 2),
                     ("Comparaison : moyenne après", ev.comparison[list(ev.after)].mean(), unit, 2),
                     ("Pente de l'écart avant le début", ev.trend.slope, f"{unit} par an", 3),
                     ("Part des groupes placebo avec un écart au moins aussi grand", ev.placebo_share * 100, "%", 0),
                     ("Placebo dans le temps", ev.time_placebo, unit, 2),
                     ("Comparaison synthétique : différence de différences",
                      ev.synthetic.effect if ev.synthetic else None, unit, 2),
                     ("Membres", len(codes) - sum(c in codes for c in ev.left_out), "", 0),
                     ("Territoires de comparaison", len(comparison), "", 0)]
            base = ChartSpec(title="", unit=unit, source=str(ind["source"]), decimals=2, permalink=link,
                             licence=str(ind["licence"]), transform=unit)
            charts = detail_charts(ev, base, str(ind["label"]))
        for s in spans.itertuples():
            rows.append((f"Écart groupe − comparaison {period_label(s.period_start, s.year)} "
                         f"({fr_int(s.share_after * 100)} % de la période après le début)", s.gap, str(ind["unit"]), 2))
        out[ind_id] = EvaluationSection(findings, pd.DataFrame(rows, columns=["libellé", "valeur", "unité", "décimales"]),
                                        charts, link)
    return out


def detail_charts(ev: evaluation.Evaluation, base: ChartSpec,
                  label: str | None = None) -> list[tuple[str, go.Figure, ChartSpec, pd.DataFrame]]:
    """The event study and the placebo distribution of an evaluation, each with its spec and the data
    behind it (file stem, figure, spec, data), as the Comparer page shows them and a pack prints them.
    `label` (the indicator's) heads the titles where several indicators share one document."""
    def title(text: str) -> str:
        return f"{label} : {text}" if label else text[0].upper() + text[1:]

    espec = replace(base, title=title("étude d'événement"), marker_year=ev.start, marker_label=f"Début ({ev.start})",
                    subtitle=f"écart au groupe de comparaison, moins celui de {ev.reference_year}")
    out = [("evenement", event_chart(ev.event, espec), espec,
            pd.DataFrame({"annee": ev.event.index, "ecart_relatif": ev.event.to_numpy()}))]
    if ev.placebo.size:
        pspec = replace(base, title=title("parmi des groupes tirés au hasard"),
                        subtitle=f"{fr_int(ev.placebo.size)} groupes de même taille et mêmes niveaux")
        out.append(("placebo", placebo_chart(ev.placebo, ev.effect, pspec), pspec,
                    pd.DataFrame({"tirage": range(1, ev.placebo.size + 1), "difference_de_differences": ev.placebo})))
    return out


def text(section: EvaluationSection, label: str) -> list[str]:
    """The section as lines of text (README of the ZIP folder, PDF page)."""
    from .format import fr_number

    return [f"Évaluation : {label}", "", "Méthode :", *[f"• {m}" for m in section.method], "", "Résultats :",
            *[f"• {f}" for f in section.findings],
            *[f"• {r.libellé} : {fr_number(r.valeur, int(r.décimales))} {r.unité}".rstrip()
              for r in section.numbers.itertuples()],
            "", f"Précautions : {section.caveat}", "", f"Lien : {section.permalink}"]
