"""What an anonymous visitor may ask of a programme evaluation, bounded before any work starts.

On a public instance every link is a request anyone can send: the options that multiply the work on
a large group (more comparison territories per member, the whole of France as a pool, no exclusion of
other programmes) are brought back to what the review pack uses, and the page says so. An editor's
instance (the evaluators') keeps every option.
"""
from __future__ import annotations

from dataclasses import replace

from .assessment import DEFAULT, Options

LARGE_GROUP = 150      # members beyond which a public link cannot change the costly options
PUBLIC_MAX_K = 5       # comparison territories per member a public link may ask for


def bounded(options: Options, members: int, public: bool) -> tuple[Options, str]:
    """The options a request may run with, and the sentence saying what was changed (empty if nothing)."""
    if not public:
        return options, ""
    said = []
    if options.k > PUBLIC_MAX_K:
        options = replace(options, k=PUBLIC_MAX_K)
        said.append(f"{PUBLIC_MAX_K} territoires de comparaison par membre au plus")
    if members > LARGE_GROUP:
        costly = {"scope": DEFAULT.scope, "k": DEFAULT.k, "other_programmes": DEFAULT.other_programmes,
                  "outside_ze": DEFAULT.outside_ze, "added": DEFAULT.added, "removed": DEFAULT.removed}
        changed = {f: v for f, v in costly.items() if getattr(options, f) != v}
        if changed:
            options = replace(options, **changed)
            said.append(f"pour un groupe de plus de {LARGE_GROUP} membres, la comparaison par défaut (vivier, nombre "
                        "de territoires, exclusions)")
    if not said:
        return options, ""
    return options, ("Sur cette instance publique, les réglages coûteux sont bornés : " + " ; ".join(said)
                     + ". Une instance d'édition les calcule tous.")
