"""Jacobians, Jacobian-vector products (JVP) and vector-Jacobian products (VJP), in closed form.

Every deterministic mapping of the registry carries a *derivative form* (the
``derivative`` field of its :class:`~softmax_cli.registry.Mapping` record): a
function that, given the logits, returns the Jacobian in a structured, low-rank
form. :func:`jacobian`, :func:`jvp` and :func:`vjp` work from that form, so a
JVP or VJP costs O(n) per vector and only :func:`jacobian` builds the dense
``n × n`` matrix.

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
>>> jacobian("softmax", [0.0, 0.0]).tolist()
[[0.25, -0.25], [-0.25, 0.25]]
>>> jvp("sparsemax", [1.0, 2.0, 2.5], [1.0, 0.0, 0.0]).tolist()
[0.0, 0.0, 0.0]
>>> vjp("log-softmax", [0.0, 0.0], [1.0, 0.0]).tolist()
[0.5, -0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import exp_family, sparse, variants
from ._arrays import check_temperature, to_last_axis
from .errors import SoftmaxInputError
from .floats import two_prod, two_sum

__all__ = [
    "Derivative",
    "jacobian",
    "jvp",
    "linearize",
    "vjp",
]


# ---------------------------------------------------------------------------
# Structured Jacobians on the last axis (working dtype, batch dims leading)
# ---------------------------------------------------------------------------


def _exclusive_sums(a: np.ndarray) -> np.ndarray:
    """``Σ_{j≠i} a_j`` for every ``i`` along the last axis, without ``total − a_i``.

    Prefix plus suffix sums: for non-negative ``a`` every result is accurate
    relative to itself, even next to an entry near the total.
    """
    zero = np.zeros((*a.shape[:-1], 1), dtype=a.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        before = np.concatenate([zero, np.cumsum(a[..., :-1], axis=-1)], axis=-1)
        tail = np.flip(np.cumsum(np.flip(a[..., 1:], axis=-1), axis=-1), axis=-1)
        after = np.concatenate([tail, zero], axis=-1)
        return before + after


class _Form:
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


class _DiagMinusOuter(_Form):
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
            J[..., idx, idx] = g * _exclusive_sums(a)
            return J / self.tau

    def half_l1(self) -> np.ndarray:
        ag, aa = np.abs(self.g), np.abs(self.a)
        with np.errstate(invalid="ignore", over="ignore"):
            diag = (ag * np.abs(_exclusive_sums(self.a))).sum(axis=-1)
            off = (aa * _exclusive_sums(ag)).sum(axis=-1)  # Σ_{i≠j} |a_i||g_j|
            return 0.5 * (diag + off) / self.tau


class _IdentityMinusOuter(_Form):
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
        J[..., idx, idx] = _exclusive_sums(p)
        return J / self.tau

    def half_l1(self) -> np.ndarray:
        n = self.p.shape[-1]
        ex = _exclusive_sums(self.p)
        # diagonal Σ_i (1 − p_i); off it, column j holds −p_j in n − 1 rows
        off = (n - 1) * np.abs(self.p).sum(axis=-1)
        return 0.5 * (np.abs(ex).sum(axis=-1) + off) / self.tau


class _Diagonal(_Form):
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


class _Row(_Form):
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


def softmax_form(a: np.ndarray, tau: float) -> _Form:
    """softmax: ``(diag(p) − p pᵀ)/τ``."""
    p = exp_family.softmax(a, temperature=tau)
    return _family(p, tau, _nan_rows(a))


def log_softmax_form(a: np.ndarray, tau: float) -> _Form:
    """log-softmax: ``(I − 1 pᵀ)/τ``."""
    p = exp_family.softmax(a, temperature=tau)
    return _IdentityMinusOuter(p, tau)


def logsumexp_form(a: np.ndarray, tau: float) -> _Form:
    """logsumexp ``τ·LSE(x/τ)``: the row ``pᵀ`` (the temperature cancels)."""
    return _Row(exp_family.softmax(a, temperature=tau))


def soft_max_form(a: np.ndarray, tau: float) -> _Form:
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


def sparsemax_form(a: np.ndarray, tau: float) -> _Form:
    """sparsemax: ``s = 1`` on the support ``{p > 0}``."""
    p = sparse.sparsemax(a, temperature=tau)
    return _family((p > 0).astype(a.dtype), tau, _nan_rows(a))


def _entmax_s(p: np.ndarray, alpha: float) -> np.ndarray:
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return np.where(p > 0, np.power(np.where(p > 0, p, 1), 2 - alpha), 0).astype(p.dtype)


def entmax15_form(a: np.ndarray, tau: float) -> _Form:
    """1.5-entmax: ``s = sqrt(p)`` on the support."""
    p = sparse.entmax15(a, temperature=tau)
    return _family(np.sqrt(p), tau, _nan_rows(a))


def entmax_form(a: np.ndarray, tau: float, alpha: float = 1.5) -> _Form:
    """α-entmax: ``s = p^{2−α}`` on the support (α = 1: softmax; α = 2: sparsemax)."""
    if alpha == 1:
        return softmax_form(a, tau)
    if alpha == 2:
        return sparsemax_form(a, tau)
    p = sparse.entmax_bisect(a, alpha=alpha, temperature=tau)
    return _family(_entmax_s(p, alpha), tau, _nan_rows(a))


def sparse_softmax_form(
    a: np.ndarray, tau: float, k: int | None = None, p: float | None = None
) -> _Form:
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


def taylor_form(a: np.ndarray, tau: float, order: int = 2) -> _Form:
    """Taylor softmax: ``(diag(g) − p gᵀ)/τ`` with ``g = p·f_{k−1}(z)/f_k(z)``."""
    p = variants.taylor_softmax(a, order=order, temperature=tau)
    with np.errstate(invalid="ignore", over="ignore"):
        r = taylor_ratio(a / tau, order)
        g = np.where(p == 0, 0, p * r)
    nan = _nan_rows(a)
    return _DiagMinusOuter(np.where(nan, np.nan, g), np.where(nan, np.nan, p), tau)


def sigsoftmax_form(a: np.ndarray, tau: float) -> _Form:
    """sigsoftmax: ``(diag(g) − p gᵀ)/τ`` with ``g = p·(1 + σ(−z))``."""
    p = variants.sigsoftmax(a, temperature=tau)
    sig_neg = exp_family.sigmoid(-a, temperature=tau)
    g = p + p * sig_neg
    nan = _nan_rows(a)
    return _DiagMinusOuter(np.where(nan, np.nan, g), np.where(nan, np.nan, p), tau)


def perturbmax_form(a: np.ndarray, tau: float, noise: str = "normal") -> _Form:
    """perturb-max: with Gumbel noise it is softmax; normal noise has no closed form."""
    if noise == "gumbel":
        return softmax_form(a, tau)
    raise SoftmaxInputError(
        "perturbmax with normal noise has no closed-form derivative "
        "(use --noise gumbel, which is softmax, or another method)"
    )


def sigmoid_form(a: np.ndarray, tau: float) -> _Form:
    """sigmoid: ``diag(σ(z) σ(−z))/τ``."""
    s = exp_family.sigmoid(a, temperature=tau)
    t = exp_family.sigmoid(-a, temperature=tau)
    with np.errstate(over="ignore"):  # 1/(4τ) past the float range for τ = 5e-324
        return _Diagonal(s * t / tau)


def hardmax_form(a: np.ndarray, tau: float) -> _Form:
    """argmax (hard max): piecewise constant, ``J = 0`` (``nan`` rows stay ``nan``)."""
    return _Diagonal(np.where(_nan_rows(a), np.nan, np.zeros_like(a)))


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _mapping(name: Any):
    from . import registry

    m = name if isinstance(name, registry.Mapping) else registry.get(name)
    if m.stochastic:
        raise SoftmaxInputError(f"{m.name} is stochastic: it has no deterministic derivative")
    if m.derivative is None:
        raise SoftmaxInputError(f"{m.name} has no derivative")
    return m


class Derivative:
    """The derivative of a registry mapping at ``x``: Jacobian, JVP, VJP, size.

    Build it with :func:`linearize`. The Jacobian's layout is ``(..., n_out, n)``:
    the batch dimensions of ``x`` (every axis but ``axis``, in order), then the
    output and input vector axes; ``n_out = n``, or ``1`` for reductions.

    Examples
    --------
    >>> d = linearize("softmax", [1.0, 2.0, 3.0])
    >>> d.jacobian().shape, d.jvp([1.0, 1.0, 1.0]).round(15).tolist()
    ((3, 3), [0.0, 0.0, 0.0])
    >>> float(d.half_l1().round(6))  # = 1 − Σp²
    0.489457
    """

    def __init__(self, mapping, x: ArrayLike, axis: int, temperature: float, params) -> None:
        self.mapping = mapping
        self.params = params
        self.temperature = check_temperature(temperature)
        self.axis = axis
        self._x = x
        a, dt, restore = to_last_axis(x, axis)
        self._a = a
        self.dtype = dt
        self._restore = restore
        self._form: _Form = mapping.derivative(a, self.temperature, **params)

    @property
    def scalar(self) -> bool:
        """Whether the mapping reduces each vector to one number."""
        return self._form.n_out == 1

    def value(self) -> np.ndarray:
        """The mapping's output at ``x`` (what is being differentiated)."""
        return self.mapping(self._x, axis=self.axis, temperature=self.temperature, **self.params)

    def jacobian(self) -> np.ndarray:
        """Dense Jacobian ``∂f_i/∂x_j``, shape ``(..., n_out, n)``, in the dtype of ``x``."""
        with np.errstate(over="ignore"):
            J = np.asarray(self._form.dense(), dtype=self.dtype)
        J += 0  # no negative zeros in the output
        return J

    def jvp(self, v: ArrayLike) -> np.ndarray:
        """``J·v``: the change of the output along the input direction ``v`` (shape of ``x``)."""
        w = self._operand(v, np.shape(self._x), "v")
        out = np.array(self._restore(self._form.jvp(w), keepdims=not self.scalar))
        out += 0  # no negative zeros
        return out

    def vjp(self, u: ArrayLike) -> np.ndarray:
        """``Jᵀ·u``: the gradient of ``u·f(x)`` (``u`` has the output's shape)."""
        xs = np.shape(self._x)
        if self.scalar:
            ax = self.axis % len(xs)
            ushape = xs[:ax] + xs[ax + 1 :]
            u = np.asarray(u)
            try:
                u = np.broadcast_to(u, ushape)
            except ValueError:
                raise SoftmaxInputError(
                    f"u of shape {u.shape} does not broadcast to the output shape {ushape}"
                ) from None
            w = self._operand(np.expand_dims(u, ax), (*xs[:ax], 1, *xs[ax + 1 :]), "u")
        else:
            w = self._operand(u, xs, "u")
        out = self._restore(self._form.vjp(w))
        out += 0
        return out

    def half_l1(self) -> np.ndarray:
        """Half the entrywise L1 norm ``½ Σ_ij |J_ij|`` per vector (``1 − Σp²`` for softmax)."""
        with np.errstate(over="ignore"):
            return np.asarray(self._form.half_l1(), dtype=self.dtype)

    def _operand(self, v: ArrayLike, shape: tuple[int, ...], what: str) -> np.ndarray:
        arr = np.asarray(v)
        try:
            arr = np.broadcast_to(arr, shape)
        except ValueError:
            raise SoftmaxInputError(
                f"{what} of shape {arr.shape} does not broadcast to shape {shape}"
            ) from None
        w, _, _ = to_last_axis(arr, self.axis)
        return w.astype(self._a.dtype, copy=False)


def linearize(
    name: Any, x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, **params: Any
) -> Derivative:
    """The derivative of registry mapping ``name`` at ``x``, for Jacobians, JVPs and VJPs.

    Parameters
    ----------
    name : str or Mapping
        A registry name or alias (``"softmax"``, ``"entmax"``, ...), or the record.
    x : array_like
        Logits, any real dtype; vectors along ``axis``.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0`` (default 1).
    **params
        The mapping's parameters (``alpha``, ``k``, ``order``, ...), validated.

    Returns
    -------
    Derivative

    Raises
    ------
    SoftmaxInputError
        Unknown mapping, stochastic mapping, a map without closed-form
        derivative, bad parameters, empty or 0-d input.

    Examples
    --------
    >>> linearize("entmax", [0.0, 0.0], alpha=2).jacobian().tolist()  # sparsemax
    [[0.5, -0.5], [-0.5, 0.5]]
    """
    m = _mapping(name)
    return Derivative(m, x, axis, temperature, m.validate(params))


def jacobian(
    name: Any, x: ArrayLike, axis: int = -1, *, temperature: float = 1.0, **params: Any
) -> np.ndarray:
    """Dense Jacobian ``∂f_i/∂x_j`` of registry mapping ``name`` at ``x``.

    Parameters
    ----------
    name : str or Mapping
        A registry name or alias.
    x : array_like
        Logits, any real dtype; vectors along ``axis``.
    axis : int, optional
        The axis holding each vector (default: the last).
    temperature : float, optional
        ``τ > 0`` (default 1).
    **params
        The mapping's parameters.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., n, n)`` -- the other axes of ``x`` in order, then output
        index ``i`` and input index ``j`` -- or ``(..., 1, n)`` for the
        reductions (logsumexp, soft max). Same float dtype as ``x``.

    Raises
    ------
    SoftmaxInputError
        As :func:`linearize`.

    Examples
    --------
    >>> jacobian("softmax", [0.0, 0.0, 20.0]).diagonal().round(12)
    array([2.061e-09, 2.061e-09, 4.122e-09])
    >>> jacobian("sparsemax", [1.0, 2.0, 2.5]).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.5, -0.5], [0.0, -0.5, 0.5]]
    >>> jacobian("logsumexp", [0.0, 0.0]).tolist()
    [[0.5, 0.5]]
    >>> jacobian("softmax", np.zeros((2, 3), dtype=np.float32), axis=0).shape
    (3, 2, 2)
    """
    return linearize(name, x, axis, temperature=temperature, **params).jacobian()


def jvp(
    name: Any,
    x: ArrayLike,
    v: ArrayLike,
    axis: int = -1,
    *,
    temperature: float = 1.0,
    **params: Any,
) -> np.ndarray:
    """Jacobian-vector product ``J·v`` of mapping ``name`` at ``x``, in O(n) per vector.

    ``v`` broadcasts to the shape of ``x``. The result has the shape of the
    mapping's output (the vector axis removed for reductions).

    Examples
    --------
    >>> jvp("softmax", [0.0, 0.0], [1.0, 0.0]).tolist()
    [0.25, -0.25]
    >>> float(jvp("logsumexp", [0.0, 0.0], [1.0, 1.0]))
    1.0
    """
    return linearize(name, x, axis, temperature=temperature, **params).jvp(v)


def vjp(
    name: Any,
    x: ArrayLike,
    u: ArrayLike,
    axis: int = -1,
    *,
    temperature: float = 1.0,
    **params: Any,
) -> np.ndarray:
    """Vector-Jacobian product ``Jᵀ·u`` of mapping ``name`` at ``x``: the gradient of ``u·f(x)``.

    ``u`` has the shape of the mapping's output (for reductions: ``x`` without
    ``axis``); the result has the shape of ``x``.

    Examples
    --------
    >>> vjp("taylor", [0.0, 1.0], [1.0, 0.0]).round(6).tolist()  # not symmetric
    [0.204082, -0.163265]
    >>> vjp("logsumexp", [[0.0, 0.0]], [2.0]).tolist()
    [[1.0, 1.0]]
    """
    return linearize(name, x, axis, temperature=temperature, **params).vjp(u)
