"""The quadrature behind :func:`softmax_cli.variants.perturbmax` with normal noise.

``p_i = P[argmax(z + ε) = i]`` for ``ε ~ N(0, I)`` is a one-dimensional
integral per entry; :func:`perturbmax_normal` integrates it with a trapezoid
rule on a fixed grid (spectrally accurate for this smooth integrand) and
:func:`ndtr` gives ``Φ`` from a precomputed table and its Taylor expansion,
numpy only. Arguments are not checked here: :mod:`softmax_cli.variants` does.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# Elements per temporary array: perturb-max is compute-bound and runs fastest on
# cache-sized blocks (256 KB).
PM_CHUNK = 1 << 15

Q_HALF_WIDTH = 9.0  # integrate w ∈ [−9, 9] around the row maximum: Φ(−9) ≈ 1.1e-19
T_STEP = 1.0 / 256  # Φ table spacing: |δ| ≤ 1/512
T_TERMS = 7  # Taylor terms of Φ about each table point: (9/512)^8/8! < 1e-18
T_TOP = 9.0  # Φ(t) = 1 to double precision above (1 − Φ(9) ≈ 1.1e-19)


@lru_cache(maxsize=1)
def normal_table() -> tuple[list[np.ndarray], int]:
    """Table of Φ about ``t0 = k/256`` on [−9.1, 9.1] for :func:`ndtr`.

    Column 0 holds ``t0``, column 1 ``Φ(t0)``, column ``m + 1`` the Taylor
    coefficient ``φ(t0)·(−1)^(m−1) He_{m−1}(t0)/m!`` of
    ``Φ(t0 + δ) = Φ(t0) + Σ_m c_m δ^m``; also returns ``kmax``, the index of ``t0 = 0``.
    Built once from :func:`math.erfc`, with the rounding of ``t0/√2``
    corrected to first order (it would cost 80 ULP at ``t0 = −9``).
    """
    from decimal import Decimal, localcontext

    kmax = math.ceil((Q_HALF_WIDTH + 0.1) / T_STEP)
    t0 = np.arange(-kmax, kmax + 1) * T_STEP
    pdf0 = np.exp(-0.5 * t0 * t0) / math.sqrt(2 * math.pi)
    phi0 = np.empty_like(t0)
    with localcontext() as ctx:
        ctx.prec = 40
        root_half = Decimal(1) / Decimal(2).sqrt()
        for i, v in enumerate(t0.tolist()):
            z = Decimal(abs(v)) * root_half
            zh = float(z)
            dz = float(z - Decimal(zh))
            q = 0.5 * math.erfc(zh) - math.exp(-zh * zh) / math.sqrt(math.pi) * dz
            phi0[i] = q if v <= 0 else 1.0 - q
    he = [np.ones_like(t0), t0.copy()]
    for j in range(1, T_TERMS):
        he.append(t0 * he[j] - j * he[j - 1])
    cols = [t0, phi0]
    for m in range(1, T_TERMS + 1):
        cols.append((-1) ** (m - 1) * he[m - 1] / math.factorial(m) * pdf0)
    return [np.ascontiguousarray(c) for c in cols], kmax


def ndtr(t: np.ndarray) -> np.ndarray:
    """``Φ(t)`` for ``t ≥ −9``, with relative error about 1e-16 (numpy only).

    Table lookup at the nearest ``k/256`` and a 7-term Taylor expansion; 1 above 9.
    """
    cols, kmax = normal_table()
    with np.errstate(invalid="ignore", over="ignore"):
        idx = np.rint(t * (1 / T_STEP))
        np.clip(idx, -kmax, kmax, out=idx)
        idx = idx.astype(np.intp)
        idx += kmax
        d = t - cols[0].take(idx)
        c = cols[T_TERMS + 1].take(idx)
        for m in range(T_TERMS, 1, -1):
            c *= d
            c += cols[m].take(idx)
        c *= d
        c += cols[1].take(idx)
    return np.where(t >= T_TOP, 1.0, c)


def perturbmax_normal(zp: np.ndarray, step: float) -> np.ndarray:
    """``P[argmax(z + ε) = i]`` for rows ``zp = z − max z ≤ 0`` (finite max), ε ~ N(0, I).

    With ``w = z_i + ε_i`` measured from the row maximum,
    ``p_i = ∫ φ(w − zp_i) Π_{j≠i} Φ(w − zp_j) dw``; the product is
    ``P(w)/Φ(w − zp_i)`` with ``P(w) = Π_j Φ(w − zp_j)``, so the cost is
    O(n × nodes) (``Φ ≥ Φ(−9)`` never underflows, and where ``P`` underflows
    the integrand is below 1e-289). Outside ``[−9, 9]`` every integrand is
    below ``Φ(−9)``; the trapezoid rule on this smooth integrand, vanishing at
    both ends, converges geometrically in the step.
    """
    nodes = np.arange(-Q_HALF_WIDTH, Q_HALF_WIDTH + step / 2, step)
    weights = np.full(nodes.size, step / math.sqrt(2 * math.pi))
    weights[[0, -1]] *= 0.5
    lead = zp.shape[:-1]
    n = zp.shape[-1]
    rows = zp.reshape(-1, n)
    out = np.zeros_like(rows)
    # chunk sizes depend on n only, so a vector gets the same result alone or in a batch
    group = max(1, PM_CHUNK // (n * nodes.size))
    kc = max(1, PM_CHUNK // (group * n))
    for r0 in range(0, rows.shape[0], group):
        blk = rows[r0 : r0 + group]
        acc = np.zeros_like(blk)
        for k0 in range(0, nodes.size, kc):
            w = nodes[k0 : k0 + kc]
            t = w[None, None, :] - blk[:, :, None]  # (rows, n, nodes)
            cdf = ndtr(t)
            prod = cdf.prod(axis=1, keepdims=True)
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # t² = inf: exp → 0
                t *= t
                t *= -0.5
                integrand = np.exp(t, out=t)
                integrand *= prod
                integrand /= cdf
            acc += (integrand * weights[k0 : k0 + kc]).sum(axis=-1)
        out[r0 : r0 + group] = acc
    out /= out.sum(axis=-1, keepdims=True)
    return out.reshape(*lead, n)
