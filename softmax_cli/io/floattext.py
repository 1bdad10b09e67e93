"""Float text: the shortest text that reads back to the very same float, in any dtype.

Every float is written as the *shortest* text that reads back (through
:func:`~softmax_cli.io.readers.open_vectors` with the same dtype) to the very
same value: ``repr`` for float64, the shortest ``%g`` that round-trips for
float32/float16/bfloat16/float8, numpy's shortest repr for longdouble. Non-finite values are
``nan``, ``inf`` and ``-inf``. The sign and payload of a NaN are not kept.
Negative zero is written ``-0.0`` (``-0`` for float32/16) and reads back negative.
Every writer (:mod:`softmax_cli.io.records`, :mod:`softmax_cli.io.writers`) uses these.

Examples
--------
>>> import numpy as np
>>> format_floats(np.array([0.1, 1e-300, -0.0]))
['0.1', '1e-300', '-0.0']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SoftmaxInputError
from ..floats import finfo, is_float_dtype

__all__ = ["format_float", "format_floats"]

# dtype -> (first %g precision to try, precision that always round-trips, unsigned view)
# (p significand bits need 1 + ceil(p·log10 2) digits: 9, 5, 4 and 3 for float8)
_SHORT = {
    "float32": (6, 9, np.uint32),
    "float16": (3, 5, np.uint16),
    "bfloat16": (3, 4, np.uint16),
    "float8_e4m3fn": (2, 3, np.uint8),
    "float8_e5m2": (2, 3, np.uint8),
}


def format_float(value: Any, dtype: Any) -> str:
    """The shortest text that reads back to ``value`` rounded to ``dtype``.

    Parameters
    ----------
    value : float
        The number; it is first rounded to ``dtype``.
    dtype : dtype
        float16, float32, float64, longdouble, bfloat16 or float8.

    Returns
    -------
    str

    Examples
    --------
    >>> format_float(0.1, "float64"), format_float(1e-300, "float64")
    ('0.1', '1e-300')
    >>> format_float(0.1, "float32"), format_float(float("-inf"), "float32")
    ('0.1', '-inf')
    >>> format_float(float("nan"), np.float16)
    'nan'
    >>> from softmax_cli.floats import parse_dtype
    >>> format_float(0.1, parse_dtype("bfloat16"))  # 0.10009765625, the bfloat16 nearest 0.1
    '0.1'
    >>> format_float(300, parse_dtype("float8_e5m2"))  # e5m2 has 256 and 320 there
    '3.2e+02'
    """
    dt = np.dtype(dtype)
    if not is_float_dtype(dt):
        raise SoftmaxInputError(f"format_float needs a float dtype, not {dt}")
    if dt.itemsize == 8:
        return repr(float(value))
    return format_floats(np.asarray([value], dtype=dt))[0]


def format_floats(values: np.ndarray) -> list[str]:
    """:func:`format_float` for every element of an array, in C (row-major) order.

    A 2-D array gives one flat list (rows one after another); its dtype decides
    the precision (integers count as float64).

    Parameters
    ----------
    values : numpy.ndarray
        Any shape; float16, float32, float64 or longdouble.

    Returns
    -------
    list of str

    Examples
    --------
    >>> format_floats(np.array([[0.5, -0.0], [np.nan, 1e-300]]))
    ['0.5', '-0.0', 'nan', '1e-300']
    >>> format_floats(np.array([0.1, 3.4028235e38, 1e-45], dtype=np.float32))
    ['0.1', '3.40282e+38', '1e-45']
    """
    a = np.asarray(values)
    if not is_float_dtype(a.dtype):
        a = a.astype(np.float64)
    flat = a.ravel()
    if flat.dtype.itemsize == 8:
        return list(map(repr, flat.tolist()))
    if flat.dtype.itemsize > 8:
        return [str(x) for x in flat]
    return _format_short(flat)


#: float32 values per call from which the precision comes from polars (when installed)
_F32_FAST_MIN = 4096


def _format_short(flat: np.ndarray) -> list[str]:
    """Shortest round-tripping text for float32/16, bfloat16, float8: ``%.{p}g`` with the
    least ``p >= 6`` that reads back, as :func:`_format_bisect` finds it.

    Large float32 arrays take a short cut to the same text: polars writes each value's
    shortest round-trip digits, whose count ``k`` makes ``p = max(6, k)`` (no text of
    fewer than ``k`` digits reads back, and the correctly rounded ``k``-digit one does
    wherever the rounding interval is symmetric, which is why exact powers of two,
    subnormals, zeros and non-finite values keep the bisection). Every text is still
    read back and compared bit for bit; any that differs is made by the bisection.
    """
    if flat.dtype == np.float32 and flat.size >= _F32_FAST_MIN:
        try:
            import polars as pl
        except ImportError:
            pl = None
        if pl is not None:
            return _format_f32(pl, flat)
    return _format_bisect(flat)


def _format_f32(pl: Any, flat: np.ndarray) -> list[str]:
    """:func:`_format_bisect` of float32 ``flat``, the precision of most values from polars."""
    bits = flat.view(np.uint32)
    mantissa = bits & 0x7FFFFF
    exponent = (bits >> 23) & 0xFF
    regular = np.flatnonzero((mantissa != 0) & (exponent != 0) & (exponent != 0xFF))
    # k: the digits before any "e", less the sign, the point and the zeros at either end
    # ("-0.00025" -> "25", "100.0" -> "1", "1.5e-7" -> "15e-7": the "e" is at k)
    text = pl.Series(flat[regular]).cast(pl.String).str.replace(".", "", literal=True)
    text = text.str.strip_chars("-0")
    at_e = text.str.find("e", literal=True).to_numpy()
    k = np.where(at_e >= 0, at_e, text.str.len_bytes().to_numpy())
    wide = flat[regular].astype(np.float64)
    out = np.empty(len(flat), dtype=object)
    done = np.zeros(len(flat), dtype=bool)
    for p in range(6, 10):
        sel = np.flatnonzero(np.maximum(k, 6) == p)
        if not sel.size:
            continue
        strs = list(map(f"%.{p}g".__mod__, wide[sel].tolist()))
        back = np.array(strs, dtype=np.float64).astype(np.float32)
        ok = back.view(np.uint32) == bits[regular[sel]]
        out[regular[sel[ok]]] = np.array(strs, dtype=object)[ok]
        done[regular[sel[ok]]] = True
    rest = np.flatnonzero(~done)  # zeros, powers of two, subnormals, inf, nan, any miss
    if rest.size:
        out[rest] = _format_bisect(flat[rest])
    return out.tolist()


def _format_bisect(flat: np.ndarray) -> list[str]:
    """Shortest round-tripping text for float32/16, bfloat16, float8 (read as float64, rounded).

    A bisection over the ``%g`` precision, one vectorised pass per step: most
    float32 values settle in two passes.
    """
    dt = flat.dtype
    p0, pmax, uint = _SHORT[dt.name]
    with np.errstate(invalid="ignore"):
        wide = flat.astype(np.float64)
    want = flat.view(uint)
    out = np.empty(len(wide), dtype=object)

    # Each entry: indices (None: all) whose shortest precision lies in [lo, hi], and whether
    # out[idx] already holds %.{hi}g. A stack, not a recursive closure: a closure that refers
    # to itself is a reference cycle, which kept every batch's text alive until a full
    # garbage collection (float32 output grew to 570 MiB over 10^6 rows).
    stack: list[tuple[np.ndarray | None, int, int, bool]] = [(None, p0, pmax, False)]
    while stack:
        idx, lo, hi, have_hi = stack.pop()
        sub = wide if idx is None else wide[idx]
        if not sub.size or (lo == hi and have_hi):
            continue
        strs = list(map(f"%.{(lo + hi) // 2 if lo < hi else hi}g".__mod__, sub.tolist()))
        if lo == hi:  # hi == pmax: always round-trips
            out[idx] = strs
            continue
        mid = (lo + hi) // 2
        with np.errstate(invalid="ignore", over="ignore"):
            back = np.array(strs, dtype=np.float64).astype(dt)
        ok = back.view(uint) == (want if idx is None else want[idx])
        ok |= np.isnan(back) & np.isnan(sub)
        if idx is None:
            idx = np.arange(len(wide))
        good = idx[ok]
        out[good] = np.array(strs, dtype=object)[ok]
        stack.append((idx[~ok], mid + 1, hi, have_hi))
        stack.append((good, lo, mid, True))
    out = out.tolist()
    # %g is shortest except where the rounding interval is lopsided (exact powers of
    # two) or wide (subnormals); numpy's Dragon4 repr handles those few exactly.
    info = finfo(dt)
    bits = want.astype(np.int64)
    mantissa = bits & ((1 << info.nmant) - 1)
    exponent = (bits >> info.nmant) & ((1 << info.nexp) - 1)
    special = (flat != 0) & np.isfinite(flat) & ((mantissa == 0) | (exponent == 0))
    for i in np.flatnonzero(special).tolist():
        candidate = str(flat[i])
        if len(candidate) < len(out[i]) and np.float64(candidate).astype(dt) == flat[i]:
            out[i] = candidate
    return out
