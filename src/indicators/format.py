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


def parse_number(text: str) -> float | None:
    """`1 234,5`, `1234.5`, `−3`, `12,5 %` → float; anything else → None."""
    t = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("−", "-").rstrip("%")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", t):  # 1.234,5 (dots as thousands)
        t = t.replace(".", "")
    t = t.replace(",", ".")
    try:
        return float(t) if re.fullmatch(r"-?\d+(\.\d+)?([eE]-?\d+)?", t) else None
    except ValueError:
        return None
