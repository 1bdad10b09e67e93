"""The blocked kernel behind softmax, log_softmax and logsumexp.

This is the numpy path, the reference; :func:`run` first offers the rows to the
optional compiled accelerator (:mod:`softmax_cli._accel`), which computes the
same formulas and hands back what it does not handle.

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

What keeps it fast, none of which changes a bit of any result:

* the rounding error of ``x − m`` costs 2 operations instead of TwoSum's 5 in a
  block where Fast2Sum is exact: every ``|x| ≤ |m|`` (``m ≥ 0`` and
  ``min x ≥ −m``) or every ``|x| ≥ |m|`` (``m ≤ 0``);
* error terms are taken to be finite; a block where one is not (an infinite
  entry, ``x − m`` overflowing) shows it as a non-finite sum and is done again
  with the non-finite error terms set to 0;
* a big input is cut into row ranges (or one long row into column ranges) run
  by up to :data:`THREADS` threads: numpy lets go of the GIL inside each
  operation, and every row's result is the same however the rows are cut.
"""

from __future__ import annotations

import math
import os
from itertools import pairwise

import numpy as np

from . import _accel
from .floats import two_prod, two_sum

#: elements per block of a long row: 32 Ki float64 = 256 KiB, the four a block uses fit in L2
BLOCK = 1 << 15
#: elements per block of short rows (whole rows; at least one row): as many as BLOCK
ROW_BLOCK = 1 << 15
#: adding this to q < −400 is exact; exp(q + RESCALE) keeps subnormal terms' digits
RESCALE = 200.0
#: inputs with fewer elements run in the calling thread alone (a thread costs ~0.1 ms)
THREAD_MIN = 1 << 19

SOFTMAX, LOG_SOFTMAX, LSE = "softmax", "log_softmax", "lse"

# how a block finds the rounding error e of d = fl(x − m)
_TWO_SUM = 0  # Knuth's TwoSum: any x
_SMALL_X = 1  # Fast2Sum(−m, x), e = x − (d + m): needs |x| ≤ |m|
_LARGE_X = 2  # Fast2Sum(x, −m), e = (x − d) − m: needs |x| ≥ |m|
_MAX_MISSES = 4  # blocks whose min(x) ruled out _SMALL_X before the check is given up


def _default_threads() -> int:
    """``SOFTMAX_LAB_THREADS`` if set (1 = no threads), else the usable CPUs, at most 4."""
    text = os.environ.get("SOFTMAX_LAB_THREADS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


#: threads one call may use (``SOFTMAX_LAB_THREADS`` overrides; 1 turns threading off)
THREADS = _default_threads()


class _Scratch:
    """Reusable block-sized buffers, so the block loop allocates nothing (one per thread)."""

    def __init__(self, size: int, wd: np.dtype) -> None:
        self.bufs = [np.empty(size, dtype=wd) for _ in range(5)]
        self.misses = 0
        self.views: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def view(self, i: int, shape: tuple[int, ...]) -> np.ndarray:
        got = self.views.get((i, shape))
        if got is None:  # blocks mostly share one shape: its views are made once
            got = self.views[i, shape] = self.bufs[i][: math.prod(shape)].reshape(shape)
        return got


def _zero_nonfinite(e: np.ndarray) -> None:
    """Error terms are nan or inf where an entry or q is infinite; no correction there."""
    if not np.isfinite(np.add.reduce(e, axis=None)):
        np.copyto(e, 0, where=~np.isfinite(e))


def _error_method(x: np.ndarray, m, sc: _Scratch) -> int:
    """The cheapest formula that gives the exact error of ``x − m`` in this block.

    ``m`` is the row maximum (a scalar, or a column for a block of rows); rows whose
    maximum is not finite have ``m = 0`` and are overwritten later, so they may get
    any formula.
    """
    if x.ndim == 1:  # a block of one long row: m is a scalar (plain comparisons are cheaper)
        if m <= 0:  # x ≤ m ≤ 0
            return _LARGE_X
        if sc.misses < _MAX_MISSES and m >= 0:
            if x.min() >= -m:  # −m ≤ x ≤ m (nan compares false)
                return _SMALL_X
            sc.misses += 1
        return _TWO_SUM
    if (m <= 0).all():
        return _LARGE_X
    if sc.misses < _MAX_MISSES and (m >= 0).all():
        if (x.min(axis=-1, keepdims=True) >= -m).all():
            return _SMALL_X
        sc.misses += 1
    return _TWO_SUM


def _q_terms(x: np.ndarray, m, tau: float, wd: np.dtype, sc: _Scratch, method: int, careful):
    """``q, qe`` with ``(x − m)/τ = q + qe`` (nearly exactly) for a block.

    ``q`` lives in scratch buffer 0 and ``qe`` in buffer 2 (buffers 1 and 4 are
    scratch). With ``careful`` the
    error terms that are not finite (at infinite entries) are set to 0; without it
    they are left as they come, for the caller to notice in its sum.
    """
    x = x.astype(wd, copy=False)
    d, bb, e = sc.view(0, x.shape), sc.view(1, x.shape), sc.view(2, x.shape)
    if np.ndim(m) == 2 and x.shape[1] > 1:
        # a column of row maxima: spread it once, so the operations below run on
        # contiguous operands (a broadcast one costs a call of the inner loop per row)
        spread = sc.view(4, x.shape)
        np.copyto(spread, m)
        m = spread
    np.subtract(x, m, out=d)
    if method == _SMALL_X:
        np.add(d, m, out=e)
        np.subtract(x, e, out=e)
    elif method == _LARGE_X:
        np.subtract(x, d, out=e)
        np.subtract(e, m, out=e)
    else:  # TwoSum: d + e = x − m exactly
        np.subtract(d, x, out=bb)
        np.subtract(d, bb, out=e)
        np.subtract(x, e, out=e)
        np.add(m, bb, out=bb)  # −(−m − bb), exactly: rounding is symmetric
        e -= bb
    if tau != 1.0:  # TwoProduct: q·τ + pe = d exactly up to the last bits
        fi = np.finfo(wd)
        if not fi.tiny * 2.0 ** (2 * fi.nmant + 2) <= tau <= fi.max / 2.0 ** (fi.nmant // 2 + 3):
            # a subnormal τ (the product's error term would be subnormal and lose its
            # digits) or a huge one (Veltkamp's split of τ would overflow): scale d, e
            # and τ by one power of 2 so τ is near 1 (exact but for digits far below
            # q's; an overflowing d is −inf, whose exp is the right 0)
            k = -np.frexp(wd.type(tau))[1]
            np.ldexp(d, k, out=d)
            np.ldexp(e, k, out=e)
            tau = np.ldexp(wd.type(tau), k)
        q = d / tau
        p, pe = two_prod(q, tau)
        d -= p
        d -= pe
        d += e
        np.divide(d, tau, out=e)
        d[...] = q
    if careful:
        _zero_nonfinite(e)
    return d, e


def _scaled_rest(q: np.ndarray, qe: np.ndarray, kcol: np.ndarray, w: np.ndarray | None):
    """``Σ_{j≠k} t_j`` summed at ``exp(q + 200)`` scale: for rows where it is subnormal."""
    t = np.exp(q + RESCALE)
    t += t * qe
    rows = np.arange(q.shape[0])
    if w is not None:
        t *= w
    t[rows, kcol] = 0
    return t.sum(axis=-1) * np.exp(q.dtype.type(-RESCALE))


def _ranges(total: int, align: int, parts: int) -> list[tuple[int, int]]:
    """``[0, total)`` cut into at most ``parts`` ranges whose starts are multiples of ``align``."""
    units = -(-total // align)
    parts = max(1, min(parts, units))
    cuts = [min(total, (units * i // parts) * align) for i in range(parts + 1)]
    return [(lo, hi) for lo, hi in pairwise(cuts) if hi > lo]


def _in_threads(fn, ranges: list[tuple[int, int]]) -> list:
    """``[fn(lo, hi) for lo, hi in ranges]``, a thread per range when there are several."""
    if not ranges:  # a batch of no rows
        return []
    if len(ranges) == 1:
        return [fn(*ranges[0])]
    import threading

    results: list = [None] * len(ranges)
    errors: list[BaseException] = []

    def work(i: int, lo: int, hi: int) -> None:
        try:
            with np.errstate(all="ignore"):  # error state is per thread
                results[i] = fn(lo, hi)
        except BaseException as err:  # pragma: no cover - re-raised below
            errors.append(err)

    threads = [
        threading.Thread(target=work, args=(i, lo, hi), daemon=True)
        for i, (lo, hi) in enumerate(ranges[1:], 1)
    ]
    for th in threads:
        th.start()
    work(0, *ranges[0])
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return results


def run(
    a: np.ndarray,
    tau: float,
    mode: str,
    out_dtype: np.dtype,
    wd: np.dtype,
    w: np.ndarray | None = None,
    dest: np.ndarray | None = None,
    accel: bool = True,
) -> np.ndarray:
    """Apply ``mode`` to every row of the 2-D array ``a`` (any float dtype, any strides).

    Returns an array of ``a``'s shape in ``out_dtype`` (softmax, log-softmax),
    or one value per row in ``wd`` (logsumexp: ``m + τ·log1p(rest)``).
    ``w`` holds non-negative weights (logsumexp only). ``dest``, an array of
    ``a``'s shape in ``out_dtype`` sharing no memory with ``a``, is written
    and returned instead of a new array (softmax, log-softmax).

    The compiled accelerator (:mod:`softmax_cli._accel`) does the rows it can,
    in up to :data:`THREADS` threads; the rest, and everything when it is
    absent or off (or ``accel`` is false), take the numpy path: the reference.
    """
    job = _accel.job(a, tau, mode, out_dtype, wd, w, dest) if accel else None
    if job is not None:
        threads = THREADS if a.size >= THREAD_MIN else 1
        if a.shape[1] >= _accel.LONG:  # by length alone, so no bit depends on the threads

            def spread(fn, total: int) -> list:
                return _in_threads(fn, _ranges(total, _accel.SEG, threads))

            for r in range(a.shape[0]):
                job.long_row(r, spread)
        else:
            _in_threads(job.rows, _ranges(a.shape[0], 1, threads))
        return job.finish(lambda part: run(part, tau, mode, out_dtype, wd, accel=False))
    rows, n = a.shape
    if tau > 1:
        wide = _overflowing_rows(a, wd)
        if wide.size:  # x − max would overflow before the division by τ: halve x and τ
            res = _halved(a, tau, mode, out_dtype, wd, w, wide)
            if dest is None:
                return res
            dest[...] = res
            return dest
    src = a if w is None else np.where(w == 0, -np.inf, a)
    k = np.argmax(src, axis=1)
    ridx = np.arange(rows)
    m = src[ridx, k].astype(wd)
    nan_rows = np.isnan(m)
    special = np.isinf(m)
    bad = nan_rows | special
    m_eff = np.where(bad, 0, m)[:, None]
    rest = np.empty(rows, dtype=wd)
    if mode == LSE:
        out = None
    else:
        out = dest if dest is not None else np.empty((rows, n), dtype=out_dtype)
    threads = THREADS if rows * n >= THREAD_MIN else 1
    with np.errstate(all="ignore"):
        if n < BLOCK:
            step = max(1, ROW_BLOCK // n)

            def row_range(lo: int, hi: int) -> None:
                sc = _Scratch(min(hi - lo, step) * n, wd)
                for r0 in range(lo, hi, step):
                    r1 = min(hi, r0 + step)
                    _row_block(src, w, r0, r1, k, m_eff, tau, mode, wd, rest, out, sc)

            _in_threads(row_range, _ranges(rows, step, threads))
        else:
            for r in range(rows):
                _long_row(src, w, r, int(k[r]), m_eff[r, 0], tau, mode, wd, rest, out, threads)
        if bad.any():
            _limits(src, bad, nan_rows, m, mode, out)
    if mode == LSE:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # per row, in the wider dtype: log1p, ×τ and +m then round once
            ext = _extended(wd)
            r_ext = rest.astype(ext)
            if w is None:
                mass = np.log1p(r_ext)
            else:
                mass = _log_weighted_mass(r_ext, w[ridx, k].astype(ext))
            lse = (m_eff[:, 0].astype(ext) + ext.type(tau) * mass).astype(wd)
        lse = np.where(special, m, lse)
        return np.where(nan_rows, np.nan, lse)
    return out


def _overflowing_rows(a: np.ndarray, wd: np.dtype) -> np.ndarray:
    """Rows where ``x − max`` can overflow (some entry beyond half the float range, both signs)."""
    half = np.finfo(wd).max / 2
    with np.errstate(invalid="ignore"):
        big = np.abs(a) > half
    if not big.any():
        return np.empty(0, dtype=np.intp)
    finite = np.where(np.isfinite(a), a, 0)
    return np.flatnonzero((finite.max(axis=1) > 0) & (finite.min(axis=1) < 0) & big.any(axis=1))


def _halved(a, tau, mode, out_dtype, wd, w, wide) -> np.ndarray:
    """:func:`run`, with the rows ``wide`` computed on ``x/2`` at ``τ/2`` (both exact).

    ``(x/2 − m/2)/(τ/2) = (x − m)/τ``, and ``x/2 − m/2`` cannot overflow; a
    logsumexp is twice the halved one.
    """
    rest = np.setdiff1d(np.arange(a.shape[0]), wide)
    sub_w = None if w is None else w[wide]
    half = run(a[wide].astype(wd) / 2, tau / 2, mode, out_dtype, wd, sub_w)
    if mode == LSE:
        with np.errstate(over="ignore"):
            half = half * 2
        out = np.empty(a.shape[0], dtype=half.dtype)
    else:
        out = np.empty(a.shape, dtype=out_dtype)
    out[wide] = half
    if rest.size:
        out[rest] = run(a[rest], tau, mode, out_dtype, wd, None if w is None else w[rest])
    return out


def _extended(wd: np.dtype) -> np.dtype:
    """The dtype per-row results are finished in: longdouble where it is wider than ``wd``."""
    ld = np.dtype(np.longdouble)
    return ld if np.finfo(ld).nmant > np.finfo(wd).nmant else np.dtype(wd)


def _log1p_split(s, wd: np.dtype):
    """``log1p(s) = hi + lo``: computed in the extended dtype, split into two ``wd`` parts."""
    full = np.log1p(np.asarray(s, dtype=_extended(wd)))
    hi = full.astype(wd)
    return hi, (full - hi).astype(wd)


def _log_weighted_mass(rest: np.ndarray, wk: np.ndarray) -> np.ndarray:
    """``log(w_k + rest)``, the log of the weighted mass beside the max's weight ``w_k``.

    Near 1 it is ``log1p`` of ``(w_k − 1) + rest`` with ``w_k − 1`` split exactly
    (TwoSum); elsewhere ``log`` of the sum, which is well conditioned there — so a
    small ``w_k`` is never turned into ``w_k − 1 ≈ −1`` and its digits lost.
    """
    total = wk + rest
    hi, lo = two_sum(wk, np.full_like(wk, -1))
    near = (total >= 0.5) & (total <= 2)
    return np.where(near, np.log1p((hi + rest) + lo), np.log(total))


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
    xb, mb, kb = src[r0:r1], m_eff[r0:r1], k[r0:r1]
    rb = np.arange(r1 - r0)
    direct = mode == SOFTMAX and out.dtype == wd
    method = _error_method(xb, mb, sc)
    careful = False
    while True:
        q, qe = _q_terms(xb, mb, tau, wd, sc, method, careful)
        dest = out[r0:r1] if direct else sc.view(1, q.shape)
        t = _exp_into(q, qe, dest, sc.view(3, q.shape) if mode == LOG_SOFTMAX else None)
        if w is not None:
            wb = w[r0:r1].astype(wd, copy=False)
            t *= wb
        t[rb, kb] = 0  # the max's term (exactly 1, or its weight) is added by the caller
        s = t.sum(axis=-1)
        if careful or np.isfinite(s).all():
            break
        careful = True  # an error term was not finite: again, with those set to 0
    low = (s < np.finfo(wd).tiny) & (s > 0)
    if low.any() and mode != SOFTMAX:
        q2, qe2 = (
            v.copy()
            for v in _q_terms(
                xb[low],
                mb[low],
                tau,
                wd,
                _Scratch(int(low.sum()) * q.shape[1], wd),
                _TWO_SUM,
                True,
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
        hi, lo = _log1p_split(s, wd)
        _write_log(q, qe, (hi[:, None], lo[:, None]), out[r0:r1], sc, careful)


def _write_log(q, qe, lse_parts, dest, sc, careful) -> None:
    """``dest = q − lse`` rounded once, with the TwoSum error, ``qe`` and ``lse``'s low part
    added back (``lse_parts = (hi, lo)``).

    Uses scratch buffers 1 (unless ``dest`` is in the working dtype), 3 and 4
    (``q`` is buffer 0, ``qe`` buffer 2). A column of per-row ``lse`` is spread
    into buffer 4 first, so that no operation loops over rows.
    """
    hi = dest if dest.dtype == q.dtype else sc.view(1, q.shape)
    err, c = sc.view(3, q.shape), sc.view(4, q.shape)
    lse, lse_lo = lse_parts
    if np.ndim(lse) == 2 and q.shape[1] > 1:
        np.copyto(c, lse)
        lse = c
    np.subtract(q, lse, out=hi)
    np.subtract(hi, q, out=err)  # TwoSum(q, −lse), bb in err
    np.add(lse, err, out=c)  # lse + bb = −(−lse − bb), exactly
    np.subtract(hi, err, out=err)
    np.subtract(q, err, out=err)
    err -= c
    if careful:  # else q and lse are finite, and so is err
        _zero_nonfinite(err)
    err += qe
    err -= lse_lo
    hi += err
    if hi is not dest:
        dest[...] = hi


def _long_row(src, w, r, kr, m_r, tau, mode, wd, rest, out, threads) -> None:
    n = src.shape[1]
    direct = mode == SOFTMAX and out.dtype == wd
    ranges = _ranges(n, BLOCK, threads)
    scratch = {lo: _Scratch(BLOCK, wd) for lo, _ in ranges}

    def first_pass(lo: int, hi: int) -> list[tuple[float, int, bool]]:
        """Per block: the sum of its terms, its error formula, whether it needed care."""
        sc, blocks = scratch[lo], []
        for c0 in range(lo, hi, BLOCK):
            c1 = min(hi, c0 + BLOCK)
            xb = src[r, c0:c1]
            method = _error_method(xb, m_r, sc)
            careful = False
            while True:
                q, qe = _q_terms(xb, m_r, tau, wd, sc, method, careful)
                t = _exp_into(q, qe, out[r, c0:c1] if direct else sc.view(1, q.shape), None)
                if w is not None:
                    t *= w[r, c0:c1]
                if c0 <= kr < c1:
                    t[kr - c0] = 0
                total = t.sum()
                if careful or np.isfinite(total):
                    break
                careful = True
            if direct and c0 <= kr < c1:
                t[kr - c0] = 1
            blocks.append((total, method, careful))
        return blocks

    blocks = [b for part in _in_threads(first_pass, ranges) for b in part]
    sums = [b[0] for b in blocks]
    s = wd.type(math.fsum(sums)) if wd == np.float64 else np.sum(np.array(sums, dtype=wd))
    if 0 < s < np.finfo(wd).tiny and mode != SOFTMAX:
        q, qe = (v.copy() for v in _q_terms(src[r], m_r, tau, wd, _Scratch(n, wd), _TWO_SUM, True))
        wr = None if w is None else w[r][None, :]
        s = _scaled_rest(q[None, :], qe[None, :], np.array([kr]), wr)[0]
    rest[r] = s
    if mode == LSE:
        return
    lse = _log1p_split(s, wd)

    def second_pass(lo: int, hi: int) -> None:
        """Normalise, or write the logs."""
        sc = scratch[lo]
        for c0 in range(lo, hi, BLOCK):
            c1 = min(hi, c0 + BLOCK)
            if direct:
                out[r, c0:c1] /= 1 + s
                continue
            _, method, careful = blocks[c0 // BLOCK]
            q, qe = _q_terms(src[r, c0:c1], m_r, tau, wd, sc, method, careful)
            if mode == SOFTMAX:  # recomputed in working precision, so the result rounds once
                t = _exp_into(q, qe, sc.view(1, q.shape), None)
                if c0 <= kr < c1:
                    t[kr - c0] = 1
                t /= 1 + s
                out[r, c0:c1] = t
            else:
                _write_log(q, qe, lse, out[r, c0:c1], sc, careful)

    _in_threads(second_pass, ranges)


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
