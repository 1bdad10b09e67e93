"""Closed-form derivatives of the mappings, as structured Jacobians (no registry here).

Every deterministic mapping of :mod:`softmax_cli.registry` names one of the
*derivative forms* below in its ``derivative`` field: a function
``form(a, tau, **params)`` that, given the logits ``a`` in the working dtype
(vectors on the last axis, batch dimensions leading), returns a :class:`Form`:
the Jacobian in a structured, low-rank form with ``jvp``, ``vjp``, ``dense``
and ``half_l1``. The by-name API over these forms (``jacobian``, ``jvp``,
``vjp``, ``linearize``) is :mod:`softmax_cli.derivatives`; this module imports
only the mapping modules, so the registry can import it.

The forms (``z = x/τ``; every Jacobian is with respect to ``x``):

* **diag(g) − a gᵀ, divided by τ**, with ``Σ a = 1``. The softmax family shares
  ``J = (diag(s) − s sᵀ/Σs)/τ``, i.e. ``g = s``, ``a = s/Σs``:

  - softmax, sparse softmax (top-k / top-p), perturb-max with Gumbel noise: ``s = p``
    (zero off the kept set, so the cut itself has derivative 0);
  - sparsemax: ``s = 1`` on the support ``{p > 0}``, 0 elsewhere;
  - α-entmax (and 1.5-entmax): ``s = p^{2−α}`` on the support, 0 elsewhere;
  - Taylor softmax: ``a = p``, ``g = p·f_{k−1}(z)/f_k(z)`` (since ``f_k' = f_{k−1}``);
  - sigsoftmax: ``a = p``, ``g = p·(1 + σ(−z))``, because
    ``d/dz (z + log σ(z)) = 1 + σ(−z)``.

  The columns of ``J`` sum to 0 (the output stays on the simplex), and
  ``J·1 = g − a Σg`` is 0 exactly when ``g ∝ a`` -- the shift-invariant maps.
  The softmax family's ``J`` is symmetric; Taylor softmax and sigsoftmax are not.
* **log-softmax**: ``J = (I − 1 pᵀ)/τ``.
* **reductions**, a ``1 × n`` row: logsumexp ``τ·LSE(x/τ)`` has gradient ``p``
  (no ``1/τ``); the soft max ``pᵀx`` has gradient ``p ⊙ (1 + z − pᵀz)``.
* **elementwise**: sigmoid ``J = diag(σ(z) σ(−z))/τ``; argmax (hard max) ``J = 0``.

Subgradients. Sparsemax and entmax are not differentiable where an entry sits
exactly on the edge of the support (``p_i = 0`` and ``z_i = λ``), argmax and the
top-k / top-p cut where logits tie at the cut. The forms above are then a
documented choice, never ``nan``: an entry with ``p_i = 0`` is *outside* the
support (its row and column of ``J`` are 0: the derivative from the side where
it stays at 0), and argmax has ``J = 0``. For α < 2 the entmax Jacobian is
continuous across the boundary (``s = p^{2−α} → 0``); for α = 2 (sparsemax) it
jumps; for α > 2 it jumps to a full-size derivative, since ``s_i = p_i^{2−α} → ∞``
dominates ``Σ s`` as ``p_i → 0⁺``; an entry within rounding of the edge may land
on either side of that jump (the map's own slope is infinite there; see
:mod:`softmax_cli.sparse`).

Accuracy. Float16 and float32 are computed in float64 and rounded once;
longdouble in longdouble. The diagonal is formed as ``g_i Σ_{j≠i} a_j`` (no
``1 − a_i`` cancellation), so a saturated softmax keeps its tiny Jacobian to
full relative precision. Measured against the oracle
(:mod:`softmax_cli.oracle.derivatives`), the dense Jacobian of every map is
within about 1 ULP of 1.0 (absolute) in float64 on ordinary inputs.

Special values: a vector holding ``nan`` gives ``nan`` derivatives. Where the
mapping is at an infinite limit (``+inf`` logits) the formulas are evaluated
at the limit output. perturb-max with normal noise has no closed-form
derivative and raises; so do the stochastic maps (Gumbel-softmax).

Examples
--------
>>> J = softmax_form(np.array([0.0, 0.0]), 1.0)
>>> J.dense().tolist(), J.jvp(np.array([1.0, 0.0])).tolist()
([[0.25, -0.25], [-0.25, 0.25]], [0.25, -0.25])
>>> sparsemax_form(np.array([1.0, 2.0, 2.5]), 1.0).dense().tolist()
[[0.0, 0.0, 0.0], [0.0, 0.5, -0.5], [0.0, -0.5, 0.5]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import exp_family, sparse, variants
from .errors import SoftmaxInputError
from .floats import two_prod, two_sum

__all__ = [
    "Form",
    "entmax15_form",
    "entmax_form",
    "hardmax_form",
    "log_softmax_form",
    "logsumexp_form",
    "perturbmax_form",
    "sigmoid_form",
    "sigsoftmax_form",
    "soft_max_form",
    "softmax_form",
    "sparse_softmax_form",
    "sparsemax_form",
    "taylor_form",
    "taylor_ratio",
]


# ---------------------------------------------------------------------------
# Structured Jacobians on the last axis (working dtype, batch dims leading)
# ---------------------------------------------------------------------------


def _exclusive_sums(a: np.ndarray) -> np.ndarray:
    """``Σ_{j≠i} a_j`` for every ``i`` along the last axis, without ``total − a_i``.

    Prefix plus suffix sums: for non-negative ``a`` every result is accurate
    relative to itself, even next to an entry near the total.
    """
    dt = a.dtype
    # float64 sums run in longdouble where it is wider (issue 19: a plain cumsum
    # of n probabilities is off by up to n/2 ULP; the log-softmax Jacobian's
    # diagonal was 1.54 ULP of 1.0 off at n = 6) and are rounded once.
    wide = dt == np.float64 and np.finfo(np.longdouble).nmant > 52
    acc = a.astype(np.longdouble) if wide else a
    zero = np.zeros((*a.shape[:-1], 1), dtype=acc.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        before = np.concatenate([zero, np.cumsum(acc[..., :-1], axis=-1)], axis=-1)
        tail = np.flip(np.cumsum(np.flip(acc[..., 1:], axis=-1), axis=-1), axis=-1)
        after = np.concatenate([tail, zero], axis=-1)
        return (before + after).astype(dt, copy=False)


def _one_minus(a: np.ndarray) -> np.ndarray:
    """``1 − a_i`` for a distribution ``a``: ``1 − a_i`` (one rounding) where ``a_i ≤ ½``, else
    ``Σ_{j≠i} a_j`` (accurate relative to itself when ``a_i`` is near 1)."""
    with np.errstate(invalid="ignore"):
        return np.where(a <= 0.5, 1 - a, _exclusive_sums(a))


class Form:
    """A Jacobian ``J`` of shape ``(..., n_out, n)`` in structured form."""

    n_out: int | None = None  # None: as many outputs as inputs

    def jvp(self, v: np.ndarray) -> np.ndarray:  # (..., n) -> (..., n_out)
        raise NotImplementedError

    def vjp(self, u: np.ndarray) -> np.ndarray:  # (..., n_out) -> (..., n)
        raise NotImplementedError

    def dense(self) -> np.ndarray:  # (..., n_out, n)
        raise NotImplementedError

    def half_l1(self) -> np.ndarray:  # (...,)
        raise NotImplementedError


class _DiagMinusOuter(Form):
    """``J = (diag(g) − a gᵀ)/τ`` with ``Σ a = 1``; ``symmetric`` when ``a ∝ g``."""

    def __init__(self, g: np.ndarray, a: np.ndarray, tau: float, symmetric: bool = False) -> None:
        self.g, self.a = g, a
        self.tau = g.dtype.type(tau)
        self.symmetric = symmetric

    def jvp(self, v: np.ndarray) -> np.ndarray:
        g, a = self.g, self.a
        with np.errstate(invalid="ignore", over="ignore"):
            gv = np.where(g == 0, 0, g * v)
            return (gv - a * gv.sum(axis=-1, keepdims=True)) / self.tau

    def vjp(self, u: np.ndarray) -> np.ndarray:
        g, a = self.g, self.a
        with np.errstate(invalid="ignore", over="ignore"):
            au = np.where(a == 0, 0, a * u).sum(axis=-1, keepdims=True)
            return np.where(g == 0, 0, g * (u - au)) / self.tau

    def dense(self) -> np.ndarray:
        g, a = self.g, self.a
        with np.errstate(invalid="ignore", over="ignore"):
            J = -(a[..., :, None] * g[..., None, :])
            if self.symmetric:  # exactly symmetric, not just to rounding
                J = 0.5 * (J + np.swapaxes(J, -1, -2))
            n = g.shape[-1]
            idx = np.arange(n)
            J[..., idx, idx] = g * _one_minus(a)
            return J / self.tau

    def half_l1(self) -> np.ndarray:
        ag, aa = np.abs(self.g), np.abs(self.a)
        with np.errstate(invalid="ignore", over="ignore"):
            diag = (ag * np.abs(_exclusive_sums(self.a))).sum(axis=-1)
            off = (aa * _exclusive_sums(ag)).sum(axis=-1)  # Σ_{i≠j} |a_i||g_j|
            return 0.5 * (diag + off) / self.tau


class _IdentityMinusOuter(Form):
    """``J = (I − 1 pᵀ)/τ`` (log-softmax)."""

    def __init__(self, p: np.ndarray, tau: float) -> None:
        self.p = p
        self.tau = p.dtype.type(tau)

    def jvp(self, v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            pv = np.where(self.p == 0, 0, self.p * v).sum(axis=-1, keepdims=True)
            return (v - pv) / self.tau

    def vjp(self, u: np.ndarray) -> np.ndarray:
        return (u - self.p * u.sum(axis=-1, keepdims=True)) / self.tau

    def dense(self) -> np.ndarray:
        p = self.p
        n = p.shape[-1]
        J = np.broadcast_to(-p[..., None, :], (*p.shape, n)).copy()
        idx = np.arange(n)
        J[..., idx, idx] = _one_minus(p)
        return J / self.tau

    def half_l1(self) -> np.ndarray:
        n = self.p.shape[-1]
        ex = _exclusive_sums(self.p)
        # diagonal Σ_i (1 − p_i); off it, column j holds −p_j in n − 1 rows
        off = (n - 1) * np.abs(self.p).sum(axis=-1)
        return 0.5 * (np.abs(ex).sum(axis=-1) + off) / self.tau


class _Diagonal(Form):
    """``J = diag(d)`` (elementwise maps)."""

    def __init__(self, d: np.ndarray) -> None:
        self.d = d

    def jvp(self, v: np.ndarray) -> np.ndarray:
        return self.d * v

    def vjp(self, u: np.ndarray) -> np.ndarray:
        return self.d * u

    def dense(self) -> np.ndarray:
        n = self.d.shape[-1]
        J = np.zeros((*self.d.shape, n), dtype=self.d.dtype)
        idx = np.arange(n)
        J[..., idx, idx] = self.d
        return J

    def half_l1(self) -> np.ndarray:
        return 0.5 * np.abs(self.d).sum(axis=-1)


class _Row(Form):
    """``J = gᵀ``, one row (reductions)."""

    n_out = 1

    def __init__(self, g: np.ndarray) -> None:
        self.g = g

    def jvp(self, v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(self.g == 0, 0, self.g * v).sum(axis=-1, keepdims=True)

    def vjp(self, u: np.ndarray) -> np.ndarray:
        return u * self.g

    def dense(self) -> np.ndarray:
        return self.g[..., None, :].copy()

    def half_l1(self) -> np.ndarray:
        return 0.5 * np.abs(self.g).sum(axis=-1)


def _nan_rows(a: np.ndarray) -> np.ndarray:
    return np.isnan(a).any(axis=-1, keepdims=True)


def _family(s: np.ndarray, tau: float, nan_rows: np.ndarray) -> _DiagMinusOuter:
    """``(diag(s) − s sᵀ/Σs)/τ``, with ``nan`` rows kept ``nan``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        a = s / s.sum(axis=-1, keepdims=True)
    s = np.where(nan_rows, np.nan, s)
    a = np.where(nan_rows, np.nan, a)
    return _DiagMinusOuter(s, a, tau, symmetric=True)


# ---------------------------------------------------------------------------
# The derivative forms the registry attaches to its mappings.
# Each takes the logits in the working dtype, vectors on the last axis.
# ---------------------------------------------------------------------------


def softmax_form(a: np.ndarray, tau: float) -> Form:
    """softmax: ``(diag(p) − p pᵀ)/τ``."""
    p = exp_family.softmax(a, temperature=tau)
    return _family(p, tau, _nan_rows(a))


def log_softmax_form(a: np.ndarray, tau: float) -> Form:
    """log-softmax: ``(I − 1 pᵀ)/τ``."""
    p = exp_family.softmax(a, temperature=tau)
    return _IdentityMinusOuter(p, tau)


def logsumexp_form(a: np.ndarray, tau: float) -> Form:
    """logsumexp ``τ·LSE(x/τ)``: the row ``pᵀ`` (the temperature cancels)."""
    return _Row(exp_family.softmax(a, temperature=tau))


def soft_max_form(a: np.ndarray, tau: float) -> Form:
    """soft max ``pᵀx``: the row ``p ⊙ (1 + z − pᵀz)``, ``z = (x − max x)/τ``."""
    p = exp_family.softmax(a, temperature=tau)
    with np.errstate(invalid="ignore", over="ignore"):
        m = a.max(axis=-1, keepdims=True)
        finite = np.isfinite(m)
        d = (a - np.where(finite, m, 0)) / tau
        pd = np.where(p == 0, 0, p * d)
        c = pd.sum(axis=-1, keepdims=True)
        g = np.where(p == 0, 0, p + (pd - p * c))
        g = np.where(finite, g, p)
    return _Row(np.where(_nan_rows(a), np.nan, g))


def sparsemax_form(a: np.ndarray, tau: float) -> Form:
    """sparsemax: ``s = 1`` on the support ``{p > 0}``."""
    p = sparse.sparsemax(a, temperature=tau)
    return _family((p > 0).astype(a.dtype), tau, _nan_rows(a))


def _entmax_s(p: np.ndarray, alpha: float) -> np.ndarray:
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return np.where(p > 0, np.power(np.where(p > 0, p, 1), 2 - alpha), 0).astype(p.dtype)


def entmax15_form(a: np.ndarray, tau: float) -> Form:
    """1.5-entmax: ``s = sqrt(p)`` on the support."""
    p = sparse.entmax15(a, temperature=tau)
    return _family(np.sqrt(p), tau, _nan_rows(a))


def entmax_form(a: np.ndarray, tau: float, alpha: float = 1.5) -> Form:
    """α-entmax: ``s = p^{2−α}`` on the support (α = 1: softmax; α = 2: sparsemax)."""
    if alpha == 1:
        return softmax_form(a, tau)
    if alpha == 2:
        return sparsemax_form(a, tau)
    p = sparse.entmax_bisect(a, alpha=alpha, temperature=tau)
    return _family(_entmax_s(p, alpha), tau, _nan_rows(a))


def sparse_softmax_form(
    a: np.ndarray, tau: float, k: int | None = None, p: float | None = None
) -> Form:
    """top-k / top-p softmax: ``diag(p) − p pᵀ`` on the kept set (the cut is locally constant)."""
    q = sparse.sparse_softmax(a, k=k, p=p, temperature=tau)
    return _family(q, tau, _nan_rows(a))


def _dd_horner_exp_poly(z: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """``f_k(z) = 1 + z(1 + z/2(1 + … (1 + z/k)))`` in double-double: (hi, lo)."""
    hi = np.ones_like(z)
    lo = np.zeros_like(z)
    for m in range(order, 0, -1):
        # (hi + lo)·z
        ph, pl = two_prod(hi, z)
        pl = pl + lo * z
        # / m
        q = ph / m
        rh, rl = two_prod(q, np.asarray(m, dtype=z.dtype))
        r = ((ph - rh) - rl + pl) / m
        # + 1
        s, e = two_sum(q, np.ones_like(q))
        hi, lo = two_sum(s, e + r)
    return hi, lo


def taylor_ratio(z: ArrayLike, order: int) -> np.ndarray:
    """``f_{k−1}(z) / f_k(z)`` for the degree-``k`` Taylor polynomial ``f_k`` of ``exp``.

    ``f_k' = f_{k−1}``, so this is the logarithmic derivative of ``f_k``. For
    ``|z| ≤ min(2k, 600)`` both polynomials are evaluated by Horner's rule in
    double-double arithmetic (their alternating sum at ``z < 0`` cancels);
    beyond, from ``r = 1 − 1/D(1/z)`` with ``D(w) = Σ_j k!/(k−j)!·w^j``, which
    never overflows and tends to 0 at ``±inf``.

    Examples
    --------
    >>> taylor_ratio(np.array([0.0, -1.0, -2.0, np.inf]), 2).tolist()
    [1.0, 0.0, -1.0, 0.0]
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    k = int(order)
    big = np.abs(z) > min(2 * k, 600)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        zs = np.where(big | np.isnan(z), 0, z)
        nh, nl = _dd_horner_exp_poly(zs, k - 1)
        dh, dl = _dd_horner_exp_poly(zs, k)
        small = (nh + nl) / (dh + dl)
        w = np.where(big, 1 / np.where(big, z, 1), 0)
        acc = np.ones_like(z)
        for c in range(1, k + 1):
            acc = 1 + c * w * acc
        large = 1 - 1 / acc
    return np.where(np.isnan(z), np.nan, np.where(big, large, small))


def taylor_form(a: np.ndarray, tau: float, order: int = 2) -> Form:
    """Taylor softmax: ``(diag(g) − p gᵀ)/τ`` with ``g = p·f_{k−1}(z)/f_k(z)``."""
    p = variants.taylor_softmax(a, order=order, temperature=tau)
    with np.errstate(invalid="ignore", over="ignore"):
        r = taylor_ratio(a / tau, order)
        g = np.where(p == 0, 0, p * r)
    nan = _nan_rows(a)
    return _DiagMinusOuter(np.where(nan, np.nan, g), np.where(nan, np.nan, p), tau)


def sigsoftmax_form(a: np.ndarray, tau: float) -> Form:
    """sigsoftmax: ``(diag(g) − p gᵀ)/τ`` with ``g = p·(1 + σ(−z))``."""
    p = variants.sigsoftmax(a, temperature=tau)
    sig_neg = exp_family.sigmoid(-a, temperature=tau)
    g = p + p * sig_neg
    nan = _nan_rows(a)
    return _DiagMinusOuter(np.where(nan, np.nan, g), np.where(nan, np.nan, p), tau)


def perturbmax_form(a: np.ndarray, tau: float, noise: str = "normal") -> Form:
    """perturb-max: with Gumbel noise it is softmax; normal noise has no closed form."""
    if noise == "gumbel":
        return softmax_form(a, tau)
    raise SoftmaxInputError(
        "perturbmax with normal noise has no closed-form derivative "
        "(use {param} gumbel, which is softmax, or another method)",
        param="noise",
    )


def sigmoid_form(a: np.ndarray, tau: float) -> Form:
    """sigmoid: ``diag(σ(z) σ(−z))/τ``."""
    s = exp_family.sigmoid(a, temperature=tau)
    t = exp_family.sigmoid(-a, temperature=tau)
    with np.errstate(over="ignore"):  # 1/(4τ) past the float range for τ = 5e-324
        return _Diagonal(s * t / tau)


def hardmax_form(a: np.ndarray, tau: float) -> Form:
    """argmax (hard max): piecewise constant, ``J = 0`` (``nan`` rows stay ``nan``)."""
    return _Diagonal(np.where(_nan_rows(a), np.nan, np.zeros_like(a)))
