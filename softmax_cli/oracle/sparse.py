"""mpmath twins of :mod:`softmax_cli.sparse`, under the caller's working precision.

Each takes one vector of exact mpf values and returns a list of mpf. The
twins do not share the library's method: the library reads the support of
sparsemax and 1.5-entmax off sorted prefix sums (closed form) and finds the
α-entmax threshold by safeguarded Newton steps; here every threshold ``λ`` is
found by plain bisection on the defining equation
``Σ relu(z − λ)^{1/(α−1)} = 1`` over ``[max z − 1, max z]`` (the left end
gives at least 1, the right end 0), halving the bracket until it is one unit
in the last place of ``λ`` at the working precision plus guard bits, and
then ``p = relu(z − λ)^{1/(α−1)}``. No sorting, no support test, no closed
form. Special values follow the library's rules: a nan gives nan everywhere;
an infinite maximum (some ``+inf``, or every entry ``-inf``) is shared equally
by the entries equal to it; ``-inf`` among finite entries gets 0.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _bisect_threshold(z: Sequence[mpf], power: mpf) -> mpf:
    """The ``λ`` with ``Σ relu(z − λ)^power = 1``, by bisection, for ``max z = 0``.

    ``g(λ) = Σ relu(z − λ)^power`` decreases from ``g(−1) ≥ 1`` to ``g(0) = 0``,
    so ``[−1, 0]`` brackets the root. The bracket is halved until its midpoint
    rounds to one of its ends (``λ`` to the last bit of the working precision).
    Entries at or below the left end never count again and are dropped as
    the bracket moves; for ``power == 1`` the entries at or above the right
    end are summed once instead of at every step.

    Examples
    --------
    >>> float(_bisect_threshold([mpf(0), mpf(-1), mpf("-0.5")], mpf(1)))
    -0.75
    """
    lo, hi = mpf(-1), mpf(0)
    live = [v for v in z if v > lo]
    linear = power == 1
    above_n, above_sum = 0, mpf(0)  # power 1: the entries known to be ≥ hi, summed
    for _ in range(16 * mpmath.mp.prec):
        mid = (lo + hi) / 2
        if mid == lo or mid == hi:
            break
        if linear:
            g = above_sum - above_n * mid + mpmath.fsum(v - mid for v in live if v > mid)
        else:
            g = mpmath.fsum((v - mid) ** power for v in live if v > mid)
        if g == 1:
            return mid
        if g > 1:
            lo = mid
            live = [v for v in live if v > lo]
        else:
            hi = mid
            if linear:
                top = [v for v in live if v >= hi]
                above_n += len(top)
                above_sum += mpmath.fsum(top)
                live = [v for v in live if v < hi]
    return (lo + hi) / 2


def _guard_bits(power: mpf, n: int) -> int:
    """Extra bits that make ``relu(z − λ)^power`` sure to the working precision.

    ``λ`` is known to one unit in the last place of the raised precision ``P``,
    so ``z − λ`` may be off by ``2^−P`` (an entry within that of ``λ`` may even
    be on the wrong side). With ``power = 1/(α−1) < 1`` (α > 2) that moves a
    probability by up to ``(n·2^−P)^power``: sure to ``prec + 8`` bits only for
    ``P ≥ (α−1)(prec + 8) + log2 n`` (issue 19: at α = 20 and 30 digits that is
    about 2 000 bits; 64 guard bits gave absolute errors of 1e−3).
    """
    if power >= 1:
        return _GUARD
    prec = mpmath.mp.prec
    need = int(mpmath.ceil((prec + 8) / power)) + n.bit_length() - prec
    return max(_GUARD, need)


def _entmax_by_bisection(xs: Sequence[mpf], temperature: mpf, scale: mpf, power: mpf) -> list[mpf]:
    """``relu(z − λ)^power`` with ``z = scale·(x − max x)/τ`` and ``λ`` from bisection."""
    share = limit_share(xs)
    if share is not None:
        return share
    with mpmath.workprec(mpmath.mp.prec + _guard_bits(power, len(xs))):
        z = _shifted(xs, scale, temperature)
        lam = _bisect_threshold(z, power)
        out = [(v - lam) ** power if v > lam else mpf(0) for v in z]
    return _round(out)


def sparsemax(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact sparsemax of ``xs / temperature``: ``relu(z − λ)`` with ``λ`` by bisection.

    Examples
    --------
    >>> [float(v) for v in sparsemax([mpf(1), mpf(2), mpf("2.5")])]
    [0.0, 0.25, 0.75]
    """
    return _entmax_by_bisection(xs, temperature, mpf(1), mpf(1))


def entmax15(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact 1.5-entmax of ``xs / temperature``: ``relu(z − λ)²``, ``z = x/(2τ)``.

    ``λ`` is found by bisection.

    Examples
    --------
    >>> [mpmath.nstr(v, 12) for v in entmax15([mpf(1), mpf(2), mpf(3)])]
    ['0.0', '0.169281086117', '0.830718913883']
    """
    return _entmax_by_bisection(xs, temperature, mpf(1) / 2, mpf(2))


def entmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1), alpha: float = 1.5) -> list[mpf]:
    """Exact α-entmax of ``xs / temperature``; ``alpha == 1`` is softmax, ``alpha == 2`` sparsemax.

    ``p = relu(z − λ)^{1/(α−1)}`` with ``z = (α−1)·x/τ`` and ``λ`` by bisection.

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
    with mpmath.workprec(mpmath.mp.prec + _GUARD):
        scale, power = a - 1, 1 / (a - 1)
    return _entmax_by_bisection(xs, temperature, scale, power)


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
