"""The compiled block parser (softmax_cli/_csvparse.c): the exact reader's grammar and bits.

Its answers are checked against references it does not share: Python's ``float`` (correctly
rounded, David Gay's algorithm) for float64; for float32 the exact reader's rounding
(io/read/textround.py: float64 then a nudge from the text at a midpoint) and the Fraction
oracle of tests/test_textround.py. Which tokens it refuses is checked against ``float``
over every short string of the plain alphabet, and against the exact reader in blocks.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
from decimal import Decimal, localcontext
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from softmax_cli.io import engine
from softmax_cli.io.read import InputError
from softmax_cli.io.read import open_vectors as exact_open
from softmax_cli.io.read.textround import round_once

from .test_engine import both, hard_floats
from .test_textround import hard_texts, oracle_bits

cp = engine._csvparse()
needs_parser = pytest.mark.skipif(cp is None, reason="the compiled block parser is not built")
F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
ROOT = Path(__file__).resolve().parent.parent


def test_built_where_a_compiler_is():
    """Where a C compiler exists the module is built (CI cannot quietly parse with polars)."""
    if os.environ.get(engine._ENGINE_ENV, "").lower() == "polars":
        pytest.skip(f"{engine._ENGINE_ENV}=polars: the polars parser, on purpose")
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc}): polars parses the blocks")
    assert cp is not None, f"{cc} exists but softmax_cli._csvparse was not built: pip install -e ."


def block_of(tokens: list[str], width: int = 1, delim: str = ",") -> bytes:
    rows = [delim.join(tokens[i : i + width]) for i in range(0, len(tokens), width)]
    return ("\n".join(rows) + "\n").encode("utf-8")


def exact_values(tokens: list[str], dt: np.dtype, width: int = 1) -> np.ndarray | str:
    """The exact reader's array of the same lines (engine off), or its error message."""
    text = block_of(tokens, width).decode("utf-8")
    try:
        with exact_open(io.StringIO(text), dtype=dt, header=False) as reader:
            return np.concatenate([b.values for b in reader])
    except InputError as err:
        return str(err)


def same_bits(got: np.ndarray, want: np.ndarray, tokens: list[str]) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    g = got.reshape(-1).view(np.uint64 if got.itemsize == 8 else np.uint32)
    w = want.reshape(-1).view(g.dtype)
    bad = np.flatnonzero(g != w)
    examples = [(tokens[i], got.flat[i], want.flat[i]) for i in bad[:5]]
    assert not bad.size, f"{bad.size} of {g.size} differ, e.g. {examples}"


def float32_of(tokens: list[str]) -> np.ndarray:
    """The exact reader's float32 of each token: float64, then once from the text at a midpoint."""
    v = np.array([float(t) for t in tokens])[:, None]
    with np.errstate(over="ignore"):
        return round_once(v, F32, lambda r, c: tokens[r]).astype(F32)[:, 0]


# -- the hard corpus -----------------------------------------------------------------------


@needs_parser
@pytest.mark.parametrize("dt", [F64, F32])
def test_the_hard_corpus_is_the_exact_readers_bits(dt):
    tokens = hard_floats() + (hard_texts(F32) if dt == F32 else [])
    big = 1.7976931348623157e308 if dt == F64 else 3.4e38
    tokens = [t for t in tokens if abs(float(t)) <= big]  # overflow: tested below
    tokens += [""] * (-len(tokens) % 4)
    tokens = [t or "0" for t in tokens]
    got = cp.parse_block(block_of(tokens, 4), ",", 4, dt)
    want = exact_values(tokens, dt, 4)
    assert isinstance(want, np.ndarray), want
    same_bits(got, want, tokens)
    if dt == F32:  # and the Fraction oracle's, independently of the exact reader
        same_bits(got.ravel(), oracle_bits(tokens, F32), tokens)
    else:
        same_bits(got.ravel(), np.array([float(t) for t in tokens]), tokens)


def exact_midpoints(rng: np.random.Generator, n: int, dt: np.dtype) -> list[str]:
    """Exact decimal texts of ``n`` random midpoints of ``dt`` (ties), and a hair either side."""
    bits = rng.integers(1, 0x7F000000 if dt == F32 else 0x7FE0000000000000, n, dtype=np.int64)
    lo = bits.astype(np.uint32 if dt == F32 else np.uint64).view(dt).astype(np.float64)
    hi = (bits + 1).astype(np.uint32 if dt == F32 else np.uint64).view(dt).astype(np.float64)
    out = []
    with localcontext() as ctx:
        ctx.prec = 1200  # exact: the sum of two binary fractions of up to ~1100 digits
        for a, b, sign in zip(lo.tolist(), hi.tolist(), rng.choice(["", "-"], n), strict=True):
            mid = (Decimal(a) + Decimal(b)) / 2
            hair = Decimal(10) ** (mid.adjusted() - 45)
            out += [f"{sign}{mid:e}", f"{sign}{mid - hair:e}", f"{sign}{mid + hair:e}"]
    return out


@needs_parser
@pytest.mark.parametrize("dt", [F64, F32])
def test_exact_ties_and_their_neighbours_round_to_nearest_even(dt):
    tokens = exact_midpoints(np.random.default_rng(5), 700, dt)
    got = cp.parse_block(block_of(tokens), ",", 1, dt)
    want = np.array([float(t) for t in tokens]) if dt == F64 else float32_of(tokens)
    same_bits(got[:, 0], want, tokens)


# -- a million random tokens ---------------------------------------------------------------


def digit_tokens(rng: np.random.Generator, n: int) -> list[str]:
    """Random digit strings: 1-45 digits, a point anywhere or none, leading and trailing
    zeros, signs, exponents from none to e±400 (subnormals, zeros, overflows)."""
    out: list[str] = []
    per = 2000
    for _ in range(-(-n // per)):
        width = int(rng.integers(1, 46))
        d = rng.integers(48, 58, (per, width), dtype=np.uint8)
        zeros = int(rng.integers(0, 3))
        if zeros == 1:  # leading zeros
            d[:, : int(rng.integers(0, width))] = 48
        elif zeros == 2:  # trailing zeros
            d[:, int(rng.integers(0, width)) :] = 48
        text = [bytes(row).decode() for row in d]
        point = int(rng.integers(-1, width + 1))
        if point >= 0:
            text = [t[:point] + "." + t[point:] for t in text]
        sign = rng.choice(["", "", "-", "+"])
        if rng.random() < 0.6:
            mark = rng.choice(["e", "E", "e+", "e-", "E-"])
            exps = rng.integers(0, 400 if rng.random() < 0.5 else 40, per)
            text = [f"{sign}{t}{mark}{x}" for t, x in zip(text, exps.tolist(), strict=True)]
        else:
            text = [sign + t for t in text]
        out += text
    return out


def random_tokens(seed: int, n: int) -> list[str]:
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**63, n // 4, dtype=np.int64).astype(np.uint64)
    bits |= rng.integers(0, 2, n // 4, dtype=np.uint64) << np.uint64(63)
    v = bits.view(np.float64)
    tokens = list(map(repr, v[np.isfinite(v)].tolist()))  # shortest float64 spellings
    f = rng.integers(0, 0x7F800000, n // 8, dtype=np.int64).astype(np.uint32).view(np.float32)
    tokens += [format(x, ".9g") for x in f.tolist()] + [format(x, ".8g") for x in f.tolist()]
    scaled = rng.standard_normal(n // 8) * 10.0 ** rng.integers(-320, 300, n // 8)
    digits = rng.integers(1, 26, n // 8).tolist()
    tokens += [format(x, f".{k}g") for k, x in zip(digits, scaled.tolist(), strict=True)]
    tokens += list(map(repr, rng.standard_normal(n // 8).tolist()))  # the usual logits
    tokens += digit_tokens(rng, n - len(tokens))
    return tokens


@needs_parser
def test_a_million_random_tokens_are_float_and_the_exact_readers_float32():
    tokens = random_tokens(11, 1_000_000)
    assert len(tokens) >= 1_000_000
    ref = np.array([float(t) for t in tokens])
    finite = np.isfinite(ref)
    assert 0 < (~finite).sum() < len(tokens) // 10  # some overflow (checked below), most not
    keep = [t for t, ok in zip(tokens, finite.tolist(), strict=True) if ok]
    got = cp.parse_block(block_of(keep), ",", 1, F64)
    same_bits(got[:, 0], ref[finite], keep)
    want32 = float32_of(keep)
    in32 = np.isfinite(want32)
    keep32 = [t for t, ok in zip(keep, in32.tolist(), strict=True) if ok]
    got32 = cp.parse_block(block_of(keep32), "\t", 1, F32)
    same_bits(got32[:, 0], want32[in32], keep32)
    over = [t for t, ok in zip(tokens, finite.tolist(), strict=True) if not ok]
    for t in over[:200]:  # an overflow: None
        assert cp.parse_token(t.encode(), False) is None, t
    for t in [t for t, ok in zip(keep, in32.tolist(), strict=True) if not ok][:200]:
        assert cp.parse_token(t.encode(), True) is None, t


@needs_parser
def test_two_threads_give_the_same_array():
    tokens = random_tokens(13, 40_000)
    tokens = [t for t in tokens if abs(float(t)) < 1e300]
    tokens = tokens[: len(tokens) // 8 * 8]
    block = block_of(tokens, 8)
    one = cp.parse_block(block, ",", 8, F64)
    two = cp.parse_block(block, ",", 8, F64, threads=2)
    assert one.shape == (len(tokens) // 8, 8)
    same_bits(two, one, tokens)
    assert cp.parse_block(block + b"1\n", ",", 8, F64, threads=2) is None  # ragged at the end


# -- what it refuses ----------------------------------------------------------------------


def float_accepts(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


@needs_parser
def test_every_short_string_of_the_plain_alphabet_is_read_as_float_reads_it():
    """All 1-5 character strings of 0 9 . e E + - : a number exactly when float() says so."""
    alphabet = "09.eE+-"
    checked = accepted = 0
    for n in range(1, 6):
        for chars in product(alphabet, repeat=n):
            token = "".join(chars)
            want = float(token) if float_accepts(token) else None
            for f32 in (False, True):
                got = cp.parse_token(token.encode(), f32)
                # five characters are never a float32 midpoint: float32(float) is exact
                with np.errstate(over="ignore"):
                    exp = float(np.float32(want)) if f32 and want is not None else want
                if exp is not None and np.isinf(exp):
                    exp = None  # 9e90 in float32: the exact reader's overflow error
                assert (got is None) == (exp is None), (token, got, exp)
                if exp is not None:
                    assert got == exp and str(got) == str(exp), token  # signs of zero too
            checked += 1
            accepted += want is not None
    assert checked == sum(7**n for n in range(1, 6)) and 0 < accepted < checked // 10


MALFORMED = ["1e", "+-1", ".", "1.2.3", "--1", "-", "+", "e5", "1e+", "1-", "1..", ".e1"]
MALFORMED += ["1e5e5", "1e5.3", "1ee5", "+.", "-.e1", "1+", "0x10", "1_000", "inf", "nan", "NA"]
MALFORMED += [" 1", "1 ", "1\r", '"1"', "\u22121", "1\x00"]


@needs_parser
@pytest.mark.parametrize("token", MALFORMED)
@pytest.mark.parametrize("dt", [F64, F32])
def test_a_token_the_exact_reader_refuses_or_reads_otherwise_makes_the_block_none(token, dt):
    tokens = ["0.5", "-1.25", "3"] * 30
    tokens[40] = token
    assert cp.parse_block(block_of(tokens, 3), ",", 3, dt) is None
    assert cp.parse_block(block_of(["0.5", "-1.25", "3"] * 30, 3), ",", 3, dt).shape == (30, 3)


@needs_parser
@pytest.mark.parametrize(
    "text",
    [
        "1,2\n\n3,4\n",  # a blank line
        "\n1,2\n",  # a blank first line
        "1,2\n3\n",  # ragged: short
        "1,2\n3,4,5\n",  # ragged: long
        "1,2,\n",  # a trailing delimiter: an empty field
        ",1\n",  # an empty first field
        "1,2\n3,4",  # no final newline (the engine completes the last line first)
        "1,2\r\n",  # CRLF
        "1\t2\n",  # another delimiter
        "a,b\n",  # a header
        "1, 2\n",  # a space after the comma
        "",  # nothing
    ],
)
def test_a_block_that_is_not_plain_lines_is_none(text):
    assert cp.parse_block(text.encode(), ",", 2, F64) is None


@needs_parser
@pytest.mark.parametrize(
    ("token", "dt", "value"),
    [
        ("1e400", F64, None),
        ("-1e400", F64, None),
        ("1.7976931348623159e308", F64, None),  # past the threshold: rounds to inf
        ("1.7976931348623158e308", F64, 1.7976931348623157e308),
        ("1e99999999999999999999", F64, None),
        ("1e39", F32, None),
        ("3.4028236e38", F32, None),
        ("3.4028235e38", F32, 3.4028234663852886e38),
        ("1e-400", F64, 0.0),
        ("-1e-400", F64, -0.0),
        ("1e-50", F32, 0.0),
        ("-1e-50", F32, -0.0),
        ("4.9e-324", F64, 5e-324),
        ("1e-45", F32, 1.401298464324817e-45),
        ("0e999999999999999999999", F64, 0.0),
        ("-0e-999999999999999999999", F32, -0.0),
        ("1e-99999999999999999999", F64, 0.0),
        ("0." + "0" * 400 + "1e405", F64, 10000.0),
        ("1" + "0" * 400 + "e-400", F32, 1.0),
        ("0" * 300 + "12.5", F64, 12.5),
    ],
)
def test_overflow_is_none_and_underflow_is_zero_as_in_the_exact_reader(token, dt, value):
    tokens = ["1", token]
    got = cp.parse_block(block_of(tokens, 2), ",", 2, dt)
    want = exact_values(tokens, dt, 2)
    if value is None:
        assert got is None and isinstance(want, str) and "overflows" in want, want
    else:
        assert got is not None and got[0, 1] == value
        same_bits(got, want, tokens)
        assert str(float(got[0, 1])) == str(value)  # the sign of zero


@needs_parser
def test_a_saturated_exponent_with_ten_million_digits_is_left_to_the_exact_reader():
    """Exponents are read up to 10^8 and more only saturate, which is exact for a token
    of fewer than 10^7 digits (0 or inf either way); a longer one returns None."""
    assert cp.parse_token(b"0." + b"0" * 999 + b"1e999999999999", False) is None  # inf
    assert cp.parse_token(b"1" + b"0" * 999 + b"e-999999999999", True) == 0.0
    assert cp.parse_token(b"0." + b"0" * 10_000_001 + b"1e100000000", False) is None


@needs_parser
def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="delim"):
        cp.parse_block(b"1\n", "e", 1, F64)
    with pytest.raises(ValueError, match="float64 or float32"):
        cp.parse_block(b"1\n", ",", 1, np.float16)


# -- in the engine -------------------------------------------------------------------------


@needs_parser
def test_a_large_input_is_read_without_importing_polars(tmp_path):
    rng = np.random.default_rng(6)
    src = tmp_path / "big.csv"
    rows = rng.standard_normal((30_000, 4)).tolist()
    src.write_text("a,b,c,d\n" + "".join(",".join(map(repr, r)) + "\n" for r in rows))
    assert src.stat().st_size > engine.MIN_BYTES
    code = (
        "import sys\n"
        "from softmax_cli.io import engine\n"
        f"with engine.open_vectors({str(src)!r}) as r:\n"
        "    n = sum(len(b.values) for b in r)\n"
        "print(n, 'polars' in sys.modules, 'pyarrow' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(engine._ENGINE_ENV, None)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.stdout.split() == ["30000", "False", "False"], proc.stdout + proc.stderr


@needs_parser
def test_rows_wider_than_the_polars_limit_are_parsed_in_blocks(tmp_path, monkeypatch):
    """polars made a column per value (rows over MAX_WIDTH kept the exact reader); the
    compiled parser reads them in blocks, with the exact reader's bits."""
    monkeypatch.setattr(engine, "MIN_BYTES", 1000)
    monkeypatch.setattr(engine, "HEAD_BYTES", 60_000)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 60_000)
    parsed = []
    real = engine._Engine._fast
    monkeypatch.setattr(
        engine._Engine, "_fast", lambda self, block: parsed.append(real(self, block)) or parsed[-1]
    )
    width = engine.MAX_WIDTH + 904
    rng = np.random.default_rng(8)
    x = np.round(rng.standard_normal((24, width)), 3)
    src = tmp_path / "wide.csv"
    src.write_text("".join(",".join(map(repr, r)) + "\n" for r in x.tolist()))
    _, layout, dtype, raw, shape, lines = both(src)
    assert layout.width == width
    assert shape == (24, width) and lines == list(range(1, 25))
    assert np.array_equal(np.frombuffer(raw, dtype).reshape(shape), x)
    assert len(parsed) >= 3 and all(p is not None for p in parsed)
