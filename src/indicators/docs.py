"""The tables of the READMEs, generated (`python -m indicators docs`) from the dataset registry and from
what a built base holds, between markers; a test keeps the committed READMEs equal to them."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

from . import catalog, coverage, datasets, refresh
from .paths import PROJECT_ROOT as ROOT

START, END = "<!-- {name}: généré par `python -m indicators docs`, ne pas modifier à la main -->", "<!-- /{name} -->"


def indicators_table(con: duckdb.DuckDBPyConnection) -> str:
    """One row per catalog indicator: its years and census spans for communes and for départements, as the
    base holds them, and its sources."""
    held, loaded = coverage.held_periods(con), refresh.loaded()
    rows = ["| Indicateur | Communes (et tous niveaux) | Départements | Sources |", "|---|---|---|---|"]
    for ind in catalog.INDICATORS:
        cells = []
        for level in ("COM", "DEP"):
            said = [coverage.said(held, ind.id, level, "annees")] if held.get((ind.id, level), {}).get("annees") else []
            if held.get((ind.id, level), {}).get("periodes"):
                said.append("périodes " + coverage.said(held, ind.id, level, "periodes"))
            cells.append(" ; ".join(said) or "—")
        cited = " ; ".join(dict.fromkeys(f"{d.producer}, {d.dataset.split(' (')[0]}" for d in ind.cited(loaded)))
        rows.append(f"| {ind.label} | {cells[0]} | {cells[1]} | {cited} |")
    return "\n".join(rows)


def tables(con: duckdb.DuckDBPyConnection) -> dict[Path, dict[str, str]]:
    """README file → marker name → the table that belongs there."""
    return {ROOT / "README.md": {"indicateurs": indicators_table(con)},
            ROOT / "data" / "README.md": {"sources": datasets.markdown_table()}}


def _between(name: str) -> re.Pattern:
    return re.compile(f"({re.escape(START.format(name=name))}\n)(.*?)(\n{re.escape(END.format(name=name))})", re.S)


def block(text: str, name: str) -> str | None:
    """What a README holds between the markers `name`, or None."""
    found = _between(name).search(text)
    return found.group(2) if found else None


def write(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """Replace each generated block by its current table; the files that changed."""
    changed = []
    for path, blocks in tables(con).items():
        text = path.read_text(encoding="utf-8")
        new = text
        for name, table in blocks.items():
            if block(new, name) is None:
                raise ValueError(f"{path} : repères « {name} » absents")
            new = _between(name).sub(lambda m, t=table: m.group(1) + t + m.group(3), new, count=1)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed
