"""Deployment: `scripts/serve.py` runs N processes behind nginx (websocket, affinity, static files
with cache and gzip, a killed process restarted), and the Docker files are well formed."""
from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _listener(port: int) -> int | None:
    """The process listening on a port, read from /proc (no fuser needed)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


@pytest.fixture(scope="module")
def served():
    if not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx absent (apt-get install -y nginx)")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--processes", "2", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "OBS_MODE": "public"})
    line = proc.stdout.readline()
    run = Path(re.search(r"fichiers de nginx dans (\S+)\)", line).group(1))
    base = f"http://127.0.0.1:{port}"
    ports = [int(p) for p in (run / "ports").read_text().split()]
    deadline = time.time() + 90
    for url in [*(f"http://127.0.0.1:{p}/_stcore/health" for p in ports), f"{base}/_stcore/health"]:
        while time.time() < deadline:  # every process, then nginx in front of them
            try:
                if get(url)[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
    yield base, run, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_pages_health_and_static_files_through_nginx(served):
    base, run, _ = served
    status, _, body = get(f"{base}/")
    assert status == 200 and b"<html" in body.lower()
    status, headers, body = get(f"{base}/app/static/vendor/leaflet-1.9.4/leaflet.js", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert "max-age=604800" in headers.get("Cache-Control", "") and b"Leaflet" in gzip.decompress(body)[:2000]
    conf = (run / "nginx.conf").read_text()
    # Streamlit's front end and the app's components come from disk, not from a Python process
    script = re.search(r'src="\./(static/js/index\.[\w-]+\.js)"', get(f"{base}/")[2].decode()).group(1)
    status, headers, _ = get(f"{base}/{script}")
    assert status == 200 and "immutable" in headers.get("Cache-Control", "")
    status, headers, body = get(f"{base}/component/ui.mapview.carte_territoires/index.html")
    assert status == 200 and b"<canvas" in body.lower() and "Expires" in headers
    time.sleep(0.5)
    log = (run / "nginx-access.log").read_text()
    assert not re.search(rf"/{re.escape(script)} .*upstream=127", log) and "upstream=- " in log
    assert "hash $obs_process consistent;" in conf and "proxy_set_header Upgrade $http_upgrade;" in conf


def test_a_browser_stays_on_its_process_and_new_visitors_are_spread(served):
    """One address for everyone (as behind an agency's proxy): the affinity cookie keeps a browser on
    one process, and first visits without it land on both."""
    base, run, _ = served
    _, headers, _ = get(f"{base}/")
    cookie = headers["Set-Cookie"].split(";")[0]
    assert cookie.startswith("obs_process=") and "HttpOnly" in headers["Set-Cookie"]
    for _ in range(12):
        status, again, _ = get(f"{base}/_stcore/health", {"Cookie": cookie})
        assert status == 200 and "Set-Cookie" not in again  # kept, not replaced
    for _ in range(24):
        get(f"{base}/_stcore/health")
    time.sleep(0.5)  # nginx writes its log line after the response
    lines = [li for li in (run / "nginx-access.log").read_text().splitlines() if "/_stcore/health" in li]
    with_cookie = {re.search(r"upstream=(\S+)", li).group(1) for li in lines if f"affinity={cookie[12:]}" in li}
    assert len(with_cookie) == 1
    first_visits = {re.search(r"upstream=(\S+)", li).group(1) for li in lines if f"affinity={cookie[12:]}" not in li}
    assert len(first_visits) == 2


def test_a_killed_process_is_restarted(served):
    base, run, proc = served
    ports = [int(p) for p in (run / "ports").read_text().split()]
    with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/_stcore/health", timeout=5) as r:
        assert r.status == 200
    pid = _listener(ports[0])
    assert pid is not None, f"no process listens on {ports[0]}"
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        pytest.fail("the killed process was not restarted")
    again = _listener(ports[0])
    assert again is not None and again != pid  # a new process answers on the same port
    assert get(f"{base}/_stcore/health")[0] == 200


def test_docker_files_are_well_formed():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert set(compose["services"]) == {"portail", "edition"}
    assert compose["services"]["portail"]["environment"]["OBS_MODE"] == "public"
    assert compose["services"]["edition"]["environment"]["OBS_AUTH"] == "oidc"
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line and not line.startswith("#")]
    instructions = [line.split()[0] for line in lines if not line.startswith((" ", "\t"))]
    assert instructions[0] == "FROM" and "HEALTHCHECK" in instructions and "EXPOSE" in instructions
    assert all(i in {"FROM", "RUN", "WORKDIR", "COPY", "USER", "ENV", "EXPOSE", "HEALTHCHECK", "CMD"}
               for i in instructions)
    user = lines.index(next(line for line in lines if line.startswith("USER")))
    assert "observatoire" in lines[user] and lines[-1].startswith("CMD")  # runs as a non-root user
    assert instructions.index("USER") < instructions.index("CMD")


def _send(url: str, method: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_request_bodies_go_through_nginx_and_a_public_instance_takes_no_upload(served):
    """Run as root, nginx's workers must be able to write a large request body to their temporary folder
    (they could not: every upload over about 8 KB got a 500); a public instance refuses uploads outright,
    in nginx, before any Python process holds a byte of them."""
    base, run, _ = served
    assert _send(f"{base}/", "POST", b"x" * 200_000) != 500
    assert "Permission denied" not in (run / "nginx-error.log").read_text()
    assert _send(f"{base}/_stcore/upload_file/session/widget", "PUT", b"x" * 50_000) == 403
    if os.geteuid() == 0:
        assert (run / "nginx.conf").read_text().splitlines()[1].startswith("user nobody")
