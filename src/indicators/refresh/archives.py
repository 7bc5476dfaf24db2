"""Zip archives from the publishers, opened without trusting them: a 2 MB archive that declares (or
turns out to hold) a 2 GiB member is refused before or while it is extracted, never after."""
from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..format import fr_int
from .layout import CheckFailed, LayoutChanged, quote

MAX_MEMBERS = 200
MAX_MEMBER = 1_500_000_000  # bytes of one extracted member (INSEE's largest CSV is a few hundred MB)
MAX_RATIO = 200             # a CSV compresses 5 to 30 times; far more is a bomb


def _member(archive: zipfile.ZipFile, path: Path, pick: Callable[[str], bool], what: str) -> zipfile.ZipInfo:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CheckFailed(f"{path.name} : {len(infos)} fichiers dans l'archive (au plus {MAX_MEMBERS}) ; refusée")
    info = next((i for i in infos if pick(i.filename)), None)
    if info is None:
        raise LayoutChanged(f"{path.name} : pas de {what} dans l'archive "
                            f"({quote(', '.join(i.filename for i in infos[:5]))})")
    if info.file_size > MAX_MEMBER or info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise CheckFailed(f"{path.name} : « {quote(info.filename, 80)} » se décompresserait en "
                          f"{info.file_size / 1e6:,.0f} Mo ; archive refusée".replace(",", "\u202f"))
    return info


HEAD_BYTES = 1 << 16  # what a source's check reads first (its header and first lines)


def _copy_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, out, path: Path, max_bytes: int = MAX_MEMBER,
                  check_head: Callable[[bytes], None] | None = None) -> None:
    """The member's bytes, counted as they come (a declared size can lie), never beyond what this source
    can hold (`max_bytes`); `check_head` sees the first bytes (header and first lines) before any more is
    read, so a file of the wrong shape costs nothing more."""
    if info.file_size > max_bytes:
        raise CheckFailed(f"{path.name} : « {quote(info.filename, 80)} » se décompresserait en "
                          f"{fr_int(info.file_size / 1e6)} Mo, plus que cette source n'en a jamais ({fr_int(max_bytes / 1e6)} Mo) ; "
                          "archive refusée")
    total, head = 0, b""
    with archive.open(info) as src:
        while block := src.read(1 << 20):
            if check_head is not None and len(head) < HEAD_BYTES:
                head += block[:HEAD_BYTES - len(head)]
                if len(head) >= HEAD_BYTES or len(block) < (1 << 20):
                    check_head(head)
                    check_head = None
            total += len(block)
            if total > min(max_bytes, MAX_RATIO * max(info.compress_size, 1)):
                raise CheckFailed(f"{path.name} : « {quote(info.filename, 80)} » dépasse sa taille annoncée (ou "
                                  f"{fr_int(max_bytes / 1e6)} Mo) une fois décompressé ; archive refusée")
            out.write(block)
        if check_head is not None:  # an empty member
            check_head(head)



@contextmanager
def extracted(path: Path, pick: Callable[[str], bool], what: str, max_bytes: int = MAX_MEMBER,
              check_head: Callable[[bytes], None] | None = None) -> Iterator[Path]:
    """The member `pick` chooses, extracted into a temporary folder (removed after), bounded."""
    with zipfile.ZipFile(path) as archive:
        info = _member(archive, path, pick, what)
        folder = Path(tempfile.mkdtemp(prefix="observatoire-zip-"))
        try:
            target = folder / Path(info.filename).name
            with target.open("wb") as out:
                _copy_bounded(archive, info, out, path, max_bytes, check_head)
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def read_member(path: Path, pick: Callable[[str], bool], what: str, max_bytes: int = MAX_MEMBER,
                check_head: Callable[[bytes], None] | None = None) -> bytes:
    import io

    with zipfile.ZipFile(path) as archive:
        info = _member(archive, path, pick, what)
        out = io.BytesIO()
        _copy_bounded(archive, info, out, path, max_bytes, check_head)
        return out.getvalue()
