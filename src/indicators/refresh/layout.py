"""What every adapter shares: the French refusals (a changed layout, a failed check) and the summary
of a file that passed."""
from __future__ import annotations

import re
from dataclasses import dataclass


class LayoutChanged(Exception):
    """The publisher's file no longer has the columns the adapter reads; the message is French."""


class CheckFailed(Exception):
    """The file is read but its figures do not add up; the message is French."""


@dataclass(frozen=True)
class Summary:
    rows: int
    years: tuple[int, int]
    detail: str


QUOTED = 200  # characters of a file quoted in any message: a hostile header must not fill the cron's log


def quote(text: object, limit: int = QUOTED) -> str:
    text = str(text).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def require_columns(name: str, header: list[str], required: tuple[str, ...], publisher: str) -> None:
    """Columns are read by name: a missing one is a layout change, refused with what was found."""
    missing = [c for c in required if c not in header]
    if missing:
        found = quote(", ".join(quote(h, 40) for h in header[:10]) + ("…" if len(header) > 10 else ""))
        raise LayoutChanged(f"{quote(name, 80)} : colonnes absentes {', '.join(missing)} (trouvées : {found}) ; le "
                            f"format de {publisher} a changé, rien n'est chargé")


def year_columns(header: list[str], pattern: str) -> dict[int, str]:
    """Columns that carry a year in their name (`PMUN2023`, `Effectifs salariés 2022`), by year."""
    compiled = re.compile(pattern)
    return {int(m.group(1)): h for h in header if (m := compiled.fullmatch(h))}


def contiguous(name: str, years: list[int]) -> None:
    if years != list(range(years[0], years[-1] + 1)):
        raise CheckFailed(f"{name} : années non contiguës ({', '.join(map(str, years))})")
