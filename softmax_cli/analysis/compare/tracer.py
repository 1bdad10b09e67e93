"""The step tracer: one trace function run in a float dtype or exactly, every step recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ... import oracle
from .formatting import dtype_name

FAIL_EVENTS = ("overflow", "nan", "-inf", "lost digits")

TraceFn = Callable[["Tracer", np.ndarray, float], np.ndarray]


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
    #: for a sum: the indices of the terms whose addition left it unchanged
    absorbed: tuple[int, ...] = ()

    @property
    def failed(self) -> bool:
        """Whether this step produced an inf, a nan or lost digits."""
        return self.event in FAIL_EVENTS


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


def objmap(fn: Callable[[Any], Any], a: np.ndarray) -> np.ndarray:
    return np.array([fn(v) for v in a], dtype=object)


def _mdiv(a: Any, b: Any) -> Any:
    if b == 0:
        if a == 0 or mpmath.isnan(a):
            return mpmath.nan
        return mpmath.inf if a > 0 else -mpmath.inf
    return a / b


mdiv_u = np.frompyfunc(_mdiv, 2, 1)


class Tracer:
    """Runs a trace function in one float dtype (``dtype``), or exactly (``exact=True``).

    Every operation records a step; the float run also detects the events.
    """

    def __init__(
        self,
        dtype: np.dtype,
        final: np.dtype | None = None,
        exact: bool = False,
        accumulate: np.dtype | None = None,
    ):
        self.exact = exact
        self.dt = np.dtype(dtype)
        self.final = final
        #: the dtype sums are added in (the twins' ``accumulate=``); what follows a sum
        #: stays in it, as the twins compute, and is rounded to ``dt`` once at the end
        self.acc = np.dtype(accumulate) if accumulate is not None else None
        self.steps: list[tuple[str, str, str, np.ndarray, tuple, np.dtype | None]] = []

    def _step(self, kind: str, key: str, formula: str, value: Any, *operands: Any) -> np.ndarray:
        v = np.atleast_1d(value)
        dt = self.dt
        if self.acc is not None and any(
            isinstance(o, np.ndarray) and o.dtype == self.acc for o in operands
        ):
            dt = self.acc
        if not self.exact:
            v = v.astype(dt, copy=False)
        self.steps.append((kind, key, formula, v, operands, dt))
        return v

    def work(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the working dtype (exactly, for the exact run)."""
        if self.exact:
            return objmap(oracle.to_mpf, np.asarray(x))
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
            "exp", key, formula, objmap(mpmath.exp, a) if self.exact else np.exp(a), a
        )

    def log(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        return self._step("log", key, formula, objmap(_mlog, a) if self.exact else np.log(a), a)

    def log1p(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        return self._step(
            "log1p", key, formula, objmap(_mlog1p, a) if self.exact else np.log1p(a), a
        )

    def sum(self, key: str, formula: str, a: np.ndarray) -> np.ndarray:
        if self.exact:
            return self._step("sum", key, formula, np.asarray([mpmath.fsum(a)], dtype=object), a)
        if self.acc is not None:
            w = a.astype(self.acc)
            self.steps.append(("sum", key, formula, w.sum(keepdims=True), (w,), self.acc))
            return self.steps[-1][3]
        return self._step("sum", key, formula, a.sum(keepdims=True), a)

    def finish(self, out: np.ndarray) -> np.ndarray:
        """With ``accumulate``: round a result still in the accumulator to ``dt``, a step."""
        if self.exact or self.acc is None or out.dtype == self.dt:
            return out
        v = out.astype(self.dt)
        self.steps.append(("cast", "round", f"round to {dtype_name(self.dt)}", v, (out,), self.dt))
        return v

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
        return self._step("div", key, formula, mdiv_u(a, b) if self.exact else a / b, a, b)

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
