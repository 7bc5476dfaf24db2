"""Files for evaluators: the exact data behind a view as CSV/XLSX, with its metadata and sources."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .format import period_label

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "object" or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


@dataclass(frozen=True)
class ExportMeta:
    title: str
    source: str
    licence: str
    unit: str
    permalink: str = ""
    note: str = ""

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Titre", self.title), ("Unité", self.unit), ("Source", self.source), ("Licence", self.licence),
            ("Date d'export", date.today().isoformat()), ("Lien", self.permalink), ("Note", self.note),
        ]


def series_table(series: pd.DataFrame) -> pd.DataFrame:
    """The tidy table behind a chart: one row per territory and period, missing values left empty."""
    return pd.DataFrame({
        "code": series["territory"],
        "territoire": series["territory_label"],
        "indicateur": series["indicator"],
        "période": [period_label(p, y) for p, y in zip(series["period_start"], series["year"])],
        "début": series["period_start"].astype(int),
        "fin": series["year"].astype(int),
        "valeur": series["value"],
        "statut": series["flag"].fillna(""),
    })


def to_csv(table: pd.DataFrame, french: bool = True) -> bytes:
    """French convention by default (`;`, decimal comma, UTF-8 with BOM so Excel reads accents)."""
    text = _safe(table).to_csv(index=False, sep=";" if french else ",", decimal="," if french else ".")
    return text.encode("utf-8-sig" if french else "utf-8")


def to_xlsx(table: pd.DataFrame, meta: ExportMeta) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
        _safe(table).to_excel(xl, sheet_name="données", index=False)
        pd.DataFrame(meta.rows(), columns=["champ", "valeur"]).map(neutralise).to_excel(
            xl, sheet_name="métadonnées", index=False)
    return buffer.getvalue()
