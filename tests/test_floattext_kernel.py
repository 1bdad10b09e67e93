"""The compiled float formatter (``softmax_cli/_floattext.c``) writes, byte for byte, what
``repr`` (float64) and :func:`~softmax_cli.io.floattext._format_bisect` (float32, the pure
Python text of :func:`~softmax_cli.io.floattext.format_floats`) write.

The oracles are those Python functions, run here on the same values, never text the
kernel wrote before: 10^6 random bit patterns per dtype (every exponent, nan payloads,
subnormals), and the edges: every power of ten and of two in range, the layout
boundaries 1e-5, 1e-4, 1e16 (float32: 1e-4, the precision p) on both sides, the extremes,
values next to the ties of 17 digits (float32: dyadic ties of 6 ... 9 digits), -0.0, nan,
inf. Also: what the writers do with it, the fallbacks, and that a machine with a C
compiler has the module.
"""

from __future__ import annotations

import io
import os
import shutil
import sysconfig
from fractions import Fraction

import numpy as np
import pytest

from softmax_cli.io import floattext, writers

ft = floattext.compiled()
needs_kernel = pytest.mark.skipif(not ft, reason="the compiled formatter is not built")


def test_built_where_a_compiler_is():
    """Where a C compiler exists, ``pip install -e .`` builds the module (CI cannot go slow
    quietly); without one the polars and repr paths write the same text."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc}): the polars and repr paths alone")
    assert ft, f"{cc} exists but softmax_cli._floattext was not built: pip install -e ."


def _kernel_text(flat: np.ndarray, threads: int = 1) -> list[str]:
    col = np.ascontiguousarray(flat).reshape(-1, 1)
    return ft.rows(col, col.dtype == np.float32, col.shape[0], 1, ",", threads).split("\n")


def _oracle(flat: np.ndarray) -> list[str]:
    if flat.dtype == np.float64:
        return list(map(repr, flat.tolist()))
    return floattext._format_bisect(flat)


def _same(flat: np.ndarray) -> None:
    got, want = _kernel_text(flat), _oracle(flat)
    assert len(got) == len(want)
    bad = [(flat[i], g, w) for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
    assert not bad, f"{len(bad)} differ, e.g. (value, kernel, oracle) {bad[:5]}"


def _joined(x: np.ndarray, delim: str) -> str:
    """The oracle's text of 2-D ``x``, as delimited rows."""
    t, w = _oracle(x.ravel()), x.shape[1]
    return "\n".join(delim.join(t[i : i + w]) for i in range(0, len(t), w))


def _both_signs(v: np.ndarray) -> np.ndarray:
    return np.concatenate([v, -v])


@needs_kernel
def test_random_float64_bit_patterns_are_repr():
    bits = np.random.default_rng(20261203).integers(0, 2**64, 10**6, dtype=np.uint64)
    _same(bits.view(np.float64))


@needs_kernel
def test_random_float32_bit_patterns_are_format_floats():
    rng = np.random.default_rng(20261204)
    bits = rng.integers(0, 2**32, 10**6, dtype=np.uint64).astype(np.uint32)
    _same(bits.view(np.float32))


def _float64_edges() -> np.ndarray:
    with np.errstate(over="ignore"):
        tens = np.array([float(f"1e{j}") for j in range(-323, 309)])
    twos = np.ldexp(1.0, np.arange(-1074, 1024))
    bounds = np.array([1e-5, 1e-4, 1e16, 1e15, 1e17, 1e22, 1e23, 2.0**53, 2.0**54])
    special = np.array(
        [
            0.0,
            5e-324,
            1e-323,
            1.5e-323,
            2.2250738585072014e-308,  # the least normal
            2.225073858507201e-308,  # the greatest subnormal
            1.7976931348623157e308,
            np.nan,
            np.inf,
            0.1,
            0.3,
            2.0 / 3.0,
            562949953421312.25,
            4503599627370497.0,
            9007199254740991.0,
        ]
    )
    rng = np.random.default_rng(5)
    # next to a tie of 17 digits: d.dddddddddddddddd5 · 10^e, then the doubles either side
    mant = rng.integers(10**16, 10**17, 3000)
    exps = rng.integers(-320, 290, 3000)
    near = np.array([float(f"{m}5e{e}") for m, e in zip(mant, exps, strict=True)])
    near = np.concatenate([near, np.nextafter(near, 0), np.nextafter(near, np.inf)])
    # integers and short decimals: shortest digits with trailing zeros, exact ties of s, s + 1
    ints = np.concatenate([np.arange(1.0, 3000.0), rng.integers(2**53, 2**62, 3000) * 1.0])
    sub = np.ldexp(rng.integers(1, 2**52, 3000).astype(np.float64), -1074)
    around = np.concatenate([tens, twos, bounds])
    around = np.concatenate([around, np.nextafter(around, 0), np.nextafter(around, np.inf)])
    return _both_signs(np.concatenate([around, special, near, ints, sub, np.arange(1, 300)]))


@needs_kernel
def test_float64_edges_are_repr():
    x = _float64_edges()
    _same(x)
    assert _kernel_text(np.array([-0.0, -np.nan, np.inf]))[:2] == ["-0.0", "nan"]  # no sign on nan
    nan_payloads = (np.arange(1, 2000, dtype=np.uint64) | np.uint64(0x7FF0000000000000)).view(
        np.float64
    )
    _same(_both_signs(nan_payloads))


def _float32_edges() -> np.ndarray:
    with np.errstate(over="ignore"):
        tens = np.array([float(f"1e{j}") for j in range(-45, 39)], dtype=np.float32)
    twos = (np.arange(0, 255, dtype=np.uint32) << np.uint32(23)).view(np.float32)  # 0, 2^-126 ...
    bounds = np.array([1e-5, 1e-4, 1e6, 1e7, 1e8, 1e9, 1e16, 2.0**24], dtype=np.float32)
    rng = np.random.default_rng(6)
    odd = rng.integers(0, 2**13, 6000) * 2 + 1  # dyadic ties of %.{p}g: odd · 2^-n
    ties = np.ldexp(odd, rng.integers(-24, 0, odd.size)).astype(np.float32)
    halves = (np.arange(1_000_000, 1_010_000) + 0.5).astype(np.float32)  # a tie at 7 digits
    sub = rng.integers(1, 2**23, 20_000).astype(np.uint32).view(np.float32)
    tiny = np.arange(1, 3000, dtype=np.uint32).view(np.float32)  # 1e-45, 3e-45 ...
    special = np.array(
        [0.0, 1.17549435e-38, 1.1754942e-38, 3.4028235e38, np.inf, np.nan, 0.1, 1.0 / 3],
        dtype=np.float32,
    )
    around = np.concatenate([tens, twos, bounds])
    inf = np.float32(np.inf)
    around = np.concatenate([around, np.nextafter(around, 0), np.nextafter(around, inf)])
    return _both_signs(np.concatenate([around, special, ties, halves, sub, tiny]))


@needs_kernel
def test_float32_edges_are_format_floats():
    _same(_float32_edges())


@needs_kernel
def test_float32_where_seven_digits_differ_from_the_shortest():
    """Shortest digits n <= 6 whose %.7g is not those digits padded (binades just under a
    power of ten, e.g. [2^-20, 10^-6)): the kernel asks snprintf, as _format_bisect does."""
    known = np.array([0x358258D6, 0x3A80697A, 0x500246D4, 0x55048A48], dtype=np.uint32)
    for v in known.view(np.float32):  # the case is reached: numpy's shortest vs %.7g
        shortest = np.format_float_scientific(v, unique=True)
        assert float(shortest) != float(f"{float(v):.7g}"), v
    rng = np.random.default_rng(7)
    parts = [known]
    for e in (-20, -10, 33, 43, 53, 63):
        base = np.uint32((e + 127) << 23)
        parts.append(base + rng.integers(0, 2**23, 20_000).astype(np.uint32))
    _same(_both_signs(np.concatenate(parts).view(np.float32)))


@needs_kernel
def test_rows_delimiters_threads_and_shapes():
    rng = np.random.default_rng(8)
    for dt in (np.float64, np.float32):
        x = (rng.standard_normal((517, 7)) * 10.0 ** rng.integers(-8, 20, (517, 7))).astype(dt)
        x[3, 4] = np.nan
        for delim in (",", "\t", ";"):
            want = _joined(x, delim)
            for threads in (1, 2, 3, 8):
                assert ft.rows(x, dt == np.float32, 517, 7, delim, threads) == want
    ids = [f'"r,{i}"' if i % 7 == 0 else f"r{i}" for i in range(517)]  # as written
    for dt in (np.float64, np.float32):
        x = rng.standard_normal((517, 3)).astype(dt)
        lines = _joined(x, ";").split("\n")
        want = "\n".join(f"{i};{row}" for i, row in zip(ids, lines, strict=True))
        for threads in (1, 2, 5):
            assert ft.rows(x, dt == np.float32, 517, 3, ";", threads, ids) == want
    assert ft.rows(np.zeros((2, 1)), 0, 2, 1, ",", 1, ["a", "é"]) is None  # not ASCII
    for bad in (["a"], ["a", 1], ("a", "b")):
        with pytest.raises(ValueError, match="ids"):
            ft.rows(np.zeros((2, 1)), 0, 2, 1, ",", 1, bad)
    assert ft.rows(np.zeros((0, 3)), 0, 0, 3, ",") == ""
    with pytest.raises(ValueError, match="smaller"):
        ft.rows(np.zeros((2, 3)), 0, 3, 3, ",")
    with pytest.raises(ValueError, match="delimiter"):
        ft.rows(np.zeros((2, 3)), 0, 2, 3, ", ")


@needs_kernel
def test_the_decimal_exponent_steps_are_exact():
    """k = floor(log10 2^q) (floor(log10(3/4 2^q)) at a power of two), by the kernel's
    multiply-and-shift, against exact integer arithmetic for every q it can meet."""

    def floor_log10(v: Fraction) -> int:
        k = len(str(v.numerator)) - len(str(v.denominator))
        while Fraction(10) ** k > v:
            k -= 1
        while Fraction(10) ** (k + 1) <= v:
            k += 1
        return k

    for q in range(-1100, 1000):
        two = Fraction(2) ** q
        assert ft.log10_steps(q, False) == floor_log10(two), q
        assert ft.log10_steps(q, True) == floor_log10(two * Fraction(3, 4)), q


def test_the_writers_use_it_and_fall_back_to_the_same_text(monkeypatch):
    """_fast_rows: the kernel where built, else polars, else None (repr): the same text."""
    rng = np.random.default_rng(9)
    x64 = rng.standard_normal((600, 10)) * 10.0 ** rng.integers(-12, 20, (600, 10))
    x64.ravel()[:6] = [1e-5, 1e-4, 1e16, -0.0, np.nan, -np.inf]
    for x in (x64, x64.astype(np.float32)):
        want = _joined(x, ",")
        assert writers._fast_rows(x, ",") == want
        monkeypatch.setattr(floattext, "compiled", lambda: None)
        monkeypatch.setattr(writers, "_compiled_ready", lambda a: False)
        assert writers._fast_rows(x, ",") in (want, None)  # polars, or None without it
        monkeypatch.undo()


def test_row_writer_with_ids_is_the_same_text_with_and_without_it(monkeypatch):
    """Ids (quoted where needed, non-ASCII ones too, several columns) before the values."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((900, 6)) * 10.0 ** rng.integers(-9, 18, (900, 6))
    ids = [f"r{i}" if i % 5 else f'odd,"{i}"' for i in range(900)]
    ids[17] = "naïve-17"
    several = [(i, f"g{k % 3}") for k, i in enumerate(ids)]

    def text(id_name, rows_ids, dt):
        out = io.StringIO()
        with writers.RowWriter(
            out, "csv", columns=None, id_name=id_name, has_ids=True, dtype=dt
        ) as w:
            for r0 in range(0, 900, 600):  # a batch with the non-ASCII id, one without
                w.write(x[r0 : r0 + 600], rows_ids[r0 : r0 + 600])
        return out.getvalue()

    for dt in (np.float64, np.float32):
        for id_name, rows_ids in (("id", ids), (["id", "group"], several)):
            fast = text(id_name, rows_ids, dt)
            with monkeypatch.context() as m:
                m.setattr(floattext, "compiled", lambda: None)
                m.setattr(writers, "_polars", False)
                m.setattr(floattext, "_f32_polars", False)
                assert text(id_name, rows_ids, dt) == fast  # the repr path


@needs_kernel
def test_format_floats_bulk_path_is_the_kernel_and_small_calls_are_not():
    x = np.random.default_rng(10).standard_normal(floattext.COMPILED_MIN) * 1e-5
    assert floattext.format_floats(x) == list(map(repr, x.tolist()))
    assert floattext.format_floats(x.astype(np.float32)) == floattext._format_bisect(
        x.astype(np.float32)
    )
    assert not writers._compiled_ready(np.ones((2, 3)))
    assert writers._compiled_ready(np.ones((100, 10)))
