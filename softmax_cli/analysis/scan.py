"""``compare --scan``: the worst error of each implementation on ``x·s`` over a range of ``s``.

As the logits grow (``s`` up), the textbook formula meets the float type's
limits one after the other; the scan measures every implementation against the
oracle at each ``s`` and names where the limits are, computed exactly (mpmath)
from the dtype's facts, not read off the curves:

* **overflow**: ``exp(max x·s)`` passes the largest float (rounds to inf) once
  ``max x · s > ln(max + ulp(max)/2)``;
* **underflow**: every ``exp(x_i·s)`` rounds to 0 (``max x < 0``) once
  ``max x · s < ln(smallest subnormal / 2)``;
* **absorption**: the terms other than the max's 1 sum to less than half an
  ULP of 1 — ``1 + rest`` is 1 and ``log`` of the sum loses ``rest``.

Each is reported as the scale ``s*`` where it happens and the scan step that
holds it (the first ``s_k ≥ s*``). The implementations see ``x·s`` rounded to
the dtype, so a failure can show one step early or late where that rounding is
coarser than a step (float8 near its largest values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from .. import oracle
from ..errors import SoftmaxInputError
from ..floats import finfo
from .compare import Subject

#: the most steps one scan takes, and the fewest
MAX_STEPS = 2000
MIN_STEPS = 4


@dataclass(frozen=True)
class Threshold:
    """One limit of the dtype met along the scan: its name, the exact scale, the step."""

    name: str  # "overflow", "underflow" or "absorption"
    scale: float  # s* (the oracle's, rounded to float64)
    step: int | None  # index of the first scan step with s ≥ s*; None: beyond the scan
    text: str  # one sentence


@dataclass(frozen=True)
class Scan:
    """Worst error in ULPs of ``dtype`` of every implementation at every scale."""

    method: str
    dtype: np.dtype
    x: np.ndarray
    scales: np.ndarray
    worst: dict[str, np.ndarray]  # implementation -> worst ULP per scale (inf: nan/inf)
    thresholds: tuple[Threshold, ...]
    accumulate: np.dtype | None = None


def _overflow_boundary(dtype: np.dtype) -> mpmath.mpf:
    """ln of the smallest real that rounds to inf: max + ulp(max)/2."""
    big = oracle.to_mpf(finfo(dtype).max)
    return mpmath.log(big + oracle.ulp(big, dtype) / 2)


def threshold_scales(x: np.ndarray, dtype: np.dtype) -> dict[str, mpmath.mpf]:
    """The exact scales ``s* > 0`` at which ``x·s`` meets overflow, underflow, absorption.

    Examples
    --------
    >>> s = threshold_scales(np.array([1.0, 2.0, 3.0]), np.dtype(np.float16))
    >>> round(float(s["overflow"]), 4)  # ln(65520)/3: 65520 = 65504 + 32/2 rounds to inf
    3.6967
    """
    with mpmath.workdps(40):
        xs = [oracle.to_mpf(v) for v in np.asarray(x, dtype=np.float64)]
        m = max(xs)
        out: dict[str, mpmath.mpf] = {}
        if m > 0:
            out["overflow"] = _overflow_boundary(dtype) / m
        if m < 0:
            tiny = oracle.to_mpf(finfo(dtype).smallest_subnormal)
            out["underflow"] = mpmath.log(tiny / 2) / m
        gaps = [v - m for v in xs]
        if gaps.count(0) == 1 and len(gaps) > 1:
            half = mpmath.ldexp(1, -int(finfo(dtype).nmant) - 1)  # half an ULP of 1

            def rest(s: Any) -> Any:
                return mpmath.fsum(mpmath.exp(g * s) for g in gaps if g != 0) - half

            lo, hi = mpmath.mpf(0), mpmath.mpf(1)
            while rest(hi) > 0:  # rest falls as s grows: every gap is < 0
                lo, hi = hi, hi * 2
            for _ in range(200):  # bisection, to far below float64's resolution
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if rest(mid) > 0 else (lo, mid)
            out["absorption"] = hi
        return out


def default_scales(x: np.ndarray, dtype: np.dtype, steps: int, to: float | None) -> np.ndarray:
    """``steps`` equal steps up to ``to``; by default twice the overflow scale (else the
    underflow's, else the absorption's), which then falls in the middle of a step, so
    the rounding of ``x·s`` to the dtype does not move it to the next one.

    Examples
    --------
    >>> default_scales(np.array([1.0, 2.0]), np.dtype(np.float64), 4, 8.0).tolist()
    [2.0, 4.0, 6.0, 8.0]
    """
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise SoftmaxInputError(
            f"{{param}} must be between {MIN_STEPS} and {MAX_STEPS}, got {steps}",
            param="scan_steps",
        )
    if to is None:
        marks = threshold_scales(x, dtype)
        key = next((k for k in ("overflow", "underflow", "absorption") if k in marks), None)
        ref = float(marks[key]) if key else 10.0
        to = ref * steps / (steps / 2 - 0.5)  # ref at step steps/2 − 0.5: mid-step
    if not (np.isfinite(to) and to > 0):
        raise SoftmaxInputError(f"{{param}} must be a number > 0, got {to!r}", param="scan_to")
    return to * np.arange(1, steps + 1) / steps


def scan(x: Any, subj: Subject, dtype: Any, scales: np.ndarray, *, dps: int = 30) -> Scan:
    """Run every implementation of ``subj`` on ``x·s`` (rounded to ``dtype``) for each scale.

    Examples
    --------
    >>> from softmax_cli.analysis.compare import subject
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> sc = scan(x, subject("softmax"), np.float16, default_scales(x, np.float16, 8, None))
    >>> [t.name for t in sc.thresholds], sc.thresholds[0].step
    (['overflow', 'absorption'], 3)
    >>> bool(np.isinf(sc.worst["naive"][3])), bool(np.isinf(sc.worst["naive"][2]))
    (True, False)
    """
    dt = np.dtype(dtype)
    base = np.asarray(x, dtype=np.float64)
    if base.ndim != 1 or base.size == 0:
        raise SoftmaxInputError("a scan takes one non-empty vector of logits")
    worst = {name: np.zeros(len(scales)) for name in subj.implementations}
    with np.errstate(all="ignore"):
        for k, s in enumerate(scales):
            xs = np.ascontiguousarray((base * s).astype(dt))
            exact = np.asarray(subj.exact(xs, dps, 1.0), dtype=object)
            for name, fn in subj.implementations.items():
                err = oracle.ulp_error(fn(xs, 1.0), exact, dt)
                worst[name][k] = float(np.max(err)) if err.size else 0.0
    found = []
    for name, value in threshold_scales(base, dt).items():
        s_star = float(value)
        later = np.flatnonzero(scales >= s_star)
        step = int(later[0]) if later.size else None
        found.append(Threshold(name, s_star, step, _sentence(name, s_star, base, dt)))
    found.sort(key=lambda t: t.scale)
    return Scan(subj.name, dt, base, np.asarray(scales, dtype=np.float64), worst,
                tuple(found), subj.accumulate)  # fmt: skip


def _sentence(name: str, s: float, x: np.ndarray, dt: np.dtype) -> str:
    m = float(np.max(x))
    if name == "overflow":
        return f"from s = {s:.6g}, exp(max x·s) = exp({m * s:.6g}) is past {dt.name}'s largest"
    if name == "underflow":
        return f"from s = {s:.6g}, every exp(x_i·s) rounds to 0 in {dt.name}"
    return f"from s = {s:.6g}, 1 + (the other terms) rounds to 1 in {dt.name}"
