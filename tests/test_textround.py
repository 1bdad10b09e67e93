"""Text is rounded ONCE to the chosen dtype: decimal -> float32 directly, never via float64.

A corpus of hard texts (midpoints of the narrow type written exactly and a hair either
side, the shortest float64 spelling of a midpoint, 17-40 digit mantissas, subnormals,
the overflow threshold, +-0, huge and tiny exponents, the issue's example) goes through
every reader that turns text into numbers -- the exact CSV reader, the compiled engine
(thresholds lowered so polars takes the blocks), the command-line arguments and JSON --
and each value's bits are compared with an oracle written here: exact rational
arithmetic (fractions), round half to even on the exact decimal. The product rounds by
another method (a float64 parse, and the text decides only on a midpoint: textround.py).
"""

from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal, localcontext
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

from softmax_cli.floats import finfo
from softmax_cli.io.engine import open_vectors as engine_open
from softmax_cli.io.read import InputError, parse_arguments
from softmax_cli.io.read import open_vectors as exact_open
from softmax_cli.io.read.decode import LONG_LINE
from softmax_cli.io.read.textround import midpoints

from .test_engine import small_blocks  # noqa: F401  (the fixture: engine thresholds lowered)

F32 = np.dtype(np.float32)
NARROW = [F32, np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16), np.dtype(ml_dtypes.float8_e5m2)]
ISSUE = "1.0000000596046447753906250000001"  # float32: 1.0000001192092896, not 1.0


def oracle(text: str, dt: np.dtype) -> Fraction | None:
    """``text`` rounded once to ``dt`` (half to even, gradual underflow); None: overflow."""
    x = Fraction(text)
    info = finfo(dt)
    nmant, minexp, top = int(info.nmant), int(info.minexp), Fraction(float(info.max))
    if x == 0:
        return x
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    step = Fraction(2) ** (max(e, minexp) - nmant)
    k, rest = divmod(a, step)
    k = int(k)
    if rest * 2 > step or (rest * 2 == step and k % 2):
        k += 1
    r = k * step
    if r > top:
        return None
    return r if x > 0 else -r


def oracle_bits(texts: list[str], dt: np.dtype) -> np.ndarray:
    out = []
    for t in texts:
        r = oracle(t, dt)
        assert r is not None, t
        v = float(r)  # exact: r is a value of dt
        out.append(-0.0 if r == 0 and t.lstrip().startswith("-") else v)
    return np.array(out, dtype=np.float64).astype(dt)


def exact_text(d: Decimal) -> str:
    return f"{d:e}"


def hard_texts(dt: np.dtype, seed: int = 12) -> list[str]:
    """The corpus for ``dt`` (every text a value of ``dt`` after rounding: no overflow)."""
    info = finfo(dt)
    nmant, minexp, maxexp = int(info.nmant), int(info.minexp), int(info.maxexp)
    rng = np.random.default_rng(seed)
    mids: list[Fraction] = []
    for _ in range(60):  # normal midpoints: an odd multiple of half the binade's step
        e = int(rng.integers(minexp, maxexp))
        k = int(rng.integers(2**nmant, 2 ** (nmant + 1)))
        mids.append(Fraction(2 * k + 1) * Fraction(2) ** (e - nmant - 1))
    for k in (0, 1, 2, 2**nmant - 2, 2**nmant - 1):  # subnormal midpoints (k=0: half the least)
        mids.append(Fraction(2 * k + 1) * Fraction(2) ** (minexp - nmant - 1))
    mids.append(
        Fraction(2) ** minexp - Fraction(2) ** (minexp - nmant - 1)
    )  # below the least normal
    texts = ["0", "-0", "-0.0e5", "0e-999", "1e-400", "-1e-400", "1", "-2.5"]
    if dt == F32:
        texts += [ISSUE, "1.00000005960464477539062499999", "3.4028235e38", "-3.4028235e38"]
        texts += ["1e-45", "1.4e-45", "7e-46", "7.006492321624085e-46", "7.006492321624086e-46"]
        texts += ["1.1754943508222875e-38", "123456789012345678901234567890e-20"]
    top = Fraction(float(info.max))
    threshold = top + Fraction(2) ** (maxexp - 1 - nmant - 1)  # halfway past the largest value
    with localcontext() as ctx:
        ctx.prec = 400
        for m in [*mids, threshold]:
            for sign in (1, -1):
                d = Decimal(float(m)) * sign  # exact: a midpoint is a float64
                hair = Decimal(10) ** (d.adjusted() - 38)
                if m != threshold:
                    texts.append(exact_text(d))  # a tie: to even
                texts.append(exact_text(d - hair * sign))  # towards zero of the midpoint
                if m != threshold:
                    texts.append(exact_text(d + hair * sign))
                if m != threshold:  # the shortest float64 spelling (up to 17 digits)
                    texts.append(repr(float(d)))
                third = hair * sign / 3 if m != threshold else -hair * sign / 3
                texts.append(f"{d + third:.39e}")  # a 40-digit mantissa
    for digits in range(17, 41):  # long random mantissas within range
        m = "".join(str(v) for v in rng.integers(0, 10, digits))
        texts.append(
            f"{int(rng.integers(1, 10))}.{m}e{int(rng.integers(minexp // 4, maxexp // 4))}"
        )
    return texts


def test_the_oracle_agrees_with_numpy_away_from_midpoints():
    """The oracle itself, checked against numpy's float64 -> float32 on exact float64 values."""
    rng = np.random.default_rng(3)
    for v in rng.standard_normal(200) * 10.0 ** rng.integers(-40, 38, 200):
        assert oracle(repr(float(v)), F32) == Fraction(float(np.float32(Fraction(repr(float(v))))))
    assert float(oracle(ISSUE, F32)) == 1.0000001192092896  # the issue's number
    assert oracle(exact_text(Decimal(2.0**-150)), F32) == 0  # half the least: ties to even 0


def test_the_corpus_is_hard():
    """Most texts land on a float32 midpoint through float64: the double rounding's trap."""
    texts = hard_texts(F32)
    hits = midpoints(np.array([float(t) for t in texts]), F32)
    assert hits.sum() > len(texts) // 2
    with np.errstate(over="ignore"):
        twice = np.array([float(t) for t in texts]).astype(np.float32)
    wrong = twice != oracle_bits(texts, F32)
    assert wrong.sum() > 50  # a plain float64 -> float32 cast gets these wrong


def as_rows(texts: list[str], width: int = 4) -> list[list[str]]:
    texts = texts + ["0"] * (-len(texts) % width)
    return [texts[i : i + width] for i in range(0, len(texts), width)]


def same_bits(got: np.ndarray, want: np.ndarray, texts: list[str]) -> None:
    """``got`` and ``want`` hold the same bits; else the first texts that differ."""
    got, want = got.ravel(), want.ravel()
    assert got.dtype == want.dtype and got.shape == want.shape
    g = got.view(np.uint8).reshape(len(got), -1)
    w = want.view(np.uint8).reshape(len(want), -1)
    bad = np.flatnonzero((g != w).any(axis=1))
    diffs = [(texts[i], got[i], want[i]) for i in bad[:5]]
    assert not bad.size, f"{bad.size} values differ from the oracle, e.g. {diffs}"


def read_all(opener, source, dt) -> np.ndarray:
    with opener(source, dtype=dt, header=False) as reader:
        return np.concatenate([b.values for b in reader])


@pytest.mark.parametrize("dt", NARROW, ids=str)
def test_the_exact_reader_rounds_text_once(dt):
    texts = hard_texts(dt)
    rows = as_rows(texts)
    flat = [t for r in rows for t in r]
    want = oracle_bits(flat, dt)
    csv_text = "".join(",".join(r) + "\n" for r in rows)
    same_bits(read_all(exact_open, io.StringIO(csv_text), dt), want, flat)
    # the quoted path, the token-by-token path and a unicode minus: the same bits
    quoted = "".join(",".join(f'"{t}"' for t in r) + "\n" for r in rows)
    same_bits(read_all(exact_open, io.StringIO(quoted), dt), want, flat)
    minus = csv_text.replace("-", "\u2212").replace("e\u2212", "e-")
    same_bits(read_all(exact_open, io.StringIO(minus), dt), want, flat)
    same_bits(parse_arguments(flat, dtype=dt), want, flat)


@pytest.mark.parametrize("dt", [F32, np.dtype(ml_dtypes.bfloat16)], ids=str)
def test_json_rounds_text_once(dt):
    texts = [t for t in hard_texts(dt) if not t.startswith("-0") and t not in ("0", "0e-999")]
    rows = as_rows(texts)
    flat = [t for r in rows for t in r]
    want = oracle_bits(flat, dt)
    lines = "".join("[" + ",".join(r) + "]\n" for r in rows)
    same_bits(read_all(exact_open, io.StringIO(lines), dt), want, flat)
    doc = "[" + ",".join("[" + ",".join(r) + "]" for r in rows) + "]"
    same_bits(read_all(exact_open, io.StringIO(doc), dt), want, flat)
    single = "[" + ",".join(flat) + "]"
    same_bits(read_all(exact_open, io.StringIO(single), dt), want, flat)
    objects = "".join(f'{{"id": {k}, "v": [{",".join(r)}]}}\n' for k, r in enumerate(rows))
    with exact_open(io.StringIO(objects), dtype=dt, field="v") as reader:
        same_bits(np.concatenate([b.values for b in reader]), want, flat)


@pytest.mark.parametrize("layout", ["csv", "ws", "json"])
def test_a_row_too_long_to_hold_whole_rounds_text_once(layout):
    # a line over LONG_LINE is read in pieces straight into a float array (io/read/wide.py):
    # its plain-number fast path must still send midpoints to the text
    texts = [t for t in hard_texts(F32) if not t.startswith("-0") and t not in ("0", "0e-999")]
    pad = ["0.50000000000000000000000000000000"] * (LONG_LINE // 32)  # few, long tokens
    flat = pad[:1000] + texts + pad
    half = np.full(len(pad), 0.5, dtype=F32)
    want = np.concatenate([half[:1000], oracle_bits(texts, F32), half])
    if layout == "json":
        line = "[" + ",".join(flat) + "]\n"
    else:
        line = (" " if layout == "ws" else ",").join(flat) + "\n"
    assert len(line) > LONG_LINE
    same_bits(read_all(exact_open, io.StringIO(line), F32), want, flat)


def test_the_engine_rounds_text_once(tmp_path, small_blocks):  # noqa: F811
    texts = [t for t in hard_texts(F32) if t not in ("0e-999",)]
    rows = as_rows(texts)
    flat = [t for r in rows for t in r]
    want = oracle_bits(flat, F32)
    src = tmp_path / "hard.csv"
    src.write_text("".join(",".join(r) + "\n" for r in rows))
    same_bits(read_all(engine_open, src, F32), want, flat)
    assert sum(small_blocks) >= 5 and all(small_blocks)  # polars read every block


def threshold_text(sign: int = 1) -> str:
    top = Fraction(float(np.finfo(np.float32).max))
    with localcontext() as ctx:
        ctx.prec = 100
        return exact_text(Decimal(float(top + Fraction(2) ** 103)) * sign)


@pytest.mark.parametrize("token", [threshold_text(), threshold_text(-1), "3.4028236e38", "1e39"])
def test_past_the_float32_threshold_is_the_overflow_error_on_both_paths(
    tmp_path,
    token,
    small_blocks,  # noqa: F811
):
    rows = "1,2\n" * 300 + f"1,{token}\n" + "3,4\n" * 300
    src = tmp_path / "over.csv"
    src.write_text(rows)
    messages = []
    for opener in (exact_open, engine_open):
        with pytest.raises(InputError) as err:
            read_all(opener, src, F32)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and any(small_blocks)  # polars read blocks before it
    assert "line 301, column 2" in messages[0] and "overflows float32" in messages[0]


def test_just_below_the_threshold_is_the_largest_float32_not_an_error():
    with localcontext() as ctx:
        ctx.prec = 100
        token = f"{Decimal(threshold_text()) - Decimal('1e-30'):e}"
    assert float(token) == float(threshold_text())  # float64 rounds it onto the threshold
    got = parse_arguments([token, "1"], dtype=F32)
    assert got[0] == np.finfo(np.float32).max


def test_the_command_reads_the_issues_example_as_float32():
    out = subprocess.run(
        [sys.executable, "-m", "softmax_cli", "compute", "--dtype", "float32", "-"],
        input=f"{ISSUE},1.0\n{ISSUE},1.0\n".encode(),
        capture_output=True,
        check=True,
    )
    first = out.stdout.decode().splitlines()[0].split(",")
    # softmax of (1.0000001192092896, 1) in float32: the two values differ; through float64
    # the text would be 1.0 and both would be 0.5
    assert first[0] != first[1]


def test_one_wide_row_rounds_text_once():
    """A row longer than 64 KiB is parsed in place (delimited._wide_row): the same bits."""
    flat = hard_texts(F32) * 5
    want = oracle_bits(flat, F32)
    assert sum(map(len, flat)) > 1 << 16
    got = read_all(exact_open, io.StringIO(",".join(flat) + "\n"), F32)
    assert got.shape == (1, len(flat))
    same_bits(got, want, flat)
