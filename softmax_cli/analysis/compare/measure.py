"""Compare one vector: run every implementation, measure it against the oracle, flag it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import mpmath
import numpy as np

from ... import oracle
from ..._arrays import as_float_array
from ...errors import SoftmaxInputError
from ...floats import finfo, is_float_dtype
from .explain import _explained, _float_trace
from .formatting import _agreed_digits
from .limits import GUARD_DPS, LOST_ULP, check_dps, check_size
from .results import Comparison, Result
from .subjects import Subject, subject
from .tracer import Step
from .verdict import _verdict

_CAUSES = ("overflow", "underflow")


def _flags(
    values: np.ndarray, exact: Sequence[Any], dtype: np.dtype, wrong: np.ndarray, cause: str | None
) -> tuple[tuple[str, ...], ...]:
    info = finfo(dtype)
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
        A registry mapping, or a loss (``cross-entropy``, ...; then ``target`` is required).
    dtype : dtype, optional
        float16, float32, float64, longdouble, bfloat16 or float8 (default: that of
        ``x``, float64 for ints).
    dps : int
        Oracle precision in significant digits (``MIN_DPS`` .. ``MAX_DPS``).
    temperature : float
        τ > 0; every implementation sees ``x/τ``.
    params : dict, optional
        The method's parameters (``alpha``, ``k``, ...).
    target : int, optional
        The true class, for a loss.
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
    if not is_float_dtype(dt):
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
            trace, _ = _float_trace(name, title, fn, xs, tau, dt, sj.accumulate)
        # the verdict and the flags come from the float run alone: --explain only adds detail
        stories[name] = trace.story() if trace is not None else []
        flags = _flags(values, exact, dt, wrong, _cause(stories[name]))
        if trace is not None and explain:
            trace = _explained(trace, fn, xs, tau, dps + GUARD_DPS, values, exact, sj.accumulate)
        results.append(Result(name, values, ulps, flags, wrong, trace))

    cmp = Comparison(
        sj.name, sj.output, dt, dps, tau, xs, tuple(exact), text, tuple(results), kappa, (), target,
        sj.accumulate,
    )  # fmt: skip
    return replace(cmp, verdict=tuple(_verdict(cmp, stories)))


def _cause(story: list[Step]) -> str | None:
    """The overflow or underflow a wrong entry is flagged with."""
    return next((st.event for st in story if st.event in _CAUSES), None)
