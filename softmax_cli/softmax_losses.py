"""The losses of softmax: cross-entropy (with label smoothing), ``−p_t``, AM-softmax.

With the textbook and ``x − max`` twins of cross-entropy and the checks of the losses'
own parameters (smoothing, scale, margin). :mod:`softmax_cli.losses` holds the formulas
and how each stays accurate, and exports them all.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import exp_family
from ._arrays import check_temperature, to_last_axis
from ._loss_arrays import check_targets, minus_onehot, others, prepare, scalar_out, take, vector_out
from ._masks import masked_loss
from .errors import SoftmaxInputError, real_number
from .floats import two_prod, two_sum


@masked_loss(check_targets)
def cross_entropy(
    x: ArrayLike,
    target: Any,
    axis: int = -1,
    *,
    label_smoothing: float = 0.0,
    temperature: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy of softmax on logits, ``L = LSE(x/τ) − x_t/τ``, and ``∇L = (p − y)/τ``.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; vectors along ``axis``.
    target : int or array_like of int
        The class of each vector (from 0), broadcast over the vectors.
    axis : int, optional
        The axis holding each vector (default: the last).
    label_smoothing : float, optional
        ``ε ∈ [0, 1]``: the target distribution is ``(1−ε)·onehot(t) + ε/n``
        and ``L = Σ_j y_j (LSE − z_j)`` (default 0).
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1).

    Returns
    -------
    loss : numpy.ndarray
        One value per vector (shape of ``x`` without ``axis``), ``≥ 0``.
    grad : numpy.ndarray
        ``∂L/∂x``, the shape of ``x``: ``(softmax(x/τ) − y)/τ``.

    Raises
    ------
    SoftmaxInputError
        A target out of range or not an integer, bad smoothing or temperature,
        empty or 0-d input.

    Notes
    -----
    Computed as ``−log_softmax(x)_t`` with the accurate
    :func:`~softmax_cli.exp_family.log_softmax`, which *is* ``LSE − z_t`` with
    the maximum factored out: the loss is within an ULP or two of the exact
    value even when ``p_t`` underflows (``p_t ≈ 1e−300``) or ``1 − p_t`` is
    below the float precision. A ``-inf`` logit at the target gives ``inf``.

    Examples
    --------
    >>> loss, grad = cross_entropy([1.0, 2.0, 3.0], 2)
    >>> round(float(loss), 6), grad.round(6).tolist()
    (0.407606, [0.090031, 0.244728, -0.334759])
    >>> float(cross_entropy([0.0, -40.0], 0)[0])  # 1 − p_t is below eps: still exact
    4.248354255291589e-18
    >>> float(cross_entropy([-1000.0, 0.0], 0)[0])
    1000.0
    >>> cross_entropy([[0.0, 0.0], [0.0, 1.0]], [0, 1])[0].round(6)
    array([0.693147, 0.313262])
    """
    a, dt, restore, t = prepare(x, target, axis)
    tau = check_temperature(temperature)
    eps = _check_smoothing(label_smoothing)
    n = a.shape[-1]
    logp = exp_family.log_softmax(a, temperature=tau)
    p = exp_family.softmax(a, temperature=tau)
    with np.errstate(invalid="ignore", over="ignore"):
        loss = -take(logp, t)
        grad = minus_onehot(p, t)
        if eps:
            e = a.dtype.type(eps)  # ε/n in the working dtype: longdouble keeps Σ grad = 0
            mean = (-logp).mean(axis=-1, keepdims=True)
            big = np.isinf(mean) & np.isfinite(logp).all(axis=-1, keepdims=True)
            if big.any():  # the sum overflowed, the mean need not: 1e307 logits at τ < 1
                mean = np.where(big, (-logp / n).sum(axis=-1, keepdims=True), mean)
            loss = (1 - e) * loss + e * mean
            # p − y with the target y = (1 − ε)·onehot + ε/n formed first: the
            # textbook (p − onehot) − ε/n + ε cancels at the target (issue 19:
            # 12.8 ULP at ε = 1, τ = 0.1); here each entry is one subtraction,
            # at the target ε(n−1)/n − Σ_{j≠t} p_j when p_t > ½ (no rounding of p_t).
            grad = p - e / n
            p_t = take(p, t)
            at_t = np.where(
                p_t > 0.5, e * (n - 1) / n - np.minimum(others(p, t), 1), p_t - ((1 - e) + e / n)
            )
            np.put_along_axis(grad, t, at_t, axis=-1)
        grad = grad / a.dtype.type(tau)
    return scalar_out(loss, dt), vector_out(grad, restore)


def check_smoothing(eps: float) -> float:
    """``ε`` for label smoothing, a number in ``[0, 1]``.

    Examples
    --------
    >>> check_smoothing(0.1)
    0.1
    """
    return _check_smoothing(eps)


def check_scale(s: float) -> float:
    """AM-softmax's scale ``s``, a finite number ``> 0``."""
    return _check_positive("scale", s)


def check_margin(m: float) -> float:
    """AM-softmax's margin ``m``, a finite number."""
    return _check_finite("margin", m)


def _check_smoothing(eps: float) -> float:
    e = real_number(eps, "a number in [0, 1]", "label_smoothing", label="label smoothing")
    if not 0 <= e <= 1:
        raise SoftmaxInputError(
            f"{{param}} must be in [0, 1], got {eps!r}",
            param="label_smoothing",
            label="label smoothing",
        )
    return e


def cross_entropy_naive(
    x: ArrayLike, target: Any, axis: int = -1, *, temperature: float = 1.0
) -> np.ndarray:
    """The textbook cross-entropy ``−log(softmax_naive(x)_t)``, in the input dtype (loss only).

    A teaching twin of :func:`cross_entropy`: the probability is formed first,
    so it underflows to 0 (and the loss to ``inf``) once ``p_t`` is below the
    dtype's smallest float, and ``exp`` overflows to ``nan`` past
    ``log(finfo.max)``.

    Examples
    --------
    >>> float(cross_entropy_naive([0.0, 800.0], 0))
    inf
    >>> float(cross_entropy([0.0, 800.0], 0)[0])
    800.0
    """
    p_t = _twin_at_target(exp_family.softmax_naive, x, target, axis, temperature)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.log(p_t)


def cross_entropy_shifted(
    x: ArrayLike, target: Any, axis: int = -1, *, temperature: float = 1.0
) -> np.ndarray:
    """The usual cross-entropy ``−log_softmax_shifted(x)_t``, in the input dtype (loss only).

    A teaching twin of :func:`cross_entropy`: ``−((x_t − m) − log Σ exp(x − m))``
    by :func:`~softmax_cli.exp_family.log_softmax_shifted`; it neither overflows
    nor underflows, but loses digits where ``1 − p_t`` is below the precision.

    Examples
    --------
    >>> float(cross_entropy_shifted([0.0, 800.0], 0))
    800.0
    >>> float(cross_entropy_shifted([0.0, -40.0], 0))  # 1 − p_t ≈ 4e-18 is lost
    0.0
    """
    logp_t = _twin_at_target(exp_family.log_softmax_shifted, x, target, axis, temperature)
    with np.errstate(invalid="ignore"):
        return -logp_t


def _twin_at_target(twin, x: ArrayLike, target: Any, axis: int, temperature: float) -> np.ndarray:
    """``twin(x)`` (a teaching twin, in the input dtype) at each vector's target entry."""
    a = np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    moved, _, _ = to_last_axis(a, axis)  # validates shape and axis
    t = check_targets(target, moved.shape[:-1], moved.shape[-1])
    out = np.moveaxis(twin(a, axis, temperature=temperature), axis, -1)
    return np.take_along_axis(out, t[..., None], axis=-1)[..., 0]


@masked_loss(check_targets)
def neg_prob(
    x: ArrayLike, target: Any, axis: int = -1, *, temperature: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The negative target probability ``L = −softmax(x/τ)_t`` (a smooth accuracy), and ``∇L``.

    ``∇L = −p_t (onehot(t) − p)/τ``: it vanishes both when the model is sure
    and right and when it is sure and wrong (unlike cross-entropy).

    Examples
    --------
    >>> loss, grad = neg_prob([0.0, 0.0], 0)
    >>> float(loss), grad.tolist()
    (-0.5, [-0.25, 0.25])
    """
    a, dt, restore, t = prepare(x, target, axis)
    tau = check_temperature(temperature)
    p = exp_family.softmax(a, temperature=tau)
    pt = take(p, t)
    with np.errstate(invalid="ignore"):
        grad = pt * p
        np.put_along_axis(grad, t, -pt * others(p, t), axis=-1)
        grad = grad / a.dtype.type(tau)
    return scalar_out(-pt, dt), vector_out(grad, restore)


def _lse_double(h: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``LSE(h + lo)`` (keepdims) and ``softmax(h + lo)`` for logits given as double-words."""
    m = h.max(axis=-1, keepdims=True)
    k = np.argmax(h, axis=-1)[..., None]
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        q, qe = two_sum(h, -m)
        qe = qe + lo
        e = np.exp(q)
        e = e + e * qe
        rest_terms = e.copy()
        np.put_along_axis(rest_terms, k, take(qe, k), axis=-1)
        rest = rest_terms.sum(axis=-1, keepdims=True)
        return m + np.log1p(rest), e / (1 + rest)


@masked_loss(check_targets)
def am_softmax(
    cosines: ArrayLike,
    target: Any,
    axis: int = -1,
    *,
    scale: float = 30.0,
    margin: float = 0.35,
) -> tuple[np.ndarray, np.ndarray]:
    """Additive-margin softmax loss: cross-entropy on ``s·(c − m·onehot(t))``, and ``∂L/∂c``.

    ``L = −log( e^{s(c_t−m)} / (e^{s(c_t−m)} + Σ_{j≠t} e^{s c_j}) )`` for cosine
    similarities ``c_j ∈ [−1, 1]`` (given directly); ``∇_c L = s·(p − onehot(t))``
    with ``p`` the softmax of the margin logits.

    Parameters
    ----------
    cosines : array_like
        Cosines ``c_j = cos(z, w_j)``, each in ``[−1, 1]``; vectors along ``axis``.
    target : int or array_like of int
        The true class of each vector (from 0).
    axis : int, optional
        The axis holding each vector (default: the last).
    scale : float, optional
        ``s > 0`` (default 30).
    margin : float, optional
        ``m``, finite (default 0.35).

    Returns
    -------
    loss, grad : numpy.ndarray
        As :func:`cross_entropy`.

    Examples
    --------
    >>> loss, grad = am_softmax([0.2, 0.1, -0.2], 0)  # s(c − m): 30·(0.2 − 0.35) = −4.5
    >>> round(float(loss), 6), grad.round(6).tolist()
    (7.500676, [-29.983419, 29.979719, 0.0037])
    >>> float(am_softmax([0.5, 0.5], 0, margin=0.0)[0]) == math.log(2)
    True
    """
    a, dt, restore, t = prepare(cosines, target, axis)
    s = _check_positive("scale", scale)
    m = _check_finite("margin", margin)
    with np.errstate(invalid="ignore"):
        outside = np.abs(a) > 1
    if outside.any():
        v = float(a[outside].flat[0])
        raise SoftmaxInputError(
            f"AM-softmax takes cosines in [-1, 1], got {v:g} (give cosine similarities, "
            "not raw logits)"
        )
    ct = take(a, t)
    with np.errstate(invalid="ignore"):
        dh, dl = two_sum(a, -ct)
        sh, se = two_sum(dh, a.dtype.type(m))
        sl = se + dl
        ph, pe = two_prod(sh, a.dtype.type(s))
        pl = pe + sl * a.dtype.type(s)
    np.put_along_axis(ph, t, 0, axis=-1)
    np.put_along_axis(pl, t, 0, axis=-1)
    loss, p = _lse_double(ph, pl)
    nan = np.isnan(a).any(axis=-1, keepdims=True)
    loss = np.where(nan, np.nan, loss)
    grad = np.where(nan, np.nan, minus_onehot(p, t) * a.dtype.type(s))
    return scalar_out(loss, dt), vector_out(grad, restore)


def _check_positive(name: str, v: float) -> float:
    f = _check_finite(name, v)
    if f <= 0:
        raise SoftmaxInputError(f"{{param}} must be > 0, got {v!r}", param=name)
    return f


def _check_finite(name: str, v: float) -> float:
    f = real_number(v, "a number", name)
    if not math.isfinite(f):
        raise SoftmaxInputError(f"{{param}} must be finite, got {v!r}", param=name)
    return f
