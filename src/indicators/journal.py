"""The journal of writes: who changed the base, when, and what (an import, an undo, a group, a
refresh). One JSON line per write beside the database file; a user is named when one is known
(signed in through OpenID Connect, or given by the reverse proxy, or the account on the command line)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from .errors import ObservatoireError
from .paths import db_path
from .text import plain


class JournalFailed(ObservatoireError):
    """The write was made, its journal line could not be: said, never a traceback."""


def path_for(database: Path | None = None) -> Path:
    database = Path(database or db_path())
    return database.with_name(database.name + ".journal.jsonl")


def record(action: str, detail: str, user: str | None, database: Path | None = None) -> None:
    """Append one line; JournalFailed (in French) when the journal cannot be written (a folder in its
    place, a full disk, no rights): the write it records is already made and stays."""
    entry = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "utilisateur": plain(user) or "inconnu",
             "action": action, "détail": plain(detail, 500)}
    path = path_for(database)
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise JournalFailed(f"L'écriture est faite, mais sa ligne n'a pas pu être ajoutée au journal {path} "
                            f"({exc.strerror or type(exc).__name__}).") from exc


def entries(database: Path | None = None, limit: int = 200) -> list[dict]:
    """The last lines, newest first; a damaged line (a write cut off) is shown as such, never an error."""
    path = path_for(database)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [{"date": "", "utilisateur": "", "action": "journal illisible",
                 "détail": exc.strerror or type(exc).__name__}]
    out = []
    for line in reversed(lines):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError
        except ValueError:
            entry = {"date": "", "utilisateur": "", "action": "ligne illisible", "détail": plain(line, 80)}
        out.append(entry)
    return out
