"""What went wrong at one step of a float run: overflow, nan, underflow, absorption, ..."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ...floats import exp_overflow_threshold, exp_underflow_threshold, finfo, two_sum
from .formatting import _g, dtype_name

# ---- what went wrong at a step (float run only)


def absorbed_terms(a: np.ndarray, v: np.ndarray) -> tuple[int, ...]:
    """The terms of the sum ``v = Σ a`` whose addition left it unchanged.

    Where the sum is a running sum (it equals ``cumsum(a)[-1]``: bfloat16 and
    float8), the terms at which the running sum did not move; otherwise the
    nonzero terms too small to move the final sum (``v + a_i == v``).

    Examples
    --------
    >>> import ml_dtypes
    >>> a = np.ones(260, dtype=ml_dtypes.bfloat16)
    >>> absorbed_terms(a, a.sum(keepdims=True))
    (256, 257, 258, 259)
    >>> absorbed_terms(np.array([1.0, 1e-17, 2.0**-52]), np.array([1.0]))
    (1,)
    """
    a, v = np.atleast_1d(a), np.atleast_1d(v)
    if a.size < 2 or v.size != 1 or not (np.isfinite(a).all() and np.isfinite(v).all()):
        return ()
    with np.errstate(over="ignore"):
        run = np.cumsum(a)
        if run[-1] == v[0]:
            return tuple((np.flatnonzero((a[1:] != 0) & (run[1:] == run[:-1])) + 1).tolist())
        return tuple(np.flatnonzero((a != 0) & (v[0] + a == v[0])).tolist())


def _stall(a: np.ndarray, v: np.ndarray, dtype: np.dtype) -> str:
    """A running sum that stops growing (bfloat16 at 256 with terms of 1), said in words.

    Only where the sum *is* a running sum (numpy adds bfloat16 and float8 element
    after element; float16/32/64 pairwise) and it ends off the exact sum.
    """
    if a.size < 3 or v.size != 1 or not (np.isfinite(a).all() and np.isfinite(v).all()):
        return ""
    with np.errstate(over="ignore"):
        run = np.cumsum(a)
    if not run[-1] == v[0]:
        return ""
    stuck = np.flatnonzero((a[1:] != 0) & (run[1:] == run[:-1])) + 1
    exact = math.fsum(a.astype(np.float64).tolist())
    if not stuck.size or exact == float(v[0]):
        return ""
    i = int(stuck[0])
    at = float(run[i - 1])
    ulp = math.ldexp(1.0, math.frexp(at)[1] - 1 - finfo(dtype).nmant) if at else 0.0
    return (
        f"the running sum stalls at {_g(at)}: adding term {i} ({_g(a[i])}) leaves it "
        f"unchanged, as it does {stuck.size} of {a.size} terms (an ULP of {_g(at)} in "
        f"{dtype_name(dtype)} is {_g(ulp)}); Σ = {_g(v[0])}, exactly {_g(exact)}"
    )


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
                f"largest value ≈ {_g(finfo(dtype).max)}"
            )
        else:
            parts.append(show(new_inf, "inf") + f" (overflow: above {_g(finfo(dtype).max)})")
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
    if kind == "sum" and arrays and not parts:
        stall = _stall(arrays[0], v, dtype)
        if stall:
            event = "absorbed"
            parts.append(stall)
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
