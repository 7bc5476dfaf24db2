"""The shipped groups' default evaluations, computed once at build time and kept in the base.

Evaluating Petites Villes de Demain (1 645 members, 1 000 placebo groups) takes seconds of CPU; a
page or a pack asking for the default view reads it here instead, in milliseconds. An entry is used
only when the group (members and start years) and the options are exactly those it was computed for:
a user who edits a shipped group's start years gets a fresh computation. Entries are plain JSON (the
section's texts, tables and figures), never pickled objects.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, fields
from functools import lru_cache

import duckdb
import pandas as pd
import plotly.io as pio

from . import assessment, links, store, territories
from .charts import ChartSpec
from .evaluation_pack import EvaluationSection, section
from .verdict import Verdict

INDICATORS = ("births", "population", "net_migration_rate")  # the effect view's headline indicators
SCHEMA = """CREATE TABLE IF NOT EXISTS evaluation_cache (
    group_id VARCHAR, indicator VARCHAR, fingerprint VARCHAR, payload VARCHAR,
    PRIMARY KEY (group_id, indicator))"""


# The code an entry was computed with: a change to any of these makes every kept entry stale.
CODE = ("assessment", "calibration", "catalog", "charts", "evaluation", "evaluation_pack", "kinds", "matching",
        "outcomes", "pool", "precomputed", "regression", "synthetic", "verdict")


@lru_cache(maxsize=1)  # the code does not change under a running process: its files are read once
def code_fingerprint() -> str:
    from pathlib import Path

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in CODE:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()


def fingerprint(group: assessment.Group, options: assessment.Options) -> str:
    """What an entry was computed for: the group's members and starts, the options, and the code."""
    text = json.dumps([sorted(group.members), group.start, sorted(group.member_starts), repr(options),
                       code_fingerprint()])
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_link(group_id: str, indicator: str) -> str:
    return links.permalink(links.ComparerView(group=group_id, vue="effet", ie=indicator))


def store_defaults(con: duckdb.DuckDBPyConnection, step: Callable[[str], None] = lambda _: None) -> int:
    """Compute and keep the default evaluation of every shipped group with a start year × INDICATORS."""
    con.execute(SCHEMA)
    con.execute("DELETE FROM evaluation_cache")
    groups = territories.groups(con)
    count = 0
    for gid in groups.loc[groups["builtin"].fillna(False).astype(bool), "id"]:
        group = assessment.group_in_base(con, gid)
        if group is None:
            continue
        for indicator in INDICATORS:
            ind = store.indicator(con, indicator)
            sec = section(con, assessment.assess(con, group, indicator), ind, canonical_link(gid, indicator))
            con.execute("INSERT INTO evaluation_cache VALUES (?, ?, ?, ?)",
                        [gid, indicator, fingerprint(group, assessment.DEFAULT), to_json(sec)])
            count += 1
        step(f"  {group.name} : {len(INDICATORS)} indicateurs")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('evaluations', ?)", [code_fingerprint()])
    return count


def lookup(con: duckdb.DuckDBPyConnection, group: assessment.Group, indicator: str,
           options: assessment.Options) -> EvaluationSection | None:
    """The kept section for exactly this group and these options, or None."""
    if group.id is None or not store.has_table(con, "evaluation_cache"):
        return None
    row = store.first(con, "SELECT fingerprint, payload FROM evaluation_cache WHERE group_id = ? AND indicator = ?",
                      [group.id, indicator])
    if row is None or row[0] != fingerprint(group, options):
        return None
    return from_json(row[1])


def to_json(sec: EvaluationSection) -> str:
    """The whole section as JSON: texts, figures (plotly's own JSON), chart specs and tables."""
    return json.dumps({
        "label": sec.label, "verdict": asdict(sec.verdict), "start_line": sec.start_line,
        "comparison_line": sec.comparison_line, "findings": sec.findings, "numbers": _frame(sec.numbers),
        "charts": [{"stem": stem, "figure": fig.to_json(), "spec": asdict(spec), "frame": _frame(frame)}
                   for stem, fig, spec, frame in sec.charts],
        "tables": {k: _frame(v) for k, v in sec.tables.items()}, "permalink": sec.permalink,
        "method": list(sec.method), "caveat": sec.caveat, "spans_first": sec.spans_first, "left_out": sec.left_out,
        "summary": sec.summary}, ensure_ascii=False)


def from_json(text: str) -> EvaluationSection:
    d = json.loads(text)
    spec_fields = {f.name for f in fields(ChartSpec)}
    charts = [(c["stem"], pio.from_json(c["figure"]),
               ChartSpec(**{k: (tuple(v) if k == "notes" else v) for k, v in c["spec"].items() if k in spec_fields}),
               _unframe(c["frame"])) for c in d["charts"]]
    return EvaluationSection(d["label"], Verdict(**d["verdict"]), d["start_line"], d["comparison_line"], d["findings"],
                             _unframe(d["numbers"]), charts, {k: _unframe(v) for k, v in d["tables"].items()},
                             d["permalink"], tuple(d["method"]), d["caveat"], d["spans_first"], d["left_out"],
                             d["summary"])


def _frame(df: pd.DataFrame) -> dict:
    """A table as columns, dtypes and values (Python floats: exact round trip; NaN as null)."""
    return {"columns": [str(c) for c in df.columns], "dtypes": [str(t) for t in df.dtypes],
            "data": {str(c): [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in df[c]]
                     for c in df.columns}}


def _unframe(d: dict) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(d["data"][c], dtype=object) for c in d["columns"]}, columns=d["columns"])
    for c, t in zip(d["columns"], d["dtypes"], strict=True):
        out[c] = out[c].astype("float64" if t.startswith("float") else t) if t != "object" else out[c]
    return out
