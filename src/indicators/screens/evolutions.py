"""The Évolutions page for a set of choices: one panel per indicator (the series in the chosen mode,
what is not available and why, the growth table and its rule, the periods drawn as segments)."""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from .. import charts, store, transforms
from ..format import period_label
from ..text import md, not_available


@dataclass(frozen=True)
class Choices:
    codes: tuple[str, ...]
    refs: tuple[str, ...]
    mode: str = "auto"
    base: int = 2013           # index base year (mode « indice »)
    years: tuple[int, int] = (1900, 2100)
    marker: int | None = None  # a programme's start
    marker_name: str = ""
    permalink: str = ""


@dataclass(frozen=True)
class Panel:
    """One indicator as the page shows it."""
    spec: charts.ChartSpec
    shown: pd.DataFrame                                       # the series drawn (transformed)
    notes: list[str] = field(default_factory=list)            # said above the chart (markdown, escaped)
    growth: pd.DataFrame | None = None                        # French columns
    growth_formats: dict[str, int] = field(default_factory=dict)
    spans: str = ""                                           # the periods drawn as segments

    @property
    def empty(self) -> bool:
        return self.shown.empty


def cut(indicators: int, territories: int) -> tuple[int, str]:
    """How many indicators a page draws (at most MAX_SERIES series: 50 territories × 20 indicators in
    moving averages cost 5 s of a server's CPU for a chart nobody can read), and what it says when it
    cuts (never silently)."""
    shown = min(indicators, max(1, transforms.MAX_SERIES // max(territories, 1)))
    if shown == indicators:
        return shown, ""
    return shown, (f"Vue coupée : {indicators} indicateurs × {territories} territoires demandés ; les {shown} premiers "
                   f"indicateurs sont affichés (au plus {transforms.MAX_SERIES} séries par page). Retirez des "
                   "territoires ou des indicateurs pour voir les autres.")


def panel(con: duckdb.DuckDBPyConnection, ind: store.IndicatorRow, c: Choices, names: dict[str, str]) -> Panel:
    """The series of `c.codes` and their references for one indicator, in the chosen mode and years."""
    codes = [*c.codes, *c.refs]
    raw = store.series(con, codes, [ind.id])
    raw = raw[(raw["year"] >= c.years[0]) & (raw["period_start"] <= c.years[1])]
    notes, mode, base = [], auto_mode(ind, raw, bool(c.refs)) if c.mode == "auto" else c.mode, c.base
    annual = raw[raw["period_start"] == raw["year"]]
    if c.mode == "auto" and mode == "indice" and not annual.empty and not (annual["year"] == base).any():
        base = int(annual["year"].min())  # the adapted index starts where the series does
    if mode == "pour1000" and ind.kind != "count":  # a rate is shown, and its change read, as values
        notes.append(f"{md(ind.label)} est déjà un taux : affiché en valeurs.")
        mode = "valeurs"
    if mode == "indice" and (raw["value"] <= 0).any():
        notes.append(f"{md(ind.label)} passe par zéro ou sous zéro : un indice base 100 ne se lit pas (il changerait "
                     "de signe) ; affiché en valeurs, les écarts en points.")
        mode = "valeurs"
    shown, unit = raw, str(ind.unit)
    if mode == "indice":
        shown, unit = transforms.index_base(raw, base), f"indice base 100 en {base}"
    elif mode in ("mm3", "mm5"):
        shown, unit = transforms.moving_average(raw, int(mode[-1])), f"{ind.unit} (moyenne mobile {mode[-1]} ans)"
    elif mode == "pour1000":
        shown = transforms.per_thousand(raw, store.series(con, codes, ["population"]))
        unit = f"{ind.unit} pour 1 000 habitants"
    spec = charts.spec_of(
        ind, subtitle=f"{transforms.MODES[mode]} · {c.years[0]}–{c.years[1]}", unit=unit,
        decimals=1 if mode != "valeurs" else ind.decimals,
        transform=f"indice base 100 en {base}" if mode == "indice" else transforms.MODES[mode].lower(),
        marker_year=c.marker, permalink=c.permalink,
        marker_label=f"Début : {charts.short(c.marker_name, 48)} ({c.marker})" if c.marker else "")
    if shown.empty:
        return Panel(spec, shown, [*notes, not_available("pour ces territoires et leurs références dans ce mode et "
                                                         "ces années", ind.coverage, ind.label)])
    without = [names.get(t, t) for t in c.codes if t not in set(shown["territory"])]
    if without:  # the references still show, so the territory's absence reads as absence, not as zero
        notes.append(not_available(f"pour {md(', '.join(without))} dans ce mode et ces années", ind.coverage,
                                   ind.label, "les références restent affichées"))
    table, formats = growth_table(shown, ind, mode, names, spec.decimals)
    segments = shown[shown["period_start"] != shown["year"]]
    spans = ("Les segments horizontaux sont des moyennes annuelles sur une période ("
             + ", ".join(sorted({period_label(p, y) for p, y in
                                 zip(segments.period_start, segments.year, strict=True)})) + ")."
             ) if not segments.empty else ""
    return Panel(spec, shown, notes, table, formats, spans)


def auto_mode(ind: store.IndicatorRow, raw: pd.DataFrame, with_references: bool) -> str:
    """« Adapté »: a count beside its references as an index (a town's 15 000 inhabitants drawn on the
    scale of France's 68 million read as zero), when it never reaches zero; anything else in values."""
    positive = not raw.empty and bool((raw["value"] > 0).all())
    return "indice" if ind.kind == "count" and with_references and positive else "valeurs"


def growth_table(shown: pd.DataFrame, ind: store.IndicatorRow, mode: str, names: dict[str, str],
                 decimals: int) -> tuple[pd.DataFrame | None, dict[str, int]]:
    """First and last value of each territory's series and the change between them: in percent and per
    year, or, for a rate in values, in points (a growth rate of a rate means nothing)."""
    grow = transforms.growth(shown)
    if grow.empty:
        return None, {}
    columns = {"Territoire": grow["territory"].map(lambda t: names.get(t, t)),
               "Période": [f"{a}–{b}" for a, b in zip(grow["from"], grow["to"], strict=True)],
               "Début": grow["first"], "Fin": grow["last"]}
    if (ind.kind == "ratio" and mode == "valeurs") or (grow[["first", "last"]] <= 0).any(axis=None):
        # a rate's change, or a change from or to zero or below, is read in points, never as a percentage
        columns["Écart (points)"] = grow["last"] - grow["first"]
        return pd.DataFrame(columns), {"Début": decimals, "Fin": decimals, "Écart (points)": decimals}
    columns.update({"Évolution (%)": grow["change_pct"], "Par an, moyenne géométrique (%)": grow["cagr_pct"]})
    return pd.DataFrame(columns), {"Début": decimals, "Fin": decimals, "Évolution (%)": 1,
                                   "Par an, moyenne géométrique (%)": 2}
