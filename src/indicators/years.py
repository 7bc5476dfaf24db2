"""Valid years, in one place: what a link, a form or an imported file may say."""
from __future__ import annotations

from datetime import date

FIRST_DATA = 1900    # an imported value's year (or a period's first year)
FIRST_START = 1990   # a programme's start year: the public series begin in 2006
START_AHEAD = 10     # a programme may be declared up to this many years ahead


def this_year() -> int:
    return date.today().year


def last_data() -> int:
    """The last year a value may carry: a provisional figure for next year at most."""
    return this_year() + 1


def last_start() -> int:
    return this_year() + START_AHEAD


def valid_start(year: int) -> bool:
    return FIRST_START <= year <= last_start()


def valid_data(year: int) -> bool:
    return FIRST_DATA <= year <= last_data()
