"""mpmath twins of :mod:`softmax_cli.exp_family`, under the caller's working precision.

Each takes one vector of exact mpf values and returns a list of mpf (a single
mpf for reductions). Special values follow the library's rules: a nan gives
nan everywhere; an infinite maximum is shared equally by the entries equal to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
from mpmath import mpf

NAN = mpf("nan")


def limit_share(xs: Sequence[mpf]) -> list[mpf] | None:
    """The limit distribution when the maximum is infinite, nan-vector if nan, else None."""
    if any(mpmath.isnan(v) for v in xs):
        return [NAN] * len(xs)
    m = max(xs)
    if mpmath.isinf(m):
        hits = [v == m for v in xs]
        c = sum(hits)
        return [mpf(1) / c if h else mpf(0) for h in hits]
    return None


def softmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact softmax of ``xs / temperature``."""
    share = limit_share(xs)
    if share is not None:
        return share
    m = max(xs)
    e = [mpmath.exp((v - m) / temperature) for v in xs]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _log_mass(xs: Sequence[mpf], m: mpf, temperature: mpf) -> mpf:
    """``log Σ exp((x_j − m)/τ)`` as ``log1p`` of the mass beside one maximum.

    Forming ``1 + tiny`` first would keep only ``dps − log10(1/tiny)`` digits
    of the tiny part; ``log1p`` of the tiny sum keeps them all.
    """
    k = list(xs).index(m)
    rest = mpmath.fsum(mpmath.exp((v - m) / temperature) for j, v in enumerate(xs) if j != k)
    return mpmath.log1p(rest)


def logsumexp(
    xs: Sequence[mpf], *, temperature: mpf = mpf(1), b: Sequence[mpf] | None = None
) -> mpf:
    """Exact ``τ·log Σ b_j exp(x_j/τ)``."""
    if b is not None:
        pairs = [(v, w) for v, w in zip(xs, b, strict=True) if w != 0]
        xs, b = [v for v, _ in pairs], [w for _, w in pairs]
        if not xs:
            return mpf("-inf")
    if any(mpmath.isnan(v) for v in xs):
        return NAN
    m = max(xs)
    if mpmath.isinf(m):
        return m
    if b is None:
        return m + temperature * _log_mass(xs, m, temperature)
    s = mpmath.fsum(w * mpmath.exp((v - m) / temperature) for v, w in zip(xs, b, strict=True))
    return m + temperature * mpmath.log(s)


def log_softmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact log-softmax of ``xs / temperature``, free of the ``x − LSE`` cancellation."""
    share = limit_share(xs)
    if share is not None:
        return [
            mpmath.log(v) if v > 0 else (NAN if mpmath.isnan(v) else mpf("-inf")) for v in share
        ]
    m = max(xs)
    lm = _log_mass(xs, m, temperature)
    return [(v - m) / temperature - lm for v in xs]


def soft_max(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> mpf:
    """Exact ``softmax(x/τ)ᵀx``."""
    p = softmax(xs, temperature=temperature)
    return mpmath.fsum(pi * v for pi, v in zip(p, xs, strict=True) if pi != 0)


def sigmoid(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact logistic function of each ``x/τ``."""
    out = []
    for v in xs:
        if mpmath.isnan(v):
            out.append(NAN)
        elif mpmath.isinf(v):
            out.append(mpf(1) if v > 0 else mpf(0))
        else:
            out.append(1 / (1 + mpmath.exp(-v / temperature)))
    return out


def hardmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """One-hot of the maximum, ties sharing equally."""
    if any(mpmath.isnan(v) for v in xs):
        return [NAN] * len(xs)
    m = max(xs)
    c = sum(1 for v in xs if v == m)
    return [mpf(1) / c if v == m else mpf(0) for v in xs]
