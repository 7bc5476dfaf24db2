"""Programme evaluation with 1 000 placebo draws (`make bench`). Targets on this machine: ≤ 3 s for
the CCI pilot sites, ≤ 10 s for Action Cœur de Ville (244 communes), panel reading included."""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from indicators import compare, evaluation, store, territories  # noqa: E402
from indicators.paths import db_path  # noqa: E402


def main() -> None:
    con = store.connect_readonly(db_path())
    print("Évaluation d'un programme, 1 000 groupes placebo (cible : pilotes ≤ 3 s, ACV ≤ 10 s)")
    for group, indicator, target in (("cci-midi-pyrenees", "population", 3), ("cci-midi-pyrenees", "births", 3),
                                     ("acv", "population", 10), ("acv", "birth_rate", 10)):
        members = territories.group_members(con, group)
        codes = members["code"].tolist()
        start = int(con.execute("SELECT start_year FROM territory_group WHERE id = ?", [group]).fetchone()[0])
        t0 = time.perf_counter()
        neighbours = compare.comparison_group(con, codes, 3)
        t1 = time.perf_counter()
        panel = evaluation.load_panel(con, indicator, sorted(set(members["level"])), include=codes)
        t2 = time.perf_counter()
        ev = evaluation.evaluate(panel, codes, neighbours["code"].drop_duplicates().tolist(), start, index=True,
                                 neighbours=neighbours)
        t3 = time.perf_counter()
        total = t3 - t0
        print(f"  {group:<18} {indicator:<11} {len(codes):>4} membres : {total:5.2f} s "
              f"(voisins {t1 - t0:.2f}, panel {t2 - t1:.2f}, calcul {t3 - t2:.2f}) "
              f"{'OK' if total <= target else 'AU-DESSUS DE LA CIBLE'} ; effet {ev.effect:+.2f}, "
              f"part des placebos ≥ : {ev.placebo_share:.0%}")


if __name__ == "__main__":
    main()
