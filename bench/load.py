"""Load (`make bench`, or `python bench/load.py K N`): K concurrent real sessions (Chromium contexts)
against N Streamlit processes behind nginx (scripts/serve.py), each opening Carte (communes of a
région), Évolutions and Comparer for the pilot sites. Prints p50/p95 time to a drawn page, errors,
the server's CPU seconds per page view measured on the Streamlit processes themselves (from /proc:
the browsers' CPU is kept out), and their peak memory."""
from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

VIEWS = ["carte?niveau=COM&dans=REG:76&i=net_migration_rate&p=2013-2018",
         "evolutions?t=COM:09225,COM:12202&i=population&g=cci-midi-pyrenees",
         "comparer?g=cci-midi-pyrenees&i=net_migration_rate,population"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def peak_memory_mb(pid: int) -> float:
    line = next(li for li in Path(f"/proc/{pid}/status").read_text().splitlines() if li.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def app_pids(ports: list[int]) -> list[int]:
    out = subprocess.run(["fuser", *(f"{p}/tcp" for p in ports)], capture_output=True, text=True).stdout
    return sorted({int(x) for x in out.split()})


async def session(browser, base: str, times: list[float], errors: list[str]) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    for view in VIEWS:
        t0 = time.perf_counter()
        try:
            await page.goto(f"{base}/{view}", timeout=180_000)
            await page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=180_000)
            await page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                         timeout=180_000)
            times.append(time.perf_counter() - t0)
            if await page.locator("[data-testid='stException']").count():
                errors.append(view)
        except Exception as exc:  # noqa: BLE001 - a failed page view is counted, not raised
            errors.append(f"{view}: {type(exc).__name__}")
    await context.close()


async def load(base: str, sessions: int) -> tuple[list[float], list[str], float]:
    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        start = time.perf_counter()
        await asyncio.gather(*(session(browser, base, times, errors) for _ in range(sessions)))
        wall = time.perf_counter() - start
        await browser.close()
    return times, errors, wall


def start_servers(processes: int, port: int) -> tuple[subprocess.Popen, list[int]]:
    """`scripts/serve.py`: N Streamlit processes behind nginx on `port`; returns it and their ports."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--processes", str(processes),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    ports = [int(p) for p in re.search(r"processus : ([\d, ]+) ;", proc.stdout.readline()).group(1).split(", ")]
    time.sleep(8)
    return proc, ports


def measure(sessions: int, processes: int, port: int, load_views, warm_sessions: int) -> None:
    """Start N processes behind nginx, warm them (caches per database file, as a running portal has),
    run K sessions with `load_views(base, K)`, print p50/p95, errors, server CPU per view and peak memory."""
    proc, ports = start_servers(processes, port)
    try:
        pids = app_pids(ports)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(load_views(base, warm_sessions))
        cpu0 = sum(cpu_seconds(p) for p in pids)
        times, errors, wall = asyncio.run(load_views(base, sessions))
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        peak = max(peak_memory_mb(p) for p in pids)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else [times[0]] * 19
    print(f"  K={sessions:>3} N={processes} : {len(times)} vues en {wall:.0f} s ; p50 {statistics.median(times):.2f} s, "
          f"p95 {q[18]:.2f} s ; erreurs {len(errors)} ; CPU serveur {cpu / max(len(times), 1):.2f} s par vue ; "
          f"mémoire de pointe {peak:.0f} Mo par processus", flush=True)


def run(sessions: int, processes: int, port: int = 8790) -> None:
    measure(sessions, processes, port, load, 1)


if __name__ == "__main__":
    print("Charge : sessions réelles (Chromium) derrière nginx (cible : 30 sessions, p95 ≤ 5 s, aucune erreur)")
    if len(sys.argv) > 2:
        run(int(sys.argv[1]), int(sys.argv[2]))
    else:
        for k, n in ((10, 1), (10, 2), (30, 2)):
            run(k, n)
