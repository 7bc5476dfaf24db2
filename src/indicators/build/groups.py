"""The programme groups that ship with the product: CCI Midi-Pyrénées pilot sites, Action Cœur de
Ville, Petites Villes de Demain."""
from __future__ import annotations

from pathlib import Path

import duckdb

from ..territories import PILOT_GROUP
PILOT_START = 2016  # the source gives none: launch under the new Occitanie région, editable
PILOT_SOURCE = "CCI Midi-Pyrénées, « Le Management de centre-ville : repenser la proximité »"


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
        [str(sources / "programmes/pilot_sites_cci_midi_pyrenees.csv"),
         str(sources / "history/libelles_supracom_2008_2024.csv.gz")],
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


def build_groups(con: duckdb.DuckDBPyConnection, sources: Path, map_2021: str, map_2024: str) -> None:
    prog = sources / "programmes"
    con.execute(
        "INSERT INTO territory_group VALUES (?, ?, ?, ?, ?, TRUE)",
        [
            PILOT_GROUP,
            "Sites pilotes du management de centre-ville (CCI Midi-Pyrénées)",
            "Huit sites pilotes, communes et intercommunalités. Les deux communautés de communes "
            "dissoutes au 1er janvier 2017 sont prises dans leur périmètre de 2016. Année de "
            "démarrage non publiée : 2016 par défaut (modifiable).",
            PILOT_START,
            PILOT_SOURCE,
        ],
    )
    con.execute(
        """INSERT INTO group_member
           SELECT ?, CASE kind WHEN 'commune' THEN 'COM:' ELSE 'EPCI:' END || code,
                  CASE WHEN today LIKE 'dissolved%' THEN 'Dissoute au 1er janvier 2017 : prise dans son '
                            || 'périmètre de 2016, communes ramenées au code officiel géographique 2026.'
                       WHEN today LIKE 'same SIREN%' THEN 'Même SIREN ; aujourd''hui CA Rodez Agglomération.'
                  END
           FROM read_csv(?, all_varchar = true, delim = ';')""",
        [PILOT_GROUP, str(prog / "pilot_sites_cci_midi_pyrenees.csv")],
    )
    programmes = (
        ("acv", "Action Cœur de Ville", "Villes moyennes du programme national Action Cœur de Ville.",
         2018, "ANCT, liste des communes Action Cœur de Ville (avril 2024), Licence Ouverte",
         "acv_communes_2024.csv", map_2024),
        ("pvd", "Petites Villes de Demain", "Communes du programme Petites Villes de Demain.",
         2020, "ANCT, liste des communes Petites Villes de Demain (janvier 2021), Licence Ouverte",
         "pvd_communes_2021-01.csv", map_2021),
    )
    for gid, name, desc, start, source, file, cog_map in programmes:
        con.execute("INSERT INTO territory_group VALUES (?, ?, ?, ?, ?, TRUE)", [gid, name, desc, start, source])
        # A programme commune later merged counts as the 2026 commune that absorbed it.
        con.execute(
            f"""INSERT OR IGNORE INTO group_member
                SELECT DISTINCT ?, 'COM:' || m.code, NULL FROM read_csv(?, all_varchar = true) p
                JOIN {cog_map} m ON m.old = p.insee_com""",
            [gid, str(prog / file)],
        )
