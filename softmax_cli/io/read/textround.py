"""Decimal text rounded ONCE to a narrow float type (float32, float16, bfloat16, float8).

The readers parse text as float64 (in C, correctly rounded) and then cast to the chosen
dtype. That is two roundings, and it differs from rounding the decimal once, directly,
in exactly one case: the float64 value lands on a *midpoint* of the narrow type (the
number halfway between two neighbours), so the second rounding's tie-break ignores on
which side of the midpoint the text lay. ``1.0000000596046447753906250000001`` is
above the float32 midpoint ``1 + 2**-24``, so float32 must read it as
``1.0000001192092896``; through float64 it lands on the midpoint and ties to ``1.0``.

Every midpoint of a narrow type is a float64 number (it needs one more bit than the
type, and the subnormal grid of float32 is far above float64's), so text whose float64
value is *not* a midpoint already rounds correctly, the overflow threshold (halfway
past the largest finite value) and the subnormal edge (half the smallest subnormal)
included: they are midpoints too. :func:`midpoints` finds the suspects, vectorised;
:func:`nudge` decides each from its text exactly (:class:`decimal.Decimal` compares a
decimal and a binary number exactly) and moves the float64 value one float64 step
towards the text, so the single cast that follows rounds as the text does (a tie,
text exactly on the midpoint, keeps the value: the cast then ties to even).

Examples
--------
>>> import numpy as np
>>> v = np.array([float("1.0000000596046447753906250000001"), 0.1])
>>> midpoints(v, np.dtype(np.float32)).tolist()
[True, False]
>>> bool(nudge(v[0], "1.0000000596046447753906250000001") > v[0])
True
>>> fixed = round_once(v, np.dtype(np.float32), lambda r, c: "1.0000000596046447753906250000001")
>>> fixed.astype(np.float32).tolist()
[1.0000001192092896, 0.10000000149011612]
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

import numpy as np

from ...floats import finfo

__all__ = ["block_tokens", "chunk_tokens", "midpoints", "nudge", "round_once"]


def midpoints(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """Where the float64 ``values`` sit exactly halfway between two neighbours in ``dt``.

    In ``dt``'s normal range a midpoint has one more significant bit than ``dt``: its
    float64 significand ends in a one followed by ``52 - nmant - 1`` zeros, read
    straight from the bits (the overflow threshold, halfway past the largest value, is
    one; past the range a flagged value overflows whichever way it is nudged). Below
    it (``dt``'s subnormals, rare) ``v`` is a midpoint when ``v`` over half the
    smallest subnormal is an odd integer; half the smallest subnormal is one.

    Examples
    --------
    >>> f32 = np.dtype(np.float32)
    >>> midpoints(np.array([1 + 2.0**-24, 1 + 2.0**-23, 2.0**-150, 0.0, np.inf]), f32).tolist()
    [True, False, True, False, False]
    """
    info = finfo(dt)
    nmant, minexp = int(info.nmant), int(info.minexp)
    v = np.ascontiguousarray(values, dtype=np.float64)
    bits = v.view(np.uint64)
    buf = bits & np.uint64((1 << (52 - nmant)) - 1)
    out = buf == np.uint64(1 << (52 - nmant - 1))
    # below dt's normal range: the float64 exponent field under minexp's, and not 0
    # (zero and float64's subnormals are never midpoints); field - 1 wraps 0 to the top
    np.bitwise_and(bits, np.uint64(0x7FF << 52), out=buf)
    np.subtract(buf, np.uint64(1), out=buf)
    tiny = buf < np.uint64(((minexp + 1023) << 52) - 1)
    if tiny.any():
        idx = np.flatnonzero(tiny)
        halves = np.ldexp(v.ravel()[idx], nmant + 1 - minexp)  # exact: a power-of-two scale
        out.ravel()[idx] = np.abs(halves) % 2.0 == 1.0  # an odd integer
    return out


def nudge(value: float, token: str) -> float:
    """``value`` (a midpoint, ``float(token)``) moved one float64 step towards ``token``.

    Kept when the text is exactly the midpoint (then the cast ties to even, as the
    once-rounded text does) or is not a decimal number at all.

    Examples
    --------
    >>> nudge(1.0000000596046448, "1.00000005960464477539") < 1.0000000596046448
    True
    >>> nudge(0.5, "0.5")
    0.5
    """
    if not isinstance(token, str):  # a float without its text: nothing to decide by
        return value
    try:
        exact = Decimal(token.strip().replace("\u2212", "-"))
    except InvalidOperation:
        return value
    if not exact.is_finite():
        return value
    point = Decimal(value)  # exact: every float is a finite decimal
    if exact > point:
        return float(np.nextafter(value, np.inf))
    if exact < point:
        return float(np.nextafter(value, -np.inf))
    return value


def round_once(values: np.ndarray, dt: np.dtype, token_at: Callable[[int, int], str]) -> np.ndarray:
    """``values`` (float64, 2-D, parsed from text) with each midpoint of ``dt`` nudged.

    ``token_at(row, col)`` gives the text of ``values[row, col]``; it is called only
    for midpoints. The result casts to ``dt`` as the texts round to ``dt`` directly;
    ``values`` itself is not changed (a copy is made when a midpoint is nudged).

    Examples
    --------
    >>> v = np.array([[2.0**-150, 3.0]])
    >>> round_once(v, np.dtype(np.float32), lambda r, c: "7.1e-46").astype(np.float32)
    array([[1.e-45, 3.e+00]], dtype=float32)
    """
    if dt.itemsize >= 8 or values.dtype != np.float64:
        return values
    mid = midpoints(values, dt)
    if not mid.any():
        return values
    hits = np.argwhere(mid.reshape(values.shape[0], -1))
    out = values.copy()
    flat = out.reshape(values.shape[0], -1)
    for r, c in hits.tolist():
        flat[r, c] = nudge(float(flat[r, c]), token_at(r, c))
    return out


def chunk_tokens(parser: Any, data: list[str], numbers: np.ndarray) -> Callable[[int, int], str]:
    """``token_at`` for a chunk of delimited lines ``data`` (rows) of ``parser``.

    ``parser`` is the :class:`~.delimited._DelimitedParser` that read them: its
    splitting (quotes, whitespace) and value columns. A very long row is walked to
    the field, not split into a list of millions of strings.
    """

    def token_at(r: int, c: int) -> str:
        wide = parser._wide_fields(data[r])
        if wide is not None:
            fields = wide[1]
        else:
            fields = iter(parser._split_fields(data[r], lambda: None, int(numbers[r])))
        return next(islice(fields, parser.value_cols[c], None))

    return token_at


def block_tokens(block: bytes, delim: str) -> Callable[[int, int], str]:
    """``token_at`` for a block of plain ASCII lines split by ``delim`` (the engine's).

    Examples
    --------
    >>> block_tokens(b"1,2\\n3,4\\n", ",")(1, 0)
    '3'
    """
    lines: list[bytes] = []

    def token_at(r: int, c: int) -> str:
        if not lines:
            lines.extend(block.split(b"\n"))
        return lines[r].split(delim.encode("ascii"))[c].decode("ascii")

    return token_at
