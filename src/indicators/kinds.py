"""What kind of place a territory is, so that an evaluation compares like with like.

A town centre programme is about towns that organise their surroundings: comparing them with the
suburbs of a metropolis mixes two worlds. INSEE's zonings (already in the base) say which role a
commune plays: the pôle of its bassin de vie (the commune whose code is the bassin de vie's code),
inside a large aire d'attraction or not. An EPCI is of its legal form (CC, CA, or the urban
communities and métropoles together) and of the kind of its main commune.
"""
from __future__ import annotations

import duckdb

from .format import fr_int

LARGE_AIRE = 700_000   # INSEE's top size class of aires d'attraction (« 700 000 habitants ou plus »)
_LARGE = fr_int(LARGE_AIRE)

COMMUNE_ROLES: dict[str, str] = {
    "pole": "pôle de bassin de vie",
    "pole_large": f"pôle de bassin de vie dans une aire de {_LARGE} habitants ou plus",
    "crown_large": f"commune d'une aire de {_LARGE} habitants ou plus, hors pôle",
    "other": "commune hors pôle de bassin de vie",
}
EPCI_FORMS: dict[str, str] = {"CC": "communauté de communes", "CA": "communauté d'agglomération",
                              "URBAN": "communauté urbaine ou métropole"}
_FORM_OF_TYPE = {"CC": "CC", "CA": "CA", "CU": "URBAN", "METRO": "URBAN", "MET69": "URBAN", "ME": "URBAN"}

_COMMUNE_ROLE_SQL = f"""
    SELECT t.code,
           CASE WHEN bv.parent = 'BV:' || substr(t.code, 5) THEN
                     CASE WHEN coalesce(aav.population, 0) >= {LARGE_AIRE} THEN 'pole_large' ELSE 'pole' END
                WHEN coalesce(aav.population, 0) >= {LARGE_AIRE} THEN 'crown_large'
                ELSE 'other' END AS role
    FROM territory t
    LEFT JOIN (SELECT c.child, c.parent FROM composition c JOIN territory z ON z.code = c.parent AND z.level = 'BV') bv
           ON bv.child = t.code
    LEFT JOIN (SELECT c.child, z.population FROM composition c JOIN territory z ON z.code = c.parent AND z.level = 'AAV') aav
           ON aav.child = t.code
    WHERE t.level = 'COM'
"""


def kinds(con: duckdb.DuckDBPyConnection, level: str) -> dict[str, str]:
    """Every territory of `level` → its kind: a commune's role, an EPCI's form and its main commune's
    role (`CA/pole`), an arrondissement `ARM`. Other levels have one kind each (their level)."""
    if level == "COM":
        return dict(con.execute(_COMMUNE_ROLE_SQL).fetchall())
    if level == "EPCI":
        rows = con.execute(
            f"""WITH roles AS ({_COMMUNE_ROLE_SQL}),
                main AS (SELECT c.parent, arg_max(r.role, coalesce(t.population, 0)) AS role
                         FROM composition c JOIN territory t ON t.code = c.child
                         JOIN roles r ON r.code = c.child
                         WHERE c.child_level = 'COM' GROUP BY c.parent)
                SELECT e.code, e.epci_type, upper(split_part(e.name, ' ', 1)), m.role
                FROM territory e LEFT JOIN main m ON m.parent = e.code WHERE e.level = 'EPCI'""").fetchall()
        return {code: f"{_FORM_OF_TYPE.get(kind or '') or _FORM_OF_TYPE.get(word, 'CC')}/{role or 'other'}"
                for code, kind, word, role in rows}
    return {code: level for (code,) in con.execute("SELECT code FROM territory WHERE level = ?", [level]).fetchall()}


def describe(kind: str) -> str:
    """A kind in words (« communauté d'agglomération dont la commune principale est pôle de bassin de vie »)."""
    if "/" in kind:
        form, role = kind.split("/", 1)
        return f"{EPCI_FORMS[form]} dont la commune principale est {_role_phrase(role)}"
    return COMMUNE_ROLES.get(kind, kind)


def _role_phrase(role: str) -> str:
    text = COMMUNE_ROLES.get(role, role)
    return text.replace("commune d'une", "dans une").replace("commune hors", "hors")
