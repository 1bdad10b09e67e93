"""The Taylor polynomial of ``exp`` at a negative argument, without cancellation.

For even ``k`` and ``y > 0`` the alternating sum ``f_k(−y) = Σ_{m≤k} (−y)^m/m!``
loses ``log2(f_k(y)/f_k(−y))`` bits (about ``2.9·y`` for ``y`` up to ``k/e``):
double-double Horner is exact enough up to order ≈ 60 and gives negative
"probabilities" from order ≈ 100 on (issue 19). Here it is rewritten as a sum
of two positive terms. Taylor's remainder in integral form gives, for even k,

    f_k(−y) = e^{−y} + (1/k!)·∫_0^y (y − s)^k e^{−s} ds
            = e^{−y} + (y^{k+1}/k!)·E[1/(k + 1 + J)],   J ~ Poisson(y)

(expand ``e^{u}`` in the integral ``e^{−y}∫_0^y u^k e^{u} du`` term by term:
``∫_0^y u^{k+j} du/j! = y^{k+1+j}/(j!(k+1+j))``, and ``e^{−y}y^j/j!`` is the
Poisson weight). The expectation is a weighted mean of ``1/(k+1+j)`` over
about ``20√y`` weights around the mode, every term positive; ``y^{k+1}/k!``
is a double-double power times the double-double ``1/k!``, kept as a mantissa
and a power of two so nothing overflows. The result is accurate to a few
ULP relative to itself whatever the cancellation in the polynomial was.

Nothing here checks arguments: :func:`softmax_cli.variants.taylor_softmax` does.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .floats import two_prod, two_sum

# Cody–Waite split of log 2: n·LN2_HI is exact for |n| < 2^20.
_LN2_HI = 0.693147180369123816490
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634


def _dd_mul(ah, al, bh, bl):
    p, e = two_prod(ah, bh)
    return two_sum(p, e + (ah * bl + al * bh))


def _dd_power(h: np.ndarray, lo: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(h + lo)^n`` in double-double by binary powering (``1 ≤ h < 2``, ``n ≤ 1023``)."""
    rh, rl = np.ones_like(h), np.zeros_like(h)
    bh, bl = h, lo
    while n:
        if n & 1:
            rh, rl = _dd_mul(rh, rl, bh, bl)
        n >>= 1
        if n:
            bh, bl = _dd_mul(bh, bl, bh, bl)
    return rh, rl


def _poisson_mean_of_reciprocal(y: np.ndarray, k: int) -> np.ndarray:
    """``E[1/(k+1+J)]`` for ``J ~ Poisson(y)``, one ``y > 0`` per entry.

    Unnormalised weights from the mode outwards (``w_{j+1} = w_j·y/(j+1)``),
    over ±(10√y + 25) terms (the rest weighs below 1e−20 of the total), and
    the mean as ``Σ w/(k+1+j) / Σ w`` (the common scale cancels).
    """
    j0 = np.floor(y)
    width = int(10 * np.sqrt(float(y.max())) + 25)
    num = 1 / (k + 1 + j0)
    den = np.ones_like(y)
    up, down = np.ones_like(y), np.ones_like(y)
    for s in range(1, width + 1):
        up = up * (y / (j0 + s))
        num += up / (k + 1 + j0 + s)
        den += up
        j = j0 - s + 1  # the weight below j is w_j·j/y
        down = np.where(j >= 1, down * (j / y), 0)
        num += down / np.maximum(k + 1 + j0 - s, 1)  # 0 weight below j = 0
        den += down
    return num / den


def negative_poly(
    t: np.ndarray, tl: np.ndarray, e: np.ndarray, k: int, inv_fact: tuple[float, float, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``f_k(z) = (rh + rl)·2^E`` for ``z = (t + tl)·2^e < 0`` (float64, 1-D).

    ``t`` is a frexp mantissa (``−1 < t ≤ −0.5``) and ``tl`` its low part; ``y = −z``
    must be at most about ``5000`` (the Poisson window grows as ``√y``);
    ``inv_fact`` is ``1/k! = (hi + lo)·2^g``.

    Examples
    --------
    >>> import math
    >>> from fractions import Fraction
    >>> f = math.factorial(200); b = f.bit_length(); r = Fraction(1 << b, f)
    >>> inv = (float(r) / 2, float(r / 2 - Fraction(float(r) / 2)), 1 - b)
    >>> t, e = np.frexp(np.array([-56.0]))
    >>> rh, rl, E = negative_poly(t, np.zeros(1), e.astype(np.int64), 200, inv)
    >>> float(np.ldexp(rh[0], int(E[0])))  # Σ (−56)^m/m!, m ≤ 200, fractions: 4.900936544250773e-25
    4.900936544250772e-25
    """
    hi_k, lo_k, g_k = inv_fact
    ym, yl = -2 * t, -2 * tl  # y = (ym + yl)·2^(e−1), 1 ≤ ym < 2
    ey = e - 1
    y = np.ldexp(ym, ey) + np.ldexp(yl, ey)
    # A = y^{k+1}/k! as (ah + al)·2^EA
    ph, pl = _dd_power(ym, yl, k + 1)
    ah, al = _dd_mul(ph, pl, np.full_like(ph, hi_k), np.full_like(ph, lo_k))
    mant, ex = np.frexp(ah)
    al = np.ldexp(al, -ex)
    ah = mant
    EA = ey * (k + 1) + g_k + ex.astype(np.int64)
    # the weights' recurrence drifts by ~√y roundings (17 ULP at k = 1000 in float64):
    # run it in longdouble where that is wider (x86: 11 more bits) and round once
    wide = np.finfo(np.longdouble).nmant > 52
    mean = _poisson_mean_of_reciprocal(y.astype(np.longdouble) if wide else y, k).astype(y.dtype)
    ah, al = _dd_mul(ah, al, mean, np.zeros_like(mean))
    # B = e^{−y} = e^{−r}·2^{−n}, r = y − n·log 2 (y to double-double)
    n = np.rint(y * _LOG2E)
    r = ((np.ldexp(ym, ey) - n * _LN2_HI) - n * _LN2_LO) + np.ldexp(yl, ey)
    b = np.exp(-r)
    EB = -n.astype(np.int64)
    E = np.maximum(EA, EB) + 1
    with np.errstate(under="ignore"):
        sa = np.clip(EA - E, -4000, 0)
        sb = np.clip(EB - E, -4000, 0)
        rh, rl = two_sum(np.ldexp(ah, sa), np.ldexp(b, sb))
        rl = rl + np.ldexp(al, sa)
    return rh, rl, E


@lru_cache(maxsize=16)
def inverse_factorials(order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``1/m! = (hi + lo)·2^g`` for ``m = 0 … order`` (``0.5 ≤ hi < 1``), and ``log2(m!)``."""
    hi = np.empty(order + 1)
    lo = np.empty(order + 1)
    g = np.empty(order + 1, dtype=np.int64)
    log2f = np.empty(order + 1)
    fact = 1
    for m in range(order + 1):
        if m:
            fact *= m
        bits = fact.bit_length()
        r = Fraction(1 << bits, fact)  # in (1, 2]; 1/m! = r·2^-bits
        h = float(r) / 2
        hi[m] = h
        lo[m] = float(r / 2 - Fraction(h))
        g[m] = 1 - bits
        log2f[m] = math.lgamma(m + 1) / math.log(2)
    return hi, lo, g, log2f
