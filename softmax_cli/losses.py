"""Classification losses on logits, each with its gradient: cross-entropy and its relatives.

Every loss takes logits ``x`` (vectors along ``axis``) and a target class ``t``
(an integer, or an integer array broadcast over the vectors; classes count
from 0) and returns ``(loss, grad)``: the loss per vector (the vector axis
reduced) and its gradient with respect to ``x`` (the shape of ``x``). Float16
and float32 are computed in float64 and rounded once; the output dtype is the
input's.

=================  ===========================================  ==================
loss               value                                        gradient
=================  ===========================================  ==================
cross-entropy      ``LSE(z) − z_t``, ``z = x/τ``                ``(p − y)/τ``
label smoothing    target ``y = (1−ε)·onehot(t) + ε/n``         ``(p − y)/τ``
``−p_t``           ``−softmax(z)_t``                            ``−p_t(onehot − p)/τ``
AM-softmax         cross-entropy on ``s·(c − m·onehot(t))``     ``s·(p − onehot)``
sparsemax loss     ``½ − z_t + Σ_S ½(z_i² − λ²)``               ``(p − onehot)/τ``
entmax loss        ``(p − onehot)ᵀz + H_α(p)``                  ``(p − onehot)/τ``
=================  ===========================================  ==================

How they stay accurate:

* cross-entropy is never ``−log(softmax(x)_t)`` (that underflows to ``inf``
  once ``p_t`` is below ``1e−308``): it is ``LSE(z) − z_t`` formed as
  ``−log_softmax(x)_t`` by :func:`~softmax_cli.exp_family.log_softmax`, i.e.
  ``(m − x_t)/τ + log1p(Σ_{j≠k} e^{(x_j − m)/τ})`` with the rounding error of
  every difference kept -- a sum of two non-negative terms, so it is right to
  an ULP or two whether ``p_t ≈ 1e−300`` or ``1 − p_t ≈ 1e−18``;
* ``1 − p_t`` in every gradient is ``Σ_{j≠t} p_j``, not a subtraction;
* AM-softmax forms ``s·(c_j − c_t + m)`` in double-double arithmetic before the
  log-sum-exp;
* the sparsemax and entmax (Fenchel–Young) losses are evaluated as a sum of
  non-negative terms: ``Σ_{i≠t} p_i^α/α + T(p_t) + max(ν − z_t, 0)·[p_t = 0]``,
  where ``T`` is the Bregman term of the target entry (a power series in
  ``1 − p_t`` near 1) and ``ν = λ/(α−1)`` the threshold; so ``L ≥ 0`` always,
  and ``L = 0`` exactly when ``p = onehot(t)``.

:data:`softmax_cli.registry.LOSSES` holds their records (name, parameters,
oracle, twins) for the command line (``softmax grad --loss``, ``softmax compare``).

Examples
--------
>>> loss, grad = cross_entropy([0.0, 690.0], 0)
>>> float(loss), grad.tolist()
(690.0, [-1.0, 1.0])
>>> loss, grad = sparsemax_loss([1.0, 2.0, 2.5], 2)
>>> float(loss), grad.tolist()
(0.0625, [0.0, 0.25, -0.25])

Every loss takes ``where=`` and ``empty=`` (:func:`softmax_cli._masks.masked_loss`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import exp_family, sparse
from ._arrays import check_temperature, to_last_axis
from ._masks import masked_loss
from .errors import SoftmaxInputError, real_number
from .floats import two_prod, two_sum
from .params import check_alpha
from .records import Loss

__all__ = [
    "Loss",
    "am_softmax",
    "cross_entropy",
    "cross_entropy_naive",
    "cross_entropy_shifted",
    "entmax_loss",
    "neg_prob",
    "sparsemax_loss",
]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def check_targets(target: Any, batch_shape: tuple[int, ...], n: int) -> np.ndarray:
    """Class indices broadcast to ``batch_shape``, each in ``0 … n−1``, as ``intp``.

    Integers, and floats holding whole numbers (a column read from a CSV file),
    are accepted; anything else raises :class:`SoftmaxInputError` naming the
    bad target and ``n``.

    Examples
    --------
    >>> check_targets(2, (3,), 4).tolist()
    [2, 2, 2]
    >>> try:
    ...     check_targets([0, 5], (2,), 3)
    ... except SoftmaxInputError as err:
    ...     print(err)
    target 5 is out of range for vectors of 3 classes (targets count from 0: 0 … 2)
    """
    t = np.asarray(target)
    if t.dtype == bool or t.dtype.kind not in "iuf":
        raise SoftmaxInputError(
            f"{{param}} must be an integer class index (0 … {n - 1}), got {target!r}",
            param="target",
        )
    if t.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(t) | (t != np.floor(t))
        if bad.any():
            v = float(t[bad].flat[0])
            raise SoftmaxInputError(
                f"{{param}} {v:g} is not an integer class index (0 … {n - 1})", param="target"
            )
    big = (t < 0) | (t >= n)
    if big.any():
        v = t[big].flat[0]
        v = int(v) if t.dtype.kind != "f" or abs(v) < 2**63 else float(v)
        raise SoftmaxInputError(
            f"{{param}} {v} is out of range for vectors of {n} classes "
            f"(targets count from 0: 0 … {n - 1})",
            param="target",
        )
    t = t.astype(np.intp)
    try:
        return np.broadcast_to(t, batch_shape)
    except ValueError:
        raise SoftmaxInputError(
            f"{{param}} of shape {t.shape} does not match the {batch_shape or 'single'} "
            "vector(s) of the input",
            param="target",
        ) from None


def _prepare(x: ArrayLike, target: Any, axis: int):
    a, dt, restore = to_last_axis(x, axis)
    t = check_targets(target, a.shape[:-1], a.shape[-1])
    return a, dt, restore, t[..., None]


def _take(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, t, axis=-1)


def _others(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``Σ_{j≠t} p_j`` (keepdims), summed without the target's term."""
    q = p.copy()
    np.put_along_axis(q, t, 0, axis=-1)
    return q.sum(axis=-1, keepdims=True)


def _minus_onehot(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``p − onehot(t)`` with the target entry as ``−Σ_{j≠t} p_j`` (at most 1)."""
    g = p.copy()
    np.put_along_axis(g, t, -np.minimum(_others(p, t), 1), axis=-1)
    return g


def _scalar_out(v: np.ndarray, dt: np.dtype) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = np.array(v[..., 0], dtype=dt)
    out += 0  # no negative zeros
    return out


def _vector_out(g: np.ndarray, restore) -> np.ndarray:
    out = restore(g)
    out += 0
    return out


# ---------------------------------------------------------------------------
# Softmax losses
# ---------------------------------------------------------------------------


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
    a, dt, restore, t = _prepare(x, target, axis)
    tau = check_temperature(temperature)
    eps = _check_smoothing(label_smoothing)
    n = a.shape[-1]
    logp = exp_family.log_softmax(a, temperature=tau)
    p = exp_family.softmax(a, temperature=tau)
    with np.errstate(invalid="ignore", over="ignore"):
        loss = -_take(logp, t)
        grad = _minus_onehot(p, t)
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
            p_t = _take(p, t)
            at_t = np.where(
                p_t > 0.5, e * (n - 1) / n - np.minimum(_others(p, t), 1), p_t - ((1 - e) + e / n)
            )
            np.put_along_axis(grad, t, at_t, axis=-1)
        grad = grad / a.dtype.type(tau)
    return _scalar_out(loss, dt), _vector_out(grad, restore)


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
    a, dt, restore, t = _prepare(x, target, axis)
    tau = check_temperature(temperature)
    p = exp_family.softmax(a, temperature=tau)
    pt = _take(p, t)
    with np.errstate(invalid="ignore"):
        grad = pt * p
        np.put_along_axis(grad, t, -pt * _others(p, t), axis=-1)
        grad = grad / a.dtype.type(tau)
    return _scalar_out(-pt, dt), _vector_out(grad, restore)


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
        np.put_along_axis(rest_terms, k, _take(qe, k), axis=-1)
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
    a, dt, restore, t = _prepare(cosines, target, axis)
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
    ct = _take(a, t)
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
    grad = np.where(nan, np.nan, _minus_onehot(p, t) * a.dtype.type(s))
    return _scalar_out(loss, dt), _vector_out(grad, restore)


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


# ---------------------------------------------------------------------------
# Fenchel–Young losses of sparsemax and entmax
# ---------------------------------------------------------------------------

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
    pt = _take(p, t)
    q = _others(p, t)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        po = p.copy()
        np.put_along_axis(po, t, 0, axis=-1)
        rest = (po**al).sum(axis=-1, keepdims=True) / al
        loss = rest + _target_term(pt, q, alpha)
        # outside the support: + (ν − z_t), ν = z_k − p_k^{α−1}/(α−1) for the top entry k
        k = np.argmax(p, axis=-1)[..., None]
        gap = (_take(a, k) - _take(a, t)) / dt(tau) - _take(p, k) ** (al - 1) / (al - 1)
        loss = loss + np.where(pt == 0, np.maximum(gap, 0), 0)
    nan = np.isnan(a).any(axis=-1, keepdims=True)
    return np.where(nan, np.nan, loss), _minus_onehot(p, t)


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
    a, dt, restore, t = _prepare(x, target, axis)
    tau = check_temperature(temperature)
    p = sparse.sparsemax(a, temperature=tau)
    loss, g = _fenchel_young(p, a, t, 2.0, tau)
    with np.errstate(over="ignore"):  # τ = 5e-324: the exact gradient is beyond the float range
        g = g / a.dtype.type(tau)
    return _scalar_out(loss, dt), _vector_out(g, restore)


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
    a, dt, restore, t = _prepare(x, target, axis)
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
    return _scalar_out(loss, dt), _vector_out(g, restore)


# ---------------------------------------------------------------------------
# The records: in the registry (this module knows no registry at import time)
# ---------------------------------------------------------------------------
