"""Condition numbers, exactly, from the oracle's values (the registry names these).

Componentwise relative: ``κ_i = Σ_j |∂f_i/∂x_j| |x_j| / |f_i|``. Each takes the
exact inputs ``xs`` (mpf), ``τ`` and the oracle's output ``out``; a loss's also
takes the target class.
"""

from __future__ import annotations

from typing import Any

import mpmath

from ...oracle import exp_family as exact_exp


def _sensitivities(xs: list, p: list) -> list | None:
    """``Σ_j |δ_ij − p_j| |x_j|`` for every i, without cancellation; None for special input."""
    if not all(mpmath.isfinite(v) for v in xs):
        return None
    k = max(range(len(p)), key=lambda i: p[i])
    ax = [abs(v) for v in xs]
    s = mpmath.fsum(pj * a for pj, a in zip(p, ax, strict=True))  # Σ p_j |x_j|
    out = []
    for i, (pi, a) in enumerate(zip(p, ax, strict=True)):
        if i == k:  # p_k may be 1 − tiny: sum the others instead of subtracting
            others = mpmath.fsum(pj for j, pj in enumerate(p) if j != k)
            pairs = enumerate(zip(p, ax, strict=True))
            rest = mpmath.fsum(pj * aj for j, (pj, aj) in pairs if j != k)
        else:  # p_i ≤ 1/2: no cancellation
            others = 1 - pi
            rest = s - pi * a
        out.append(a * others + rest)
    return out


def _ratio(num: Any, den: Any) -> Any:
    if num == 0:
        return mpmath.mpf(0)
    return mpmath.inf if den == 0 else abs(num / den)


def softmax(xs: list, tau: Any, out: list) -> list:
    """softmax: ``κ_i = (|x_i|(1 − p_i) + Σ_{j≠i} p_j |x_j|) / τ``."""
    sens = _sensitivities(xs, out)
    return [mpmath.nan] * len(xs) if sens is None else [v / tau for v in sens]


def log_softmax(xs: list, tau: Any, out: list) -> list:
    """log-softmax: softmax's sum divided by ``|log p_i|``."""
    sens = _sensitivities(xs, [mpmath.exp(v) for v in out])
    if sens is None:
        return [mpmath.nan] * len(xs)
    return [_ratio(v / tau, lp) for v, lp in zip(sens, out, strict=True)]


def logsumexp(xs: list, tau: Any, out: list) -> list:
    """logsumexp (``τ·LSE(x/τ)``): ``κ = Σ_j p_j |x_j| / |τ·LSE(x/τ)|``."""
    if not all(mpmath.isfinite(v) for v in xs):
        return [mpmath.nan]
    p = exact_exp.softmax(xs, temperature=tau)
    return [_ratio(mpmath.fsum(pj * abs(v) for pj, v in zip(p, xs, strict=True)), out[0])]


def cross_entropy(xs: list, tau: Any, out: list, target: int) -> list:
    """cross-entropy ``L = LSE(x) − x_t``: ``κ = Σ_j |p_j − δ_jt| |x_j| / |L|``."""
    if not all(mpmath.isfinite(v) for v in xs):
        return [mpmath.nan]
    sens = _sensitivities(xs, exact_exp.softmax(xs, temperature=tau))
    return [_ratio(sens[target] / tau, out[0])]
