"""Jacobians, Jacobian-vector products (JVP) and vector-Jacobian products (VJP), in closed form.

Every deterministic mapping of the registry carries a *derivative form* (the
``derivative`` field of its :class:`~softmax_cli.registry.Mapping` record): a
function that, given the logits, returns the Jacobian in a structured, low-rank
form. :func:`jacobian`, :func:`jvp` and :func:`vjp` work from that form, so a
JVP or VJP costs O(n) per vector and only :func:`jacobian` builds the dense
``n × n`` matrix.

The forms themselves, with the formula of every mapping's Jacobian, its
subgradient choices at the edges of a support and its accuracy, are in
:mod:`softmax_cli.derivative_forms`; mappings are found by name with
:func:`softmax_cli.registry.differentiable`.

Examples
--------
>>> jacobian("softmax", [0.0, 0.0]).tolist()
[[0.25, -0.25], [-0.25, 0.25]]
>>> jvp("sparsemax", [1.0, 2.0, 2.5], [1.0, 0.0, 0.0]).tolist()
[0.0, 0.0, 0.0]
>>> vjp("log-softmax", [0.0, 0.0], [1.0, 0.0]).tolist()
[0.5, -0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import as_float_array, check_temperature, normalize_axis, to_last_axis
from ._axes import is_axes, normalize_axes
from ._masks import check_empty, empty_rows, groups, row_mask
from .derivative_forms import Form, taylor_ratio
from .errors import SoftmaxInputError
from .registry import differentiable

__all__ = [
    "Derivative",
    "jacobian",
    "jvp",
    "linearize",
    "taylor_ratio",
    "vjp",
]


class Derivative:
    """The derivative of a registry mapping at ``x``: Jacobian, JVP, VJP, size.

    Build it with :func:`linearize`. The Jacobian's layout is ``(..., n_out, n)``:
    the batch dimensions of ``x`` (every axis but ``axis``, in order), then the
    output and input vector axes; ``n_out = n``, or ``1`` for reductions.

    Examples
    --------
    >>> d = linearize("softmax", [1.0, 2.0, 3.0])
    >>> d.jacobian().shape, d.jvp([1.0, 1.0, 1.0]).round(15).tolist()
    ((3, 3), [0.0, 0.0, 0.0])
    >>> float(d.half_l1().round(6))  # = 1 − Σp²
    0.489457
    """

    def __init__(self, mapping, x: ArrayLike, axis: int, temperature: float, params) -> None:
        self.mapping = mapping
        self.params = params
        self.temperature = check_temperature(temperature)
        self.axis = axis
        self._x = x
        a, dt, restore = to_last_axis(x, axis)
        self._a = a
        self.dtype = dt
        self._restore = restore
        self._form: Form = mapping.derivative(a, self.temperature, **params)

    @property
    def scalar(self) -> bool:
        """Whether the mapping reduces each vector to one number."""
        return self._form.n_out == 1

    def value(self) -> np.ndarray:
        """The mapping's output at ``x`` (what is being differentiated)."""
        return self.mapping(self._x, axis=self.axis, temperature=self.temperature, **self.params)

    def jacobian(self) -> np.ndarray:
        """Dense Jacobian ``∂f_i/∂x_j``, shape ``(..., n_out, n)``, in the dtype of ``x``."""
        with np.errstate(over="ignore"):
            J = np.asarray(self._form.dense(), dtype=self.dtype)
        J += 0  # no negative zeros in the output
        return J

    def jvp(self, v: ArrayLike) -> np.ndarray:
        """``J·v``: the change of the output along the input direction ``v`` (shape of ``x``)."""
        w = self._operand(v, np.shape(self._x), "v")
        out = np.array(self._restore(self._form.jvp(w), keepdims=not self.scalar))
        out += 0  # no negative zeros
        return out

    def vjp(self, u: ArrayLike) -> np.ndarray:
        """``Jᵀ·u``: the gradient of ``u·f(x)`` (``u`` has the output's shape)."""
        xs = np.shape(self._x)
        if self.scalar:
            ax = self.axis % len(xs)
            ushape = xs[:ax] + xs[ax + 1 :]
            u = np.asarray(u)
            try:
                u = np.broadcast_to(u, ushape)
            except ValueError:
                raise SoftmaxInputError(
                    f"u of shape {u.shape} does not broadcast to the output shape {ushape}"
                ) from None
            w = self._operand(np.expand_dims(u, ax), (*xs[:ax], 1, *xs[ax + 1 :]), "u")
        else:
            w = self._operand(u, xs, "u")
        out = self._restore(self._form.vjp(w))
        out += 0
        return out

    def half_l1(self) -> np.ndarray:
        """Half the entrywise L1 norm ``½ Σ_ij |J_ij|`` per vector (``1 − Σp²`` for softmax)."""
        with np.errstate(over="ignore"):
            return np.asarray(self._form.half_l1(), dtype=self.dtype)

    def _operand(self, v: ArrayLike, shape: tuple[int, ...], what: str) -> np.ndarray:
        arr = np.asarray(v)
        try:
            arr = np.broadcast_to(arr, shape)
        except ValueError:
            raise SoftmaxInputError(
                f"{what} of shape {arr.shape} does not broadcast to shape {shape}"
            ) from None
        w, _, _ = to_last_axis(arr, self.axis)
        return w.astype(self._a.dtype, copy=False)


def linearize(
    name: Any, x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, **params: Any
) -> Derivative:
    """The derivative of registry mapping ``name`` at ``x``, for Jacobians, JVPs and VJPs.

    Parameters
    ----------
    name : str or Mapping
        A registry name or alias (``"softmax"``, ``"entmax"``, ...), or the record.
    x : array_like
        Logits, any real dtype; vectors along ``axis``.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0`` (default 1).
    **params
        The mapping's parameters (``alpha``, ``k``, ``order``, ...), validated.

    Returns
    -------
    Derivative

    Raises
    ------
    SoftmaxInputError
        Unknown mapping, stochastic mapping, a map without closed-form
        derivative, bad parameters, empty or 0-d input.

    Examples
    --------
    >>> linearize("entmax", [0.0, 0.0], alpha=2).jacobian().tolist()  # sparsemax
    [[0.5, -0.5], [-0.5, 0.5]]
    """
    m = differentiable(name)
    return Derivative(m, x, axis, temperature, m.validate(params))


def jacobian(
    name: Any,
    x: ArrayLike,
    axis: int = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    empty: str = "zero",
    **params: Any,
) -> np.ndarray:
    """Dense Jacobian ``∂f_i/∂x_j`` of registry mapping ``name`` at ``x``.

    Parameters
    ----------
    name : str or Mapping
        A registry name or alias.
    x : array_like
        Logits, any real dtype; vectors along ``axis``.
    axis : int or tuple of int, optional
        The axis holding each vector (default: the last); a tuple takes those
        axes together as one vector of their combined length ``n`` (C order).
    temperature : float, optional
        ``τ > 0`` (default 1).
    where : array_like of bool, optional
        Entries that take part (broadcast against ``x``): the Jacobian of the
        mapping of the kept entries alone, 0 in every row and column of a
        masked entry (see :mod:`softmax_cli._masks`).
    empty : {"zero", "nan", "raise"}, optional
        A vector with nothing kept: a zero Jacobian (default), ``nan``, or an error.
    **params
        The mapping's parameters.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., n, n)`` -- the other axes of ``x`` in order, then output
        index ``i`` and input index ``j`` -- or ``(..., 1, n)`` for the
        reductions (logsumexp, soft max). Same float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        As :func:`linearize`.

    Examples
    --------
    >>> jacobian("softmax", [0.0, 0.0, 20.0]).diagonal().round(12)
    array([2.061e-09, 2.061e-09, 4.122e-09])
    >>> jacobian("sparsemax", [1.0, 2.0, 2.5]).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.5, -0.5], [0.0, -0.5, 0.5]]
    >>> jacobian("logsumexp", [0.0, 0.0]).tolist()
    [[0.5, 0.5]]
    >>> jacobian("softmax", np.zeros((2, 3), dtype=np.float32), axis=0).shape
    (3, 2, 2)
    >>> jacobian("softmax", [0.0, 9.0, 0.0], where=[True, False, True]).tolist()
    [[0.25, 0.0, -0.25], [0.0, 0.0, 0.0], [-0.25, 0.0, 0.25]]
    """
    if is_axes(axis):
        return _over_axes("jacobian", name, x, None, axis, temperature, where, empty, params)
    if where is not None:
        return _masked("jacobian", name, x, None, axis, temperature, where, empty, params)
    check_empty(empty)
    return linearize(name, x, axis, temperature=temperature, **params).jacobian()


def jvp(
    name: Any,
    x: ArrayLike,
    v: ArrayLike,
    axis: int = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    empty: str = "zero",
    **params: Any,
) -> np.ndarray:
    """Jacobian-vector product ``J·v`` of mapping ``name`` at ``x``, in O(n) per vector.

    ``v`` broadcasts to the shape of ``x``. The result has the shape of the
    mapping's output (the vector axis removed for reductions). ``where`` and
    ``empty`` mask entries as for :func:`jacobian`: ``v`` is ignored at masked
    entries, and the output is 0 there.

    Examples
    --------
    >>> jvp("softmax", [0.0, 0.0], [1.0, 0.0]).tolist()
    [0.25, -0.25]
    >>> float(jvp("logsumexp", [0.0, 0.0], [1.0, 1.0]))
    1.0
    """
    if is_axes(axis):
        return _over_axes("jvp", name, x, v, axis, temperature, where, empty, params)
    if where is not None:
        return _masked("jvp", name, x, v, axis, temperature, where, empty, params)
    check_empty(empty)
    return linearize(name, x, axis, temperature=temperature, **params).jvp(v)


def vjp(
    name: Any,
    x: ArrayLike,
    u: ArrayLike,
    axis: int = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    empty: str = "zero",
    **params: Any,
) -> np.ndarray:
    """Vector-Jacobian product ``Jᵀ·u`` of mapping ``name`` at ``x``: the gradient of ``u·f(x)``.

    ``u`` has the shape of the mapping's output (for reductions: ``x`` without
    ``axis``); the result has the shape of ``x``. ``where`` and ``empty`` mask
    entries as for :func:`jacobian` (the gradient is 0 at a masked entry).

    Examples
    --------
    >>> vjp("taylor", [0.0, 1.0], [1.0, 0.0]).round(6).tolist()  # not symmetric
    [0.204082, -0.163265]
    >>> vjp("logsumexp", [[0.0, 0.0]], [2.0]).tolist()
    [[1.0, 1.0]]
    """
    if is_axes(axis):
        return _over_axes("vjp", name, x, u, axis, temperature, where, empty, params)
    if where is not None:
        return _masked("vjp", name, x, u, axis, temperature, where, empty, params)
    check_empty(empty)
    return linearize(name, x, axis, temperature=temperature, **params).vjp(u)


def _masked(kind: str, name: Any, x: ArrayLike, op: Any, axis: int, temperature: float,
            where: Any, empty: str, params: dict[str, Any]) -> np.ndarray:  # fmt: skip
    """:func:`jacobian`, :func:`jvp` or :func:`vjp` under a mask: per group of rows with
    the same number of kept entries, the derivative of the kept entries alone, scattered."""
    check_empty(empty)
    m = differentiable(name)
    a = as_float_array(x)
    if a.ndim == 0:
        return linearize(m, a, axis, temperature=temperature, **params)  # raises
    ax = normalize_axis(axis, a.ndim)
    n = a.shape[ax]
    mask2 = row_mask(where, a.shape, axis)
    moved = np.moveaxis(a, ax, -1)
    batch = moved.shape[:-1]
    a2 = moved.reshape(-1, n)
    scalar = m.output == "scalar"
    n_out = 1 if scalar else n
    gone = empty_rows(mask2, empty)
    if kind == "jvp":
        w2 = np.moveaxis(_broadcast(op, a.shape, "v"), ax, -1).reshape(-1, n)
    elif kind == "vjp":
        ushape = batch if scalar else moved.shape
        u = _broadcast(
            op if scalar else np.moveaxis(_broadcast(op, a.shape, "u"), ax, -1), ushape, "u"
        )
        w2 = u.reshape(-1, 1 if scalar else n)
    shape = (
        (a2.shape[0], n_out, n)
        if kind == "jacobian"
        else (a2.shape[0], n_out if kind == "jvp" else n)
    )
    out = np.zeros(shape, dtype=a.dtype)
    for rows, cols in groups(mask2):
        d = linearize(m, a2[rows[:, None], cols], -1, temperature=temperature, **params)
        if kind == "jacobian":
            J = d.jacobian()
            if scalar:
                out[rows[:, None], 0, cols] = J[:, 0, :]
            else:
                out[rows[:, None, None], cols[:, :, None], cols[:, None, :]] = J
        elif kind == "jvp":
            r = d.jvp(w2[rows[:, None], cols])
            if scalar:
                out[rows, 0] = r
            else:
                out[rows[:, None], cols] = r
        else:
            out[rows[:, None], cols] = d.vjp(w2[rows, 0] if scalar else w2[rows[:, None], cols])
    if gone.size and empty == "nan":
        out[gone] = np.nan
    if kind == "jacobian":
        return out.reshape(*batch, n_out, n)
    if kind == "jvp" and scalar:
        return out.reshape(batch)
    return np.moveaxis(out.reshape(*batch, n), -1, ax)


def _over_axes(kind: str, name: Any, x: ArrayLike, op: Any, axis: Any, temperature: float,
               where: Any, empty: str, params: dict[str, Any]) -> np.ndarray:  # fmt: skip
    """:func:`jacobian`, :func:`jvp` or :func:`vjp` over a tuple of axes taken together.

    The axes are moved last (in increasing order) and merged into one vector of
    their combined length; a Jacobian keeps that merged layout ``(..., n_out, n)``
    with ``n`` the entries in C order, JVPs and VJPs are put back in ``x``'s.
    """
    a = as_float_array(x)
    if a.ndim == 0:
        return linearize(name, a, -1, temperature=temperature, **params)  # raises
    axes = normalize_axes(axis, a.ndim)
    rest = [i for i in range(a.ndim) if i not in axes]
    perm = rest + list(axes)
    batch = tuple(a.shape[i] for i in rest)
    n = int(np.prod([a.shape[i] for i in axes]))

    def merge(v: Any, what: str) -> np.ndarray:
        return np.transpose(_broadcast(v, a.shape, what), perm).reshape(*batch, n)

    def split(v: np.ndarray) -> np.ndarray:
        return np.transpose(v.reshape(*batch, *(a.shape[i] for i in axes)), np.argsort(perm))

    fn = {"jacobian": jacobian, "jvp": jvp, "vjp": vjp}[kind]
    mask = None if where is None else merge(np.asarray(where), "where")
    scalar = differentiable(name).output == "scalar"
    args: list[Any] = [merge(a, "x")]
    if kind == "jvp":
        args.append(merge(op, "v"))
    elif kind == "vjp":
        args.append(_broadcast(op, batch, "u") if scalar else merge(op, "u"))
    res = fn(name, *args, -1, temperature=temperature, where=mask, empty=empty, **params)
    if kind == "jacobian" or (kind == "jvp" and scalar):
        return res
    return split(res)


def _broadcast(v: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    arr = np.asarray(v)
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise SoftmaxInputError(
            f"{what} of shape {arr.shape} does not broadcast to shape {shape}"
        ) from None
