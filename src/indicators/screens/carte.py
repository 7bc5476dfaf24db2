"""The Carte page for a set of choices: the values of a level, their classes and palette (shared with
the compared years), the reference of a diverging palette, what the status line says, the ranked
table and the data behind the export."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from .. import choropleth, classify, compare, links, store, territories
from ..format import fr_int, fr_number, period_label


@dataclass(frozen=True)
class Choices:
    """The view once resolved against the base (every value valid, hashable for the page's cache)."""
    indicator: str
    level: str
    within: str | None            # None: France entière
    period: tuple[int, int]       # (period_start, year)
    method: str = "quantiles"
    k: int = 5
    manual: tuple[float, ...] = ()
    palette: str = "auto"         # auto | div
    centre: str = "FR"            # FR | REG | val (diverging palettes only)
    refval: float = 0.0
    others: tuple[tuple[int, int], ...] = ()   # other periods drawn with the same classes
    group: str | None = None      # outlined
    include_small: bool = False
    members_only: bool = False    # the group as the extent: only its members at the level
    group_name: str = ""


@dataclass(frozen=True)
class Screen:
    values: pd.DataFrame          # code, label, value, n, small… for every territory of the extent
    model: choropleth.MapModel
    reference: float | None
    reference_note: str           # said when a diverging palette has no reference
    others: dict[str, tuple[pd.DataFrame, classify.Classes]]  # period label → values, classes
    outline: frozenset[str]
    small_rule: str | None

    @property
    def codes(self) -> list[str]:
        return self.values["code"].tolist()

    @property
    def numbers(self) -> np.ndarray:
        return self.values["value"].to_numpy(dtype=float)


def periods_in_link(periods: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """The periods as a link writes them (`2013-2018`, `2021`) → (period_start, year)."""
    return {period_label(int(p), int(y)).replace("–", "-"): (int(p), int(y))
            for p, y in zip(periods["period_start"], periods["year"], strict=True)}


def build(con: duckdb.DuckDBPyConnection, c: Choices) -> Screen | None:
    """Everything the map, its legend, the compared years and the table show; None when the extent
    holds no territory of the level."""
    outline = territories.codes_at_level(con, territories.group_members(con, c.group)["code"].tolist(), c.level) \
        if c.group else set()

    def values_of(period: tuple[int, int]) -> pd.DataFrame:
        v = store.level_values(con, c.indicator, c.level, period[1], period[0], c.within)
        return v[v["code"].isin(outline)].reset_index(drop=True) if c.members_only and c.group else v

    values = values_of(c.period)
    if values.empty:
        return None
    ind = store.indicator(con, c.indicator)
    others = {period_label(*p): values_of(p) for p in c.others}
    reference, note = _reference(con, c)
    model = choropleth.model(values["value"].to_numpy(dtype=float), c.method, c.k, list(c.manual), ind.polarity,
                             reference, tuple(o["value"].to_numpy(dtype=float) for o in others.values()))
    return Screen(values, model, reference, note,
                  {p: (o, model.classes_of(o["value"].to_numpy(dtype=float))) for p, o in others.items()},
                  frozenset(outline), store.small_rule(con, c.indicator))


def _reference(con: duckdb.DuckDBPyConnection, c: Choices) -> tuple[float | None, str]:
    if c.palette != "div":
        return None, ""
    if c.centre == "val":
        return c.refval, ""
    value = choropleth.reference_value(con, c.indicator, choropleth.reference_code(con, c.centre, c.within), c.period)
    if value is not None:
        return value, ""
    if c.within is None and c.centre == "REG":
        return None, ("Palette divergente sans référence : choisissez une emprise (région ou département) pour centrer "
                      "sur la région, ou une valeur.")
    return None, "Palette divergente sans référence : donnée non disponible pour la référence à cette date."


def status(screen: Screen, shapeless: int) -> str:
    """The line under the map: how many territories have a value, how to move, what has no outline."""
    cl = screen.model.classes
    return (f"{fr_int(len(screen.values) - cl.missing)} territoires avec une valeur ; {fr_int(cl.missing)} en « donnée "
            "non disponible » (gris). Ctrl + molette (ou un clic puis la molette) : zoom ; glisser ou flèches du "
            "clavier : déplacer ; clic : fiche du territoire."
            + (f" {fr_int(shapeless)} sans contour dans la source cartographique : voir le tableau." if shapeless else "")
            + (f" Référence : {fr_number(screen.reference, 2)}" if screen.reference is not None else ""))


def ranked_table(values: pd.DataFrame, ind: store.IndicatorRow, include_small: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    """The map's territories ranked by the indicator's polarity (small counts unranked unless asked),
    best first, with the decimals of each column."""
    column = f"{ind.label} ({ind.unit})"
    table = pd.DataFrame({
        "Rang": compare.local_ranks(values["value"], ind.polarity, ~values["small"] | include_small),
        "Territoire": values["label"], column: values["value"],
        "Effectif faible": values["small"].map({True: "oui", False: ""})})
    return table.sort_values("Rang", na_position="last"), {column: ind.decimals}


def export_table(values: pd.DataFrame, ind: store.IndicatorRow, period: tuple[int, int]) -> pd.DataFrame:
    """The data behind the map's export, in the long form every export uses (with its small counts)."""
    return values.rename(columns={"code": "territory", "label": "territory_label"}).assign(
        indicator=ind.id, indicator_label=ind.label, period_start=period[0], year=period[1])


def zone_links(con: duckdb.DuckDBPyConnection, code: str, indicator: str) -> list[tuple[str, str, dict | None]]:
    """A commune's study zones for its card: (level, name, the Évolutions view of the commune against that
    zone, then its département, région and France, as URL values), none where INSEE places it outside any
    (« hors unité urbaine »)."""
    refs = territories.references(con, code)
    return [(territories.ZONING_LEVELS[lv][1].capitalize(), name,
             links.EvolutionsView.query(territories=[code], ref=",".join([zone, *refs]), indicator=[indicator])
             if zone else None) for lv, zone, name in territories.zonings_of(con, code)]
