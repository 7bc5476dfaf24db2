"""Matching a programme's members to comparison territories on what was measured before the start.

A comparison territory must have looked like the member *before* the programme: the variables are
read at or before the base year (the year before the first start), never after, and include the
outcome's own pre-start trend. Each member is matched within its stratum of the pool (same level and
kind of place, same région by default) and within a caliper: a population at most POP_FACTOR times
larger or smaller, a distance at most MAX_DISTANCE. A member with nothing inside the caliper is left
out and named, never matched to whatever is nearest. The balance table says how alike the two sides
are before and after.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from .pool import Pool

# Weights of the variables in the distance; the population counts twice (size drives most of what
# a town can do), the outcome's own trend once like every other.
WEIGHTS: dict[str, float] = {"log_population": 2.0, "population_growth": 1.0, "log_density": 1.0,
                             "birth_rate": 1.0, "net_migration_rate": 1.0, "jobs_ratio": 1.0,
                             "outcome_trend": 1.0, "outcome_level": 1.0}
LOG_FEATURES = frozenset({"log_population", "log_density"})
SIMILAR = 25    # each member's placebo stand-ins are drawn among its SIMILAR nearest candidates
SPARE = 6       # extra neighbours kept so a placebo's comparison can skip the other placebo units
POP_FACTOR = 3.0    # caliper: a comparison territory's population within ×/÷ 3 of the member's
MAX_DISTANCE = 1.5  # caliper: weighted distance in standard deviations of the stratum (root mean square)
BALANCED = 0.25     # a standardised difference above this after matching is an imbalance, said


def features(con: duckdb.DuckDBPyConnection, codes: list[str], base_year: int) -> pd.DataFrame:
    """The matching variables of `codes`, each measured at or before `base_year` (code × variable);
    `attrs["labels"]` says what each is and when it was measured."""
    b = int(base_year)
    df = con.execute(
        """WITH u AS (SELECT unnest(?::VARCHAR[]) AS code),
            obs AS (SELECT o.* FROM observation o SEMI JOIN u ON u.code = o.territory
                    WHERE o.indicator IN ('population', 'births', 'area', 'jobs', 'net_migration_rate')),
            pop AS (SELECT territory, year, value FROM obs WHERE indicator = 'population' AND period_start = year),
            last AS (SELECT territory, arg_max(value, year) AS pop, max(year) AS y FROM pop WHERE year <= ? GROUP BY 1),
            earlier AS (SELECT l.territory, p.value AS pop5 FROM last l JOIN pop p ON p.territory = l.territory AND p.year = l.y - 5),
            area AS (SELECT territory, arg_max(value, year) AS area FROM obs WHERE indicator = 'area' GROUP BY 1),
            births AS (SELECT b.territory, sum(b.value) / sum(p.value) * 1000 AS birth_rate
                       FROM obs b JOIN pop p ON p.territory = b.territory AND p.year = b.year
                       WHERE b.indicator = 'births' AND b.period_start = b.year AND b.year BETWEEN ? - 2 AND ?
                       GROUP BY 1 HAVING count(*) = 3),
            span AS (SELECT territory, arg_max(value, struct_pack(year, period_start)) AS nm FROM obs
                     WHERE indicator = 'net_migration_rate' AND period_start < year AND year <= ? GROUP BY 1),
            jobs AS (SELECT j.territory, arg_max(j.value / p.value * 100, j.year) AS jobs_ratio FROM obs j
                     JOIN pop p ON p.territory = j.territory AND p.year = j.year
                     WHERE j.indicator = 'jobs' AND j.period_start = j.year AND j.year <= ? GROUP BY 1)
            SELECT u.code, log10(nullif(l.pop, 0)) AS log_population,
                   (power(l.pop / nullif(e.pop5, 0), 1 / 5) - 1) * 100 AS population_growth,
                   log10(nullif(l.pop / nullif(a.area, 0), 0)) AS log_density,
                   bi.birth_rate, s.nm AS net_migration_rate, j.jobs_ratio
            FROM u LEFT JOIN last l ON l.territory = u.code LEFT JOIN earlier e ON e.territory = u.code
            LEFT JOIN area a ON a.territory = u.code LEFT JOIN births bi ON bi.territory = u.code
            LEFT JOIN span s ON s.territory = u.code LEFT JOIN jobs j ON j.territory = u.code""",
        [list(dict.fromkeys(codes)), b, b, b, b, b]).df().set_index("code")
    spans = con.execute("""SELECT max(struct_pack(year, period_start)) FROM observation
                           WHERE indicator = 'net_migration_rate' AND period_start < year AND year <= ?""", [b]).fetchone()[0]
    job_year = con.execute("""SELECT max(year) FROM observation WHERE indicator = 'jobs' AND period_start = year
                              AND year <= ?""", [b]).fetchone()[0]
    labels = {"log_population": f"Population {b}", "population_growth": f"Croissance de la population {b - 5}–{b} (% par an)",
              "log_density": f"Densité {b} (hab./km²)", "birth_rate": f"Natalité {b - 2}–{b} (‰)",
              "net_migration_rate": (f"Nouveaux résidents {spans['period_start']}–{spans['year']} (‰ par an)"
                                     if spans else "Nouveaux résidents"),
              "jobs_ratio": f"Emplois pour 100 habitants ({job_year})" if job_year else "Emplois pour 100 habitants"}
    df = df.astype(float)
    df.attrs["labels"] = labels
    return df.dropna(axis=1, how="all")


@dataclass(frozen=True)
class Matching:
    """Each member's comparison territories, its stand-ins for placebo draws, and the neighbours of
    those stand-ins (so a placebo group is compared the way the group is)."""
    neighbours: pd.DataFrame              # member, code, distance, rank (1 = nearest), members (served)
    similar: dict[str, list[str]]         # member → candidates a placebo may put in its place
    candidate_neighbours: dict[str, list[str]]  # stand-in → its nearest candidates, nearest first
    balance: pd.DataFrame                 # variable, label, log, group, pool, comparison, smd_pool, smd_matched
    used: dict[str, list[str]] = field(default_factory=dict)  # stratum → variables used
    unmatched: dict[str, str] = field(default_factory=dict)   # member → why it has no comparison territory
    covariates: pd.DataFrame = field(default_factory=pd.DataFrame)  # code → standardised variables (0 when
    #                                       unused in its stratum) and one column per stratum, for the bias correction

    def imbalanced(self) -> pd.DataFrame:
        """Variables whose standardised difference after matching exceeds BALANCED."""
        b = self.balance
        return b[b["smd_matched"].abs() > BALANCED] if not b.empty else b


def match(feats: pd.DataFrame, pool: Pool, members: list[str], k: int,
          weights: dict[str, float] | None = None, similar: int = SIMILAR,
          after: dict[str, int] | None = None) -> Matching:
    """Nearest candidates of each member within its stratum and the caliper: weighted Euclidean distance
    on the variables standardised over the stratum's candidates (a variable is used when every member of
    the stratum has it). Candidates missing a used variable cannot be matched and are left out. A candidate
    of a later programme (`pool.treated_from`) serves a member only if still untreated in the first period
    read after the member's start (`after`: its start year, or the end of the census span after it)."""
    from scipy.spatial import cKDTree  # loaded by the first evaluation only

    weights = {**WEIGHTS, **(weights or {})}
    after = after or {}
    rows, sim, cand_nb, used, unmatched = [], {}, {}, {}, {}
    bal_parts, covs = [], []
    for stratum in dict.fromkeys(pool.member_stratum[m] for m in members if m in pool.member_stratum):
        # a member with no population before the start (Mayotte before 2020) cannot be matched
        known = feats["log_population"].dropna().index if "log_population" in feats else feats.index[:0]
        mem = [m for m in members if pool.member_stratum.get(m) == stratum and m in known]
        unmatched |= {m: "pas de données avant le début pour l'apparier" for m in members
                      if pool.member_stratum.get(m) == stratum and m not in known}
        cand = feats.reindex(pool.of_stratum(stratum))
        # a variable every member has and most candidates too (Mayotte's communes lack the oldest ones)
        cols = [c for c in feats.columns if c in weights and weights[c] > 0 and feats.loc[mem, c].notna().all()
                and cand[c].notna().mean() >= 0.8]
        cand = cand[cols].dropna()
        mu, sd = _robust_scale(cand)
        cols = [c for c in cols if sd[c] > 0]
        if not mem or not cols or cand.empty:
            unmatched |= dict.fromkeys(mem, "aucun territoire comparable dans le vivier")
            continue
        used[stratum] = cols
        mu, sd = mu[cols], sd[cols]
        scale = np.sqrt(np.array([weights[c] for c in cols]) / sum(weights[c] for c in cols))
        zc = ((cand[cols] - mu) / sd).to_numpy() * scale
        zm = ((feats.loc[mem, cols] - mu) / sd).to_numpy() * scale
        tree = cKDTree(zc)
        codes = cand.index.to_numpy()
        pop = cand["log_population"].to_numpy() if "log_population" in cols else None
        treated_from = np.array([pool.treated_from.get(c, 10_000) for c in codes])
        span = min(len(codes), max(20 * (k + SPARE), 4 * similar, 200))
        m_dist, m_idx = tree.query(zm, k=span)
        m_dist, m_idx = np.atleast_2d(m_dist.reshape(len(mem), span)), np.atleast_2d(m_idx.reshape(len(mem), span))
        kept_members, kept_rows = [], []
        own_pop = feats.loc[mem, "log_population"].to_numpy() if pop is not None else [None] * len(mem)
        never = treated_from[np.minimum(m_idx, len(codes) - 1)] >= 10_000
        for i, m in enumerate(mem):
            fits = _within(m_idx[i], m_dist[i], pop, own_pop[i], treated_from, after.get(m))
            close = fits & (m_dist[i] <= MAX_DISTANCE)
            near = m_idx[i][close][:k]
            if not len(near):
                unmatched[m] = (f"aucun territoire comparable dans les bornes (population entre le tiers et le triple, "
                                f"distance d'au plus {str(MAX_DISTANCE).replace('.', ',')}) : il n'est pas apparié "
                                "à plus éloigné")
                continue
            rows.append((m, codes[near], m_dist[i][close][:k]))
            # a placebo's stand-in is compared after the member's start as if treated: never by a programme
            stand = m_idx[i][fits & never[i]][:similar]
            sim[m] = codes[stand].tolist()
            kept_members.append(m)
            kept_rows.append(stand)
        if not kept_members:
            continue
        stand_ins = np.unique(np.concatenate(kept_rows))
        first = min((after.get(m, 10_000) for m in kept_members), default=None)
        near_span = min(len(codes), 6 * (k + SPARE) + 10)  # a stand-in needs only its k + SPARE nearest
        s_dist, s_idx = tree.query(zc[stand_ins], k=near_span)
        s_dist, s_idx = (np.atleast_2d(s_dist.reshape(len(stand_ins), near_span)),
                         np.atleast_2d(s_idx.reshape(len(stand_ins), near_span)))
        for j, s in enumerate(stand_ins):
            fits = _within(s_idx[j], s_dist[j], pop, pop[s] if pop is not None else None, treated_from, first)
            fits &= (s_idx[j] != s) & (s_dist[j] <= MAX_DISTANCE)
            cand_nb[codes[s]] = [codes[x] for x in s_idx[j][fits][:k + SPARE]]
        bal_parts.append((kept_members, cand, cols))
        z = pd.concat([(cand[cols] - mu) / sd, (feats.loc[mem, cols] - mu) / sd])
        covs.append(z.assign(**{f"@{stratum}": 1.0}))
    neighbours = pd.DataFrame({"member": [m for m, c, _ in rows for _ in c],
                               "code": [x for _, c, _ in rows for x in c],
                               "distance": [float(x) for _, _, d in rows for x in d],
                               "rank": [r for _, c, _ in rows for r in range(1, len(c) + 1)]},
                              columns=["member", "code", "distance", "rank"])
    neighbours["members"] = neighbours["code"].map(neighbours.groupby("code")["member"].nunique()).astype("Int64")
    covariates = pd.concat(covs).fillna(0.0) if covs else pd.DataFrame()
    covariates = covariates[~covariates.index.duplicated()]  # a candidate of two strata keeps its first
    return Matching(neighbours, sim, cand_nb, _balance(feats, bal_parts, neighbours), used, unmatched, covariates)


def _within(idx: np.ndarray, dist: np.ndarray, pop: np.ndarray | None, own_pop: float | None,
            treated_from: np.ndarray, start: int | None) -> np.ndarray:
    """Which of the candidates `idx` fit the population caliper and are still untreated in period `start`."""
    ok = np.isfinite(dist)
    if pop is not None and own_pop is not None and np.isfinite(own_pop):
        ok &= np.abs(pop[np.minimum(idx, len(pop) - 1)] - own_pop) <= np.log10(POP_FACTOR) + 1e-12
    if start is not None:
        ok &= treated_from[np.minimum(idx, len(treated_from) - 1)] > start
    return ok


def _robust_scale(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Centre and spread that one outlier cannot move (median, interquartile range): without them,
    taking Paris out of Île-de-France's pool would shift every z-score and every match there."""
    q1, med, q3 = frame.quantile(0.25), frame.median(), frame.quantile(0.75)
    spread = (q3 - q1) / 1.349
    return med, spread.where(spread > 0, frame.std(ddof=0))


def _balance(feats: pd.DataFrame, parts: list[tuple[list[str], pd.DataFrame, list[str]]],
             neighbours: pd.DataFrame) -> pd.DataFrame:
    """Standardised mean differences of each variable: the members against the pool (reweighted to
    the members' strata) and against their matched territories (each member's neighbours averaged,
    then over members). The unit is the pool's within-stratum standard deviation, the same on both
    sides, so « before » and « after » compare."""
    labels = feats.attrs.get("labels", {})
    matched = neighbours.join(feats, on="code").groupby("member", sort=False).mean(numeric_only=True)
    out = []
    for var in dict.fromkeys(c for _, _, cols in parts for c in cols):
        g, p, c, var_w, n = [], [], [], [], 0
        for mem, cand, cols in parts:
            if var not in cols:
                continue
            x = cand[var]
            g.append(feats.loc[mem, var].to_numpy())
            p.append(np.full(len(mem), x.mean()))
            c.append(matched[var].reindex(mem).to_numpy())
            var_w.append(x.var(ddof=0) * len(mem))
            n += len(mem)
        sd = np.sqrt(sum(var_w) / n) if n else np.nan
        gm, pm, cm = np.mean(np.concatenate(g)), np.mean(np.concatenate(p)), np.nanmean(np.concatenate(c))
        out.append({"variable": var, "label": labels.get(var, var), "log": var in LOG_FEATURES,
                    "group": gm, "pool": pm, "comparison": cm,
                    "smd_pool": (gm - pm) / sd if sd > 0 else np.nan,
                    "smd_matched": (gm - cm) / sd if sd > 0 else np.nan})
    return pd.DataFrame(out, columns=["variable", "label", "log", "group", "pool", "comparison", "smd_pool",
                                      "smd_matched"])
