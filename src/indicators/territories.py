"""Territory codes, levels, hierarchy, search by name, and groups of territories."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import duckdb
import pandas as pd

from . import text, years
from .errors import ObservatoireError, UnknownTerritory

# INSEE's study zonings: level → (its name, the word a label carries: « Foix-Pamiers (zone d'emploi) »).
ZONING_LEVELS: dict[str, tuple[str, str]] = {
    "ZE": ("Zone d'emploi", "zone d'emploi"),
    "BV": ("Bassin de vie", "bassin de vie"),
    "AAV": ("Aire d'attraction des villes", "aire d'attraction"),
    "UU": ("Unité urbaine", "unité urbaine"),
}
ZONING_VINTAGES = {"ZE": "ZE2020", "BV": "BV2022", "AAV": "AAV2020", "UU": "UU2020"}  # INSEE's names for them
ZONING_SQL = ", ".join(f"'{lv}'" for lv in ZONING_LEVELS)  # the same, as an SQL list
LEVELS: dict[str, str] = {
    "COM": "Commune",
    "ARM": "Arrondissement municipal",
    "EPCI": "Intercommunalité (EPCI)",
    "DEP": "Département",
    "REG": "Région",
    "FR": "France",
    **{lv: f"{name} {ZONING_VINTAGES[lv][-4:]}" for lv, (name, _) in ZONING_LEVELS.items()},  # « Zone d'emploi 2020 »
}
MAP_LEVELS = ("REG", "DEP", "EPCI", "COM", *ZONING_LEVELS)
PILOT_GROUP = "cci-midi-pyrenees"  # the CCI Midi-Pyrénées pilot sites, the group every page opens on


ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalise(text: str | None) -> str:
    """Accent-, case- and punctuation-blind form of a name, with the usual abbreviations spelt out,
    so « st girons », « St-Girons » and « saint-girons » all find Saint-Girons."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("œ", "oe").replace("æ", "ae")
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


# Words that name a study zoning, as `normalise` writes them: « ZE », « zone d'emploi », « BV2022 », « aire »…
ZONING_WORDS = {normalise(word): lv for lv, (name, short) in ZONING_LEVELS.items()
                for word in (lv, ZONING_VINTAGES[lv], name, short)} | {"aire": "AAV"}


_LONGEST_FIRST = sorted(ZONING_WORDS, key=len, reverse=True)  # « aire d attraction » before « aire »


def zoning_said(key: str) -> tuple[str, str] | None:
    """(level, the rest) when a normalised query opens or ends with a zoning's word: « bassin de vie
    rodez », « rodez bassin de vie » (how its label reads) and « ze foix » name the zone, not the town."""
    for word in _LONGEST_FIRST:
        if key.startswith(word + " "):  # « zone d emploi de foix »: the name after its article
            return ZONING_WORDS[word], re.sub(r"^(?:de la|de l|du|des|de|d) ", "", key[len(word) + 1:])
        if key.endswith(" " + word):
            return ZONING_WORDS[word], key[:-len(word) - 1]
    return None


def level_of(code: str) -> str:
    return code.split(":", 1)[0]


def search(con: duckdb.DuckDBPyConnection, text: str, levels: tuple[str, ...] | None = None,
           limit: int = 20) -> pd.DataFrame:
    """Territories whose name matches, exact names first then by population.

    Homonyms come back as separate rows whose labels carry the département, e.g. « Revel (31) »
    and « Revel (38) ». A prefixed code (« ZE:7612 ») finds its territory; a zoning's word around a
    name (« bassin de vie rodez », « aire toulouse ») looks among that zoning's zones first.
    """
    key = normalise(text)
    if not key:
        return pd.DataFrame(columns=["code", "label", "level", "population"])
    lv = list(levels or LEVELS)
    if ":" in text:  # a prefixed code, « ZE:7612 »
        return con.execute(f"""SELECT code, label, level, population FROM territory WHERE valid_until IS NULL
                               AND code = ? AND level IN ({", ".join("?" * len(lv))})""",
                           [text.strip().upper(), *lv]).df()
    said = zoning_said(key)
    # « aire toulouse » is an aire; « Aire-sur-l'Adour », a place's whole name, stays a name.
    if said and said[0] in lv and not con.execute("SELECT count(*) FROM territory WHERE search_key = ? "
                                                  "AND valid_until IS NULL", [key]).fetchone()[0]:
        found = _matching(con, said[1], [said[0]], limit)
        if not found.empty:
            return found
    return _matching(con, key, lv, limit, code_guess=text.strip().upper())


def _matching(con: duckdb.DuckDBPyConnection, key: str, lv: list[str], limit: int, code_guess: str = "") -> pd.DataFrame:
    return con.execute(
        f"""SELECT code, label, level, population FROM territory
            WHERE valid_until IS NULL AND level IN ({", ".join("?" * len(lv))})
              AND (search_key LIKE ? OR search_key LIKE ? OR split_part(code, ':', 2) = ?)
            ORDER BY (search_key = ?) DESC, (split_part(code, ':', 2) = ?) DESC,
                     level IN ({", ".join("?" * len(ZONING_LEVELS))}),  -- « Rodez », « 12202 »: the commune first
                     starts_with(search_key, ?) DESC, population DESC NULLS LAST, code
            LIMIT ?""",
        [*lv, key + "%", "% " + key + "%", code_guess, key, code_guess, *ZONING_LEVELS, key, limit],
    ).df()


def get(con: duckdb.DuckDBPyConnection, code: str) -> dict:
    row = con.execute("SELECT * FROM territory WHERE code = ?", [code]).df()
    if row.empty:
        raise UnknownTerritory(code)
    return row.iloc[0].to_dict()


def labels(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    """Display label of each code; unknown codes are left out."""
    if not codes:
        return {}
    rows = con.execute(
        f"SELECT code, label FROM territory WHERE code IN ({', '.join('?' * len(codes))})", codes
    ).fetchall()
    return dict(rows)


def references(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    """The territories a series is read against: its département, région, and France."""
    if code == "FR":
        return []
    t = get(con, code)
    parents = [] if t["level"] == "REG" else ["parent_reg"] if t["level"] == "DEP" else ["parent_dep", "parent_reg"]
    return [t[p] for p in parents if isinstance(t.get(p), str)] + ["FR"]


OUTSIDE = {"AAV": "hors attraction des villes", "UU": "hors unité urbaine"}


def zonings_of(con: duckdb.DuckDBPyConnection, code: str) -> list[tuple[str, str | None, str]]:
    """A commune's study zones, (level, zone code or None, label): « hors unité urbaine » where INSEE
    places it outside any; empty for a territory that is not a commune of INSEE's table (an overseas
    collectivity, an EPCI)."""
    marks = ", ".join("?" * len(ZONING_LEVELS))
    held = {lv: (zone, name) for lv, zone, name in con.execute(
        f"""SELECT t.level, t.code, t.name FROM composition c JOIN territory t ON t.code = c.parent
            WHERE c.child = ? AND t.level IN ({marks})""", [code, *ZONING_LEVELS]).fetchall()}
    if "ZE" not in held:  # every commune of the table has an employment zone
        return []
    return [(lv, *held.get(lv, (None, OUTSIDE.get(lv, "")))) for lv in ZONING_LEVELS]


def zones_holding(con: duckdb.DuckDBPyConnection, codes: list[str]) -> list[str]:
    """The study zones that hold a commune of these territories (a commune, or an EPCI's communes), by level."""
    if not codes:
        return []
    marks = ", ".join("?" * len(codes))
    return [r[0] for r in con.execute(
        f"""SELECT DISTINCT z.code FROM composition c JOIN territory z ON z.code = c.parent
            WHERE z.level IN ({", ".join("?" * len(ZONING_LEVELS))})
              AND (c.child IN ({marks}) OR c.child IN (SELECT child FROM composition WHERE parent IN ({marks})))
            ORDER BY array_position(?, z.level), z.code""",
        [*ZONING_LEVELS, *codes, *codes, list(ZONING_LEVELS)]).fetchall()]


def sharing_zone(con: duckdb.DuckDBPyConnection, code: str, zoning: str = "ZE") -> list[str]:
    """Territories of `code`'s level with a commune in one of the zones (of `zoning`) that hold its
    communes: a commune's labour market, for similar territories within or outside it."""
    return in_zones(con, [z for z in zones_holding(con, [code]) if level_of(z) == zoning], level_of(code))


def in_zones(con: duckdb.DuckDBPyConnection, zones: list[str], level: str) -> list[str]:
    """The current territories of `level` with a commune in one of `zones` (a commune of them, or an
    EPCI, département… holding one)."""
    if not zones:
        return []
    marks = ", ".join("?" * len(zones))
    return [r[0] for r in con.execute(
        f"""WITH market AS (SELECT child FROM composition WHERE parent IN ({marks}))
            SELECT code FROM territory WHERE level = ? AND valid_until IS NULL
              AND (code IN (SELECT child FROM market)
                   OR code IN (SELECT parent FROM composition WHERE child IN (SELECT child FROM market)))
            ORDER BY code""", [*zones, level]).fetchall()]


def by_level(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    return con.execute(
        "SELECT code, label, population FROM territory WHERE level = ? AND valid_until IS NULL ORDER BY label",
        [level],
    ).df()


def in_group(con: duckdb.DuckDBPyConnection, group_id: str, codes: list[str]) -> list[str]:
    """The codes that are members of the group, or make up or contain one of its members."""
    members = group_members(con, group_id)["code"].tolist()
    return [c for c in codes if c in codes_at_level(con, members, level_of(c))]


def codes_at_level(con: duckdb.DuckDBPyConnection, members: list[str], level: str) -> set[str]:
    """Territories of `level` that make up or contain the members, to outline a group on a map:
    an EPCI member on a commune map is its communes; a commune on an EPCI map is its EPCI."""
    if not members:
        return set()
    marks = ", ".join("?" * len(members))
    parent = {"EPCI": "parent_epci", "DEP": "parent_dep", "REG": "parent_reg"}.get(level)
    rows = con.execute(
        f"""SELECT code FROM territory WHERE level = ? AND code IN ({marks})
            UNION SELECT c.child FROM composition c JOIN territory t ON t.code = c.child AND t.level = ?
                  WHERE c.parent IN ({marks})
            {f"UNION SELECT t.{parent} FROM territory t WHERE t.code IN ({marks}) AND t.{parent} IS NOT NULL"
             if parent else ""}""",
        [level, *members, level, *members, *(members if parent else [])],
    ).fetchall()
    return {r[0] for r in rows}


def groups(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """SELECT g.id, g.name, g.description, g.start_year, g.source, g.builtin, g.programme, g.start_note,
                  count(m.territory) AS members
           FROM territory_group g LEFT JOIN group_member m ON m.group_id = g.id
           GROUP BY ALL ORDER BY g.builtin DESC, g.name"""
    ).df()


def group_members(con: duckdb.DuckDBPyConnection, group_id: str) -> pd.DataFrame:
    """Members with their own start year (`start_year`, NULL when they follow the group's) and what
    that year is (`start_note`: a convention's date, a user's entry)."""
    return con.execute(
        """SELECT m.territory AS code, t.label, t.level, t.population, m.note, m.start_year, m.start_note
           FROM group_member m JOIN territory t ON t.code = m.territory
           WHERE m.group_id = ? ORDER BY t.level, t.label""",
        [group_id],
    ).df()


USER_START_NOTE = "année saisie par un utilisateur"


def start_text(group: pd.Series) -> str:
    """A group's start year and what it is: « 2016, année supposée : non publiée par la CCI… »."""
    if pd.isna(group.get("start_year")):
        return "non renseigné"
    year, note = int(group["start_year"]), group.get("start_note")
    if not isinstance(note, str) or not note:
        return str(year)
    return note if note.startswith(str(year)) else f"{year} ({note})"


LINK_GROUP = "lien"
LINK_MEMBERS = 30  # members of a group composed in a link (public instance): its evaluation stays under a second


def link_group(con: duckdb.DuckDBPyConnection, codes: list[str], start_year: int | None) -> tuple[pd.Series, pd.DataFrame]:
    """A group that lives in a link only (public instance: shareable, never stored): its row and members."""
    members = con.execute(
        f"""SELECT code, label, level, population, NULL AS note, NULL::INTEGER AS start_year,
                   NULL AS start_note FROM territory
            WHERE code IN ({", ".join("?" * len(codes)) or "NULL"}) ORDER BY level, label""", codes).df()
    row = pd.Series({"id": LINK_GROUP, "name": "Groupe composé dans le lien", "start_year": start_year,
                     "description": "Groupe composé par l'utilisateur, gardé dans l'adresse de la page (jamais dans la base).",
                     "source": "lien partagé", "builtin": False, "programme": False,
                     "start_note": "année donnée dans le lien" if start_year else None, "members": len(members)})
    return row, members


# ---------------------------------------------------------------- editing groups (writer path)
class GroupProblem(ObservatoireError):
    """A group edit that cannot be done, with the reason in French."""


def slug(name: str, sep: str = "-", empty: str = "groupe") -> str:
    """An identifier from a name: accent-free lower case, words joined by `sep`, at most 40 characters."""
    return re.sub(r"\s+", sep, normalise(name))[:40] or empty


def save_group(name: str, members: list[str], start_year: int | None, description: str = "",
               group_id: str | None = None, path: Path | None = None, programme: bool | None = None,
               member_starts: dict[str, int | None] | None = None) -> str:
    """Create (group_id None) or update a group in the database, through the one writer path.

    `programme`: its members are treated territory, left out of every other group's comparison
    (None keeps what the group was; a new group is not one). `member_starts`: a member's own start
    year (None: the group's); members left out keep theirs."""
    from . import store

    name = name.strip()
    if not name:
        raise GroupProblem("Donnez un nom au groupe.")
    for field_name, value, required in (("name", name, True), ("description", description, False)):
        message = text.check(field_name, value, required)
        if message:
            raise GroupProblem(message[0].upper() + message[1:])
    if not members:
        raise GroupProblem("Un groupe doit compter au moins un territoire.")
    for year in [start_year, *(member_starts or {}).values()]:
        if year is not None and not years.valid_start(year):
            raise GroupProblem(f"Année de démarrage invalide : {year} (entre {years.FIRST_START} et {years.last_start()}).")
    with store.replacing(path) as con:
        known = set(labels(con, members))
        unknown = [m for m in members if m not in known]
        if unknown:
            raise GroupProblem("Territoires inconnus : " + ", ".join(unknown))
        kept: dict[str, tuple] = {}
        same_name = [r[0] for r in con.execute("SELECT id FROM territory_group WHERE lower(trim(name)) = lower(?)",
                                               [name]).fetchall()]
        if [g for g in same_name if g != group_id]:
            raise GroupProblem(f"Un groupe s'appelle déjà « {name} » : choisissez un autre nom.")
        if group_id is None:
            taken = {r[0] for r in con.execute("SELECT id FROM territory_group").fetchall()}
            group_id, n = slug(name), 2
            while group_id in taken:
                group_id, n = f"{slug(name)}-{n}", n + 1
            con.execute("""INSERT INTO territory_group (id, name, description, start_year, source, builtin, programme)
                           VALUES (?, ?, ?, ?, ?, FALSE, ?)""",
                        [group_id, name, description, start_year, "Groupe créé par un utilisateur", bool(programme)])
        else:
            if not store.first(con, "SELECT count(*) FROM territory_group WHERE id = ?", [group_id])[0]:
                raise GroupProblem(f"Groupe inconnu : « {group_id} ».")
            con.execute("""UPDATE territory_group SET name = ?, description = ?, start_year = ?,
                                  programme = coalesce(?, programme) WHERE id = ?""",
                        [name, description, start_year, programme, group_id])
            kept = {r[0]: r[1:] for r in con.execute(
                "SELECT territory, note, start_year, start_note FROM group_member WHERE group_id = ?", [group_id]).fetchall()}
            con.execute("DELETE FROM group_member WHERE group_id = ?", [group_id])
        rows = []
        for m in dict.fromkeys(members):
            note, own, own_note = kept.get(m, (None, None, None))
            if member_starts is not None and m in member_starts and member_starts[m] != own:
                own, own_note = member_starts[m], USER_START_NOTE if member_starts[m] is not None else None
            rows.append((group_id, m, note, own, own_note))
        con.executemany("INSERT INTO group_member (group_id, territory, note, start_year, start_note) VALUES (?, ?, ?, ?, ?)",
                        rows)
    return group_id


def delete_group(group_id: str, path: Path | None = None) -> None:
    """Delete a user group; the shipped programme groups can be edited but not deleted."""
    from . import store

    with store.replacing(path) as con:
        row = store.first(con, "SELECT builtin FROM territory_group WHERE id = ?", [group_id])
        if row is None:
            raise GroupProblem(f"Groupe inconnu : « {group_id} ».")
        if row[0]:
            raise GroupProblem("Les groupes livrés (programmes nationaux, sites pilotes) ne peuvent pas être supprimés.")
        con.execute("DELETE FROM group_member WHERE group_id = ?", [group_id])
        con.execute("DELETE FROM territory_group WHERE id = ?", [group_id])
