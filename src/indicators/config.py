"""Deployment settings, all from `OBS_*` environment variables, read in one place and checked at
start-up: a bad value stops with a French message naming the variable, never a traceback later."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache

from .errors import ObservatoireError


class ConfigError(ObservatoireError):
    """A setting has a value the product cannot use."""


@dataclass(frozen=True)
class Settings:
    mode: str             # OBS_MODE: "edition" (imports and group edits) or "public" (read only)
    max_upload_mb: float  # OBS_MAX_UPLOAD_MB: largest file the import page accepts

    @property
    def editable(self) -> bool:
        return self.mode == "edition"

    @property
    def upload_hard_cap_mb(self) -> int:
        """What the upload widget lets through, so that a file over our limit reaches the page and is
        refused there in French (Streamlit's own refusal above this cap is in English)."""
        return int(max(4 * self.max_upload_mb, self.max_upload_mb + 50))


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ConfigError(f"{name} = « {raw} » n'est pas un nombre.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{name} = « {raw} » : attendu entre {low:g} et {high:g}.")
    return value


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = os.environ.get(name, "").strip().lower() or default
    if raw not in allowed:
        raise ConfigError(f"{name} = « {raw} » : valeurs possibles : {', '.join(allowed)}.")
    return raw


@lru_cache(maxsize=1)
def _cached(key: tuple[str, ...]) -> Settings:
    return Settings(mode=_choice("OBS_MODE", "edition", ("edition", "public")),
                    max_upload_mb=_number("OBS_MAX_UPLOAD_MB", 20.0, 0.000001, 500.0))


def settings() -> Settings:
    """The current settings (re-read when the environment changes, as tests do)."""
    return _cached(tuple(os.environ.get(k, "") for k in ("OBS_MODE", "OBS_MAX_UPLOAD_MB")))
