"""`python -m indicators refresh`: bring the base up to date from the official publishers, source by
source. Each source is found, downloaded (resumed after a cut, SHA-256 recorded), read by column
name and checked before it replaces its file under data/sources; then one rebuild, through the one
writer path, keeps imports and user groups. A source that fails changes nothing and says so; the
others still apply. `--from DIR` takes files downloaded elsewhere (air-gapped servers)."""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..format import fr_datetime
from ..paths import SOURCES_DIR
from .download import DownloadFailed, fetch, read_text, sha256_of
from .layout import CheckFailed, LayoutChanged, quote
from .sources import ADAPTERS, Adapter, loaded

__all__ = ["ADAPTERS", "MANIFEST", "SOURCES_DIR", "Outcome", "loaded", "manifest", "run", "status"]

MANIFEST = "refresh.json"


@dataclass
class Outcome:
    source: str
    status: str          # à jour | mis à jour | serait mis à jour | échec
    message: str


def manifest(sources: Path = SOURCES_DIR) -> dict:
    """What each refresh brought: address, date, SHA-256, size, years (shown on Méthodes)."""
    path = sources / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def status(sources: Path = SOURCES_DIR) -> list[dict[str, str]]:
    """Each source the refresh knows, in French, for Méthodes: what it is, its licence, and where the
    base stands (refreshed on a date, the shipped file, or not loaded and the command that loads it)."""
    records = manifest(sources)
    rows = []
    for a in ADAPTERS:
        if a.name in records:
            r = records[a.name]
            state = f"mis à jour le {fr_datetime(r['date'])} ({r['years'][0]}–{r['years'][1]})"
        elif (sources / a.target).exists() or (a.shipped and (sources / a.shipped).exists()):
            state = "fichier livré"
        else:
            state = "non chargé"
        rows.append({"Source": a.label, "État": state, "Licence": a.licence, "Mise à jour": f"refresh --only {a.name}"})
    return rows


def run(sources: Path = SOURCES_DIR, cache: Path | None = None, from_dir: Path | None = None,
        dry_run: bool = False, only: list[str] | None = None, base: str | None = None,
        rebuild: Callable[[], object] | None = None, log: Callable[[str], None] = print) -> list[Outcome]:
    """Refresh the chosen sources; `rebuild` (the build) runs once if a file changed, and if it fails
    every replaced file is put back."""
    cache = cache or sources.parent / "cache"
    chosen = [a for a in ADAPTERS if not only or a.name in only]
    unknown = sorted(set(only or []) - {a.name for a in ADAPTERS})
    outcomes = [Outcome(u, "échec", f"source inconnue ; sources : {', '.join(a.name for a in ADAPTERS)}") for u in unknown]
    staged: list[tuple[Adapter, Path, dict]] = []
    for adapter in chosen:
        try:
            candidate, record = _obtain(adapter, cache, from_dir, base, log)
            summary = adapter.validate(candidate)
            held = _held(adapter, sources)
            if adapter.compare is not None and held is not None:
                adapter.compare(candidate, held)
        except (DownloadFailed, LayoutChanged, CheckFailed) as exc:
            outcomes.append(Outcome(adapter.name, "échec", f"{adapter.label} : {quote(exc, 500)} — rien n'a changé pour "
                                                           "cette source"))
            continue
        except Exception as exc:  # noqa: BLE001 - a hostile or broken file fails its source only, in French
            outcomes.append(Outcome(adapter.name, "échec", f"{adapter.label} : fichier illisible "
                                    f"({type(exc).__name__} : {quote(exc)}) — rien n'a changé pour cette source"))
            continue
        current = sources / adapter.target
        if current.exists() and sha256_of(current) == record["sha256"]:
            outcomes.append(Outcome(adapter.name, "à jour", f"{adapter.label} : déjà à jour ({record['sha256'][:12]}…)"))
            continue
        record.update(years=[int(y) for y in summary.years], rows=int(summary.rows), detail=summary.detail,
                      licence=adapter.licence)
        text = f"{adapter.label} : {summary.detail}, {summary.years[0]}–{summary.years[1]}, {summary.rows} lignes"
        if dry_run:
            outcomes.append(Outcome(adapter.name, "serait mis à jour", text))
            continue
        staged.append((adapter, candidate, record))
        outcomes.append(Outcome(adapter.name, "mis à jour", text))
    if staged and not dry_run:
        _apply(staged, sources, rebuild, outcomes)
    for o in outcomes:
        log(f"[{o.status}] {o.message}")
    return outcomes


def _obtain(adapter: Adapter, cache: Path, from_dir: Path | None, base: str | None,
            log: Callable[[str], None]) -> tuple[Path, dict]:
    """The candidate file and its provenance: from a folder, or downloaded into the cache."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if from_dir is not None:
        name = Path(adapter.target).name
        found = sorted(p for p in from_dir.rglob("*") if p.name == name or _matches(adapter, p))
        if not found:
            raise DownloadFailed(f"aucun fichier « {name} » dans {from_dir}")
        path = found[-1]
        root = from_dir.resolve()
        if path.is_symlink() or any(q.is_symlink() for q in path.parents if q.resolve().is_relative_to(root)) \
                or not path.resolve().is_relative_to(root):
            raise DownloadFailed(f"{quote(path, 120)} est un lien symbolique : refusé (copiez le fichier lui-même)")
        if not path.is_file():
            raise DownloadFailed(f"{quote(path, 120)} n'est pas un fichier")
        info = path.stat()
        if info.st_nlink > 1:  # a hard link can name any file of the machine (/etc/shadow): never read it
            raise DownloadFailed(f"{quote(path, 120)} a {info.st_nlink} noms (lien physique) : refusé sans être lu "
                                 "(copiez le fichier lui-même)")
        if info.st_uid != os.geteuid():
            raise DownloadFailed(f"{quote(path, 120)} appartient à un autre utilisateur : refusé sans être lu "
                                 "(copiez-le sous le compte qui lance la mise à jour)")
        return path, {"url": f"dossier {path}", "date": now, "sha256": sha256_of(path), "size": path.stat().st_size}
    remote = adapter.locate(read_text, base)
    dest = cache / adapter.name / Path(adapter.target).name

    def progress(got: int, total: int | None) -> None:
        if total and got == total or got % (16 << 20) < (1 << 20):
            log(f"  {adapter.name} : {got / 1e6:.1f} Mo" + (f" / {total / 1e6:.1f} Mo" if total else ""))

    fetched = fetch(remote.url, dest, remote.sha256, progress)
    if fetched.resumed:
        log(f"  {adapter.name} : téléchargement repris après une coupure")
    return fetched.path, {"url": remote.url, "date": now, "sha256": fetched.sha256, "size": fetched.size}


def _held(adapter: Adapter, sources: Path) -> Path | None:
    """The file the base is built from now (refreshed, else shipped), to compare a new one with."""
    for relative in (adapter.target, adapter.shipped):
        if relative and (sources / relative).exists():
            return sources / relative
    return None


def _matches(adapter: Adapter, path: Path) -> bool:
    return bool(re.search(adapter.local, path.name))


def _apply(staged: list[tuple[Adapter, Path, dict]], sources: Path, rebuild, outcomes: list[Outcome]) -> None:
    backups = []
    for adapter, candidate, _ in staged:
        target = sources / adapter.target
        target.parent.mkdir(parents=True, exist_ok=True)
        backup = target.with_name(target.name + ".avant-maj") if target.exists() else None
        if backup:
            shutil.copy2(target, backup)
        backups.append((target, backup))
        shutil.copyfile(candidate, target)
    try:
        if rebuild is not None:
            rebuild()
    except Exception as exc:
        for target, backup in backups:  # the base was not replaced: the sources go back to what built it
            if backup:
                backup.replace(target)
            else:
                target.unlink(missing_ok=True)
        for o in outcomes:
            if o.status == "mis à jour":
                o.status, o.message = "échec", f"{o.message} ; reconstruction impossible ({exc}) : rien n'a changé"
        return
    for _, backup in backups:
        if backup:
            backup.unlink()
    records = manifest(sources)
    records.update({adapter.name: record for adapter, _, record in staged})
    (sources / MANIFEST).write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
