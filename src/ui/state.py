"""The view state a user can see, kept in the URL (`st.query_params`) so any view is a shareable link.

Every page reads and writes its controls through these helpers; nothing else touches query_params.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

T = TypeVar("T")

_MEMO = "url:"
TERRITORIES = "t"
INDICATOR = "i"


MAX_TEXT = 2_000  # characters of one URL value: a longer one is hostile, not a view


def _raw(key: str) -> str | None:
    """The URL's value; else the last value of this session (page switches drop query parameters).
    An empty value means "not set": the default applies."""
    raw = st.query_params[key] if key in st.query_params else st.session_state.get(_MEMO + key)
    if raw is None or raw == "" or len(raw) > MAX_TEXT:
        return None
    return raw


def get_str(key: str, default: str | None = None) -> str | None:
    raw = _raw(key)
    return default if raw is None else raw


def get_int(key: str, default: int, low: int, high: int) -> int:
    """An integer from the URL, clamped into [low, high]: a crafted link never asks for more work
    than the control itself allows (`kc=-5` or `k=99999` used to cost minutes)."""
    try:
        value = int(float(_raw(key)))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(value, low), high)


def get_float(key: str, default: float, low: float, high: float) -> float:
    """A finite number from the URL, clamped into [low, high]; `inf`, `nan` and text give the default."""
    try:
        value = float(_raw(key))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    if not math.isfinite(value):
        return default
    return min(max(value, low), high)


def get_list(key: str, limit: int = 50) -> list[str]:
    """A list parameter, written as one comma-separated value (short, readable links); repeated
    entries once, at most `limit` of them."""
    raw = _raw(key) or ""
    return list(dict.fromkeys(v for v in raw.split(",") if v))[:limit]


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


MAX_WEIGHT = 10.0


def get_weights(key: str, defaults: dict[str, float]) -> dict[str, float]:
    """Weights written as `population:2,density:1`, each in [0, 10]; unknown names and non-finite
    numbers are ignored, missing ones default."""
    out = dict(defaults)
    for part in get_list(key):
        name, _, value = part.partition(":")
        if name in out:
            try:
                number = float(value)
            except ValueError:
                continue
            if math.isfinite(number):
                out[name] = min(max(number, 0.0), MAX_WEIGHT)
    return out


def put_weights(key: str, weights: dict[str, float], defaults: dict[str, float]) -> None:
    put(key, [f"{k}:{v:g}" for k, v in weights.items()] if weights != defaults else None)
