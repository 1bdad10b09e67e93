"""The sort and threshold kernels behind :mod:`softmax_cli.sparse`.

Row-batched pieces of the entmax family ``p = relu(z − λ)^{1/(α−1)}``, on a
2-D array of rows in the working dtype (the algorithm, step by step, is in the
docstring of :mod:`softmax_cli.sparse`):

* :class:`Rows` and :class:`Cands`: the rows of one call, split into
  ordinary and limit rows, and the entries that can be in the support
  (``z > max z − 1``), gathered per row when few;
* the support by sorted prefix sums (:func:`sorted_support` with
  :func:`sparsemax_prefix` or :func:`entmax15_prefix`);
* the threshold ``λ`` for general α by safeguarded Newton on a bracket
  (:func:`entmax_threshold`) and its double-word polish (:func:`polish`);
* compensated row sums (:func:`row_sums`) and the assembly of the output.

Nothing here checks arguments: :mod:`softmax_cli.sparse` does, and owns every
error message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .floats import two_prod, two_sum

# Candidates are packed with this filler: below the window ``z ≥ −1 − slack``,
# so it is never in the support and contributes exact zeros.
FILL = -2.0
# Relative slack on the candidate window: taking a few extra candidates is harmless.
SLACK = 2.0**-20
# longdouble has a 64-bit significand here (x87): row sums of float64 can use it.
LONG_SUMS = np.finfo(np.longdouble).nmant >= 63


@dataclass
class Rows:
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
class Cands:
    """The candidates of the ordinary rows, and a packed matrix of them.

    Two layouts, chosen by how many entries are candidates:

    * sparse (few candidates): ``idx`` indexes ``a.ravel()``, ``r`` is the row
      of each candidate, ``z`` the flat array of their scaled gaps, and
      candidate ``j`` sits at ``Z[r[j], pos[j]]`` of the ``(R, K)`` matrix
      (``FILL`` after each row's ``counts`` candidates);
    * dense (many): ``idx`` is ``None`` and ``z`` is the whole ``(R, n)``
      array of scaled gaps; unsorted, ``Z`` is ``z`` itself.

    ``z = scale·(x − m)/τ`` is clipped below at ``FILL`` (and is ``FILL`` in
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

    def unpack(self, M: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`packed`: a packed ``(R, K)`` array lined up with ``z``."""
        return M if self.idx is None else M[self.r, self.pos]

    def take(self, a: np.ndarray) -> np.ndarray:
        """Entries of an ``(R, n)`` array lined up with ``z``."""
        return a if self.idx is None else a.ravel()[self.idx]


def split_rows(a2: np.ndarray) -> Rows:
    """Find row maxima and the output of rows with a nan or an infinite maximum."""
    m = a2.max(axis=1)  # nan propagates: a row holding nan has m = nan
    spec = np.flatnonzero(~np.isfinite(m))
    share = None
    if spec.size:
        hit = a2[spec] == m[spec, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = hit / hit.sum(axis=1, keepdims=True)
        share[np.isnan(m[spec])] = np.nan
    return Rows(a2, m, spec, share)


def pack(
    values: np.ndarray, r: np.ndarray, counts: np.ndarray, fill: float = FILL
) -> tuple[np.ndarray, np.ndarray]:
    """Lay out ``values`` (grouped by row ``r``, rows in order) as ``(R, max count)``.

    Returns the matrix, ``fill`` after each row's values, and each value's column.
    """
    pos = np.arange(r.size) - (np.cumsum(counts) - counts)[r]
    out = np.full((counts.size, max(int(counts.max(initial=0)), 1)), fill, dtype=values.dtype)
    out[r, pos] = values
    return out, pos


def candidates(
    rows: Rows, tau: float, scale: float, dense: float, floor: np.ndarray | float = -1.0
) -> Cands:
    """Entries with ``z = scale·(x − m)/τ > floor`` (and a few more), packed per row.

    With the default ``floor = −1``: the threshold satisfies ``λ ≥ max z − 1``,
    so no other entry can be in the support. One comparison over the input
    finds them; when they are few (at most the fraction ``dense`` of the
    entries), everything after works on them only, else on whole rows. A
    higher ``floor`` (one per row), from a known lower bound on ``λ``, keeps
    fewer.
    """
    a, m = rows.a, rows.m
    dt = a.dtype
    R, n = a.shape
    with np.errstate(over="ignore", invalid="ignore"):
        width = dt.type(tau) / dt.type(scale) * dt.type(1 + SLACK)
        thr = np.where(np.isfinite(m), m + np.asarray(floor, dtype=dt) * width, np.nan)
    mask = a >= thr[:, None]  # nan threshold (limit rows): no candidates
    if np.count_nonzero(mask) > dense * a.size:
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
        np.maximum(z, FILL, out=z)
    if idx is None:
        z[rows.spec] = FILL
        Z = z
    else:
        Z, pos = pack(z, r, counts)
    return Cands(idx, r, z, Z, counts, pos)


def pack_above(Z: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """The entries of each row of ``Z`` above ``floor``, repacked if that halves the width."""
    keep = Z > floor[:, None]
    counts = np.count_nonzero(keep, axis=1)
    if 2 * counts.max(initial=0) > Z.shape[1]:
        return Z
    idx = np.flatnonzero(keep)
    return pack(Z.ravel()[idx], idx // Z.shape[1], counts)[0]


def z_low(rows: Rows, cand: Cands, tau: float, scale: float) -> np.ndarray:
    """The rounding error of each candidate's ``z``: ``scale·(x − m)/τ = z + z_low``.

    Recomputes ``z`` with the same operations as :func:`candidates` and keeps
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
    return np.where(cand.z > FILL, e, 0)


def assemble(rows: Rows, cand: Cands, p: np.ndarray) -> np.ndarray:
    """Put the candidates' values in place (zeros elsewhere) and fill in the limit rows."""
    if cand.idx is None:
        out = p
    else:
        out = np.zeros(rows.a.shape, dtype=rows.a.dtype)
        out.ravel()[cand.idx] = p
    if rows.spec.size:
        out[rows.spec] = rows.share
    return out


def last_true(ok: np.ndarray) -> np.ndarray:
    """Index of the last ``True`` of each row (0 if none)."""
    return ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)


def support_width(kstar: np.ndarray, K: int) -> int:
    """Columns of the sorted candidates worth refining over: the largest support, plus two."""
    return min(K, int(kstar.max()) + 3) if kstar.size else K


def row_sums(M: np.ndarray) -> np.ndarray:
    """Row sums of ``M`` accurate to about one rounding, whatever the number of terms.

    Pairwise halving with TwoSum at every addition; the rounding errors are
    summed apart and added once at the end. A plain sum of one large term and
    many small ones loses up to half an ULP per term, which the normalisation
    of the entmax family would pass on to every entry.
    """
    if M.dtype == np.float64 and LONG_SUMS:  # 11 more bits make the plain pairwise sum enough
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


def relu_shift(Z: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``max(Z − λ, 0)`` with one ``λ`` per row."""
    t = Z - lam[:, None]
    return np.maximum(t, 0, out=t)


def sparsemax_prefix(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sorted prefix ``k``: is ``z_k`` in the support of the top ``k``, and their threshold."""
    k = np.arange(1, Z.shape[1] + 1, dtype=Z.dtype)
    cs = np.cumsum(Z, axis=1)
    return 1 + k * Z > cs, (cs - 1) / k


def entmax15_prefix(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`sparsemax_prefix` for 1.5-entmax.

    ``λ_k = μ_k − sqrt(1/k − σ²_k)`` from the mean and variance of the top ``k``;
    ``z_k`` is in the support of the top ``k`` iff ``λ_k < z_k``.
    """
    k = np.arange(1, Z.shape[1] + 1, dtype=Z.dtype)
    mean = np.cumsum(Z, axis=1) / k
    delta = 1 / k - (np.cumsum(Z * Z, axis=1) / k - mean * mean)
    lam = mean - np.sqrt(np.maximum(delta, 0))
    return (delta >= 0) & (lam < Z), lam


def sorted_support(
    cand: Cands,
    prefix: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    first_width: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort enough of each row's candidates to see its support; return them, ``λ`` and ``k* − 1``.

    The support is the largest sorted prefix ``k`` whose test passes (in exact
    arithmetic every ``k`` up to the support size passes and none after). Only
    the ``w`` largest candidates are sorted (a partition picks them); ``w``
    starts at ``first_width`` and grows 4× while some row's test still passes
    at its last column.
    """
    w = min(cand.K, first_width)
    while True:
        Z = cand.top(w)
        ok, lam_k = prefix(Z)
        kstar = last_true(ok)
        if w >= cand.K or not (kstar == w - 1).any():
            return Z, lam_k[np.arange(Z.shape[0]), kstar], kstar
        w = min(cand.K, 4 * w)


def powers(t: np.ndarray, beta) -> tuple[np.ndarray, np.ndarray]:
    """``t^β`` and ``t^(β−1)`` (the latter 0 where ``t == 0``), cheaply for β = 2 and 3."""
    if beta == 2:
        return t * t, t
    if beta == 3:
        t2 = t * t
        return t2 * t, t2
    P = np.power(t, beta)
    return P, np.divide(P, t, out=np.zeros_like(P), where=t > 0)


def entmax_threshold(Z: np.ndarray, counts: np.ndarray, alpha: float, beta) -> np.ndarray:
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
            Z = pack_above(Z, lo)
        P, Q = powers(relu_shift(Z, lam), beta)
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


def dd_add(ah, al, bh, bl):
    """Double-word sum ``(ah + al) + (bh + bl)``, renormalised."""
    s, e = two_sum(ah, bh)
    return two_sum(s, e + (al + bl))


def polish(Zh: np.ndarray, Zl: np.ndarray, lam: np.ndarray, beta) -> tuple[np.ndarray, np.ndarray]:
    """``λ`` as a double-word ``λ_hi + λ_lo`` solving ``Σ relu(z − λ)^β = 1``, ``z = Zh + Zl``.

    ``Zh − λ_hi`` is exact near the edge of the support (Sterbenz), so the
    small ``t = z − λ`` there are accurate relative to themselves. From
    ``λ`` at the working precision one Newton step is enough for ``β ≥ 1``.
    For ``β < 1`` the edge entries have ``p ∝ t^β`` with an infinite slope and
    ``t`` can be far below the working precision (``t ≈ p^{α−1}``), so the
    same safeguarded Newton as :func:`entmax_threshold` runs again in
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
            P, Q = powers(np.maximum(t, 0, out=t), beta)
            f = row_sums(P) - 1
            step = f / (beta * Q.sum(axis=1))
        step = np.where(np.isfinite(step), step, 0)  # limit rows: nothing to do
        if beta >= 1:
            return dd_add(lh, ll, step, 0)
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
        nh, nl = dd_add(lh, ll, step, 0)
        inside = ((nh - lo_h) + (nl - lo_l) > 0) & ((hi_h - nh) + (hi_l - nl) > 0)
        ok = inside & (tiny | (np.abs(2 * step) <= np.abs(dx_old)))
        mh, ml = dd_add(lo_h, lo_l, hi_h, hi_l)
        mh, ml = dd_add(mh / 2, ml / 2, 0, 0)
        dx_old, dx = dx, np.where(ok, np.abs(step), width / 2)
        lh = np.where(frozen, lh, np.where(ok, nh, mh))
        ll = np.where(frozen, ll, np.where(ok, nl, ml))
    return lh, ll


def edge_rows(cand: Cands, t: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Rows with a candidate ``|t| = |z − λ| < √eps·|λ|`` (``t`` lined up with ``cand.z``).

    There (α > 2) an entry near the edge has ``p = t^β`` hanging on digits of
    ``t`` that even a double-word ``λ`` does not hold (it may even sit on the
    wrong side of ``λ``): :func:`solve_edge` recomputes those rows.
    """
    eps = np.finfo(t.dtype).eps
    near = (np.abs(t) < np.sqrt(eps) * np.abs(cand.per_row(lam))) & (cand.z > FILL)
    if cand.idx is None:
        return np.flatnonzero(near.any(axis=1))
    return np.unique(cand.r[near])


def solve_edge(
    Zh: np.ndarray, Zl: np.ndarray, lh: np.ndarray, ll: np.ndarray, alpha: float, beta
) -> np.ndarray:
    """``p`` for rows whose support edge is below what ``z − λ`` can resolve (α > 2).

    ``Zh + Zl`` are the packed candidates of these rows and ``lh + ll`` their
    double-word ``λ``. The unknown is moved from ``λ`` to the edge: with ``r`` the
    smallest candidate that may be in the support (``t > −δ``), its ``c`` ties and
    the gaps ``d_i = z_i − z_r`` (double-word, exact to about ``eps²``), the
    edge's own probability ``u = (z_r − λ)^β`` solves

        h(u) = c·u + Σ_{d_i > 0} (d_i + u^{α−1})^β − 1 = 0,

    increasing in ``u``, so bisection on ``[0, 1/c]`` then Newton steps find it
    to the working precision **relative to u** (issue 19: ``entmax_bisect([0,
    −0.049], 20)`` has ``z_r − λ ≈ 1e−46``, far below ``eps²``; the old answer
    was off by 0.018). If ``h(0) ≥ 0`` the edge candidate is outside the support
    (or exactly on its edge, ``p_r = 0``) and ``p_i = d_i^β``: ``λ`` is within ``δ``
    of ``z_r``, and every other gap is far larger than ``δ``.
    """
    dt = Zh.dtype
    eps = np.finfo(dt).eps
    R = Zh.shape[0]
    rows = np.arange(R)
    t = (Zh - lh[:, None]) + (Zl - ll[:, None])
    maybe = (t > -8 * eps * eps * np.abs(lh)[:, None]) & (Zh > FILL)
    r = np.argmin(np.where(maybe, Zh + Zl, np.inf), axis=1)
    zr_h, zr_l = Zh[rows, r][:, None], Zl[rows, r][:, None]
    dh, de = two_sum(Zh, -zr_h)
    d = dh + (de + (Zl - zr_l))
    tie = (Zh == zr_h) & (Zl == zr_l)
    c = np.count_nonzero(tie, axis=1).astype(dt)
    above = d > 0
    dpos = np.where(above, d, 0)
    am1 = dt.type(alpha) - 1

    def h(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = np.power(u, am1)[:, None]
        q = np.where(above, np.power(dpos + w, beta), 0)
        return c * u + row_sums(q) - 1, q

    h0, _ = h(np.zeros(R, dtype=dt))
    inside = h0 < 0
    lo, hi = np.zeros(R, dtype=dt), 1 / c
    for _ in range(np.finfo(dt).nmant + 12):  # bisection: u to about eps absolute
        mid = (lo + hi) / 2
        f, _ = h(mid)
        lo, hi = np.where(f < 0, mid, lo), np.where(f < 0, hi, mid)
    u = (lo + hi) / 2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for _ in range(3):  # Newton: u to the working precision relative to itself
            f, _ = h(u)
            w = np.power(u, am1)[:, None]
            dq = np.where(above, np.power(dpos + w, beta - 1), 0)
            slope = c + beta * am1 * np.power(u, am1 - 1) * dq.sum(axis=1)
            step = np.where(np.isfinite(f / slope), f / slope, 0)
            u = np.clip(u - step, lo, hi)
    _, q = h(u)
    p = np.where(tie, u[:, None], q)
    # h(0) ≥ 0: the edge is outside (λ ≥ z_r, by less than δ ≪ every d_i > 0), p_i = d_i^β
    outside = np.where(above, np.power(dpos, beta), 0)
    return np.where(inside[:, None], p, outside)
