"""The blocked kernel behind softmax, log_softmax and logsumexp.

It works on a 2-D array of rows (one vector per row) in cache-sized blocks,
so the several cheap passes the accurate algorithm makes (shift with TwoSum,
divide by τ with TwoProduct, exp, first-order correction, sum) run on data in
cache and memory is read about as often as by the plain ``exp(x − max)/Σ``:

* rows shorter than a block: several whole rows per block, finished in-block;
* longer rows: the row in column blocks; block sums are added exactly
  (``math.fsum``), then a second pass divides (softmax) or writes
  ``q − log1p(rest)`` (log-softmax).

Why it is accurate: with ``m = x_k`` the first maximum, ``(x − m)/τ = q + qe``
exactly up to ~2⁻¹⁰⁶ relative; ``exp(q + qe) ≈ exp(q)(1 + qe)``; the k-th term
is exactly 1, so ``rest = Σ_{j≠k} t_j`` is summed without it and
``log Σ t = log1p(rest)`` keeps every digit of a small ``rest``.
"""

from __future__ import annotations

import math

import numpy as np

from .floats import two_prod

#: elements per block: 16 Ki float64 = 128 KiB, a few of which fit in L2 cache
BLOCK = 1 << 14
#: adding this to q < −400 is exact; exp(q + RESCALE) keeps subnormal terms' digits
RESCALE = 200.0

SOFTMAX, LOG_SOFTMAX, LSE = "softmax", "log_softmax", "lse"


class _Scratch:
    """Reusable block-sized buffers, so the block loop allocates nothing."""

    def __init__(self, size: int, wd: np.dtype) -> None:
        self.bufs = [np.empty(size, dtype=wd) for _ in range(5)]

    def view(self, i: int, shape: tuple[int, ...]) -> np.ndarray:
        return self.bufs[i][: math.prod(shape)].reshape(shape)


def _zero_nonfinite(e: np.ndarray) -> None:
    """Error terms are nan or inf where an entry or q is infinite; no correction there."""
    if not np.isfinite(np.add.reduce(e, axis=None)):
        np.copyto(e, 0, where=~np.isfinite(e))


def _q_terms(x: np.ndarray, m, tau: float, wd: np.dtype, sc: _Scratch):
    """``q, qe`` with ``(x − m)/τ = q + qe`` (nearly exactly) for a block; ``qe`` 0 at −inf.

    ``q`` lives in scratch buffer 0 and ``qe`` in buffer 2.
    """
    x = x.astype(wd, copy=False)
    d, bb, e = sc.view(0, x.shape), sc.view(1, x.shape), sc.view(2, x.shape)
    np.subtract(x, m, out=d)  # TwoSum: d + e = x − m exactly
    np.subtract(d, x, out=bb)
    np.subtract(d, bb, out=e)
    np.subtract(x, e, out=e)
    np.subtract(-m, bb, out=bb)
    e += bb
    if tau != 1.0:  # TwoProduct: q·τ + pe = d exactly up to the last bits
        q = d / tau
        p, pe = two_prod(q, tau)
        d -= p
        d -= pe
        d += e
        np.divide(d, tau, out=e)
        d[...] = q
    _zero_nonfinite(e)
    return d, e


def _scaled_rest(q: np.ndarray, qe: np.ndarray, kcol: np.ndarray, w: np.ndarray | None):
    """``Σ_{j≠k} t_j`` summed at ``exp(q + 200)`` scale: for rows where it is subnormal."""
    t = np.exp(q + RESCALE)
    t += t * qe
    rows = np.arange(q.shape[0])
    if w is not None:
        t *= w
        t[rows, kcol] = (w[rows, kcol] - 1) * np.exp(q.dtype.type(RESCALE))
    else:
        t[rows, kcol] = 0
    return t.sum(axis=-1) * np.exp(q.dtype.type(-RESCALE))


def run(
    a: np.ndarray,
    tau: float,
    mode: str,
    out_dtype: np.dtype,
    wd: np.dtype,
    w: np.ndarray | None = None,
) -> np.ndarray:
    """Apply ``mode`` to every row of the 2-D array ``a`` (any float dtype, any strides).

    Returns an array of ``a``'s shape in ``out_dtype`` (softmax, log-softmax),
    or one value per row in ``wd`` (logsumexp: ``m + τ·log1p(rest)``).
    ``w`` holds non-negative weights (logsumexp only).
    """
    rows, n = a.shape
    src = a if w is None else np.where(w == 0, -np.inf, a)
    k = np.argmax(src, axis=1)
    ridx = np.arange(rows)
    m = src[ridx, k].astype(wd)
    nan_rows = np.isnan(m)
    special = np.isinf(m)
    bad = nan_rows | special
    m_eff = np.where(bad, 0, m)[:, None]
    rest = np.empty(rows, dtype=wd)
    out = None if mode == LSE else np.empty((rows, n), dtype=out_dtype)
    with np.errstate(all="ignore"):
        if n < BLOCK:
            step = max(1, BLOCK // n)
            sc = _Scratch(min(rows, step) * n, wd)
            for r0 in range(0, rows, step):
                r1 = min(rows, r0 + step)
                _row_block(src, w, r0, r1, k, m_eff, tau, mode, wd, rest, out, sc)
        else:
            sc = _Scratch(BLOCK, wd)
            for r in range(rows):
                _long_row(src, w, r, int(k[r]), m_eff[r, 0], tau, mode, wd, rest, out, sc)
        if bad.any():
            _limits(src, bad, nan_rows, m, mode, out)
    if mode == LSE:
        with np.errstate(divide="ignore", invalid="ignore"):
            lse = m_eff[:, 0] + tau * np.log1p(rest)
        lse = np.where(special, m, lse)
        return np.where(nan_rows, np.nan, lse)
    return out


def _exp_into(q: np.ndarray, qe: np.ndarray, dest: np.ndarray, keep_qe: np.ndarray | None):
    """``dest = exp(q)(1 + qe)``; ``qe`` is consumed unless ``keep_qe`` gives room to spare it."""
    t = np.exp(q, out=dest)
    if keep_qe is None:
        qe *= t
        t += qe
    else:
        np.multiply(qe, t, out=keep_qe)
        t += keep_qe
    return t


def _row_block(src, w, r0, r1, k, m_eff, tau, mode, wd, rest, out, sc) -> None:
    q, qe = _q_terms(src[r0:r1], m_eff[r0:r1], tau, wd, sc)
    kb = k[r0:r1]
    rb = np.arange(r1 - r0)
    direct = mode == SOFTMAX and out.dtype == wd
    dest = out[r0:r1] if direct else sc.view(1, q.shape)
    t = _exp_into(q, qe, dest, sc.view(3, q.shape) if mode == LOG_SOFTMAX else None)
    if w is not None:
        wb = w[r0:r1].astype(wd, copy=False)
        t *= wb
        t[rb, kb] = wb[rb, kb] - 1
    else:
        t[rb, kb] = 0
    s = t.sum(axis=-1)
    low = (s < np.finfo(wd).tiny) & (s > 0)
    if low.any() and mode != SOFTMAX:
        q2, qe2 = (
            v.copy()
            for v in _q_terms(
                src[r0:r1][low],
                m_eff[r0:r1][low],
                tau,
                wd,
                _Scratch(int(low.sum()) * q.shape[1], wd),
            )
        )
        s[low] = _scaled_rest(q2, qe2, kb[low], None if w is None else wb[low])
    rest[r0:r1] = s
    if mode == SOFTMAX:
        t[rb, kb] = 1
        t /= (1 + s)[:, None]
        if not direct:
            out[r0:r1] = t
    elif mode == LOG_SOFTMAX:
        _write_log(q, qe, np.log1p(s)[:, None], out[r0:r1], sc)


def _write_log(q, qe, lse, dest, sc) -> None:
    """``dest = q − lse`` rounded once, with the TwoSum error and ``qe`` added back.

    Uses scratch buffers 1, 3 and 4 (``q`` is buffer 0, ``qe`` buffer 2).
    """
    hi, bb, err = sc.view(1, q.shape), sc.view(3, q.shape), sc.view(4, q.shape)
    np.subtract(q, lse, out=hi)
    np.subtract(hi, q, out=bb)
    np.subtract(hi, bb, out=err)
    np.subtract(q, err, out=err)
    np.subtract(-lse, bb, out=bb)
    err += bb
    _zero_nonfinite(err)
    err += qe
    hi += err
    dest[...] = hi


def _long_row(src, w, r, kr, m_r, tau, mode, wd, rest, out, sc) -> None:
    n = src.shape[1]
    sums = []
    direct = mode == SOFTMAX and out.dtype == wd
    for c0 in range(0, n, BLOCK):
        c1 = min(n, c0 + BLOCK)
        q, qe = _q_terms(src[r, c0:c1], m_r, tau, wd, sc)
        t = _exp_into(q, qe, out[r, c0:c1] if direct else sc.view(1, q.shape), None)
        if w is not None:
            t *= w[r, c0:c1]
        if c0 <= kr < c1:
            t[kr - c0] = (w[r, kr] - 1) if w is not None else 0
        sums.append(t.sum())
        if direct and c0 <= kr < c1:
            t[kr - c0] = 1
    s = wd.type(math.fsum(sums)) if wd == np.float64 else np.sum(np.array(sums, dtype=wd))
    if 0 < s < np.finfo(wd).tiny and mode != SOFTMAX:
        q, qe = (v.copy() for v in _q_terms(src[r], m_r, tau, wd, _Scratch(n, wd)))
        wr = None if w is None else w[r][None, :]
        s = _scaled_rest(q[None, :], qe[None, :], np.array([kr]), wr)[0]
    rest[r] = s
    if mode == LSE:
        return
    lse = np.log1p(s)
    for c0 in range(0, n, BLOCK):  # second pass: normalise, or write the logs
        c1 = min(n, c0 + BLOCK)
        if direct:
            out[r, c0:c1] /= 1 + s
            continue
        q, qe = _q_terms(src[r, c0:c1], m_r, tau, wd, sc)
        if mode == SOFTMAX:  # recomputed in working precision, so the result rounds once
            t = _exp_into(q, qe, sc.view(1, q.shape), None)
            if c0 <= kr < c1:
                t[kr - c0] = 1
            t /= 1 + s
            out[r, c0:c1] = t
        else:
            _write_log(q, qe, lse, out[r, c0:c1], sc)


def _limits(src, bad, nan_rows, m, mode, out) -> None:
    """Rows whose maximum is ±inf take the limit (entries equal to it share); nan rows nan."""
    rows = np.flatnonzero(bad)
    block = src[rows]
    hit = block == m[rows][:, None]
    share = hit / np.maximum(hit.sum(axis=-1, keepdims=True), 1)
    if mode == SOFTMAX:
        out[rows] = share
    elif mode == LOG_SOFTMAX:
        with np.errstate(divide="ignore"):
            out[rows] = np.log(share)
    nan_idx = np.flatnonzero(nan_rows)
    if out is not None and nan_idx.size:
        out[nan_idx] = np.nan
