"""Tables of figures shown beside the charts, in French: pure functions from series to frames."""
from __future__ import annotations

import pandas as pd

from . import store
from .format import MISSING, fr_number, fr_numbers, period_label


def format_values(values: pd.Series, decimals: int) -> pd.Series:
    """French numbers for display; missing values say so instead of showing 0 or blank."""
    return pd.Series(fr_numbers(values.astype(float).tolist(), decimals), index=values.index, dtype=object)


def values_table(series: pd.DataFrame, order: list[str], decimals: int) -> pd.DataFrame:
    """Territories × periods in French format; « donnée non disponible » where there is no value."""
    table = series.assign(
        période=[period_label(p, y) for p, y in zip(series["period_start"], series["year"], strict=True)],
        valeur=format_values(series["value"], decimals),
    ).pivot_table(index="territory_label", columns="période", values="valeur", aggfunc="first")
    # Rows in the order of the codes; a territory with two scopes (France, France métropolitaine) gets both.
    seen = series.drop_duplicates(["territory", "territory_label"])
    rank = {c: i for i, c in enumerate(order)}
    rows = sorted(seen["territory_label"], key=lambda lab: rank.get(seen.loc[seen["territory_label"] == lab,
                                                                              "territory"].iloc[0], len(rank)))
    table = table.loc[list(dict.fromkeys(rows)), sorted(table.columns, key=lambda p: (len(p) > 4, p))]
    return table.rename_axis(index="Territoire").fillna(MISSING)


def key_figures(series: pd.DataFrame, table: dict, target: str, refs: list[str],
                labels: dict[str, str]) -> pd.DataFrame:
    """Latest value of every indicator for the territory, with the same period for its références."""
    rows = []
    for ind_id, ind in table.items():
        own = series[(series["indicator"] == ind_id) & (series["territory"] == target)]
        if own.empty:
            rows.append({"Indicateur": ind.label, "Période": "–", labels[target]: MISSING})
            continue
        last = own.sort_values(["year", "period_start"]).iloc[-1]
        same = series[(series["indicator"] == ind_id) & (series["year"] == last["year"])
                      & (series["period_start"] == last["period_start"])].drop_duplicates("territory").set_index("territory")
        row = {"Indicateur": f"{ind.label} ({ind.unit})",
               "Période": period_label(int(last["period_start"]), int(last["year"]))}
        for code in [target, *refs]:
            value = same["value"].get(code)
            scope = " (France métropolitaine)" if same["flag"].get(code) == store.METRO_ONLY else ""
            row[labels[code]] = fr_number(value, ind.decimals) + (scope if value is not None else "")
        rows.append(row)
    return pd.DataFrame(rows).fillna(MISSING)
