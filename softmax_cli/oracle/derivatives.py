"""The oracle's derivatives: numerical differentiation of the mpmath twins at high precision.

Nothing here knows a formula. The Jacobian of a registry mapping is the
central difference ``(f(x + h e_j) − f(x − h e_j)) / 2h`` of the mapping's
mpmath twin, taken by :func:`mpmath.diff` with a step ``h = 2^{−(P+10)}``
(``P`` the working precision in bits, ``dps = 50`` digits by default) while the
twin runs at more than twice that precision (plus the bits ``x`` itself needs,
so ``x ± h`` is exact). For a map that is smooth near ``x`` the truncation
error is ``O(h²) ≈ 2^{−2P}`` and the rounding error about ``2^{−P}``: far below
any float's ULP, so the result checks the closed forms of
:mod:`softmax_cli.derivatives` -- formula *and* rounding -- independently.

At a kink (sparsemax and entmax support boundaries, ties of argmax or of the
top-k cut) a central difference averages the one-sided derivatives, which is
not the library's documented subgradient: compare there only on purpose.

Examples
--------
>>> J = jacobian("softmax", [0.0, 0.0])
>>> [[mpmath.nstr(v, 10) for v in row] for row in J.tolist()]
[['0.25', '-0.25'], ['-0.25', '0.25']]
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import mpmath
import numpy as np
from mpmath import mpf

from .._arrays import as_float_array, normalize_axis
from ..registry import differentiable
from . import DEFAULT_DPS, MAX_DPS, abs_error_in_ulps_of_one, to_mpf

__all__ = [
    "OracleTooSlow",
    "jacobian",
    "jvp",
    "numerical_jacobian",
    "scaled_ulp_error",
    "time_budget",
    "vjp",
]

# Extra bits of step size beyond the working precision (as mpmath.diff's ``addprec``).
_ADDPREC = 10

_BUDGET: ContextVar[float | None] = ContextVar("softmax_oracle_budget", default=None)


class OracleTooSlow(Exception):
    """A numerical Jacobian predicted to take longer than the :func:`time_budget` allows.

    ``seconds`` is the prediction: the time of its first column times the number of columns.
    """

    def __init__(self, seconds: float, budget: float) -> None:
        super().__init__(f"predicted {seconds:.0f} s, budget {budget:g} s")
        self.seconds = seconds
        self.budget = budget


@contextlib.contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Within the block, a :func:`numerical_jacobian` predicted to take over ``seconds``
    raises :class:`OracleTooSlow` once its first column is done (about 1/n of its cost).

    Examples
    --------
    >>> with time_budget(1e-9):
    ...     try:
    ...         numerical_jacobian(lambda v: [v[0] * v[1]] * 50, [mpf(2), mpf(3)])
    ...     except OracleTooSlow as err:
    ...         print(err.budget)
    1e-09
    """
    token = _BUDGET.set(seconds)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def numerical_jacobian(fun: Callable[[list[mpf]], Any], xs: Sequence[mpf]) -> list[list[mpf]]:
    """``∂fun_i/∂x_j`` at ``xs`` by :func:`mpmath.diff`, under the caller's precision.

    ``fun`` maps a list of mpf to a list of mpf (or one mpf, taken as a list of
    one). It is evaluated twice per column -- once per side -- and the results
    shared by every output ``i``. A ``nan`` in ``xs`` gives a ``nan`` Jacobian;
    an infinite ``x_j`` gives a zero column (the map is at its limit there).

    Examples
    --------
    >>> J = numerical_jacobian(lambda v: [v[0] * v[1], v[0] + v[1]], [mpf(2), mpf(3)])
    >>> [[mpmath.nstr(e, 10) for e in row] for row in J]
    [['3.0', '2.0'], ['1.0', '1.0']]
    """
    xs = [mpf(v) for v in xs]
    n = len(xs)

    def as_list(r: Any) -> list[mpf]:
        return list(r) if isinstance(r, (list, tuple)) else [r]

    if any(mpmath.isnan(v) for v in xs):
        width = len(as_list(fun(xs)))
        return [[mpf("nan")] * n for _ in range(width)]
    prec = mpmath.mp.prec
    h = mpmath.ldexp(mpf(1), -prec - _ADDPREC)
    budget = _BUDGET.get()
    start = time.perf_counter()
    width = len(as_list(fun(xs)))
    columns: list[list[mpf]] = []
    for j in range(n):
        if budget is not None and j == 1:  # one column done: the whole costs about n of them
            predicted = (time.perf_counter() - start) * n
            if predicted > budget:
                raise OracleTooSlow(predicted, budget)
        if mpmath.isinf(xs[j]):
            columns.append([])
            continue
        extra = max(0, int(mpmath.mag(xs[j]))) if xs[j] != 0 else 0
        cache: dict[mpf, list[mpf]] = {}

        def at(t: mpf, j: int = j, cache: dict = cache) -> list[mpf]:
            if t not in cache:
                cache[t] = as_list(fun([*xs[:j], t, *xs[j + 1 :]]))
            return cache[t]

        with mpmath.workprec(prec + extra):
            col = [mpmath.diff(lambda t, i=i: at(t)[i], xs[j], h=h) for i in range(width)]
        columns.append([+v for v in col])
    return [[columns[j][i] if columns[j] else mpf(0) for j in range(n)] for i in range(width)]


def _rows(x: Any, axis: int) -> tuple[np.ndarray, int, tuple[int, ...]]:
    a = as_float_array(x)
    ax = normalize_axis(axis, a.ndim)
    moved = np.moveaxis(a, ax, -1)
    return moved.reshape(-1, moved.shape[-1]), ax, moved.shape[:-1]


def jacobian(
    name: str,
    x: Any,
    *,
    axis: int = -1,
    dps: int = DEFAULT_DPS,
    temperature: float = 1.0,
    **params: Any,
) -> np.ndarray:
    """Exact (to ``dps`` digits) Jacobian of registry mapping ``name`` at ``x``.

    Returns an object array of mpf in the layout of
    :func:`softmax_cli.derivatives.jacobian`: ``(..., n_out, n)`` with the other
    axes of ``x`` first, ``n_out = 1`` for reductions.

    Examples
    --------
    >>> J = jacobian("logsumexp", [0.0, 0.0])
    >>> J.shape, mpmath.nstr(J[0, 1], 5)
    ((1, 2), '0.5')
    """
    mapping = differentiable(name)
    if not 1 <= int(dps) <= MAX_DPS:
        raise ValueError(f"dps must be between 1 and {MAX_DPS}, got {dps}")
    params = mapping.validate(params)
    twin = mapping.oracle_twin()
    rows, _, lead = _rows(x, axis)
    out = []
    with mpmath.workdps(int(dps)):
        tau = to_mpf(np.float64(temperature))
        for row in rows:
            xs = [to_mpf(v) for v in row]
            out.append(numerical_jacobian(lambda v: twin(v, temperature=tau, **params), xs))
    n_out = len(out[0]) if out else 0
    n = rows.shape[-1]
    obj = np.empty((len(out), n_out, n), dtype=object)
    for r, J in enumerate(out):
        for i in range(n_out):
            obj[r, i, :] = J[i]
    return obj.reshape((*lead, n_out, n))


def _mp_array(v: Any, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(v), shape)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = to_mpf(arr[idx])
    return out


def jvp(
    name: str,
    x: Any,
    v: Any,
    *,
    axis: int = -1,
    dps: int = DEFAULT_DPS,
    temperature: float = 1.0,
    **params: Any,
) -> np.ndarray:
    """``J·v`` from :func:`jacobian`, summed in mpf; shape of the mapping's output.

    Examples
    --------
    >>> [mpmath.nstr(e, 5) for e in jvp("softmax", [0.0, 0.0], [1.0, 0.0])]
    ['0.25', '-0.25']
    """
    J = jacobian(name, x, axis=axis, dps=dps, temperature=temperature, **params)
    a = as_float_array(x)
    ax = normalize_axis(axis, a.ndim)
    vm = np.moveaxis(_mp_array(v, a.shape), ax, -1)
    with mpmath.workdps(int(dps) + 10):
        out = np.empty(J.shape[:-1], dtype=object)
        for idx in np.ndindex(out.shape):
            out[idx] = mpmath.fsum(J[idx][j] * vm[idx[:-1]][j] for j in range(J.shape[-1]))
    if J.shape[-2] == 1:
        return out[..., 0]
    return np.moveaxis(out, -1, ax)


def vjp(
    name: str,
    x: Any,
    u: Any,
    *,
    axis: int = -1,
    dps: int = DEFAULT_DPS,
    temperature: float = 1.0,
    **params: Any,
) -> np.ndarray:
    """``Jᵀ·u`` from :func:`jacobian`, summed in mpf; shape of ``x``.

    Examples
    --------
    >>> [mpmath.nstr(e, 5) for e in vjp("log-softmax", [0.0, 0.0], [1.0, 0.0])]
    ['0.5', '-0.5']
    """
    J = jacobian(name, x, axis=axis, dps=dps, temperature=temperature, **params)
    a = as_float_array(x)
    ax = normalize_axis(axis, a.ndim)
    n_out = J.shape[-2]
    if n_out == 1:
        ushape = a.shape[:ax] + a.shape[ax + 1 :]
        um = _mp_array(u, ushape)[..., None]
    else:
        um = np.moveaxis(_mp_array(u, a.shape), ax, -1)
    with mpmath.workdps(int(dps) + 10):
        out = np.empty((*J.shape[:-2], J.shape[-1]), dtype=object)
        for idx in np.ndindex(out.shape):
            lead, j = idx[:-1], idx[-1]
            out[idx] = mpmath.fsum(J[lead][i][j] * um[lead][i] for i in range(n_out))
    return np.moveaxis(out, -1, ax)


def scaled_ulp_error(computed: Any, exact: Any, dtype: Any = None) -> np.ndarray:
    """``|computed − exact| / (eps · max(1, |exact|))``: ULPs of 1.0, or of the value past 1.

    The measure for derivatives: entries of a Jacobian or gradient live on the
    scale of 1 (an absolute error in ULPs of 1.0, as for probabilities), but a
    small temperature or a large AM-softmax scale makes them larger, and then
    the error counts relative to the entry. Non-finite pairs count as in
    :func:`~softmax_cli.oracle.abs_error_in_ulps_of_one`.

    Examples
    --------
    >>> float(scaled_ulp_error(np.float64(100.0) + 2**-45, mpf(100)))
    1.28
    >>> float(scaled_ulp_error(np.float64(0.25) + 2**-52, mpf(0.25)))
    1.0
    """
    c = np.asarray(computed)
    dt = np.dtype(dtype) if dtype is not None else c.dtype
    base = abs_error_in_ulps_of_one(c, exact, dt)
    ex = np.asarray(exact, dtype=object)
    ex = np.broadcast_to(ex, c.shape) if ex.shape != c.shape else ex
    scale = np.ones(c.shape, dtype=np.float64)
    for idx in np.ndindex(c.shape):
        e = mpf(ex[idx])
        if mpmath.isfinite(e) and abs(e) > 1:
            scale[idx] = float(abs(e))
    return base / scale
