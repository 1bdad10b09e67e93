"""``log |Σ b_j exp(x_j/τ)|`` and its sign, for weights ``b`` of either sign.

A signed sum can cancel: ``exp(0) − exp(1e-300)`` is ``−1e-300`` while each term
is 1, and a float sum of the terms gives 0 (``scipy.special.logsumexp`` returns
``-inf`` with sign 0 there). The condition number of the sum,
``κ = Σ|t_j| / |Σ t_j|`` with ``t_j = b_j exp((x_j − m)/τ)``, says how many
digits a sum computed to relative precision ``u`` can keep: its error is about
``κ·u``. So, per vector:

1. the terms are formed and summed in the extended dtype (``longdouble``: 64
   bits of mantissa on x86), positive and negative parts apart, which also
   gives ``κ``;
2. where ``κ`` and the size of the vector leave no doubt about how that
   result rounds to the working dtype, it is rounded once: correctly;
3. elsewhere the vector is summed again exactly (and rounded correctly):
   equal ``x`` merged with their weights added as fractions (a vector that
   cancels exactly, ``b = [1, −1]`` at equal ``x``, is an exact 0: ``-inf``
   with sign 0), then the terms at growing mpmath precision until the sum's
   rounding is settled (it is never 0 for distinct ``x``: ``e^{a_1}, …,
   e^{a_k}`` are linearly independent over the rationals for distinct
   rational ``a_i``, Lindemann–Weierstrass);
4. a vector longer than :data:`EXACT_MAX` is not redone (that would take
   seconds): its result is the extended one and a
   :class:`~softmax_cli.errors.LossOfPrecisionWarning` names its ``κ``.

Infinite entries: ``+inf`` entries dominate; their weights' signs decide
(``±inf``), and mixed signs give ``nan`` (``∞ − ∞``), as scipy does. ``nan``
entries give ``nan`` with sign ``nan``. A zero weight drops its entry.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .errors import LossOfPrecisionWarning

if TYPE_CHECKING:  # imported where used: only a cancelling vector needs it
    from fractions import Fraction

#: longest vector summed exactly (mpmath); longer ones are flagged by their condition number
EXACT_MAX = 20_000


def signed_lse(
    a2: np.ndarray, w2: np.ndarray, tau: float, wd: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """``(τ·log|S|, sign S)`` per row of ``a2`` with ``S = Σ_j w_j exp(x_j/τ)``, in ``wd``."""
    rows, n = a2.shape
    ext = np.dtype(np.longdouble)
    value = np.empty(rows, dtype=wd)
    sign = np.empty(rows, dtype=wd)
    live = w2 != 0
    x = np.where(live, a2, -np.inf).astype(ext)
    with np.errstate(invalid="ignore"):
        nan_rows = (np.isnan(a2) & live).any(axis=1)
    m = np.where(nan_rows[:, None], 0, x).max(axis=1) if n else np.full(rows, -np.inf, dtype=ext)
    top = np.isposinf(m)
    none = np.isneginf(m)  # nothing kept, or every kept entry −inf: an empty sum
    ok = ~(nan_rows | top | none)
    tau_e = ext.type(tau)
    with np.errstate(all="ignore"):
        m_ok = np.where(ok, m, 0)[:, None]
        t = np.where(live & ok[:, None], w2.astype(ext) * np.exp((x - m_ok) / tau_e), 0)
        pos = np.where(t > 0, t, 0).sum(axis=1)
        neg = np.where(t < 0, -t, 0).sum(axis=1)
        s = pos - neg
        kappa = (pos + neg) / np.abs(s)
        val = m_ok[:, 0] + tau_e * np.log(np.abs(s))
    unit = np.finfo(ext).eps / 2
    # numpy sums a contiguous row pairwise: 8 running sums of up to 16 terms per block of
    # 128, blocks halved recursively, so each part's error is at most c·u·Σ|t| with
    # c = min(n, 19) + log2(n) + 4 (the terms' own rounding included)
    c = min(n, 19) + math.ceil(math.log2(max(n, 1))) + 4
    bound = tau_e * kappa * c * unit + np.abs(val) * unit
    with np.errstate(all="ignore"):
        # the rounding to wd is settled when val ± bound stays on one side of every midpoint:
        # the result is then correctly rounded (the gap below a power of 2 is the smaller)
        near = val.astype(wd)
        gap = np.spacing(np.nextafter(np.abs(near), 0)).astype(ext)
        room = gap / 2 - np.abs(val - near.astype(ext))
        good = ok & np.isfinite(val) & np.isfinite(near) & (bound < room)
    value[:] = val.astype(wd)
    sign[:] = np.sign(s).astype(wd)
    redo = np.flatnonzero(ok & ~good)
    for r in redo:
        live_r = live[r]
        if int(live_r.sum()) > EXACT_MAX:
            warnings.warn(
                f"logsumexp: the signed sum of vector {int(r)} cancels (condition number"
                f" {float(kappa[r]):.3g}); its result may have lost about"
                f" {max(0.0, math.log10(float(kappa[r]))):.0f} digits",
                LossOfPrecisionWarning,
                stacklevel=4,
            )
            continue
        value[r], sign[r] = _exact(a2[r][live_r], w2[r][live_r], tau, wd)
    value[nan_rows] = np.nan
    sign[nan_rows] = np.nan
    for r in np.flatnonzero(top & ~nan_rows):
        at = np.isposinf(x[r])
        signs = np.unique(np.sign(w2[r][at]))
        value[r] = np.inf if signs.size == 1 else np.nan
        sign[r] = signs[0] if signs.size == 1 else np.nan
    value[none] = -np.inf
    sign[none] = 0
    return value, sign


def _fraction(v) -> Fraction:
    """A float of any numpy dtype as the exact fraction it holds."""
    from fractions import Fraction

    return Fraction(*np.asarray(v).item().as_integer_ratio())


def _exact(xs: np.ndarray, ws: np.ndarray, tau: float, wd: np.dtype) -> tuple[float, float]:
    """``(τ·log|S|, sign S)`` of one vector, exactly summed, rounded once to ``wd``."""
    from fractions import Fraction

    import mpmath  # only a vector whose signed sum cancels comes here

    merged: dict[Fraction, Fraction] = {}
    for v, w in zip(xs, ws, strict=True):
        key = _fraction(v)
        merged[key] = merged.get(key, Fraction(0)) + _fraction(w)
    pairs = [(v, w) for v, w in merged.items() if w != 0]
    if not pairs:
        return -np.inf, 0.0
    fi = np.finfo(wd)
    prec = 2 * (fi.nmant + 1) + 32
    m = max(v for v, _ in pairs)
    while True:
        with mpmath.workprec(prec + 64):

            def mp(q: Fraction):
                return mpmath.mpf(q.numerator) / q.denominator

            tau_m = mp(_fraction(np.float64(tau)))
            terms = [mp(w) * mpmath.exp((mp(v) - mp(m)) / tau_m) for v, w in pairs]
            s = mpmath.fsum(terms)
            total = mpmath.fsum(abs(t) for t in terms)
            if s != 0 and abs(s) > total * mpmath.ldexp(1, -prec + fi.nmant + 8):
                res = mp(m) + tau_m * mpmath.log(abs(s))
                return _round(res, wd), (1.0 if s > 0 else -1.0)
        if prec > 1 << 16:  # pragma: no cover - beyond any float input's reach
            return -np.inf, 0.0
        prec *= 2


def _round(v, wd: np.dtype):
    """An mpmath number rounded to ``wd`` (through its decimal string for longdouble)."""
    import mpmath

    if np.dtype(wd).itemsize <= 8:
        return float(v)
    return np.longdouble(mpmath.nstr(v, 40, strip_zeros=False))
