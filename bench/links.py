"""Crafted links against every page: the server time of one view for each URL key with an extreme,
unknown, empty, repeated or hostile value (`make bench`). Target: under 1 s each, warm. Measured as
the CPU time of the script run (AppTest runs the page in this process, no browser)."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.app.test_url_sweep import CONTEXT, VALUES, run_page  # noqa: E402
from ui import state  # noqa: E402


def main() -> None:
    logging.disable(logging.WARNING)  # AppTest in bare mode warns once per run
    print("Liens forgés : temps serveur d'une vue (CPU, à chaud), cible < 1 s")
    for view in state.VIEWS:
        run_page(view.PAGE, {})  # warm the caches of this page, as a running server has them
        worst, count = (0.0, ""), 0
        for param in view.params().values():
            for kind, value in VALUES.items():
                params = {**CONTEXT.get(view.PAGE, {}).get(param.key, {}), param.key: value}
                t0 = time.process_time()
                at = run_page(view.PAGE, params)
                spent = time.process_time() - t0
                count += 1
                if at.exception:
                    print(f"  ERREUR {view.PAGE} {param.key}={kind}")
                worst = max(worst, (spent, f"{param.key}={kind}"))
        print(f"  {view.PAGE:<12} {count:>4} vues   pire {worst[0]:.2f} s CPU ({worst[1]})")
    link_groups()


def link_groups() -> None:
    """A visitor's link composes a group (public instance): its effect view, members changed each time so
    that no cache helps, at the most members a link may carry."""
    import numpy as np

    from indicators import store, territories

    con = store.connect_readonly()
    towns = [r[0] for r in con.execute("SELECT code FROM territory WHERE level = 'COM' AND population > 3000 "
                                       "ORDER BY code").fetchall()]
    rng = np.random.default_rng(3)
    run_page("comparer", {"g": "lien", "membres": ",".join(towns[:3]), "debut": "2018", "vue": "effet"})
    spent = []
    for indicator in ("population", "births", "jobs"):
        members = rng.choice(towns, territories.LINK_MEMBERS, replace=False)
        t0 = time.process_time()
        at = run_page("comparer", {"g": "lien", "membres": ",".join(members), "debut": "2018", "vue": "effet",
                                   "ie": indicator})
        spent.append(time.process_time() - t0)
        if at.exception:
            print(f"  ERREUR groupe du lien ({indicator})")
    print(f"  groupe composé dans le lien ({territories.LINK_MEMBERS} communes, membres différents à chaque vue, "
          f"vue Effet) : pire {max(spent):.2f} s CPU, médiane {sorted(spent)[1]:.2f} s")


if __name__ == "__main__":
    main()
