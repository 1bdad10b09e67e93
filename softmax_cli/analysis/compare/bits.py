"""``--explain --bits``: every intermediate value as its sign, exponent and mantissa bits.

For each step of an implementation's trace, each value (the head and tail of a
long vector) with the bits stored for it in the step's dtype, the exponent
unbiased, the spacing of floats there (1 ULP), and marks: ``subnormal``,
``inf``, ``nan``, and, for a sum, ``absorbed`` on the sum with the terms that
did not move it (a zero says so in the exponent's place, unmarked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...floats import finfo, float_bits, float_layout, spacing
from .tracer import Step, Trace


@dataclass(frozen=True)
class BitRow:
    """One value of one step, bit by bit."""

    step: str  # the step's formula, on its first row only
    index: int | None  # the entry (None for a step with one value)
    value: object  # the value, a numpy scalar of the step's dtype
    sign: str
    exponent: str  # the stored exponent bits
    power: str  # what they mean: "2^3", "sub" (subnormal), "zero", "inf/nan"
    mantissa: str
    ulp: float  # the spacing of floats at the value
    marks: tuple[str, ...]


def _power(sign_exp: str, mantissa: str, dtype: np.dtype) -> tuple[str, tuple[str, ...]]:
    """What the exponent bits mean, and the marks of the value."""
    bias = 1 - int(finfo(dtype).minexp)  # the smallest normal is 2^(1 − bias)
    e = int(sign_exp, 2)
    ones = (1 << len(sign_exp)) - 1
    m = int(mantissa, 2)
    if e == 0:
        if m == 0:
            return "zero", ()
        return f"sub 2^{1 - bias}", ("subnormal",)
    if e == ones and dtype.name != "float8_e4m3fn":  # IEEE: all ones is inf or nan
        return ("inf", ("inf",)) if m == 0 else ("nan", ("nan",))
    if dtype.name == "float8_e4m3fn" and e == ones and m == (1 << len(mantissa)) - 1:
        return "nan", ("nan",)  # e4m3fn: only S.1111.111 is nan, no inf
    return f"2^{e - bias}", ()


def _entries(n: int, max_entries: int) -> list[int | None]:
    if max_entries <= 0 or n <= max_entries:
        return list(range(n))
    tail = max(1, max_entries // 4)
    return [*range(max_entries - tail), None, *range(n - tail, n)]


def step_rows(step: Step, max_entries: int = 8) -> list[BitRow | None]:
    """The :class:`BitRow` of each shown value of ``step`` (``None`` marks the gap).

    Examples
    --------
    >>> from softmax_cli.floats import parse_dtype
    >>> bf = parse_dtype("bfloat16")
    >>> st = Step("sum", "s = Σ e", np.array([256.0], dtype=bf), bf, absorbed=(256, 257))
    >>> r = step_rows(st)[0]
    >>> r.sign, r.exponent, r.power, r.mantissa, r.ulp, r.marks
    ('0', '10000111', '2^8', '0000000', 2.0, ('absorbed 2 terms (entries 256, 257)',))
    """
    dt = np.dtype(step.dtype)
    float_layout(dt)  # raises for a dtype whose bits are not shown
    values = np.atleast_1d(step.values)
    bits = float_bits(values, dt)
    single = values.size == 1
    rows: list[BitRow | None] = []
    for k, i in enumerate(_entries(values.size, max_entries)):
        if i is None:
            rows.append(None)
            continue
        sign, exponent, mantissa = bits[i]
        power, marks = _power(exponent, mantissa, dt)
        if single and step.absorbed:
            shown = ", ".join(str(j) for j in step.absorbed[:3])
            more = ", …" if len(step.absorbed) > 3 else ""
            n = len(step.absorbed)
            what = f"{n} terms (entries {shown}{more})" if n > 1 else f"1 term (entry {shown})"
            marks = (*marks, f"absorbed {what}")
        rows.append(
            BitRow(
                step.formula if k == 0 else "",
                None if single else i,
                values[i],
                sign,
                exponent,
                power,
                mantissa,
                spacing(values[i], dt),
                marks,
            )
        )
    return rows


def trace_rows(trace: Trace, max_entries: int = 8) -> list[BitRow | None]:
    """:func:`step_rows` of every step of ``trace``, one after another."""
    return [row for st in trace.steps for row in step_rows(st, max_entries)]


def layout_text(dtype: np.dtype) -> str:
    """``bfloat16: 1 sign · 8 exponent · 7 mantissa bits`` for a title.

    Examples
    --------
    >>> layout_text(np.dtype(np.float16))
    'float16: 1 sign · 5 exponent · 10 mantissa bits'
    """
    ne, nm = float_layout(dtype)
    return f"{np.dtype(dtype).name}: 1 sign · {ne} exponent · {nm} mantissa bits"
