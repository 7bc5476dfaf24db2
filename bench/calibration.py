"""Are the evaluation's printed tests honest? (`make bench`) Seeded fake programmes (8 untreated towns of
3 to 50 thousand inhabitants in one random région, a random start) go through the same evaluation as the
page and `python -m indicators evaluate`: the share flagged at p < 0.05 by each printed test is its
false-alarm rate (target ≤ 10 %, nominal 5 %). Then an effect of each group's printed detectable size is
planted after its start: it should be found about 8 times out of 10 (target 7 to 9). Default pool and the
zone d'emploi pool, births (yearly) and new residents (census spans)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import numpy as np  # noqa: E402

from indicators import assessment, calibration, store  # noqa: E402
from indicators.paths import db_path  # noqa: E402

GROUPS = int(sys.argv[1]) if len(sys.argv) > 1 else 100  # `python bench/calibration.py 50` for a quicker look
CASES = (("births", (2014, 2018), "REG"), ("births", (2014, 2018), "ZE"),
         ("net_migration_rate", (2014, 2016), "REG"), ("population", (2014, 2016), "REG"))


def main() -> None:
    con = store.connect_readonly(db_path())
    print(f"Calibration sur {GROUPS} faux programmes par cas (cible : fausses alertes ≤ 10 % à p < 0,05 ; effet "
          "détectable imprimé retrouvé 7 à 9 fois sur 10)")
    for indicator, starts, scope in CASES:
        t0 = time.perf_counter()
        groups = calibration.fake_groups(con, GROUPS, seed=2026, starts=starts)
        options = assessment.Options(draws=399, regression=False, synthetic_fits=40, scope=scope)
        runs = calibration.run(con, groups, indicator, options)
        alarms = calibration.false_alarms(runs)
        evaluated = [r for r in runs if r.status != "refused"]
        finite = {r.group: r.detectable for r in evaluated if np.isfinite(r.detectable)}
        power = calibration.power(calibration.run(con, groups, indicator, options, plant=finite))
        shown = " ; ".join(f"{t} {alarms[t]:.1%}" for t in calibration.TESTS if np.isfinite(alarms[t]))
        ok = all(alarms[t] <= 0.10 for t in calibration.TESTS if np.isfinite(alarms[t])) and 0.7 <= power <= 0.9
        print(f"  {indicator:<19} vivier {scope:<3} {len(evaluated):>3} évalués : fausses alertes {shown} ; verdict "
              f"« effet » {alarms['verdict_effect']:.1%} ; puissance à l'effet détectable {power:.0%} "
              f"({time.perf_counter() - t0:.0f} s) {'OK' if ok else 'HORS CIBLE'}")


if __name__ == "__main__":
    main()
