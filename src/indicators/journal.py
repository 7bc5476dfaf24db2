"""The journal of writes: who changed the base, when, and what (an import, an undo, a group, a
refresh). One JSON line per write beside the database file; a user is named when one is known
(signed in through OpenID Connect, or given by the reverse proxy, or the account on the command line)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from .paths import db_path


def path_for(database: Path | None = None) -> Path:
    database = Path(database or db_path())
    return database.with_name(database.name + ".journal.jsonl")


def record(action: str, detail: str, user: str | None, database: Path | None = None) -> None:
    entry = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "utilisateur": user or "inconnu",
             "action": action, "détail": detail[:500]}
    with path_for(database).open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def entries(database: Path | None = None, limit: int = 200) -> list[dict]:
    path = path_for(database)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
    return [json.loads(line) for line in reversed(lines) if line.strip()]
