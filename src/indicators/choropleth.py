"""What a choropleth shows, decided once: its classes (the same across the years compared), its
palette and where a diverging palette is centred. Carte, its exports and the tests draw from one
`MapModel`, so the screen and the files cannot disagree."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from . import classify, store, territories

CENTRES = {"FR": "France", "REG": "la région", "val": "une valeur"}


@dataclass(frozen=True)
class MapModel:
    classes: classify.Classes
    colours: tuple[str, ...]
    method: str
    k: int
    manual: tuple[float, ...]
    reference: float | None = None

    def classes_of(self, values: np.ndarray) -> classify.Classes:
        """Another year's values in this map's classes (compared years share one legend)."""
        return classify.classify(values, self.method, self.k, list(self.manual),
                                 bounds=self.classes.bounds, lower=self.classes.lower)


def model(values: np.ndarray, method: str, k: int, manual: list[float], polarity: int,
          reference: float | None = None, compared: tuple[np.ndarray, ...] = ()) -> MapModel:
    """Classes of `values` (pooled with the `compared` years' values, so that one colour means one
    range on every map), and the palette: sequential by the indicator's polarity, or diverging at
    the class that holds `reference`."""
    pooled = classify.classify(np.concatenate([values, *compared]), method, k, manual) if compared else None
    cl = classify.classify(values, method, k, manual, bounds=pooled.bounds if pooled else None,
                           lower=pooled.lower if pooled else None)
    centre = int(np.searchsorted(np.asarray(cl.bounds), reference)) if reference is not None and cl.k else None
    colours = classify.palette(cl.k, polarity, min(centre, cl.k - 1) if centre is not None else None)
    return MapModel(cl, tuple(colours), method, k, tuple(manual), reference)


def reference_code(con: duckdb.DuckDBPyConnection, centre: str, within: str | None) -> str | None:
    """The territory a diverging palette is centred on: France, or the région of the map's extent
    (itself, or the région of a département); None when the extent has no région (France entière)."""
    if centre == "FR":
        return "FR"
    if centre != "REG" or within is None:
        return None
    return territories.get(con, within)["parent_reg"] if within.startswith("DEP") else within


def reference_value(con: duckdb.DuckDBPyConnection, indicator: str, code: str | None,
                    period: tuple[int, int]) -> float | None:
    """The reference territory's value for the period shown; None when it is not published."""
    if code is None:
        return None
    s = store.series(con, [code], [indicator])
    s = s[(s["period_start"] == period[0]) & (s["year"] == period[1])]
    return float(s["value"].iloc[0]) if not s.empty else None
