"""Synthetic difference in differences (Arkhangelsky, Athey, Hirshberg, Imbens, Wager 2021) for one
treated series (a group's aggregate) against donor territories.

The unit weights are regularised (a ridge term ζ² T_pre ‖ω‖², with ζ from the donors' own noise),
so that with many donors and few years the answer does not depend on the solver: the plain
synthetic control fits such a group perfectly in many ways. The weights are solved with SciPy's
non-negative least squares, the sum-to-one constraint carried by a heavy extra row (the `synthdid`
package does not install here).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DONOR_CAP = 300   # the nearest donors kept (the solver's cost grows with their square)
_HEAVY = 1e4


@dataclass(frozen=True)
class SyntheticFit:
    effect: float             # SDID estimate
    weights: np.ndarray       # ω over the donors (≥ 0, sum 1)
    time_weights: np.ndarray  # λ over the pre-start periods (≥ 0, sum 1)
    series: np.ndarray        # ω0 + donors' ω-weighted series, every period
    pre_rmspe: float          # root mean squared gap before the start
    post_rmspe: float

    @property
    def ratio(self) -> float:
        """Post/pre RMSPE: a large ratio is a gap that opens after the start (ranked among placebos)."""
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else np.inf


def _simplex_ls(a: np.ndarray, b: np.ndarray, ridge: float) -> np.ndarray:
    """argmin ‖a w − b‖² + ridge ‖w‖² over w ≥ 0, Σ w = 1 (SciPy's NNLS on an augmented system)."""
    from scipy.optimize import nnls

    n = a.shape[1]
    scale = max(float(np.abs(b).max()), float(np.abs(a).max()), 1.0)
    rows = [a, np.sqrt(ridge) * np.eye(n), _HEAVY * scale * np.ones((1, n))]
    w, _ = nnls(np.vstack(rows), np.concatenate([b, np.zeros(n), [_HEAVY * scale]]), maxiter=20 * n + 200)
    total = w.sum()
    return w / total if total > 0 else np.full(n, 1 / n)


def sdid(treated: np.ndarray, donors: np.ndarray, pre: np.ndarray) -> SyntheticFit | None:
    """`treated` (T,) against `donors` (J × T); `pre` marks the periods before the start. None without
    two pre-start periods, one after, or two donors."""
    pre = np.asarray(pre, dtype=bool)
    post = ~pre
    if not np.isfinite(donors).all():
        raise ValueError("donors must have a finite series (leave out those without an index)")
    if pre.sum() < 2 or post.sum() < 1 or len(donors) < 2 or not np.isfinite(treated).all():
        return None
    t_pre, t_post = int(pre.sum()), int(post.sum())
    y0_pre, y0_post = donors[:, pre], donors[:, post]
    # ζ: the donors' noise (first differences before the start), scaled as the paper does for one treated unit
    diffs = np.diff(y0_pre, axis=1)
    sigma = float(diffs.std()) if diffs.size > 1 else 0.0
    zeta = (t_post ** 0.25) * sigma
    # unit weights with an intercept (centred over the pre-start periods)
    a = (y0_pre - y0_pre.mean(axis=1, keepdims=True)).T
    b = treated[pre] - treated[pre].mean()
    omega = _simplex_ls(a, b, zeta ** 2 * t_pre)
    # time weights with an intercept (centred over the donors): which pre-start years resemble the after
    at = y0_pre - y0_pre.mean(axis=0, keepdims=True)
    bt = y0_post.mean(axis=1) - y0_post.mean()
    lam = _simplex_ls(at, bt, 1e-6 * (sigma ** 2 + 1e-12) * len(donors))
    effect = (treated[post].mean() - lam @ treated[pre]) - omega @ (y0_post.mean(axis=1) - y0_pre @ lam)
    synth = donors.T @ omega
    synth = synth + (treated[pre].mean() - synth[pre].mean())
    gap = treated - synth
    return SyntheticFit(float(effect), omega, lam, synth, float(np.sqrt((gap[pre] ** 2).mean())),
                        float(np.sqrt((gap[post] ** 2).mean())))
