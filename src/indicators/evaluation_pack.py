"""The « Évaluation » of one indicator as the Comparer page shows it and a review pack prints it: the
verdict first, then the start year and its status, the comparison (who, who was left out and why,
how alike before the start), the figures, the charts and the data behind each."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import assessment as asm
from . import links, store, territories, verdict
from .charts import ChartSpec, balance_chart, event_chart, placebo_chart, trend_chart
from .evaluation import Evaluation, Refusal, share_after
from .format import MISSING, fr_int, fr_number, fr_signed

Chart = tuple[str, go.Figure, ChartSpec, pd.DataFrame]  # file stem, figure, spec, data


@dataclass
class EvaluationSection:
    label: str
    verdict: verdict.Verdict
    start_line: str
    comparison_line: str
    findings: list[str]
    numbers: pd.DataFrame                      # libellé, valeur, unité, décimales (the figures a review quotes)
    charts: list[Chart]
    tables: dict[str, pd.DataFrame]            # file stem → table (comparison, exclusions, balance, members…)
    permalink: str
    method: tuple[str, ...] = verdict.METHOD
    caveat: str = verdict.CAVEAT
    spans_first: bool = False
    left_out: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)   # the pack's first page: one line per indicator

    @property
    def refused(self) -> bool:
        return self.verdict.status == "refused"


def start_line(a: asm.Assessment) -> str:
    """The start used and what it is (« 2016, année supposée : non publiée par la CCI »)."""
    g = a.group
    note = g.start_note or ("année saisie pour ce groupe" if g.id else "année donnée dans le lien")
    own = {m: y for m, y in a.starts.items() if y != g.start}
    text = f"Début retenu : {note if note.startswith(str(g.start)) else f'{g.start} ({note})'}"
    if own:
        years = pd.Series(list(a.starts.values())).value_counts().sort_index()
        text += (" ; chaque membre à sa propre date (" + ", ".join(f"{fr_int(n)} en {y}" for y, n in years.items())
                 + ")")
    elif g.member_starts and not a.options.own_starts:
        text += " ; dates propres des membres ignorées (même année pour tous)"
    return text + "."


def comparison_line(a: asm.Assessment, names: dict[str, str]) -> str:
    e = a.answer
    n = len(e.comparison_codes) if isinstance(e, Evaluation) else 0
    shares = a.pool.excluded[a.pool.excluded["reason"].str.startswith("partage")]
    progs = a.pool.excluded[a.pool.excluded["reason"].str.contains("programme")]
    parts = [f"{fr_int(n)} territoires de comparaison appariés ({verdict.pool_scope(a.pool)}, "
             f"{a.options.k} par membre)"]
    if len(shares):
        parts.append(f"écartés car ils partagent des communes avec un membre : "
                     f"{', '.join(sorted(shares[shares['level'] != 'COM']['label'].tolist() or shares['label'].tolist())[:6])}"
                     + (f" et {fr_int(len(shares) - 6)} autres" if len(shares) > 6 else ""))
    if len(progs):
        parts.append(f"{fr_int(len(progs))} territoires d'autres programmes écartés")
    return " ; ".join(parts) + "."


def section(con: duckdb.DuckDBPyConnection, a: asm.Assessment, ind: store.IndicatorRow, link: str) -> EvaluationSection:
    e, d = a.answer, 2
    codes = set(a.group.members) | set(a.pool.excluded["code"])
    for m in a.matching.values():
        codes |= set(m.neighbours["code"])
    names = territories.labels(con, sorted(codes))
    label = str(ind.label)
    if isinstance(e, Refusal):  # one line with its reason: no comparison, no balance, no method
        left = {c: r for c, r in e.left_out.items() if r != e.reason}  # those the reason does not already cover
        tables = {"membres_ecartes": pd.DataFrame({"membre": [names.get(c, c) for c in left], "code": list(left),
                                                   "raison": list(left.values())})} if left else {}
        return EvaluationSection(label, a.verdict, start_line(a), "", [], pd.DataFrame(
            columns=["libellé", "valeur", "unité", "décimales"]), [], tables, link, method=(), caveat="",
            left_out=[f"{names.get(c, c)} : {r}" for c, r in left.items()],
            summary=_summary(label, a, None))
    tables = _tables(a, names)
    unit = verdict.unit_of(e)
    unadj, pooled = e.unadjusted, e.pooled
    rows = [("Différence de différences", e.effect, unit, d),
            ("p bilatéral (autour du centre)", e.inference.p_two, "", 3),
            (DETECTABLE, e.detectable if np.isfinite(e.detectable) else None, unit, d),
            ("Différence de différences sans correction", unadj.effect if unadj else None, unit, d),
            ("p sans correction", unadj.inference.p_two if unadj else None, "", 3),
            ("Régression à effets fixes (agrégat par cohorte)", pooled.effect if pooled else None, unit, d),
            ("p de la régression (groupes placebo)", pooled.inference.p_two if pooled else None, "", 3),
            ("Centre des groupes placebo", e.inference.centre, unit, d),
            ("Demi-largeur de la bande à 95 % du hasard", e.inference.band, unit, d),
            ("p unilatéral (rang parmi les placebos)", e.inference.p_one, "", 3),
            ("Test joint des écarts avant le début (p)", e.pretrend.p_value, "", 3),
            ("Plus petite tendance antérieure détectée 4 fois sur 5", e.pretrend.detectable_slope, f"{unit} par an", 3),
            ("Écart qu'elle produirait après le début", e.pretrend.detectable_bias, unit, d),
            ("Placebo dans le temps", e.time_placebo, unit, d),
            ("Différence de différences synthétique", e.synthetic.effect if e.synthetic else None, unit, d),
            ("p de la différence de différences synthétique", e.synthetic_p, "", 3),
            ("Membres évalués", sum(len(m) for m in e.cohorts.values()), "", 0),
            ("Territoires de comparaison", len(e.comparison_codes), "", 0),
            ("Groupes placebo", e.inference.draws, "", 0)]
    if e.outcome.spans:
        rows.append(("Part de la dernière période après le début", share_after(e.outcome, e.periods[-1], e.start) * 100,
                     "%", 0))
    numbers = pd.DataFrame(rows, columns=["libellé", "valeur", "unité", "décimales"])
    base = ChartSpec(title="", unit=unit, source=str(ind.source), decimals=d, permalink=link,
                     licence=str(ind.licence), transform=unit)
    return EvaluationSection(label, a.verdict, start_line(a), comparison_line(a, names), verdict.findings(e), numbers,
                             charts(a, base, label, names), tables, link, spans_first=a.main == "spans",
                             left_out=[f"{names.get(c, c)} : {r}" for c, r in e.left_out.items()],
                             summary=_summary(label, a, e))


DETECTABLE = "Effet détectable (vu 8 fois sur 10)"
STATUS_WORDS = {"effect": "écart qui se détache du hasard", "none": "pas d'effet visible",
                "weak": "pas d'effet visible ; seuls de très grands effets l'auraient été",
                "fragile": "écart fragile (tendance antérieure possible)", "diverging": "trajectoires déjà divergentes",
                "imbalanced": "équilibre insuffisant", "disagree": "méthodes en désaccord", "refused": "non évaluable"}


def _summary(label: str, a: asm.Assessment, e: Evaluation | None) -> dict:
    """One line of the pack's first page: the indicator, the verdict in a few words, the effect and the
    effect that would have been seen, and how good the comparison is."""
    if e is None:
        reason = a.answer.reason  # the refusal's own words, not read back out of the headline
        return {"indicateur": label, "verdict": f"{STATUS_WORDS['refused']} : {reason}", "effet": "",
                "effet détectable": "", "comparaison": ""}
    unit = verdict.unit_of(e)
    m = a.matching.get(a.main)
    bad = m.imbalanced() if m is not None else pd.DataFrame()
    quality = (f"{fr_int(len(e.comparison_codes))} territoires appariés ; "
               + ("équilibre atteint (écarts < 0,25)" if m is not None and bad.empty
                  else f"équilibre insuffisant sur {fr_int(len(bad))} variable(s)"))
    return {"indicateur": label, "verdict": STATUS_WORDS.get(a.verdict.status, a.verdict.status),
            "effet": f"{fr_signed(e.effect, 2)} {unit}",
            "effet détectable": (f"±{fr_number(e.detectable, 2)} {unit}" if np.isfinite(e.detectable)
                                 else "aucun, même très grand" if np.isinf(e.detectable) else MISSING),
            "comparaison": quality}


def summary_table(sections: list[EvaluationSection]) -> pd.DataFrame:
    """The pack's « l'évaluation en une ligne par indicateur »."""
    return pd.DataFrame([s.summary for s in sections if s.summary],
                        columns=["indicateur", "verdict", "effet", "effet détectable", "comparaison"])


def charts(a: asm.Assessment, base: ChartSpec, label: str | None = None,
           names: dict[str, str] | None = None) -> list[Chart]:
    """The charts of an evaluation, each with its spec and the data behind it: the group against its
    comparison, the event study (yearly), the placebo distribution and the balance before the start.
    `label` (the indicator's) heads the titles where several indicators share one document."""
    e = a.answer
    if not isinstance(e, Evaluation):
        return []

    what = label and (e.outcome.label or label)  # several indicators in one document: each title says which

    def title(text: str) -> str:
        return f"{what} : {text}" if what else text[0].upper() + text[1:]

    out: list[Chart] = []
    how = "pondéré (règle de l'indicateur)" if e.outcome.weighted else "chaque membre compte une fois"
    lab = e.outcome.labels
    lines = [("G", a.group.name[:60], e.group), ("C", "Territoires de comparaison (corrigés)", e.comparison)]
    if e.synthetic is not None and not e.staggered:
        lines.append(("S", "Comparaison synthétique", pd.Series(e.synthetic.series, index=e.group.index)))
    frame = pd.concat([
        pd.DataFrame({"territory": code, "territory_label": name, "level": "GRP",
                      "period_start": [e.outcome.starts[p] for p in s.index], "year": s.index, "value": s.to_numpy()})
        for code, name, s in lines])
    tspec = replace(base, title=f"{e.outcome.label or label} : le groupe et sa comparaison",
                    subtitle=(f"{lab[e.periods[0]]} et {lab[e.periods[-1]]}" if e.outcome.spans
                              else f"{lab[e.periods[0]]}–{lab[e.periods[-1]]}") + f" · début {e.start} · {how} · "
                             "comparaison corrigée des écarts que l'appariement laisse",
                    marker_year=None if e.outcome.spans else e.start, marker_label=f"Début ({e.start})")
    out.append(("groupe_comparaison", trend_chart(frame, tspec), tspec, frame))
    if not e.outcome.spans and len(e.event) > 2:
        espec = replace(base, title=title("étude d'événement"), marker_label=f"Début ({e.start})",
                        subtitle="écart, moins celui de l'année d'avant le début")
        reg = e.regression.table if e.regression is not None else None
        data = pd.DataFrame({"annees_depuis_debut": e.event.index, "ecart": e.event.to_numpy(),
                             "hasard_bas": e.event_band["lo"].reindex(e.event.index).to_numpy(),
                             "hasard_haut": e.event_band["hi"].reindex(e.event.index).to_numpy()})
        if reg is not None:
            data = data.assign(regression=reg["estimate"].reindex(e.event.index).to_numpy(),
                               regression_bas=reg["lo"].reindex(e.event.index).to_numpy(),
                               regression_haut=reg["hi"].reindex(e.event.index).to_numpy())
        out.append(("evenement", event_chart(e.event, espec, e.event_band, reg), espec, data))
    if e.placebo.size:
        pspec = replace(base, title=title("parmi des groupes tirés au hasard"),
                        subtitle=f"{fr_int(e.placebo.size)} groupes placebo comparés comme le groupe")
        inf = e.inference
        out.append(("placebo", placebo_chart(e.placebo, e.effect, pspec, (inf.centre - inf.band, inf.centre + inf.band)),
                    pspec,
                    pd.DataFrame({"tirage": range(1, e.placebo.size + 1), "difference_de_differences": e.placebo})))
    m = a.matching.get(a.main)
    if m is not None and not m.balance.empty:
        bspec = replace(base, title=title("équilibre avant le début"), unit="écart standardisé", decimals=2,
                        transform="écart des moyennes en écarts-types du vivier",
                        subtitle="0 : les membres et leurs territoires de comparaison se ressemblaient ; "
                                 "bande verte : moins de 0,25")
        out.append(("ecarts_standardises", balance_chart(m.balance, bspec), bspec, m.balance))
    return out


def _tables(a: asm.Assessment, names: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The files behind an evaluation, rounded as displayed: who was compared (with each territory's weight
    in the group's effect), the balance, the exclusions, the later programmes kept until their start, each
    member's own figures."""
    out = {}
    m = a.matching.get(a.main)
    e = a.answer
    if m is not None:
        nb = m.neighbours
        used = e.comparators if isinstance(e, Evaluation) and not e.comparators.empty else None
        if used is not None:
            nb = used.merge(nb[["member", "code", "rank", "distance"]], on=["member", "code"], how="left")
        served = nb.groupby("code")["member"].transform("nunique")
        table = pd.DataFrame({"territoire": nb["code"].map(names), "code": nb["code"], "apparié à": nb["member"].map(names),
                              "rang": nb["rank"].astype("Int64"), "distance": nb["distance"].astype(float).round(3),
                              "membres servis": served.astype("Int64")})
        if used is not None:
            table["poids dans l'effet (%)"] = (nb["weight"] * 100).round(2)
        out["comparaison"] = table
        b = m.balance
        out["equilibre"] = pd.DataFrame({
            "variable": b["label"], "membres": b["group"].where(~b["log"], 10 ** b["group"]),
            "vivier": b["pool"].where(~b["log"], 10 ** b["pool"]),
            "comparaison": b["comparison"].where(~b["log"], 10 ** b["comparison"]),
            "écart standardisé avant": b["smd_pool"], "écart standardisé après": b["smd_matched"]}).round(2)
    ex = a.pool.excluded
    out["exclusions"] = pd.DataFrame({"territoire": ex["label"], "code": ex["code"], "raison": ex["reason"]})
    later = a.pool.later
    if len(later):
        out["programmes_plus_tard"] = pd.DataFrame({"territoire": later["label"], "code": later["code"],
                                                    "début de son programme": later["from"].astype(int),
                                                    "raison": later["reason"]})
    if isinstance(e, Evaluation) and not e.members.empty:
        d = e.members
        total = d["weight"].sum()
        out["membres"] = pd.DataFrame({"membre": d["member"].map(names), "code": d["member"], "début": d["start"],
                                       "poids (%)": (d["weight"] / total * 100 if total else d["weight"] * 0).round(2),
                                       "territoires de comparaison": d["n_comparison"], "avant": d["before"].round(2),
                                       "après": d["after"].round(2),
                                       "comparaison avant": d["comparison_before"].round(2),
                                       "comparaison après": d["comparison_after"].round(2),
                                       "différence de différences": d["effect"].round(2),
                                       "sans correction": d["effect_unadjusted"].round(2)})
    left = e.left_out if isinstance(e, (Evaluation, Refusal)) else {}
    if left:
        out["membres_ecartes"] = pd.DataFrame({"membre": [names.get(c, c) for c in left], "code": list(left),
                                               "raison": list(left.values())})
    return out


def effect_section(con: duckdb.DuckDBPyConnection, group: asm.Group, indicator: str, options: asm.Options,
                   link: str) -> EvaluationSection:
    """The Comparer page's model of one indicator's evaluation (the pack builds the same with defaults)."""
    ind = store.indicator(con, indicator)
    return section(con, asm.assess(con, group, indicator, options), ind, link)


def sections(con: duckdb.DuckDBPyConnection, group: asm.Group, ind_rows: dict[str, store.IndicatorRow],
             options: asm.Options = asm.DEFAULT) -> dict[str, EvaluationSection]:
    """One section per count or ratio indicator of the pack, as the Comparer page computes it by default
    (an indicator the group cannot be evaluated on gets its section too, saying why)."""
    from . import precomputed  # (it stores this module's sections)

    out = {}
    for ind_id, ind in ind_rows.items():
        if ind.kind not in ("count", "ratio"):
            continue
        kept = precomputed.lookup(con, group, ind_id, options)
        link = links.permalink(links.ComparerView(group=group.id or "lien", vue="effet", ie=ind_id))
        out[ind_id] = kept if kept is not None else section(con, asm.assess(con, group, ind_id, options), ind, link)
    return out


def text(s: EvaluationSection, label: str) -> list[str]:
    """The section as lines of text (README of the ZIP folder, PDF page): the verdict first. An indicator
    that cannot be evaluated gets its reason, its start and the members left out, nothing else."""
    lines = [f"Évaluation : {label}", "", s.verdict.headline, ""]
    if s.refused:
        return lines + [s.start_line, *(["Membres non évalués : " + " ; ".join(s.left_out) + "."] if s.left_out else []),
                        "", f"Lien : {s.permalink}"]
    if s.verdict.can:  # a refused evaluation has nothing to say here: no empty heading
        lines += ["Ce que l'on peut dire :", *[f"• {x}" for x in s.verdict.can], ""]
    lines += ["Ce que l'on ne peut pas dire :", *[f"• {x}" for x in s.verdict.cannot], "", s.start_line,
              s.comparison_line]
    if s.left_out:
        lines += ["Membres non évalués : " + " ; ".join(s.left_out) + "."]
    if s.findings:
        lines += ["", "Chiffres :", *[f"• {f}" for f in s.findings]]
    lines += ["", "Méthode :", *[f"• {m}" for m in s.method], "", f"Précautions : {s.caveat}", "", f"Lien : {s.permalink}"]
    return lines


def exclusions_summary(table: pd.DataFrame) -> list[str]:
    """Exclusions counted by reason, the ones sharing ground with a member named (the full list is a file)."""
    if table.empty:
        return []
    counts = table.groupby("raison").size().sort_values(ascending=False)
    return [f"• {r} : {fr_int(n)}" + (f" ({', '.join(table.loc[table['raison'] == r, 'territoire'].head(8))}"
                                      + (" …)" if n > 8 else ")") if r.startswith("partage") else "")
            for r, n in counts.items()]
