"""Class methods and colour-blind-safe palettes for choropleths: quantiles, equal intervals and mean ±
standard deviations in numpy (as mapclassify computes them), Fisher-Jenks from mapclassify, loaded only
when asked for (with scikit-learn it costs a process 80 MB of memory)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .format import fr_number, parse_number

METHODS = {
    "quantiles": "Quantiles (effectifs égaux)",
    "jenks": "Seuils naturels (Fisher-Jenks)",
    "egal": "Intervalles égaux",
    "ecart": "Moyenne ± écart-type",
    "manuel": "Bornes manuelles",
}
# ColorBrewer 9-class schemes, all readable with the common colour-vision deficiencies.
SEQUENTIAL = {
    1: ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b"],  # Greens
    -1: ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704"],  # Oranges
    0: ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"],  # Blues
}
DIVERGING = ["#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788"]  # PuOr
MISSING_COLOUR = "#d9d9d9"
JENKS_POINTS = 400


@dataclass(frozen=True)
class Classes:
    """Upper bounds of each class, the class of each value (-1 when missing), and counts."""

    bounds: tuple[float, ...]
    lower: float
    classes: np.ndarray
    counts: tuple[int, ...]
    missing: int
    method: str

    @property
    def k(self) -> int:
        return len(self.bounds)


def classify(values: np.ndarray, method: str, k: int, manual: list[float] | None = None,
             bounds: tuple[float, ...] | None = None, lower: float | None = None) -> Classes:
    """Classes of the non-missing values. `bounds` and `lower` reuse classes computed elsewhere (the
    same classes across compared years: the first class starts at the lowest value of all of them).
    A single distinct value gives one class; all missing gives none."""
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    data = v[ok]
    if data.size == 0:
        return Classes((), np.nan, np.full(v.shape, -1), (), int((~ok).sum()), method)
    if bounds is None:
        bounds = _bounds(data, method, k, manual)
    b = np.asarray(bounds, dtype=float)
    cls = np.full(v.shape, -1)
    cls[ok] = np.minimum(np.searchsorted(b, data, side="left"), len(b) - 1)
    counts = tuple(int((cls == i).sum()) for i in range(len(b)))
    low = float(data.min()) if lower is None else min(float(lower), float(data.min()))
    return Classes(tuple(float(x) for x in b), low, cls, counts, int((~ok).sum()), method)


def _bounds(data: np.ndarray, method: str, k: int, manual: list[float] | None) -> tuple[float, ...]:
    distinct = np.unique(data)
    if distinct.size == 1:
        return (float(distinct[0]),)
    k = int(min(max(k, 2), 9, distinct.size))
    if method == "manuel" and manual:
        inner = sorted(x for x in manual if data.min() < x < data.max())
        return tuple(inner) + (float(data.max()),)
    if method == "jenks":
        return _natural_breaks(data, k)
    if method == "egal":
        width = (data.max() - data.min()) / k
        bins = data.min() + width * np.arange(1, k + 1)
        bins[-1] = data.max()
    elif method == "ecart":
        bins = data.mean() + data.std(ddof=1) * np.array([-2.0, -1.0, 1.0, 2.0])  # the sample standard deviation
    else:  # quantiles: upper bounds at 100/k, 200/k… percent, linear interpolation, repeated bounds merged
        bins = np.unique(np.percentile(data, np.linspace(100 / k, 100, k)))
    return _ending_at_max(bins, data)


def _natural_breaks(data: np.ndarray, k: int) -> tuple[float, ...]:
    """Fisher-Jenks. Exact Fisher-Jenks is quadratic (9 s for 3 000 values without numba), so above
    JENKS_POINTS values it runs on evenly spaced quantiles, deterministic (unlike mapclassify's random
    sample: the same map keeps its classes on every rerun); each break then moves to the widest gap
    of the full data between its quantile and the next one, where the exact break would lie."""
    ordered = np.sort(data)
    at = np.linspace(0, data.size - 1, min(JENKS_POINTS, data.size)).round().astype(int)
    sample = ordered[at]
    import mapclassify

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Numba not installed": the pure version is enough here
        bins = np.asarray(mapclassify.FisherJenks(sample, k=k).bins, dtype=float)
    if data.size > JENKS_POINTS:
        refined = []
        for b in bins[:-1]:
            i = min(int(np.searchsorted(sample, b, side="right")) - 1, len(at) - 2)
            gaps = np.diff(ordered[at[i]:at[i + 1] + 1])
            refined.append(float(ordered[at[i] + int(np.argmax(gaps))]) if gaps.size else float(b))
        bins = np.asarray([*refined, bins[-1]])
    return _ending_at_max(bins, data)


def _ending_at_max(bins: np.ndarray, data: np.ndarray) -> tuple[float, ...]:
    """Upper bounds inside the data, the last one its maximum (mean ± 2 std can fall outside: no empty class)."""
    bins = np.unique(np.asarray(bins, dtype=float))
    bins = bins[(bins >= data.min()) & (bins < data.max())]
    return tuple(float(x) for x in bins) + (float(data.max()),)


def parse_breaks(text: str) -> tuple[list[float], list[str]]:
    """Manual breaks typed as `5;10;12,5` (French or point decimals): the numbers, sorted, and the
    parts that are not numbers, to be named back to the user."""
    values, bad = [], []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        number = parse_number(part)
        if number is None:
            bad.append(part)
        else:
            values.append(number)
    return sorted(set(values)), bad


def labels(cl: Classes, decimals: int) -> list[str]:
    """Each class's bounds in French, as the legend and the exported map both say them."""
    out = []
    for i, upper in enumerate(cl.bounds):
        out.append(f"{fr_number(cl.lower, decimals)} à {fr_number(upper, decimals)}" if i == 0
                   else f"plus de {fr_number(cl.bounds[i - 1], decimals)} à {fr_number(upper, decimals)}")
    return out


def palette(k: int, polarity: int, diverging_at: int | None = None) -> list[str]:
    """k colours. Sequential by polarity (greens: more is better; oranges: more is worse; blues:
    neutral), or diverging with the class `diverging_at` (the one holding the reference) in the middle."""
    if k <= 0:
        return []
    if diverging_at is None:
        scheme = SEQUENTIAL.get(int(np.sign(polarity)), SEQUENTIAL[0])
        # Skip the palest colour (too close to the background) unless all nine are needed.
        idx = np.linspace(1 if k < 9 else 0, 8, k).round().astype(int) if k > 1 else [6]
        return [scheme[i] for i in idx]
    # Classes below the reference take one side, above the other; the reference class is neutral.
    below, above = diverging_at, k - diverging_at - 1
    orange, purple = DIVERGING[:4][::-1], DIVERGING[5:]  # each from the palest to the darkest
    # purple is the favourable side: above the reference when more is better, below when less is
    low_side, high_side = (purple, orange) if polarity < 0 else (orange, purple)
    return [*_side(low_side, below)[::-1], DIVERGING[4], *_side(high_side, above)]


def _side(colours: list[str], n: int) -> list[str]:
    """n colours going away from the reference, palest first: the side's own when it has enough, a
    ramp through them when more are needed (a reference at one end of nine classes)."""
    if n <= len(colours):
        return colours[:n]
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=float)
    at = np.linspace(0, len(colours) - 1, n)
    lo = np.floor(at).astype(int).clip(0, len(colours) - 2)
    mixed = rgb[lo] + (rgb[lo + 1] - rgb[lo]) * (at - lo)[:, None]
    return ["#" + "".join(f"{int(round(v)):02x}" for v in row) for row in mixed]
