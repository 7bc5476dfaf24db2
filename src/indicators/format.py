"""French number and period formats (`12 345,6`), used by every view and export."""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from collections.abc import Iterable

NBSP = "\u202f"  # narrow no-break space, the French thousands separator
MISSING = "donnée non disponible"


_FRENCH = str.maketrans({",": NBSP, ".": ",", "-": "−"})


def fr_number(value: float | int | None, decimals: int = 0, missing: str = MISSING) -> str:
    """`12345.61` → `12 345,6` (with 1 decimal); None or NaN → the missing-data text, never 0."""
    return fr_numbers((value,), decimals, missing)[0]


def fr_numbers(values: Iterable[float | None], decimals: int = 0, missing: str = MISSING) -> list[str]:
    """`fr_number` over many values at once (35 000 communes in a table)."""
    spec = f",.{decimals}f"
    return [missing if v is None or v != v else format(v, spec).translate(_FRENCH) for v in values]


def fr_int(value: float | int | None) -> str:
    return fr_number(value, 0)


def fr_ordinal(rank: int) -> str:
    """`1er`, `2e`, `605e`: French ordinals as ranks are read."""
    return f"{fr_int(rank)}{'er' if int(rank) == 1 else 'e'}"


def fr_datetime(iso: str | None) -> str:
    """An ISO timestamp (as stored in the build metadata) read the French way: `24/11/2026 à 23 h 59 (UTC)`."""
    if not iso:
        return MISSING
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    zone = " (UTC)" if when.utcoffset() == timedelta(0) else ""
    return f"{when:%d/%m/%Y} à {when:%H} h {when:%M}{zone}"


def fr_signed(value: float | None, decimals: int = 0) -> str:
    text = fr_number(value, decimals)
    return f"+{text}" if value is not None and not math.isnan(value) and value > 0 else text


def period_label(period_start: int, year: int) -> str:
    """`2018` for a year, `2013–2018` for a span."""
    return str(year) if period_start == year else f"{period_start}–{year}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


def years_text(years: Iterable[int]) -> str:
    """The years a series has, as a reader says them: `2006–2023`, `2013 et 2018`, `2020 et 2022–2023`."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return _and([period_label(a, b) for a, b in runs]) if runs else "aucune année"


def spans_text(spans: Iterable[tuple[int, int]]) -> str:
    """Census spans as `2008–2013, 2013–2018 et 2013–2019`."""
    spans = sorted(set(spans), key=lambda s: (s[1], s[0]))
    return _and([period_label(a, b) for a, b in spans]) if spans else "aucune période"


_SPACES = str.maketrans({"\u202f": None, "\xa0": None, " ": None, "−": "-"})
_PLAIN = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_GROUPED_DOT = re.compile(r"-?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")     # 1.234.567,8
_GROUPED_COMMA = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")   # 1,234,567.8
_AMBIGUOUS = re.compile(r"-?[1-9]\d{0,2}[.,]\d{3}")                      # 1.250 or 1,250: ×1 or ×1 000?
LARGEST = 1e15  # beyond this, a value is a typing or export error, not a territorial figure


def _clean(text: str) -> str:
    return str(text).translate(_SPACES).rstrip("%").strip()


def decimal_convention(texts: Iterable[str]) -> str | None:
    """Which decimal separator a column uses, decided from all its values: "comma", "point", or None
    when no value settles it (only `1.250`-like values, or none with a separator)."""
    comma = point = 0
    for raw in texts:
        t = _clean(raw)
        if "," in t and "." in t:
            comma, point = (comma + 1, point) if t.rfind(",") > t.rfind(".") else (comma, point + 1)
        elif _AMBIGUOUS.fullmatch(t):
            continue
        elif t.count(".") > 1 and _GROUPED_DOT.fullmatch(t):
            comma += 1
        elif t.count(",") > 1 and _GROUPED_COMMA.fullmatch(t):
            point += 1
        elif "," in t:
            comma += 1
        elif "." in t:
            point += 1
    if comma and not point:
        return "comma"
    if point and not comma:
        return "point"
    return None


def is_ambiguous(text: str, convention: str | None) -> bool:
    """`1.250` in a column whose convention is unknown: read as 1,25, but worth a warning."""
    return convention is None and bool(_AMBIGUOUS.fullmatch(_clean(text)))


def parse_number(text: str, convention: str | None = None) -> float | None:
    """`1 234,5`, `1234.5`, `−3`, `12,5 %` → float; anything else, or a non-finite or absurdly large
    value, → None. With a column's `convention`, the other separator is a thousands separator only
    where it groups digits by three; without one, a lone separator is decimal (never ×1 000)."""
    t = _clean(text)
    if len(t) > 40:
        return None
    if convention == "comma" or (convention is None and "," in t and "." in t and t.rfind(",") > t.rfind(".")):
        if "." in t and _GROUPED_DOT.fullmatch(t):
            t = t.replace(".", "")
        t = t.replace(",", ".")
    elif convention == "point" or (convention is None and "," in t and "." in t):
        if "," in t and _GROUPED_COMMA.fullmatch(t):
            t = t.replace(",", "")
        t = t.replace(",", ".") if t.count(",") == 1 and "." not in t else t
    else:
        if t.count(".") > 1 and _GROUPED_DOT.fullmatch(t):
            t = t.replace(".", "")
        elif t.count(",") > 1 and _GROUPED_COMMA.fullmatch(t):
            t = t.replace(",", "")
        t = t.replace(",", ".")
    if not _PLAIN.fullmatch(t):
        return None
    value = float(t)
    return value if math.isfinite(value) and abs(value) <= LARGEST else None
