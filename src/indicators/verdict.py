"""The evaluation said in plain French: a verdict a mayor can read (what can be said, what cannot),
then the figures an evaluator checks. Never « parallel » from a test that could not have seen it,
never « ordinary » for a value in the tail."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

import pandas as pd

from .evaluation import ALPHA, DRAWS, TIME_SHIFT, Evaluation, Refusal, share_after
from .format import fr_int, fr_number, fr_signed
from .matching import BALANCED
from .pool import SCOPES

if TYPE_CHECKING:
    from .assessment import Group
    from .matching import Matching
    from .pool import Pool

INDICATORS_HINT = 10  # « sur 10 indicateurs… » in the warning about looking at many


@dataclass(frozen=True)
class Verdict:
    status: str                 # effect | fragile | none | weak | diverging | imbalanced | disagree | refused
    headline: str
    can: list[str] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)


def unit_of(e: Evaluation) -> str:
    return "points d'indice (base 100)" if e.outcome.index else e.outcome.unit


def p_text(p: float | None) -> str:
    if p is None or not np.isfinite(p):
        return "non calculé"
    return f"p = {fr_number(p, 3)}" if p >= 0.001 else "p < 0,001"


def combine(main: Evaluation | Refusal, other: Evaluation | Refusal, main_name: str, group: Group,
            pool: Pool, matched: Matching | None = None, label: str = "") -> Verdict:
    """The verdict: the first sentence answers the question in plain words; the lists say what can and
    cannot be said. Every test it reads is calibrated on fake programmes (see `calibration`)."""
    what = f"« {label} »" if label else "cet indicateur"
    if isinstance(main, Refusal):
        cannot = ["Rien ne peut être conclu sur cet indicateur pour ce groupe."]
        if isinstance(other, Evaluation) and main_name == "spans":
            cannot.append(_indicative(other))
        return Verdict("refused", f"Pas d'évaluation possible pour {what} : {main.reason}.", cannot=cannot)
    e, unit, d = main, unit_of(main), 2
    inf = e.inference
    can, cannot = [], []
    imbalance = _imbalance(matched)
    readings = _readings(e)
    disagree = _disagreement(e, readings)
    plausible = plausible_effect(e)
    detect = e.detectable
    if e.pretrend.diverging:
        status = "diverging"
        headline = (f"Pas de conclusion : avant {e.start} déjà, {what} évoluait autrement chez les membres que dans les "
                    f"territoires comparables (les écarts d'avant le début sont plus éloignés que ceux de "
                    f"{fr_int(inf.draws)} groupes tirés au hasard, {p_text(e.pretrend.p_value)}) : pas d'attribution "
                    "possible.")
    elif imbalance:
        status = "imbalanced"
        headline = (f"Pas de conclusion ferme : équilibre insuffisant, les territoires de comparaison ne ressemblaient "
                    f"pas assez aux membres avant le début ({imbalance}, au-delà de {fr_number(BALANCED, 2)} écart-type).")
    elif disagree:
        status = "disagree"
        headline = f"Pas de conclusion : les méthodes ne s'accordent pas ({disagree})."
    elif e.significant and _hidden_trend_could_explain(e):
        status = "fragile"
        headline = (f"Un écart de {fr_signed(e.effect, d)} {unit} se détache du hasard ({p_text(inf.p_two)}), mais une "
                    f"tendance d'avant le début trop faible pour être détectée suffirait à le produire : pas "
                    "d'attribution possible.")
    elif e.significant:
        status = "effect"
        way = "plus" if e.effect > inf.centre else "moins"
        headline = (f"Depuis {e.start}, {what} a évolué de {fr_signed(e.effect, d)} {unit} par rapport à des territoires "
                    f"comparables : {way} que ce que le hasard seul produit d'ordinaire ({p_text(inf.p_two)}), et les "
                    "autres méthodes vont dans le même sens"
                    + ("." if e.pretrend.tested else " ; les trajectoires d'avant le début ne peuvent pas être "
                       "vérifiées (une seule période avant)."))
    elif np.isinf(detect):
        status = "weak"
        headline = (f"On ne voit pas d'effet sur {what}, et cette étude ne pourrait pas en voir, même très grand : trop "
                    "peu de membres, dont les écarts divergent, pour distinguer un effet du hasard huit fois sur dix.")
    elif np.isfinite(detect) and plausible is not None and detect > plausible:
        status = "weak"
        headline = (f"On ne voit pas d'effet sur {what}, mais cette étude ne peut voir que de très grands effets : il "
                    f"faudrait un écart de ±{fr_number(detect, d)} {unit} pour le voir huit fois sur dix, plus que "
                    f"ce qu'un programme de ce type produit d'ordinaire (±{fr_number(plausible, d)} {unit}).")
    elif np.isfinite(detect):
        status = "none"
        headline = (f"On ne voit pas d'effet sur {what} : l'étude aurait vu un effet de ±{fr_number(detect, d)} {unit} "
                    "huit fois sur dix ; un effet plus petit peut exister sans être visible.")
    else:
        status = "none"
        headline = "Pas assez de territoires comparables pour mesurer ce que le hasard seul produit : pas de conclusion."

    can.append(f"Écart estimé : {fr_signed(e.effect, d)} {unit} (différence de différences, {_periods(e)} ; chaque "
               f"membre face à ses propres territoires de comparaison, {e.weighting}).")
    if np.isfinite(inf.band):
        can.append(f"Par le seul hasard, 95 % des {fr_int(inf.draws)} groupes placebo (mêmes niveaux, territoires "
                   f"semblables aux membres) donnent un écart entre {fr_signed(inf.centre - inf.band, d)} et "
                   f"{fr_signed(inf.centre + inf.band, d)} ({p_text(inf.p_two)}, bilatéral).")
    for r in readings:
        can.append(f"{READING_LABELS[r.name]} : {fr_signed(r.effect, d)} {unit} ({p_text(r.inference.p_two)}, parmi les "
                   "mêmes groupes placebo).")
    if e.pretrend.tested and not e.pretrend.diverging:
        can.append(f"Avant le début, les écarts restent dans ce que montrent les groupes placebo "
                   f"({p_text(e.pretrend.p_value)}) : aucune divergence détectée — ce qui ne prouve pas leur absence.")
    if e.synthetic is not None:
        agree = "va dans le même sens" if np.sign(e.synthetic.effect) == np.sign(e.effect) else "va en sens inverse"
        can.append(f"La comparaison synthétique (différence de différences synthétique) {agree} : "
                   f"{fr_signed(e.synthetic.effect, d)} {unit} ({p_text(e.synthetic_p)}).")
    n_comp = len(e.comparison_codes)
    can.append(f"Comparaison : {fr_int(n_comp)} territoires appariés avant le début, de même nature que chaque membre "
               f"({_kinds(pool)}), de population entre le tiers et le triple ({pool_scope(pool)}) ; jamais un "
               "territoire qui partage des communes avec un membre" +
               (" ni un territoire d'un autre programme déjà commencé." if _others_left_out(pool) else "."))
    if len(pool.later):
        can.append(f"{fr_int(len(pool.later))} territoires d'un programme plus tardif restent comparables jusqu'à "
                   "l'année d'avant leur propre début (pas encore traités), puis ne comptent plus.")
    if matched is not None and not matched.balance.empty and not imbalance:
        can.append(f"Équilibre avant le début : chaque écart standardisé est sous {fr_number(BALANCED, 2)} après "
                   "appariement.")
    reused = _reused(e)
    if reused:
        can.append(reused)

    if np.isinf(detect):
        cannot.append("Aucun effet, si grand soit-il, ne serait vu huit fois sur dix avec ces membres : ne pas voir "
                      "d'effet ne dit rien de son absence.")
    elif np.isfinite(detect):
        cannot.append(f"Un effet de moins de ±{fr_number(detect, d)} {unit} serait vu moins de huit fois sur dix : ne "
                      "pas voir d'effet ne prouve pas qu'il n'y en a pas.")
    if e.pretrend.tested and np.isfinite(e.pretrend.detectable_slope):
        cannot.append(f"Une tendance d'avant le début de ±{fr_number(e.pretrend.detectable_slope, 3)} {unit} par an "
                      f"aurait pu passer inaperçue (détectée 4 fois sur 5 seulement) ; prolongée, elle produirait à elle "
                      f"seule un écart de ±{fr_number(abs(e.pretrend.detectable_bias), d)} {unit}.")
    elif not e.pretrend.tested:
        cannot.append("Trop peu de périodes avant le début pour vérifier que les trajectoires étaient proches.")
    cannot.append("Même un écart net ne prouve pas que le programme en est la cause : d'autres politiques et la "
                  "conjoncture locale jouent en même temps.")
    if pool.overlaps:
        names = sorted({n for r in pool.overlaps.values() for n in r.removeprefix("programme ").split(", ")})
        cannot.append(f"{fr_int(len(pool.overlaps))} des {fr_int(len(group.members))} membres sont aussi dans un autre "
                      f"programme ({', '.join(names)}) : l'écart mêle les programmes.")
    if e.outcome.spans:
        for g, plan in e.plans.items():
            post = plan.post[-1]
            share = share_after(e.outcome, post, g)
            if share < 1:
                cannot.append(f"Le début ({g}) tombe dans la période {e.outcome.labels[post]} : seule une part "
                              f"({fr_int(share * 100)} %) en est après le début, l'effet n'y apparaît qu'en partie.")
    if e.outcome.note:
        cannot.append(e.outcome.note[0].upper() + e.outcome.note[1:] + ".")
    if e.left_out:
        cannot.append(f"{fr_int(len(e.left_out))} membre(s) ne sont pas évalués (liste ci-dessous, avec la raison).")
    cannot.append(f"Chaque indicateur examiné est un nouveau tirage : sur {INDICATORS_HINT} indicateurs sans aucun "
                  f"effet, le hasard en ferait ressortir en moyenne {fr_number(INDICATORS_HINT * ALPHA, 1)} à ce seuil.")
    if isinstance(other, Evaluation) and main_name == "spans":
        cannot.append(_indicative(other))
    return Verdict(status, headline, can, cannot)


def _indicative(yearly: Evaluation) -> str:
    """The yearly series of a census indicator, said for what it is: never evidence."""
    return (f"{yearly.outcome.label}, série annuelle : {fr_signed(yearly.effect, 2)} {unit_of(yearly)} — indicative "
            "seulement (chaque valeur lisse cinq années d'enquêtes) : elle ne sert ni de preuve d'un effet ni de "
            "preuve d'une divergence.")


READING_LABELS = {"sans correction": "Sans la correction des écarts que l'appariement laisse (régression sur les "
                                     "variables d'appariement)",
                  "régression": "Régression à effets fixes territoire et année (étude d'événement, agrégat par "
                                "cohorte de début)"}


def _readings(e: Evaluation) -> list:
    return [r for r in (e.unadjusted, e.pooled) if r is not None and np.isfinite(r.effect)]


def _disagreement(e: Evaluation, readings: list) -> str:
    """What disagrees, when the readings differ in significance or (one being significant) in sign."""
    answers = [("écart principal", e.effect, e.inference.p_two), *((r.name, r.effect, r.inference.p_two) for r in readings)]
    if e.synthetic is not None and e.synthetic_p is not None:
        answers.append(("synthétique", e.synthetic.effect, e.synthetic_p))
    answers = [(n, x, p) for n, x, p in answers if np.isfinite(x) and p is not None and np.isfinite(p)]
    significant = [p < ALPHA for _, _, p in answers]
    if not any(significant) or (all(significant) and len({np.sign(x) for _, x, _ in answers}) == 1):
        return ""  # nothing stands out, or everything does, the same way
    return " ; ".join(f"{n} {fr_signed(x, 2)}, {p_text(p)}" for n, x, p in answers)


def _imbalance(matched: Matching | None) -> str:
    """The variables left apart after matching, with their standardised differences (« densité 0,55 »)."""
    if matched is None or matched.balance.empty:
        return ""
    bad = matched.imbalanced()
    return " ; ".join(f"{_short(r['label'])} {fr_number(r['smd_matched'], 2)}" for _, r in bad.iterrows())


def _short(label: str) -> str:
    """« Densité 2015 (hab./km²) » → « densité »: the variable, without its unit and year."""
    return re.sub(r"\s+\d{4}(–\d{4})?", "", re.sub(r"\s*\(.*?\)", "", label)).strip().lower()


def _kinds(pool: Pool) -> str:
    kinds = list(dict.fromkeys(str(k) for k in pool.strata.get("kind", []) if isinstance(k, str)))
    return " ; ".join(kinds) if kinds else "même niveau"


def _reused(e: Evaluation) -> str:
    """Comparison territories that serve several members, named (each counts within each member's share)."""
    c = e.comparators
    if c is None or c.empty:
        return ""
    counts = c.groupby("code")["member"].nunique()
    many = counts[counts > 1].sort_values(ascending=False)
    if many.empty:
        return ""
    return (f"{fr_int(len(many))} territoire(s) de comparaison servent plusieurs membres (jusqu'à "
            f"{fr_int(int(many.iloc[0]))}) : chacun ne pèse que sa part dans chaque membre.")


def plausible_effect(e: Evaluation) -> float | None:
    """The largest effect a programme can plausibly have on this outcome, in the unit compared (catalog)."""
    from .outcomes import hints

    hint = hints(e.outcome.indicator)
    if hint is None:
        return None
    if e.outcome.spans:
        return hint.plausible_points
    if hint.plausible_share is None:
        return None
    if e.outcome.index:
        return 100 * hint.plausible_share
    before = e.members["comparison_before"] if not e.members.empty else pd.Series(dtype=float)
    level = float(np.average(before, weights=e.members["weight"])) if len(before) else np.nan
    return abs(level) * hint.plausible_share if np.isfinite(level) else None


def _hidden_trend_could_explain(e: Evaluation) -> bool:
    """A pre-trend the test would miss once in five, carried on, is as large as the effect (Roth 2022)."""
    bias = abs(e.pretrend.detectable_bias)
    return e.pretrend.tested and np.isfinite(bias) and bias >= abs(e.effect - e.inference.centre)


def _periods(e: Evaluation) -> str:
    def span(ps: list[int]) -> str:
        lab = e.outcome.labels
        return lab[ps[0]] if len(ps) == 1 or e.outcome.spans else f"{lab[ps[0]]}–{lab[ps[-1]]}"

    return f"{span([p for p in e.periods if p < e.start])} face à {span([p for p in e.periods if p >= e.start])}"


def pool_scope(pool: Pool) -> str:
    widened = pool.strata[pool.strata["widened"]]
    text = SCOPES[pool.scope]
    return text + (f", élargi pour {fr_int(int(widened['members'].sum()))} membre(s)" if len(widened) else "")


def _others_left_out(pool: Pool) -> bool:
    return bool(pool.excluded["reason"].str.contains("programme").any()) if len(pool.excluded) else False


def findings(e: Evaluation) -> list[str]:
    """The figures a review quotes, one per line."""
    unit, d, inf = unit_of(e), 2, e.inference
    out = [f"Différence de différences : {fr_signed(e.effect, d)} {unit}."]
    if np.isfinite(inf.p_two):
        out.append(f"Rang parmi {fr_int(inf.draws)} groupes placebo : {p_text(inf.p_one)} unilatéral (dans le sens observé), "
                   f"{p_text(inf.p_two)} bilatéral autour du centre de la distribution ({fr_signed(inf.centre, d)}).")
    if e.pretrend.tested:
        out.append(f"Écarts avant le début, test joint contre les placebos : {p_text(e.pretrend.p_value)} ; plus petite "
                   f"tendance détectée 4 fois sur 5 : ±{fr_number(e.pretrend.detectable_slope, 3)} par an, soit "
                   f"±{fr_number(abs(e.pretrend.detectable_bias), d)} sur l'écart après le début.")
    if e.time_placebo is not None:
        out.append(f"Placebo dans le temps (faux début {TIME_SHIFT} ans plus tôt, années d'avant seulement) : "
                   f"{fr_signed(e.time_placebo, d)} ({p_text(e.time_placebo_p)}).")
    if e.regression is not None:
        r = e.regression
        out.append(f"Régression à effets fixes territoire et année (pyfixest, écarts-types groupés par territoire, "
                   f"{fr_int(r.clusters)} territoires) : {fr_signed(r.did, d)} (intervalle à 95 % "
                   f"{fr_signed(r.did - 1.96 * r.did_se, d)} à {fr_signed(r.did + 1.96 * r.did_se, d)}).")
    if e.synthetic is not None:
        out.append(f"Différence de différences synthétique : {fr_signed(e.synthetic.effect, d)} ({p_text(e.synthetic_p)}) ; "
                   f"écart quadratique avant le début {fr_number(e.synthetic.pre_rmspe, d)}, rapport après/avant "
                   f"{fr_number(e.synthetic.ratio, 1)} ({p_text(e.synthetic_ratio_p)} parmi les placebos).")
    if e.staggered:
        out.append("Débuts échelonnés : " + ", ".join(f"{fr_int(len(ms))} membre(s) en {g}" for g, ms in e.cohorts.items())
                   + " ; chaque cohorte est comparée avant et après son propre début, puis pondérée.")
    return out


METHOD = (
    "Vivier de comparaison : territoires des mêmes niveaux que les membres, dans la même région (par défaut), sans "
    "aucun territoire qui partage des communes avec un membre ni, sauf ajout à la main, un territoire d'un autre "
    "programme ; chaque exclusion est listée.",
    "Appariement : pour chaque membre, les territoires du vivier les plus proches sur des valeurs mesurées avant le "
    "début (population, croissance, densité, natalité, nouveaux résidents, emplois, niveau et tendance de "
    "l'indicateur) ; le tableau d'équilibre compare les deux côtés avant et après l'appariement.",
    "Différence de différences : (moyenne après − moyenne avant) du groupe, moins la même chose pour ses territoires "
    "appariés, par cohorte de début puis pondérée ; l'année de début compte dans « après ». Jamais de total de "
    "groupes de tailles différentes : un effectif est lu pour 1 000 habitants ou en indice base 100.",
    f"Hasard : {fr_int(DRAWS)} groupes placebo, chaque membre remplacé par un territoire du vivier qui lui ressemble, "
    "comparés exactement de la même façon ; p = (1 + nombre de placebos au moins aussi extrêmes) / (1 + tirages).",
    "Trajectoires avant le début : écarts année par année, testés ensemble contre les placebos, avec la plus petite "
    f"tendance que le test aurait vue ; placebo dans le temps : un faux début {TIME_SHIFT} ans plus tôt.",
    "Étude d'événement par régression (pyfixest) : effets fixes territoire et année, un coefficient par cohorte et "
    "année depuis le début (Sun et Abraham 2021), intervalles à 95 % groupés par territoire.",
    "Différence de différences synthétique (Arkhangelsky et al. 2021) : poids régularisés sur les territoires "
    "appariés, classée parmi des placebos réajustés de la même façon.",
)

CAVEAT = (
    "À lire avant de conclure. Une différence de différences décrit un écart d'évolution, pas une preuve d'effet : "
    "d'autres causes ont pu jouer en même temps (conjoncture locale, autres politiques), et les territoires de "
    "comparaison ne sont semblables que sur les variables d'appariement. Sur de petits territoires, quelques "
    "dizaines d'habitants font varier les taux. Les populations légales lissent cinq années de recensement : "
    "un effet récent n'y apparaît qu'avec retard."
)
