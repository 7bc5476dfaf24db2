"""Downloads that survive a cut connection: a `.part` file resumed with an HTTP Range request, the
SHA-256 of what arrived, and a refusal when it differs from the one the publisher announced."""
from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
TIMEOUT = 60
ATTEMPTS = 4
USER_AGENT = "observatoire-attractivite/refresh (+https://github.com)"
# The largest official file is URSSAF's national CSV (a few hundred MB): a bigger answer is not a source.
MAX_BYTES = 2_000_000_000


class DownloadFailed(Exception):
    """A download that could not be completed or verified; the message is French."""


@dataclass(frozen=True)
class Fetched:
    path: Path
    sha256: str
    size: int
    resumed: bool


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: Path, expected_sha256: str | None = None,
          progress: Callable[[int, int | None], None] = lambda *_: None, max_bytes: int = MAX_BYTES) -> Fetched:
    """Download `url` to `dest` (through `dest.part`, resumed after a cut); refuse a checksum that
    does not match the announced one, or a file larger than `max_bytes`, and leave nothing at `dest` then."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    resumed = part.exists() and part.stat().st_size > 0
    last: object = "fichier incomplet"
    for _ in range(ATTEMPTS):
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                       **({"Range": f"bytes={have}-"} if have else {})})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                if have and response.status != 206:  # the server ignored the range: start again
                    have = 0
                total = _total(response, have)
                with part.open("ab" if have else "wb") as out:
                    got = have
                    for block in iter(lambda: response.read(CHUNK), b""):
                        got += len(block)
                        if got > max_bytes or (total or 0) > max_bytes:
                            break
                        out.write(block)
                        progress(got, total)
                if got > max_bytes or (total or 0) > max_bytes:
                    part.unlink(missing_ok=True)
                    raise DownloadFailed(f"{url} : plus de {max_bytes / 1e6:,.0f} Mo ; ce n'est pas le fichier attendu, "
                                         "téléchargement arrêté".replace(",", "\u202f"))
            if total is not None and part.stat().st_size < total:
                resumed = True
                continue  # cut short without an error: resume
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # already complete
                break
            raise DownloadFailed(f"{url} : le serveur répond {exc.code} ({exc.reason})") from exc
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError, OSError) as exc:
            resumed = True  # kept: the next attempt (or the next run) resumes from here
            last = exc
    else:
        raise DownloadFailed(f"{url} : téléchargement interrompu {ATTEMPTS} fois ({last}) ; relancez pour reprendre "
                             f"là où il s'est arrêté") from None
    digest = sha256_of(part)
    if expected_sha256 and digest != expected_sha256.lower():
        part.unlink()
        raise DownloadFailed(f"{url} : empreinte SHA-256 {digest[:12]}… différente de celle annoncée par l'éditeur "
                             f"({expected_sha256[:12]}…) : fichier refusé")
    part.replace(dest)
    return Fetched(dest, digest, dest.stat().st_size, resumed)


def _total(response, have: int) -> int | None:
    length = response.headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def read_text(url: str) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read(5_000_000).decode("utf-8", errors="replace")
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
        raise DownloadFailed(f"{url} : catalogue injoignable ({exc})") from exc
