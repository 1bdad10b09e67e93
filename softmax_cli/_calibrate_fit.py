"""The root finding behind :func:`softmax_cli.calibrate.fit_temperature` (private).

The mean loss of ``βx`` and its β-derivatives (:class:`SoftmaxNLL`, :class:`LossOfBeta`)
and a safeguarded Newton/secant search for the root of the derivative (:func:`solve`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._expkernel import THREAD_MIN, THREADS, _in_threads, _ranges

#: values per block of rows in the fit (a block's buffers stay in the cache)
CHUNK_VALUES = 1 << 17
_MAX_ITERATIONS = 400


#: rows up to this many classes take their maxima column by column (in cache-sized blocks)
_NARROW = 32


def row_max(x: np.ndarray) -> np.ndarray:
    """Each row's maximum (2-D ``x``, finite or -inf; no nan): ``x.max(axis=1)``, faster.

    numpy reduces a short row with a call per row; a block of narrow rows compared
    column by column is a few vectorised passes over data in cache (blocks run in
    threads for a large ``x``).

    Examples
    --------
    >>> row_max(np.array([[1.0, 3.0, 3.0], [-np.inf, -1.0, -2.0]])).tolist()
    [3.0, -1.0]
    """
    n, cols = x.shape
    if cols > _NARROW or n == 0:
        return x.max(axis=1)
    m = np.empty(n, dtype=x.dtype)
    step = max(1, CHUNK_VALUES // cols)

    def rows(lo: int, hi: int) -> None:
        for a in range(lo, hi, step):
            b = min(a + step, hi)
            mb = m[a:b]
            np.copyto(mb, x[a:b, 0])
            for j in range(1, cols):
                np.maximum(mb, x[a:b, j], out=mb)

    _in_threads(rows, _ranges(n, step, THREADS if x.size >= THREAD_MIN else 1))
    return m


def pick(x: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``x[i, cols[i]]`` for each row ``i`` of a C-contiguous 2-D ``x``, by one flat take.

    Examples
    --------
    >>> pick(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, 0])).tolist()
    [2.0, 3.0]
    """
    flat = np.arange(x.shape[0], dtype=np.intp) * x.shape[1] + cols
    return np.take(x.reshape(-1), flat)


class SoftmaxNLL:
    """Mean NLL of softmax(βx) and its first two β-derivatives, all rows at once.

    With ``z = x − max x`` (≤ 0; a row's shift does not change softmax), ``e = exp(βz)``:
    NLL = mean(log Σe − βz_t), NLL' = mean(E_p z − z_t), NLL'' = mean(Var_p z).
    Rows go through in blocks of about :data:`CHUNK_VALUES` values whose buffers stay
    in the cache (no array as large as ``x`` is made), in up to
    :data:`~softmax_cli._expkernel.THREADS` threads for a large ``x`` (numpy lets go
    of the GIL; each row's sums are the same however the rows are cut).
    """

    def __init__(self, x: np.ndarray, t: np.ndarray, m: np.ndarray, finite: bool) -> None:
        self.x, self.m, self.finite = x, m, finite  # not finite: -inf in x (e = 0, z := 0)
        self.t = t
        self.zt = pick(x, t) - m
        self.step = max(1, CHUNK_VALUES // max(1, x.shape[1]))
        parts = THREADS if x.size >= THREAD_MIN else 1
        self.ranges = _ranges(x.shape[0], self.step, parts)

    def __call__(self, beta: float, second: bool = True) -> tuple[float, float, float]:
        n = self.x.shape[0]
        s, m1, m2 = (np.empty(n, dtype=self.x.dtype) for _ in range(3))

        def rows(lo: int, hi: int) -> None:
            zbuf = np.empty((min(self.step, hi - lo), self.x.shape[1]), dtype=self.x.dtype)
            wbuf = np.empty_like(zbuf)
            for a in range(lo, hi, self.step):
                b = min(a + self.step, hi)
                z = np.subtract(self.x[a:b], self.m[a:b, None], out=zbuf[: b - a])
                w = np.multiply(z, beta, out=wbuf[: b - a])
                np.exp(w, out=w)
                if not self.finite:
                    z[np.isneginf(z)] = 0.0
                np.einsum("ij->i", w, out=s[a:b])  # einsum: a fused multiply-add per row
                np.einsum("ij,ij->i", w, z, out=m1[a:b])
                if second:
                    np.einsum("ij,ij,ij->i", w, z, z, out=m2[a:b])

        _in_threads(rows, self.ranges)
        m1 /= s
        value = float(np.mean(np.log(s) - beta * self.zt))
        g = float(np.mean(m1 - self.zt))
        h = np.nan
        if second:
            m2 /= s
            h = float(np.mean(np.maximum(m2 - m1 * m1, 0.0)))
        return value, g, h

    def value(self, beta: float) -> float:
        """The mean NLL alone (no derivative: each block is a shift, an exp and a sum)."""
        n = self.x.shape[0]
        s = np.empty(n, dtype=self.x.dtype)

        def rows(lo: int, hi: int) -> None:
            zbuf = np.empty((min(self.step, hi - lo), self.x.shape[1]), dtype=self.x.dtype)
            for a in range(lo, hi, self.step):
                b = min(a + self.step, hi)
                w = np.subtract(self.x[a:b], self.m[a:b, None], out=zbuf[: b - a])
                if beta != 1:
                    np.multiply(w, beta, out=w)
                np.exp(w, out=w)
                np.einsum("ij->i", w, out=s[a:b])

        _in_threads(rows, self.ranges)
        return float(np.mean(np.log(s) - beta * self.zt))

    def row_sums(self, beta: float, top: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row, with ``e = exp(βz)`` and ``k = top`` (a row's first maximum, ``e_k = 1``):
        ``rest = Σ_{j≠k} e_j``, ``sq = Σ_{j≠k} e_j²`` and the label's ``e_t``.

        One blocked pass (the blocks and threads of :meth:`__call__`) serves every
        measure of softmax(βx): ``Σe = 1 + rest`` and ``log Σe = log1p(rest)`` keep a
        small ``rest`` whole, ``max p = 1/(1 + rest)``, ``p_t = e_t/(1 + rest)`` and
        ``Σp² = (1 + sq)/(1 + rest)²``. Sums are in the working dtype (float64 or
        longdouble), each row's the same however the rows are cut.
        """
        n, cols = self.x.shape
        rest, sq = np.empty(n, dtype=self.x.dtype), np.empty(n, dtype=self.x.dtype)

        def rows(lo: int, hi: int) -> None:
            zbuf = np.empty((min(self.step, hi - lo), cols), dtype=self.x.dtype)
            starts = np.arange(zbuf.shape[0]) * cols  # each row's first element in a block
            for a in range(lo, hi, self.step):
                b = min(a + self.step, hi)
                w = np.subtract(self.x[a:b], self.m[a:b, None], out=zbuf[: b - a])
                np.multiply(w, beta, out=w)
                np.exp(w, out=w)
                w.reshape(-1)[starts[: b - a] + top[a:b]] = 0.0  # the top term, exactly 1
                np.einsum("ij->i", w, out=rest[a:b])
                np.einsum("ij,ij->i", w, w, out=sq[a:b])

        _in_threads(rows, self.ranges)
        return rest, sq, np.exp(self.zt * beta)


class LossOfBeta:
    """Mean registry loss of ``βx`` and its β-derivative ``mean ⟨∇_z L, x⟩`` (no second)."""

    def __init__(self, x: np.ndarray, t: np.ndarray, loss: Any, params: dict[str, Any]) -> None:
        self.x, self.t, self.loss, self.params = x, t, loss, params

    def __call__(self, beta: float, second: bool = False) -> tuple[float, float, float]:
        value, grad = self.loss.func(beta * self.x, self.t, -1, **self.params)
        g = float(np.mean(np.einsum("ij,ij->i", grad, self.x)))
        return float(np.mean(value)), g, np.nan

    def value(self, beta: float) -> float:
        """The mean loss alone."""
        return self(beta)[0]


def _lands(step: float, last: float, beta: float, eps: float) -> bool:
    """Whether a Newton step leaves β within a thousandth of an ULP of the root.

    Newton's error after a step of size ``d`` is ``C·d²`` near the root (``C`` the
    third derivative of the loss over twice its second); two steps in a row measure
    ``C ≈ |d_k|/d_{k−1}²``. With that estimate taken 1000 times too small the
    step must still land within ``eps·β``: so only the last, confirming pass is
    saved, and only where the quadratic contraction was seen.

    Examples
    --------
    >>> _lands(1e-13, 1e-7, 1.0, 2.2e-16), _lands(1e-9, 1e-5, 1.0, 2.2e-16)
    (True, False)
    """
    if not np.isfinite(last) or abs(step) >= last:
        return False
    c = abs(step) / (last * last)
    return 1000.0 * c * step * step <= eps * beta


def solve(f: Any, eps: float, newton: bool, start: float = 1.0) -> tuple[float, float, int]:
    """The root of the nondecreasing ``f(β)[1]`` on (0, ∞), known to lie inside it.

    ``start`` only decides where the search begins (a subset's root, for speed):
    the bracket and the stopping rule are the full data's.
    """
    lo, hi = 0.0, np.inf
    g_lo, g_hi = np.nan, np.nan  # the derivative at lo and hi, once evaluated
    beta = float(start) if np.isfinite(start) and start > 0 else 1.0
    value, g, h = f(beta, newton)
    k = 1
    last = np.inf  # the previous Newton step's size
    for k in range(1, _MAX_ITERATIONS + 1):
        if g == 0:
            return beta, value, k
        if g < 0:
            lo, g_lo = beta, g
        else:
            hi, g_hi = beta, g
        if hi < np.inf and hi - lo <= 4 * eps * hi:
            break
        if newton and h > 0:
            step = -g / h
            if abs(step) <= eps * beta:  # converged: the step is below the resolution of β
                return beta, value, k
            if _lands(step, last, beta, eps) and lo < beta + step < hi:
                # the error after this step is below an ULP of β: take it without a pass;
                # the loss there by Taylor (its error, of order step³, is far below an ULP)
                return beta + step, value + step * (g + 0.5 * h * step), k
            last = abs(step)
        elif np.isfinite(g_lo) and np.isfinite(g_hi):  # secant through the bracket's ends
            step = lo + (hi - lo) * (-g_lo / (g_hi - g_lo)) - beta
        else:
            step = np.nan
        cand = beta + step
        if not (lo < cand < hi) or not np.isfinite(cand):
            cand = 2 * beta if hi == np.inf else 0.5 * (lo + hi)
        elif not newton and np.isfinite(hi) and (cand - lo < 0.01 * (hi - lo)):
            cand = lo + 0.01 * (hi - lo)  # regula falsi stalls at one end: keep moving in
        elif not newton and np.isfinite(hi) and (hi - cand < 0.01 * (hi - lo)):
            cand = hi - 0.01 * (hi - lo)
        if not lo < cand < hi:
            break  # no float strictly inside the bracket is left
        beta = cand
        value, g, h = f(beta, newton)
    # the bracket is a few ULP wide: take whichever end has the smaller |derivative|
    ends = [(abs(gv), b) for b, gv in ((lo, g_lo), (hi, g_hi)) if np.isfinite(gv) and b > 0]
    best = min(ends)[1] if ends else beta
    if best != beta:
        beta = best
        value = f.value(beta)
    return beta, value, k
