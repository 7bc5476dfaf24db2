"""Command line: `python -m indicators build|info|import|export|evaluate|refresh|undo…`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from . import store
from .errors import DatabaseUnavailable, ObservatoireError
from .format import fr_int


def _journal(action: str, detail: str, database: Path | None) -> None:
    """Writes from the command line are journaled with the account that ran them."""
    import getpass

    from . import journal

    try:
        journal.record(action, detail, f"{getpass.getuser()} (ligne de commande)", database)
    except journal.JournalFailed as exc:
        print(f"Attention : {exc}", file=sys.stderr)


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build, is_stale

    if args.if_stale and not is_stale(args.db):
        print(f"Base à jour : {args.db or 'data/observatoire.duckdb'}")
        return 0
    try:
        build(args.db)
    except duckdb.Error as exc:  # a source file missing or changed: the previous base is left as it was
        print(f"Erreur : construction impossible, la base précédente est inchangée : {str(exc).splitlines()[0]}",
              file=sys.stderr)
        return 2
    return 0


def _info(args: argparse.Namespace) -> int:
    con = store.connect_readonly(args.db)
    c = store.counts(con)
    print(f"Base : {args.db or store.db_path()}  ({c['meta'].get('geo_vintage')}, construite le {c['meta'].get('built_at')})")
    print("Territoires :")
    from .territories import LEVELS

    for level in LEVELS:  # every level of the one table of levels, the study zonings included
        print(f"  {level:<5} {fr_int(c['levels'].get(level, 0)):>8}  {LEVELS[level]}")
    print(f"Observations : {fr_int(c['observations'])}, années {c['years'][0]}–{c['years'][1]}")
    print("Indicateurs :")
    for row in c["indicators"].itertuples():
        print(f"  {row.id:<26} {fr_int(row.n):>10} valeurs  {row.first}–{row.last}")
    print("Groupes :")
    for row in c["groups"].itertuples():
        print(f"  {row.id:<18} {fr_int(row.members):>6} membres  début {row.start_year}  {row.name}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from . import ingest

    data = args.file.read_bytes()
    frame = ingest.read_table(data, args.file.name, args.sheet)
    prepared = ingest.prepare(frame, args.file.name, data)
    if args.new:
        decl = ingest.Declaration(id=ingest.slug_id(args.new), label=args.new, unit=args.unit or "", kind=args.kind,
                                  polarity=args.polarity, source=args.source or "", licence=args.licence or "",
                                  is_new=True)
    else:
        decl = ingest.Declaration(id=args.indicator)
    con = store.connect_readonly(args.db)
    checked = ingest.validate(con, prepared, decl)
    con.close()
    return _report_and_write(checked, lambda: ingest.write(checked, decl, accept_warnings=args.accept_warnings,
                                                           path=args.db),
                             "import", f"{args.file.name}, {len(checked.observations)} valeurs",
                             f"{len(checked.observations)} valeurs", args.db)


def _report_and_write(checked, write, action: str, detail: str, count: str, database: Path | None) -> int:
    """Every problem printed; nothing written while one blocks (exit 2); else the write, its journal
    line, and what it did — an import (of values or of points) from the command line."""
    for p in checked.problems:
        print(("ERREUR " if p.blocking else "AVERTISSEMENT ") + str(p))
    if checked.blocking:
        return 2
    import_id, created = write()
    if created:
        _journal(action, f"n° {import_id} : {detail}", database)
    print(f"Import n° {import_id} : {count}" + ("" if created else " (déjà importé : rien à faire)"))
    return 0


def _import_points(args: argparse.Namespace) -> int:
    from . import points

    data = args.file.read_bytes()
    con = store.connect_readonly(args.db)
    checked = points.check(con, points.read(data, args.file.name, args.sheet), args.file.name, data)
    con.close()
    return _report_and_write(checked, lambda: points.write(checked, args.layer, accept_warnings=args.accept_warnings,
                                                           path=args.db),
                             "import de points", f"{args.file.name}, couche {args.layer}",
                             f"{len(checked.points)} points", args.db)


def _undo(args: argparse.Namespace) -> int:
    from . import ingest

    n = ingest.undo(args.import_id, args.db)
    _journal("annulation", f"import n° {args.import_id} ({n} valeurs)", args.db)
    print(f"Import n° {args.import_id} annulé : {n} valeurs retirées")
    return 0


def _export(args: argparse.Namespace) -> int:
    from . import assessment, export, territories

    con = store.connect_readonly(args.db)
    group = None
    if args.group:
        groups = territories.groups(con).set_index("id")
        if args.group not in groups.index:
            print(f"Erreur : groupe inconnu « {args.group} » ; groupes : {', '.join(groups.index)}", file=sys.stderr)
            return 2
        codes = territories.group_members(con, args.group)["code"].tolist()
        group = assessment.group_in_base(con, args.group)
    else:
        codes = args.territories.split(",")
    names = list(territories.labels(con, codes).values())
    group_name = str(groups.at[args.group, "name"]) if args.group else None
    title, listed = export.pack_subject(names, group_name), export.pack_subject(names, group_name, short=False)
    ids = args.indicators.split(",")
    unknown = [i for i in ids if i not in set(store.indicators(con)["id"])]
    if unknown:
        print(f"Erreur : indicateurs inconnus : {', '.join(unknown)}", file=sys.stderr)
        return 2
    items = export.pack_items(con, codes, ids, args.year_from, args.year_to, not args.no_references,
                              export.pack_permalink(codes, args.group, args.year_from, args.year_to),
                              subtitle=title, group=group)
    progress = lambda f, msg: print(f"[{f:4.0%}] {msg}")  # noqa: E731
    if args.pdf:
        data = export.review_pdf(items, export.pack_title(title), listed, progress, members=names,
                                 period=f"{args.year_from}–{args.year_to}")
    else:
        data = export.review_zip(items, export.pack_title(title), listed, progress)
    from .paths import base_url, local_base_url

    if local_base_url():
        print(f"Attention : les liens imprimés pointent vers {base_url()} (réglez OBS_BASE_URL avant de diffuser).",
              file=sys.stderr)
    args.out.write_bytes(data)
    print(f"Écrit : {args.out} ({len(data) / 1e6:.1f} Mo)")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from . import refresh
    from .pipeline import build
    from .config import settings

    if settings().mode == "public":
        print("Erreur : instance publique en lecture seule (OBS_MODE=public) : la mise à jour se fait sur "
              "l'instance d'édition.", file=sys.stderr)
        return 2
    sources = args.sources or refresh.SOURCES_DIR
    outcomes = refresh.run(sources, from_dir=args.from_dir, dry_run=args.dry_run,
                           only=args.only.split(",") if args.only else None, base=args.base_url,
                           rebuild=lambda: build(args.db, sources=sources, log=lambda m: print(f"  {m}")))
    changed = [o.source for o in outcomes if o.status == "mis à jour"]
    if changed:
        _journal("mise à jour des sources", ", ".join(changed), args.db)
    return 2 if any(o.status == "échec" for o in outcomes) else 0


def _docs(args: argparse.Namespace) -> int:
    from . import docs

    con = store.connect_readonly(args.db) if args.db else store.connect_readonly()
    changed = docs.write(con)
    print("Tableaux à jour : " + (", ".join(str(p) for p in changed) if changed else "rien à changer"))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    """Evaluate groups (shipped, or from a members file) on indicators: one JSON object per line and per
    group × indicator with `--format json`, or a few lines each."""
    import json

    from . import assessment, evaluation_record, pool

    con = store.connect_readonly(args.db)
    if args.members:
        groups = evaluation_record.read_members(con, args.members)
    else:
        group = assessment.group_in_base(con, args.group)
        if group is None:
            print(f"Erreur : groupe « {args.group[:60]} » inconnu ou sans année de début.", file=sys.stderr)
            return 2
        groups = [group]
    if args.pool not in pool.SCOPES:
        print(f"Erreur : vivier « {args.pool[:20]} » inconnu (au choix : {', '.join(pool.SCOPES)}).", file=sys.stderr)
        return 2
    options = assessment.Options(k=args.k, scope=args.pool, other_programmes=not args.keep_programmes,
                                 outside_ze=args.outside_ze, index=not args.per_capita, weighted=not args.unweighted,
                                 draws=args.draws, regression=not args.no_regression, synthetic_fits=args.synthetic_fits)
    for group in groups:
        for indicator in [i.strip() for i in args.indicator.split(",") if i.strip()]:
            try:
                store.indicator(con, indicator)
            except KeyError:
                print(f"Erreur : indicateur « {indicator[:60]} » inconnu.", file=sys.stderr)
                return 2
            rec = evaluation_record.record(assessment.assess(con, group, indicator, options))
            print(json.dumps(rec, ensure_ascii=False) if args.format == "json" else evaluation_record.text(rec),
                  flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indicators", description="Observatoire de l'attractivité")
    parser.add_argument("--db", type=Path, default=None, help="fichier DuckDB (défaut : data/observatoire.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="construit la base depuis data/sources")
    b.add_argument("--if-stale", action="store_true", help="seulement si la base manque ou est plus ancienne que ses sources")
    b.set_defaults(func=_build)
    sub.add_parser("info", help="résume le contenu de la base").set_defaults(func=_info)
    sub.add_parser("docs", help="régénère les tableaux des README (sources, années par indicateur)").set_defaults(
        func=_docs)
    imp = sub.add_parser("import", help="importe un fichier CSV/XLSX d'indicateurs")
    imp.add_argument("file", type=Path)
    imp.add_argument("--sheet", help="feuille Excel (défaut : la première)")
    what = imp.add_mutually_exclusive_group(required=True)
    what.add_argument("--indicator", help="identifiant d'un indicateur existant à compléter")
    what.add_argument("--new", metavar="LIBELLÉ", help="libellé d'un nouvel indicateur")
    imp.add_argument("--unit")
    imp.add_argument("--kind", choices=["count", "ratio", "level"], default="count")
    imp.add_argument("--polarity", type=int, choices=[-1, 0, 1], default=0)
    imp.add_argument("--source")
    imp.add_argument("--licence")
    imp.add_argument("--accept-warnings", action="store_true")
    imp.set_defaults(func=_import)
    pts = sub.add_parser("import-points", help="importe un fichier de points (commerces, actions…)")
    pts.add_argument("file", type=Path)
    pts.add_argument("--layer", required=True, help="nom de la couche (ex. « Commerces du centre-ville »)")
    pts.add_argument("--sheet", help="feuille Excel (défaut : la première)")
    pts.add_argument("--accept-warnings", action="store_true")
    pts.set_defaults(func=_import_points)
    exp = sub.add_parser("export", help="dossier d'évaluation (ZIP, ou PDF avec --pdf)")
    who = exp.add_mutually_exclusive_group(required=True)
    who.add_argument("--group", help="identifiant d'un groupe (ex. cci-midi-pyrenees)")
    who.add_argument("--territories", help="codes séparés par des virgules (ex. COM:09225,EPCI:241200187)")
    exp.add_argument("--indicators", required=True, help="identifiants séparés par des virgules")
    exp.add_argument("--from", dest="year_from", type=int, default=2006)
    exp.add_argument("--to", dest="year_to", type=int, default=2023)
    exp.add_argument("--no-references", action="store_true", help="sans région ni France")
    exp.add_argument("--pdf", action="store_true", help="un rapport PDF plutôt qu'un ZIP")
    exp.add_argument("--out", type=Path, required=True)
    exp.set_defaults(func=_export)
    ref = sub.add_parser("refresh", help="met à jour les sources depuis les éditeurs officiels, puis reconstruit")
    ref.add_argument("--from", dest="from_dir", type=Path, help="dossier de fichiers téléchargés ailleurs (serveur sans réseau)")
    ref.add_argument("--dry-run", action="store_true", help="dit ce qui changerait, sans rien changer")
    ref.add_argument("--only", help="sources séparées par des virgules (un nom inconnu fait afficher la liste)")
    ref.add_argument("--base-url", help="miroir des éditeurs (même chemins), par exemple dans le réseau de l'agence")
    ref.add_argument("--sources", type=Path, help=argparse.SUPPRESS)
    ref.set_defaults(func=_refresh)
    eva = sub.add_parser("evaluate", help="évalue l'effet d'un programme (les chiffres de la page et du dossier)")
    grp = eva.add_mutually_exclusive_group(required=True)
    grp.add_argument("--group", help="identifiant d'un groupe de la base (ex. cci-midi-pyrenees, acv, pvd)")
    grp.add_argument("--members", type=Path, help="CSV groupe;territoire;debut (plusieurs groupes par fichier)")
    eva.add_argument("--indicator", required=True, help="identifiants séparés par des virgules (ex. births,population)")
    eva.add_argument("--pool", default="REG", help="vivier : REG (défaut), DEP, ZE ou FR")
    eva.add_argument("--k", type=int, default=3, choices=range(1, 11), metavar="1-10",
                     help="territoires de comparaison par membre (défaut 3)")
    eva.add_argument("--outside-ze", action="store_true", help="écarter les zones d'emploi des membres")
    eva.add_argument("--keep-programmes", action="store_true", help="garder les territoires d'autres programmes")
    eva.add_argument("--per-capita", action="store_true", help="un effectif pour 1 000 habitants plutôt qu'en indice")
    eva.add_argument("--unweighted", action="store_true", help="chaque membre compte une fois")
    eva.add_argument("--draws", type=int, default=1000, choices=range(99, 10_001), metavar="99-10000",
                     help="groupes placebo (défaut 1000)")
    eva.add_argument("--synthetic-fits", type=int, default=100, choices=range(0, 1001), metavar="0-1000")
    eva.add_argument("--no-regression", action="store_true", help="sans l'étude d'événement par régression")
    eva.add_argument("--format", choices=["json", "text"], default="text")
    eva.set_defaults(func=_evaluate)
    und = sub.add_parser("undo", help="annule un import entier")
    und.add_argument("import_id", type=int)
    und.set_defaults(func=_undo)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ObservatoireError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:  # a file damaged after its header: found only when read
        print(f"Erreur : {DatabaseUnavailable(args.db or store.db_path(), f'illisible ou corrompue ({type(exc).__name__})')}",
              file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Erreur : fichier « {exc.filename} » : {exc.strerror}.", file=sys.stderr)
        return 2
