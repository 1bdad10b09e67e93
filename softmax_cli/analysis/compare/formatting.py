"""Numbers for people: errors in ULPs, condition numbers, correctly rounded oracle digits."""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np

from .limits import ORACLE_DIGITS


def _g(v: Any) -> str:
    """A number in a sentence: its shortest repr if short, else 4 significant digits.

    Examples
    --------
    >>> _g(np.float16(22032)), _g(4.2483542552915889e-18), _g(5e-324), _g(float("-inf"))
    ('22032', '4.248e-18', '5e-324', '-inf')
    """
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    short = repr(f)
    if short.endswith(".0"):
        short = short[:-2]
    return short if len(short) <= 7 else f"{f:.4g}"


def format_kappa(v: Any) -> str:
    """A condition number for a human: two significant digits, plain up to a million.

    Examples
    --------
    >>> [format_kappa(v) for v in (6.9352, 9000.0, 1462.8, 2.9889e16, 0.99931, 0.0)]
    ['6.9', '9000', '1500', '3e+16', '1', '0']
    """
    f = float(v)
    if math.isinf(f) or math.isnan(f):
        return _g(f)
    if f < 1e6:
        return f"{float(f'{f:.2g}'):g}"
    return f"{f:.2g}"


def dtype_name(dt: Any) -> str:
    """``longdouble`` where numpy says float128/float96, else the dtype's name.

    Examples
    --------
    >>> dtype_name(np.float16), dtype_name(np.longdouble) in ('longdouble', 'float64')
    ('float16', True)
    """
    dt = np.dtype(dt)
    return "longdouble" if dt == np.dtype(np.longdouble) and dt.itemsize > 8 else dt.name


def format_ulp(v: float) -> str:
    """An error in ULPs for a human: ``0``, ``0.42``, ``8.3``, ``1476``, ``2.4e+16``, ``∞``.

    Examples
    --------
    >>> [format_ulp(v) for v in (0.0, 1e-111, 0.4213, 8.34, 1475.6, 2.4e16, float("inf"))]
    ['0', '<0.01', '0.42', '8.3', '1476', '2.4e+16', '∞']
    """
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "∞"
    if f == 0:
        return "0"
    if f < 0.01:
        return "<0.01"
    if f < 10:
        return f"{f:.2g}"
    if f < 1e6:
        return f"{f:.0f}"
    return f"{f:.2g}"


def round_significant(v: Any, digits: int = ORACLE_DIGITS) -> str:
    """``v`` correctly rounded (half to even) to ``digits`` significant digits.

    Works for any mpf, however far beyond float range; trailing zeros are
    dropped; scientific notation below 1e-4 and from 1e17 on.

    Examples
    --------
    >>> round_significant(mpmath.mpf(2) / 3)
    '0.66666666666666667'
    >>> round_significant(mpmath.mpf("6.63853710465567349937e-1738"))
    '6.6385371046556735e-1738'
    >>> round_significant(mpmath.mpf(1)), round_significant(mpmath.mpf("-2.5"), 1)
    ('1.0', '-2.0')
    """
    if not isinstance(v, mpmath.mpf):
        with mpmath.workprec(256):
            v = mpmath.mpf(v)
    if mpmath.isnan(v):
        return "nan"
    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0.0"
    neg, man, exp, bc = v._mpf_
    sign = "-" if neg else ""
    if abs(exp + bc) > 1 << 20:  # exp(-1e9): 10**j below would have ~1e8 digits (hours)
        mant, _, e = mpmath.nstr(abs(v), digits, strip_zeros=False).partition("e")
        mant = mant.rstrip("0").rstrip(".")
        return f"{sign}{mant}e{'-' if int(e) < 0 else '+'}{abs(int(e)):02d}"
    # 2**(exp + bc - 1) <= |v| < 2**(exp + bc): a first guess of the decimal exponent
    e10 = math.floor((exp + bc - 1) * 0.30102999566398120)
    for _ in range(8):
        j = digits - 1 - e10  # n = round(|v| * 10**j), in exact integer arithmetic
        num, den = man, 1
        if j >= 0:
            num *= 10**j
        else:
            den *= 10**-j
        if exp >= 0:
            num <<= exp
        else:
            den <<= -exp
        n, r = divmod(num, den)
        if 2 * r > den or (2 * r == den and n % 2):
            n += 1
        if n >= 10**digits:
            e10 += 1
        elif n < 10 ** (digits - 1):
            e10 -= 1
        else:
            break
    s = str(n)
    if -4 <= e10 < 17:
        if e10 >= 0:
            whole, frac = s[: e10 + 1].ljust(e10 + 1, "0"), s[e10 + 1 :]
        else:
            whole, frac = "0", "0" * (-e10 - 1) + s
        frac = frac.rstrip("0") or "0"
        return f"{sign}{whole}.{frac}"
    mant = s[0] + ("." + s[1:].rstrip("0") if s[1:].rstrip("0") else "")
    return f"{sign}{mant}e{'-' if e10 < 0 else '+'}{abs(e10):02d}"


def _agreed_digits(lo: Any, hi: Any) -> str:
    """The most digits (≤ 17) on which the two precisions' roundings agree."""
    for d in range(ORACLE_DIGITS, 0, -1):
        s = round_significant(hi, d)
        if round_significant(lo, d) == s:
            return s
    return "?"
