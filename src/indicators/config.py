"""Deployment settings, all from `OBS_*` environment variables, read in one place and checked at
start-up: a bad value stops with a French message naming the variable, never a traceback later."""
from __future__ import annotations

import math
import os
import re
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
    user_header: str = "X-Forwarded-User"  # OBS_USER_HEADER: the one header a proxy names the user in
    auth_request: str = ""  # OBS_AUTH_REQUEST: an identity provider's check endpoint nginx asks (oauth2-proxy)
    tiles: str = ""       # OBS_TILES: "URL|attribution" of a basemap for the Terrain page (none offline)
    base_url: str = ""    # OBS_BASE_URL: public address printed in exports' links (paths.BASE_URL)
    proxy_secret: str = ""  # OBS_PROXY_SECRET: what only the proxy sends (PROXY_HEADER), so that a local
    #                         caller reaching a Streamlit port directly cannot name a user

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
def database(default: Path) -> Path:
    """OBS_DB: the database file (a path; read at each call, tests change it)."""
    raw = os.environ.get("OBS_DB", "").strip()
    if raw and ("\x00" in raw or len(raw) > 1000):
        raise ConfigError("OBS_DB : chemin de fichier invalide.")
    return Path(raw) if raw else default


def sources_dir(default: Path) -> Path:
    """OBS_SOURCES: the folder of the publishers' files the build reads."""
    raw = os.environ.get("OBS_SOURCES", "").strip()
    if raw and ("\x00" in raw or len(raw) > 1000):
        raise ConfigError("OBS_SOURCES : chemin de dossier invalide.")
    return Path(raw) if raw else default


_SERVED = {"port": 8501}


def serve_on(port: int) -> None:
    """The port this process answers on (the app says it at start): the default of the printed links."""
    _SERVED["port"] = int(port)


def served_url() -> str:
    return (settings().base_url or f"http://localhost:{_SERVED['port']}").rstrip("/")


VARIABLES = ("OBS_MODE", "OBS_MAX_UPLOAD_MB", "OBS_AUTH", "OBS_TILES", "OBS_SECRETS", "OBS_BASE_URL",
             "OBS_USER_HEADER", "OBS_AUTH_REQUEST", "OBS_DB", "OBS_SOURCES", "OBS_PROXY_SECRET")
PROXY_HEADER = "X-Observatoire-Proxy"  # carries OBS_PROXY_SECRET from the proxy to the app


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


AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


def _auth(mode: str) -> str:
    auth = _choice("OBS_AUTH", "none", ("none", "oidc", "proxy"))
    if auth == "oidc" and mode == "edition":
        check_auth_secrets(Path(os.environ.get("OBS_SECRETS", SECRETS)))
    return auth


def check_auth_secrets(path: Path) -> None:
    """The [auth] section st.login needs, read as TOML (a comment « # [auth] à compléter » is no section),
    every key present and shaped right, and Authlib installed: a server that would fail at the first
    sign-in, in English, does not start."""
    import importlib.util
    import tomllib

    where = f"OBS_AUTH = oidc : {path}"
    for package, name in (("authlib", "Authlib"), ("httpx", "httpx")):
        if importlib.util.find_spec(package) is None:
            raise ConfigError(f"{where} : le paquet {name} manque (pip install -r requirements.txt), st.login en a besoin.")
    try:
        secrets = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where} : fichier absent ; il faut une section [auth] ({', '.join(AUTH_KEYS)}).") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where} : fichier illisible ({str(exc)[:120]}).") from None
    section = secrets.get("auth")
    if not isinstance(section, dict):
        raise ConfigError(f"{where} : pas de section [auth] ({', '.join(AUTH_KEYS)}).")
    missing = [k for k in AUTH_KEYS if not str(section.get(k, "")).strip()]
    if missing:
        raise ConfigError(f"{where} : clés manquantes ou vides dans [auth] : {', '.join(missing)}.")
    redirect, metadata = str(section["redirect_uri"]), str(section["server_metadata_url"])
    if not redirect.startswith(("http://", "https://")) or not redirect.endswith("/oauth2callback"):
        raise ConfigError(f"{where} : redirect_uri doit être l'adresse de l'observatoire suivie de /oauth2callback.")
    if not metadata.startswith(("http://", "https://")):
        raise ConfigError(f"{where} : server_metadata_url doit être une adresse http(s) (…/.well-known/openid-configuration).")
    if len(str(section["cookie_secret"])) < 16:
        raise ConfigError(f"{where} : cookie_secret trop court (16 caractères au moins, tirés au hasard).")


@lru_cache(maxsize=1)
def _cached(key: tuple[str, ...]) -> Settings:
    mode = _choice("OBS_MODE", "edition", ("edition", "public"))
    return Settings(mode=mode, max_upload_mb=_number("OBS_MAX_UPLOAD_MB", 20.0, 0.000001, 500.0),
                    auth=_auth(mode), user_header=_user_header(), auth_request=_auth_request(), tiles=_tiles(),
                    base_url=_base_url(), proxy_secret=_proxy_secret())


def _proxy_secret() -> str:
    raw = os.environ.get("OBS_PROXY_SECRET", "").strip()
    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{32,128}", raw):
        raise ConfigError("OBS_PROXY_SECRET : attendu 32 à 128 lettres, chiffres, « - » ou « _ » tirés au hasard "
                          "(make serve en tire un à chaque démarrage).")
    return raw


def _auth_request() -> str:
    raw = os.environ.get("OBS_AUTH_REQUEST", "").strip()
    if raw and (not re.fullmatch(r"https?://[A-Za-z0-9.\-:\[\]]+(/[A-Za-z0-9._~/\-]*)?", raw) or len(raw) > 200):
        raise ConfigError(f"OBS_AUTH_REQUEST = « {raw[:80]} » : attendu l'adresse du point de contrôle du fournisseur "
                          "d'identité (par exemple http://127.0.0.1:4180/oauth2/auth).")
    return raw


def _user_header() -> str:
    raw = os.environ.get("OBS_USER_HEADER", "").strip() or "X-Forwarded-User"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", raw):
        raise ConfigError(f"OBS_USER_HEADER = « {raw[:80]} » : attendu un nom d'en-tête HTTP (X-Forwarded-User…).")
    return raw


def settings() -> Settings:
    """The current settings (re-read when the environment changes, as tests do)."""
    return _cached(tuple(os.environ.get(k, "") for k in VARIABLES))
