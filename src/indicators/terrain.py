"""One territory on the ground, as data: its communes, the EU ETS installations inside with a year's
verified emissions and their history (the folium map that draws them is `terrain_map`)."""
from __future__ import annotations

import duckdb
import pandas as pd

from . import territories

# Okabe-Ito colours by sector (colour-blind safe); the rest grey.
SECTOR_COLOURS = {"Combustion": "#D55E00", "Raffineries": "#CC79A7", "Metallurgie": "#0072B2",
                  "Ciment et chaux": "#999933", "Industrie chimique": "#009E73", "Papier": "#56B4E9",
                  "Verre et céramique": "#E69F00", "Production d‘hydrogène": "#F0E442", "Cokerie": "#882255"}
OTHER_COLOUR = "#666666"
LEVELS = ("COM", "EPCI", "DEP", *territories.ZONING_LEVELS)
POINT_GLYPHS = ("■", "▲", "◆", "✚", "★", "▼")  # users' points: black shapes, never a circle (installations)


def point_shapes(categories: pd.Series) -> dict[str, int]:
    """Each category's shape (index in POINT_GLYPHS), in name order; beyond six, shapes repeat."""
    return {c: n % len(POINT_GLYPHS) for n, c in enumerate(sorted({str(c) for c in categories}))}


def communes_of(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    """The communes that make up a territory (itself for a commune), in code order."""
    return sorted(territories.codes_at_level(con, [code], "COM"))


def installations(con: duckdb.DuckDBPyConnection, communes: list[str], year: int) -> pd.DataFrame:
    """EU ETS installations located in these communes, with the chosen year's verified emissions
    and their share of the territory's ETS total that year."""
    if not communes:
        return pd.DataFrame(columns=["seqe_id", "name", "operator", "sector", "lon", "lat", "commune", "emissions",
                                     "share"])
    marks = ", ".join("?" * len(communes))
    frame = con.execute(
        f"""SELECT i.seqe_id, i.name, i.operator, i.sector, i.lon, i.lat, i.commune, e.emissions
            FROM ets_installation i LEFT JOIN ets_emission e ON e.seqe_id = i.seqe_id AND e.year = ?
            WHERE i.commune IN ({marks}) ORDER BY e.emissions DESC NULLS LAST, i.name""",
        [year, *communes]).df()
    total = frame["emissions"].sum()
    return frame.assign(share=frame["emissions"] / total * 100 if total else float("nan"))


def emissions_of(con: duckdb.DuckDBPyConnection, seqe_ids: list[str]) -> pd.DataFrame:
    """Yearly verified emissions of these installations (seqe_id, year, emissions), in one query."""
    if not seqe_ids:
        return pd.DataFrame(columns=["seqe_id", "year", "emissions"])
    return con.execute(f"""SELECT seqe_id, year, emissions FROM ets_emission
                           WHERE seqe_id IN ({", ".join("?" * len(seqe_ids))}) ORDER BY seqe_id, year""",
                       list(seqe_ids)).df()


def ets_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute("SELECT DISTINCT year FROM ets_emission ORDER BY year").fetchall()]
