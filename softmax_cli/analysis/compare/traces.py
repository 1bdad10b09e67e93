"""Explain traces: the naive, ``x − max`` and accurate implementations, step by step.

Each trace function ``f(T, x, τ)`` runs the same operations as the function it
explains (bit for bit, tests hold them to it) on a :class:`~.tracer.Tracer`.
The registry names them (``traces=`` of a record, ``"module:function"``);
loss traces are factories ``f(target) -> trace``.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ... import oracle
from ...floats import two_prod, two_sum
from .tracer import TraceFn, Tracer, mdiv_u, objmap

# ---- naive and shifted twins, exactly as exp_family writes them


def _exp_sum(T: Tracer, a: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``e = exp(a)`` and ``s = Σ e``, as two steps."""
    e = T.exp("exp", f"e = exp({name})", a)
    return e, T.sum("sum", "s = Σ e", e)


def softmax_naive(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    e, s = _exp_sum(T, T.scale(T.work(x), tau), "x")
    return T.div("normalize", "p = e / s", e, s)


def log_softmax_naive(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    p = softmax_naive(T, x, tau)
    return T.log("log", "log p", p)


def logsumexp_naive(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, s = _exp_sum(T, T.scale(T.work(x), tau), "x")
    out = T.log("log", "LSE = log s", s)
    if tau != 1.0:
        out = T.mul("unscale", "τ·LSE", out, np.atleast_1d(T.const(tau)))
    return out


def _shift(T: Tracer, x: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    x = T.scale(T.work(x), tau)
    m = T.max("max", "m = max x", x)
    return m, T.sub("shift", "d = x − m", x, m, kind="shift")


def softmax_shifted(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, d = _shift(T, x, tau)
    e, s = _exp_sum(T, d, "d")
    return T.div("normalize", "p = e / s", e, s)


def log_softmax_shifted(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, d = _shift(T, x, tau)
    _, s = _exp_sum(T, d, "d")
    ls = T.log("log", "l = log s", s)
    return T.sub("subtract", "log p = d − l", d, ls)


def logsumexp_shifted(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    m, d = _shift(T, x, tau)
    _, s = _exp_sum(T, d, "d")
    ls = T.log("log", "l = log s", s)
    out = T.add("add", "LSE = m + l", m, ls)
    if tau != 1.0:
        out = T.mul("unscale", "τ·LSE", out, np.atleast_1d(T.const(tau)))
    return out


# ---- the accurate functions, step by step (the library's main path)


def _acc_shift(T: Tracer, x: np.ndarray, tau: float):
    w = T.work(x)
    m = T.max("max", "m = max x", w)

    def f_float(a: np.ndarray, mm: np.ndarray):
        d, e = two_sum(a, -mm)
        if tau == 1.0:
            return d, e
        q = d / tau
        p, pe = two_prod(q, tau)
        qe = ((d - p) - pe + e) / tau
        return q, np.where(np.isfinite(qe), qe, 0)

    t_ex = oracle.to_mpf(np.float64(tau))

    def f_exact(a: np.ndarray, mm: np.ndarray):
        return (a - mm) / t_ex, np.full(a.shape, mpmath.mpf(0), dtype=object)

    pair: list = []  # the step records q; its companion e is kept here
    formula = "q + e = x − m (TwoSum)" if tau == 1.0 else "q + e = (x − m)/τ (TwoSum, TwoProd)"
    q = T.apply(
        "shift",
        "shift",
        formula,
        lambda a, mm: _keep(pair, f_float(a, mm)),
        lambda a, mm: _keep(pair, f_exact(a, mm)),
        w,
        m,
    )
    qe = pair[1]
    t = T.apply(
        "exp",
        "exp",
        "t = exp(q)·(1 + e)",
        lambda q_, e_: np.exp(q_) + np.exp(q_) * e_,
        lambda q_, e_: objmap(mpmath.exp, q_) * (1 + e_),
        q,
        qe,
    )
    k = int(max(range(len(q)), key=lambda i: q[i]))

    def rest_float(t_: np.ndarray, e_: np.ndarray) -> np.ndarray:
        terms = t_.copy()
        terms[k] = e_[k]
        return terms.sum(keepdims=True)

    def rest_exact(t_: np.ndarray, e_: np.ndarray) -> np.ndarray:
        return np.array([mpmath.fsum(v for j, v in enumerate(t_) if j != k) + e_[k]], dtype=object)

    r = T.apply("rest", "rest", f"r = Σ_(j≠{k}) t_j", rest_float, rest_exact, t, qe)
    return m, q, qe, t, r


def _keep(store: list, pair: tuple) -> Any:
    store[:] = list(pair)
    return pair[0]


def softmax_accurate(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, _, _, t, r = _acc_shift(T, x, tau)
    p = T.apply(
        "div",
        "normalize",
        "p = t / (1 + r)",
        lambda a, b: a / (1 + b),
        lambda a, b: mdiv_u(a, 1 + b),
        t,
        r,
    )
    return T.cast(p)


def log_softmax_accurate(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, q, qe, _, r = _acc_shift(T, x, tau)
    lg = T.log1p("log1p", "l = log1p(r)", r)

    def f_float(q_: np.ndarray, l_: np.ndarray, e_: np.ndarray) -> np.ndarray:
        hi, err = two_sum(q_, -l_)
        return hi + (err + e_)

    out = T.apply(
        "sub",
        "subtract",
        "log p = (q − l) + e (TwoSum)",
        f_float,
        lambda q_, l_, e_: q_ - l_ + e_,
        q,
        lg,
        qe,
    )
    return T.cast(out)


def logsumexp_accurate(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    m, _, _, _, r = _acc_shift(T, x, tau)
    lg = T.log1p("log1p", "l = log1p(r)", r)
    t_f = T.const(tau)
    out = T.apply(
        "add",
        "add",
        "LSE = m + l" if tau == 1.0 else "τ·LSE = m + τ·l",
        lambda m_, l_: m_ + t_f * l_,
        lambda m_, l_: m_ + t_f * l_,
        m,
        lg,
    )
    return T.cast(out)


def _ce_trace(base: TraceFn, log_of_p: bool, target: int) -> TraceFn:
    """Cross-entropy ``−log p_t`` from a softmax trace (``log_of_p``) or a log-softmax trace."""

    def run(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
        v = T.pick("pick", f"take entry t = {target}", base(T, x, tau), target)
        if log_of_p:
            v = T.log("log", "log p_t", v)
        return T.neg("negate", "L = −log p_t", v)

    return run


def cross_entropy_naive(target: int) -> TraceFn:
    """``−log(exp(x_t) / Σ exp(x))``: the naive softmax's entry ``t``, then its log."""
    return _ce_trace(softmax_naive, True, target)


def cross_entropy_shifted(target: int) -> TraceFn:
    """``−((x_t − m) − log Σ exp(x − m))``: the ``x − max`` log-softmax's entry ``t``."""
    return _ce_trace(log_softmax_shifted, False, target)


def cross_entropy_accurate(target: int) -> TraceFn:
    """``−log p_t`` from the accurate log-softmax steps: ``−((q_t − l) + e_t)``."""

    def run(T: Tracer, x: np.ndarray, tau: float) -> np.ndarray:
        logp = log_softmax_accurate(T, x, tau)
        v = T.pick("pick", f"take entry t = {target}", logp, target)
        return T.neg("negate", "L = −log p_t", v)

    return run
