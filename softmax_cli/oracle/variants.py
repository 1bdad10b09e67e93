"""mpmath twins of :mod:`softmax_cli.variants`, under the caller's working precision.

Each takes one vector of exact mpf values and returns a list of mpf, with the
library's special-value rules. :func:`perturbmax` with normal noise is an
``mpmath.quad`` integral (slow: about half a second per vector of 5 at 30 digits);
:func:`gumbel_softmax` draws the noise of the same seed itself (numpy's
uniforms, the Gumbel transform exact in mpmath) and is exact for that noise.

Examples
--------
>>> from mpmath import mpf
>>> [mpmath.nstr(v, 10) for v in taylor_softmax([mpf(1), mpf(2), mpf(3)])]
['0.15625', '0.3125', '0.53125']
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import numpy as np
from mpmath import mpf

from ..errors import OracleUnsure, SoftmaxInputError
from .exp_family import NAN, limit_share
from .exp_family import softmax as _softmax

# Extra bits carried in the noise transform; results are rounded to the caller's precision.
_GUARD = 64

__all__ = [
    "OracleUnsure",
    "gumbel_noise",
    "gumbel_softmax",
    "perturbmax",
    "sigsoftmax",
    "taylor_softmax",
]


#: Most bits a twin raises its precision to before it says it is unsure.
MAX_BITS = 200_000


def _taylor_poly(x: mpf, temperature: mpf, order: int) -> mpf:
    """``Σ_{m≤order} z^m/m!``, ``z = x/τ``, to the working precision, **sure** of its digits.

    For ``z < 0`` the sum alternates and cancels: ``f_k(z)`` can be far below its
    largest term (``f_200(−56) ≈ 4.9e−25`` from terms up to ``1e23``), so a fixed
    precision returns garbage (issue 19: ``[−0.944, 1.944, 4e−69]`` at 50 digits).
    Here the precision follows the problem: with ``P`` bits the rounding error of
    the sum is below ``2(k+2)·2^−P·f_k(|z|)`` (every partial term is accurate to
    ``(m+1)·2^−P``), so the sum is computed again with more bits until that bound
    is below ``2^−(prec+16)·|f_k(z)|``; past :data:`MAX_BITS` it raises
    :class:`OracleUnsure` instead of answering.

    Examples
    --------
    >>> mpmath.nstr(_taylor_poly(mpf(-56), mpf(1), 200), 10)
    '4.900936544e-25'
    """
    want = mpmath.mp.prec + 16
    bits = want + 64
    while bits <= MAX_BITS:
        with mpmath.workprec(bits):
            z = x / temperature
            term = total = absolute = mpf(1)
            for m in range(1, order + 1):
                term = term * z / m
                total += term
                absolute += abs(term)
            bound = 2 * (order + 2) * absolute * mpmath.ldexp(mpf(1), -bits)
            if total > 0 and bound <= mpmath.ldexp(total, -want):
                return +total
            lost = mpmath.log(absolute / max(abs(total), bound), 2)
        bits = max(2 * bits, bits + int(lost) + 64)
    raise OracleUnsure(
        f"Taylor polynomial of order {order} at {mpmath.nstr(x / temperature, 8)}: "
        f"cancellation beyond {MAX_BITS} bits"
    )


def taylor_softmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1), order: int = 2) -> list[mpf]:
    """Exact Taylor softmax ``f_k(x_i/τ) / Σ_j f_k(x_j/τ)``.

    Infinite entries of either sign share the mass equally (``f_k → ∞`` at ``±∞``).
    """
    if any(mpmath.isnan(v) for v in xs):
        return [NAN] * len(xs)
    if any(mpmath.isinf(v) for v in xs):
        hits = [mpmath.isinf(v) for v in xs]
        return [mpf(1) / sum(hits) if h else mpf(0) for h in hits]
    f = [_taylor_poly(v, temperature, order) for v in xs]
    s = mpmath.fsum(f)
    return [v / s for v in f]


def sigsoftmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1)) -> list[mpf]:
    """Exact sigsoftmax ``exp(z_i)σ(z_i) / Σ_j exp(z_j)σ(z_j)``, ``z = x/τ``.

    Uses ``y_i − y_max = (z_i − z_max) + (min(z_i, 0) − min(z_max, 0))
    − (log1p(e^{−|z_i|}) − log1p(e^{−|z_max|}))`` so huge logits lose nothing.
    """
    share = limit_share(xs)
    if share is not None:
        return share
    z = [v / temperature for v in xs]
    k = max(range(len(z)), key=lambda i: z[i])
    zm = z[k]

    def g(v: mpf) -> mpf:
        return min(v, mpf(0)) - mpmath.log1p(mpmath.exp(-abs(v)))

    gm = g(zm)
    e = [mpmath.exp((v - zm) + (g(v) - gm)) for v in z]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _quad_normal(zp: Sequence[mpf]) -> list[mpf]:
    """``∫ φ(w − zp_i) Π_{j≠i} Φ(w − zp_j) dw`` for ``zp ≤ 0`` with ``max zp = 0``.

    Every integral uses the same pieces, so the quadrature nodes coincide and
    the ``Φ`` values at a node are computed once for all ``i``.
    """
    digits = mpmath.mp.dps
    half = int(mpmath.ceil(mpmath.sqrt(2 * (digits + 5) * mpmath.log(10)))) + 1
    pts = [mpf(v) for v in range(-half, half + 1, 2)]
    live = [v for v in zp if not mpmath.isinf(v)]
    cache: dict[mpf, list[mpf]] = {}

    def cdfs(w: mpf) -> list[mpf]:
        if w not in cache:
            cache[w] = [mpmath.ncdf(w - v) for v in live]
        return cache[w]

    out = []
    for zi in zp:
        if mpmath.isinf(zi):
            out.append(mpf(0))
            continue
        k = live.index(zi)

        def f(w: mpf, zi: mpf = zi, k: int = k) -> mpf:
            c = cdfs(w)
            return mpmath.npdf(w - zi) * mpmath.fprod(c[:k] + c[k + 1 :])

        out.append(mpmath.quad(f, pts))
    return out


def perturbmax(xs: Sequence[mpf], *, temperature: mpf = mpf(1), noise: str = "normal") -> list[mpf]:
    """Exact ``P[argmax(x/τ + ε) = i]``.

    Gumbel noise: exactly softmax. Normal noise: ``mpmath.quad`` (tanh-sinh on
    unit pieces) of ``∫ φ(w − z_i) Π_{j≠i} Φ(w − z_j) dw`` over
    ``|w − max z| ≤ L`` with ``Φ(−L) < 10^−(dps+5)``, so each value is exact to
    about the working precision in absolute terms (values far below that are
    not resolved relatively).
    """
    if noise == "gumbel":
        return _softmax(xs, temperature=temperature)
    share = limit_share(xs)
    if share is not None:
        return share
    z = [v / temperature for v in xs]
    zm = max(z)
    return _quad_normal([v - zm for v in z])


def gumbel_noise(shape: tuple[int, ...], seed: int) -> list[mpf]:
    """The documented noise protocol, exactly: ``g = −log(−log u)`` in mpmath, C order.

    ``u = numpy.random.default_rng(seed).random(shape)`` (float64 uniforms in
    ``[0, 1)``, taken exactly), each raised to the smallest normal float64
    where it is 0; the two logarithms are then taken at the working precision
    plus guard bits, not in float64. Only the uniforms come from numpy: the
    transform is written here, apart from the library's
    :func:`softmax_cli.variants.gumbel_noise`, so a fault in that one shows.

    Examples
    --------
    >>> [mpmath.nstr(v, 12) for v in gumbel_noise((2,), 0)]
    ['0.796186457465', '-0.270121469543']
    """
    return _gumbel(np.random.default_rng(seed).random(shape).ravel())


def _gumbel(u: np.ndarray) -> list[mpf]:
    """``−log(−log max(u, tiny))`` of each float64 uniform, exactly (rounded once)."""
    tiny = mpf(float(np.finfo(np.float64).tiny))
    with mpmath.workprec(mpmath.mp.prec + _GUARD):
        g = [-mpmath.log(-mpmath.log(max(mpf(float(v)), tiny))) for v in u]
    return [+v for v in g]


def gumbel_softmax(
    xs: Sequence[mpf],
    *,
    temperature: mpf = mpf(1),
    seed: int | None = None,
    noise_shape: tuple[int, ...] | None = None,
    row: int = 0,
) -> list[mpf]:
    """Exact ``softmax((x + g)/τ)`` for the Gumbel noise ``g`` that ``seed`` stands for.

    ``g`` is drawn by this module's :func:`gumbel_noise`, the library's
    protocol written independently (numpy's ``default_rng(seed)`` uniforms,
    then ``−log(−log u)`` exactly), so the twin shares the seed, not the
    library's noise code. The library draws one noise array for a whole N-D
    input (axis last); :func:`softmax_cli.oracle.evaluate` passes its shape as
    ``noise_shape`` and the vector's index as ``row`` so that each vector gets
    its own slice. With ``seed=None`` there is nothing to share, so it raises.
    """
    if seed is None:
        raise SoftmaxInputError(
            "the gumbel-softmax oracle needs a seed to share the library's noise"
        )
    if any(mpmath.isnan(v) for v in xs):
        return [NAN] * len(xs)
    shape = noise_shape if noise_shape is not None else (len(xs),)
    # the uniforms of the whole input, as the library draws them; only this row's are transformed
    u = np.random.default_rng(seed).random(shape).reshape(-1, len(xs))[row]
    g = _gumbel(u)
    m = max(xs)
    if mpmath.isinf(m):
        xs = [mpf(0) if v == m else mpf("-inf") for v in xs]
        m = mpf(0)
    k = list(xs).index(m)
    # shift by the maximum first: x + g itself may need more digits than the precision holds
    y = [(v - m) + (gi - g[k]) for v, gi in zip(xs, g, strict=True)]
    return _softmax(y, temperature=temperature)
