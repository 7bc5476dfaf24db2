"""Programme evaluation on yearly panels: difference in differences, event study, placebo groups
(in space and in time), a synthetic comparison, census spans and the detail per member.

The three questions a review asks: were the two groups on the same path before the programme
(event study, pre-trend), is the gap bigger than chance (placebo groups drawn at random among
territories like the members), and what does it look like year by year. Pure numpy/pandas on a
`Panel`, so the page, the review pack, the bench and the tests compute the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from .format import fr_int, fr_number, fr_signed

DRAWS = 1_000
SEED = 2016
TIME_SHIFT = 3  # the placebo in time starts this many years before the real start


@dataclass(frozen=True)
class Panel:
    """Yearly values of one indicator (territory × year) and the weight of each value: its
    denominator for a ratio (so a weighted mean is the ratio of sums), 1 for a count (summed)."""
    values: pd.DataFrame
    weights: pd.DataFrame
    levels: pd.Series
    kind: str  # count | ratio

    def years_complete(self, codes: list[str]) -> list[int]:
        return [int(y) for y in self.values.columns[self.values.loc[codes].notna().all()]]


def load_panel(con: duckdb.DuckDBPyConnection, indicator: str, levels: list[str],
               include: list[str] = ()) -> Panel:
    """Every current territory of `levels` (and `include`: a dissolved EPCI in the group), yearly."""
    kind, den = con.execute("SELECT kind, denominator FROM indicator WHERE id = ?", [indicator]).fetchone()
    marks, extra = ", ".join("?" * len(levels)), ", ".join("?" * len(include)) or "NULL"
    weight = "d.value" if kind == "ratio" else "1.0"
    join = ("JOIN observation d ON d.territory = o.territory AND d.indicator = ? AND d.year = o.year "
            "AND d.period_start = o.year") if kind == "ratio" else ""
    long = con.execute(
        f"""SELECT o.territory, t.level, o.year, o.value, {weight} AS weight
            FROM observation o JOIN territory t ON t.code = o.territory {join}
            WHERE o.indicator = ? AND o.period_start = o.year
              AND ((t.level IN ({marks}) AND t.valid_until IS NULL) OR t.code IN ({extra}))""",
        [*([den] if kind == "ratio" else []), indicator, *levels, *include],
    ).df()
    values = long.pivot(index="territory", columns="year", values="value")
    weights = long.pivot(index="territory", columns="year", values="weight").reindex_like(values)
    return Panel(values, weights, long.drop_duplicates("territory").set_index("territory")["level"], kind)


def aggregate(values: np.ndarray, weights: np.ndarray, kind: str, weighted: bool) -> np.ndarray:
    """Group values along the territory axis (-2): each site once (mean), or by the catalog's rule
    (a sum for counts, Σ weight·value / Σ weight = ratio of sums for ratios)."""
    if not weighted:
        return values.mean(axis=-2)
    if kind == "ratio":
        return (values * weights).sum(axis=-2) / weights.sum(axis=-2)
    return values.sum(axis=-2)


@dataclass(frozen=True)
class Trend:
    slope: float
    t_stat: float
    parallel: bool


def pre_trend(gap_before: pd.Series) -> Trend:
    """Slope of the gap (group − comparison) over the years before the start, with its t statistic:
    parallel paths unless the slope is clearly not zero (|t| ≥ 2, at least three years)."""
    y = gap_before.to_numpy(dtype=float)
    x = gap_before.index.to_numpy(dtype=float)
    if len(y) < 3:
        return Trend(np.nan, np.nan, True)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    se = np.sqrt((resid @ resid) / (len(y) - 2) / ((x - x.mean()) @ (x - x.mean())))
    scale = max(np.abs(y).max(), 1e-12)
    if se <= 1e-9 * scale:
        t = 0.0 if abs(slope) <= 1e-9 * scale else np.inf
    else:
        t = slope / se
    return Trend(float(slope), float(t), bool(abs(t) < 2))


def did(gap: np.ndarray, years: np.ndarray, start: int) -> np.ndarray:
    """Mean gap after (start included) minus mean gap before, along the last axis."""
    before, after = years < start, years >= start
    return gap[..., after].mean(axis=-1) - gap[..., before].mean(axis=-1)


@dataclass(frozen=True)
class Synthetic:
    weights: pd.Series        # comparison territory → weight (≥ 0, sum 1)
    series: pd.Series         # year → synthetic value
    pre_rmse: float
    effect: float             # mean gap after − mean gap before, group − synthetic


def synthetic(group: pd.Series, candidates: pd.DataFrame, start: int) -> Synthetic | None:
    """Non-negative weights summing to 1 on the candidates (territory × year) that follow the group
    best before the start (least squares); None without two years before or any candidate."""
    pre = [y for y in group.index if y < start]
    candidates = candidates[np.isfinite(candidates.to_numpy(dtype=float)).all(axis=1)]  # an index of a zero
    if len(pre) < 2 or candidates.empty or not np.isfinite(group.to_numpy(dtype=float)).all():
        return None
    a = candidates[pre].to_numpy(dtype=float).T
    b = group[pre].to_numpy(dtype=float)
    scale = max(np.abs(b).max(), 1.0)
    penalty = 1e3 * scale  # the sum-to-one constraint as a heavy extra equation
    from scipy.optimize import nnls  # 35 MB of memory: loaded by the first synthetic comparison, not by every page

    w, _ = nnls(np.vstack([a, penalty * np.ones(a.shape[1])]), np.append(b, penalty), maxiter=5000)
    if w.sum() <= 0:
        return None
    w = w / w.sum()
    series = pd.Series(candidates.to_numpy(dtype=float).T @ w, index=candidates.columns)
    gap = (group - series).dropna()
    years = gap.index.to_numpy()
    return Synthetic(pd.Series(w, index=candidates.index).sort_values(ascending=False),
                     series, float(np.sqrt(((b - a @ w) ** 2).mean())),
                     float(did(gap.to_numpy(), years, start)))


@dataclass(frozen=True)
class Evaluation:
    start: int
    years: tuple[int, ...]
    group: pd.Series
    comparison: pd.Series
    effect: float                     # difference in differences
    event: pd.Series                  # year → gap minus the gap of the last year before the start
    reference_year: int
    trend: Trend
    placebo: np.ndarray               # effects of the placebo groups
    placebo_share: float              # share at least as large (in absolute value) as the effect
    pool_size: dict[str, int]         # candidates per level for the placebo draws
    time_placebo: float | None        # the same computation with a fake start TIME_SHIFT years earlier
    synthetic: Synthetic | None
    members: pd.DataFrame = field(default_factory=pd.DataFrame)  # per-member effect
    index_base: int | None = None
    left_out: tuple[str, ...] = ()    # members or comparison territories without a complete series

    @property
    def before(self) -> tuple[int, ...]:
        return tuple(y for y in self.years if y < self.start)

    @property
    def after(self) -> tuple[int, ...]:
        return tuple(y for y in self.years if y >= self.start)


def _indexed(x: np.ndarray, years: list[int], base: int | None) -> np.ndarray:
    if base is None:
        return x
    at = x[..., years.index(base)][..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(at != 0, x / at * 100, np.nan)


def evaluate(panel: Panel, members: list[str], comparison: list[str], start: int, weighted: bool = True,
             index: bool = False, draws: int = DRAWS, seed: int = SEED,
             neighbours: pd.DataFrame | None = None, progress=None) -> Evaluation | None:
    """The whole evaluation of one indicator; None when the group or the comparison has no year
    before and no year after the start. `neighbours` (member, code) gives each member its own
    comparison territories for the per-member detail. `progress(share)` is called while drawing."""
    known = [m for m in members if m in panel.values.index]
    members, dropped_m = _usable(panel, known)
    comparison, dropped_c = _usable(panel, [c for c in comparison if c in panel.values.index and c not in known])
    dropped = tuple(dict.fromkeys([m for m in known if m not in members] + dropped_c))
    if not members or not comparison:
        return None
    years = [y for y in panel.years_complete(members) if y in set(panel.years_complete(comparison))]
    if not any(y < start for y in years) or not any(y >= start for y in years):
        return None
    base = max(y for y in years if y < start) if index else None
    v, w = panel.values[years], panel.weights[years].fillna(0)
    g_raw = aggregate(v.loc[members].to_numpy(), w.loc[members].to_numpy(), panel.kind, weighted)
    c_raw = aggregate(v.loc[comparison].to_numpy(), w.loc[comparison].to_numpy(), panel.kind, weighted)
    if base is not None and not (g_raw[years.index(base)] and c_raw[years.index(base)]):
        base = None  # an index of a zero (no emission that year) means nothing: values instead
    g, c = _indexed(g_raw, years, base), _indexed(c_raw, years, base)
    yrs = np.array(years)
    gap = g - c
    reference_year = max(y for y in years if y < start)
    event = pd.Series(gap - gap[years.index(reference_year)], index=years)
    effect = float(did(gap, yrs, start))
    trend = pre_trend(pd.Series(gap[yrs < start], index=yrs[yrs < start]))

    # Placebo groups: as many territories of each level as the group has, never a member, drawn
    # among the territories of that level with a value every year used.
    complete = v.notna().all(axis=1)
    rng = np.random.default_rng(seed)
    level_counts = panel.levels.loc[members].value_counts()
    pools = {lv: np.flatnonzero((panel.levels.reindex(v.index) == lv).to_numpy() & complete.to_numpy()
                                & ~v.index.isin(members)) for lv in level_counts.index}
    placebo = np.array([])
    if all(len(pools[lv]) >= n for lv, n in level_counts.items()):
        drawn = np.empty((draws, len(members)), dtype=int)
        col = 0
        for lv, n in level_counts.items():
            for i in range(draws):
                drawn[i, col:col + n] = rng.choice(pools[lv], n, replace=False)
            col += n
            if progress:
                progress(col / len(members))
        vv, ww = v.to_numpy(dtype=float), w.to_numpy(dtype=float)
        pg = _indexed(aggregate(vv[drawn], ww[drawn], panel.kind, weighted), years, base)
        placebo = did(pg - c, yrs, start)
        placebo = placebo[np.isfinite(placebo)]
    share = float((np.abs(placebo) >= abs(effect) - 1e-12).mean()) if placebo.size else float("nan")

    fake = start - TIME_SHIFT
    pre_years = yrs < start
    time_placebo = (float(did(gap[pre_years], yrs[pre_years], fake))
                    if (yrs[pre_years] < fake).any() and (yrs[pre_years] >= fake).any() else None)

    cand = _indexed(v.loc[comparison].to_numpy(dtype=float), years, base)
    synth = synthetic(pd.Series(g, index=years), pd.DataFrame(cand, index=comparison, columns=years), start)

    detail = _per_member(v, members, neighbours, yrs, start, years, base) if neighbours is not None else pd.DataFrame()
    return Evaluation(start, tuple(years), pd.Series(g, index=years), pd.Series(c, index=years), effect, event,
                      reference_year, trend, placebo, share, {lv: len(p) for lv, p in pools.items()},
                      time_placebo, synth, detail, base, dropped)


def _usable(panel: Panel, codes: list[str]) -> tuple[list[str], list[str]]:
    """The territories with a value every year that most of them have (90 %): one commune without a
    series (Mayotte before 2020) would otherwise empty the whole group's years. Returns kept, left out."""
    if not codes:
        return [], []
    present = panel.values.loc[codes].notna()
    common = present.columns[present.mean() >= 0.9]
    kept = [c for c in codes if present.loc[c, common].all()]
    return kept, [c for c in codes if c not in kept]


def _per_member(v: pd.DataFrame, members: list[str], neighbours: pd.DataFrame, yrs: np.ndarray, start: int,
                years: list[int], base: int | None) -> pd.DataFrame:
    """Each member against the mean of its own comparison territories: one town driving the group
    mean shows here."""
    rows = []
    for m in members:
        own = [c for c in neighbours.loc[neighbours["member"] == m, "code"] if c in v.index and c not in members]
        if not own:
            continue
        series = _indexed(v.loc[[m]].to_numpy(dtype=float)[0], years, base)
        comp = _indexed(np.nanmean(v.loc[own].to_numpy(dtype=float), axis=0), years, base)
        gap = series - comp
        ok = np.isfinite(gap)
        if not (ok & (yrs < start)).any() or not (ok & (yrs >= start)).any():
            continue
        rows.append({"member": m, "n_comparison": len(own),
                     "before": float(np.nanmean(series[yrs < start])), "after": float(np.nanmean(series[yrs >= start])),
                     "effect": float(did(gap[ok], yrs[ok], start))})
    return pd.DataFrame(rows)


def assess(fetch: Callable[..., object], indicator: str, members: list[str], comparison: list[str], start: int,
           levels: list[str], weighted: bool = True, index: bool = False, neighbours: pd.DataFrame | None = None,
           progress=None) -> tuple[Evaluation | None, pd.DataFrame]:
    """One indicator's evaluation as the Comparer page shows it and the review pack prints it: the
    yearly evaluation (None without a yearly series) and the census spans. `fetch(query, *args)` runs
    a library query with a connection: the page passes its per-file cache, the pack a plain call."""
    from .compare import group_aggregate

    spans = span_table(fetch(group_aggregate, indicator, list(members), weighted),
                       fetch(group_aggregate, indicator, list(comparison), weighted), start)
    panel = fetch(load_panel, indicator, list(levels), list(members))
    ev = evaluate(panel, list(members), list(comparison), start, weighted=weighted, index=index,
                  neighbours=neighbours, progress=progress)
    return ev, spans


def span_table(group: pd.DataFrame, comparison: pd.DataFrame, start: int) -> pd.DataFrame:
    """Census spans (period_start < year) of the group and the comparison side by side, with the
    share of each span that lies after the start: a span that straddles it is partly « after »."""
    g = group[group["period_start"] < group["year"]].set_index(["period_start", "year"])["value"]
    c = comparison[comparison["period_start"] < comparison["year"]].set_index(["period_start", "year"])["value"]
    both = pd.concat({"group": g, "comparison": c}, axis=1).dropna().reset_index().sort_values(["year", "period_start"])
    both["gap"] = both["group"] - both["comparison"]
    length = both["year"] - both["period_start"]
    both["share_after"] = ((both["year"] - both["period_start"].clip(lower=start)).clip(lower=0) / length).clip(upper=1)
    return both.reset_index(drop=True)


METHOD = (
    "Différence de différences : (moyenne après − moyenne avant) du groupe, moins la même chose pour le "
    "groupe de comparaison ; l'année de début compte dans « après ».",
    "Étude d'événement : chaque année, l'écart entre les deux groupes moins l'écart de la dernière année "
    "avant le début ; avant le début, il dit si les trajectoires étaient parallèles (pente de l'écart).",
    f"Placebos : {fr_int(DRAWS)} groupes de même taille et de mêmes niveaux tirés au hasard parmi les territoires "
    "non membres (tirage fixe, reproductible), passés dans le même calcul ; placebo dans le temps : un faux "
    f"début {TIME_SHIFT} ans plus tôt.",
    "Comparaison synthétique : poids positifs de somme 1 sur les territoires de comparaison, choisis pour "
    "suivre le groupe avant le début ; montrée à côté du groupe de comparaison, jamais à sa place.",
    "Agrégats : chaque membre compte une fois (moyenne simple) ou règle de l'indicateur (somme des effectifs, "
    "rapport des sommes pour un taux) ; territoires sans série complète écartés et nommés.",
)

CAVEAT = (
    "À lire avant de conclure. Une différence de différences décrit un écart d'évolution, pas une "
    "preuve d'effet : d'autres causes ont pu jouer en même temps (conjoncture locale, autres politiques), "
    "et le groupe de comparaison n'est semblable que sur les variables choisies. Sur de petits "
    "territoires, quelques dizaines d'habitants font varier les taux. Les populations légales lissent "
    "cinq années de recensement : un effet récent n'y apparaît qu'avec retard."
)


def findings(ev: Evaluation, unit: str, decimals: int = 2) -> list[str]:
    """The answers to a review's three questions, in plain French."""
    out = []
    if ev.trend.parallel:
        out.append(f"Avant {ev.start}, les deux groupes évoluaient de façon proche : l'écart entre eux ne "
                   "montre pas de tendance nette.")
    else:
        out.append(f"Avant {ev.start}, les deux groupes divergeaient déjà (l'écart varie de "
                   f"{fr_signed(ev.trend.slope, decimals)} {unit} par an) : l'écart ne peut pas être attribué "
                   "au programme.")
    if ev.placebo.size:
        out.append(f"{fr_number(ev.placebo_share * 100, 0)} % des {fr_int(ev.placebo.size)} groupes tirés au hasard montrent "
                   f"un écart au moins aussi grand (en valeur absolue) que celui du programme "
                   f"({fr_signed(ev.effect, decimals)} {unit})"
                   + (" : l'écart n'a rien d'inhabituel." if ev.placebo_share >= 0.1 else " : l'écart est rare parmi "
                      "des groupes pris au hasard."))
    else:
        out.append("Pas assez de territoires comparables pour tirer des groupes placebo.")
    if ev.time_placebo is not None:
        out.append(f"Placebo dans le temps (faux début en {ev.start - TIME_SHIFT}, années avant {ev.start} "
                   f"seulement) : {fr_signed(ev.time_placebo, decimals)} {unit}.")
    if ev.synthetic is not None:
        out.append(f"Comparaison synthétique : écart après − avant de {fr_signed(ev.synthetic.effect, decimals)} {unit} "
                   f"(écart moyen avant le début : {fr_number(ev.synthetic.pre_rmse, decimals)}).")
    return out
