"""The teaching twins: softmax, log-softmax and logsumexp as they are usually written.

Each function here computes in the input dtype, with no extended precision,
no error terms and no special-value rules: exactly the formula, so that
``softmax compare`` and a lesson can show what goes wrong with it. Use
:mod:`softmax_cli` (``softmax``, ``log_softmax``, ``logsumexp``) for results.

Two forms, three functions each:

* **naive**, the textbook formula ``exp(x) / Σ exp(x)``:

  - :func:`softmax_naive` *overflows*: ``exp(x)`` is ``inf`` once ``x``
    passes ``log(finfo.max)`` (≈ 709.78 in float64, ≈ 11.09 in float16) and
    ``inf/inf`` is ``nan``; it also *underflows*: when every ``exp(x_i)`` rounds
    to 0 (``x`` below ≈ −745 in float64) the result is ``0/0 = nan``;
  - :func:`log_softmax_naive` takes the log of that: a probability that
    underflowed to 0 becomes ``-inf``, although ``log p`` itself is an
    ordinary number (``x_i − LSE(x)``);
  - :func:`logsumexp_naive` overflows to ``inf`` for large logits.

* **shifted**, the usual stable form: subtract the row maximum first, as
  numpy users, scipy and PyTorch do. No overflow, and no ``0/0``, but:

  - :func:`softmax_shifted` loses accuracy to rounding: ``x − max`` is
    rounded, and ``exp`` turns its absolute error into a relative error of
    the output (tens of ULP on spread-out logits);
  - :func:`log_softmax_shifted` and :func:`logsumexp_shifted` take ``log`` of a
    sum near 1 instead of ``log1p`` of the small rest, so a small share
    vanishes: ``log_softmax_shifted([0, −40])[0]`` is ``0.0``, the exact value
    ``−4.25e−18``.

Each takes ``accumulate=``, the dtype the sum ``Σ exp`` is added up (and the
division or ``log`` done) in: by default the input dtype, element after
element, as a running sum; ``float32`` or ``float64`` is what a fused kernel
does to avoid the *stall*: a bfloat16 running sum stops growing at 256
(256 + 1 rounds back to 256), so a uniform softmax over 512 equal logits gives
1/256 instead of 1/512. The exponentials themselves are rounded to the input
dtype either way; the result is rounded to it at the end.

The textbook cross-entropy from probabilities is
:func:`softmax_cli.losses.cross_entropy_naive`.

Examples
--------
>>> from softmax_cli import naive
>>> naive.softmax_naive([1000.0, 1001.0])
array([nan, nan])
>>> naive.softmax_shifted([1000.0, 1001.0]).round(4)
array([0.2689, 0.7311])
>>> float(naive.log_softmax_shifted([0.0, -40.0])[0])
0.0
>>> import ml_dtypes
>>> x = np.zeros(512, dtype=ml_dtypes.bfloat16)
>>> float(naive.softmax_naive(x)[0]), float(naive.softmax_naive(x, accumulate="float32")[0])
(0.00390625, 0.001953125)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import check_temperature
from .floats import is_float_dtype, parse_dtype

__all__ = [
    "log_softmax_naive",
    "log_softmax_shifted",
    "logsumexp_naive",
    "logsumexp_shifted",
    "softmax_naive",
    "softmax_shifted",
]


def _plain(x: ArrayLike, axis: int, temperature: float) -> tuple[np.ndarray, int]:
    a = np.asarray(x)
    if not is_float_dtype(a.dtype):  # bfloat16 and float8 stay as they are
        a = a.astype(np.float64)
    tau = check_temperature(temperature)
    if tau != 1.0:
        a = a / a.dtype.type(tau)
    return a, axis


def accumulator(accumulate: object, dtype: np.dtype) -> np.dtype:
    """The dtype sums are added in: ``accumulate`` (a dtype or its name), else ``dtype``.

    Examples
    --------
    >>> accumulator(None, np.dtype(np.float16)), accumulator("float32", np.dtype(np.float16))
    (dtype('float16'), dtype('float32'))
    """
    if accumulate is None:
        return np.dtype(dtype)
    if isinstance(accumulate, str):
        return parse_dtype(accumulate)
    try:
        acc = np.dtype(accumulate)
    except TypeError:
        acc = None
    if acc is None or not is_float_dtype(acc):
        from .errors import SoftmaxInputError

        raise SoftmaxInputError(
            f"{{param}} must be a float dtype, got {accumulate!r}", param="accumulate"
        )
    return acc


def _sum(e: np.ndarray, axis: int, keepdims: bool, acc: np.dtype) -> np.ndarray:
    """``Σ e`` along ``axis`` in ``acc`` (numpy's sum: a running sum for bfloat16/float8)."""
    return e.astype(acc, copy=False).sum(axis=axis, keepdims=keepdims)


def softmax_naive(
    x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, accumulate: object = None
) -> np.ndarray:
    """Textbook ``exp(x) / Σ exp(x)`` in the input dtype: overflows past ``log(finfo.max)``.

    Examples
    --------
    >>> softmax_naive([1000.0, 2000.0])
    array([nan, nan])
    """
    a, axis = _plain(x, axis, temperature)
    acc = accumulator(accumulate, a.dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(a)
        return (e.astype(acc) / _sum(e, axis, True, acc)).astype(a.dtype)


def log_softmax_naive(
    x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, accumulate: object = None
) -> np.ndarray:
    """Textbook ``log(softmax_naive(x))``: ``-inf`` or ``nan`` where that underflows or overflows.

    Examples
    --------
    >>> log_softmax_naive([0.0, -800.0])
    array([  0., -inf])
    """
    a, axis = _plain(x, axis, temperature)
    acc = accumulator(accumulate, a.dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(a)
        return np.log(e.astype(acc) / _sum(e, axis, True, acc)).astype(a.dtype)


def logsumexp_naive(
    x: ArrayLike,
    axis: int = -1,
    *,
    keepdims: bool = False,
    temperature: float = 1.0,
    accumulate: object = None,
) -> np.ndarray:
    """Textbook ``τ·log Σ exp(x/τ)`` in the input dtype.

    Examples
    --------
    >>> float(logsumexp_naive([1000.0, 1000.0]))
    inf
    """
    a, axis = _plain(x, axis, temperature)
    acc = accumulator(accumulate, a.dtype)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        out = np.log(_sum(np.exp(a), axis, keepdims, acc))
        if temperature != 1.0:  # τ rounded to the input dtype, as in x/τ
            out = out * a.dtype.type(temperature)
    return out.astype(a.dtype)


def softmax_shifted(
    x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, accumulate: object = None
) -> np.ndarray:
    """The usual stable form ``exp(x − max) / Σ exp(x − max)``, in the input dtype.

    What numpy users, scipy and PyTorch compute; no overflow, but the rounding
    of ``x − max`` is magnified by ``exp`` (tens of ULP on spread-out logits).

    Examples
    --------
    >>> softmax_shifted([1000.0, 2000.0]).tolist()
    [0.0, 1.0]
    """
    a, axis = _plain(x, axis, temperature)
    acc = accumulator(accumulate, a.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        return (e.astype(acc) / _sum(e, axis, True, acc)).astype(a.dtype)


def log_softmax_shifted(
    x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, accumulate: object = None
) -> np.ndarray:
    """The usual stable form ``(x − max) − log Σ exp(x − max)``, in the input dtype.

    Examples
    --------
    >>> log_softmax_shifted([0.0, -40.0])[0]
    np.float64(0.0)
    """
    a, axis = _plain(x, axis, temperature)
    acc = accumulator(accumulate, a.dtype)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d = a - a.max(axis=axis, keepdims=True)
        return (d.astype(acc) - np.log(_sum(np.exp(d), axis, True, acc))).astype(a.dtype)


def logsumexp_shifted(
    x: ArrayLike,
    axis: int = -1,
    *,
    keepdims: bool = False,
    temperature: float = 1.0,
    accumulate: object = None,
) -> np.ndarray:
    """The usual stable form ``max + log Σ exp(x − max)``, in the input dtype.

    Examples
    --------
    >>> float(logsumexp_shifted([1000.0, 1000.0]))
    1000.6931471805599
    """
    a, axis = _plain(x, axis, temperature)
    acc = accumulator(accumulate, a.dtype)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        m = a.max(axis=axis, keepdims=True)
        out = m.astype(acc) + np.log(_sum(np.exp(a - m), axis, True, acc))
        if temperature != 1.0:  # τ rounded to the input dtype, as in x/τ
            out = out * a.dtype.type(temperature)
    out = out.astype(a.dtype)
    return out if keepdims else np.squeeze(out, axis=axis)
