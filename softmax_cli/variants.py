"""Other mappings: Taylor softmax, sigsoftmax, perturb-max, Gumbel-softmax and Gumbel-max sampling.

Every function follows the conventions of :mod:`softmax_cli.exp_family`: any
array-like input, any axis, N-D input mapped vector by vector; float16 and
float32 are computed in float64 and rounded once; integers give float64; the
temperature ``τ > 0`` divides the logits, ``z = x/τ``.

How each one stays accurate:

* :func:`taylor_softmax` evaluates ``f_k(z) = Σ_{m≤k} z^m/m!`` by Horner's
  rule in double-double arithmetic on ``z`` split exactly into a mantissa and a
  power of two, so it never overflows, and the cancellation of the alternating
  sum at ``z < 0`` costs nothing up to order 60 (error ≈ ``u + cond·u²``);
* :func:`sigsoftmax` forms the log-space logits ``z + log σ(z)`` with their
  rounding errors, shifts them by their maximum and corrects
  :func:`~softmax_cli.exp_family.softmax` of them to first order;
* :func:`perturbmax` with normal noise integrates the one-dimensional integral
  with a trapezoid rule on a fixed grid (spectrally accurate here), with
  ``Φ`` from a precomputed table and its Taylor expansion (numpy only);
  with Gumbel noise it *is* softmax, and returns it;
* :func:`gumbel_softmax` adds seeded Gumbel noise, keeping the rounding error
  of ``x + g``, and does the same.

Special values. A vector holding ``nan`` maps to ``nan``. Otherwise, when an
entry is infinite the result is the limit as those entries go to infinity at
equal speed; each function's docstring states which entries win.

Every mapping here takes ``where=`` (a boolean mask; ``False`` entries take no part)
and ``empty=`` (a vector with nothing kept: ``"zero"``, ``"nan"`` or ``"raise"``); see
:mod:`softmax_cli._masks`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import check_temperature, halve_if_spread, to_last_axis
from ._axes import is_axes, merge_axes
from ._masks import VECTOR, maskable
from ._perturbquad import ndtr as _ndtr  # noqa: F401  (Φ, reached here by the tests)
from ._perturbquad import perturbmax_normal
from ._taylorkernel import inverse_factorials as _inverse_factorials
from ._taylorkernel import negative_poly
from .errors import SoftmaxInputError
from .exp_family import softmax
from .floats import two_prod, two_sum
from .params import check_noise, check_order, check_seed

__all__ = [
    "PERTURBMAX_TOLERANCE",
    "gumbel_max_sample",
    "gumbel_noise",
    "gumbel_softmax",
    "perturbmax",
    "sigsoftmax",
    "taylor_softmax",
]

#: Stated absolute error bound of :func:`perturbmax` with normal noise, per probability
#: (before rounding to the output dtype).
PERTURBMAX_TOLERANCE = 1e-12

# Elements per temporary array in the chunked computations (about 32 MB of float64).
_CHUNK = 1 << 22
# perturb-max, normal noise: trapezoid step of the quadrature (:mod:`softmax_cli._perturbquad`);
# aliasing error ≈ exp(−π²·β/h) with β ≥ 0.19 (n ≤ 1e6).
_Q_STEP = 0.05


def _specials(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows holding nan, rows whose maximum is infinite, and ``a`` with both made harmless.

    The returned array has those rows set to 0 so the finite-case code can run
    on every row without warnings; callers overwrite them afterwards.
    """
    nan_rows = np.isnan(a).any(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        m = np.where(nan_rows, 0, a).max(axis=-1, keepdims=True)
    inf_rows = ~np.isfinite(m) & ~nan_rows
    clean = np.where(nan_rows | inf_rows, 0, a)
    return nan_rows, inf_rows, clean


def _equal_share(hit: np.ndarray) -> np.ndarray:
    """Mass shared equally by the ``True`` entries of each row (rows without any: nan)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return hit / hit.sum(axis=-1, keepdims=True)


def _div(h: np.ndarray, lo: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """``(h + lo)/τ`` as a pair ``(q, ql)``, keeping the division's rounding error."""
    if tau == 1.0:
        return h, lo
    with np.errstate(invalid="ignore", over="ignore"):
        q = h / tau
        p, pe = two_prod(q, tau)
        ql = ((h - p) - pe + lo) / tau
    return q, np.where(np.isfinite(ql), ql, 0)


def _softmax_dd(hi: np.ndarray, lo: np.ndarray, tau: float) -> np.ndarray:
    """``softmax((hi + lo)/τ)`` along the last axis for a non-normalised pair ``hi + lo``.

    ``lo`` may be as large as an ULP of a huge ``hi``, too large for a
    first-order correction, so the pair is first shifted by the row's largest
    ``hi`` (exactly, with TwoSum) and renormalised: the shifted logits
    ``Dh + Dl`` have ``|Dl| ≤ ulp(Dh)``, and ``softmax(Dh)`` corrected to first
    order by ``Dl`` is exact to second order in ``ulp(Dh)``. Rows need a finite
    maximum; ``-inf`` entries (with ``lo = 0``) get 0.
    """
    k = np.argmax(hi, axis=-1)[..., None]
    hk = np.take_along_axis(hi, k, axis=-1)
    lk = np.take_along_axis(lo, k, axis=-1)
    with np.errstate(invalid="ignore"):
        d, de = two_sum(hi, -hk)
        dh, dl = two_sum(d, de + (lo - lk))
    dl = np.where(np.isfinite(dh), dl, 0)
    p = softmax(dh, temperature=tau)
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.where(p > 0, dl / tau, 0)  # |dl/τ| ≤ ulp(dh/τ) wherever p > 0
    return p + p * (c - (p * c).sum(axis=-1, keepdims=True))


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
    nan_rows, _, clean = _specials(a)
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
    p = np.where(has_inf, _equal_share(inf_entries), p)
    p = np.where(nan_rows, np.nan, p)
    return restore(p)


@maskable(VECTOR)
def sigsoftmax(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    """sigsoftmax: ``p_i ∝ exp(z_i)·σ(z_i)`` with ``z = x/τ`` (Kanai et al. 2018).

    Computed in log space, ``log p_i = y_i − LSE(y)`` with
    ``y = z + log σ(z) = z + min(z, 0) − log1p(exp(−|z|))`` (a stable
    softplus). The logits ``y`` are formed relative to the row maximum with
    their rounding errors kept (TwoSum, TwoProduct), shifted by their
    maximum, passed to :func:`~softmax_cli.exp_family.softmax`, and the
    result is corrected to first order by the remaining low parts, so the
    absolute error stays within a few ULP of 1.0. The map is monotone (``y``
    increases with ``z``) but **not shift-invariant**: ``σ`` damps very
    negative logits twice.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0`` (default 1): ``τ → 0`` gives the argmax (ties shared),
        ``τ → ∞`` the uniform distribution.

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Notes
    -----
    Special values as in softmax: ``nan`` gives a ``nan`` vector; ``+inf``
    entries share the mass equally; ``-inf`` entries get 0; an all-``-inf``
    vector is uniform (the limit of equal logits going to ``-∞``).

    Examples
    --------
    >>> sigsoftmax([1.0, 2.0, 3.0])
    array([0.07192671, 0.23556371, 0.69250958])
    >>> sigsoftmax([-1.0, 0.0])  # softmax would give [0.269, 0.731]
    array([0.16518908, 0.83481092])
    >>> sigsoftmax([np.inf, 0.0, -np.inf])
    array([1., 0., 0.])
    """
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    nan_rows, inf_rows, clean = _specials(a)
    clean, tau = halve_if_spread(clean, tau)  # x − m finite however large τ is
    m = clean.max(axis=-1, keepdims=True)
    # y = z + log σ(z) = z + min(z, 0) − log1p(exp(−|z|)), shifted by the row constant
    # (m + min(m, 0))/τ so that no term overflows: y' = d + u − L with
    # d = (x − m)/τ, u = (min(x, 0) − min(m, 0))/τ (both ≤ 0) and L = log1p(exp(−|z|)).
    with np.errstate(invalid="ignore", over="ignore"):
        dh, dl = _div(*two_sum(clean, -m), tau)
        uh, ul = _div(*two_sum(np.minimum(clean, 0), -np.minimum(m, 0)), tau)
        zh, zl = _div(clean, np.zeros_like(clean), tau)  # may overflow: L is then 0
        w = np.exp(-np.abs(zh))
        soft = np.log1p(w)
        dsoft = -np.sign(zh) * (w / (1 + w))  # dL/dz
        s1, e1 = two_sum(dh, uh)
        yh, e2 = two_sum(s1, -soft)
        yl = e1 + e2 + dl + ul - dsoft * zl
    yl = np.where(np.isfinite(yh) & np.isfinite(yl), yl, 0)
    p = _softmax_dd(yh, yl, 1.0)
    p = np.where(inf_rows, _equal_share(a == a.max(axis=-1, keepdims=True)), p)
    p = np.where(nan_rows, np.nan, p)
    return restore(p)


@maskable(VECTOR)
def perturbmax(
    x: ArrayLike, axis: int = -1, *, noise: str = "normal", temperature: float = 1.0
) -> np.ndarray:
    """Perturb-max: ``p_i = P[argmax(x/τ + ε) = i]`` for i.i.d. noise ``ε``.

    ``p_i = ∫ φ(ε) Π_{j≠i} Φ(z_i − z_j + ε) dε`` with ``z = x/τ``, where ``φ``
    and ``Φ`` are the noise density and distribution function.

    * ``noise="gumbel"``: the integral has the closed form ``softmax(z)``
      (the Gumbel-max trick), and :func:`~softmax_cli.exp_family.softmax` is
      returned, to its few-ULP accuracy.
    * ``noise="normal"`` (standard normal noise; no closed form): the integral
      is evaluated deterministically, vectorised over all vectors at once, by
      the trapezoid rule with step 0.05 on ``[−9, 9]`` around the row maximum,
      with ``Φ`` from a table (numpy only). Each probability is within
      ``PERTURBMAX_TOLERANCE = 1e-12`` of the exact value (absolute error,
      computed in float64 whatever the dtype, before the final rounding to
      the output dtype) for vectors of up to 10⁴ entries. Measured: ≤ 1e-16
      against ``mpmath.quad`` at n ≤ 8, ≤ 1e-15 against SciPy quadrature at
      n ≤ 60, ≤ 2e-15 against a grid of half the step at n = 10⁴. The result
      is normalised to sum to 1. Time is O(n × 361) per vector (about 0.15 s
      for n = 10⁴), memory O(n) beyond cache-sized blocks.

    Both are monotone, shift-invariant and permutation-equivariant; ``τ → 0``
    gives the argmax and ``τ → ∞`` the uniform distribution.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    noise : {"normal", "gumbel"}, optional
        The noise distribution (default ``"normal"``).
    temperature : float, optional
        ``τ > 0`` (default 1).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Unknown noise, bad temperature or axis, empty or 0-d input.

    Notes
    -----
    Special values as in softmax: ``nan`` gives a ``nan`` vector; ``+inf``
    entries share the mass equally (by symmetry of the noise); ``-inf`` entries
    get 0; an all-``-inf`` vector is uniform.

    Examples
    --------
    >>> perturbmax([0.0, 0.0])
    array([0.5, 0.5])
    >>> perturbmax([1.0, 2.0, 3.0])
    array([0.04715068, 0.2240983 , 0.72875102])
    >>> perturbmax([1.0, 2.0, 3.0], noise="gumbel")  # = softmax
    array([0.09003057, 0.24472847, 0.66524096])
    """
    noise = check_noise(noise)
    if noise == "gumbel":
        return softmax(x, axis, temperature=temperature)
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    nan_rows, inf_rows, clean = _specials(a)
    clean, tau = halve_if_spread(clean, tau)  # x − m finite however large τ is
    m = clean.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # longdouble below -1.8e308: -inf, p = 0
        zp = (clean - m) / tau
        zp = np.where(np.isnan(zp), -np.inf, zp).astype(np.float64)
    p = perturbmax_normal(zp, _Q_STEP).astype(a.dtype)
    if a.dtype.itemsize > 8:  # on the simplex to longdouble's ULP, not float64's
        p /= p.sum(axis=-1, keepdims=True)
    p = np.where(inf_rows, _equal_share(a == a.max(axis=-1, keepdims=True)), p)
    p = np.where(nan_rows, np.nan, p)
    return restore(p)


# ---------------------------------------------------------------------------
# Gumbel noise
# ---------------------------------------------------------------------------


def gumbel_noise(
    shape: tuple[int, ...], seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Standard Gumbel noise ``g = −log(−log u)``, ``u`` from ``numpy.random.default_rng(seed)``.

    ``u = rng.random(shape)`` (float64, C order), raised to the smallest normal
    float where it is 0 so every ``g`` is finite (``g ∈ [−6.6, 36.7]``). The
    oracle twin (:func:`softmax_cli.oracle.variants.gumbel_noise`) follows the same
    protocol on its own, exactly in mpmath, so a seed fixes the noise and a fault in
    this transform shows against it.

    Examples
    --------
    >>> g = gumbel_noise((3,), seed=0)
    >>> bool((g == gumbel_noise((3,), seed=0)).all()), g.dtype
    (True, dtype('float64'))
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    u = np.maximum(rng.random(shape), np.finfo(np.float64).tiny)
    return -np.log(-np.log(u))


@maskable(VECTOR)
def gumbel_softmax(
    x: ArrayLike, axis: int = -1, *, seed: int | None = None, temperature: float = 1.0
) -> np.ndarray:
    """Gumbel-softmax: ``softmax((x + g)/τ)`` with seeded standard Gumbel noise ``g``.

    A random relaxation of a one-hot sample (Jang et al. 2017; Maddison et al.
    2017): as ``τ → 0`` it tends to the one-hot of ``argmax(x + g)``, a draw from
    ``softmax(x)``. The noise comes from :func:`gumbel_noise` with ``seed`` over
    the whole input (with ``axis`` moved last, in C order), so the same seed
    gives the same result; ``seed=None`` draws fresh entropy. ``x + g`` is
    formed with its rounding error kept and shifted by its maximum, and the
    softmax corrected to first order by the remaining low part, so the
    result is within a few ULP of 1.0 of the exact ``softmax((x + g)/τ)`` for
    that ``g``. Stochastic, so not monotone.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    seed : int or None, optional
        Seed ``≥ 0`` of :func:`numpy.random.default_rng` (default: fresh entropy).
    temperature : float, optional
        ``τ > 0`` (default 1).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Bad seed, temperature or axis; empty or 0-d input.

    Notes
    -----
    Special values: ``nan`` gives a ``nan`` vector; ``-inf`` entries get 0.
    When the maximum is infinite, the entries equal to it keep the mass and
    share it as the limit does, by ``softmax(g/τ)`` over those entries (a
    single ``+inf`` gets 1; an all-``-inf`` vector gets ``softmax(g/τ)``).

    Examples
    --------
    >>> p = gumbel_softmax([1.0, 2.0, 3.0], seed=0)
    >>> bool((p == gumbel_softmax([1.0, 2.0, 3.0], seed=0)).all()), float(p.sum())
    (True, 1.0)
    >>> gumbel_softmax([np.inf, 0.0], seed=1)
    array([1., 0.])
    """
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    seed = check_seed(seed)
    g = gumbel_noise(a.shape, seed).astype(a.dtype)
    nan_rows, inf_rows, clean = _specials(a)
    top = np.where(nan_rows, 0, a).max(axis=-1, keepdims=True)
    clean = np.where(inf_rows, np.where(a == top, 0, -np.inf), clean)
    s, e = two_sum(clean, g)
    p = _softmax_dd(s, e, tau)
    p = np.where(nan_rows, np.nan, p)
    return restore(p)


def gumbel_max_sample(
    x: ArrayLike, n: int, *, seed: int | None = None, axis: int = -1
) -> np.ndarray:
    """Draw ``n`` classes per vector by the Gumbel-max trick: ``argmax(x + g)``.

    Each draw picks class ``i`` with probability ``softmax(x)_i``. The noise is
    drawn from :func:`gumbel_noise` with ``seed`` (same seed, same samples).

    Parameters
    ----------
    x : array_like
        Logits, any real dtype.
    n : int
        Number of samples per vector, an integer ``≥ 1``.
    seed : int or None, optional
        Seed ``≥ 0`` of :func:`numpy.random.default_rng` (default: fresh entropy).
    axis : int or tuple of int, optional
        The axis holding each vector (default: the last); a tuple takes those
        axes together, and the indices count their entries in C order.

    Returns
    -------
    numpy.ndarray
        Class indices (``numpy.intp``) into ``axis``, of shape
        ``x.shape`` without ``axis``, followed by ``(n,)``: a vector gives shape
        ``(n,)``; an ``(a, b, c)`` input with ``axis=1`` gives ``(a, c, n)``.

    Raises
    ------
    SoftmaxInputError
        ``n`` not an integer ``≥ 1``, bad seed or axis, a vector holding ``nan``
        (it has no distribution to sample), empty or 0-d input.

    Notes
    -----
    Infinite maxima follow softmax: the entries equal to an infinite maximum
    are drawn uniformly (all ``-inf`` is uniform); ``-inf`` entries among
    finite ones are never drawn.

    Examples
    --------
    >>> gumbel_max_sample([0.0, -np.inf, 50.0], 5, seed=0)
    array([2, 2, 2, 2, 2])
    >>> gumbel_max_sample(np.zeros((2, 3, 4)), 10, seed=0, axis=1).shape
    (2, 4, 10)
    """
    try:
        ok = not isinstance(n, bool) and float(n).is_integer() and n >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SoftmaxInputError(f"n (number of samples) must be an integer >= 1, got {n!r}")
    n = int(n)
    seed = check_seed(seed)
    if is_axes(axis):  # several axes: one vector of their entries, indices in C order
        x, axis = merge_axes(x, axis), -1
    a, _, _ = to_last_axis(x, axis)
    nan_rows, inf_rows, clean = _specials(a)
    if nan_rows.any():
        raise SoftmaxInputError("cannot sample from a vector holding nan")
    top = a.max(axis=-1, keepdims=True)
    logits = np.where(inf_rows, np.where(a == top, 0, -np.inf), clean).astype(np.float64)
    rng = np.random.default_rng(seed)
    lead, d = logits.shape[:-1], logits.shape[-1]
    out = np.empty((*lead, n), dtype=np.intp)
    per = max(1, _CHUNK // max(1, logits.size))
    for s0 in range(0, n, per):
        k = min(per, n - s0)
        g = gumbel_noise((*lead, k, d), rng)
        out[..., s0 : s0 + k] = np.argmax(logits[..., None, :] + g, axis=-1)
    return out
