"""Naive against ``x − max`` against accurate against the mpmath oracle, as result records.

:func:`compare_vector` runs every implementation a method has on one vector
of logits, in one float dtype, and measures each result against the oracle:

* ``naive``: the textbook formula (``exp(x)/Σ exp(x)``), the registry's ``naive`` twin;
* ``shifted``: the usual ``x − max`` formula, the registry's ``shifted`` twin;
* ``accurate``: the library function itself.

Methods without twins (sparsemax, entmax, ...) have the accurate column only.

Every result carries its error in ULPs of the dtype (``|computed − exact| /
ulp(exact)``, see :func:`softmax_cli.oracle.ulp_error`) and flags per entry:

``nan``
    a nan where the true value is a number;
``inf``, ``-inf``
    an infinity where the true value is a finite number inside the dtype's range;
``overflow``
    an intermediate overflowed and this entry is wrong because of it, or the true
    value itself lies beyond the dtype's largest finite number (then ``inf`` is right);
``underflow``
    a 0 where the true value is below the dtype's smallest positive number (then 0
    is the best float: the error is under one ULP), or an intermediate underflowed
    and this entry is wrong because of it;
``exact``
    the float equals the oracle value to all of its digits (``dps + GUARD_DPS``; a
    difference below that, such as ``1 − 5e−435``, is beyond any float anyway).

An entry is *wrong* when its error exceeds ``LOST_ULP`` times its condition
number (at least 1): more than the conditioning of the problem explains.

Condition numbers are componentwise relative ones, ``κ_i = Σ_j |∂f_i/∂x_j| |x_j| / |f_i|``,
the factor by which a relative change of the inputs is magnified in output ``i``.
With ``p = softmax(x/τ)``:

* softmax: ``κ_i = Σ_j |δ_ij − p_j| |x_j| / τ = (|x_i|(1 − p_i) + Σ_{j≠i} p_j |x_j|) / τ``
  (at least ``|x_i − Σ_j p_j x_j| / τ``);
* log-softmax: the same sum divided by ``|log p_i|``;
* logsumexp (``τ·LSE(x/τ)``): ``κ = Σ_j p_j |x_j| / |τ·LSE(x/τ)|``;
* cross-entropy ``L = LSE(x) − x_t``: ``κ = Σ_j |p_j − δ_jt| |x_j| / |L|``.

Rounding the inputs alone (half an ULP each) can cost about ``κ/2`` ULP in the
output, so a large error with a large ``κ`` (``lse([ln ½, ln ½]) ≈ 2.3e−17``,
``κ ≈ 3e16``) is the problem's, not the algorithm's.

The oracle values are shown to 17 significant digits, rounded correctly from the
oracle evaluated at ``dps`` and again at ``dps + GUARD_DPS`` digits: a digit is
printed only where both precisions agree on it.

Examples
--------
>>> cmp = compare_vector([1000.0, 2000.0, 3000.0, 4000.0, 5000.0])
>>> cmp.oracle_text[0]
'6.6385371046556735e-1738'
>>> cmp.result("naive").flags[0]
('nan', 'overflow')
>>> cmp.result("shifted").flags[0], float(cmp.result("shifted").ulp[0])
(('underflow',), 0.0)
>>> print(cmp.verdict[0])
naive: exp(1000) overflows float64 (largest finite exp argument ≈ 709.78); then inf/inf = nan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import mpmath
import numpy as np

from .. import exp_family, oracle, registry
from .._arrays import as_float_array, working_dtype
from ..errors import SoftmaxInputError
from ..floats import exp_overflow_threshold, exp_underflow_threshold, two_prod, two_sum
from ..oracle import exp_family as exact_exp

__all__ = [
    "GUARD_DPS",
    "IMPLEMENTATIONS",
    "LABELS",
    "LOSS_NAMES",
    "LOST_ULP",
    "MAX_DPS",
    "MAX_ENTRIES",
    "MIN_DPS",
    "WARN_ENTRIES",
    "Comparison",
    "Result",
    "RowSummary",
    "Step",
    "Subject",
    "Trace",
    "check_dps",
    "check_size",
    "compare_vector",
    "dtype_name",
    "estimated_seconds",
    "format_kappa",
    "format_ulp",
    "round_significant",
    "subject",
    "summarize",
    "summary_verdict",
]

#: An error above this many ULP (two bits) times the condition number is "wrong".
LOST_ULP = 4.0
#: The oracle is evaluated again at ``dps + GUARD_DPS`` digits to check the printed digits.
GUARD_DPS = 10
#: Below 25 digits the oracle is barely more precise than longdouble (~19.3 digits)
#: plus the margin needed to round 17 digits correctly.
MIN_DPS = 25
#: The oracle's own limit; one ``exp`` already takes ~40 ms there.
MAX_DPS = oracle.MAX_DPS
#: Digits of the oracle value shown.
ORACLE_DIGITS = 17
#: Vectors longer than this get a cost warning; longer than MAX_ENTRIES are refused.
WARN_ENTRIES = 10_000
#: About 25 s of work at 50 digits (measured: ~2.5 s per 10 000 entries, on one core).
MAX_ENTRIES = 100_000
#: Seconds of work per entry at 50 digits (measured: two oracle runs, three ULP measures,
#: flags, condition numbers and correctly rounded digits).
_SECONDS_PER_ENTRY = 2.5e-4

IMPLEMENTATIONS = ("naive", "shifted", "accurate")
LABELS = {"naive": "naive", "shifted": "x − max", "accurate": "accurate"}

_FAIL_EVENTS = ("overflow", "nan", "-inf", "lost digits")
_CAUSES = ("overflow", "underflow")


# ---------------------------------------------------------------------------
# What is compared: a Subject per method
# ---------------------------------------------------------------------------

Impl = Callable[[np.ndarray, float], np.ndarray]
TraceFn = Callable[["_Tracer", np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class Subject:
    """One method made comparable: its implementations, oracle, condition number and traces.

    ``implementations`` maps ``naive``/``shifted``/``accurate`` (those present,
    in that order) to ``f(x, temperature) -> 1-D array`` in the dtype of ``x``;
    ``exact(x, dps, temperature)`` is the oracle as a list of mpf;
    ``condition(xs, temperature, exact)`` gives one κ per output entry (or is None);
    ``traces`` maps an implementation to ``(title, trace function)``.
    """

    name: str
    output: str
    implementations: dict[str, Impl]
    exact: Callable[[np.ndarray, int, float], list]
    condition: Callable[[list, Any, list], list] | None
    traces: dict[str, tuple[str, TraceFn]]

    @property
    def scalar(self) -> bool:
        """Whether the method reduces a vector to one number."""
        return self.output == registry.SCALAR


def _impl(fn: Callable[..., Any], params: dict[str, Any]) -> Impl:
    def run(x: np.ndarray, tau: float) -> np.ndarray:
        return np.atleast_1d(np.asarray(fn(x, temperature=tau, **params)))

    return run


def _as_list(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


#: Losses ``compare`` knows beside the registry's mappings, by every name they answer to.
LOSS_NAMES = {
    "cross-entropy": "cross-entropy",
    "cross_entropy": "cross-entropy",
    "crossentropy": "cross-entropy",
    "ce": "cross-entropy",
    "xent": "cross-entropy",
}


def subject(
    method: str = "softmax", params: dict[str, Any] | None = None, target: int | None = None
) -> Subject:
    """The :class:`Subject` for ``method``: a registry mapping, or ``cross-entropy`` (``target``).

    Raises :class:`SoftmaxInputError` for an unknown method, bad parameters, a
    ``target`` given to a mapping, a missing one for cross-entropy, or a
    stochastic mapping without a ``seed`` (the oracle must see the same noise).

    Examples
    --------
    >>> list(subject("softmax").implementations)
    ['naive', 'shifted', 'accurate']
    >>> list(subject("sparsemax").implementations)
    ['accurate']
    """
    params = dict(params or {})
    loss = LOSS_NAMES.get(str(method).lower())
    if loss is not None:
        if params:
            raise SoftmaxInputError(f"{loss} takes no method parameters, got {', '.join(params)}")
        if target is None:
            raise SoftmaxInputError(f"{loss} needs --target: the index of the true class")
        return _cross_entropy_subject(target)
    if target is not None:
        raise SoftmaxInputError(f"--target applies to cross-entropy, not to {method}")
    m = registry.get(method)
    p = m.validate(params)
    if m.stochastic and p.get("seed") is None:
        raise SoftmaxInputError(
            f"{m.name} is random: give --seed so that the library and the oracle see the same noise"
        )
    impls = {
        name: _impl(fn, p)
        for name, fn in (("naive", m.naive), ("shifted", m.shifted), ("accurate", m.func))
        if fn is not None
    }
    traces = {
        name: _TRACES[fn]
        for name, fn in (("naive", m.naive), ("shifted", m.shifted), ("accurate", m.func))
        if fn in _TRACES
    }

    def exact(x: np.ndarray, dps: int, tau: float) -> list:
        return _as_list(oracle.evaluate(m.name, x, dps=dps, temperature=tau, **p))

    return Subject(m.name, m.output, impls, exact, _CONDITIONS.get(m.name), traces)


def _check_target(target: Any, n: int) -> int:
    if isinstance(target, bool) or not float(target).is_integer() or not 0 <= int(target) < n:
        raise SoftmaxInputError(f"--target must be a class index in 0..{n - 1}, got {target!r}")
    return int(target)


def _cross_entropy_subject(target: int) -> Subject:
    """Cross-entropy on logits: ``LSE(x/τ) − x_t/τ`` against its textbook and x − max forms."""
    try:
        from .. import losses
        from ..oracle import losses as exact_losses
    except ImportError as err:  # pragma: no cover - a build without the losses module
        raise SoftmaxInputError(f"cross-entropy is not available here ({err})") from None

    def accurate(x: np.ndarray, tau: float) -> np.ndarray:
        t = _check_target(target, x.shape[-1])
        return np.atleast_1d(np.asarray(losses.cross_entropy(x, t, temperature=tau)[0]))

    def naive(x: np.ndarray, tau: float) -> np.ndarray:
        t = _check_target(target, x.shape[-1])
        return np.atleast_1d(np.asarray(losses.cross_entropy_naive(x, t, temperature=tau)))

    def shifted(x: np.ndarray, tau: float) -> np.ndarray:
        t = _check_target(target, x.shape[-1])
        return np.atleast_1d(-exp_family.log_softmax_shifted(x, temperature=tau)[t])

    def exact(x: np.ndarray, dps: int, tau: float) -> list:
        t = _check_target(target, x.shape[-1])
        with mpmath.workdps(dps):
            xs = [oracle.to_mpf(a) for a in x]
            return [exact_losses.cross_entropy(xs, t, temperature=oracle.to_mpf(tau))]

    def condition(xs: list, tau: Any, out: list) -> list:
        return _cond_cross_entropy(xs, tau, target, out)

    traces = {
        "naive": ("−log(exp(x_t) / Σ exp(x))", _ce_trace(_t_softmax_naive, True, target)),
        "shifted": (
            "−((x_t − m) − log Σ exp(x − m))",
            _ce_trace(_t_log_softmax_shifted, False, target),
        ),
        "accurate": (
            "−((q_t − log1p(r)) + e_t), r = Σ t but the max's 1",
            _t_cross_entropy_accurate(target),
        ),
    }
    impls = {"naive": naive, "shifted": shifted, "accurate": accurate}
    return Subject("cross-entropy", registry.SCALAR, impls, exact, condition, traces)


# ---------------------------------------------------------------------------
# Condition numbers (exact, from the oracle's p)
# ---------------------------------------------------------------------------


def _sensitivities(xs: list, p: list) -> list | None:
    """``Σ_j |δ_ij − p_j| |x_j|`` for every i, without cancellation; None for special input."""
    if not all(mpmath.isfinite(v) for v in xs):
        return None
    k = max(range(len(p)), key=lambda i: p[i])
    ax = [abs(v) for v in xs]
    s = mpmath.fsum(pj * a for pj, a in zip(p, ax, strict=True))  # Σ p_j |x_j|
    out = []
    for i, (pi, a) in enumerate(zip(p, ax, strict=True)):
        if i == k:  # p_k may be 1 − tiny: sum the others instead of subtracting
            others = mpmath.fsum(pj for j, pj in enumerate(p) if j != k)
            pairs = enumerate(zip(p, ax, strict=True))
            rest = mpmath.fsum(pj * aj for j, (pj, aj) in pairs if j != k)
        else:  # p_i ≤ 1/2: no cancellation
            others = 1 - pi
            rest = s - pi * a
        out.append(a * others + rest)
    return out


def _ratio(num: Any, den: Any) -> Any:
    if num == 0:
        return mpmath.mpf(0)
    return mpmath.inf if den == 0 else abs(num / den)


def _cond_softmax(xs: list, tau: Any, out: list) -> list:
    sens = _sensitivities(xs, out)
    return [mpmath.nan] * len(xs) if sens is None else [v / tau for v in sens]


def _cond_log_softmax(xs: list, tau: Any, out: list) -> list:
    sens = _sensitivities(xs, [mpmath.exp(v) for v in out])
    if sens is None:
        return [mpmath.nan] * len(xs)
    return [_ratio(v / tau, lp) for v, lp in zip(sens, out, strict=True)]


def _cond_logsumexp(xs: list, tau: Any, out: list) -> list:
    if not all(mpmath.isfinite(v) for v in xs):
        return [mpmath.nan]
    p = exact_exp.softmax(xs, temperature=tau)
    return [_ratio(mpmath.fsum(pj * abs(v) for pj, v in zip(p, xs, strict=True)), out[0])]


def _cond_cross_entropy(xs: list, tau: Any, target: int, out: list) -> list:
    if not all(mpmath.isfinite(v) for v in xs):
        return [mpmath.nan]
    sens = _sensitivities(xs, exact_exp.softmax(xs, temperature=tau))
    return [_ratio(sens[target] / tau, out[0])]


_CONDITIONS = {
    "softmax": _cond_softmax,
    "log-softmax": _cond_log_softmax,
    "logsumexp": _cond_logsumexp,
}


# ---------------------------------------------------------------------------
# Step-by-step traces: the same code run in floats and in exact arithmetic
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of an implementation: its values, and what went wrong there.

    ``event`` is one of ``overflow``, ``nan``, ``-inf``, ``lost digits`` (failures),
    or ``underflow``, ``zero``, ``absorbed``, ``rounded`` (information), or None;
    ``note`` says it in words. ``exact`` and ``ulp`` (the step's error against the
    same step done exactly, in ULPs of ``dtype``) are filled by ``explain`` only.
    """

    key: str
    formula: str
    values: np.ndarray
    dtype: np.dtype
    event: str | None = None
    note: str = ""
    exact: tuple | None = None
    ulp: np.ndarray | None = None

    @property
    def failed(self) -> bool:
        """Whether this step produced an inf, a nan or lost digits."""
        return self.event in _FAIL_EVENTS


@dataclass(frozen=True)
class Trace:
    """The steps of one implementation, in the order it runs them."""

    implementation: str
    title: str
    steps: tuple[Step, ...]

    @property
    def first_failure(self) -> int | None:
        """Index of the first step where an inf, a nan or a lost digit appears."""
        return next((i for i, s in enumerate(self.steps) if s.failed), None)

    def story(self) -> list[Step]:
        """The steps that tell what went wrong, in order (possibly empty).

        From the first failure on (preceded by the underflow that caused it, if
        any), every failure and every spurious zero; without a failure, the last
        piece of information (an absorbed sum, a rounded shift, an underflow).
        """
        events = [i for i, s in enumerate(self.steps) if s.event]
        first = self.first_failure
        if first is None:
            return [self.steps[events[-1]]] if events else []
        before = [i for i in events if i < first and self.steps[i].event == "underflow"]
        start = before[-1] if before else first
        return [
            self.steps[i]
            for i in events
            if i == start
            or (i >= first and (self.steps[i].failed or self.steps[i].event == "zero"))
        ]


def _g(v: Any) -> str:
    """A number in a sentence: its shortest repr if short, else 4 significant digits.

    Examples
    --------
    >>> _g(np.float16(22032)), _g(4.2483542552915889e-18), _g(5e-324), _g(float("-inf"))
    ('22032', '4.248e-18', '5e-324', '-inf')
    """
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    short = repr(f)
    if short.endswith(".0"):
        short = short[:-2]
    return short if len(short) <= 7 else f"{f:.4g}"


def format_kappa(v: Any) -> str:
    """A condition number for a human: two significant digits, plain up to a million.

    Examples
    --------
    >>> [format_kappa(v) for v in (6.9352, 9000.0, 1462.8, 2.9889e16, 0.99931, 0.0)]
    ['6.9', '9000', '1500', '3e+16', '1', '0']
    """
    f = float(v)
    if math.isinf(f) or math.isnan(f):
        return _g(f)
    if f < 1e6:
        return f"{float(f'{f:.2g}'):g}"
    return f"{f:.2g}"


def dtype_name(dt: Any) -> str:
    """``longdouble`` where numpy says float128/float96, else the dtype's name.

    Examples
    --------
    >>> dtype_name(np.float16), dtype_name(np.longdouble) in ('longdouble', 'float64')
    ('float16', True)
    """
    dt = np.dtype(dt)
    return "longdouble" if dt == np.dtype(np.longdouble) and dt.itemsize > 8 else dt.name


def _objmap(fn: Callable[[Any], Any], a: np.ndarray) -> np.ndarray:
    return np.array([fn(v) for v in a], dtype=object)


def _mdiv(a: Any, b: Any) -> Any:
    if b == 0:
        if a == 0 or mpmath.isnan(a):
            return mpmath.nan
        return mpmath.inf if a > 0 else -mpmath.inf
    return a / b


_mdiv_u = np.frompyfunc(_mdiv, 2, 1)


class _Tracer:
    """Runs a trace function in one float dtype (``dtype``), or exactly (``exact=True``).

    Every operation records a step; the float run also detects the events.
    """

    def __init__(self, dtype: np.dtype, final: np.dtype | None = None, exact: bool = False):
        self.exact = exact
        self.dt = np.dtype(dtype)
        self.final = final
        self.steps: list[tuple[str, str, str, np.ndarray, tuple, np.dtype | None]] = []

    def _step(self, kind: str, key: str, formula: str, value: Any, *operands: Any) -> np.ndarray:
        v = np.atleast_1d(value)
        if not self.exact:
            v = v.astype(self.dt, copy=False)
        self.steps.append((kind, key, formula, v, operands, self.dt))
        return v

    def work(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the working dtype (exactly, for the exact run)."""
        if self.exact:
            return _objmap(oracle.to_mpf, np.asarray(x))
        return np.asarray(x, dtype=self.dt)

    def const(self, v: float) -> Any:
        return oracle.to_mpf(np.float64(v)) if self.exact else self.dt.type(v)

    def scale(self, x: np.ndarray, tau: float) -> np.ndarray:
        """``x/τ`` as a step (nothing when τ = 1), τ rounded to the dtype as the twins do."""
        if tau == 1.0:
            return x
        t = (
            np.array([oracle.to_mpf(np.float64(tau))], dtype=object)
            if self.exact
            else np.array([tau], dtype=self.dt)
        )
        return self.div("scale", "x ← x / τ", x, t)

    def exp(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        return self._step(
            "exp", key, formula, _objmap(mpmath.exp, a) if self.exact else np.exp(a), a
        )

    def log(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        return self._step("log", key, formula, _objmap(_mlog, a) if self.exact else np.log(a), a)

    def log1p(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        return self._step(
            "log1p", key, formula, _objmap(_mlog1p, a) if self.exact else np.log1p(a), a
        )

    def sum(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        v = [mpmath.fsum(a)] if self.exact else a.sum(keepdims=True)
        return self._step("sum", key, formula, np.asarray(v, dtype=a.dtype), a)

    def max(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        v = [max(a)] if self.exact else a.max(keepdims=True)
        return self._step("max", key, formula, np.asarray(v, dtype=a.dtype), a)

    def sub(
        self, key: str, formula: str, a: np.ndarray, b: np.ndarray, kind: str = "sub"
    ) -> np.ndarray:
        return self._step(kind, key, formula, a - b, a, b)

    def add(self, key: str, formula: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._step("add", key, formula, a + b, a, b)

    def mul(self, key: str, formula: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._step("mul", key, formula, a * b, a, b)

    def div(self, key: str, formula: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._step("div", key, formula, _mdiv_u(a, b) if self.exact else a / b, a, b)

    def neg(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        return self._step("neg", key, formula, -a, a)

    def pick(self, key: str, formula: str, a: np.ndarray, t: int) -> np.ndarray:
        return self._step("pick", key, formula, a[t : t + 1], a)

    def apply(
        self,
        kind: str,
        key: str,
        formula: str,
        f_float: Callable[..., Any],
        f_exact: Callable[..., Any],
        *operands: Any,
    ) -> np.ndarray:
        """A composite step: ``f_float`` in floats, ``f_exact`` on mpf object arrays."""
        return self._step(
            kind, key, formula, (f_exact if self.exact else f_float)(*operands), *operands
        )

    def cast(self, a: np.ndarray) -> np.ndarray:
        """Round once to the output dtype (a step only when it differs from the working one).

        Later steps then work in the output dtype, as the library does after rounding.
        """
        if self.final is None or self.final == self.dt:
            return a
        formula = f"round once to {dtype_name(self.final)}"
        v = a if self.exact else a.astype(self.final)
        with np.errstate(over="ignore"):
            self.steps.append(("cast", "round", formula, v, (a,), self.final))
        self.dt = self.final
        return v


def _mlog(v: Any) -> Any:
    return mpmath.nan if v < 0 else mpmath.log(v)


def _mlog1p(v: Any) -> Any:
    return mpmath.nan if v < -1 else mpmath.log1p(v)


# ---- trace functions: naive and shifted twins, exactly as exp_family writes them


def _exp_sum(T: _Tracer, a: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``e = exp(a)`` and ``s = Σ e``, as two steps."""
    e = T.exp("exp", f"e = exp({name})", a)
    return e, T.sum("sum", "s = Σ e", e)


def _t_softmax_naive(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    e, s = _exp_sum(T, T.scale(T.work(x), tau), "x")
    return T.div("normalize", "p = e / s", e, s)


def _t_log_softmax_naive(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    p = _t_softmax_naive(T, x, tau)
    return T.log("log", "log p", p)


def _t_logsumexp_naive(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, s = _exp_sum(T, T.scale(T.work(x), tau), "x")
    out = T.log("log", "LSE = log s", s)
    if tau != 1.0:
        out = T.mul("unscale", "τ·LSE", out, np.atleast_1d(T.const(tau)))
    return out


def _shift(T: _Tracer, x: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    x = T.scale(T.work(x), tau)
    m = T.max("max", "m = max x", x)
    return m, T.sub("shift", "d = x − m", x, m, kind="shift")


def _t_softmax_shifted(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, d = _shift(T, x, tau)
    e, s = _exp_sum(T, d, "d")
    return T.div("normalize", "p = e / s", e, s)


def _t_log_softmax_shifted(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, d = _shift(T, x, tau)
    _, s = _exp_sum(T, d, "d")
    ls = T.log("log", "l = log s", s)
    return T.sub("subtract", "log p = d − l", d, ls)


def _t_logsumexp_shifted(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    m, d = _shift(T, x, tau)
    _, s = _exp_sum(T, d, "d")
    ls = T.log("log", "l = log s", s)
    out = T.add("add", "LSE = m + l", m, ls)
    if tau != 1.0:
        out = T.mul("unscale", "τ·LSE", out, np.atleast_1d(T.const(tau)))
    return out


# ---- the accurate functions, step by step (the library's main path)


def _acc_shift(T: _Tracer, x: np.ndarray, tau: float):
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
        lambda q_, e_: _objmap(mpmath.exp, q_) * (1 + e_),
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


def _t_softmax_accurate(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
    _, _, _, t, r = _acc_shift(T, x, tau)
    p = T.apply(
        "div",
        "normalize",
        "p = t / (1 + r)",
        lambda a, b: a / (1 + b),
        lambda a, b: _mdiv_u(a, 1 + b),
        t,
        r,
    )
    return T.cast(p)


def _t_log_softmax_accurate(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
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


def _t_logsumexp_accurate(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
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

    def run(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
        v = T.pick("pick", f"take entry t = {target}", base(T, x, tau), target)
        if log_of_p:
            v = T.log("log", "log p_t", v)
        return T.neg("negate", "L = −log p_t", v)

    return run


def _t_cross_entropy_accurate(target: int) -> TraceFn:
    """``−log p_t`` from the accurate log-softmax steps: ``−((q_t − l) + e_t)``."""

    def run(T: _Tracer, x: np.ndarray, tau: float) -> np.ndarray:
        logp = _t_log_softmax_accurate(T, x, tau)
        v = T.pick("pick", f"take entry t = {target}", logp, target)
        return T.neg("negate", "L = −log p_t", v)

    return run


_TRACES: dict[Callable[..., Any], tuple[str, TraceFn]] = {
    exp_family.softmax_naive: ("exp(x) / Σ exp(x)", _t_softmax_naive),
    exp_family.softmax_shifted: ("exp(x − m) / Σ exp(x − m), m = max x", _t_softmax_shifted),
    exp_family.softmax: ("t / (1 + r), r = Σ t but the max's 1", _t_softmax_accurate),
    exp_family.log_softmax_naive: ("log(exp(x) / Σ exp(x))", _t_log_softmax_naive),
    exp_family.log_softmax_shifted: ("(x − m) − log Σ exp(x − m)", _t_log_softmax_shifted),
    exp_family.log_softmax: (
        "(q − log1p(r)) + e, r = Σ t but the max's 1",
        _t_log_softmax_accurate,
    ),
    exp_family.logsumexp_naive: ("log Σ exp(x)", _t_logsumexp_naive),
    exp_family.logsumexp_shifted: ("m + log Σ exp(x − m)", _t_logsumexp_shifted),
    exp_family.logsumexp: ("m + log1p(r), r = Σ t but the max's 1", _t_logsumexp_accurate),
}


# ---- what went wrong at a step (float run only)


def _detect(
    kind: str, value: np.ndarray, operands: tuple, dtype: np.dtype
) -> tuple[str | None, str]:
    """The event at a step and a sentence for it, from its values and operands alone."""
    arrays = [np.atleast_1d(o) for o in operands if isinstance(o, np.ndarray)]
    name = dtype_name(dtype)
    v = value

    def had(test: Callable[[np.ndarray], np.ndarray]) -> bool:
        return any(bool(test(o).any()) for o in arrays)

    def pairs(mask: np.ndarray) -> tuple[Any, ...] | None:
        idx = int(np.flatnonzero(mask)[0])
        if kind in ("sum", "max", "rest") or not arrays:
            return None
        full = np.broadcast_arrays(*arrays, v)
        return tuple(a[idx] for a in full[:-1])

    sym = {"sub": " − ", "shift": " − ", "add": " + ", "mul": "·", "div": "/"}.get(kind)

    def show(mask: np.ndarray, result: str) -> str:
        ops = pairs(mask)
        if ops is None:
            return f"Σ = {result}" if kind in ("sum", "rest") else f"{kind} = {result}"
        if sym is not None and len(ops) >= 2:
            return f"{_g(ops[0])}{sym}{_g(ops[1])} = {result}"
        if kind == "cast":
            return f"{_g(ops[0])} rounds to {result} in {name}"
        return f"{kind}({_g(ops[0])}) = {result}"

    parts: list[str] = []
    event = None
    new_nan = np.isnan(v) & ~had(np.isnan)
    if new_nan.any():
        event = "nan"
        parts.append(show(new_nan, "nan"))
    new_inf = np.isinf(v) & (v > 0) & ~had(np.isinf)
    if new_inf.any():
        event = event or "overflow"
        if kind == "exp":
            a = pairs(new_inf)[0]
            parts.append(
                f"exp({_g(a)}) overflows {name} (largest finite exp argument ≈ "
                f"{exp_overflow_threshold(dtype):.2f})"
            )
        elif kind == "sum":
            parts.append(
                f"Σ overflows {name}: the terms are finite, their sum is above its "
                f"largest value ≈ {_g(np.finfo(dtype).max)}"
            )
        else:
            parts.append(show(new_inf, "inf") + f" (overflow: above {_g(np.finfo(dtype).max)})")
    new_ninf = np.isinf(v) & (v < 0) & ~had(np.isinf)
    if new_ninf.any():
        event = event or "-inf"
        parts.append(show(new_ninf, "-inf"))
    if kind == "exp" and arrays:
        zero = (v == 0) & np.isfinite(arrays[0])
        if zero.any():
            event = event or "underflow"
            k, n = int(zero.sum()), zero.size
            lim = f"(exp(x) rounds to 0 below x ≈ {exp_underflow_threshold(dtype):.2f})"
            if k == n and n > 1:
                parts.append(f"every exp(x_i) underflows to 0 in {name} {lim}")
            else:
                a = pairs(zero)[0]
                more = f" and {k - 1} more" if k > 1 else ""
                parts.append(
                    f"exp({_g(a)}){more} underflow{'s' if k == 1 else ''} to 0 in {name} {lim}"
                )
    if kind in ("div", "mul") and len(arrays) >= 2:
        a, b = np.broadcast_arrays(arrays[0], arrays[1])[:2]
        zero = (v == 0) & (a != 0) & np.isfinite(a) & ~np.isnan(b)
        if zero.any():
            event = event or "zero"
            parts.insert(0, show(zero, "0"))
    if kind == "sum" and arrays and v.size == 1 and np.isfinite(v).all():
        a = arrays[0]
        if a.size > 1 and np.isfinite(a).all():
            k = int(np.argmax(np.abs(a)))
            rest = np.delete(a, k).sum()
            if rest != 0 and v[0] == a[k]:
                event = event or "absorbed"
                parts.append(
                    f"Σ = {_g(v[0])} + {_g(rest)} rounds to {_g(v[0])}: the smaller "
                    "terms fall below half an ULP of the sum"
                )
    if kind == "shift" and len(arrays) == 2 and not parts:
        _, err = two_sum(*np.broadcast_arrays(arrays[0], -arrays[1]))
        if (err != 0).any():
            k = int((err != 0).sum())
            event = "rounded"
            parts.append(
                f"x − m is rounded for {k} of {err.size} entries (error up to "
                f"{_g(np.abs(err).max())}); exp turns that into a relative error"
            )
    return event, " and ".join(parts)


def _tracer(name: str, dtype: np.dtype, exact: bool = False) -> _Tracer:
    """The accurate functions work in float64 (longdouble) and round once; the twins don't."""
    work = working_dtype(dtype) if name == "accurate" else dtype
    return _Tracer(work, final=np.dtype(dtype), exact=exact)


def _run_trace(fn: TraceFn, x: np.ndarray, tau: float, dtype: np.dtype, name: str):
    T = _tracer(name, dtype)
    with np.errstate(all="ignore"):
        out = fn(T, x, tau)
    return T, out


def _float_trace(
    name: str, title: str, fn: TraceFn, x: np.ndarray, tau: float, dtype: np.dtype
) -> tuple[Trace, np.ndarray]:
    T, out = _run_trace(fn, x, tau, dtype, name)
    steps = []
    for kind, key, formula, value, operands, dt in T.steps:
        event, note = _detect(kind, value, operands, dt)
        steps.append(Step(key, formula, value, dt, event, note))
    return Trace(name, title, tuple(steps)), out


def _explained(
    trace: Trace,
    fn: TraceFn,
    x: np.ndarray,
    tau: float,
    dps: int,
    computed: np.ndarray,
    exact_out: list,
) -> Trace:
    """``trace`` with each step's exact value and error; marks where digits are lost."""
    T = _tracer(trace.implementation, computed.dtype, exact=True)
    try:
        with mpmath.workdps(dps):
            fn(T, x, tau)
        exact_steps = [s[3] for s in T.steps]
    except (ArithmeticError, ValueError, TypeError):
        exact_steps = [None] * len(trace.steps)
    steps = []
    seen = False
    for st, ex in zip(trace.steps, exact_steps, strict=True):
        if ex is None or len(ex) != len(st.values):
            steps.append(st)
            continue
        with mpmath.workdps(dps):
            err = oracle.ulp_error(st.values, ex, st.dtype)
        event, note = st.event, st.note
        finite = np.isfinite(st.values) & np.array([mpmath.isfinite(v) for v in ex])
        lost = (err > LOST_ULP) & finite
        if not seen and not st.failed and lost.any():
            event = "lost digits"
            i = int(np.argmax(np.where(lost, err, -1)))
            note = (
                f"off by {format_ulp(err[i])} ULP"
                + (f" at entry {i}" if err.size > 1 else "")
                + (f" (exact {round_significant(ex[i], 5)})" if err.size == 1 else "")
                + (f"; {st.note}" if st.note else "")
            )
        seen = seen or event in _FAIL_EVENTS
        steps.append(Step(st.key, st.formula, st.values, st.dtype, event, note, tuple(ex), err))
    final = steps[-1].values if steps else None
    if final is None or not _same(final, computed):
        with mpmath.workdps(dps):
            err = oracle.ulp_error(computed, exact_out, computed.dtype)
        steps.append(
            Step(
                "library",
                "the library's own result (special values or a subnormal sum take another path)",
                computed,
                computed.dtype,
                None,
                "",
                tuple(exact_out),
                err,
            )
        )
    return Trace(trace.implementation, trace.title, tuple(steps))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One implementation's output on a vector, measured against the oracle."""

    name: str
    values: np.ndarray
    ulp: np.ndarray
    flags: tuple[tuple[str, ...], ...]
    wrong: np.ndarray
    trace: Trace | None = None

    @property
    def label(self) -> str:
        """The column heading: ``naive``, ``x − max`` or ``accurate``."""
        return LABELS[self.name]

    @property
    def worst(self) -> float:
        """The largest error in ULPs (0 for an empty vector)."""
        return float(self.ulp.max()) if self.ulp.size else 0.0

    @property
    def worst_index(self) -> int:
        """Where the largest error is."""
        return int(np.argmax(self.ulp)) if self.ulp.size else 0

    @property
    def failed(self) -> bool:
        """Whether some entry is off by more than the conditioning explains."""
        return bool(self.wrong.any())


@dataclass(frozen=True)
class Comparison:
    """Everything ``softmax compare`` shows about one vector."""

    method: str
    output: str
    dtype: np.dtype
    dps: int
    temperature: float
    x: np.ndarray
    exact: tuple
    oracle_text: tuple[str, ...]
    results: tuple[Result, ...]
    condition: np.ndarray | None
    verdict: tuple[str, ...]
    target: int | None = None

    def result(self, name: str) -> Result:
        """The result of implementation ``name`` (``naive``, ``shifted`` or ``accurate``)."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    @property
    def accurate(self) -> Result:
        """The library's result."""
        return self.result("accurate")

    @property
    def scalar(self) -> bool:
        """Whether the method reduces the vector to one number."""
        return self.output == registry.SCALAR


def format_ulp(v: float) -> str:
    """An error in ULPs for a human: ``0``, ``0.42``, ``8.3``, ``1476``, ``2.4e+16``, ``∞``.

    Examples
    --------
    >>> [format_ulp(v) for v in (0.0, 1e-111, 0.4213, 8.34, 1475.6, 2.4e16, float("inf"))]
    ['0', '<0.01', '0.42', '8.3', '1476', '2.4e+16', '∞']
    """
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "∞"
    if f == 0:
        return "0"
    if f < 0.01:
        return "<0.01"
    if f < 10:
        return f"{f:.2g}"
    if f < 1e6:
        return f"{f:.0f}"
    return f"{f:.2g}"


def round_significant(v: Any, digits: int = ORACLE_DIGITS) -> str:
    """``v`` correctly rounded (half to even) to ``digits`` significant digits.

    Works for any mpf, however far beyond float range; trailing zeros are
    dropped; scientific notation below 1e-4 and from 1e17 on.

    Examples
    --------
    >>> round_significant(mpmath.mpf(2) / 3)
    '0.66666666666666667'
    >>> round_significant(mpmath.mpf("6.63853710465567349937e-1738"))
    '6.6385371046556735e-1738'
    >>> round_significant(mpmath.mpf(1)), round_significant(mpmath.mpf("-2.5"), 1)
    ('1.0', '-2.0')
    """
    if not isinstance(v, mpmath.mpf):
        with mpmath.workprec(256):
            v = mpmath.mpf(v)
    if mpmath.isnan(v):
        return "nan"
    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0.0"
    neg, man, exp, bc = v._mpf_
    sign = "-" if neg else ""
    if abs(exp + bc) > 1 << 20:  # exp(-1e9): 10**j below would have ~1e8 digits (hours)
        mant, _, e = mpmath.nstr(abs(v), digits, strip_zeros=False).partition("e")
        mant = mant.rstrip("0").rstrip(".")
        return f"{sign}{mant}e{'-' if int(e) < 0 else '+'}{abs(int(e)):02d}"
    # 2**(exp + bc - 1) <= |v| < 2**(exp + bc): a first guess of the decimal exponent
    e10 = math.floor((exp + bc - 1) * 0.30102999566398120)
    for _ in range(8):
        j = digits - 1 - e10  # n = round(|v| * 10**j), in exact integer arithmetic
        num, den = man, 1
        if j >= 0:
            num *= 10**j
        else:
            den *= 10**-j
        if exp >= 0:
            num <<= exp
        else:
            den <<= -exp
        n, r = divmod(num, den)
        if 2 * r > den or (2 * r == den and n % 2):
            n += 1
        if n >= 10**digits:
            e10 += 1
        elif n < 10 ** (digits - 1):
            e10 -= 1
        else:
            break
    s = str(n)
    if -4 <= e10 < 17:
        if e10 >= 0:
            whole, frac = s[: e10 + 1].ljust(e10 + 1, "0"), s[e10 + 1 :]
        else:
            whole, frac = "0", "0" * (-e10 - 1) + s
        frac = frac.rstrip("0") or "0"
        return f"{sign}{whole}.{frac}"
    mant = s[0] + ("." + s[1:].rstrip("0") if s[1:].rstrip("0") else "")
    return f"{sign}{mant}e{'-' if e10 < 0 else '+'}{abs(e10):02d}"


def _agreed_digits(lo: Any, hi: Any) -> str:
    """The most digits (≤ 17) on which the two precisions' roundings agree."""
    for d in range(ORACLE_DIGITS, 0, -1):
        s = round_significant(hi, d)
        if round_significant(lo, d) == s:
            return s
    return "?"


def _flags(
    values: np.ndarray, exact: Sequence[Any], dtype: np.dtype, wrong: np.ndarray, cause: str | None
) -> tuple[tuple[str, ...], ...]:
    info = np.finfo(dtype)
    with mpmath.workprec(max(mpmath.mp.prec, 200)):
        big = oracle.to_mpf(info.max)
        beyond = big + oracle.ulp(big, dtype) / 2
        tiny = oracle.to_mpf(info.smallest_subnormal)
        out = []
        for c, e, bad in zip(values, exact, wrong, strict=True):
            f: list[str] = []
            if np.isnan(c) and not mpmath.isnan(e):
                f.append("nan")
            elif np.isinf(c) and mpmath.isfinite(e):
                f.append("overflow" if abs(e) >= beyond else ("inf" if c > 0 else "-inf"))
            elif c == 0 and e != 0 and mpmath.isfinite(e) and abs(e) < tiny:
                f.append("underflow")
            elif np.isfinite(c) and oracle.to_mpf(c) == e:
                f.append("exact")
            if bad and cause and cause not in f:
                f.append(cause)
            out.append(tuple(f))
    return tuple(out)


def check_dps(dps: int) -> int:
    """Return ``dps`` if the oracle can work at it, else raise :class:`SoftmaxInputError`.

    Examples
    --------
    >>> check_dps(50)
    50
    """
    if isinstance(dps, bool) or not float(dps).is_integer() or not MIN_DPS <= dps <= MAX_DPS:
        raise SoftmaxInputError(
            f"dps must be between {MIN_DPS} and {MAX_DPS}, got {dps}: with fewer digits the "
            f"oracle is not clearly more precise than longdouble (~19 digits); {MAX_DPS} is "
            "the oracle's limit (one exp takes ~40 ms there)"
        )
    return int(dps)


def estimated_seconds(n: int, dps: int) -> float:
    """Rough oracle time for a vector of ``n`` entries at ``dps`` digits (measured at 50).

    Examples
    --------
    >>> round(estimated_seconds(10_000, 50), 1)
    2.5
    """
    return n * _SECONDS_PER_ENTRY * max(1.0, dps / 50) ** 1.5


def check_size(n: int, dps: int) -> str | None:
    """A one-line cost warning for a long vector, None for a short one; refuse past the cap.

    Examples
    --------
    >>> check_size(5, 50) is None
    True
    >>> check_size(20_000, 50).startswith("warning:")
    True
    """
    if n > MAX_ENTRIES:
        raise SoftmaxInputError(
            f"a vector of {n} entries is past compare's cap of {MAX_ENTRIES} (every entry is "
            f"evaluated in arbitrary precision, about {estimated_seconds(MAX_ENTRIES, 50):.0f} s "
            f"at the cap); compare a slice, or use 'softmax compute' for the values alone"
        )
    sec = estimated_seconds(n, dps)
    if n > WARN_ENTRIES or sec > 30:
        return (
            f"warning: the oracle evaluates {n} entries at {dps} digits: about "
            f"{sec:.0f} s per vector"
        )
    return None


def compare_vector(
    x: Any,
    method: str = "softmax",
    *,
    dtype: Any = None,
    dps: int = oracle.DEFAULT_DPS,
    temperature: float = 1.0,
    params: dict[str, Any] | None = None,
    target: int | None = None,
    explain: bool = False,
    subj: Subject | None = None,
) -> Comparison:
    """Compare every implementation of ``method`` on the vector ``x`` against the oracle.

    Parameters
    ----------
    x : array_like
        One vector of logits; it is rounded to ``dtype`` first, and the oracle
        sees those float values exactly.
    method : str
        A registry mapping or ``cross-entropy`` (then ``target`` is required).
    dtype : dtype, optional
        float16, float32, float64 or longdouble (default: that of ``x``, float64 for ints).
    dps : int
        Oracle precision in significant digits (``MIN_DPS`` .. ``MAX_DPS``).
    temperature : float
        τ > 0; every implementation sees ``x/τ``.
    params : dict, optional
        The method's parameters (``alpha``, ``k``, ...).
    target : int, optional
        The true class, for cross-entropy.
    explain : bool
        Also measure every step of every implementation against the same step done
        exactly (costs about one more oracle run per implementation).
    subj : Subject, optional
        A prepared :func:`subject` (``method``, ``params``, ``target`` are then ignored).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> cmp = compare_vector([1, 2, 3, 4, 5])
    >>> [float(v) for v in cmp.accurate.values.round(8)]
    [0.01165623, 0.03168492, 0.08612854, 0.23412166, 0.63640865]
    >>> cmp = compare_vector([10, 11, 12], dtype="float16")
    >>> cmp.result("naive").values.tolist()
    [0.0, 0.0, nan]
    >>> print(cmp.verdict[0])
    naive: exp(12) overflows float16 (largest finite exp argument ≈ 11.09); then
    22032/inf = 0 and inf/inf = nan.
    """
    sj = subj if subj is not None else subject(method, params, target)
    a = as_float_array(x)
    dt = np.dtype(dtype) if dtype is not None else a.dtype
    if dt.kind != "f":
        raise SoftmaxInputError(f"compare needs a float dtype, got {dt}")
    with np.errstate(over="ignore"):
        xs = np.ascontiguousarray(a, dtype=dt)
    if xs.ndim != 1 or xs.size == 0:
        raise SoftmaxInputError("compare takes one non-empty vector of logits")
    dps = check_dps(dps)
    check_size(xs.size, dps)
    tau = float(temperature)

    outputs = {name: fn(xs, tau) for name, fn in sj.implementations.items()}
    lo = sj.exact(xs, dps, tau)
    exact = sj.exact(xs, dps + GUARD_DPS, tau)
    text = tuple(_agreed_digits(a_, b_) for a_, b_ in zip(lo, exact, strict=True))

    kappa = None
    if sj.condition is not None:
        with mpmath.workdps(dps):
            xm = [oracle.to_mpf(v) for v in xs]
            k = sj.condition(xm, oracle.to_mpf(np.float64(tau)), exact)
        kappa = np.array([float(v) for v in k], dtype=np.float64)
    allowed = (
        LOST_ULP * np.minimum(np.maximum(1.0, np.nan_to_num(kappa, nan=1.0)), 1e300)
        if kappa is not None
        else np.full(len(exact), LOST_ULP)
    )

    results, stories = [], {}
    for name, values in outputs.items():
        ulps = oracle.ulp_error(values, np.asarray(exact, dtype=object), dt)
        wrong = (ulps > allowed) | np.isinf(ulps)
        trace = None
        if name in sj.traces:
            title, fn = sj.traces[name]
            trace, _ = _float_trace(name, title, fn, xs, tau, dt)
        # the verdict and the flags come from the float run alone: --explain only adds detail
        stories[name] = trace.story() if trace is not None else []
        flags = _flags(values, exact, dt, wrong, _cause(stories[name]))
        if trace is not None and explain:
            trace = _explained(trace, fn, xs, tau, dps + GUARD_DPS, values, exact)
        results.append(Result(name, values, ulps, flags, wrong, trace))

    cmp = Comparison(
        sj.name, sj.output, dt, dps, tau, xs, tuple(exact), text, tuple(results), kappa, (), target
    )
    return replace(cmp, verdict=tuple(_verdict(cmp, stories)))


def _cause(story: list[Step]) -> str | None:
    """The overflow or underflow a wrong entry is flagged with."""
    return next((st.event for st in story if st.event in _CAUSES), None)


# ---------------------------------------------------------------------------
# The verdict: a few plain sentences
# ---------------------------------------------------------------------------


def _where(cmp: Comparison, i: int) -> str:
    return "" if cmp.scalar else f" (entry {i})"


def _verdict(cmp: Comparison, stories: dict[str, list[Step]]) -> list[str]:
    """One sentence per implementation, then one on the conditioning."""
    if np.isnan(cmp.x).any():
        return [
            "x holds a nan: the oracle's answer is nan too, and every implementation "
            "that returns nan is right."
        ]
    lines = []
    name = dtype_name(cmp.dtype)
    tiny = np.finfo(cmp.dtype).smallest_subnormal
    kappa = cmp.condition
    for r in cmp.results:
        story = stories.get(r.name, [])
        if r.failed:
            i = int(np.argmax(np.where(r.wrong, r.ulp, -1)))
            told = "; then ".join(s.note for s in story if s.note)
            tail = ""
            if np.isfinite(r.ulp[i]):
                tail = f"error {format_ulp(r.ulp[i])} ULP{_where(cmp, i)}"
                if kappa is not None and np.isfinite(kappa[i]):
                    k = format_kappa(max(kappa[i], 1))
                    tail += f", more than the conditioning explains (κ ≈ {k})"
                elif kappa is None:
                    tail += f", above {LOST_ULP:g} ULP"
            lines.append(f"{r.label}: " + "; ".join(t for t in (told, tail) if t) + ".")
            continue
        parts = []
        if r.name == "naive":
            fine = "fine here: " if r.worst <= LOST_ULP else ""
            parts.append(f"{fine}no exp(x_i) overflows {name} and their sum is not 0")
        elif r.name == "shifted":
            m = np.max(cmp.x) / cmp.dtype.type(cmp.temperature)
            parts.append(
                f"subtracting the max ({_g(m)}) makes every exponent ≤ 0 and one of "
                "them 0: no exp overflows and the sum is at least 1"
            )
        if any("underflow" in f for f in r.flags):
            parts.append(
                f"the 0s are right: the true values are below {name}'s smallest "
                f"positive number, {_g(tiny)}"
            )
        i = r.worst_index
        parts.append(
            f"worst error {format_ulp(r.worst)} ULP" + (_where(cmp, i) if r.worst > 0 else "")
        )
        if r.worst > LOST_ULP and kappa is not None:
            parts.append(f"within what the conditioning allows (κ ≈ {format_kappa(kappa[i])})")
            if story and story[-1].event == "rounded":
                parts.append("it is the rounding of x − m, magnified by exp")
        lines.append(f"{r.label}: " + "; ".join(parts) + ".")
    if kappa is not None and np.isfinite(kappa).all():
        lines.append(_condition_sentence(cmp))
    return lines


def _condition_sentence(cmp: Comparison) -> str:
    k = float(np.max(cmp.condition))
    at = _where(cmp, int(np.argmax(cmp.condition)))
    eps = float(np.finfo(cmp.dtype).eps)
    if k == 0:
        return "condition: κ = 0: the result does not change with the inputs' last bits."
    if k <= 10:
        return (
            f"condition: κ ≤ {format_kappa(k)}{at}: well-conditioned, so an error above a few ULP "
            "is the algorithm's."
        )
    if k < 1 / math.sqrt(eps):
        return (
            f"condition: κ up to {format_kappa(k)}{at}: rounding the inputs alone could move the "
            f"result by about {format_ulp(k / 2)} ULP; errors far above that are the "
            "algorithm's."
        )
    return (
        f"condition: κ ≈ {format_kappa(k)}{at}: ill-conditioned; changing the inputs in their last "
        f"bit moves the result by ~{format_ulp(k / 2)} ULP, so large errors here are the "
        "problem's, not the algorithm's."
    )


# ---------------------------------------------------------------------------
# Many rows: one summary line each
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSummary:
    """The worst of each implementation on one input row."""

    row: str
    n: int
    worst: dict[str, float]
    where: dict[str, int]
    flags: dict[str, tuple[str, ...]]
    failed: dict[str, bool]
    condition: float | None


_FLAG_ORDER = ("nan", "inf", "-inf", "overflow", "underflow", "absorbed", "exact")


def summarize(cmp: Comparison, row: str) -> RowSummary:
    """One :class:`RowSummary` from a :class:`Comparison`.

    Examples
    --------
    >>> s = summarize(compare_vector([1000.0, 2000.0]), "1")
    >>> s.flags["naive"], s.failed["accurate"]
    (('nan', 'overflow'), False)
    """
    flags = {}
    for r in cmp.results:
        seen = {f for fs in r.flags for f in fs}
        if "exact" in seen and not all("exact" in fs for fs in r.flags):
            seen.discard("exact")
        flags[r.name] = tuple(f for f in _FLAG_ORDER if f in seen)
    kappa = None
    if cmp.condition is not None:
        kappa = float(np.max(cmp.condition))
    return RowSummary(
        row,
        int(cmp.x.size),
        {r.name: r.worst for r in cmp.results},
        {r.name: r.worst_index for r in cmp.results},
        flags,
        {r.name: r.failed for r in cmp.results},
        kappa,
    )


def summary_verdict(rows: Sequence[RowSummary]) -> list[str]:
    """A sentence per implementation over many rows: worst error and how many rows failed.

    Examples
    --------
    >>> rows = [summarize(compare_vector(v), str(i)) for i, v in enumerate([[1, 2], [1000, 2000]])]
    >>> summary_verdict(rows)[0]
    'naive: wrong on 1 of 2 rows (first: row 1: nan, overflow).'
    """
    if not rows:
        return []
    out = []
    for name in IMPLEMENTATIONS:
        have = [r for r in rows if name in r.worst]
        if not have:
            continue
        failed = [r for r in have if r.failed[name]]
        worst = max(have, key=lambda r: r.worst[name])
        label = LABELS[name]
        if failed:
            first = failed[0]
            what = ", ".join(first.flags[name]) or f"{format_ulp(first.worst[name])} ULP"
            out.append(
                f"{label}: wrong on {len(failed)} of {len(have)} rows "
                f"(first: row {first.row}: {what})."
            )
        else:
            out.append(
                f"{label}: right on all {len(have)} rows; worst error "
                f"{format_ulp(worst.worst[name])} ULP (row {worst.row})."
            )
    return out
