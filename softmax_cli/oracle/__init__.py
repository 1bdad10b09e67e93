"""Arbitrary-precision twins of every mapping, and the ULP error measure.

The twins live beside this file, one module per library module, each a
function ``twin(xs, *, temperature, **params) -> list[mpf]`` over one vector
of exact mpf values. :func:`evaluate` runs the twin a registry entry names over
every vector of an array; :func:`ulp_error` measures a float result against
the exact one in units in the last place of its dtype.

Importing this module imports mpmath: the command line imports it only when a
command needs the oracle.

Examples
--------
>>> from softmax_cli import oracle
>>> p = oracle.evaluate("softmax", [1000.0, 2000.0, 3000.0, 4000.0, 5000.0])
>>> mpmath.nstr(p[0], 15)
'6.63853710465567e-1738'
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from .._arrays import as_float_array, normalize_axis
from ..floats import finfo, is_float_dtype

DEFAULT_DPS = 50
MAX_DPS = 10_000

__all__ = [
    "DEFAULT_DPS",
    "MAX_DPS",
    "abs_error_in_ulps_of_one",
    "evaluate",
    "to_mpf",
    "ulp",
    "ulp_error",
]


def to_mpf(v: Any) -> mpmath.mpf:
    """Exact mpf value of a float (float16 … longdouble), int, or decimal string.

    Examples
    --------
    >>> to_mpf(np.float32(0.1)) == mpmath.mpf(0.1)
    False
    """
    if isinstance(v, (str, int)):
        return mpmath.mpf(v)
    f = np.asarray(v)[()]
    if isinstance(f, np.floating) and not np.isfinite(f):
        return mpmath.mpf(float(f))
    if isinstance(f, np.longdouble) and np.finfo(np.longdouble).nmant > 52:
        num, den = f.as_integer_ratio()
        with mpmath.workprec(max(mpmath.mp.prec, 2 * num.bit_length() + 64)):
            return mpmath.mpf(num) / den
    return mpmath.mpf(float(f))


def evaluate(
    name: str,
    x: Any,
    *,
    axis: int = -1,
    dps: int = DEFAULT_DPS,
    temperature: float = 1.0,
    **params: Any,
) -> Any:
    """The exact value of registry mapping ``name`` at ``x``, at ``dps`` significant digits.

    A 1-D ``x`` gives a list of mpf (one mpf for a reduction such as
    ``logsumexp``); an N-D ``x`` gives a numpy object array of mpf with the
    reduced axis kept (length 1) for reductions.

    Examples
    --------
    >>> [mpmath.nstr(v, 8) for v in evaluate("softmax", [1, 2, 3, 4, 5])]
    ['0.011656231', '0.031684921', '0.086128544', '0.23412166', '0.63640865']
    """
    from ..registry import get

    mapping = get(name)
    if not 1 <= int(dps) <= MAX_DPS:
        raise ValueError(f"dps must be between 1 and {MAX_DPS}, got {dps}")
    params = mapping.validate(params)
    twin = mapping.oracle_twin()
    a = as_float_array(x)
    with mpmath.workdps(int(dps)):
        tau = (
            to_mpf(np.float64(temperature))
            if not isinstance(temperature, str)
            else mpmath.mpf(temperature)
        )
        ax = normalize_axis(axis, a.ndim)
        moved = np.moveaxis(a, ax, -1)
        # a stochastic twin regenerates the library's noise for the whole input, row by row
        shared = {"noise_shape": moved.shape} if mapping.stochastic else {}
        if a.ndim == 1:
            return twin([to_mpf(v) for v in a], temperature=tau, **params, **shared)
        rows = moved.reshape(-1, moved.shape[-1])
        outs = []
        for i, row in enumerate(rows):
            extra = {**shared, "row": i} if shared else {}
            r = twin([to_mpf(v) for v in row], temperature=tau, **params, **extra)
            outs.append(r if isinstance(r, list) else [r])
        width = len(outs[0]) if outs else moved.shape[-1]
        obj = np.empty((rows.shape[0], width), dtype=object)
        for i, r in enumerate(outs):
            obj[i, :] = r
        obj = obj.reshape((*moved.shape[:-1], width))
        return np.moveaxis(obj, -1, ax)


def ulp(exact: Any, dtype: Any) -> mpmath.mpf:
    """The spacing of ``dtype`` floats at the (real) value ``exact``; subnormal spacing below.

    Examples
    --------
    >>> ulp(mpmath.mpf(1), "float64") == mpmath.mpf(2) ** -52
    True
    >>> from softmax_cli.floats import parse_dtype
    >>> ulp(mpmath.mpf(1), parse_dtype("bfloat16")) == mpmath.mpf(2) ** -7
    True
    >>> ulp(mpmath.mpf(0), parse_dtype("float8_e4m3fn")) == mpmath.mpf(2) ** -9
    True
    """
    info = finfo(dtype)
    p = info.nmant + 1
    v = mpmath.mpf(exact)
    if v == 0:
        k = info.minexp + 1
    else:
        _, k = mpmath.frexp(abs(v))
        k = max(int(k), info.minexp + 1)
    return mpmath.ldexp(mpmath.mpf(1), k - p)


def ulp_error(computed: Any, exact: Any, dtype: Any = None) -> np.ndarray:
    """``|computed − exact| / ulp(exact)`` elementwise, as float64.

    ``dtype`` defaults to the dtype of ``computed``. Matching infinities,
    nan-against-nan, and an infinity where the exact value lies beyond the
    dtype's range (correct rounding overflows) count 0 (so does a nan in
    float8_e4m3fn, which has no infinity); a finite result against
    an infinite truth (or the reverse) and a nan against a number count ``inf``.

    Examples
    --------
    >>> float(ulp_error(np.float64(1.0) + 2.0**-52, mpmath.mpf(1)))
    1.0
    >>> float(ulp_error(np.float32(0.0), mpmath.mpf(0)))
    0.0
    >>> from softmax_cli.floats import parse_dtype
    >>> bf16 = parse_dtype("bfloat16")
    >>> # bfloat16(1/3) = 171/512; |171/512 − 1/3| = 1/1536 = ulp(1/3)/3, ulp = 2**-9
    >>> round(float(ulp_error(np.array(1 / 3, dtype=bf16), mpmath.mpf(1) / 3)), 6)
    0.333333
    """
    c = np.asarray(computed)
    dt = (
        np.dtype(dtype)
        if dtype is not None
        else (c.dtype if is_float_dtype(c.dtype) else np.dtype(np.float64))
    )
    ex = np.asarray(exact, dtype=object)
    ex = np.broadcast_to(ex, c.shape) if ex.shape != c.shape else ex
    out = np.empty(c.shape, dtype=np.float64)
    with mpmath.workprec(max(mpmath.mp.prec, 200)):
        big = to_mpf(finfo(dt).max)
        overflow = big + ulp(big, dt) / 2  # from here on, round-to-nearest gives inf
        no_inf = dt.name == "float8_e4m3fn"  # its overflow is nan
        for idx in np.ndindex(c.shape):
            cv, ev = c[idx], mpmath.mpf(ex[idx])
            if mpmath.isnan(ev) or not np.isfinite(cv) or mpmath.isinf(ev):
                same = (
                    (mpmath.isnan(ev) and np.isnan(cv))
                    or (np.isinf(cv) and (ev > 0) == (cv > 0) and abs(ev) >= overflow)
                    or (no_inf and np.isnan(cv) and not mpmath.isnan(ev) and abs(ev) >= overflow)
                )
                out[idx] = 0.0 if same else np.inf
                continue
            out[idx] = float(abs(to_mpf(cv) - ev) / ulp(ev, dt))
    return out


def abs_error_in_ulps_of_one(computed: Any, exact: Any, dtype: Any = None) -> np.ndarray:
    """``|computed − exact| / eps(dtype)``: absolute error in ULPs of 1.0, elementwise.

    Examples
    --------
    >>> float(abs_error_in_ulps_of_one(np.float64(0.5), mpmath.mpf(0.5)))
    0.0
    """
    c = np.asarray(computed)
    dt = np.dtype(dtype) if dtype is not None else c.dtype
    eps = mpmath.ldexp(mpmath.mpf(1), -finfo(dt).nmant)
    ex = np.asarray(exact, dtype=object)
    ex = np.broadcast_to(ex, c.shape) if ex.shape != c.shape else ex
    out = np.empty(c.shape, dtype=np.float64)
    with mpmath.workprec(max(mpmath.mp.prec, 200)):
        for idx in np.ndindex(c.shape):
            cv, ev = c[idx], mpmath.mpf(ex[idx])
            if not np.isfinite(cv) or not mpmath.isfinite(ev):
                out[idx] = 0.0 if (np.isnan(cv) and mpmath.isnan(ev)) or cv == ev else np.inf
                continue
            out[idx] = float(abs(to_mpf(cv) - ev) / eps)
    return out
