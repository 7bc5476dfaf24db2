"""The programme groups that ship with the product: CCI Midi-Pyrénées pilot sites, Action Cœur de
Ville, Petites Villes de Demain."""
from __future__ import annotations

from pathlib import Path

import duckdb

from ..datasets import ACV, PILOT_SITES, PVD
from .cog import SUPRACOM_LABELS
from ..territories import PILOT_GROUP

PILOT_START = 2016  # the source gives none: launch under the new Occitanie région, editable
PILOT_SOURCE = f"{PILOT_SITES.producer}, {PILOT_SITES.dataset}"


def build_dissolved_epci(con: duckdb.DuckDBPyConnection, sources: Path, cog_map: str) -> list[str]:
    """EPCI dissolved on 1 January 2017, rebuilt as their 2016 communes in 2026 codes.

    They become territories of level EPCI with valid_until = 2016 (kept out of current lists and
    maps) and a composition, so every roll-up reaches them too.
    """
    pilots = con.execute(
        """SELECT p.code, l.LIBGEO FROM read_csv(?, all_varchar = true, delim = ';') p
           JOIN read_csv(?, all_varchar = true) l ON l.CODGEO = p.code AND l.NIVGEO = 'EPCI'
                AND l.cog_year = p.perimeter_year
           WHERE p.kind = 'epci' AND p.today LIKE 'dissolved%'""",
        [str(sources / PILOT_SITES.files[0]),
         str(sources / SUPRACOM_LABELS)],
    ).fetchall()
    codes = []
    for siren, label in pilots:
        code = f"EPCI:{siren}"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _members AS
                SELECT DISTINCT 'COM:' || m.code AS commune
                FROM membership h JOIN {cog_map} m ON m.old = h.code
                WHERE h.cog_year = 2016 AND h.epci = ?""",
            [siren],
        )
        con.execute(
            """INSERT INTO territory (code, level, name, label, search_key, parent_dep, parent_reg, epci_type,
                                      zone, valid_until, geo_vintage)
               SELECT ?, 'EPCI', ?, ? || ' (périmètre 2016)', normalise(?), mode(t.parent_dep), mode(t.parent_reg), 'CC', 'metro', 2016, 2016
               FROM _members m JOIN territory t ON t.code = m.commune""",
            [code, label, label, label],
        )
        con.execute("INSERT INTO composition SELECT ?, commune, 'COM' FROM _members", [code])
        codes.append(code)
    return codes


PROGRAMMES = (
    # id, name, description, default start, what that start is, source, file (COG 2023 codes)
    ("acv", "Action Cœur de Ville", "Villes moyennes du programme national Action Cœur de Ville.", 2018,
     "2018 : annonce du programme (mars 2018) ; chaque ville a sa date de convention",
     ACV.citation(), ACV.files[0]),
    ("pvd", "Petites Villes de Demain", "Communes du programme Petites Villes de Demain.", 2020,
     "2020 : annonce du programme (octobre 2020) ; chaque commune a sa date de convention",
     PVD.citation(), PVD.files[0]),
)
PILOT_START_NOTE = "2016, année supposée : non publiée par la CCI (lancement sous la nouvelle région Occitanie)"


def build_groups(con: duckdb.DuckDBPyConnection, sources: Path, map_2023: str) -> None:
    """The shipped programme groups. ACV and PVD members carry the year their convention was signed
    (ANCT): the group's year is the announcement, a member without a convention date keeps it."""
    con.execute(
        """INSERT INTO territory_group (id, name, description, start_year, source, builtin, programme, start_note)
           VALUES (?, ?, ?, ?, ?, TRUE, TRUE, ?)""",
        [
            PILOT_GROUP,
            "Sites pilotes du management de centre-ville (CCI Midi-Pyrénées)",
            "Huit sites pilotes, communes et intercommunalités. Les deux communautés de communes "
            "dissoutes au 1er janvier 2017 sont prises dans leur périmètre de 2016. Année de "
            "démarrage non publiée : 2016 par défaut (modifiable).",
            PILOT_START,
            PILOT_SOURCE,
            PILOT_START_NOTE,
        ],
    )
    con.execute(
        """INSERT INTO group_member (group_id, territory, note)
           SELECT ?, CASE kind WHEN 'commune' THEN 'COM:' ELSE 'EPCI:' END || code,
                  CASE WHEN today LIKE 'dissolved%' THEN 'Dissoute au 1er janvier 2017 : prise dans son '
                            || 'périmètre de 2016, communes ramenées au code officiel géographique 2026.'
                       WHEN today LIKE 'same SIREN%' THEN 'Même SIREN ; aujourd''hui CA Rodez Agglomération.'
                  END
           FROM read_csv(?, all_varchar = true, delim = ';')""",
        [PILOT_GROUP, str(sources / PILOT_SITES.files[0])],
    )
    for gid, name, desc, start, note, source, file in PROGRAMMES:
        con.execute(
            """INSERT INTO territory_group (id, name, description, start_year, source, builtin, programme, start_note)
               VALUES (?, ?, ?, ?, ?, TRUE, TRUE, ?)""", [gid, name, desc, start, source, note])
        # A programme commune later merged counts as the 2026 commune that absorbed it (its earliest
        # convention when two merged communes both signed).
        con.execute(
            f"""INSERT INTO group_member (group_id, territory, start_year, start_note)
                SELECT ?, 'COM:' || m.code, min(year(p.date_signature::DATE)),
                       CASE WHEN min(p.date_signature) IS NULL THEN NULL
                            ELSE 'convention signée le ' || strftime(min(p.date_signature::DATE), '%d/%m/%Y') END
                FROM read_csv(?, all_varchar = true) p JOIN {map_2023} m ON m.old = p.insee_com
                GROUP BY m.code""",
            [gid, str(sources / file)],
        )
