"""Sparse mappings: sparsemax, entmax-1.5, α-entmax, top-k / top-p sparse softmax.

All of them give exact zeros. The entmax family is ``p = relu(z − λ)^{1/(α−1)}``
with ``z = (α−1)·x/τ`` and ``λ`` chosen so that ``Σ p = 1`` (α = 2 is
sparsemax, α → 1 is softmax). How it is computed here, for all rows at once:

1. shift by the row maximum ``m``. Since ``λ ≥ max z − 1``, only entries with
   ``x > m − τ/(α−1)`` can be in the support: one comparison finds these
   candidates. When they are few they are gathered into a small per-row
   matrix and nothing else is looked at again; when they are many, whole
   rows are used;
2. sparsemax and 1.5-entmax sort only the largest candidates (a partition
   picks them, more are taken if the support might be larger) and read the
   support off the sorted prefix sums in closed form; ``λ`` is then
   polished by Newton steps on ``Σ relu(z − λ)^{1/(α−1)} = 1``, which removes
   the rounding of the prefix sums;
3. general α brackets ``λ`` in ``[max z − 1, max z − n^{1−α}]`` and shrinks
   the bracket (safeguarded Newton, bisection as the fallback) until it is
   at the working precision; ``z`` and ``λ`` are then carried to twice the
   working precision for a final Newton polish, so that ``z − λ`` is accurate
   relative to itself even at the edge of the support, and ``p`` is formed as
   ``exp(log1p(z/s)/(α−1))`` (``s = max z − λ``) near the top, accurate as
   α → 1, and renormalised;
4. sums that normalise are compensated (TwoSum), so one large entry and many
   small ones do not pile up half an ULP each;
5. float16 and float32 inputs are computed in float64 and rounded once;
   longdouble is computed in longdouble.

Special values, for every function here (the rules of
:mod:`softmax_cli.exp_family`): a vector holding ``nan`` maps to ``nan``. When
the row maximum is infinite (some ``+inf``, or every entry ``-inf``) the entries
equal to it share the mass equally, which is the limit of the finite case:
``sparsemax([inf, 0]) == [1, 0]``, and a vector of only ``-inf`` is uniform
(where other libraries fail). A ``-inf`` among finite entries gets 0.

Accuracy: against the mpmath twins in :mod:`softmax_cli.oracle.sparse` the
absolute error is below 4 ULP of 1.0 of the output dtype (tests check it for
float16, float32, float64 and longdouble).

Every mapping here takes ``where=`` (a boolean mask; ``False`` entries take no part)
and ``empty=`` (a vector with nothing kept: ``"zero"``, ``"nan"`` or ``"raise"``); see
:mod:`softmax_cli._masks`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import check_temperature, to_last_axis
from ._masks import VECTOR, maskable
from ._sparsekernel import (
    assemble,
    candidates,
    edge_rows,
    entmax15_prefix,
    entmax_threshold,
    pack,
    polish,
    relu_shift,
    row_sums,
    solve_edge,
    sorted_support,
    sparsemax_prefix,
    split_rows,
    support_width,
    z_low,
)
from .errors import SoftmaxInputError
from .exp_family import softmax
from .floats import two_prod, two_sum
from .params import check_alpha, check_top_k, check_top_p

__all__ = ["entmax15", "entmax_bisect", "sparse_softmax", "sparsemax"]

#: entmax15 polishes λ to twice the working precision only when some row's support is at
#: least this wide: with many entries near λ its last bit moves each p (4.7 ULP of 1.0 at
#: 10⁴ ties), while below this the plain step is within 0.5 ULP and 3-6× faster on batches.
_POLISH_SUPPORT = 64

# Above this fraction of candidates, sorting whole rows beats gathering them.
_DENSE = 0.15
# Sorted columns tried first when looking for the support; widened 4× while too few.
_FIRST_WIDTH = 32


@maskable(VECTOR)
def sparsemax(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    """Sparsemax: the Euclidean projection of ``x/τ`` onto the probability simplex.

    ``p = relu(x/τ − λ)`` with ``λ`` such that ``Σ p = 1``; entries more than
    ``τ`` below the maximum are exactly 0. Shift-invariant, monotone,
    permutation-equivariant; ``τ → 0`` gives the one-hot of the argmax (tied
    maxima share), ``τ → ∞`` the uniform vector.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Empty vector, 0-d input, bad axis or temperature.

    Notes
    -----
    Special values: a vector holding ``nan`` maps to ``nan``; if the maximum
    is ``+inf`` the ``+inf`` entries share the mass equally; a vector of only
    ``-inf`` is uniform; a ``-inf`` among finite entries gets 0.

    Only the candidates ``x > max x − τ`` are sorted, so a long vector costs
    little more than a few passes over it.

    Examples
    --------
    >>> sparsemax([1.0, 2.0, 2.5])
    array([0.  , 0.25, 0.75])
    >>> sparsemax([1.0, 2.0, 3.5])
    array([0., 0., 1.])
    >>> sparsemax([1.0, 2.0, 2.5], temperature=10)
    array([0.25, 0.35, 0.4 ])
    >>> sparsemax([np.inf, 0.0, np.inf])
    array([0.5, 0. , 0.5])
    """
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    if a.size == 0:
        return restore(a.copy())
    rows = split_rows(a.reshape(-1, a.shape[-1]))
    cand = candidates(rows, tau, 1.0, _DENSE)
    with np.errstate(invalid="ignore", over="ignore"):
        Z, lam, kstar = sorted_support(cand, sparsemax_prefix, _FIRST_WIDTH)
        # Newton on Σ relu(z − λ) = 1, exact once the support is right: it
        # replaces the cumulative sum's rounding by a pairwise sum's. Only
        # entries within rounding of λ can change sides, so the columns
        # past the largest support (plus two) are left out.
        Z = Z[:, : support_width(kstar, Z.shape[1])]
        for _ in range(2):
            t = relu_shift(Z, lam)
            cnt = np.maximum(np.count_nonzero(t, axis=1), 1)
            lam += (t.sum(axis=1) - 1) / cnt
        p = cand.z
        p -= cand.per_row(lam)
        np.maximum(p, 0, out=p)
    return restore(assemble(rows, cand, p).reshape(a.shape))


@maskable(VECTOR)
def entmax15(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    """1.5-entmax, exactly: ``p = relu(x/(2τ) − λ)²`` with ``Σ p = 1``.

    The support is found in closed form from the sorted candidates
    ``z = x/(2τ)``: with ``μ_k`` and ``σ²_k`` the mean and variance of the top
    ``k``, ``λ_k = μ_k − sqrt(1/k − σ²_k)`` and the support is the largest ``k``
    with ``λ_k < z_k`` (with ties this picks the one consistent support:
    every ``k`` up to the true support size passes, none after it). ``λ``
    is then polished by Newton steps and ``p`` renormalised by its sum.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Empty vector, 0-d input, bad axis or temperature.

    Notes
    -----
    Special values as for :func:`sparsemax`: ``nan`` → ``nan`` vector,
    ``+inf`` entries share the mass, all ``-inf`` → uniform, ``-inf`` among
    finite entries → 0. Entries more than ``2τ`` below the maximum are 0.

    Examples
    --------
    >>> entmax15([0.0, 0.0, 0.0])
    array([0.33333333, 0.33333333, 0.33333333])
    >>> entmax15([1.0, 2.0, 3.0]).round(6)
    array([0.      , 0.169281, 0.830719])
    >>> entmax15([0.0, 3.0])
    array([0., 1.])
    >>> entmax15([[1.0, 2.0, 3.0], [0.0, 0.0, -np.inf]]).round(6)
    array([[0.      , 0.169281, 0.830719],
           [0.5     , 0.5     , 0.      ]])
    """
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    if a.size == 0:
        return restore(a.copy())
    rows = split_rows(a.reshape(-1, a.shape[-1]))
    cand = candidates(rows, tau, 0.5, _DENSE)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        Z, lam, kstar = sorted_support(cand, entmax15_prefix, _FIRST_WIDTH)
        # One Newton step on Σ relu(z − λ)² = 1 (convex, decreasing) removes
        # the cancellation left in σ²_k (quadratic convergence: one is enough).
        Z = Z[:, : support_width(kstar, Z.shape[1])]
        t = relu_shift(Z, lam)
        lam += (row_sums(t * t) - 1) / np.maximum(2 * t.sum(axis=1), 1e-300)
        # λ to twice the working precision (issue 19): with many ties below
        # the maximum, t = z − λ is a small difference of two numbers near
        # −1/2, so λ's last bit alone moved every tied p by ~1/|t| ULP (4.7
        # ULP of 1.0 at 10⁴ ties, 87 at 10⁶). One double-word Newton step on
        # z + z_low gives t accurate relative to itself.
        if Z.shape[1] < _POLISH_SUPPORT:  # a small support: λ's last bit costs < 0.5 ULP
            t = relu_shift(Z, lam)
            total = row_sums(t * t)
            p = cand.z
            p -= cand.per_row(lam)
            np.maximum(p, 0, out=p)
            p *= p
            p /= cand.per_row(total)
            return restore(assemble(rows, cand, p).reshape(a.shape))
        zl = z_low(rows, cand, tau, 0.5)
        lam_hi, lam_lo = lam, np.zeros_like(lam)
        for last in (False, True):
            # t = th + tl and t² = sq + sq_lo to twice the precision; a Newton step on
            # Σ t² = 1 from that sum moves λ to a double word, then p is rounded once
            th, tl = two_sum(cand.z - cand.per_row(lam_hi), zl - cand.per_row(lam_lo))
            inside = th > 0
            th, tl = np.where(inside, th, 0), np.where(inside, tl, 0)
            sq, sq_lo = two_prod(th, th)
            sq_lo += 2 * th * tl
            s_hi = row_sums(cand.packed(sq))
            s_lo = cand.packed(sq_lo).sum(axis=1)
            if last:
                break
            step = ((s_hi - 1) + s_lo) / np.maximum(2 * cand.packed(th).sum(axis=1), 1e-300)
            lam_hi, lam_lo = two_sum(lam, step)
        p = (sq + sq_lo) / cand.per_row(s_hi + s_lo)
    return restore(assemble(rows, cand, p).reshape(a.shape))


@maskable(VECTOR)
def entmax_bisect(
    x: ArrayLike,
    alpha: float = 1.5,
    axis: int = -1,
    *,
    temperature: float = 1.0,
    _sparsemax_at_2: bool = True,
) -> np.ndarray:
    """α-entmax: ``p = relu((α−1)·x/τ − λ)^{1/(α−1)}`` with ``Σ p = 1``, for any ``α ≥ 1``.

    ``α = 1`` is :func:`~softmax_cli.exp_family.softmax` (returned as such),
    ``α = 2`` is :func:`sparsemax` (returned as such), ``α = 1.5`` agrees with
    :func:`entmax15` to a few ULP. Other α: ``λ`` is bracketed in
    ``[max z − 1, max z − n^{1−α}]`` and the bracket shrunk (safeguarded
    Newton, falling back to bisection) until it is at the working dtype's
    precision, for every row at once (no loop over rows); a last Newton
    polish in twice the working precision follows, then ``p`` is formed
    (through ``log1p`` near the top, so α close to 1 stays accurate) and
    renormalised by its sum.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    alpha : float, optional
        ``α ≥ 1`` (default 1.5). Larger α gives sparser outputs.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Empty vector, 0-d input, bad axis, temperature or alpha.

    Notes
    -----
    Special values as for :func:`sparsemax`. Entries more than ``τ/(α−1)``
    below the maximum are exactly 0. For ``α > 2`` the map has an infinite
    slope at the edge of the support (``p_i ∝ (z_i − λ)^{1/(α−1)}``), which is
    why ``z − λ`` is formed in twice the working precision there; a row with an
    entry within ``√eps·|λ|`` of ``λ`` has its edge probability solved for
    directly from the gaps to the edge entry (``entmax_bisect([0, −0.049], 20)``
    needs ``z − λ ≈ 1e−46``): within 0.5 ULP of 1.0 for α up to 20.

    Examples
    --------
    >>> entmax_bisect([1.0, 2.0, 3.0], alpha=1.5).round(6)
    array([0.      , 0.169281, 0.830719])
    >>> entmax_bisect([1.0, 2.0, 2.5], alpha=2).tolist()
    [0.0, 0.25, 0.75]
    >>> entmax_bisect([0.0, 1.0], alpha=1.25).round(6)
    array([0.22457, 0.77543])
    >>> entmax_bisect([0.0, 1.0, 1.2], alpha=4).round(6)
    array([0.      , 0.154832, 0.845168])
    """
    alpha = check_alpha(alpha)
    if alpha == 1:
        return softmax(x, axis, temperature=temperature)
    if alpha == 2 and _sparsemax_at_2:  # private switch: tests run the bisection at α = 2 too
        return sparsemax(x, axis, temperature=temperature)
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    if a.size == 0:
        return restore(a.copy())
    dt = a.dtype
    rows = split_rows(a.reshape(-1, a.shape[-1]))
    cand = candidates(rows, tau, alpha - 1, _DENSE)
    beta = dt.type(1) / (dt.type(alpha) - dt.type(1))
    lam = entmax_threshold(cand.Z, cand.counts, alpha, beta)
    # Only entries above λ (less a margin for the polish below) matter now.
    cand = candidates(rows, tau, alpha - 1, _DENSE, floor=lam - np.abs(lam) * dt.type(2.0**-20))
    # z and λ carried to twice the precision make t = z − λ accurate relative
    # to itself, also for the small t at the edge of the support: those decide
    # the edge entries (infinite slope of t^β for α > 2) and, when many tie
    # there, add up their rounding errors in the normalisation (α < 2).
    zl = z_low(rows, cand, tau, alpha - 1)
    lam_hi, lam_lo = polish(cand.Z, cand.packed(zl), lam, beta)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        t = cand.z - cand.per_row(lam_hi)
        t += zl - cand.per_row(lam_lo)
        edge = edge_rows(cand, t, lam_hi) if alpha > 2 else None
        np.maximum(t, 0, out=t)
        if alpha > 2:
            q = np.power(t, beta)
            if edge.size:  # an entry's t is below what λ resolves: solve for the edge
                Zl = cand.packed(zl)
                Q = cand.packed(q)
                Q[edge] = solve_edge(
                    cand.Z[edge], Zl[edge], lam_hi[edge], lam_lo[edge], alpha, beta
                )
                q = cand.unpack(Q)
        else:
            # q = (t/s)^β = (1 + z/s)^β, s = −λ: log1p(z/s) near the top (accurate
            # as α → 1, when β is large), log(t/s) near the edge.
            s_row = cand.per_row(-(lam_hi + lam_lo))
            ratio = t / s_row
            near_top = np.log1p((cand.z + zl) / s_row)
            q = np.exp(beta * np.where(ratio < 0.5, np.log(ratio), near_top))
        p = q / cand.per_row(row_sums(cand.packed(q)))
    return restore(assemble(rows, cand, p).reshape(a.shape))


@maskable(VECTOR)
def sparse_softmax(
    x: ArrayLike,
    axis: int = -1,
    *,
    k: int | None = None,
    p: float | None = None,
    temperature: float = 1.0,
) -> np.ndarray:
    """Softmax over the top-``k`` logits, or over the top-``p`` nucleus; 0 elsewhere.

    Exactly one of ``k`` and ``p`` must be given.

    * ``k``: keep the ``k`` largest logits of each vector. Ties at the cut are
      all kept: every entry equal to the ``k``-th largest value stays, so the
      kept set can hold more than ``k`` entries and equal logits always get
      equal probabilities. ``k ≥ n`` keeps everything (plain softmax).
    * ``p``: keep the smallest set of largest logits whose softmax mass (at
      temperature ``τ``) reaches ``p``, i.e. the ``c`` largest with
      ``c = min{j : Σ_{i≤j} softmax(x/τ)_(i) ≥ p}``; ties with the ``c``-th
      value are kept as for top-k. ``p = 1`` keeps everything. The cut is
      decided from the working-precision masses, so a ``p`` within a few ULP
      of a cumulative mass may keep one entry more or less than exact
      arithmetic would.

    The kept logits go through :func:`~softmax_cli.exp_family.softmax`
    (dropped ones as ``-inf``), so the result is accurate to a few ULP.

    Parameters
    ----------
    x : array_like
        Logits, any real dtype; integers are taken as float64.
    axis : int, optional
        The axis holding each vector (default: the last).
    k : int, optional
        Number of largest logits to keep, ``≥ 1``.
    p : float, optional
        Nucleus mass, in ``(0, 1]``.
    temperature : float, optional
        ``τ > 0``; the logits are divided by it (default 1).

    Returns
    -------
    numpy.ndarray
        Probabilities, same shape and float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        Neither or both of ``k`` and ``p``, a bad ``k`` or ``p``, empty
        vector, 0-d input, bad axis or temperature.

    Notes
    -----
    Special values as for :func:`~softmax_cli.exp_family.softmax`: ``nan`` →
    ``nan`` vector, ``+inf`` entries share the mass, all ``-inf`` → uniform.

    Examples
    --------
    >>> sparse_softmax([1.0, 2.0, 3.0, 4.0], k=2).round(6)
    array([0.      , 0.      , 0.268941, 0.731059])
    >>> sparse_softmax([1.0, 3.0, 3.0, 2.0], k=1)
    array([0. , 0.5, 0.5, 0. ])
    >>> sparse_softmax([1.0, 2.0, 3.0, 4.0], p=0.9).round(6)
    array([0.      , 0.090031, 0.244728, 0.665241])
    """
    k = check_top_k(k)
    p = check_top_p(p)
    if (k is None) == (p is None):
        raise SoftmaxInputError(
            "sparse softmax needs exactly one of k (top-k) and p (top-p), "
            + ("got neither" if k is None else f"got both k={k} and p={p}")
        )
    a, _, restore = to_last_axis(x, axis)
    tau = check_temperature(temperature)
    if a.size == 0:
        return restore(a.copy())
    n = a.shape[-1]
    a2 = a.reshape(-1, n)
    nan_rows = np.isnan(a2).any(axis=1, keepdims=True)
    safe = np.where(nan_rows, 0, a2)
    if k is not None:
        if k >= n:
            return restore(softmax(a, temperature=tau))
        cut = np.partition(safe, n - k, axis=1)[:, n - k]
    else:
        if p >= 1:
            return restore(softmax(a, temperature=tau))
        order = np.argsort(-safe, axis=1, kind="stable")
        mass = np.take_along_axis(softmax(safe, temperature=tau), order, axis=1)
        reached = np.cumsum(mass, axis=1) >= p
        c = np.where(reached.any(axis=1), np.argmax(reached, axis=1), n - 1)
        ar = np.arange(a2.shape[0])
        cut = safe[ar, order[ar, c]]
    keep = (safe >= cut[:, None]) | nan_rows
    if np.count_nonzero(keep) > _DENSE * keep.size:
        masked = np.where(keep, a2, -np.inf)
        return restore(softmax(masked, temperature=tau).reshape(a.shape))
    # few kept: softmax over them only, packed per row (-inf after each row's own)
    idx = np.flatnonzero(keep)
    r = idx // n
    packed, pos = pack(a2.ravel()[idx], r, np.bincount(r, minlength=a2.shape[0]), -np.inf)
    out = np.zeros_like(a2)
    out.ravel()[idx] = softmax(packed, temperature=tau)[r, pos]
    return restore(out.reshape(a.shape))
