"""``compare --explain --bits`` and the bit facts under it, against struct and bit patterns.

The references are independent of :func:`softmax_cli.floats.float_bits`:
``struct`` packs float16/32/64 (IEEE binary16/32/64, big-endian); a bfloat16 is
the top half of its float32; and for every dtype, every pattern decodes back to
its value by the textbook formula (−1)^s · 2^(e − bias) · (1 + m/2^p), or
2^(1 − bias) · m/2^p below the normal range.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

ml_dtypes = pytest.importorskip("ml_dtypes")

from softmax_cli.analysis.compare.bits import step_rows  # noqa: E402
from softmax_cli.analysis.compare.tracer import Step  # noqa: E402
from softmax_cli.floats import float_bits, float_layout, parse_dtype, spacing  # noqa: E402

SMALL = ["float16", "bfloat16", "float8_e4m3fn", "float8_e5m2"]  # every pattern is checked
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
BIAS = {"float16": 15, "float32": 127, "float64": 1023, "bfloat16": 127,
        "float8_e4m3fn": 7, "float8_e5m2": 15}  # fmt: skip


def all_values(name: str) -> np.ndarray:
    dt = parse_dtype(name)
    n = 1 << (8 * dt.itemsize)
    return np.arange(n, dtype=np.int64).astype(UINT[dt.itemsize]).view(dt)


def sample_values(name: str) -> np.ndarray:
    dt = parse_dtype(name)
    rng = np.random.default_rng(5)
    words = rng.integers(0, 1 << 62, 3000, dtype=np.int64).astype(np.uint64)
    words = words if dt.itemsize == 8 else words.astype(UINT[dt.itemsize])
    special = np.array([0.0, -0.0, 1.0, np.inf, -np.inf, 2.0**-149, 2.0**-1074]).astype(dt)
    return np.concatenate([words.view(dt), special])


def decode(sign: str, exponent: str, mantissa: str, name: str) -> float:
    e, m, p = int(exponent, 2), int(mantissa, 2), len(mantissa)
    s = -1.0 if sign == "1" else 1.0
    if e == 0:
        return s * 2.0 ** (1 - BIAS[name]) * (m / 2**p)
    return s * 2.0 ** (e - BIAS[name]) * (1 + m / 2**p)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_ieee_bits_are_structs_bits(name):
    values = sample_values(name)
    fmt = {"float16": ">e", "float32": ">f", "float64": ">d"}[name]
    for v, (s, e, m) in zip(values, float_bits(values, parse_dtype(name)), strict=True):
        if np.isnan(v):  # struct keeps no NaN payload
            continue
        packed = "".join(f"{byte:08b}" for byte in struct.pack(fmt, v))
        assert s + e + m == packed


def test_bfloat16_bits_are_the_top_half_of_its_float32():
    values = all_values("bfloat16")
    with np.errstate(invalid="ignore"):
        wide = values.astype(np.float32)
    for v, (s, e, m) in zip(wide, float_bits(values, values.dtype), strict=True):
        packed = "".join(f"{byte:08b}" for byte in struct.pack(">f", v))
        assert (s + e + m) == packed[:16] or np.isnan(v)


@pytest.mark.parametrize("name", [*SMALL, "float32", "float64"])
def test_every_pattern_decodes_back_to_its_value(name):
    values = all_values(name) if name in SMALL else sample_values(name)
    dt = values.dtype
    ne, nm = float_layout(dt)
    with np.errstate(invalid="ignore", over="ignore"):
        wide = values.astype(np.float64)
    for v, (s, e, m) in zip(wide, float_bits(values, dt), strict=True):
        assert (len(s), len(e), len(m)) == (1, ne, nm)
        if np.isfinite(v):
            assert decode(s, e, m, name) == v


@pytest.mark.parametrize("name", SMALL)
def test_spacing_is_the_gap_to_the_next_pattern_and_marks_follow_the_bits(name):
    values = all_values(name)
    dt = values.dtype
    u = UINT[dt.itemsize]
    positive = values[: 1 << (8 * dt.itemsize - 1)]  # sign bit 0
    up = (positive.view(u).astype(np.int64) + 1).astype(u).view(dt)
    with np.errstate(invalid="ignore", over="ignore"):
        a, b = positive.astype(np.float64), up.astype(np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    for x, y in zip(a[ok], b[ok], strict=True):
        assert spacing(x, dt) == y - x
    rows = step_rows(Step("k", "f", positive, dt), max_entries=0)
    tiny = float(ml_dtypes.finfo(dt).tiny) if name != "float16" else 2.0**-14
    for x, r in zip(a, rows, strict=True):
        assert ("subnormal" in r.marks) == (0 < x < tiny)
        assert (r.power == "zero") == (x == 0)
        assert ("nan" in r.marks) == bool(np.isnan(x))


@pytest.mark.parametrize("name", ["float16", "float32", "float64", *SMALL[1:]])
def test_compare_bits_json_holds_the_bit_patterns_of_every_step(cli, name):
    r = cli("compare", "--bits", "--dtype", name, "0", "-3", "1.5", "--format", "json")
    assert r.code == 0, r.err
    rec = json.loads(r.out)[0]
    dt = parse_dtype(name)
    checked = 0
    for impl in rec["implementations"].values():
        for st in impl["steps"]:
            sdt = parse_dtype(st["dtype"])
            vals = np.array([float(v) for v in st["values"]]).astype(sdt)
            bits = [" ".join(b) for b in float_bits(vals, sdt)]
            assert st["bits"] == bits
            checked += sdt == dt
    assert checked >= 3


def test_compare_bits_marks_the_absorbed_terms_of_the_bfloat16_stall(cli):
    r = cli("compare", "--bits", "--dtype", "bfloat16", *["0"] * 512,
            "--format", "table", "--max-entries", "3")  # fmt: skip
    assert r.code == 0, r.err
    assert "naive: the bits of each step (bfloat16: 1 sign · 8 exponent · 7 mantissa bits)" in r.out
    assert "0 10000111 0000000" in r.out  # Σ = 256 = 2^8
    assert "↑ absorbed 256 terms (entries 256," in r.out


def test_compare_bits_refuses_longdouble_clearly(cli):
    r = cli("compare", "--bits", "--dtype", "longdouble", "1", "2")
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("error: the bits of longdouble are not shown (their layout depends")
    assert r.err.count("\n") == 1
