"""Class methods and colour-blind-safe palettes for choropleths (mapclassify underneath)."""
from __future__ import annotations

from dataclasses import dataclass

import mapclassify
import numpy as np

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
             bounds: tuple[float, ...] | None = None) -> Classes:
    """Classes of the non-missing values. `bounds` reuses classes computed elsewhere (same classes
    across years). A single distinct value gives one class; all missing gives none."""
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
    return Classes(tuple(float(x) for x in b), float(data.min()), cls, counts, int((~ok).sum()), method)


def _bounds(data: np.ndarray, method: str, k: int, manual: list[float] | None) -> tuple[float, ...]:
    distinct = np.unique(data)
    if distinct.size == 1:
        return (float(distinct[0]),)
    k = int(min(max(k, 2), 9, distinct.size))
    if method == "manuel" and manual:
        inner = sorted(x for x in manual if data.min() < x < data.max())
        return tuple(inner) + (float(data.max()),)
    if method == "jenks":
        # The sampled variant keeps 35 000 communes interactive; below that size it is exact.
        scheme = mapclassify.FisherJenksSampled(data, k=k, pct=min(1.0, 3000 / data.size)) if data.size > 3000 \
            else mapclassify.FisherJenks(data, k=k)
    elif method == "egal":
        scheme = mapclassify.EqualInterval(data, k=k)
    elif method == "ecart":
        scheme = mapclassify.StdMean(data, multiples=[-2, -1, 1, 2])
    else:
        scheme = mapclassify.Quantiles(data, k=k)
    bins = np.unique(np.asarray(scheme.bins, dtype=float))
    bins[-1] = max(bins[-1], data.max())
    return tuple(float(x) for x in bins)


def palette(k: int, polarity: int, diverging_at: int | None = None) -> list[str]:
    """k colours. Sequential by polarity (greens: more is better; oranges: more is worse; blues:
    neutral), or diverging with the class `diverging_at` (the one holding the reference) in the middle."""
    if k <= 0:
        return []
    if diverging_at is None:
        scheme = SEQUENTIAL.get(int(np.sign(polarity)), SEQUENTIAL[0])
        idx = np.linspace(1, 8, k).round().astype(int) if k > 1 else [6]
        return [scheme[i] for i in idx]
    # Classes below the reference take one side, above the other; the reference class is neutral.
    below, above = diverging_at, k - diverging_at - 1
    left = DIVERGING[:4][::-1][:below][::-1] if below else []
    right = DIVERGING[5:][:above]
    if polarity < 0:  # less is better: the favourable (purple) side goes below the reference
        left = DIVERGING[5:][:below][::-1]
        right = DIVERGING[:4][::-1][:above]
    return [*left, DIVERGING[4], *right]
