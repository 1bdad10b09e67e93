"""What every loss shares: its targets checked, its vectors on the last axis, its outputs.

:func:`check_targets` checks and broadcasts the class indices; :func:`prepare` moves
the vectors to the last axis and checks the targets against them; :func:`take`,
:func:`others` and :func:`minus_onehot` are the target-indexed pieces of the
gradients; :func:`scalar_out` and :func:`vector_out` return the loss and the gradient
in the input's dtype and shape. Used by :mod:`softmax_cli.softmax_losses` and
:mod:`softmax_cli.fenchel_young`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import to_last_axis
from .errors import SoftmaxInputError


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


def prepare(x: ArrayLike, target: Any, axis: int):
    a, dt, restore = to_last_axis(x, axis)
    t = check_targets(target, a.shape[:-1], a.shape[-1])
    return a, dt, restore, t[..., None]


def take(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, t, axis=-1)


def others(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``Σ_{j≠t} p_j`` (keepdims), summed without the target's term."""
    q = p.copy()
    np.put_along_axis(q, t, 0, axis=-1)
    return q.sum(axis=-1, keepdims=True)


def minus_onehot(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``p − onehot(t)`` with the target entry as ``−Σ_{j≠t} p_j`` (at most 1)."""
    g = p.copy()
    np.put_along_axis(g, t, -np.minimum(others(p, t), 1), axis=-1)
    return g


def scalar_out(v: np.ndarray, dt: np.dtype) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = np.array(v[..., 0], dtype=dt)
    out += 0  # no negative zeros
    return out


def vector_out(g: np.ndarray, restore) -> np.ndarray:
    out = restore(g)
    out += 0
    return out
