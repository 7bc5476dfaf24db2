"""The comparison pool of a programme group: territories a member could be compared with.

A comparison is only as good as its untreated side. The pool therefore holds territories of the
members' own levels and kind of place (a pôle of its bassin de vie with pôles, a CA with CAs, see
`kinds`), within the same région by default (département or France on request), and never a
territory that shares a commune with a member (CA Gaillac-Graulhet holds 27 of the 29 communes of the
treated CC Tarn et Dadou). A territory of another programme (ACV, PVD, users' groups marked as
programmes) is left out when its programme started before or with the group; one whose programme
starts later is a fair comparator until then (« pas encore traité »): it is kept with the year from
which its values are not used. On request, territories of a member's zone d'emploi are left out too:
they share its labour market, so a programme's effect may spill over onto them. Every exclusion is
listed with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from . import kinds, territories
from .territories import ZONING_SQL

SCOPES: dict[str, str] = {"REG": "même région", "DEP": "même département", "ZE": "même zone d'emploi",
                          "FR": "France entière"}
# A scope too small for its members is widened: zone d'emploi → région → overseas or mainland → France.
WIDER = {"ZE": "REG", "DEP": "REG", "REG": "ZONE", "ZONE": "FR"}
SCOPE_COLUMN = {"REG": "parent_reg", "DEP": "parent_dep", "ZONE": "zone", "ZE": "ze"}
ZONES = {"metro": "France métropolitaine", "drom": "outre-mer (DROM)", "com": "collectivités d'outre-mer"}
MIN_CANDIDATES = 12   # a stratum with fewer untreated candidates (or fewer than 3 per member) is widened


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
    treated_from: dict[str, int] = field(default_factory=dict)  # later programme territory → its own start
    later: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["code", "label", "level", "from",
                                                                                "reason"]))
    kinds: dict[str, str] = field(default_factory=dict)  # stratum → the kind of place it holds

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
                    removed: tuple[str, ...] = (), outside_ze: bool = False,
                    first_start: int | None = None) -> Pool:
    """The clean pool for `members` (codes). `group_id` is the group's own id (its members are not
    "another programme"); `added` are territories the user puts back in (never one sharing a commune
    with a member), `removed` those the user takes out; `outside_ze` leaves out the territories of the
    members' zones d'emploi. With `first_start` (the earliest member's start), a territory of a
    programme that starts later is kept, not yet treated, with its own start in `treated_from`."""
    scope = scope if scope in SCOPES else "REG"
    info = con.execute(  # `ze`: the zone d'emploi of a member's first commune
        """WITH m AS (SELECT DISTINCT unnest(?::VARCHAR[]) AS code),
                atoms AS (SELECT code, code AS commune FROM m
                          UNION ALL SELECT c.parent, c.child FROM composition c JOIN m ON m.code = c.parent
                          WHERE c.child_level = 'COM'),
                zes AS (SELECT a.code, min(c.parent) AS ze FROM atoms a JOIN composition c ON c.child = a.commune
                        JOIN territory z ON z.code = c.parent AND z.level = 'ZE' GROUP BY a.code)
           SELECT t.code, t.level, t.label, t.parent_dep, t.parent_reg, t.zone, zes.ze
           FROM territory t JOIN m USING (code) LEFT JOIN zes USING (code)""", [list(members)]).df()
    info = info.set_index("code").reindex(list(members)).dropna(subset=["level"])
    strata_rows, member_stratum, chosen, stratum_kind = [], {}, [], {}
    per_level_scope = {}
    kind_of = {lv: kinds.kinds(con, lv) for lv in info["level"].unique()}
    for code, row in info.iterrows():
        sc = scope if row["level"] in ("COM", "ARM", "EPCI") else "FR"  # a département's peers are in France
        kind = kind_of[row["level"]].get(code, row["level"])
        per_level_scope.setdefault((row["level"], kind, sc, _unit(row, sc)), []).append(code)
    treated, treated_from, later_reasons = _treated(con, list(info.index), group_id, other_programmes, outside_ze,
                                                    first_start)
    overlaps = _mixed_programmes(con, list(info.index), group_id)
    not_clean = treated.keys() | treated_from.keys() | set(info.index)
    found: dict[tuple, tuple[list[str], int]] = {}  # (level, kind, scope, unit) → candidates, how many clean

    def candidates(level: str, kind: str, sc: str, unit: str | None) -> tuple[list[str], int]:
        key = (level, kind, sc, unit)
        if key not in found:
            of_kind = [c for c in _candidates(con, level, sc, unit) if kind_of[level].get(c, level) == kind]
            found[key] = (of_kind, sum(c not in not_clean for c in of_kind))
        return found[key]

    for (level, kind, sc, unit), codes in per_level_scope.items():
        cands, clean = candidates(level, kind, sc, unit)
        # enough candidates never treated (a later programme's territory is compared only until its start)
        while sc != "FR" and clean < max(MIN_CANDIDATES, 3 * len(codes)):
            sc = WIDER[sc]
            unit = _unit(info.loc[codes[0]], sc)
            cands, clean = candidates(level, kind, sc, unit)
        stratum = f"{level}@{unit or 'FR'}#{kind}"
        widened = sc != (scope if level in ("COM", "ARM", "EPCI") else "FR")
        for c in codes:
            member_stratum[c] = stratum
        if stratum not in stratum_kind:
            chosen += [(c, level, stratum) for c in cands]
        stratum_kind[stratum] = kinds.describe(kind)
        strata_rows.append({"stratum": stratum, "level": level, "scope": sc, "unit": unit or "FR",
                            "members": len(codes), "widened": widened})
    cand = pd.DataFrame(chosen, columns=["code", "level", "stratum"]).drop_duplicates(["code", "stratum"])
    cand = cand[~cand["code"].isin(info.index)]
    reasons = {c: r for c, r in treated.items()}
    for c in removed:
        reasons.setdefault(c, "retiré à la main")
    excluded_codes = set(reasons) - {c for c in added if not reasons.get(c, "").startswith(_SHARES)}
    in_pool = set(cand["code"])
    extra = [c for c in added if c not in in_pool and c not in info.index
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
    strata["kind"] = strata["stratum"].map(stratum_kind)
    kept = set(cand["code"])
    kept_later = {c: y for c, y in treated_from.items() if c in kept}
    later = pd.DataFrame({"code": pd.Series(list(kept_later), dtype=str)})
    later["label"] = later["code"].map(labels)
    later["level"] = later["code"].str.split(":").str[0]
    later["from"] = later["code"].map(kept_later)
    later["reason"] = later["code"].map(later_reasons)
    return Pool(cand, excluded.sort_values(["reason", "label"]).reset_index(drop=True), strata, member_stratum, scope,
                overlaps, kept_later, later.sort_values(["from", "label"]).reset_index(drop=True), stratum_kind)


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
             other_programmes: bool, outside_ze: bool = False, first_start: int | None = None
             ) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """Territories that cover treated ground, with the reason: sharing a commune with a member
    (always), holding a commune of another programme group that started no later than `first_start`
    (when `other_programmes`), lying in a member's zone d'emploi (when `outside_ze`). Also the
    territories of programmes starting later: their start and what the list says of them."""
    marks = ", ".join("?" * len(members)) or "NULL"
    rows = con.execute(
        f"""WITH atoms AS ({_ATOMS}),
            mine AS (SELECT a.commune, min(t.label) AS member FROM atoms a JOIN territory t ON t.code = a.code
                     WHERE a.code IN ({marks}) GROUP BY a.commune)
            SELECT a.code, '{_SHARES} ' || string_agg(DISTINCT m.member, ', ' ORDER BY m.member)
            FROM atoms a JOIN mine m USING (commune) WHERE a.code NOT IN ({marks}) GROUP BY a.code""",
        [*members, *members]).fetchall()
    reasons = dict(rows)
    treated_from, later = {}, {}
    if other_programmes:
        for code, (reason, start) in _programme_ground(con, members, group_id, exclude=members).items():
            if first_start is not None and start is not None and start > first_start and code not in reasons:
                treated_from[code] = start
                later[code] = f"{reason} à partir de {start} : comparable jusqu'en {start - 1}"
            else:
                reasons.setdefault(code, reason + (f" (début {start})" if start is not None else ""))
    if outside_ze:
        for code, reason in _members_labour_market(con, members).items():
            reasons.setdefault(code, reason)
            treated_from.pop(code, None)
            later.pop(code, None)
    return reasons, treated_from, later


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
                      exclude: list[str] = ()) -> dict[str, tuple[str, int | None]]:
    """Territories (among `codes`, or all but `exclude`) that are, or hold a commune of, a member
    of a programme group other than `group_id`: the programmes named, and the earliest start of that
    ground (None when a start is unknown: then it counts as treated all along)."""
    rows = con.execute(
        f"""WITH r AS ({_PROGRAMME_ROWS.format(within=_within(codes, exclude))})
            SELECT code, CASE WHEN bool_or(own) THEN 'membre du programme ' ELSE 'contient une commune du programme ' END
                         || string_agg(DISTINCT '« ' || name || ' »', ', ' ORDER BY '« ' || name || ' »'),
                   CASE WHEN bool_or(start IS NULL) THEN NULL ELSE min(start) END
            FROM r GROUP BY code""", [group_id, *(exclude or codes or [])]).fetchall()
    return {code: (reason, None if start is None else int(start)) for code, reason, start in rows}


_PROGRAMME_ROWS = f"""WITH atoms AS ({_ATOMS}),
    prog AS (SELECT a.commune, g.name, m.territory, coalesce(m.start_year, g.start_year) AS start
             FROM group_member m
             JOIN territory_group g ON g.id = m.group_id AND g.programme AND g.id IS DISTINCT FROM ?
             JOIN atoms a ON a.code = m.territory)
    SELECT a.code, p.name, p.territory = a.code AS own, p.start
    FROM atoms a JOIN prog p USING (commune) WHERE {{within}}"""


def _within(codes: list[str] | None, exclude: list[str]) -> str:
    return (f"a.code IN ({', '.join('?' * len(codes)) or 'NULL'})" if codes is not None and not exclude else
            f"a.code NOT IN ({', '.join('?' * len(exclude)) or 'NULL'})")


def _programme_rows(con: duckdb.DuckDBPyConnection, codes: list[str], group_id: str | None) -> pd.DataFrame:
    """code, programme name, whether the territory is itself the member, the member's start."""
    return con.execute(_PROGRAMME_ROWS.format(within=_within(codes, [])), [group_id, *codes]).df()


def _mixed_programmes(con: duckdb.DuckDBPyConnection, members: list[str], group_id: str | None) -> dict[str, str]:
    """Members that also belong to another programme, with it named. A group that is not itself a programme
    (a user's selection) made only of one programme's members evaluates that programme: no mix there."""
    rows = _programme_rows(con, members, group_id)
    if rows.empty:
        return {}
    is_programme = bool(group_id) and bool(con.execute(
        "SELECT any_value(programme) FROM territory_group WHERE id = ?", [group_id]).fetchone()[0])
    holds = rows.groupby("name")["code"].nunique()
    mixed = rows if is_programme else rows[rows["name"].map(holds) < len(set(members))]
    return {code: "programme " + ", ".join(f"« {n} »" for n in sorted(part["name"].unique()))
            for code, part in mixed.groupby("code", sort=False)}


def _labels(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(con.execute("SELECT code, label FROM territory WHERE code IN (SELECT unnest(?::VARCHAR[]))",
                            [list(codes)]).fetchall())


def _label(con: duckdb.DuckDBPyConnection, code: str) -> str:
    return _labels(con, [code]).get(code, code)
