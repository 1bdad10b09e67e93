"""Axis tuples and ``out=``: the shared front of every mapping, reduction and loss.

A function written for one vector axis (an ``int``) is given a tuple of axes
by this front: the axes are moved last (in increasing order), merged into one
axis of their combined length, the function runs on that, and the result is
put back. So ``softmax(x, axis=(1, 2))`` is the softmax of each ``x[i]`` taken
as one vector, exactly what ``softmax(x.reshape(len(x), -1)).reshape(x.shape)``
gives. A target class of a loss over an axis tuple counts the entries of the
merged vector in C order (``numpy.ravel_multi_index`` over those axes).

``out=`` (the exponential family) is checked here too: an array of exactly
the result's shape and dtype, which the result is written into and returned.

Examples
--------
>>> import numpy as np
>>> from softmax_cli import softmax, logsumexp
>>> x = np.arange(8.0).reshape(2, 2, 2)
>>> p = softmax(x, axis=(1, 2))
>>> p.shape, p.sum(axis=(1, 2)).round(12).tolist()
((2, 2, 2), [1.0, 1.0])
>>> bool((p == softmax(x.reshape(2, 4)).reshape(2, 2, 2)).all())
True
>>> logsumexp(x, axis=(0, 2), keepdims=True).shape
(1, 2, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import SoftmaxInputError

__all__ = ["check_out", "is_axes", "merge_axes", "normalize_axes", "over_axes"]

#: Output kinds (the registry's; ``"loss"``: a ``(loss, grad)`` pair).
VECTOR_KINDS = ("distribution", "log-distribution", "elementwise")
SCALAR, LOSS = "scalar", "loss"


def is_axes(axis: Any) -> bool:
    """Whether ``axis`` is a tuple or list of axes (rather than one axis)."""
    return isinstance(axis, (tuple, list))


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (a tuple or list of ints) as sorted non-negative indices, or raise.

    Examples
    --------
    >>> normalize_axes((-1, 0), 3)
    (0, 2)
    """
    if not axis:
        raise SoftmaxInputError(
            "{param} must name at least one axis, got an empty tuple", param="axis"
        )
    seen: list[int] = []
    for a in axis:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise SoftmaxInputError(
                f"{{param}} must hold integers, got {a!r} in {tuple(axis)!r}", param="axis"
            )
        if not -ndim <= a < ndim:
            raise SoftmaxInputError(
                f"{{param}} {int(a)} in {tuple(axis)!r} is out of range for an array of"
                f" {ndim} dimension(s)",
                param="axis",
            )
        seen.append(int(a) % ndim)
    if len(set(seen)) != len(seen):
        raise SoftmaxInputError(
            f"{{param}} {tuple(axis)!r} names an axis twice: name each once", param="axis"
        )
    return tuple(sorted(seen))


def merge_axes(x: Any, axis: Any) -> np.ndarray:
    """``x`` with the axes of the tuple ``axis`` moved last and merged into one (C order).

    Examples
    --------
    >>> merge_axes(np.zeros((2, 3, 4)), (0, 2)).shape
    (3, 8)
    """
    a = np.asarray(x)
    if a.ndim == 0:
        return a
    axes = normalize_axes(axis, a.ndim)
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))
    return moved.reshape(*moved.shape[: len(rest)], math.prod(a.shape[i] for i in axes))


def _broadcast_all(x: np.ndarray, ops: dict[str, Any], grow: bool) -> tuple[int, ...]:
    """The shape ``x`` and the operands broadcast to; only a reduction's (``grow``) may
    be wider than ``x`` (scipy's ``logsumexp(a, b=b)`` broadcasts ``a`` against ``b``)."""
    shape = x.shape
    for name, v in ops.items():
        try:
            shape = np.broadcast_shapes(shape, np.shape(v))
        except ValueError:
            raise SoftmaxInputError(
                f"{name} of shape {np.shape(v)} does not broadcast to x of shape {x.shape}"
            ) from None
    for name, v in ops.items():
        if not grow and np.broadcast_shapes(x.shape, np.shape(v)) != x.shape:
            raise SoftmaxInputError(
                f"{name} of shape {np.shape(v)} does not broadcast to x of shape {x.shape}"
            )
    return shape


def over_axes(
    call: Callable[..., Any],
    args: dict[str, Any],
    kind: str,
    operands: tuple[str, ...] = (),
) -> Any:
    """Run ``call(**args)`` with ``args['axis']`` (a tuple) merged into one last axis.

    ``args`` are the bound arguments (``x`` first); ``kind`` the output kind
    (:data:`VECTOR_KINDS`, ``"scalar"`` or ``"loss"``); ``operands`` the names
    of arguments broadcast against ``x`` and merged with it (``where`` always
    is). A scalar's ``keepdims`` is honoured here; ``out`` is filled here.
    """
    args = dict(args)
    xname = next(iter(args))
    x = np.asarray(args[xname])
    if x.ndim == 0:
        args["axis"] = -1
        return call(**args)  # the function raises its own error for a scalar
    axes = normalize_axes(args["axis"], x.ndim)
    names = [k for k in (*operands, "where") if args.get(k) is not None]
    shape = _broadcast_all(x, {k: args[k] for k in names}, grow=kind == SCALAR)
    rest = [i for i in range(len(shape)) if i not in axes]
    perm = rest + list(axes)
    batch = tuple(shape[i] for i in rest)
    n = math.prod(shape[i] for i in axes)

    def merge(v: Any) -> np.ndarray:
        return np.transpose(np.broadcast_to(np.asarray(v), shape), perm).reshape(*batch, n)

    def split(v: np.ndarray) -> np.ndarray:
        full = np.asarray(v).reshape(*batch, *(shape[i] for i in axes))
        return np.transpose(full, np.argsort(perm))

    args[xname] = merge(x)
    for k in names:
        args[k] = merge(args[k])
    args["axis"] = -1
    keepdims = bool(args.get("keepdims", False))
    if "keepdims" in args:
        args["keepdims"] = False
    out = args.get("out")
    if "out" in args:  # filled below, once the result has its caller's layout
        args["out"] = None
    res = call(**args)
    if kind == LOSS:
        loss, grad = res
        return loss, split(grad)
    if kind == SCALAR:
        if isinstance(res, tuple):  # logsumexp(return_sign=True): (value, sign)
            value, sign = (np.expand_dims(r, axes) if keepdims else r for r in res)
            return check_out(out, value), sign
        return check_out(out, np.expand_dims(res, axes) if keepdims else res)
    return check_out(out, split(res))


def check_out(out: Any, result: np.ndarray) -> np.ndarray:
    """``result`` written into ``out`` (and ``out`` returned); ``result`` itself if no ``out``.

    ``out`` must be a numpy array of the result's exact shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> buf = np.empty(2)
    >>> check_out(buf, np.array([1.0, 2.0])) is buf
    True
    """
    if out is None:
        return result
    result = np.asarray(result)
    want_out(out, result.shape, result.dtype)
    if out is not result:
        np.copyto(out, result)
    return out


def want_out(out: Any, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Raise unless ``out`` is an array of ``shape`` and ``dtype`` that may be written."""
    if not isinstance(out, np.ndarray):
        raise SoftmaxInputError(
            f"{{param}} must be a numpy array, got {type(out).__name__}", param="out"
        )
    if out.shape != tuple(shape) or out.dtype != dtype:
        raise SoftmaxInputError(
            f"{{param}} has shape {out.shape} and dtype {out.dtype}; the result needs shape"
            f" {tuple(shape)} and dtype {np.dtype(dtype)}",
            param="out",
        )
    if not out.flags.writeable:
        raise SoftmaxInputError("{param} is read-only", param="out")
