"""mpmath twins of :mod:`softmax_cli.sparse`, under the caller's working precision.

Each takes one vector of exact mpf values and returns a list of mpf. The
support of every mapping is determined exactly (sorting, then comparisons in
extended precision); the threshold is then closed-form (sparsemax,
1.5-entmax) or found by safeguarded Newton iteration to full precision
(α-entmax). Special values follow the library's rules: a nan gives nan
everywhere; an infinite maximum (some ``+inf``, or every entry ``-inf``) is
shared equally by the entries equal to it; ``-inf`` among finite entries gets 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath
from mpmath import mpf

from ..errors import SoftmaxInputError
from .exp_family import NAN, limit_share
from .exp_family import softmax as _softmax

# Extra bits carried inside each twin; results are rounded to the caller's precision.
_GUARD = 64


def _shifted(xs: Sequence[mpf], scale: mpf, temperature: mpf) -> list[mpf]:
    """``scale·(x − max x)/τ`` for every entry (``-inf`` stays ``-inf``)."""
    m = max(xs)
    return [scale * (v - m) / temperature for v in xs]


def _round(ps: Sequence[mpf]) -> list[mpf]:
    return [+v for v in ps]


def sparsemax(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact sparsemax of ``xs / temperature`` (sort-based).

    With ``z`` sorted descending, the support is the largest ``k`` with
    ``1 + k z_k > Σ_{j≤k} z_j`` and ``λ = (Σ_{j≤k} z_j − 1)/k``.

    Examples
    --------
    >>> [float(v) for v in sparsemax([mpf(1), mpf(2), mpf("2.5")])]
    [0.0, 0.25, 0.75]
    """
    share = limit_share(xs)
    if share is not None:
        return share
    with mpmath.workprec(mpmath.mp.prec + _GUARD):
        z = _shifted(xs, mpf(1), temperature)
        zs = sorted((v for v in z if mpmath.isfinite(v)), reverse=True)
        cs, best_k, best_cs = mpf(0), 1, zs[0]
        for k, v in enumerate(zs, start=1):
            cs += v
            if 1 + k * v > cs:
                best_k, best_cs = k, cs
        lam = (best_cs - 1) / best_k
        out = [v - lam if v > lam else mpf(0) for v in z]
    return _round(out)


def entmax15(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact 1.5-entmax of ``xs / temperature`` (sort-based).

    With ``z = x/(2τ)`` sorted descending, ``λ_k = μ_k − sqrt(1/k − σ²_k)`` over the
    top ``k``; the support is the largest ``k`` with ``λ_k < z_k``.

    Examples
    --------
    >>> [mpmath.nstr(v, 12) for v in entmax15([mpf(1), mpf(2), mpf(3)])]
    ['0.0', '0.169281086117', '0.830718913883']
    """
    share = limit_share(xs)
    if share is not None:
        return share
    with mpmath.workprec(2 * mpmath.mp.prec + _GUARD):
        z = _shifted(xs, mpf(1) / 2, temperature)
        zs = sorted((v for v in z if mpmath.isfinite(v)), reverse=True)
        s1 = s2 = mpf(0)
        lam = zs[0] - 1
        for k, v in enumerate(zs, start=1):
            s1 += v
            s2 += v * v
            mean = s1 / k
            delta = mpf(1) / k - (s2 / k - mean * mean)
            if delta < 0:
                continue
            lam_k = mean - mpmath.sqrt(delta)
            if lam_k < v:
                lam = lam_k
        out = [(v - lam) ** 2 if v > lam else mpf(0) for v in z]
    return _round(out)


def _solve_decreasing(f: Callable[[mpf], tuple[mpf, mpf]], lo: mpf, hi: mpf) -> mpf:
    """Root of a decreasing ``f`` on ``[lo, hi]`` (``f(lo) ≥ 0 ≥ f(hi)``), to the working precision.

    ``f`` returns ``(f(λ), −f'(λ))``. Newton steps are taken while they stay
    in the bracket and halve the step before last; otherwise bisection.
    """
    tol = mpmath.ldexp(mpf(1), -mpmath.mp.prec + 2)
    lam = (lo + hi) / 2
    dx_old = dx = hi - lo
    for _ in range(8 * mpmath.mp.prec):
        fv, d = f(lam)
        if fv == 0:
            return lam
        if fv > 0:
            lo = lam
        else:
            hi = lam
        step = fv / d if d > 0 and mpmath.isfinite(d) else None
        if step is not None and lo < lam + step < hi and abs(2 * step) <= abs(dx_old):
            dx_old, dx = dx, abs(step)
            lam = lam + step
        else:
            dx_old, dx = dx, (hi - lo) / 2
            lam = lo + (hi - lo) / 2
        if dx <= tol * abs(lam) or hi - lo <= tol * abs(lam):
            return lam
    return lam


def entmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1), alpha: float = 1.5) -> list[mpf]:
    """Exact α-entmax of ``xs / temperature``; ``alpha == 1`` is softmax, ``alpha == 2`` sparsemax.

    The support is found exactly: with ``z`` sorted descending, entry ``k`` is
    in it iff ``Σ_{i<k} (z_i − z_k)^{1/(α−1)} < 1``. On that support ``λ``
    solves ``Σ (z_i − λ)^{1/(α−1)} = 1`` between the next entry and ``z_k``.

    Examples
    --------
    >>> [mpmath.nstr(v, 12) for v in entmax([mpf(0), mpf(1)], alpha=1.25)]
    ['0.22456959127', '0.77543040873']
    >>> [mpmath.nstr(v, 12) for v in entmax([mpf(0), mpf(1)], alpha=1)]
    ['0.26894142137', '0.73105857863']
    """
    a = mpf(alpha)
    if a == 1:
        return _softmax(xs, temperature=temperature)
    if a == 2:
        return sparsemax(xs, temperature=temperature)
    share = limit_share(xs)
    if share is not None:
        return share
    with mpmath.workprec(mpmath.mp.prec + _GUARD):
        beta = 1 / (a - 1)
        z = _shifted(xs, a - 1, temperature)
        zs = sorted((v for v in z if mpmath.isfinite(v)), reverse=True)

        def inside(j: int) -> bool:  # is zs[j] in the support? (monotone in j)
            return mpmath.fsum((v - zs[j]) ** beta for v in zs[:j] if v > zs[j]) < 1

        k, out_at = 1, len(zs)  # zs[:k] inside; zs[out_at] outside (or the end)
        while out_at - k > 0:
            j = (k + out_at) // 2
            if inside(j):
                k = j + 1
            else:
                out_at = j
        top = zs[:k]
        lo = max(zs[k], mpf(-1)) if k < len(zs) else mpf(-1)
        hi = top[-1]

        def f(lam: mpf) -> tuple[mpf, mpf]:
            ts = [v - lam for v in top]
            val = mpmath.fsum(t**beta for t in ts) - 1
            der = beta * mpmath.fsum(t ** (beta - 1) for t in ts if t > 0)
            return val, der

        lam = _solve_decreasing(f, lo, hi)
        out = [(v - lam) ** beta if v > lam else mpf(0) for v in z]
        total = mpmath.fsum(out)
        out = [v / total for v in out]
    return _round(out)


def sparse_softmax(
    xs: Sequence[mpf],
    *,
    temperature: mpf = mpf(1),
    k: int | None = None,
    p: float | None = None,
) -> list[mpf]:
    """Exact softmax over the top-``k`` entries or the top-``p`` nucleus; ties at the cut kept.

    ``p >= 1`` keeps every entry. Raises :class:`SoftmaxInputError` unless
    exactly one of ``k`` and ``p`` is given.

    Examples
    --------
    >>> [mpmath.nstr(v, 12) for v in sparse_softmax([mpf(1), mpf(3), mpf(3), mpf(2)], k=1)]
    ['0.0', '0.5', '0.5', '0.0']
    >>> [mpmath.nstr(v, 6) for v in sparse_softmax([mpf(1), mpf(2), mpf(3), mpf(4)], p=0.9)]
    ['0.0', '0.0900306', '0.244728', '0.665241']
    """
    if (k is None) == (p is None):
        raise SoftmaxInputError("sparse softmax needs exactly one of k (top-k) and p (top-p)")
    if any(mpmath.isnan(v) for v in xs):
        return [NAN] * len(xs)
    ordered = sorted(xs, reverse=True)
    if k is not None:
        cut = ordered[min(int(k), len(xs)) - 1]
    elif p >= 1:
        cut = ordered[-1]
    else:
        mass = _softmax(ordered, temperature=temperature)
        target, cum, cut = mpf(p), mpf(0), ordered[-1]
        for v, w in zip(ordered, mass, strict=True):
            cum += w
            if cum >= target:
                cut = v
                break
    kept = [v if v >= cut else mpf("-inf") for v in xs]
    return _softmax(kept, temperature=temperature)
