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

:func:`taylor_softmax` lives in :mod:`softmax_cli.taylor`, exported here.

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
from ._special_rows import equal_share, special_rows
from .errors import SoftmaxInputError
from .exp_family import softmax
from .floats import two_prod, two_sum
from .params import check_noise, check_seed
from .taylor import taylor_softmax

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
    nan_rows, inf_rows, clean = special_rows(a)
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
    p = np.where(inf_rows, equal_share(a == a.max(axis=-1, keepdims=True)), p)
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
    nan_rows, inf_rows, clean = special_rows(a)
    clean, tau = halve_if_spread(clean, tau)  # x − m finite however large τ is
    m = clean.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # longdouble below -1.8e308: -inf, p = 0
        zp = (clean - m) / tau
        zp = np.where(np.isnan(zp), -np.inf, zp).astype(np.float64)
    p = perturbmax_normal(zp, _Q_STEP).astype(a.dtype)
    if a.dtype.itemsize > 8:  # on the simplex to longdouble's ULP, not float64's
        p /= p.sum(axis=-1, keepdims=True)
    p = np.where(inf_rows, equal_share(a == a.max(axis=-1, keepdims=True)), p)
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
    nan_rows, inf_rows, clean = special_rows(a)
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
    nan_rows, inf_rows, clean = special_rows(a)
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
