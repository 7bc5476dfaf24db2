"""The comparison pool of a programme group: territories a member could be compared with.

A comparison is only as good as its untreated side. The pool therefore holds territories of the
members' own levels, within the same région by default (département or France on request), and
never a territory that shares a commune with a member (CA Gaillac-Graulhet holds 27 of the 29
communes of the treated CC Tarn et Dadou) nor, unless the user adds it back, one that holds a
commune of another programme (ACV, PVD, users' groups marked as programmes). On request, territories
of a member's zone d'emploi are left out too: they share its labour market, so a programme's effect may
spill over onto them. Every exclusion is listed with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from . import territories
from .territories import ZONING_SQL

SCOPES: dict[str, str] = {"REG": "même région", "DEP": "même département", "ZE": "même zone d'emploi",
                          "FR": "France entière"}
# A scope too small for its members is widened: zone d'emploi → région → overseas or mainland → France.
WIDER = {"ZE": "REG", "DEP": "REG", "REG": "ZONE", "ZONE": "FR"}
SCOPE_COLUMN = {"REG": "parent_reg", "DEP": "parent_dep", "ZONE": "zone", "ZE": "ze"}
ZONES = {"metro": "France métropolitaine", "drom": "outre-mer (DROM)", "com": "collectivités d'outre-mer"}
MIN_CANDIDATES = 12   # a stratum with fewer candidates (or fewer than 3 per member) is widened


@dataclass(frozen=True)
class Pool:
    """Candidates (code, level, label, stratum) and the territories left out (code, label, level,
    reason). A stratum is a level within a scope unit (`COM@REG:76`); `strata` says for each how many
    members and candidates it holds and whether it had to be widened."""
    candidates: pd.DataFrame
    excluded: pd.DataFrame
    strata: pd.DataFrame
    member_stratum: dict[str, str]
    scope: str
    overlaps: dict[str, str]  # member → the other programme whose ground it covers (its effect is mixed in)

    def of_stratum(self, stratum: str) -> list[str]:
        return self.candidates.loc[self.candidates["stratum"] == stratum, "code"].tolist()


# Each territory as the communes it covers: a commune itself, an arrondissement its city, anything
# larger its composition. Two territories share ground when their communes meet.
_ATOMS = """
    SELECT code, code AS commune FROM territory WHERE level = 'COM'
    UNION ALL SELECT code, parent_com FROM territory WHERE level = 'ARM' AND parent_com IS NOT NULL
    UNION ALL SELECT parent, child FROM composition WHERE child_level = 'COM'
"""


def comparison_pool(con: duckdb.DuckDBPyConnection, members: list[str], group_id: str | None = None,
                    scope: str = "REG", other_programmes: bool = True, added: tuple[str, ...] = (),
                    removed: tuple[str, ...] = (), outside_ze: bool = False) -> Pool:
    """The clean pool for `members` (codes). `group_id` is the group's own id (its members are not
    "another programme"); `added` are territories the user puts back in (never one sharing a commune
    with a member), `removed` those the user takes out; `outside_ze` leaves out the territories of the
    members' zones d'emploi."""
    scope = scope if scope in SCOPES else "REG"
    info = con.execute(  # `ze`: the zone d'emploi of a member's first commune
        f"""SELECT t.code, t.level, t.label, t.parent_dep, t.parent_reg, t.zone,
                   (SELECT min(c.parent) FROM composition c JOIN territory z ON z.code = c.parent AND z.level = 'ZE'
                    WHERE c.child = t.code OR c.child IN (SELECT child FROM composition WHERE parent = t.code)) AS ze
            FROM territory t WHERE t.code IN ({", ".join("?" * len(members)) or "NULL"})""", list(members)).df()
    info = info.set_index("code").reindex(list(members)).dropna(subset=["level"])
    strata_rows, member_stratum, chosen = [], {}, []
    per_level_scope = {}
    for code, row in info.iterrows():
        sc = scope if row["level"] in ("COM", "ARM", "EPCI") else "FR"  # a département's peers are in France
        per_level_scope.setdefault((row["level"], sc, _unit(row, sc)), []).append(code)
    treated = _treated(con, list(info.index), group_id, other_programmes, outside_ze)
    overlaps = _programme_ground(con, list(info.index), group_id)
    for (level, sc, unit), codes in per_level_scope.items():
        cands = _candidates(con, level, sc, unit)
        while sc != "FR" and len(set(cands) - treated.keys() - set(info.index)) < max(MIN_CANDIDATES, 3 * len(codes)):
            sc = WIDER[sc]
            unit = _unit(info.loc[codes[0]], sc)
            cands = _candidates(con, level, sc, unit)
        stratum = f"{level}@{unit or 'FR'}"
        widened = sc != (scope if level in ("COM", "ARM", "EPCI") else "FR")
        for c in codes:
            member_stratum[c] = stratum
        chosen += [(c, level, stratum) for c in cands]
        strata_rows.append({"stratum": stratum, "level": level, "scope": sc, "unit": unit or "FR",
                            "members": len(codes), "widened": widened})
    cand = pd.DataFrame(chosen, columns=["code", "level", "stratum"]).drop_duplicates(["code", "stratum"])
    cand = cand[~cand["code"].isin(info.index)]
    reasons = {c: r for c, r in treated.items()}
    for c in removed:
        reasons.setdefault(c, "retiré à la main")
    excluded_codes = set(reasons) - {c for c in added if not reasons.get(c, "").startswith(_SHARES)}
    extra = [c for c in added if c not in set(cand["code"]) and c not in info.index
             and not reasons.get(c, "").startswith(_SHARES)]
    if extra:  # a territory the user adds from elsewhere joins the stratum of the members of its level
        lv = dict(con.execute(f"SELECT code, level FROM territory WHERE code IN ({', '.join('?' * len(extra))})",
                              extra).fetchall())
        first_of = {r["level"]: r["stratum"] for r in strata_rows[::-1]}
        cand = pd.concat([cand, pd.DataFrame([(c, lv[c], first_of[lv[c]]) for c in extra if lv.get(c) in first_of],
                                             columns=["code", "level", "stratum"])])
    in_scope = set(cand["code"])
    dropped = cand[cand["code"].isin(excluded_codes)]
    cand = cand[~cand["code"].isin(excluded_codes)].reset_index(drop=True)
    labels = _labels(con, list(in_scope | set(added)))
    cand["label"] = cand["code"].map(labels)
    excluded = pd.DataFrame({"code": dropped["code"].drop_duplicates()})
    refused = [c for c in added if reasons.get(c, "").startswith(_SHARES)]
    excluded = pd.concat([excluded, pd.DataFrame({"code": refused})]).drop_duplicates("code")
    excluded["label"] = excluded["code"].map(labels)
    excluded["level"] = excluded["code"].str.split(":").str[0]
    excluded["reason"] = excluded["code"].map(reasons)
    strata = (pd.DataFrame(strata_rows).groupby("stratum", as_index=False, sort=False)
              .agg(level=("level", "first"), scope=("scope", "first"), unit=("unit", "first"),
                   members=("members", "sum"), widened=("widened", "any")))
    strata["candidates"] = strata["stratum"].map(cand.groupby("stratum").size()).fillna(0).astype(int)
    strata["unit_label"] = strata["unit"].map(lambda u: "France" if u == "FR" else ZONES.get(u) or labels.get(u)
                                              or _label(con, u))
    return Pool(cand, excluded.sort_values(["reason", "label"]).reset_index(drop=True), strata, member_stratum, scope,
                overlaps)


_SHARES = "partage des communes avec"


def _unit(row: pd.Series, scope: str) -> str | None:
    return row[SCOPE_COLUMN[scope]] if scope in SCOPE_COLUMN and isinstance(row[SCOPE_COLUMN[scope]], str) else None


def _candidates(con: duckdb.DuckDBPyConnection, level: str, scope: str, unit: str | None) -> list[str]:
    if scope == "ZE" and unit:  # territories of the level with a commune in that zone d'emploi
        return territories.in_zones(con, [unit], level)
    where = f"AND {SCOPE_COLUMN[scope]} = ?" if scope in SCOPE_COLUMN and unit else ""
    return [r[0] for r in con.execute(
        f"SELECT code FROM territory WHERE level = ? AND valid_until IS NULL {where} ORDER BY code",
        [level, *([unit] if where else [])]).fetchall()]


def _treated(con: duckdb.DuckDBPyConnection, members: list[str], group_id: str | None,
             other_programmes: bool, outside_ze: bool = False) -> dict[str, str]:
    """Territories that cover treated ground, with the reason: sharing a commune with a member
    (always), holding a commune of another programme group (when `other_programmes`), lying in a
    member's zone d'emploi (when `outside_ze`)."""
    marks = ", ".join("?" * len(members)) or "NULL"
    rows = con.execute(
        f"""WITH atoms AS ({_ATOMS}),
            mine AS (SELECT a.commune, min(t.label) AS member FROM atoms a JOIN territory t ON t.code = a.code
                     WHERE a.code IN ({marks}) GROUP BY a.commune)
            SELECT a.code, '{_SHARES} ' || string_agg(DISTINCT m.member, ', ' ORDER BY m.member)
            FROM atoms a JOIN mine m USING (commune) WHERE a.code NOT IN ({marks}) GROUP BY a.code""",
        [*members, *members]).fetchall()
    reasons = dict(rows)
    if other_programmes:
        for code, reason in _programme_ground(con, members, group_id, exclude=members).items():
            reasons.setdefault(code, reason)
    if outside_ze:
        for code, reason in _members_labour_market(con, members).items():
            reasons.setdefault(code, reason)
    return reasons


def _members_labour_market(con: duckdb.DuckDBPyConnection, members: list[str]) -> dict[str, str]:
    """Territories with a commune in a zone d'emploi that holds a member's commune, the zones named."""
    marks = ", ".join("?" * len(members)) or "NULL"
    rows = con.execute(
        f"""WITH atoms AS ({_ATOMS}),
            zones AS (SELECT DISTINCT c.parent AS ze FROM atoms a JOIN composition c ON c.child = a.commune
                      JOIN territory z ON z.code = c.parent AND z.level = 'ZE' WHERE a.code IN ({marks})),
            market AS (SELECT c.child AS commune, z.name FROM zones JOIN composition c ON c.parent = zones.ze
                       JOIN territory z ON z.code = zones.ze)
            SELECT a.code, ? || ' ' || string_agg(DISTINCT m.name, ', ' ORDER BY m.name)
            FROM atoms a JOIN market m USING (commune) JOIN territory t ON t.code = a.code
            WHERE a.code NOT IN ({marks}) AND t.level NOT IN ({ZONING_SQL})
            GROUP BY a.code""",
        [*members, SPILLOVER, *members]).fetchall()
    return dict(rows)


SPILLOVER = "dans la zone d'emploi d'un membre (effets de débordement possibles) :"


def _programme_ground(con: duckdb.DuckDBPyConnection, codes: list[str] | None, group_id: str | None,
                      exclude: list[str] = ()) -> dict[str, str]:
    """Territories (among `codes`, or all but `exclude`) that are, or hold a commune of, a member
    of a programme group other than `group_id`, with the programmes named."""
    within = f"a.code IN ({', '.join('?' * len(codes)) or 'NULL'})" if codes is not None and not exclude else \
        f"a.code NOT IN ({', '.join('?' * len(exclude)) or 'NULL'})"
    rows = con.execute(
        f"""WITH atoms AS ({_ATOMS}),
            prog AS (SELECT a.commune, g.name, m.territory FROM group_member m
                     JOIN territory_group g ON g.id = m.group_id AND g.programme AND g.id IS DISTINCT FROM ?
                     JOIN atoms a ON a.code = m.territory)
            SELECT a.code,
                   CASE WHEN bool_or(p.territory = a.code) THEN 'membre du programme '
                        ELSE 'contient une commune du programme ' END
                   || string_agg(DISTINCT '« ' || p.name || ' »', ', ' ORDER BY '« ' || p.name || ' »')
            FROM atoms a JOIN prog p USING (commune) WHERE {within} GROUP BY a.code""",
        [group_id, *(exclude or codes or [])]).fetchall()
    return dict(rows)


def _labels(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(con.execute("SELECT code, label FROM territory WHERE code IN (SELECT unnest(?::VARCHAR[]))",
                            [list(codes)]).fetchall())


def _label(con: duckdb.DuckDBPyConnection, code: str) -> str:
    return _labels(con, [code]).get(code, code)
