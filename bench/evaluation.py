"""Programme evaluation as the Comparer page computes it (`make bench`): clean pool, matching, 1 000
placebo groups, pyfixest's event study, the synthetic difference in differences and its 100 placebo
refits. Computed: ≤ 3 s for the CCI pilot sites, ≤ 10 s for Action Cœur de Ville and Petites Villes de
Demain (1 645 communes), with pyfixest already loaded (once per server process). The default view of a
shipped group is kept in the base at build time: read back, it must take ≤ 1 CPU-second (what an
anonymous link to it costs)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from indicators import assessment, precomputed, store  # noqa: E402
from indicators.paths import db_path  # noqa: E402


def main() -> None:
    con = store.connect_readonly(db_path())
    t0 = time.perf_counter()
    from indicators import regression  # noqa: F401, PLC0415 - the first evaluation of a process loads pyfixest
    import pyfixest.estimation  # noqa: F401

    print(f"Évaluation d'un programme (cible : pilotes ≤ 3 s, ACV et PVD ≤ 10 s ; chargement de pyfixest : "
          f"{time.perf_counter() - t0:.1f} s, une fois par processus)")
    for group_id, indicator, target in (("cci-midi-pyrenees", "population", 3), ("cci-midi-pyrenees", "births", 3),
                                        ("acv", "population", 10), ("acv", "births", 10),
                                        ("pvd", "population", 10), ("pvd", "births", 10)):
        group = assessment.group_in_base(con, group_id)
        t0 = time.perf_counter()
        a = assessment.assess(con, group, indicator)
        total = time.perf_counter() - t0
        e = a.answer
        shown = (f"effet {e.effect:+.2f}, p = {e.inference.p_two:.3f}, ±{e.detectable:.2f} détectable 8 fois sur 10"
                 if hasattr(e, "effect") else e.reason)
        print(f"  {group_id:<18} {indicator:<11} {len(group.members):>5} membres : {total:5.2f} s "
              f"{'OK' if total <= target else 'AU-DESSUS DE LA CIBLE'} ; {a.main} : {shown} ; {a.verdict.status}")
        c0 = time.process_time()
        kept = precomputed.lookup(con, group, indicator, assessment.DEFAULT)
        cpu = time.process_time() - c0
        print(f"  {'':<18} {'':<11} {'':>5}          vue par défaut gardée dans la base : {cpu:5.2f} s de CPU "
              f"{'OK' if kept is not None and cpu <= 1 else 'AU-DESSUS DE LA CIBLE' if kept else 'ABSENTE'}")


if __name__ == "__main__":
    main()
