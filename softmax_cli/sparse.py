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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._arrays import check_temperature, to_last_axis
from .errors import SoftmaxInputError
from .exp_family import softmax
from .floats import two_prod, two_sum
from .params import check_alpha, check_top_k, check_top_p

__all__ = ["entmax15", "entmax_bisect", "sparse_softmax", "sparsemax"]

# Candidates are packed with this filler: below the window ``z ≥ −1 − slack``,
# so it is never in the support and contributes exact zeros.
_FILL = -2.0
# Relative slack on the candidate window: taking a few extra candidates is harmless.
_SLACK = 2.0**-20
# Above this fraction of candidates, sorting whole rows beats gathering them.
_DENSE = 0.15
# longdouble has a 64-bit significand here (x87): row sums of float64 can use it.
_LONG_SUMS = np.finfo(np.longdouble).nmant >= 63


@dataclass
class _Rows:
    """The rows of one call, split into ordinary rows and limit (nan / infinite-max) rows.

    ``a`` is ``(R, n)`` and C-contiguous in the working dtype; ``m`` the row
    maxima; ``spec`` the indices of rows whose maximum is not finite (a nan, a
    ``+inf``, or only ``-inf``) and ``share`` their output.
    """

    a: np.ndarray
    m: np.ndarray
    spec: np.ndarray
    share: np.ndarray | None


@dataclass
class _Cands:
    """The candidates of the ordinary rows, and a packed matrix of them.

    Two layouts, chosen by how many entries are candidates:

    * sparse (few candidates): ``idx`` indexes ``a.ravel()``, ``r`` is the row
      of each candidate, ``z`` the flat array of their scaled gaps, and
      candidate ``j`` sits at ``Z[r[j], pos[j]]`` of the ``(R, K)`` matrix
      (``_FILL`` after each row's ``counts`` candidates);
    * dense (many): ``idx`` is ``None`` and ``z`` is the whole ``(R, n)``
      array of scaled gaps; unsorted, ``Z`` is ``z`` itself.

    ``z = scale·(x − m)/τ`` is clipped below at ``_FILL`` (and is ``_FILL`` in
    limit rows). :meth:`top` gives the largest ones of each row, sorted.
    """

    idx: np.ndarray | None
    r: np.ndarray | None
    z: np.ndarray
    Z: np.ndarray
    counts: np.ndarray
    pos: np.ndarray | None

    @property
    def K(self) -> int:
        """The largest number of candidates in a row (at least 1)."""
        return max(int(self.counts.max()), 1) if self.counts.size else 1

    def top(self, w: int) -> np.ndarray:
        """Each row's ``w`` largest ``z``, descending, as a contiguous ``(R, w)`` array."""
        Z = self.Z
        width = Z.shape[1]
        if 2 * w <= width:  # pick them out first; a full sort is cheaper otherwise
            Z = np.partition(Z, width - w, axis=1)[:, width - w :]
        return np.ascontiguousarray(np.sort(Z, axis=1)[:, : -w - 1 : -1])

    def per_row(self, v: np.ndarray) -> np.ndarray:
        """``v`` (one value per row) lined up with ``z``."""
        return v[:, None] if self.idx is None else v[self.r]

    def packed(self, w: np.ndarray) -> np.ndarray:
        """A value per candidate (lined up with ``z``) laid out like the unsorted ``Z``."""
        if self.idx is None:
            return w
        out = np.zeros_like(self.Z)
        out[self.r, self.pos] = w
        return out

    def take(self, a: np.ndarray) -> np.ndarray:
        """Entries of an ``(R, n)`` array lined up with ``z``."""
        return a if self.idx is None else a.ravel()[self.idx]


def _split_rows(a2: np.ndarray) -> _Rows:
    """Find row maxima and the output of rows with a nan or an infinite maximum."""
    m = a2.max(axis=1)  # nan propagates: a row holding nan has m = nan
    spec = np.flatnonzero(~np.isfinite(m))
    share = None
    if spec.size:
        hit = a2[spec] == m[spec, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = hit / hit.sum(axis=1, keepdims=True)
        share[np.isnan(m[spec])] = np.nan
    return _Rows(a2, m, spec, share)


def _pack(
    values: np.ndarray, r: np.ndarray, counts: np.ndarray, fill: float = _FILL
) -> tuple[np.ndarray, np.ndarray]:
    """Lay out ``values`` (grouped by row ``r``, rows in order) as ``(R, max count)``.

    Returns the matrix, ``fill`` after each row's values, and each value's column.
    """
    pos = np.arange(r.size) - (np.cumsum(counts) - counts)[r]
    out = np.full((counts.size, max(int(counts.max(initial=0)), 1)), fill, dtype=values.dtype)
    out[r, pos] = values
    return out, pos


def _candidates(rows: _Rows, tau: float, scale: float, floor: np.ndarray | float = -1.0) -> _Cands:
    """Entries with ``z = scale·(x − m)/τ > floor`` (and a few more), packed per row.

    With the default ``floor = −1``: the threshold satisfies ``λ ≥ max z − 1``,
    so no other entry can be in the support. One comparison over the input
    finds them; when they are few, everything after works on them only. A
    higher ``floor`` (one per row), from a known lower bound on ``λ``, keeps
    fewer.
    """
    a, m = rows.a, rows.m
    dt = a.dtype
    R, n = a.shape
    with np.errstate(over="ignore", invalid="ignore"):
        width = dt.type(tau) / dt.type(scale) * dt.type(1 + _SLACK)
        thr = np.where(np.isfinite(m), m + np.asarray(floor, dtype=dt) * width, np.nan)
    mask = a >= thr[:, None]  # nan threshold (limit rows): no candidates
    if np.count_nonzero(mask) > _DENSE * a.size:
        idx = r = pos = None
        counts = np.count_nonzero(mask, axis=1)
        w, mm = a, m[:, None]
    else:
        idx = np.flatnonzero(mask)
        r = idx // n if R > 1 else np.zeros(idx.size, dtype=np.intp)
        counts = np.bincount(r, minlength=R)
        w, mm = a.ravel()[idx], m[r]
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.subtract(w, mm)
        if tau != 1.0:
            z /= dt.type(tau)
        if scale != 1.0:
            z *= dt.type(scale)
        np.maximum(z, _FILL, out=z)
    if idx is None:
        z[rows.spec] = _FILL
        Z = z
    else:
        Z, pos = _pack(z, r, counts)
    return _Cands(idx, r, z, Z, counts, pos)


def _pack_above(Z: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """The entries of each row of ``Z`` above ``floor``, repacked if that halves the width."""
    keep = Z > floor[:, None]
    counts = np.count_nonzero(keep, axis=1)
    if 2 * counts.max(initial=0) > Z.shape[1]:
        return Z
    idx = np.flatnonzero(keep)
    return _pack(Z.ravel()[idx], idx // Z.shape[1], counts)[0]


def _z_low(rows: _Rows, cand: _Cands, tau: float, scale: float) -> np.ndarray:
    """The rounding error of each candidate's ``z``: ``scale·(x − m)/τ = z + z_low``.

    Recomputes ``z`` with the same operations as :func:`_candidates` and keeps
    the error of each (TwoSum, TwoProduct), so ``z + z_low`` is exact to about
    twice the working precision. Clipped entries get 0.
    """
    dt = rows.a.dtype
    with np.errstate(invalid="ignore", over="ignore"):
        d, e = two_sum(cand.take(rows.a), -cand.per_row(rows.m))
        if tau != 1.0:
            t = dt.type(tau)
            q = d / t
            pq, pe = two_prod(q, t)
            e = ((d - pq) - pe + e) / t
            d = q
        if scale != 1.0:
            _, ze = two_prod(d, dt.type(scale))
            e = ze + e * dt.type(scale)
    return np.where(cand.z > _FILL, e, 0)


def _assemble(rows: _Rows, cand: _Cands, p: np.ndarray) -> np.ndarray:
    """Put the candidates' values in place (zeros elsewhere) and fill in the limit rows."""
    if cand.idx is None:
        out = p
    else:
        out = np.zeros(rows.a.shape, dtype=rows.a.dtype)
        out.ravel()[cand.idx] = p
    if rows.spec.size:
        out[rows.spec] = rows.share
    return out


def _last_true(ok: np.ndarray) -> np.ndarray:
    """Index of the last ``True`` of each row (0 if none)."""
    return ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)


def _support_width(kstar: np.ndarray, K: int) -> int:
    """Columns of the sorted candidates worth refining over: the largest support, plus two."""
    return min(K, int(kstar.max()) + 3) if kstar.size else K


def _row_sums(M: np.ndarray) -> np.ndarray:
    """Row sums of ``M`` accurate to about one rounding, whatever the number of terms.

    Pairwise halving with TwoSum at every addition; the rounding errors are
    summed apart and added once at the end. A plain sum of one large term and
    many small ones loses up to half an ULP per term, which the normalisation
    of the entmax family would pass on to every entry.
    """
    if M.dtype == np.float64 and _LONG_SUMS:  # 11 more bits make the plain pairwise sum enough
        return M.astype(np.longdouble).sum(axis=1).astype(np.float64)
    s = M
    err = np.zeros(M.shape[0], dtype=M.dtype)
    while s.shape[1] > 1:
        h = s.shape[1] // 2
        x, e = two_sum(s[:, :h], s[:, h : 2 * h])
        err += e.sum(axis=1)
        if s.shape[1] % 2:
            x[:, 0], e = two_sum(x[:, 0], s[:, -1])
            err += e
        s = x
    return s[:, 0] + err


def _relu_shift(Z: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``max(Z − λ, 0)`` with one ``λ`` per row."""
    t = Z - lam[:, None]
    return np.maximum(t, 0, out=t)


# Sorted columns tried first when looking for the support; widened 4× while too few.
_FIRST_WIDTH = 32


def _sparsemax_prefix(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sorted prefix ``k``: is ``z_k`` in the support of the top ``k``, and their threshold."""
    k = np.arange(1, Z.shape[1] + 1, dtype=Z.dtype)
    cs = np.cumsum(Z, axis=1)
    return 1 + k * Z > cs, (cs - 1) / k


def _entmax15_prefix(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_sparsemax_prefix` for 1.5-entmax.

    ``λ_k = μ_k − sqrt(1/k − σ²_k)`` from the mean and variance of the top ``k``;
    ``z_k`` is in the support of the top ``k`` iff ``λ_k < z_k``.
    """
    k = np.arange(1, Z.shape[1] + 1, dtype=Z.dtype)
    mean = np.cumsum(Z, axis=1) / k
    delta = 1 / k - (np.cumsum(Z * Z, axis=1) / k - mean * mean)
    lam = mean - np.sqrt(np.maximum(delta, 0))
    return (delta >= 0) & (lam < Z), lam


def _sorted_support(
    cand: _Cands, prefix: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort enough of each row's candidates to see its support; return them, ``λ`` and ``k* − 1``.

    The support is the largest sorted prefix ``k`` whose test passes (in exact
    arithmetic every ``k`` up to the support size passes and none after). Only
    the ``w`` largest candidates are sorted (a partition picks them); ``w``
    grows while some row's test still passes at its last column.
    """
    w = min(cand.K, _FIRST_WIDTH)
    while True:
        Z = cand.top(w)
        ok, lam_k = prefix(Z)
        kstar = _last_true(ok)
        if w >= cand.K or not (kstar == w - 1).any():
            return Z, lam_k[np.arange(Z.shape[0]), kstar], kstar
        w = min(cand.K, 4 * w)


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
    rows = _split_rows(a.reshape(-1, a.shape[-1]))
    cand = _candidates(rows, tau, 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        Z, lam, kstar = _sorted_support(cand, _sparsemax_prefix)
        # Newton on Σ relu(z − λ) = 1, exact once the support is right: it
        # replaces the cumulative sum's rounding by a pairwise sum's. Only
        # entries within rounding of λ can change sides, so the columns
        # past the largest support (plus two) are left out.
        Z = Z[:, : _support_width(kstar, Z.shape[1])]
        for _ in range(2):
            t = _relu_shift(Z, lam)
            cnt = np.maximum(np.count_nonzero(t, axis=1), 1)
            lam += (t.sum(axis=1) - 1) / cnt
        p = cand.z
        p -= cand.per_row(lam)
        np.maximum(p, 0, out=p)
    return restore(_assemble(rows, cand, p).reshape(a.shape))


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
    rows = _split_rows(a.reshape(-1, a.shape[-1]))
    cand = _candidates(rows, tau, 0.5)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        Z, lam, kstar = _sorted_support(cand, _entmax15_prefix)
        # One Newton step on Σ relu(z − λ)² = 1 (convex, decreasing) removes
        # the cancellation left in σ²_k (quadratic convergence: one is enough).
        Z = Z[:, : _support_width(kstar, Z.shape[1])]
        t = _relu_shift(Z, lam)
        lam += (_row_sums(t * t) - 1) / np.maximum(2 * t.sum(axis=1), 1e-300)
        t = _relu_shift(Z, lam)
        total = _row_sums(t * t)
        p = cand.z
        p -= cand.per_row(lam)
        np.maximum(p, 0, out=p)
        p *= p
        p /= cand.per_row(total)
    return restore(_assemble(rows, cand, p).reshape(a.shape))


def _powers(t: np.ndarray, beta) -> tuple[np.ndarray, np.ndarray]:
    """``t^β`` and ``t^(β−1)`` (the latter 0 where ``t == 0``), cheaply for β = 2 and 3."""
    if beta == 2:
        return t * t, t
    if beta == 3:
        t2 = t * t
        return t2 * t, t2
    P = np.power(t, beta)
    return P, np.divide(P, t, out=np.zeros_like(P), where=t > 0)


def _entmax_threshold(Z: np.ndarray, counts: np.ndarray, alpha: float, beta) -> np.ndarray:
    """Solve ``Σ_j relu(Z_ij − λ_i)^β = 1`` for every row ``i`` (``max_j Z_ij = 0``).

    Works on ``g(λ) = (Σ relu(Z − λ)^β)^{1/β} − 1``: a norm of ``relu(Z − λ)``,
    nearly linear in ``λ`` and convex for ``β ≥ 1``, so Newton steps from the
    left converge fast and monotonically. A bracket ``lo ≤ λ ≤ hi`` with
    ``g(lo) ≥ 0 ≥ g(hi)`` starts as ``[−1, −C^{1−α}]`` (``C`` candidates);
    a Newton step that leaves it, or fails to halve the step before last,
    is replaced by bisection. Steps are at least the working precision (so
    near the root, where the sum is only known to rounding, they walk across
    it in ULP steps) and a row is done when its bracket is at the dtype's
    precision.
    """
    dt = Z.dtype
    R = Z.shape[0]
    eps = np.finfo(dt).eps
    am1 = dt.type(alpha) - dt.type(1)  # 1/β
    lo = np.full(R, -1, dtype=dt)
    hi = -np.power(np.maximum(counts, 1).astype(dt), -am1)
    lam = lo.copy() if beta >= 1 else hi.copy()
    dx = dx_old = hi - lo
    out = np.empty(R, dtype=dt)
    rows = np.arange(R)  # the rows still iterating; Z, lam, ... hold only those
    for it in range(4 * (np.finfo(dt).nmant + 64)):
        if it in (2, 5, 10):  # entries at or below lo stay out: drop them when that pays
            Z = _pack_above(Z, lo)
        P, Q = _powers(_relu_shift(Z, lam), beta)
        S = P.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lo = np.where(S >= 1, lam, lo)
            hi = np.where(S <= 1, lam, hi)
            tol = 2 * eps * np.abs(lam)
            # g / −g' = (S^{α−1} − 1) / (S^{α−2} Σ t^{β−1}), g from S − 1 (exact
            # near 1) so that its sign is right even at the last bit.
            over = S - 1
            step = np.expm1(am1 * np.log1p(over)) / (np.power(S, am1 - 1) * Q.sum(axis=1))
            tiny = ~(np.abs(step) > tol)
            step = np.where(tiny, np.copysign(tol, over), step)
            newton = lam + step
            ok = (newton > lo) & (newton < hi) & (tiny | (np.abs(2 * step) <= np.abs(dx_old)))
            new_lam = np.where(ok, newton, lo + (hi - lo) / 2)
            new_dx = np.where(ok, np.abs(step), (hi - lo) / 2)
        done = (hi - lo <= tol) | (over == 0)
        if done.any():
            out[rows[done]] = lam[done]
            go = ~done
            if not go.any():
                return out
            rows, Z, lo, hi = rows[go], Z[go], lo[go], hi[go]
            dx, new_dx, new_lam = dx[go], new_dx[go], new_lam[go]
        dx_old, dx, lam = dx, new_dx, new_lam
    out[rows] = lam
    return out


def _dd_add(ah, al, bh, bl):
    """Double-word sum ``(ah + al) + (bh + bl)``, renormalised."""
    s, e = two_sum(ah, bh)
    return two_sum(s, e + (al + bl))


def _polish(Zh: np.ndarray, Zl: np.ndarray, lam: np.ndarray, beta) -> tuple[np.ndarray, np.ndarray]:
    """``λ`` as a double-word ``λ_hi + λ_lo`` solving ``Σ relu(z − λ)^β = 1``, ``z = Zh + Zl``.

    ``Zh − λ_hi`` is exact near the edge of the support (Sterbenz), so the
    small ``t = z − λ`` there are accurate relative to themselves. From
    ``λ`` at the working precision one Newton step is enough for ``β ≥ 1``.
    For ``β < 1`` the edge entries have ``p ∝ t^β`` with an infinite slope and
    ``t`` can be far below the working precision (``t ≈ p^{α−1}``), so the
    same safeguarded Newton as :func:`_entmax_threshold` runs again in
    double-word arithmetic, on the bracket ``λ(1 ± 4 eps)`` (the rounding of
    ``z`` moves the root by less than that), until the bracket is at about
    twice the working precision.
    """
    dt = Zh.dtype
    eps = np.finfo(dt).eps
    lh, ll = lam.copy(), np.zeros_like(lam)
    lo_h, lo_l = lam - 4 * eps * np.abs(lam), np.zeros_like(lam)
    hi_h, hi_l = lam + 4 * eps * np.abs(lam), np.zeros_like(lam)
    dx_old = dx = hi_h - lo_h
    for _ in range(1 if beta >= 1 else 4 * (np.finfo(dt).nmant + 8)):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            t = (Zh - lh[:, None]) + (Zl - ll[:, None])
            P, Q = _powers(np.maximum(t, 0, out=t), beta)
            f = _row_sums(P) - 1
            step = f / (beta * Q.sum(axis=1))
        step = np.where(np.isfinite(step), step, 0)  # limit rows: nothing to do
        if beta >= 1:
            return _dd_add(lh, ll, step, 0)
        up, down = f >= 0, f <= 0
        lo_h, lo_l = np.where(up, lh, lo_h), np.where(up, ll, lo_l)
        hi_h, hi_l = np.where(down, lh, hi_h), np.where(down, ll, hi_l)
        width = (hi_h - lo_h) + (hi_l - lo_l)
        tol = 2 * eps * eps * np.abs(lh)
        frozen = (width <= tol) | (f == 0) | (f == -1)  # f = −1: a limit row, no support
        if frozen.all():
            break
        tiny = ~(np.abs(step) > tol)
        step = np.where(tiny, np.copysign(tol, f), step)
        nh, nl = _dd_add(lh, ll, step, 0)
        inside = ((nh - lo_h) + (nl - lo_l) > 0) & ((hi_h - nh) + (hi_l - nl) > 0)
        ok = inside & (tiny | (np.abs(2 * step) <= np.abs(dx_old)))
        mh, ml = _dd_add(lo_h, lo_l, hi_h, hi_l)
        mh, ml = _dd_add(mh / 2, ml / 2, 0, 0)
        dx_old, dx = dx, np.where(ok, np.abs(step), width / 2)
        lh = np.where(frozen, lh, np.where(ok, nh, mh))
        ll = np.where(frozen, ll, np.where(ok, nl, ml))
    return lh, ll


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
    why ``z − λ`` is formed in twice the working precision there.

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
    rows = _split_rows(a.reshape(-1, a.shape[-1]))
    cand = _candidates(rows, tau, alpha - 1)
    beta = dt.type(1) / (dt.type(alpha) - dt.type(1))
    lam = _entmax_threshold(cand.Z, cand.counts, alpha, beta)
    # Only entries above λ (less a margin for the polish below) matter now.
    cand = _candidates(rows, tau, alpha - 1, floor=lam - np.abs(lam) * dt.type(2.0**-20))
    # z and λ carried to twice the precision make t = z − λ accurate relative
    # to itself, also for the small t at the edge of the support: those decide
    # the edge entries (infinite slope of t^β for α > 2) and, when many tie
    # there, add up their rounding errors in the normalisation (α < 2).
    zl = _z_low(rows, cand, tau, alpha - 1)
    lam_hi, lam_lo = _polish(cand.Z, cand.packed(zl), lam, beta)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        t = cand.z - cand.per_row(lam_hi)
        t += zl - cand.per_row(lam_lo)
        np.maximum(t, 0, out=t)
        if alpha > 2:
            q = np.power(t, beta)
        else:
            # q = (t/s)^β = (1 + z/s)^β, s = −λ: log1p(z/s) near the top (accurate
            # as α → 1, when β is large), log(t/s) near the edge.
            s_row = cand.per_row(-(lam_hi + lam_lo))
            ratio = t / s_row
            near_top = np.log1p((cand.z + zl) / s_row)
            q = np.exp(beta * np.where(ratio < 0.5, np.log(ratio), near_top))
        p = q / cand.per_row(_row_sums(cand.packed(q)))
    return restore(_assemble(rows, cand, p).reshape(a.shape))


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
    packed, pos = _pack(a2.ravel()[idx], r, np.bincount(r, minlength=a2.shape[0]), -np.inf)
    out = np.zeros_like(a2)
    out.ravel()[idx] = softmax(packed, temperature=tau)[r, pos]
    return restore(out.reshape(a.shape))
