"""Command line: `python -m indicators build|info`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import store
from .errors import ObservatoireError
from .format import fr_int


def _build(args: argparse.Namespace) -> int:
    from .build import build, is_stale

    if args.if_stale and not is_stale(args.db):
        print(f"Base à jour : {args.db or 'data/observatoire.duckdb'}")
        return 0
    build(args.db)
    return 0


def _info(args: argparse.Namespace) -> int:
    con = store.connect_readonly(args.db)
    c = store.counts(con)
    print(f"Base : {args.db or store.db_path()}  ({c['meta'].get('geo_vintage')}, construite le {c['meta'].get('built_at')})")
    print("Territoires :")
    for level in ("FR", "REG", "DEP", "EPCI", "COM", "ARM"):
        print(f"  {level:<5} {fr_int(c['levels'].get(level, 0)):>8}")
    print(f"Observations : {fr_int(c['observations'])}, années {c['years'][0]}–{c['years'][1]}")
    print("Indicateurs :")
    for row in c["indicators"].itertuples():
        print(f"  {row.id:<26} {fr_int(row.n):>10} valeurs  {row.first}–{row.last}")
    print("Groupes :")
    for row in c["groups"].itertuples():
        print(f"  {row.id:<18} {fr_int(row.members):>6} membres  début {row.start_year}  {row.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indicators", description="Observatoire de l'attractivité")
    parser.add_argument("--db", type=Path, default=None, help="fichier DuckDB (défaut : data/observatoire.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="construit la base depuis data/sources")
    b.add_argument("--if-stale", action="store_true", help="seulement si la base manque ou est plus ancienne que ses sources")
    b.set_defaults(func=_build)
    sub.add_parser("info", help="résume le contenu de la base").set_defaults(func=_info)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ObservatoireError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
