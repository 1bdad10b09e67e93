"""Floating-point facts and error-free transformations.

* the float types the library takes: numpy's float16/32/64 and longdouble, and
  the machine-learning types bfloat16, float8_e4m3fn and float8_e5m2 of the
  ``ml_dtypes`` package (imported only when one of them is asked for by name);
* dtype limits, such as the largest argument ``exp`` takes without overflowing;
* ``two_sum`` and ``two_prod``: the rounding error of a sum or product, exactly;
* nothing here imports mpmath (the ULP measure lives in :mod:`softmax_cli.oracle`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLOAT_DTYPES: dict[str, np.dtype] = {
    "float16": np.dtype(np.float16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "longdouble": np.dtype(np.longdouble),
}

#: the float types of ``ml_dtypes`` (JAX's): 8 bits of significand, and two 8-bit floats;
#: e4m3fn has no infinity (what overflows it is nan), e5m2 is IEEE-like
ML_DTYPE_NAMES: tuple[str, ...] = ("bfloat16", "float8_e4m3fn", "float8_e5m2")

#: every name :func:`parse_dtype` takes
DTYPE_NAMES: tuple[str, ...] = (*FLOAT_DTYPES, *ML_DTYPE_NAMES)


def ml_dtype(name: str) -> np.dtype:
    """The ``ml_dtypes`` type called ``name`` (bfloat16, float8_e4m3fn, float8_e5m2).

    ``ml_dtypes`` is imported here, on first use, not at start-up.

    Examples
    --------
    >>> ml_dtype("bfloat16")
    dtype(bfloat16)
    """
    from .errors import SoftmaxInputError

    if name not in ML_DTYPE_NAMES:
        raise SoftmaxInputError(
            f"unknown dtype {name!r}: choose one of {', '.join(ML_DTYPE_NAMES)}"
        )
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover - ml_dtypes is a dependency
        raise SoftmaxInputError(
            f"dtype {name} needs the ml_dtypes package: pip install ml_dtypes"
        ) from None
    return np.dtype(getattr(ml_dtypes, name))


def is_ml_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is one of :data:`ML_DTYPE_NAMES` (tested by name: no import).

    Examples
    --------
    >>> is_ml_dtype(np.float16), is_ml_dtype(ml_dtype("float8_e5m2"))
    (False, True)
    """
    try:
        return np.dtype(dtype).name in ML_DTYPE_NAMES
    except TypeError:
        return False


def is_float_dtype(dtype: Any) -> bool:
    """Whether the library takes ``dtype`` as a float type: numpy's, or bfloat16/float8.

    ``ml_dtypes`` types are not ``np.floating`` (bfloat16 has kind ``'V'``), so
    every check of "is this a float array" goes through here.

    Examples
    --------
    >>> is_float_dtype(np.float32), is_float_dtype(np.int64), is_float_dtype(ml_dtype("bfloat16"))
    (True, False, True)
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        return False
    return dt.name in ML_DTYPE_NAMES or (dt.kind == "f" and isinstance(dt.type(0), np.floating))


def finfo(dtype: Any) -> Any:
    """``numpy.finfo`` for numpy's floats, ``ml_dtypes.finfo`` for bfloat16 and float8.

    Both have ``max``, ``tiny``, ``smallest_subnormal``, ``eps``, ``nmant``,
    ``nexp``, ``minexp`` and ``maxexp``.

    Examples
    --------
    >>> float(finfo("float64").eps) == 2.0**-52
    True
    >>> info = finfo(ml_dtype("bfloat16"))
    >>> info.nmant, float(info.max)
    (7, 3.3895313892515355e+38)
    """
    dt = np.dtype(dtype)
    if dt.name in ML_DTYPE_NAMES:
        import ml_dtypes

        return ml_dtypes.finfo(dt)
    return np.finfo(dt)


def _long(v: Any) -> np.longdouble:
    """A dtype limit as longdouble (an ml_dtypes scalar goes through float, exactly)."""
    return np.longdouble(v) if isinstance(v, np.floating) else np.longdouble(float(v))


def parse_dtype(name: str) -> np.dtype:
    """Map a dtype name (:data:`DTYPE_NAMES`) to a dtype.

    Examples
    --------
    >>> parse_dtype("float32")
    dtype('float32')
    >>> parse_dtype("bfloat16")
    dtype(bfloat16)
    """
    key = str(name).lower()
    if key in ML_DTYPE_NAMES:
        return ml_dtype(key)
    try:
        return FLOAT_DTYPES[key]
    except KeyError:
        from .errors import SoftmaxInputError

        raise SoftmaxInputError(
            f"unknown dtype {name!r}: choose one of {', '.join(DTYPE_NAMES)}"
        ) from None


def exp_overflow_threshold(dtype) -> float:
    """Largest ``x`` with ``exp(x)`` finite in ``dtype``: ``log(finfo(dtype).max)``.

    Examples
    --------
    >>> round(exp_overflow_threshold("float64"), 2)
    709.78
    >>> round(exp_overflow_threshold("float16"), 2)
    11.09
    """
    info = finfo(dtype)
    return float(np.log(_long(info.max)))


def exp_underflow_threshold(dtype) -> float:
    """Most negative ``x`` with ``exp(x)`` nonzero in ``dtype``: log(smallest subnormal / 2).

    Examples
    --------
    >>> round(exp_underflow_threshold("float64"), 1)
    -745.1
    """
    info = finfo(dtype)
    return float(np.log(_long(info.smallest_subnormal)) - np.log(np.longdouble(2)))


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``s = fl(a + b)`` and the error ``e`` with ``a + b = s + e`` exactly.

    Non-finite sums give a zero error term.

    Examples
    --------
    >>> s, e = two_sum(np.float64(1.0), np.float64(1e-17))
    >>> float(s), float(e)
    (1.0, 1e-17)
    """
    with np.errstate(invalid="ignore", over="ignore"):
        s = a + b
        bb = s - a
        e = (a - (s - bb)) + (b - bb)
    return s, np.where(np.isfinite(e), e, 0)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split of ``a`` into a high and a low half of its significand."""
    p = np.finfo(a.dtype).nmant + 1
    factor = a.dtype.type(2 ** ((p + 1) // 2) + 1)
    c = factor * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: np.ndarray, b) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProduct: ``p = fl(a * b)`` and ``e`` with ``a * b = p + e`` exactly.

    Valid away from overflow; where an intermediate is not finite the error is 0.

    Examples
    --------
    >>> p, e = two_prod(np.float64(0.1), np.float64(3.0))
    >>> float(p), float(e)
    (0.30000000000000004, -2.7755575615628914e-17)
    """
    a = np.asarray(a)
    b = np.asarray(b, dtype=a.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, np.where(np.isfinite(e), e, 0)


# ---- the bits of a float: sign, exponent, mantissa, and the spacing there

#: dtypes whose bit layout :func:`float_bits` knows (longdouble's depends on the machine)
BITS_DTYPES: tuple[str, ...] = ("float16", "float32", "float64", *ML_DTYPE_NAMES)


def float_layout(dtype: Any) -> tuple[int, int]:
    """``(exponent bits, mantissa bits)`` of ``dtype``; the sign is one more bit.

    Examples
    --------
    >>> float_layout("float32"), float_layout(ml_dtype("bfloat16"))
    ((8, 23), (8, 7))
    """
    dt = np.dtype(dtype)
    name = dt.name
    if name not in BITS_DTYPES:
        from .errors import SoftmaxInputError

        shown = "longdouble" if dt == np.dtype(np.longdouble) else name
        raise SoftmaxInputError(
            f"the bits of {shown} are not shown (their layout depends on the machine): "
            f"choose one of {', '.join(BITS_DTYPES)}",
            param="dtype",
        )
    info = finfo(dt)
    return 8 * dt.itemsize - 1 - int(info.nmant), int(info.nmant)


def float_bits(values: Any, dtype: Any) -> list[tuple[str, str, str]]:
    """The sign, exponent and mantissa bits of each value rounded to ``dtype``, as text.

    Read from the stored bit pattern (the array viewed as unsigned integers).

    Examples
    --------
    >>> float_bits([1.0, -0.375], "float16")
    [('0', '01111', '0000000000'), ('1', '01101', '1000000000')]
    >>> float_bits([256.0], ml_dtype("bfloat16"))  # 2^8: exponent 127 + 8
    [('0', '10000111', '0000000')]
    """
    dt = np.dtype(dtype)
    ne, nm = float_layout(dt)
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.ascontiguousarray(np.asarray(values).astype(dt)).ravel()
    uint = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    out = []
    for word in a.view(uint).tolist():
        text = format(word, f"0{ne + nm + 1}b")
        out.append((text[0], text[1 : 1 + ne], text[1 + ne :]))
    return out


def spacing(value: Any, dtype: Any) -> float:
    """The gap from ``|value|`` to the next larger float of ``dtype`` (1 ULP there), as a float.

    Below the normal range it is the subnormal spacing; inf and nan give nan.

    Examples
    --------
    >>> spacing(1.0, "float64") == 2.0**-52, spacing(256.0, ml_dtype("bfloat16"))
    (True, 2.0)
    >>> spacing(0.0, ml_dtype("float8_e4m3fn"))  # the smallest subnormal, 2^-9
    0.001953125
    """
    import math

    info = finfo(dtype)
    v = abs(float(value))
    if not math.isfinite(v):
        return math.nan
    lowest = int(info.minexp)  # the exponent of the smallest normal, tiny = 2^minexp
    e = math.frexp(v)[1] - 1 if v else lowest
    return math.ldexp(1.0, max(e, lowest) - int(info.nmant))
