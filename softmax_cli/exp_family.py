"""The exponential family: softmax, log-softmax, logsumexp, soft max, sigmoid, hard max.

Accurate by construction, at little cost:

1. shift by the row maximum ``m`` and keep the rounding error of ``x - m``
   (TwoSum), and of the division by the temperature (TwoProduct), so the
   exponent is known to about twice the working precision;
2. correct ``exp(q)`` to first order by that error: ``exp(q + e) ≈ exp(q)(1 + e)``;
3. sum everything but the (first) maximum, whose term is exactly 1, and take
   ``log1p`` of that sum instead of ``log`` of a sum near 1;
4. float16 and float32 inputs are computed in float64 and rounded once.

Every function here takes ``where=`` (a boolean mask: ``False`` entries take no
part, probability 0) and ``empty=`` (what a vector with nothing kept maps to:
``"zero"``, ``"nan"`` or ``"raise"``); see :mod:`softmax_cli._masks`. Every
one also takes a tuple of axes (those axes taken together as one vector;
:mod:`softmax_cli._axes`) and ``out=`` (an array of the result's exact shape
and dtype, written and returned); the reductions take ``keepdims``.

Special values, for every function here: a vector holding ``nan`` maps to
``nan``. When the row maximum is infinite (some ``+inf``, or every entry
``-inf``) the entries equal to it share the mass equally, which is the limit
of the finite case: ``softmax([inf, 0]) == [1, 0]``; ``softmax([-inf, -inf])``
is uniform and ``logsumexp([-inf, -inf]) == -inf``. A ``-inf`` among finite
entries gets probability 0.

The ``*_naive`` and ``*_shifted`` twins (the textbook formula and the usual
"subtract the max" formula, in the input dtype, without any of the above) live
in :mod:`softmax_cli.naive`; they are importable from here too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _expkernel, _signedlse
from ._arrays import check_temperature, normalize_axis, to_last_axis, working_dtype
from ._axes import check_out, want_out
from ._masks import ELEMENTWISE, LOG_VECTOR, SCALAR, VECTOR, maskable
from .errors import SoftmaxInputError

# The teaching twins' old import path (they live in :mod:`softmax_cli.naive`).
from .naive import log_softmax_naive as log_softmax_naive
from .naive import log_softmax_shifted as log_softmax_shifted
from .naive import logsumexp_naive as logsumexp_naive
from .naive import logsumexp_shifted as logsumexp_shifted
from .naive import softmax_naive as softmax_naive
from .naive import softmax_shifted as softmax_shifted

__all__ = [
    "hardmax",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "soft_max",
    "softmax",
]


def _through_kernel(
    x: ArrayLike, axis: int, temperature: float, mode: str, out: np.ndarray | None = None
) -> np.ndarray:
    """Run the blocked kernel over every vector of ``x`` along ``axis`` (into ``out``, if given).

    ``out`` is written by the kernel itself when it is C-contiguous, holds the
    vectors along its last axis and shares no memory with ``x``; else the
    result is copied into it.
    """
    tau = check_temperature(temperature)
    a, out_dtype, restore = to_last_axis(x, axis, convert=False)
    a2 = a.reshape(-1, a.shape[-1])
    wd = working_dtype(out_dtype)
    if out is not None:
        want_out(out, np.shape(x), out_dtype)
        last = normalize_axis(axis, a.ndim) == a.ndim - 1
        if last and out.flags.c_contiguous and not np.may_share_memory(out, a):
            _expkernel.run(a2, tau, mode, out_dtype, wd, dest=out.reshape(a2.shape))
            return out
    res = restore(_expkernel.run(a2, tau, mode, out_dtype, wd).reshape(a.shape))
    return check_out(out, res)


@maskable(VECTOR)
def softmax(
    x: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    *,
    temperature: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Softmax ``exp(x/τ) / Σ exp(x/τ)`` along ``axis``, accurate to a few ULP.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int or tuple of int, optional
        The axis holding each vector (default: the last); a tuple takes those
        axes together as one vector.
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1).
    out : numpy.ndarray, optional
        Where to write the result: an array of the shape and float dtype of
        ``x``. A C-contiguous ``out`` with the vectors along its last axis is
        written by the kernel directly, with no temporary of that size.
    where : array_like of bool, optional
        Entries that take part, broadcast against ``x``; a ``False`` entry gets
        probability 0 and the rest the softmax of the kept entries alone.
    empty : {"zero", "nan", "raise"}, optional
        A vector with nothing kept: zeros (default), ``nan``, or an error.

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Empty vector, 0-d input, bad axis or temperature.

    Examples
    --------
    >>> softmax([1.0, 2.0, 3.0])
    array([0.09003057, 0.24472847, 0.66524096])
    >>> softmax([1000.0, 2000.0, 3000.0])
    array([0., 0., 1.])
    >>> softmax([np.inf, 0.0, np.inf])
    array([0.5, 0. , 0.5])
    >>> softmax([1, 2], temperature=0.5).round(6)
    array([0.119203, 0.880797])
    >>> softmax([1.0, 2.0, 3.0], where=[True, False, True]).round(6)
    array([0.119203, 0.      , 0.880797])
    >>> buf = np.empty((2, 2))
    >>> softmax([[0.0, 0.0], [0.0, np.log(3.0)]], out=buf) is buf
    True
    >>> buf.round(6)
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    return _through_kernel(x, axis, temperature, _expkernel.SOFTMAX, out)


@maskable(LOG_VECTOR)
def log_softmax(
    x: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    *,
    temperature: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Logarithm of :func:`softmax`, computed as ``x/τ − LSE(x/τ)`` with ``log1p``.

    Exact where peers lose everything: ``log_softmax([0, -40])[0]`` is
    ``-4.248e-18``, not ``0``. A ``-inf`` logit gives ``-inf``.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype.
    axis : int or tuple of int, optional
        The axis holding each vector (default: the last), or several together.
    temperature : float, optional
        ``τ > 0`` (default 1).
    out : numpy.ndarray, optional
        Where to write the result (as for :func:`softmax`).
    where : array_like of bool, optional
        Entries that take part; a ``False`` entry gets ``-inf``.
    empty : {"zero", "nan", "raise"}, optional
        A vector with nothing kept: ``-inf`` (default, log 0), ``nan``, or an error.

    Returns
    -------
    numpy.ndarray
        Log-probabilities, same shape and float dtype as ``x``.

    Examples
    --------
    >>> log_softmax([0.0, -40.0])
    array([-4.24835426e-18, -4.00000000e+01])
    >>> log_softmax([1.0, 2.0, 3.0]).round(6)
    array([-2.407606, -1.407606, -0.407606])
    """
    return _through_kernel(x, axis, temperature, _expkernel.LOG_SOFTMAX, out)


@maskable(SCALAR, operands=("b",), weights="b")
def logsumexp(
    x: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    *,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    temperature: float = 1.0,
    return_sign: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``log Σ b_j exp(x_j)`` along ``axis``; with a temperature, the smooth max ``τ·LSE(x/τ)``.

    With weights of both signs the sum can be negative or cancel: ask for
    ``return_sign=True`` to get ``log|Σ|`` and the sign (scipy's semantics).
    A sum that cancels is summed again exactly (:mod:`softmax_cli._signedlse`),
    so ``logsumexp([0, 1e-300], b=[1, -1], return_sign=True)`` is
    ``(-690.7755…, -1.0)`` where a plain float sum gives ``(-inf, 0)``.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype.
    axis : int or tuple of int, optional
        The axis (or axes, taken together) to reduce (default: the last).
    b : array_like, optional
        Weights of any sign, broadcast against ``x`` as scipy does (``x`` is
        broadcast too: ``b`` of shape ``(2, n)`` and ``x`` of shape ``(n,)``
        give two results); a zero weight drops its entry, whatever its value.
    keepdims : bool, optional
        Keep the reduced axes with length 1.
    temperature : float, optional
        ``τ > 0``; returns ``τ·log Σ b_j exp(x_j/τ)``, which tends to
        ``max x`` as ``τ → 0`` (default 1).
    return_sign : bool, optional
        Return ``(log|Σ|, sign)``, the sign ``1``, ``-1``, or ``0`` for a sum
        that is exactly 0 (then the value is ``-inf``). Without it a negative
        sum is ``nan``, as in scipy.
    out : numpy.ndarray, optional
        Where to write the (first) result: its exact shape and dtype.
    where : array_like of bool, optional
        Entries that take part (``b`` is masked with ``x``).
    empty : {"zero", "nan", "raise"}, optional
        A vector with nothing kept: ``-inf`` (default, the log of an empty
        sum), ``nan``, or an error.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        The reduction, in the float dtype of ``x`` (a 0-d array for a vector);
        with ``return_sign``, also the sign in that dtype.

    Warns
    -----
    LossOfPrecisionWarning
        A signed sum cancels in a vector longer than
        :data:`softmax_cli._signedlse.EXACT_MAX`, too long to redo exactly;
        the warning gives its condition number.

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))
    1000.6931471805599
    >>> float(logsumexp([1.0, 2.0, 3.0, 4.0], temperature=0.1))
    4.000004540096037
    >>> float(logsumexp([0.0, 0.0], b=[2.0, 0.0]))
    0.6931471805599453
    >>> [float(v) for v in logsumexp([0.0, 1e-300], b=[1.0, -1.0], return_sign=True)]
    [-690.7755278982137, -1.0]
    >>> logsumexp([1.0, 2.0], b=[[1.0, 1.0], [2.0, -1.0]], return_sign=True)[1]
    array([ 1., -1.])
    """
    tau = check_temperature(temperature)
    if b is not None:
        try:
            x, b = np.broadcast_arrays(np.asarray(x), np.asarray(b))
        except ValueError:
            raise SoftmaxInputError(
                f"weights b of shape {np.shape(b)} do not broadcast to x of shape {np.shape(x)}"
            ) from None
    a, out_dtype, restore = to_last_axis(x, axis, convert=False)
    wd = working_dtype(out_dtype)
    a2 = a.reshape(-1, a.shape[-1])
    w2 = None
    if b is not None:
        wl, _, _ = to_last_axis(b, axis, convert=False)
        w2 = wl.reshape(-1, wl.shape[-1]).astype(wd)
        if np.isnan(w2).any():
            raise SoftmaxInputError("weights b must be numbers, got nan")
    shape = (*a.shape[:-1], 1)
    if w2 is not None and (w2 < 0).any():
        value, sign = _signedlse.signed_lse(a2, w2, tau, wd)
    else:
        value = _expkernel.run(a2, tau, _expkernel.LSE, out_dtype, wd, w2)
        sign = np.where(np.isnan(value), np.nan, np.where(np.isneginf(value), 0.0, 1.0))
    res = restore(value.reshape(shape), keepdims=keepdims)
    sign = restore(sign.reshape(shape), keepdims=keepdims)
    if return_sign:
        return check_out(out, res), sign
    if (sign < 0).any():  # the log of a negative sum
        res = np.where(sign < 0, out_dtype.type(np.nan), res)
    return check_out(out, res)


@maskable(SCALAR, empty_value=0.0)
def soft_max(
    x: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    *,
    keepdims: bool = False,
    temperature: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The "soft max" ``softmax(x/τ)ᵀx``: a smooth maximum that never exceeds ``max x``.

    Examples
    --------
    >>> float(soft_max([1.0, 2.0, 3.0, 4.0])).__round__(6)
    3.492653
    >>> float(soft_max([1.0, 2.0, 3.0, 4.0], temperature=0.01))
    4.0
    """
    a, _, restore = to_last_axis(x, axis)
    p = softmax(a, temperature=temperature)
    with np.errstate(invalid="ignore"):
        prod = np.where(p == 0, 0, p * a)
    return check_out(out, restore(prod.sum(axis=-1, keepdims=True), keepdims=keepdims))


@maskable(ELEMENTWISE)
def sigmoid(
    x: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    *,
    temperature: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x/τ))``, elementwise; ``softmax([z, 0])[0]``.

    ``axis`` is accepted for a uniform signature and checked, but the map is
    elementwise. Never overflows: ``sigmoid(-1000) == 0``, ``sigmoid(inf) == 1``.

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 2.0]).round(6)
    array([0.      , 0.5     , 0.880797])
    """
    a, _, restore = to_last_axis(np.atleast_1d(x), axis)
    tau = check_temperature(temperature)
    with np.errstate(over="ignore"):  # x/τ = ±inf past the float range: σ is then 0 or 1
        z = a / tau
        ez = np.exp(-np.abs(z))
    pos = 1 / (1 + ez)
    res = restore(np.where(z >= 0, pos, ez * pos))
    return check_out(out, res.reshape(np.shape(x)) if np.ndim(x) == 0 else res)


@maskable(VECTOR)
def hardmax(
    x: ArrayLike,
    axis: int | tuple[int, ...] = -1,
    *,
    temperature: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """One-hot of the argmax; tied maxima share the mass equally (the ``τ → 0`` limit).

    ``temperature`` is accepted for a uniform signature and checked; it does not
    change the result.

    Examples
    --------
    >>> hardmax([1.0, 3.0, 2.0])
    array([0., 1., 0.])
    >>> hardmax([3.0, 3.0, 2.0])
    array([0.5, 0.5, 0. ])
    """
    a, _, restore = to_last_axis(x, axis)
    check_temperature(temperature)
    nan_rows = np.isnan(a).any(axis=-1, keepdims=True)
    hit = a == np.where(nan_rows, 0, a).max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):  # 1/k in the input's dtype (longdouble: not float64)
        res = hit.astype(np.result_type(a.dtype, np.float64)) / hit.sum(axis=-1, keepdims=True)
    return check_out(out, restore(np.where(nan_rows, np.nan, res)))
