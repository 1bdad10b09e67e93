"""softmax_cli/_pow10.h, the table of 10^k the compiled text kernels share, checked exactly.

The header is written by scripts/gen_pow10.py with integer shifts and divisions; here each
row is checked with :class:`fractions.Fraction` instead: ``M <= 10^k / 2^e < M + 1``,
``2^127 <= M < 2^128``, and exactness only for ``0 <= k <= 55``.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

HEADER = Path(__file__).resolve().parent.parent / "softmax_cli" / "_pow10.h"


def _rows() -> list[tuple[int, int, int]]:
    text = HEADER.read_text()
    rows = re.findall(r"\{0x([0-9a-f]{16})u, 0x([0-9a-f]{16})u\}, /\* (-?\d+) \*/", text)
    body = re.search(r"POW10_EXP\[\] = \{(.*?)\};", text, re.S)
    assert body is not None
    exps = [int(x) for x in body.group(1).split(",") if x.strip()]
    assert len(rows) == len(exps)
    return [
        (int(k), (int(hi, 16) << 64) | int(lo, 16), e)
        for (hi, lo, k), e in zip(rows, exps, strict=True)
    ]


def test_every_row_is_the_floor_of_its_power_of_ten() -> None:
    rows = _rows()
    assert [k for k, _, _ in rows] == list(range(-350, 351))
    for k, m, e in rows:
        exact = Fraction(10) ** k / Fraction(2) ** e
        assert 2**127 <= m < 2**128, k
        assert m <= exact < m + 1, k
        assert (exact == m) == (0 <= k <= 55), k


def test_the_bounds_in_the_header_match_its_rows() -> None:
    text = HEADER.read_text()
    assert "#define POW10_MIN (-350)" in text and "#define POW10_MAX 350" in text
