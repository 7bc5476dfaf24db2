"""The view state a user can see, bound to the URL (`st.query_params`) and to the session: the keys,
views and pages themselves are declared in `indicators.links` (no Streamlit there); here they are
read from a link or this session and written back as the user changes a widget."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import math

import streamlit as st

# The declarations pages use as state.X (re-exported: one import for a page's state).
from indicators.links import (  # noqa: F401
    COMPARER_SECTIONS, GROUP, INDICATOR, MAX_WEIGHT, SHARED, SMALL, TARGET, TERRITORIES, YEAR_FROM, YEAR_TO,
    CarteView, ComparerView, EvolutionsView, ExporterView, Param, TerrainView, View, permalink,
)

_MEMO = "url:"
_NOTICES = "url_notices"
_WRITTEN = "url_written"  # the text the pages last wrote under each key in this session
V = TypeVar("V", bound=View)

# ---- Binding to Streamlit: the URL first, else the value this session last had on the page. ----

def _memo_key(param: Param) -> str:
    return _MEMO + param.key if param.page == SHARED else f"{_MEMO}{param.page}:{param.key}"


def _raw(param: Param) -> tuple[str | None, bool]:
    """The URL's text for a key (or an older name of it), else this session's; and whether it came
    from the URL."""
    for name in (param.key, *param.aliases):
        if name in st.query_params:
            return st.query_params[name], True
    return st.session_state.get(_memo_key(param)), False


def read(param: Param, options: Sequence[Any] | None = None, default: Any = None,
         bounds: tuple[float, float] | None = None) -> Any:
    """The valid value of a key. A replaced value from the link is announced once (see `notices`)."""
    raw, from_url = _raw(param)
    value, notice = param.parse(raw, options, default, bounds)
    if notice and from_url and st.session_state.get(_WRITTEN, {}).get(_memo_key(param)) != raw:
        # Only a value a person brought in a link is announced: one the page itself wrote (the year of
        # a level the user just left) is replaced quietly, the widget shows the new one.
        said = st.session_state.setdefault(_NOTICES, [])
        if notice not in said:  # a key read twice in a run (the view, then its widget) is announced once
            said.append(notice)
    return value


def load(view: type[V]) -> V:
    """A page's view from its link (or this session's last values), static checks done; keys whose
    options are known only at run time are checked again by the page with `read(..., options)`."""
    return view(**{name: read(param) for name, param in view.params().items()})


def write(param: Param, value: Any) -> None:
    """Write a value (lists joined by commas); an empty value (or an omitted default) removes the key."""
    text = param.dump(value)
    st.session_state[_memo_key(param)] = text or ""
    st.session_state.setdefault(_WRITTEN, {})[_memo_key(param)] = text
    for old in param.aliases:  # an older link's name gives way to the current one
        if old in st.query_params:
            del st.query_params[old]
    if text is None:
        if param.key in st.query_params:
            del st.query_params[param.key]
    elif st.query_params.get(param.key) != text:
        st.query_params[param.key] = text


def link(view: type[View]) -> str:
    """The absolute link of the view on screen, for exports: the URL read as its page's view, so older
    key names come out under the current ones and unknown keys are left out."""
    return permalink(view.from_params(st.query_params.to_dict())[0])


def notices() -> list[str]:
    """The values of this run's link that were replaced; cleared once read."""
    return st.session_state.pop(_NOTICES, [])


def weights(param: Param, defaults: dict[str, float]) -> dict[str, float]:
    """Weights written as `population:2,density:1`, each in [0, 10]; unknown names and non-finite
    numbers are ignored, missing ones default."""
    out = dict(defaults)
    raw = read(param) or ""
    for part in raw.split(",")[:50]:
        name, _, value = part.partition(":")
        if name in out:
            try:
                number = float(value)
            except ValueError:
                continue
            if math.isfinite(number):
                out[name] = min(max(number, 0.0), MAX_WEIGHT)
    return out


def write_weights(param: Param, values: dict[str, float], defaults: dict[str, float]) -> None:
    write(param, ",".join(f"{k}:{v:g}" for k, v in values.items()) if values != defaults else None)


# ---- Widgets bound to a key: opened on the link's (or this session's) value, written back as changed. ----

def _key(param: Param, key: str | None) -> str:
    return key or f"w_{param.key}"


def select(param: Param, label: str, options: Sequence[Any], *, default: Any = None, where: Any = st,
           key: str | None = None, **kw: Any) -> Any:
    """A selectbox on a key's value among `options` (the first, or `default`, when the link has none)."""
    options = list(options)
    if default is None:
        default = param.default if param.default in options else options[0]
    numeric = param.kind in ("int", "float")  # a year among those the base holds: clamped to them first
    current = read(param, None if numeric else options, default, (min(options), max(options)) if numeric else None)
    current = current if current in options else default
    chosen = where.selectbox(label, options, index=options.index(current), key=_key(param, key), **kw)
    write(param, chosen)
    return chosen


def number(param: Param, label: str, low: int | float, high: int | float, *, default: Any = None, where: Any = st,
           key: str | None = None, **kw: Any) -> Any:
    """A number input on a key's value, bounded like the link's value."""
    value = where.number_input(label, low, high, read(param, default=default, bounds=(low, high)),
                               key=_key(param, key), **kw)
    write(param, value)
    return value


def toggle(param: Param, label: str, *, where: Any = st, key: str | None = None, **kw: Any) -> bool:
    """A toggle on a yes/no key."""
    on = where.toggle(label, bool(read(param)), key=_key(param, key), **kw)
    write(param, on)
    return on


def segmented(param: Param, label: str, names: dict[str, str], *, where: Any = st, key: str | None = None) -> str:
    """A segmented control over a choice key's options, named in French by `names`."""
    current = read(param, list(names))
    chosen = where.segmented_control(label, list(names), format_func=names.get, key=_key(param, key),
                                     default=current) or param.default
    write(param, chosen)
    return chosen
