"""`make serve`: N Streamlit processes behind nginx, restarted when one dies.

    python scripts/serve.py --processes 2 --port 8080

Each process opens the database read-only (the app always does); a build, refresh or import writes a
new file that every process picks up at its next rerun. nginx (Debian package; installed by
`make serve` when missing) keeps a browser on one process (an affinity cookie, not its address, which
many users share behind a proxy), upgrades the websocket, and serves the map geometry and vendored
scripts itself with a week of cache and gzip."""
from __future__ import annotations

import argparse
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from indicators.config import PROXY_HEADER, ConfigError, settings  # noqa: E402

NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, public: bool = False, proxy_secret: str = "") -> subprocess.Popen:
    # a public instance has no upload widget: Streamlit takes no file over 1 MB either (nginx refuses them all)
    uploads = ["--server.maxUploadSize", "1"] if public else []
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", *uploads],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **({"OBS_PROXY_SECRET": proxy_secret} if proxy_secret else {})})


TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def prepare_run(run: Path) -> str:
    """nginx's temporary folders, writable by its workers: run as root, nginx's workers are `nobody` and
    could not write a request body to a folder of `mkdtemp` (0700, root): every upload over a few KB got a
    500. The run folder stays closed to listing; the `user` line names the workers' account."""
    for name in TEMP_DIRS:
        (run / name).mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() != 0:
        return ""
    worker = pwd.getpwnam("nobody")
    os.chmod(run, 0o711)
    for name in TEMP_DIRS:
        os.chown(run / name, worker.pw_uid, worker.pw_gid)
    return f"user {worker.pw_name} {grp.getgrgid(worker.pw_gid).gr_name};"


# Streamlit serves a component `declare_component(name, path)` of module `m` at /component/m.name/.
COMPONENTS = {"ui.francais.francais": ROOT / "src" / "ui" / "francais" / "frontend",
              "ui.mapview.carte_territoires": ROOT / "src" / "ui" / "mapview" / "frontend"}


def nginx_conf(run: Path, port: int, app_ports: list[int], upload_mb: float, user_header: str = "X-Forwarded-User",
               auth_request: str = "", user: str = "", public: bool = False, proxy_secret: str = "") -> Path:
    import streamlit

    text = (ROOT / "deploy" / "nginx.conf.template").read_text()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in app_ports)
    components = "\n".join(f"        location /component/{name}/ {{ alias {path}/; expires 1h; }}"
                           for name, path in COMPONENTS.items())
    for key, value in {"user": user, "proxy_secret": (f'            proxy_set_header {PROXY_HEADER} "{proxy_secret}";\n'
                                                        if proxy_secret else ""), "public_uploads": (
                           "        # a public instance imports nothing: no upload reaches a Python process\n"
                           "        location /_stcore/upload_file/ { return 403; }" if public else ""),
                       "run": str(run), "port": str(port), "servers": servers, "static": str(ROOT / "static"),
                       "frontend": str(Path(streamlit.__file__).parent / "static"), "components": components,
                       "upload_mb": "1" if public else str(int(upload_mb) + 1), "user_header": user_header,
                       "auth_request": ("            auth_request /_obs_auth;\n"
                                        "            auth_request_set $obs_user $upstream_http_x_auth_request_user;"
                                        if auth_request else ""),
                       "auth_request_location": (
                           "        location = /_obs_auth {\n            internal;\n"
                           f"            proxy_pass {auth_request};\n            proxy_pass_request_body off;\n"
                           "            proxy_set_header Content-Length \"\";\n"
                           "            proxy_set_header X-Original-URI $request_uri;\n        }"
                           if auth_request else "")}.items():
        text = text.replace("{{" + key + "}}", value)
    conf = run / "nginx.conf"
    conf.write_text(text)
    return conf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="N processus Streamlit derrière nginx")
    parser.add_argument("--processes", type=int, default=max(1, (os.cpu_count() or 2)))
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    try:
        config = settings()
    except ConfigError as exc:
        print(f"Configuration invalide : {exc}", file=sys.stderr)
        return 2
    if not Path(NGINX).exists():
        print("nginx est absent : apt-get install -y nginx (ou `make serve`, qui l'installe)", file=sys.stderr)
        return 2
    if not 1 <= args.processes <= 64:
        print("--processes : entre 1 et 64", file=sys.stderr)
        return 2
    run = Path(tempfile.mkdtemp(prefix="observatoire-serve-"))
    try:
        return serve(run, args, config)
    finally:
        shutil.rmtree(run, ignore_errors=True)  # nothing left in /tmp


def serve(run: Path, args: argparse.Namespace, config) -> int:
    public = not config.editable
    # behind this nginx, only it may name a user: a secret drawn at each start, sent by nginx, checked by the app
    secret = (config.proxy_secret or secrets.token_urlsafe(32)) if config.auth == "proxy" else ""
    ports = [free_port() for _ in range(args.processes)]
    apps = {p: start_app(p, public, secret) for p in ports}
    conf = nginx_conf(run, args.port, ports, config.upload_hard_cap_mb, config.user_header, config.auth_request,
                      prepare_run(run), public, secret)
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(run)], capture_output=True, text=True)
    if check.returncode:
        print(f"Configuration nginx refusée :\n{check.stderr}", file=sys.stderr)
        return 2
    def start_nginx() -> subprocess.Popen:
        return subprocess.Popen([NGINX, "-c", str(conf), "-p", str(run), "-g", "daemon off;"])

    nginx = start_nginx()
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    (run / "ports").write_text(" ".join(map(str, ports)))
    print(f"Observatoire : http://localhost:{args.port} ({args.processes} processus : {', '.join(map(str, ports))} ; "
          f"fichiers de nginx dans {run})", flush=True)
    delay = dict.fromkeys(ports, 0.5)  # a process that keeps failing is restarted less and less often
    due = dict.fromkeys(ports, 0.0)
    while not stopping:
        for port, proc in list(apps.items()):
            if proc.poll() is not None and time.time() >= due[port]:  # its users' next rerun reaches a new one
                print(f"processus {port} arrêté (code {proc.returncode}) : relancé", flush=True)
                started = time.time()
                apps[port] = start_app(port, public, secret)
                delay[port] = 0.5 if started - due[port] > 60 else min(delay[port] * 2, 60.0)
                due[port] = started + delay[port]
        if nginx.poll() is not None:
            print("nginx s'est arrêté : relancé", flush=True)
            nginx = start_nginx()
        time.sleep(0.5)
    for proc in [*apps.values(), nginx]:
        proc.terminate()
    for proc in [*apps.values(), nginx]:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
