"""Matching a programme's members to comparison territories on what was measured before the start.

A comparison territory must have looked like the member *before* the programme: the variables are
read at or before the base year (the year before the first start), never after, and include the
outcome's own pre-start trend. Each member is matched within its stratum of the pool (same level,
same région by default); the balance table says how alike the two sides are before and after.
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
    neighbours: pd.DataFrame              # member, code, distance, rank (1 = nearest)
    similar: dict[str, list[str]]         # member → candidates a placebo may put in its place
    candidate_neighbours: dict[str, list[str]]  # stand-in → its nearest candidates, nearest first
    balance: pd.DataFrame                 # variable, label, log, group, pool, comparison, smd_pool, smd_matched
    used: dict[str, list[str]] = field(default_factory=dict)  # stratum → variables used
    unmatched: tuple[str, ...] = ()       # members without the variables or without candidates
    covariates: pd.DataFrame = field(default_factory=pd.DataFrame)  # code → standardised variables (0 when
    #                                       unused in its stratum) and one column per stratum, for the bias correction


def match(feats: pd.DataFrame, pool: Pool, members: list[str], k: int,
          weights: dict[str, float] | None = None, similar: int = SIMILAR) -> Matching:
    """Nearest candidates of each member within its stratum: weighted Euclidean distance on the
    variables standardised over the stratum's candidates (a variable is used when every member of the
    stratum has it). Candidates missing a used variable cannot be matched and are left out."""
    from scipy.spatial import cKDTree  # loaded by the first evaluation only

    weights = {**WEIGHTS, **(weights or {})}
    rows, sim, cand_nb, used, unmatched = [], {}, {}, {}, []
    bal_parts, covs = [], []
    for stratum in dict.fromkeys(pool.member_stratum[m] for m in members if m in pool.member_stratum):
        # a member with no population before the start (Mayotte before 2020) cannot be matched
        known = feats["log_population"].dropna().index if "log_population" in feats else feats.index[:0]
        mem = [m for m in members if pool.member_stratum.get(m) == stratum and m in known]
        unmatched += [m for m in members if pool.member_stratum.get(m) == stratum and m not in known]
        cand = feats.reindex(pool.of_stratum(stratum))
        # a variable every member has and most candidates too (Mayotte's communes lack the oldest ones)
        cols = [c for c in feats.columns if c in weights and weights[c] > 0 and feats.loc[mem, c].notna().all()
                and cand[c].notna().mean() >= 0.8]
        cand = cand[cols].dropna()
        mu, sd = _robust_scale(cand)
        cols = [c for c in cols if sd[c] > 0]
        if not mem or not cols or cand.empty:
            unmatched += mem
            continue
        used[stratum] = cols
        mu, sd = mu[cols], sd[cols]
        scale = np.sqrt(np.array([weights[c] for c in cols]) / sum(weights[c] for c in cols))
        zc = ((cand[cols] - mu) / sd).to_numpy() * scale
        zm = ((feats.loc[mem, cols] - mu) / sd).to_numpy() * scale
        tree = cKDTree(zc)
        codes = cand.index.to_numpy()
        kk = min(k, len(codes))
        dist, idx = tree.query(zm, k=kk)
        dist, idx = np.atleast_2d(dist.reshape(len(mem), kk)), np.atleast_2d(idx.reshape(len(mem), kk))
        rows.append(pd.DataFrame({"member": np.repeat(mem, kk), "code": codes[idx.ravel()],
                                  "distance": dist.ravel(), "rank": np.tile(np.arange(1, kk + 1), len(mem))}))
        ks = min(max(similar, k), len(codes))
        _, sidx = tree.query(zm, k=ks)
        sidx = np.atleast_2d(sidx.reshape(len(mem), ks))
        for i, m in enumerate(mem):
            sim[m] = codes[sidx[i]].tolist()
        stand_ins = np.unique(sidx)
        kn = min(k + SPARE + 1, len(codes))
        _, nidx = tree.query(zc[stand_ins], k=kn)
        nidx = np.atleast_2d(nidx.reshape(len(stand_ins), kn))
        for s, row in zip(stand_ins, nidx, strict=True):
            cand_nb[codes[s]] = [codes[j] for j in row if j != s][:k + SPARE]
        bal_parts.append((mem, cand, cols))
        z = pd.concat([(cand[cols] - mu) / sd, (feats.loc[mem, cols] - mu) / sd])
        covs.append(z.assign(**{f"@{stratum}": 1.0}))
    neighbours = (pd.concat(rows, ignore_index=True) if rows
                  else pd.DataFrame(columns=["member", "code", "distance", "rank"]))
    covariates = pd.concat(covs).fillna(0.0) if covs else pd.DataFrame()
    covariates = covariates[~covariates.index.duplicated()]  # a candidate of two strata keeps its first
    return Matching(neighbours, sim, cand_nb, _balance(feats, bal_parts, neighbours), used, tuple(unmatched),
                    covariates)


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
