"""Sign-in settings checked at start (a commented « [auth] » is no section), the one header a proxy
names the user in, read as plain text."""
from __future__ import annotations

import re

import pytest

from indicators import config
from ui.access import user_from_headers

GOOD = """[auth]
redirect_uri = "https://observatoire.example.fr/oauth2callback"
cookie_secret = "une-longue-chaine-tiree-au-hasard"
client_id = "observatoire"
client_secret = "secret"
server_metadata_url = "https://idp.example.fr/.well-known/openid-configuration"
"""


@pytest.mark.parametrize("text,message", [
    ("# [auth] à compléter\n", "pas de section [auth]"),
    (GOOD.replace('client_secret = "secret"\n', ""), "clés manquantes ou vides dans [auth] : client_secret"),
    (GOOD.replace('client_id = "observatoire"', 'client_id = ""'), "clés manquantes ou vides dans [auth] : client_id"),
    (GOOD.replace("/oauth2callback", "/retour"), "redirect_uri doit être l'adresse de l'observatoire suivie de"),
    (GOOD.replace("https://idp", "idp"), "server_metadata_url doit être une adresse http(s)"),
    (GOOD.replace("une-longue-chaine-tiree-au-hasard", "court"), "cookie_secret trop court"),
    ("[auth\nredirect_uri = 1", "fichier illisible"),
])
def test_an_incomplete_auth_section_stops_the_start_in_french(tmp_path, monkeypatch, text, message):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(text)
    monkeypatch.setenv("OBS_AUTH", "oidc")
    monkeypatch.setenv("OBS_SECRETS", str(secrets))
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.settings()


def test_a_complete_auth_section_passes(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(GOOD)
    monkeypatch.setenv("OBS_AUTH", "oidc")
    monkeypatch.setenv("OBS_SECRETS", str(secrets))
    assert config.settings().auth == "oidc"


SECRET = "s" * 40  # SYNTHETIC proxy secret


def test_the_proxy_user_is_one_configured_header_as_plain_text(monkeypatch):
    headers = {"X-Forwarded-User": "<img src=x onerror=alert(1)>\u202enimda", "X-Remote-User": "autre",
               "X-Observatoire-Proxy": SECRET}
    assert user_from_headers(headers, "X-Forwarded-User", SECRET) == "img src=x onerror=alert(1)nimda"
    assert user_from_headers(headers, "X-Auth-Request-Email", SECRET) is None  # only the configured header counts
    assert user_from_headers({"X-Forwarded-User": "  \u200b ", "X-Observatoire-Proxy": SECRET}, "X-Forwarded-User",
                             SECRET) is None
    monkeypatch.setenv("OBS_USER_HEADER", "X-Auth-Request-Email")
    assert config.settings().user_header == "X-Auth-Request-Email"
    monkeypatch.setenv("OBS_USER_HEADER", "X Forwarded: User")
    with pytest.raises(config.ConfigError, match="OBS_USER_HEADER"):
        config.settings()


def test_only_the_proxy_can_name_a_user(monkeypatch):
    """A local caller reaching a Streamlit port directly with its own X-Forwarded-User (it undid an import
    journaled as « mallory ») names nobody: the user counts only with the secret the proxy adds."""
    forged = {"X-Forwarded-User": "mallory"}
    assert user_from_headers(forged, "X-Forwarded-User", SECRET) is None
    assert user_from_headers({**forged, "X-Observatoire-Proxy": "s" * 39 + "t"}, "X-Forwarded-User", SECRET) is None
    assert user_from_headers({**forged, "X-Observatoire-Proxy": SECRET}, "X-Forwarded-User", "") is None  # no secret set
    monkeypatch.setenv("OBS_PROXY_SECRET", "court")
    with pytest.raises(config.ConfigError, match="OBS_PROXY_SECRET"):
        config.settings()
