"""The view state a user can see, kept in the URL (`st.query_params`) so any view is a shareable link.

Every page reads and writes its controls through these helpers; nothing else touches query_params.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

T = TypeVar("T")

_MEMO = "url:"
TERRITORIES = "t"
INDICATOR = "i"


def _raw(key: str) -> str | None:
    """The URL's value; else the last value of this session (page switches drop query parameters)."""
    if key in st.query_params:
        return st.query_params[key]
    return st.session_state.get(_MEMO + key)


def get_str(key: str, default: str | None = None) -> str | None:
    raw = _raw(key)
    return default if raw is None else raw


def get_int(key: str, default: int | None = None) -> int | None:
    try:
        return int(_raw(key))
    except (TypeError, ValueError):
        return default


def get_float(key: str, default: float | None = None) -> float | None:
    try:
        return float(_raw(key))
    except (TypeError, ValueError):
        return default


def get_list(key: str) -> list[str]:
    """A list parameter, written as one comma-separated value (short, readable links)."""
    raw = _raw(key) or ""
    return [v for v in raw.split(",") if v]


def put(key: str, value: object) -> None:
    """Write a value (lists joined by commas); an empty value removes the key."""
    if value is None or value == "" or value == []:
        if key in st.query_params:
            del st.query_params[key]
        st.session_state[_MEMO + key] = ""
        return
    text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    st.session_state[_MEMO + key] = text
    if st.query_params.get(key) != text:
        st.query_params[key] = text


def choice(options: Sequence[T], key: str, default: T, parse: Callable[[str], T] = str) -> T:
    """The URL's value for a control if it is one of the options, else the default."""
    raw = _raw(key)
    try:
        value = parse(raw) if raw is not None else default
    except ValueError:
        value = default
    return value if value in options else default


def get_weights(key: str, defaults: dict[str, float]) -> dict[str, float]:
    """Weights written as `population:2,density:1`; unknown names are ignored, missing ones default."""
    out = dict(defaults)
    for part in get_list(key):
        name, _, value = part.partition(":")
        if name in out:
            try:
                out[name] = max(0.0, float(value))
            except ValueError:
                pass
    return out


def put_weights(key: str, weights: dict[str, float], defaults: dict[str, float]) -> None:
    put(key, [f"{k}:{v:g}" for k, v in weights.items()] if weights != defaults else None)
