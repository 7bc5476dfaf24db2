"""Deployment settings, all from `OBS_*` environment variables, read in one place and checked at
start-up: a bad value stops with a French message naming the variable, never a traceback later."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ObservatoireError


class ConfigError(ObservatoireError):
    """A setting has a value the product cannot use."""


@dataclass(frozen=True)
class Settings:
    mode: str             # OBS_MODE: "edition" (imports and group edits) or "public" (read only)
    max_upload_mb: float  # OBS_MAX_UPLOAD_MB: largest file the import page accepts
    auth: str = "none"    # OBS_AUTH: "none" (local use), "oidc" (st.login, [auth] in secrets.toml), "proxy"
    tiles: str = ""       # OBS_TILES: "URL|attribution" of a basemap for the Terrain page (none offline)
    base_url: str = ""    # OBS_BASE_URL: public address printed in exports' links (paths.BASE_URL)

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


SECRETS = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml"
VARIABLES = ("OBS_MODE", "OBS_MAX_UPLOAD_MB", "OBS_AUTH", "OBS_TILES", "OBS_SECRETS", "OBS_BASE_URL")


def _base_url() -> str:
    raw = os.environ.get("OBS_BASE_URL", "").strip()
    if raw and (not raw.startswith(("http://", "https://")) or any(c.isspace() for c in raw) or len(raw) > 200):
        raise ConfigError(f"OBS_BASE_URL = « {raw[:80]} » : attendu une adresse comme https://observatoire.example.fr.")
    return raw


def _tiles() -> str:
    raw = os.environ.get("OBS_TILES", "").strip()
    if raw and not (raw.startswith("https://") and "{z}" in raw and "{x}" in raw and "{y}" in raw):
        raise ConfigError(f"OBS_TILES = « {raw[:80]} » : attendu « https://…/{{z}}/{{x}}/{{y}}.png|attribution ».")
    return raw


def _auth(mode: str) -> str:
    auth = _choice("OBS_AUTH", "none", ("none", "oidc", "proxy"))
    if auth == "oidc" and mode == "edition":
        secrets = Path(os.environ.get("OBS_SECRETS", SECRETS))
        if not secrets.exists() or "[auth" not in secrets.read_text(encoding="utf-8", errors="replace"):
            raise ConfigError(f"OBS_AUTH = oidc : il faut une section [auth] (fournisseur OpenID Connect : "
                              f"client_id, client_secret, server_metadata_url, redirect_uri, cookie_secret) dans {secrets}.")
    return auth


@lru_cache(maxsize=1)
def _cached(key: tuple[str, ...]) -> Settings:
    mode = _choice("OBS_MODE", "edition", ("edition", "public"))
    return Settings(mode=mode, max_upload_mb=_number("OBS_MAX_UPLOAD_MB", 20.0, 0.000001, 500.0),
                    auth=_auth(mode), tiles=_tiles(), base_url=_base_url())


def settings() -> Settings:
    """The current settings (re-read when the environment changes, as tests do)."""
    return _cached(tuple(os.environ.get(k, "") for k in VARIABLES))
