"""mpmath twins of :mod:`softmax_cli.losses`: every loss exactly, its gradient numerically.

Each twin takes one vector of exact mpf values and the target class and
returns the loss as an mpf, straight from its definition in ``MATH.md`` (with
guard digits where the definition cancels):

* cross-entropy ``LSE(z) − z_t`` (as ``−log_softmax(z)_t`` of the exact twin,
  which has no ``x − LSE`` cancellation), with label smoothing
  ``Σ_j y_j (LSE(z) − z_j)``;
* ``−p_t``; AM-softmax as cross-entropy on ``s·(c − m·onehot(t))``;
* the sparsemax loss ``½ − z_t + Σ_{i∈S} ½(z_i² − λ²)`` with ``S`` and ``λ``
  from the exact sparsemax;
* the entmax loss ``(p − onehot(t))ᵀz + (1 − Σ p_i^α)/(α(α−1))`` with the
  exact α-entmax.

:func:`evaluate` gives the loss and its gradient for every vector of an
array; the gradient is :func:`mpmath.diff` of the exact loss
(:func:`~softmax_cli.oracle.derivatives.numerical_jacobian`), so it checks the
library's closed forms ``p − onehot(t)`` independently.

Examples
--------
>>> loss, grad = evaluate("ce", [0.0, 690.0], 0)
>>> mpmath.nstr(loss[()], 20), [mpmath.nstr(g, 5) for g in grad]
('690.0', ['-1.0', '1.0'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np
from mpmath import mpf

from .._arrays import as_float_array, normalize_axis
from . import DEFAULT_DPS, MAX_DPS, to_mpf
from .derivatives import numerical_jacobian
from .exp_family import log_softmax as _log_softmax
from .exp_family import softmax as _softmax
from .sparse import entmax as _entmax
from .sparse import sparsemax as _sparsemax

__all__ = [
    "am_softmax",
    "cross_entropy",
    "entmax_loss",
    "evaluate",
    "neg_prob",
    "sparsemax_loss",
]


def _guard(xs: Sequence[mpf], temperature: mpf = mpf(1)) -> int:
    """Extra bits for definitions that cancel on the scale of ``(x/τ)²``."""
    finite = [abs(v / temperature) for v in xs if mpmath.isfinite(v) and v != 0]
    big = max((int(mpmath.mag(v)) for v in finite), default=0)
    return 64 + 2 * max(big, 0)


def cross_entropy(
    xs: Sequence[mpf], t: int, *, temperature: mpf = mpf(1), label_smoothing: float = 0.0
) -> mpf:
    """Exact ``LSE(z) − z_t``; with smoothing ``ε``, ``Σ_j y_j (LSE(z) − z_j)``."""
    logp = _log_softmax(xs, temperature=temperature)
    eps = mpf(label_smoothing)
    if eps == 0:
        return -logp[t]
    n = len(xs)
    return (1 - eps) * (-logp[t]) + eps / n * mpmath.fsum(-v for v in logp)


def neg_prob(xs: Sequence[mpf], t: int, *, temperature: mpf = mpf(1)) -> mpf:
    """Exact ``−softmax(z)_t``."""
    return -_softmax(xs, temperature=temperature)[t]


def am_softmax(cs: Sequence[mpf], t: int, *, scale: float = 30.0, margin: float = 0.35) -> mpf:
    """Exact cross-entropy of ``s·(c − m·onehot(t))``, ``s`` and ``m`` taken as given."""
    s, m = to_mpf(np.float64(scale)), to_mpf(np.float64(margin))
    z = [s * (c - m) if j == t else s * c for j, c in enumerate(cs)]
    return -_log_softmax(z)[t]


def sparsemax_loss(xs: Sequence[mpf], t: int, *, temperature: mpf = mpf(1)) -> mpf:
    """Exact ``½ − z_t + Σ_{i∈S} ½(z_i² − λ²)``, ``z = x/τ``."""
    with mpmath.workprec(mpmath.mp.prec + _guard(xs, temperature)):
        p = _sparsemax(xs, temperature=temperature)
        z = [v / temperature for v in xs]
        support = [i for i, v in enumerate(p) if v > 0]
        lam = (mpmath.fsum(z[i] for i in support) - 1) / len(support)
        out = mpf(1) / 2 - z[t] + mpmath.fsum((z[i] ** 2 - lam**2) / 2 for i in support)
    return +out


def entmax_loss(xs: Sequence[mpf], t: int, *, alpha: float = 1.5, temperature: mpf = mpf(1)) -> mpf:
    """Exact ``(p − onehot(t))ᵀz + (1 − Σ p_i^α)/(α(α−1))`` with ``p = entmax_α(z)``."""
    a = mpf(alpha)
    if a == 1:
        return cross_entropy(xs, t, temperature=temperature)
    with mpmath.workprec(mpmath.mp.prec + _guard(xs, temperature)):
        p = _entmax(xs, temperature=temperature, alpha=alpha)
        z = [v / temperature for v in xs]
        lin = mpmath.fsum(pi * zi for pi, zi in zip(p, z, strict=True) if pi != 0) - z[t]
        ent = (1 - mpmath.fsum(pi**a for pi in p if pi > 0)) / (a * (a - 1))
        out = lin + ent
    return +out


def _twin(name: str):
    from ..registry import get_loss

    return get_loss(name).oracle_twin()


def evaluate(
    name: str,
    x: Any,
    target: Any,
    *,
    axis: int = -1,
    dps: int = DEFAULT_DPS,
    **options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact loss ``name`` (``ce``, ``neg-prob``, ...) and its gradient, for every vector of ``x``.

    ``options`` are the library function's keywords (``temperature``,
    ``label_smoothing``, ``scale``, ``margin``, ``alpha``). Returns two object
    arrays of mpf: the losses (shape of ``x`` without ``axis``; 0-d for a
    vector) and the gradients (shape of ``x``).

    Examples
    --------
    >>> loss, grad = evaluate("sparsemax", [1.0, 2.0, 3.5], 0)
    >>> mpmath.nstr(loss[()], 10), [mpmath.nstr(g, 5) for g in grad]
    ('2.5', ['-1.0', '0.0', '1.0'])
    """
    from ..losses import check_targets

    if not 1 <= int(dps) <= MAX_DPS:
        raise ValueError(f"dps must be between 1 and {MAX_DPS}, got {dps}")
    twin = _twin(name)
    a = as_float_array(x)
    if a.ndim == 0:
        raise ValueError("x must be at least 1-D")
    ax = normalize_axis(axis, a.ndim)
    moved = np.moveaxis(a, ax, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    ts = check_targets(target, moved.shape[:-1], moved.shape[-1]).reshape(-1)
    losses = np.empty(rows.shape[0], dtype=object)
    grads = np.empty(rows.shape, dtype=object)
    with mpmath.workdps(int(dps)):
        kw = dict(options)
        if "temperature" in kw:
            kw["temperature"] = to_mpf(np.float64(kw["temperature"]))
        for r, (row, t) in enumerate(zip(rows, ts, strict=True)):
            xs = [to_mpf(v) for v in row]

            def f(v: list[mpf], t: int = int(t)) -> mpf:
                return twin(v, t, **kw)

            losses[r] = +f(xs)
            grads[r, :] = numerical_jacobian(f, xs)[0]
    return (
        losses.reshape(moved.shape[:-1]),
        np.moveaxis(grads.reshape(moved.shape), -1, ax),
    )
