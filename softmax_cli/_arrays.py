"""Input normalisation shared by every mapping: dtype, axis, shape checks.

Every public mapping works on the last axis of a C-contiguous array in its
*working dtype* and moves the result back; this module does that bookkeeping
once so the mappings hold only their mathematics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import SoftmaxInputError, real_number
from .floats import is_float_dtype


def as_float_array(x: Any) -> np.ndarray:
    """Return ``x`` as a floating-point array; integers and booleans become float64.

    bfloat16 and float8 arrays (``ml_dtypes``) are float arrays too: kept as they are.
    """
    a = np.asarray(x)
    kind = a.dtype.kind
    if is_float_dtype(a.dtype):
        return a
    if kind in "biu":
        return a.astype(np.float64)
    if kind == "O":
        try:
            return a.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise SoftmaxInputError(f"expected real numbers, got an array of dtype {a.dtype}")


def working_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype computations run in: longdouble for longdouble, else float64.

    float16, float32, bfloat16 and the float8 types are computed in float64 and
    rounded once to their own type at the end.
    """
    if np.dtype(dtype).itemsize > 8:
        return np.dtype(np.longdouble)
    return np.dtype(np.float64)


def normalize_axis(axis: int, ndim: int) -> int:
    """Return ``axis`` as a non-negative index, or raise :class:`SoftmaxInputError`."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise SoftmaxInputError(f"{{param}} must be an integer, got {axis!r}", param="axis")
    if not -ndim <= axis < ndim:
        raise SoftmaxInputError(
            f"{{param}} {axis} is out of range for an array of {ndim} dimension(s)", param="axis"
        )
    return int(axis) % ndim


def to_last_axis(
    x: Any, axis: int, *, convert: bool = True
) -> tuple[np.ndarray, np.dtype, Callable]:
    """Validate ``x`` and move ``axis`` last.

    Returns the array (``axis`` last; with ``convert``, C-contiguous in its
    working dtype, else a view in its own dtype), the
    output dtype, and a function that turns a result computed on that layout
    back into the caller's layout and dtype.  Reductions are given ``keepdims``
    results (last axis of length 1).
    """
    a = as_float_array(x)
    if a.ndim == 0:
        raise SoftmaxInputError("cannot map a 0-d (scalar) input: give a vector of logits")
    ax = normalize_axis(axis, a.ndim)
    if a.shape[ax] == 0:
        raise SoftmaxInputError(f"cannot map an empty vector (axis {axis} has length 0)")
    out_dtype = a.dtype
    moved = np.moveaxis(a, ax, -1)
    work = np.ascontiguousarray(moved, dtype=working_dtype(out_dtype)) if convert else moved

    def restore(result: np.ndarray, keepdims: bool = True) -> np.ndarray:
        res = np.moveaxis(result, -1, ax)
        if not keepdims:
            res = np.squeeze(res, axis=ax)
        with np.errstate(over="ignore"):  # out of range for the output dtype rounds to ±inf
            return np.asarray(res, dtype=out_dtype)

    return work, out_dtype, restore


def check_temperature(temperature: float) -> float:
    """Return ``temperature`` as a float if it is finite and positive, else raise."""
    tau = real_number(temperature, "a number", "temperature")
    if not (np.isfinite(tau) and tau > 0):
        raise SoftmaxInputError(
            f"{{param}} must be finite and > 0, got {temperature!r}", param="temperature"
        )
    return tau


def halve_if_spread(a: np.ndarray, tau: float) -> tuple[np.ndarray, float]:
    """``(a, τ)``, both halved when ``max − min`` of the finite entries overflows.

    Every map of ``z = x/τ`` gives the same for ``(x/2, τ/2)`` (halving is exact for
    normal numbers), and ``x − max`` then stays finite: without this, ``x − max`` is
    ``-inf`` before the division by a huge ``τ`` could bring it back (issue 19, item 5:
    ``sigsoftmax([1.7e308, -1.7e308], temperature=1e308)`` gave ``[1, 0]``).

    Examples
    --------
    >>> a, tau = halve_if_spread(np.array([1.7e308, -1.7e308]), 1e308)
    >>> a.tolist(), tau
    ([8.5e+307, -8.5e+307], 5e+307)
    >>> halve_if_spread(np.array([1.0, -2.0]), 3.0)[1]
    3.0
    """
    finite = np.isfinite(a)
    if not finite.any():
        return a, tau
    with np.errstate(over="ignore", invalid="ignore"):
        spread = a[finite].max() - a[finite].min()
    if np.isfinite(spread):
        return a, tau
    return a / 2, tau / 2
