"""Taylor softmax: ``p_i ∝ f_k(z_i)``, the even Taylor polynomial of ``exp``, evaluated exactly.

:func:`taylor_softmax` evaluates ``f_k(z) = Σ_{m≤k} z^m/m!`` by Horner's rule in
double-double arithmetic on ``z`` split exactly into a mantissa and a power of two
(see :mod:`softmax_cli.variants` for how it stays accurate, and
:mod:`softmax_cli._taylorkernel` for the factorials and the high orders); exported by
:mod:`softmax_cli.variants`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import check_temperature, to_last_axis
from ._masks import VECTOR, maskable
from ._special_rows import equal_share, special_rows
from ._taylorkernel import inverse_factorials as _inverse_factorials
from ._taylorkernel import negative_poly
from .floats import two_prod, two_sum
from .params import check_order


def _scaled_quotient(a: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``a/τ = (t + tl)·2^e`` exactly to about twice the working precision, without overflow.

    ``t`` is the frexp mantissa (``0.5 ≤ |t| < 1``, or 0), ``tl`` its low part and
    ``e`` an integer exponent array.
    """
    ma, ea = np.frexp(a)
    if tau == 1.0:
        return ma, np.zeros_like(ma), ea.astype(np.int64)
    mt, et = np.frexp(a.dtype.type(tau))
    q = ma / mt
    p, pe = two_prod(q, mt)
    ql = ((ma - p) - pe) / mt
    t, eq = np.frexp(q)
    tl = np.ldexp(ql, -eq)
    return t, tl, eq.astype(np.int64) + ea.astype(np.int64) - int(et)


# Double-double Horner is exact enough for f_k(z < 0) up to this order; beyond, the
# negative side goes through :func:`~softmax_cli._taylorkernel.negative_poly`.
_HORNER_MAX_ORDER = 60


@maskable(VECTOR, fill=None)
def taylor_softmax(
    x: ArrayLike, axis: int = -1, *, order: int = 2, temperature: float = 1.0
) -> np.ndarray:
    """Taylor softmax ``f_k(z_i) / Σ_j f_k(z_j)`` of ``z = x/τ``, with ``f_k(z) = Σ_{m≤k} z^m/m!``.

    ``f_k`` is the degree-``k`` Taylor polynomial of ``exp``; for even ``k`` it is
    positive on the whole real line (its minimum is ``z*^k/k! > 0`` where
    ``f_{k-1}(z*) = 0``), so the result is a distribution with polynomial, not
    exponential, tails. Unlike softmax it is **not shift-invariant**
    (``taylor_softmax([0, 1]) ≠ taylor_softmax([1, 2])``) and **not monotone**:
    ``f_2`` decreases for ``z < -1``, so ``taylor_softmax([-3, -2])`` gives the
    smaller logit the larger probability.

    Computed without overflow for any finite input (``z`` is split exactly into
    a mantissa and a power of two, and every ``f_k(z_i)`` is scaled by a power
    of two before the ratio), by Horner's rule in double-double arithmetic.
    The alternating sum at ``z < 0`` has condition number ``f_k(|z|)/f_k(z)``
    (``e^{2|z|}`` for ``|z|`` up to about ``k/e``), which double-double absorbs
    for orders up to 60; past order 60, float64 entries with ``−8192 < z ≤ −1``
    are computed instead as ``e^{−y} + (y^{k+1}/k!)·E[1/(k+1+J)]``,
    ``J ~ Poisson(y = −z)`` (:mod:`softmax_cli._taylorkernel`): two positive
    terms, no cancellation. Measured against the oracle (which raises its
    precision until it is sure of the alternating sum), the absolute error is
    within 1 ULP of 1.0 for every order from 2 to 1000 (issue 19: order 200
    gave negative probabilities before).

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    order : int, optional
        Even order ``k ≥ 2`` (default 2); odd orders would make ``f_k`` negative.
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1). ``τ → ∞`` gives the
        uniform distribution; ``τ → 0`` gives ``|x_i|^k / Σ_j |x_j|^k``, as
        ``f_k(z) ~ z^k/k!`` for large ``|z|`` (polynomial tails: no argmax
        limit, and ``±x`` weigh the same).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Bad order, temperature or axis; empty or 0-d input.

    Notes
    -----
    Special values: a vector holding ``nan`` maps to ``nan``. Infinite entries
    dominate **whatever their sign**, because ``f_k(z) → +∞`` as ``z → ±∞`` for
    even ``k`` (as ``|z|^k/k!``): the entries equal to ``+inf`` or ``-inf``
    share the mass equally, the finite ones get 0. So
    ``taylor_softmax([-inf, 0, inf]) == [0.5, 0, 0.5]`` and an all-``-inf``
    vector is uniform.

    Examples
    --------
    >>> taylor_softmax([1.0, 2.0, 3.0])  # f_2 = 2.5, 5, 8.5
    array([0.15625, 0.3125 , 0.53125])
    >>> taylor_softmax([-3.0, -2.0])  # not monotone: f_2(-3) = 2.5 > f_2(-2) = 1
    array([0.71428571, 0.28571429])
    >>> taylor_softmax([1e200, 1.0, -1e200])
    array([0.5, 0. , 0.5])
    >>> taylor_softmax([-np.inf, 0.0, np.inf])
    array([0.5, 0. , 0.5])
    """
    a, _, restore = to_last_axis(x, axis)
    k = check_order(order)
    tau = check_temperature(temperature)
    nan_rows, _, clean = special_rows(a)
    inf_entries = np.isinf(a) & ~nan_rows
    has_inf = inf_entries.any(axis=-1, keepdims=True)

    t, tl, e = _scaled_quotient(np.where(has_inf, 0, clean), tau)
    e = np.where(t == 0, 0, e)
    hi, lo, g, log2f = _inverse_factorials(k)
    dt = a.dtype
    # z = (t + tl)·2^e and f_k(z) = 2^E · Σ_m C_m t^m with C_m = 2^(e·m - E)/m!;
    # E = floor(max_m (e·m - log2 m!)) keeps every C_m below 2 and the largest near 1.
    big = np.full(t.shape, -np.inf)
    for m in range(k + 1):
        big = np.maximum(big, e * m - log2f[m])
    E = np.floor(big).astype(np.int64)

    def coef(m: int) -> tuple[np.ndarray, np.ndarray]:
        sh = np.clip(e * m - E + g[m], -4000, 4000)
        return np.ldexp(dt.type(hi[m]), sh), np.ldexp(dt.type(lo[m]), sh)

    rh, rl = coef(k)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        for m in range(k - 1, -1, -1):
            ph, pe = two_prod(rh, t)
            pl = pe + (rh * tl + rl * t)
            ch, cl = coef(m)
            sh, se = two_sum(ph, ch)
            rh, rl = two_sum(sh, se + (pl + cl))
        if k > _HORNER_MAX_ORDER and dt == np.float64:
            # past order 60 the alternating sum at z < 0 cancels beyond what double-double
            # Horner holds (issue 19: negative probabilities at order 200): two positive terms
            neg = (t < 0) & (e >= 1) & (e <= 13) & ~has_inf
            if neg.any():
                nh, nl, nE = negative_poly(t[neg], tl[neg], e[neg], k, (hi[k], lo[k], int(g[k])))
                rh[neg], rl[neg], E[neg] = nh, nl, nE
        # f_i / max: scale each value by 2^(E_i - max E) (exact but for underflow)
        shift = np.clip(E - E.max(axis=-1, keepdims=True), -4000, 0)
        vh, vl = np.ldexp(rh, shift), np.ldexp(rl, shift)
        total = vh.sum(axis=-1, keepdims=True) + vl.sum(axis=-1, keepdims=True)
        p = (vh + vl) / total
    p = np.where(has_inf, equal_share(inf_entries), p)
    p = np.where(nan_rows, np.nan, p)
    return restore(p)
