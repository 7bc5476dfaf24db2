"""Server load without browsers (`make bench`, or `python bench/protocol_load.py K N`): K concurrent
sessions speak Streamlit's own websocket protocol, as the browser does, against N processes behind
nginx, each opening Carte (communes of a région), Évolutions and Comparer for the pilot sites; a view
is done when the server says its script finished. Real browsers on this 2-core machine take most of
the CPU themselves (bench/load.py), so this is what the server alone holds: p50/p95 to a finished
page, errors (an exception element in the page), CPU seconds per view and peak memory per process,
read from /proc."""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.load import VIEWS, measure  # noqa: E402

TIMEOUT = 300


async def open_view(base: str, view: str) -> tuple[float, bool]:
    """One page load as a browser does it: a new session, a first run with the link's page and query
    string; returns the seconds to `script_finished` and whether the page holds an exception."""
    page, _, query = view.partition("?")
    t0 = time.perf_counter()
    url = base.replace("http", "ws", 1) + "/_stcore/stream"
    host = urlsplit(base).netloc
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=TIMEOUT,
                                  origin=f"http://{host}") as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        await ws.send(msg.SerializeToString())
        failed = False
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(ws.recv(), TIMEOUT))
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.new_element.WhichOneof("type") == "exception":
                failed = True
            if kind == "script_finished" and forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return time.perf_counter() - t0, failed


async def session(base: str, times: list[float], errors: list[str]) -> None:
    for view in VIEWS:
        try:
            seconds, failed = await open_view(base, view)
            times.append(seconds)
            if failed:
                errors.append(view)
        except Exception as exc:  # noqa: BLE001 - a failed view is counted, not raised
            errors.append(f"{view}: {type(exc).__name__}")


async def load(base: str, sessions: int) -> tuple[list[float], list[str], float]:
    times: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    await asyncio.gather(*(session(base, times, errors) for _ in range(sessions)))
    return times, errors, time.perf_counter() - start


def run(sessions: int, processes: int, port: int = 8791) -> None:
    measure(sessions, processes, port, load, processes * 2)


if __name__ == "__main__":
    print("Charge serveur (protocole websocket de Streamlit, sans navigateur ; cible : 30 sessions, p95 ≤ 5 s, "
          "aucune erreur, ≤ 600 Mo par processus)")
    if len(sys.argv) > 2:
        run(int(sys.argv[1]), int(sys.argv[2]))
    else:
        for k, n in ((10, 1), (30, 1), (30, 2), (60, 2)):
            run(k, n)
