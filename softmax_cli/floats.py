"""Floating-point facts and error-free transformations.

* dtype limits, such as the largest argument ``exp`` takes without overflowing;
* ``two_sum`` and ``two_prod``: the rounding error of a sum or product, exactly;
* nothing here imports mpmath (the ULP measure lives in :mod:`softmax_cli.oracle`).
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES: dict[str, np.dtype] = {
    "float16": np.dtype(np.float16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "longdouble": np.dtype(np.longdouble),
}


def parse_dtype(name: str) -> np.dtype:
    """Map a dtype name (``float16``, ``float32``, ``float64``, ``longdouble``) to a dtype.

    Examples
    --------
    >>> parse_dtype("float32")
    dtype('float32')
    """
    try:
        return FLOAT_DTYPES[str(name).lower()]
    except KeyError:
        from .errors import SoftmaxInputError

        raise SoftmaxInputError(
            f"unknown dtype {name!r}: choose one of {', '.join(FLOAT_DTYPES)}"
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
    info = np.finfo(np.dtype(dtype))
    return float(np.log(np.longdouble(info.max)))


def exp_underflow_threshold(dtype) -> float:
    """Most negative ``x`` with ``exp(x)`` nonzero in ``dtype``: log(smallest subnormal / 2).

    Examples
    --------
    >>> round(exp_underflow_threshold("float64"), 1)
    -745.1
    """
    info = np.finfo(np.dtype(dtype))
    return float(np.log(np.longdouble(info.smallest_subnormal)) - np.log(np.longdouble(2)))


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
