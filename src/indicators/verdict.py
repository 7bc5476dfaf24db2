"""The evaluation said in plain French: a verdict a mayor can read (what can be said, what cannot),
then the figures an evaluator checks. Never « parallel » from a test that could not have seen it,
never « ordinary » for a value in the tail."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .evaluation import DRAWS, TIME_SHIFT, Evaluation, Refusal, share_after
from .format import fr_int, fr_number, fr_signed
from .pool import SCOPES

if TYPE_CHECKING:
    from .assessment import Group
    from .pool import Pool

ALPHA = 0.05         # « se détache du hasard » below this two-sided p-value
INDICATORS_HINT = 10  # « sur 10 indicateurs… » in the warning about looking at many


@dataclass(frozen=True)
class Verdict:
    status: str                 # effect | fragile | none | diverging | disagree | refused
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
            pool: Pool) -> Verdict:
    if isinstance(main, Refusal):
        return Verdict("refused", f"Pas d'évaluation possible : {main.reason}.",
                       cannot=["Rien ne peut être conclu sur cet indicateur pour ce groupe."])
    e, unit, d = main, unit_of(main), 2
    inf = e.inference
    can, cannot = [], []
    synth_disagrees = (e.synthetic is not None and np.sign(e.synthetic.effect) != np.sign(e.effect)
                       and max(abs(e.synthetic.effect), abs(e.effect)) > inf.band)
    if e.pretrend.diverging:
        status = "diverging"
        headline = (f"Les trajectoires divergeaient déjà avant {e.start} : pas d'attribution possible "
                    f"(les écarts d'avant le début sont plus éloignés que ceux de {fr_int(inf.draws)} groupes tirés au "
                    f"hasard, {p_text(e.pretrend.p_value)}).")
    elif synth_disagrees:
        status = "disagree"
        headline = (f"Les méthodes divergent : pas de conclusion (différence de différences "
                    f"{fr_signed(e.effect, d)}, comparaison synthétique {fr_signed(e.synthetic.effect, d)} {unit}).")
    elif np.isfinite(inf.p_two) and inf.p_two < ALPHA and _hidden_trend_could_explain(e):
        status = "fragile"
        headline = (f"Un écart de {fr_signed(e.effect, d)} {unit} se détache du hasard ({p_text(inf.p_two)}), mais une "
                    f"tendance d'avant le début trop faible pour être détectée suffirait à le produire : pas "
                    "d'attribution possible.")
    elif np.isfinite(inf.p_two) and inf.p_two < ALPHA:
        status = "effect"
        way = "plus" if e.effect > inf.centre else "moins"
        headline = (f"Depuis {e.start}, l'écart avec des territoires comparables a évolué de {fr_signed(e.effect, d)} "
                    f"{unit} : {way} que ce que le hasard seul produit d'ordinaire ({p_text(inf.p_two)})"
                    + ("." if e.pretrend.tested else " ; les trajectoires d'avant le début ne peuvent pas être "
                       "vérifiées (une seule période avant)."))
    elif np.isfinite(inf.band):
        status = "none"
        headline = (f"Aucun changement détectable : un effet de plus de ±{fr_number(inf.band, d)} {unit} aurait été vu ; "
                    "un effet plus petit ne se distingue pas du hasard.")
    else:
        status = "none"
        headline = "Pas assez de territoires comparables pour mesurer ce que le hasard seul produit : pas de conclusion."

    can.append(f"Écart estimé : {fr_signed(e.effect, d)} {unit} (différence de différences, "
               f"{_periods(e)}).")
    if np.isfinite(inf.band):
        can.append(f"Par le seul hasard, 95 % des {fr_int(inf.draws)} groupes placebo (mêmes niveaux, territoires "
                   f"semblables aux membres) donnent un écart entre {fr_signed(inf.centre - inf.band, d)} et "
                   f"{fr_signed(inf.centre + inf.band, d)} ({p_text(inf.p_two)}, bilatéral).")
    if e.pretrend.tested and not e.pretrend.diverging:
        can.append(f"Avant le début, les écarts restent dans ce que montrent les groupes placebo "
                   f"({p_text(e.pretrend.p_value)}) : aucune divergence détectée — ce qui ne prouve pas leur absence.")
    if e.synthetic is not None:
        agree = "va dans le même sens" if np.sign(e.synthetic.effect) == np.sign(e.effect) else "va en sens inverse"
        can.append(f"La comparaison synthétique (différence de différences synthétique) {agree} : "
                   f"{fr_signed(e.synthetic.effect, d)} {unit} ({p_text(e.synthetic_p)}).")
    n_comp = len(e.comparison_codes)
    can.append(f"Comparaison : {fr_int(n_comp)} territoires appariés avant le début ({pool_scope(pool)}), jamais un "
               "territoire qui partage des communes avec un membre" +
               (" ni un territoire d'un autre programme." if _others_left_out(pool) else "."))

    if np.isfinite(inf.band):
        cannot.append(f"Un effet de moins de ±{fr_number(inf.band, d)} {unit} n'aurait pas pu être distingué du hasard.")
    if e.pretrend.tested and np.isfinite(e.pretrend.detectable_slope):
        cannot.append(f"Une tendance d'avant le début de ±{fr_number(e.pretrend.detectable_slope, 3)} {unit} par an "
                      f"aurait pu passer inaperçue (détectée 4 fois sur 5 seulement) ; prolongée, elle produirait à elle "
                      f"seule un écart de ±{fr_number(abs(e.pretrend.detectable_bias), d)} {unit}.")
    elif not e.pretrend.tested:
        cannot.append("Trop peu de périodes avant le début pour vérifier que les trajectoires étaient proches.")
    cannot.append("Même un écart net ne prouve pas que le programme en est la cause : d'autres politiques et la "
                  "conjoncture locale jouent en même temps.")
    if pool.overlaps:
        names = sorted({r.split("programme ")[-1] for r in pool.overlaps.values()})
        cannot.append(f"{fr_int(len(pool.overlaps))} des {fr_int(len(group.members))} membres sont aussi dans un autre "
                      f"programme ({', '.join(names)}) : l'écart mêle les programmes.")
    if e.outcome.spans:
        post = e.periods[-1]
        share = share_after(e.outcome, post, e.start)
        cannot.append(f"Seule une part de la période {e.outcome.labels[post]} est après le début "
                      f"({fr_int(share * 100)} %) : l'effet n'y apparaît qu'en partie.")
    if e.outcome.note:
        cannot.append(e.outcome.note[0].upper() + e.outcome.note[1:] + ".")
    if e.left_out:
        cannot.append(f"{fr_int(len(e.left_out))} membre(s) sans série utilisable ne sont pas évalués (liste ci-dessous).")
    cannot.append(f"Chaque indicateur examiné est un nouveau tirage : sur {INDICATORS_HINT} indicateurs sans aucun "
                  f"effet, le hasard en ferait ressortir en moyenne {fr_number(INDICATORS_HINT * ALPHA, 1)} à ce seuil.")
    if isinstance(other, Evaluation) and main_name == "spans":
        cannot.append(f"{other.outcome.label}, série annuelle (indicative, lissée sur cinq ans) : "
                      f"{fr_signed(other.effect, d)} {unit_of(other)} ({p_text(other.inference.p_two)})"
                      + (" ; mais les trajectoires divergeaient déjà avant le début"
                         f" ({p_text(other.pretrend.p_value)})." if other.pretrend.diverging else "."))
    return Verdict(status, headline, can, cannot)


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
