"""``where=``: the one implementation of masks, for every mapping, reduction, derivative and loss.

``where`` is a boolean array broadcastable to ``x``; a ``False`` entry takes no
part (MATH.md, "Masks"): its probability is 0 (log-probability ``-inf``), its
gradient 0, and the kept entries get the mapping of the kept entries alone.
Two ways to get there, chosen per function by :func:`maskable`:

* **fill**: for a mapping in which a ``-inf`` logit provably takes no part
  (its term is an exact 0: the exponential family, the sparse family,
  sigsoftmax, perturbmax, Gumbel softmax), the masked entries are set to
  ``-inf`` and the vector is mapped in one vectorised pass;
* **compress**: otherwise (Taylor softmax, the derivatives, the losses) the
  rows are grouped by how many entries they keep, each group's kept entries are
  gathered into a dense ``(rows, k)`` array, mapped, and scattered back:
  literally the mapping of the kept entries alone, with as many calls as there
  are distinct counts.

A vector with nothing kept has no distribution. What it maps to is the
``empty`` policy (:data:`EMPTY_POLICIES`):

* ``"zero"`` (the default): zero mass. Probabilities 0, log-probabilities and
  logsumexp ``-inf`` (``log 0``), soft max 0 (an empty sum), losses and every
  gradient 0. This is what ``jax.nn.softmax(x, where=...)`` returns and what
  PyTorch moved its attention to (``_safe_softmax``, pytorch#131060) after
  years of reports of NaN from fully masked rows (pytorch#41508, #103749):
  padded rows are normal in a batch, and a NaN there poisons a sum or a
  gradient downstream;
* ``"nan"``: ``nan`` everywhere in the vector (PyTorch's plain softmax of an
  all ``-inf`` row), for who wants such rows to show;
* ``"raise"``: :class:`~softmax_cli.errors.SoftmaxInputError`.

Examples
--------
>>> from softmax_cli import softmax
>>> softmax([1.0, 5.0, 2.0], where=[True, False, True]).round(6).tolist()
[0.268941, 0.0, 0.731059]
>>> softmax([[1.0, 2.0], [3.0, 4.0]], where=[[True, True], [False, False]]).tolist()
[[0.2689414213699951, 0.7310585786300049], [0.0, 0.0]]
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ._arrays import as_float_array, normalize_axis
from ._axes import LOSS, check_out, is_axes, normalize_axes, over_axes
from .errors import SoftmaxInputError
from .floats import is_ml_dtype

__all__ = ["EMPTY_POLICIES", "check_empty", "maskable", "row_mask"]

#: What a vector with nothing kept maps to (see the module docstring).
EMPTY_POLICIES = ("zero", "nan", "raise")

#: Output kinds (the registry's, repeated here so this module needs no registry import).
VECTOR, LOG_VECTOR, SCALAR, ELEMENTWISE = (
    "distribution",
    "log-distribution",
    "scalar",
    "elementwise",
)


def check_empty(empty: Any) -> str:
    """``empty`` if it names a policy of :data:`EMPTY_POLICIES`, else raise."""
    if not isinstance(empty, str) or empty not in EMPTY_POLICIES:
        raise SoftmaxInputError(
            f"{{param}} must be one of {', '.join(EMPTY_POLICIES)}, got {empty!r}", param="empty"
        )
    return empty


def row_mask(where: Any, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """``where`` broadcast to ``shape`` with ``axis`` moved last, as a 2-D ``(rows, n)`` bool array.

    Raises :class:`SoftmaxInputError` unless ``where`` is boolean (a 0/1 integer
    array is taken too) and broadcasts to ``shape``.

    Examples
    --------
    >>> row_mask([1, 0], (3, 2), -1).tolist()
    [[True, False], [True, False], [True, False]]
    """
    m = np.asarray(where)
    if m.dtype.kind in "iu" and m.size and not np.isin(m, (0, 1)).all():
        raise SoftmaxInputError(
            "{param} must be boolean (or 0/1), got other integers", param="where"
        )
    if m.dtype.kind not in "biu":
        raise SoftmaxInputError(
            f"{{param}} must be a boolean mask, got dtype {m.dtype}", param="where"
        )
    try:
        m = np.broadcast_to(m.astype(bool, copy=False), shape)
    except ValueError:
        raise SoftmaxInputError(
            f"{{param}} of shape {m.shape} does not broadcast to x of shape {shape}", param="where"
        ) from None
    ax = normalize_axis(axis, len(shape))
    moved = np.moveaxis(m, ax, -1)
    return moved.reshape(-1, shape[ax])


def groups(mask2: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(rows, cols)`` per count ``k ≥ 1`` of kept entries: ``cols`` is ``(len(rows), k)``.

    ``a2[rows[:, None], cols]`` is then the dense array of those rows' kept entries.
    """
    counts = mask2.sum(axis=-1)
    for k in np.unique(counts):
        if k == 0:
            continue
        rows = np.flatnonzero(counts == k)
        cols = np.nonzero(mask2[rows])[1].reshape(len(rows), int(k))
        yield rows, cols


def empty_rows(mask2: np.ndarray, empty: str) -> np.ndarray:
    """Indices of the rows with nothing kept; raises under the ``"raise"`` policy."""
    rows = np.flatnonzero(~mask2.any(axis=-1))
    if rows.size and empty == "raise":
        raise SoftmaxInputError(
            f"where keeps no entry of {rows.size} vector(s) (the first: vector {int(rows[0])}):"
            " keep at least one, or pass empty='zero' or 'nan'"
        )
    return rows


def _as_rows(v: Any, shape: tuple[int, ...], ax: int, name: str) -> np.ndarray:
    """An operand broadcast to ``x``'s shape, laid out like ``x``'s rows (``axis`` last, 2-D)."""
    arr = np.asarray(v)
    try:
        arr = np.broadcast_to(arr, shape)
    except ValueError:
        raise SoftmaxInputError(
            f"{name} of shape {arr.shape} does not broadcast to x of shape {shape}"
        ) from None
    return np.moveaxis(arr, ax, -1).reshape(-1, shape[ax])


def _masked_map(fn, bound, output: str, fill: float | None, empty: str, empty_value: float,
                operands: tuple[str, ...]):  # fmt: skip
    """Run ``fn`` (bound to its arguments) under the mask ``bound.arguments['where']``."""
    args = bound.arguments
    xname = next(iter(args))
    x = as_float_array(args[xname])
    axis = args.get("axis", -1)
    if x.ndim == 0:
        return fn(*bound.args, **bound.kwargs)  # fn raises its own error for a scalar
    mask2 = row_mask(args.pop("where"), x.shape, axis)
    ax = normalize_axis(axis, x.ndim)
    moved = np.moveaxis(x, ax, -1)
    a2 = moved.reshape(-1, x.shape[ax])
    if is_ml_dtype(a2.dtype):  # computed in float64 anyway; float8_e4m3fn has no -inf to fill
        a2 = a2.astype(np.float64)
    reduce = output == SCALAR
    ops = {k: _as_rows(args[k], x.shape, ax, k) for k in operands if args.get(k) is not None}
    keepdims = bool(args.get("keepdims", False))
    if "keepdims" in args:
        args["keepdims"] = True
    args["axis"] = -1
    if output == ELEMENTWISE:
        args[xname] = a2
        args.update(ops)
        out2 = np.where(mask2, fn(**args), 0)
    else:
        gone = empty_rows(mask2, empty)
        zero = empty_value if reduce else (-np.inf if output == LOG_VECTOR else 0.0)
        if fill is not None:
            args[xname] = np.where(mask2, a2, np.array(fill, dtype=a2.dtype))
            args.update(ops)
            out2 = np.asarray(fn(**args))
            if not reduce:
                out2 = np.where(mask2, out2, zero)
        else:
            out2 = np.full((a2.shape[0], 1 if reduce else a2.shape[1]), zero, dtype=x.dtype)
            for rows, cols in groups(mask2):
                args[xname] = a2[rows[:, None], cols]
                args.update({k: v[rows[:, None], cols] for k, v in ops.items()})
                res = np.asarray(fn(**args))
                if reduce:
                    out2[rows] = res.reshape(-1, 1)
                else:
                    out2[rows[:, None], cols] = res
        if gone.size:
            out2[gone] = np.nan if empty == "nan" else zero
    shape = (*moved.shape[:-1], out2.shape[-1])
    res = np.moveaxis(out2.reshape(shape), -1, ax).astype(x.dtype, copy=False)
    if reduce and not keepdims:
        res = np.squeeze(res, axis=ax)
    return res


def _masked_by_weights(fn, bound, where: Any, empty: str, name: str) -> Any:
    """``fn`` with the weights ``name`` set to 0 where ``where`` is False (a reduction)."""
    args = bound.arguments
    xname = next(iter(args))
    x = np.asarray(args[xname])
    if x.ndim == 0:
        return fn(**args)  # fn raises its own error for a scalar
    b = args.get(name)
    try:
        shape = np.broadcast_shapes(x.shape, np.shape(b)) if b is not None else x.shape
    except ValueError:
        return fn(**args)  # fn names the shapes that do not broadcast
    axis = args.get("axis", -1)
    mask2 = row_mask(where, shape, axis)
    gone = empty_rows(mask2, empty)
    keep = np.broadcast_to(np.asarray(where).astype(bool, copy=False), shape)
    args[name] = np.where(keep, 1 if b is None else b, 0)
    res = fn(**args)
    if not gone.size or empty != "nan":
        return res  # a vector with nothing kept is an empty sum already: log 0 = −inf
    ax = normalize_axis(axis, len(shape))
    lost = ~np.moveaxis(keep, ax, -1).any(axis=-1)
    if args.get("keepdims"):
        lost = np.expand_dims(lost, ax)
    if isinstance(res, tuple):
        return tuple(np.where(lost, np.nan, r) for r in res)
    return np.where(lost, np.nan, res)


def maskable(
    output: str,
    *,
    fill: float | None = -np.inf,
    empty_value: float = -np.inf,
    operands: tuple[str, ...] = (),
    weights: str | None = None,
) -> Callable[[Callable], Callable]:
    """Give a mapping ``fn(x, ..., axis=-1, ...)`` the keywords ``where=`` and ``empty=``.

    ``output`` is the registry's kind of output; ``fill`` the value a masked
    entry may be replaced by because it then takes no part exactly (``None``:
    compress instead); ``empty_value`` a reduction's value for a vector with
    nothing kept under ``empty="zero"``; ``operands`` the names of arguments
    that broadcast against ``x`` and are masked with it (logsumexp's ``b``);
    ``weights`` the name of a weight operand under which a zero weight drops
    its entry exactly: the mask is then those zeros, and ``fn`` runs unmasked.
    Without ``where`` the call goes straight to ``fn``.
    """

    def wrap(fn: Callable) -> Callable:
        def call(bound: inspect.BoundArguments, where: Any, empty: str) -> Any:
            if weights is not None:
                return _masked_by_weights(fn, bound, where, empty, weights)
            bound.arguments["where"] = where
            return _masked_map(fn, bound, output, fill, empty, empty_value, operands)

        masked = _with_where(fn, call, output, operands)
        masked.__maskable__ = output  # type: ignore[attr-defined]
        return masked

    return wrap


def masked_loss(check_targets: Callable) -> Callable[[Callable], Callable]:
    """Give a loss ``fn(x, target, axis=-1, ...) -> (loss, grad)`` ``where=`` and ``empty=``.

    The loss of a vector is the loss of its kept entries alone, with the target
    counted among them (a target that is masked out is an error: its
    probability would be 0 and the loss infinite); the gradient is 0 at masked
    entries. A vector with nothing kept has loss 0 and gradient 0 under
    ``empty="zero"`` (a padded row that contributes nothing, like PyTorch's
    ``ignore_index``), ``nan`` under ``"nan"``. ``check_targets(target,
    batch_shape, n)`` validates the targets against the unmasked length.
    """

    def wrap(fn: Callable) -> Callable:
        sig = inspect.signature(fn)

        def call(bound: inspect.BoundArguments, where: Any, empty: str) -> Any:
            args = bound.arguments
            xname = next(iter(sig.parameters))
            x = as_float_array(args[xname])
            if x.ndim == 0:
                return fn(**args)  # fn raises its own error for a scalar
            axis = args["axis"]
            ax = normalize_axis(axis, x.ndim)
            mask2 = row_mask(where, x.shape, axis)
            moved = np.moveaxis(x, ax, -1)
            a2 = moved.reshape(-1, x.shape[ax])
            t2 = check_targets(args["target"], moved.shape[:-1], x.shape[ax]).reshape(-1)
            gone = empty_rows(mask2, empty)
            hidden = np.flatnonzero(mask2.any(axis=-1) & ~mask2[np.arange(len(t2)), t2])
            if hidden.size:
                r = int(hidden[0])
                raise SoftmaxInputError(
                    f"the target {int(t2[r])} of vector {r} is masked out by where:"
                    " keep the target's entry"
                )
            rank = np.cumsum(mask2, axis=-1) - 1  # an entry's index among the kept ones
            loss = np.zeros(a2.shape[0], dtype=x.dtype)
            grad = np.zeros(a2.shape, dtype=x.dtype)
            args["axis"] = -1
            for rows, cols in groups(mask2):
                args[xname] = a2[rows[:, None], cols]
                args["target"] = rank[rows, t2[rows]]
                lc, gc = fn(**args)
                loss[rows] = lc
                grad[rows[:, None], cols] = gc
            if gone.size and empty == "nan":
                loss[gone] = np.nan
                grad[gone] = np.nan
            g = np.moveaxis(grad.reshape(moved.shape), -1, ax)
            return loss.reshape(moved.shape[:-1]), g

        return _with_keepdims(_with_where(fn, call, LOSS))

    return wrap


def _with_keepdims(loss_fn: Callable) -> Callable:
    """A loss ``(loss, grad)`` taking ``keepdims=``: the loss keeps the vector axes, length 1."""
    sig = inspect.signature(loss_fn)
    names = list(sig.parameters)
    at = names.index("axis")

    @functools.wraps(loss_fn)
    def loss(*a: Any, keepdims: bool = False, **kw: Any) -> Any:
        value, grad = loss_fn(*a, **kw)
        if not keepdims:
            return value, grad
        axis = kw.get("axis", a[at] if len(a) > at else sig.parameters["axis"].default)
        ndim = np.ndim(grad)
        axes = normalize_axes(axis, ndim) if is_axes(axis) else (normalize_axis(axis, ndim),)
        return np.expand_dims(value, axes), grad

    extra = inspect.Parameter("keepdims", inspect.Parameter.KEYWORD_ONLY, default=False)
    params = list(sig.parameters.values())
    at_kw = next(
        (i for i, p in enumerate(params) if p.kind is inspect.Parameter.VAR_KEYWORD), len(params)
    )
    loss.__signature__ = sig.replace(parameters=[*params[:at_kw], extra, *params[at_kw:]])  # type: ignore[attr-defined]
    return loss


def _show_where(masked: Callable, sig: inspect.Signature) -> None:
    """``masked``'s signature: ``sig`` with ``where=None, empty="zero"`` before any ``**kw``."""
    extra = [
        inspect.Parameter("where", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("empty", inspect.Parameter.KEYWORD_ONLY, default="zero"),
    ]
    params = list(sig.parameters.values())
    tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    head = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    masked.__signature__ = sig.replace(parameters=[*head, *extra, *tail])  # type: ignore[attr-defined]


def _with_where(
    fn: Callable, call: Callable[..., Any], kind: str, operands: tuple[str, ...] = ()
) -> Callable:
    """``fn`` taking ``where=`` and ``empty=``: without a mask straight to ``fn``, else
    ``call(bound_arguments, where, empty)``; an axis tuple goes through
    :func:`~softmax_cli._axes.over_axes` first, and ``out`` (if ``fn`` has it) is
    filled here when the call does not reach ``fn`` directly."""
    sig = inspect.signature(fn)
    names = list(sig.parameters)
    at = names.index("axis") if "axis" in names else None

    @functools.wraps(fn)
    def masked(*a: Any, where: Any = None, empty: str = "zero", **kw: Any) -> Any:
        check_empty(empty)
        axis = kw.get("axis", a[at] if at is not None and len(a) > at else None)
        if is_axes(axis):
            bound = sig.bind(*a, **kw)
            bound.apply_defaults()
            args = dict(bound.arguments)
            args["where"] = where

            def one_axis(**merged: Any) -> Any:
                return masked(**merged, empty=empty)

            return over_axes(one_axis, args, kind, operands)
        if where is None:
            return fn(*a, **kw)
        bound = sig.bind(*a, **kw)
        bound.apply_defaults()
        out = bound.arguments.get("out")
        if out is not None:
            bound.arguments["out"] = None
        res = call(bound, where, empty)
        if isinstance(res, tuple):  # logsumexp(return_sign=True): (value, sign)
            return (check_out(out, res[0]), *res[1:])
        return check_out(out, res)

    _show_where(masked, sig)
    return masked
