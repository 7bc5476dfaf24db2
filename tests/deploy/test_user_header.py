"""The shipped nginx decides who is signed in: a header a browser forges under the user's name never
reaches the app; with an identity provider's check endpoint, the user it names does."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
NGINX = "/usr/sbin/nginx"


class Echo(BaseHTTPRequestHandler):
    """The app's stand-in: answers with the headers it received."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps(dict(self.headers)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Idp(BaseHTTPRequestHandler):
    """An identity provider's check endpoint (as oauth2-proxy's /oauth2/auth): the user in a header."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(202)
        self.send_header("X-Auth-Request-User", "alice@region-test.fr")
        self.send_header("Content-Length", "0")
        self.end_headers()


def _serve(handler) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.mark.parametrize("with_idp", [False, True])
def test_a_forged_user_header_never_reaches_the_app(tmp_path, with_idp):
    if not Path(NGINX).exists():
        pytest.skip("nginx absent (apt-get install -y nginx)")
    from serve import nginx_conf

    app, app_port = _serve(Echo)
    idp, idp_port = _serve(Idp)
    port = free_port()
    conf = nginx_conf(tmp_path, port, [app_port], 20, "X-Forwarded-User",
                      f"http://127.0.0.1:{idp_port}/oauth2/auth" if with_idp else "")
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/donnees",
                                         headers={"X-Forwarded-User": "<img src=x> mallory"})
        for _ in range(50):
            try:
                with urllib.request.urlopen(request, timeout=5) as r:
                    seen = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.1)
        user = {k.lower(): v for k, v in seen.items()}.get("x-forwarded-user", "")
        assert "mallory" not in user
        assert user == ("alice@region-test.fr" if with_idp else "")
    finally:
        proc.terminate()
        proc.wait(10)
        app.shutdown()
        idp.shutdown()


def test_the_proxy_sends_its_secret_and_replaces_a_forged_one(tmp_path):
    """nginx adds the per-run secret the app checks (a direct caller of a Streamlit port lacks it), and a
    browser that sends its own value under that name sees it replaced."""
    if not Path(NGINX).exists():
        pytest.skip("nginx absent (apt-get install -y nginx)")
    from serve import nginx_conf

    app, app_port = _serve(Echo)
    port = free_port()
    secret = "p" * 43  # SYNTHETIC
    conf = nginx_conf(tmp_path, port, [app_port], 20, "X-Forwarded-User", "", proxy_secret=secret)
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/donnees",
                                         headers={"X-Observatoire-Proxy": "devine", "X-Forwarded-User": "mallory"})
        for _ in range(50):
            try:
                with urllib.request.urlopen(request, timeout=5) as r:
                    seen = {k.lower(): v for k, v in json.loads(r.read()).items()}
                break
            except OSError:
                time.sleep(0.1)
        assert seen["x-observatoire-proxy"] == secret and "mallory" not in seen.get("x-forwarded-user", "")
    finally:
        proc.terminate()
        proc.wait(10)
        app.shutdown()
