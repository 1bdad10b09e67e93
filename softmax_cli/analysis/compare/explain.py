"""Running traces: the float run with its events, and ``--explain``'s exact run beside it."""

from __future__ import annotations

import mpmath
import numpy as np

from ... import oracle
from ..._arrays import working_dtype
from .events import _detect, absorbed_terms
from .formatting import format_ulp, round_significant
from .limits import LOST_ULP
from .tracer import FAIL_EVENTS, Step, Trace, TraceFn, Tracer


def _tracer(name: str, dtype: np.dtype, exact: bool = False, accumulate=None) -> Tracer:
    """The accurate functions work in float64 (longdouble) and round once; the twins don't
    (but add their sums up in ``accumulate`` when given)."""
    if name == "accurate":
        return Tracer(working_dtype(dtype), final=np.dtype(dtype), exact=exact)
    return Tracer(dtype, final=np.dtype(dtype), exact=exact, accumulate=_wider(accumulate, dtype))


def _wider(accumulate, dtype) -> np.dtype | None:
    """``accumulate`` when it differs from ``dtype`` (else the twins add in ``dtype``)."""
    if accumulate is None or np.dtype(accumulate) == np.dtype(dtype):
        return None
    return np.dtype(accumulate)


def _run_trace(fn: TraceFn, x: np.ndarray, tau: float, dtype: np.dtype, name: str, accumulate):
    T = _tracer(name, dtype, accumulate=accumulate)
    with np.errstate(all="ignore"):
        out = T.finish(fn(T, x, tau))
    return T, out


def _float_trace(
    name: str,
    title: str,
    fn: TraceFn,
    x: np.ndarray,
    tau: float,
    dtype: np.dtype,
    accumulate: np.dtype | None = None,
) -> tuple[Trace, np.ndarray]:
    T, out = _run_trace(fn, x, tau, dtype, name, accumulate)
    steps = []
    for kind, key, formula, value, operands, dt in T.steps:
        event, note = _detect(kind, value, operands, dt)
        gone = absorbed_terms(operands[0], value) if kind == "sum" and operands else ()
        steps.append(Step(key, formula, value, dt, event, note, absorbed=gone))
    return Trace(name, title, tuple(steps)), out


def _explained(
    trace: Trace,
    fn: TraceFn,
    x: np.ndarray,
    tau: float,
    dps: int,
    computed: np.ndarray,
    exact_out: list,
    accumulate: np.dtype | None = None,
) -> Trace:
    """``trace`` with each step's exact value and error; marks where digits are lost."""
    T = _tracer(trace.implementation, computed.dtype, exact=True)
    try:
        with mpmath.workdps(dps):
            out = fn(T, x, tau)
            if _wider(accumulate, computed.dtype) and trace.implementation != "accurate":
                T.steps.append(("cast", "round", "", out, (out,), computed.dtype))
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
        seen = seen or event in FAIL_EVENTS
        steps.append(
            Step(st.key, st.formula, st.values, st.dtype, event, note, tuple(ex), err, st.absorbed)
        )
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
