"""A real OpenID Connect sign-in, end to end in Chromium: the editors' instance shows only « Se
connecter », the provider (a small one started by the test) signs the user in, the app names them and
lets them write."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _page, start_server
from tests.conftest import free_port
from tests.fixtures.oidc_provider import CLIENT_ID, CLIENT_SECRET, USER, Provider

TIMEOUT = 60_000


@pytest.fixture(scope="module")
def oidc_server(tmp_path_factory):
    from indicators.paths import db_path

    folder = tmp_path_factory.mktemp("oidc")
    copy = folder / "observatoire.duckdb"
    shutil.copyfile(db_path(), copy)
    with Provider() as provider:
        port = free_port()
        secrets = folder / "secrets.toml"
        secrets.write_text(f"""[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "secret-de-cookie-de-test-tire-au-hasard"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider.url}/.well-known/openid-configuration"
""")
        yield from start_server(copy, {"OBS_AUTH": "oidc", "OBS_SECRETS": str(secrets)}, port,
                                ("--secrets.files", str(secrets)))


@pytest.fixture()
def oidc_page(browser, oidc_server, request):
    yield from _page(browser, oidc_server, request)


def test_a_real_sign_in_lets_the_user_write(oidc_page):
    page = oidc_page
    page.goto(f"{page.base}/donnees")
    button = page.get_by_role("button", name="Se connecter")
    expect(button).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("input[type='file']")).to_have_count(0)  # nothing but the sign-in screen
    button.click()
    user, domain = USER["email"].split("@")
    # (a zero-width space after « @ » keeps the address from becoming a link)
    expect(page.get_by_text(re.compile(f"Connecté : {re.escape(user)}@\u200b?{re.escape(domain)}"))).to_be_visible(
        timeout=TIMEOUT)
    page.goto(f"{page.base}/donnees")
    expect(page.get_by_role("heading", name="Importer vos indicateurs")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("input[type='file']").first).to_be_attached(timeout=TIMEOUT)
    assert not page.external_requests
