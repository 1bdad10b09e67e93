"""The Fenchel–Young losses of sparsemax and entmax, with their gradients.

Evaluated as a sum of non-negative terms, so ``L ≥ 0`` always and ``L = 0`` exactly
when ``p = onehot(t)`` (:mod:`softmax_cli.losses` gives the formulas and exports them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import sparse
from ._arrays import check_temperature
from ._loss_arrays import check_targets, minus_onehot, others, prepare, scalar_out, take, vector_out
from ._masks import masked_loss
from .params import check_alpha
from .softmax_losses import cross_entropy

_SERIES_TERMS = 60


def _target_term(pt: np.ndarray, q: np.ndarray, alpha: float) -> np.ndarray:
    """``T(p_t) = (1 − α p_t^{α−1} + (α−1) p_t^α) / (α(α−1))``, the target's Bregman term.

    ``q = 1 − p_t``. For ``q < 1/4`` the power series
    ``Σ_{k≥2} (k−1) r_k q^k`` (``r_2 = ½``, ``r_{k+1} = r_k (k−α)/(k+1)``) avoids
    the cancellation of the closed form near ``p_t = 1``, where ``T ≈ q²/2``.
    """
    dt = pt.dtype.type
    al = dt(alpha)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        direct = (1 - al * pt ** (al - 1) + (al - 1) * pt**al) / (al * (al - 1))
        qs = np.where(q < 0.25, q, 0)
        r = dt(0.5)
        power = qs * qs
        series = np.zeros_like(q)
        for k in range(2, _SERIES_TERMS + 2):
            series = series + (k - 1) * r * power
            r = r * (k - al) / (k + 1)
            power = power * qs
    return np.where(q < 0.25, series, direct)


def _fenchel_young(
    p: np.ndarray, a: np.ndarray, t: np.ndarray, alpha: float, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(loss, p − onehot)`` of the α-entmax Fenchel–Young loss (keepdims loss)."""
    dt = a.dtype.type
    al = dt(alpha)
    pt = take(p, t)
    q = others(p, t)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        po = p.copy()
        np.put_along_axis(po, t, 0, axis=-1)
        rest = (po**al).sum(axis=-1, keepdims=True) / al
        loss = rest + _target_term(pt, q, alpha)
        # outside the support: + (ν − z_t), ν = z_k − p_k^{α−1}/(α−1) for the top entry k
        k = np.argmax(p, axis=-1)[..., None]
        gap = (take(a, k) - take(a, t)) / dt(tau) - take(p, k) ** (al - 1) / (al - 1)
        loss = loss + np.where(pt == 0, np.maximum(gap, 0), 0)
    nan = np.isnan(a).any(axis=-1, keepdims=True)
    return np.where(nan, np.nan, loss), minus_onehot(p, t)


@masked_loss(check_targets)
def sparsemax_loss(
    x: ArrayLike, target: Any, axis: int = -1, *, temperature: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The sparsemax loss ``½ − z_t + Σ_{i∈S} ½(z_i² − λ²)`` (``z = x/τ``) and ``(p − onehot)/τ``.

    ``S`` and ``λ`` are sparsemax's support and threshold, ``p = sparsemax(z)``.
    ``L ≥ 0``, and ``L = 0`` exactly when ``p = onehot(t)`` (the target leads
    by at least ``τ``). Evaluated as ``½‖p − onehot(t)‖² + max(λ − z_t, 0)``, the
    same value without cancellation.

    Examples
    --------
    >>> loss, grad = sparsemax_loss([1.0, 2.0, 3.5], 2)
    >>> float(loss), grad.tolist()
    (0.0, [0.0, 0.0, 0.0])
    >>> float(sparsemax_loss([1.0, 2.0, 3.5], 0)[0])  # ½ − 1 + ½(3.5² − 2.5²)
    2.5
    """
    a, dt, restore, t = prepare(x, target, axis)
    tau = check_temperature(temperature)
    p = sparse.sparsemax(a, temperature=tau)
    loss, g = _fenchel_young(p, a, t, 2.0, tau)
    with np.errstate(over="ignore"):  # τ = 5e-324: the exact gradient is beyond the float range
        g = g / a.dtype.type(tau)
    return scalar_out(loss, dt), vector_out(g, restore)


@masked_loss(check_targets)
def entmax_loss(
    x: ArrayLike,
    target: Any,
    axis: int = -1,
    *,
    alpha: float = 1.5,
    temperature: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The α-entmax Fenchel–Young loss ``(p − onehot(t))ᵀz + H_α(p)`` and ``(p − onehot)/τ``.

    ``z = x/τ``, ``p = entmax_α(z)`` and ``H_α(p) = (1 − Σ p_i^α)/(α(α−1))`` the
    Tsallis entropy. ``α = 1`` is :func:`cross_entropy`, ``α = 2`` is
    :func:`sparsemax_loss`. ``L ≥ 0``, with ``L = 0`` exactly when
    ``p = onehot(t)``.

    Examples
    --------
    >>> loss, grad = entmax_loss([1.0, 2.0, 3.0], 2)
    >>> round(float(loss), 6), grad.round(6).tolist()
    (0.061656, [0.0, 0.169281, -0.169281])
    >>> float(entmax_loss([0.0, 3.0], 1)[0])
    0.0
    """
    alpha = check_alpha(alpha)
    if alpha == 1:
        return cross_entropy(x, target, axis, temperature=temperature)
    a, dt, restore, t = prepare(x, target, axis)
    tau = check_temperature(temperature)
    if alpha == 2:
        p = sparse.sparsemax(a, temperature=tau)
    elif alpha == 1.5:
        p = sparse.entmax15(a, temperature=tau)
    else:
        p = sparse.entmax_bisect(a, alpha=alpha, temperature=tau)
    loss, g = _fenchel_young(p, a, t, alpha, tau)
    with np.errstate(over="ignore"):  # τ = 5e-324: the exact gradient is beyond the float range
        g = g / a.dtype.type(tau)
    return scalar_out(loss, dt), vector_out(g, restore)
