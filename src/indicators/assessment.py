"""One indicator's evaluation for a programme group, as the Comparer page shows it and the review pack
prints it: the clean pool, the matching on pre-start values, the yearly evaluation and the census
spans, and the verdict that combines them."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from . import evaluation as ev
from . import matching, outcomes, pool, verdict
from .evaluation import Evaluation, Refusal


@dataclass(frozen=True)
class Options:
    """What a user may change; the defaults are what the review pack uses."""
    k: int = 3                    # comparison territories per member
    scope: str = "REG"            # pool: same région, département, or France
    other_programmes: bool = True  # leave out territories of other programmes
    outside_ze: bool = False      # leave out the members' zones d'emploi (spillovers)
    index: bool = True            # a count as an index base 100 (else per 1 000 inhabitants)
    weighted: bool = True         # by the indicator's rule (else each member once)
    own_starts: bool = True       # each member's own start year (a convention's) where it has one
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    draws: int = ev.DRAWS
    regression: bool = True       # the unit-level event study (pyfixest)
    synthetic_fits: int = ev.SYNTH_FITS


DEFAULT = Options()


@dataclass(frozen=True)
class Group:
    """The group being evaluated: members, its start year and what that year is, members' own years."""
    id: str | None
    name: str
    members: tuple[str, ...]
    start: int
    start_note: str = ""
    member_starts: tuple[tuple[str, int], ...] = ()

    def starts(self, own: bool) -> dict[str, int]:
        mine = dict(self.member_starts) if own else {}
        return {m: int(mine.get(m) or self.start) for m in self.members}


def group_of(row: pd.Series, members: pd.DataFrame) -> Group | None:
    """The Group of a group row and its members (territories.groups / group_members, or a link's);
    None when the group has no start year."""
    if pd.isna(row.get("start_year")) or members.empty:
        return None
    own = tuple((c, int(y)) for c, y in zip(members["code"], members["start_year"], strict=True) if pd.notna(y))
    gid = None if row.get("id") == "lien" else str(row["id"])
    return Group(gid, str(row["name"]), tuple(members["code"]), int(row["start_year"]),
                 str(row["start_note"]) if pd.notna(row.get("start_note")) else "", own)


def group_in_base(con: duckdb.DuckDBPyConnection, group_id: str) -> Group | None:
    """A stored group as evaluated (None: unknown, or no start year)."""
    from . import territories

    groups = territories.groups(con).set_index("id", drop=False)
    if group_id not in groups.index:
        return None
    return group_of(groups.loc[group_id], territories.group_members(con, group_id))


@dataclass(frozen=True)
class Assessment:
    indicator: str
    group: Group
    options: Options
    starts: dict[str, int]
    pool: pool.Pool
    matching: dict[str, matching.Matching]   # "yearly" / "spans" → the matching used there
    yearly: Evaluation | Refusal
    spans: Evaluation | Refusal
    main: str                                # which of the two answers the question
    verdict: verdict.Verdict

    @property
    def answer(self) -> Evaluation | Refusal:
        return self.spans if self.main == "spans" else self.yearly


def assess(con: duckdb.DuckDBPyConnection, group: Group, indicator: str, options: Options = DEFAULT,
           progress=None, outcome_hook=None) -> Assessment:
    """`outcome_hook` changes the values read before they are compared: calibration runs plant a
    SYNTHETIC effect with it (`calibration.planted`); pages and packs never pass one."""
    starts = group.starts(options.own_starts)
    members = list(group.members)
    pl = pool.comparison_pool(con, members, group.id, options.scope, options.other_programmes,
                              options.added, options.removed, options.outside_ze, first_start=min(starts.values()))
    codes = list(dict.fromkeys(members + pl.candidates["code"].tolist()))
    base_year = min(starts.values()) - 1
    feats = matching.features(con, codes, base_year)
    results, matchings = {}, {}
    loaders = {"yearly": lambda: outcomes.yearly(con, indicator, codes, options.index, options.weighted),
               "spans": lambda: outcomes.census_spans(con, indicator, codes, options.weighted)}
    for name, load in loaders.items():
        outcome, reason = load()
        if outcome is None:
            results[name] = Refusal(reason)
            continue
        if outcome_hook is not None:
            outcome = outcome_hook(outcome)
        both = feats.join(_outcome_features(outcome, base_year, min(starts.values())), how="left")
        both.attrs["labels"] = {**feats.attrs["labels"], **_OUTCOME_LABELS}
        m = matching.match(both, pl, members, options.k, after=ev.first_after(outcome, members, starts))
        matchings[name] = m
        design = design_of(members, starts, m, options.k, outcome, pl.treated_from)
        result = ev.evaluate(outcome, design, draws=options.draws, progress=progress if name == "yearly" else None,
                             regression=options.regression, synthetic_fits=options.synthetic_fits)
        if isinstance(result, Evaluation | Refusal):
            result = _with_left_out(result, m.unmatched)
        results[name] = result
    main = _main(indicator, results)
    hint = outcomes.hints(indicator)
    return Assessment(indicator, group, options, starts, pl, matchings, results["yearly"], results["spans"], main,
                      verdict.combine(results[main], results["yearly" if main == "spans" else "spans"], main,
                                      group, pl, matchings.get(main), hint.label if hint else indicator))


_OUTCOME_LABELS = {"outcome_trend": "Tendance de l'indicateur avant le début (par an)",
                   "outcome_level": "Niveau de l'indicateur avant le début"}


def _outcome_features(outcome: outcomes.Outcome, base_year: int, start: int) -> pd.DataFrame:
    """The outcome's own level and trend before the start, per territory (in the unit it is compared in)."""
    rates = outcome.rates()
    if outcome.spans:
        before = [p for p in outcome.periods if p <= start]
        return pd.DataFrame({"outcome_level": rates[max(before)]} if before else {}, index=rates.index)
    years = [p for p in outcome.periods if base_year - 5 <= p <= base_year]
    if len(years) < 3:
        return pd.DataFrame(index=rates.index)
    y = rates[years].to_numpy(dtype=float)
    if outcome.index:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = y / y[:, [-1]] * 100
    x = np.array(years, dtype=float) - np.mean(years)
    with np.errstate(invalid="ignore"):
        slope = ((y - y.mean(axis=1, keepdims=True)) * x).sum(axis=1) / (x @ x)
    out = {"outcome_trend": slope}
    if not outcome.index:
        out["outcome_level"] = y[:, -3:].mean(axis=1)
    return pd.DataFrame(out, index=rates.index).replace([np.inf, -np.inf], np.nan)


def design_of(members: list[str], starts: dict[str, int], m: matching.Matching, k: int,
              outcome: outcomes.Outcome, treated_from: dict[str, int] | None = None) -> ev.Design:
    """Who is compared with whom, from a matching, for one outcome."""
    nb = m.neighbours.sort_values(["member", "rank"])
    return ev.Design(tuple(members), starts, nb.groupby("member")["code"].agg(list).to_dict(), m.similar,
                     m.candidate_neighbours, k, m.covariates.drop(columns=_own_level(outcome), errors="ignore"),
                     dict(treated_from or {}))


def _own_level(outcome: outcomes.Outcome) -> list[str]:
    """Matching variables the bias correction must not regress on: the outcome's own level before the
    start. Under parallel paths a lagged level pulls the estimate towards the mean (Daw & Hatfield 2018);
    its trend stays."""
    own = ["outcome_level"]
    if outcome.indicator in ("net_migration", "net_migration_rate"):
        own.append("net_migration_rate")
    return own


def _with_left_out(result: Evaluation | Refusal, extra: dict[str, str]) -> Evaluation | Refusal:
    from dataclasses import replace

    return replace(result, left_out={**extra, **result.left_out}) if extra else result


def _main(indicator: str, results: dict[str, Evaluation | Refusal]) -> str:
    """Population and new residents are answered by the census spans (yearly legal populations pool
    five surveys), or not at all while no census span follows the start; other indicators by their
    yearly series, the spans when there is none."""
    hint = outcomes.hints(indicator)
    census_first = hint is not None and (hint.smoothed or hint.census_outcome or indicator in _CENSUS_FIRST)
    if census_first:  # the census answers, or says why it cannot yet: a smoothed yearly series never does
        return "spans"
    if isinstance(results["yearly"], Evaluation):
        return "yearly"
    return "spans" if isinstance(results["spans"], Evaluation) else "yearly"


_CENSUS_FIRST = frozenset({"net_migration", "net_migration_rate", "pop_change", "natural_balance"})
