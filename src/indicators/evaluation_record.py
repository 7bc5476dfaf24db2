"""An evaluation as a flat record for scripts (`python -m indicators evaluate --format json`), and the
groups an evaluator describes in a CSV file (`groupe;territoire;debut`, several groups per file, each
member with its own start). The numbers are the page's and the pack's: the same `assessment.assess`."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import duckdb
import numpy as np

from .assessment import Assessment, Group
from .errors import ObservatoireError
from .evaluation import Evaluation
from .format import fr_int

MAX_FILE_BYTES = 2_000_000
MAX_ROWS = 20_000
COLUMNS = ("groupe", "territoire", "debut")


class MembersFileProblem(ObservatoireError):
    """A members file the command cannot read: the message says where (line, column, value)."""


def record(a: Assessment) -> dict:
    """The evaluation's figures: verdict, effects with and without the adjustment, p-values, the effect seen
    8 times out of 10, members and starts, comparison territories with their weight, balance after matching."""
    e = a.answer
    base = {"group": a.group.id or a.group.name, "group_name": a.group.name, "indicator": a.indicator,
            "status": a.verdict.status, "headline": a.verdict.headline,
            "members": [{"code": m, "start": int(a.starts[m])} for m in a.group.members]}
    if not isinstance(e, Evaluation):
        return base | {"reason": e.reason, "left_out": e.left_out}
    m = a.matching.get(a.main)
    balance = [] if m is None else [{"variable": r["variable"], "label": r["label"],
                                     "smd_before": _num(r["smd_pool"]), "smd_after": _num(r["smd_matched"])}
                                    for _, r in m.balance.iterrows()]
    return base | {
        "answered_by": "census_spans" if a.main == "spans" else "yearly", "unit": e.outcome.unit,
        "periods": {str(g): {"before": [e.outcome.labels[p] for p in plan.pre],
                             "after": [e.outcome.labels[p] for p in plan.post]} for g, plan in e.plans.items()},
        "effect": _num(e.effect), "p_value": _num(e.inference.p_two), "p_one_sided": _num(e.inference.p_one),
        "effect_unadjusted": _num(e.unadjusted.effect) if e.unadjusted else None,
        "p_value_unadjusted": _num(e.unadjusted.inference.p_two) if e.unadjusted else None,
        "regression": _num(e.pooled.effect) if e.pooled else None,
        "p_value_regression": _num(e.pooled.inference.p_two) if e.pooled else None,
        "synthetic": _num(e.synthetic.effect) if e.synthetic else None, "p_value_synthetic": _num(e.synthetic_p),
        "detectable_effect": _num(e.detectable), "detectable_effect_unbounded": bool(np.isinf(e.detectable)),
        "chance_band": _num(e.inference.band),
        "pretrend_p_value": _num(e.pretrend.p_value), "draws": int(e.inference.draws),
        "weighting": e.weighting,
        "member_effects": [{"code": r["member"], "start": int(r["start"]), "weight": _num(r["weight"]),
                            "effect": _num(r["effect"]), "effect_unadjusted": _num(r["effect_unadjusted"])}
                           for _, r in e.members.iterrows()],
        "comparators": [{"member": r["member"], "code": r["code"], "weight": _num(r["weight"])}
                        for _, r in e.comparators.iterrows()],
        "balance": balance, "left_out": e.left_out,
    }


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def read_members(con: duckdb.DuckDBPyConnection, path: Path) -> list[Group]:
    """Groups from a CSV file with columns groupe, territoire, debut (`;` or `,`, UTF-8): one group per value
    of `groupe`, each member with its own start year; the group's start is its earliest member's."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise MembersFileProblem(f"{path.name} : fichier trop gros ({fr_int(path.stat().st_size)} octets ; "
                                 f"{fr_int(MAX_FILE_BYTES)} au plus)")
    text = path.read_bytes().decode("utf-8-sig", errors="strict")
    dialect = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=dialect))
    if not rows:
        raise MembersFileProblem(f"{path.name} : fichier vide")
    header = [h.strip().lower().replace("é", "e") for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise MembersFileProblem(f"{path.name}, ligne 1 : colonnes attendues {', '.join(COLUMNS)} ; absentes : "
                                 f"{', '.join(missing)}")
    if len(rows) > MAX_ROWS:
        raise MembersFileProblem(f"{path.name} : {len(rows) - 1} lignes ; {MAX_ROWS} au plus")
    col = {c: header.index(c) for c in COLUMNS}
    known = {r[0] for r in con.execute("SELECT code FROM territory").fetchall()}
    groups: dict[str, dict[str, int]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in col.items()}
        if not cells["groupe"]:
            raise MembersFileProblem(f"{path.name}, ligne {n}, colonne groupe : valeur vide")
        if cells["territoire"] not in known:
            raise MembersFileProblem(f"{path.name}, ligne {n}, colonne territoire : « {cells['territoire'][:40]} » "
                                     "n'est pas un code de territoire de la base (ex. COM:09225, EPCI:241200187)")
        try:
            start = int(cells["debut"])
        except ValueError:
            start = 0
        if not 2000 <= start <= 2035:
            raise MembersFileProblem(f"{path.name}, ligne {n}, colonne debut : « {cells['debut'][:20]} » n'est pas "
                                     "une année de début (2000 à 2035)")
        groups.setdefault(cells["groupe"], {})[cells["territoire"]] = start
    if not groups:
        raise MembersFileProblem(f"{path.name} : aucune ligne de membre")
    return [Group(None, name, tuple(members), int(min(members.values())), "années du fichier",
                  tuple(members.items())) for name, members in groups.items()]


def text(r: dict) -> str:
    """The record in a few lines a terminal reader takes in."""
    lines = [f"{r['group_name']} — {r['indicator']} : {r['headline']}"]
    if r.get("effect") is not None:
        lines.append(f"  effet {r['effect']:+.3f} {r['unit']} (p = {r['p_value']:.3f}) ; sans correction "
                     f"{_fmt(r['effect_unadjusted'])} ; régression {_fmt(r['regression'])} ; détectable 8 fois sur 10 "
                     f"±{_fmt(r['detectable_effect']).lstrip('+')}")
        worst = max((abs(b["smd_after"]) for b in r["balance"] if b["smd_after"] is not None), default=np.nan)
        lines.append(f"  {len(r['member_effects'])} membres évalués, {len({c['code'] for c in r['comparators']})} "
                     f"territoires de comparaison, plus grand écart standardisé après appariement {worst:.2f}")
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:+.3f}"
