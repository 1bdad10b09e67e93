"""The compiled (polars) CSV/TSV float writer writes exactly what ``repr`` writes, and cannot crash.

The writer fuzz of issue 20 runs in a child process, so a crash of a compiled writer fails
the test instead of killing the run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars  # noqa: F401  (a test dependency in pyproject.toml: no silent skip without it)
import pytest

from softmax_cli.io import writers

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fast_and_slow(monkeypatch):
    """Write with the fast path on (as probed) and off; returns a function giving both."""

    def both(values, fmt="csv", ids=None, columns=None, batch=300):
        out = []
        for fast in (True, False):
            monkeypatch.setattr(writers, "_polars", None if fast else False)
            stream = io.StringIO()
            with writers.RowWriter(
                stream,
                fmt,
                columns=columns,
                id_name="id",
                has_ids=ids is not None,
                dtype=np.float64,
            ) as w:
                for r0 in range(0, len(values), batch):
                    w.write(values[r0 : r0 + batch], None if ids is None else ids[r0 : r0 + batch])
            out.append(stream.getvalue())
        return out

    return both


def awkward(rows: int, cols: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)) * np.exp(rng.uniform(-60, 60, (rows, cols)))
    edges = [
        1e-4,
        np.nextafter(1e-4, 0),
        1e-5,
        np.nextafter(1e-5, 0),
        1e-6,
        1e-10,
        1e16,
        np.nextafter(1e16, 0),
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        562949953421312.25,
        0.1,
        1.0,
        0.0,
        -0.0,
        np.nan,
        np.inf,
        -np.inf,
    ]
    x.ravel()[: 2 * len(edges)] = edges + [-e for e in edges]
    f = rng.random(x.shape)
    x[f < 0.03] = np.nan
    x[(f > 0.5) & (f < 0.52)] = -np.inf
    x[(f > 0.6) & (f < 0.62)] = 0.0
    return x


def test_polars_is_probed_and_used():
    writers._polars = None
    assert writers._fast_engine() is not False
    x = np.linspace(0.001, 1, writers._FAST_MIN).reshape(-1, 4)
    assert writers._fast_rows(x, ",") is not None


def test_orjson_is_not_used_by_any_writer():
    """Issue 20: no output path may reach orjson (its numpy writer can overflow its heap)."""
    root = Path(writers.__file__).resolve().parent.parent
    users = [p for p in root.rglob("*.py") if "import orjson" in p.read_text(encoding="utf-8")]
    assert users == []


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("with_ids", [False, True])
def test_fast_text_is_byte_for_byte_repr(fast_and_slow, fmt, with_ids):
    x = awkward(900, 7, seed=1 + with_ids)
    ids = [f"r{i}" if i % 5 else f'odd,"{i}"' for i in range(len(x))] if with_ids else None
    fast, slow = fast_and_slow(x, fmt, ids, [f"c{j}" for j in range(7)], batch=700)
    assert fast == slow


def test_fast_text_reads_back_exactly(fast_and_slow):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2000, 10)) * 10.0 ** rng.integers(-30, 30, (2000, 10))
    fast, _ = fast_and_slow(x, batch=2000)
    back = np.array([[float(v) for v in line.split(",")] for line in fast.splitlines()])
    assert np.array_equal(back.view(np.int64), x.view(np.int64))


def test_an_inexact_engine_is_switched_off(monkeypatch):
    """The probe compares polars' text with repr's; any difference turns the fast path off."""
    real = writers._repr_texts
    monkeypatch.setattr(writers, "_polars", None)
    monkeypatch.setattr(writers, "_repr_texts", lambda p, text, v: text)  # polars' layout
    assert writers._fast_engine() is False
    monkeypatch.setattr(writers, "_polars", None)
    monkeypatch.setattr(writers, "_repr_texts", real)
    assert writers._fast_engine() is not False


def test_small_batches_and_other_dtypes_take_the_repr_path():
    assert writers._fast_rows(np.ones((2, 3)), ",") is None
    assert writers._fast_rows(np.ones((1000, 10), dtype=np.float16), ",") is None


# ---------------------------------------------------------------- the writer fuzz (issue 20)

FUZZ_CHILD = r"""
import io, sys
import numpy as np
import polars  # imported: the writers use it from the first batch (not after 2**18 values)
from softmax_cli.io.writers import RowWriter
from softmax_cli.io.readers import open_vectors

lengths = [int(n) for n in sys.argv[1].split(",")]
rng = np.random.default_rng(int(sys.argv[2]))
digits = rng.integers(1, 18, 60000)
mant = rng.integers(1, 10**17, 60000, dtype=np.int64) // (10 ** (17 - digits))
expo = rng.integers(-330, 309, 60000)
with np.errstate(over="ignore", under="ignore", invalid="ignore"):
    vals = mant * 10.0 ** (expo.clip(-300, 300)) * 10.0 ** (expo - expo.clip(-300, 300))
vals = vals * np.where(rng.random(60000) < 0.5, -1.0, 1.0)
tiny = rng.integers(1, 2**52, 2000, dtype=np.int64).view(np.float64)  # subnormals
special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-5, 1e16,
                    -1.2345678901234567e-100, -2.2250738585072014e-308,
                    -1.7976931348623157e308])
pool = np.concatenate([vals, tiny, -tiny, special])
pool = pool[~(np.isinf(pool) & ~np.isin(pool, [np.inf, -np.inf]))]
by_len64 = {}
for v in pool.tolist():
    by_len64.setdefault(len(repr(v)), []).append(v)
from softmax_cli.io.floattext import format_floats
with np.errstate(over="ignore"):
    p32 = pool.astype(np.float32)
by_len32 = {}
for v, t in zip(p32.tolist(), format_floats(p32)):
    by_len32.setdefault(len(t), []).append(v)
# float64 text is 3 ("0.0") to 24 ("-1.2345678901234567e-100") characters long; the
# 25th character of the issue is orjson's own layout. float32 text is 1 ("0") to 14.
assert set(range(3, 25)) <= set(by_len64), sorted(set(by_len64))
assert set(range(1, 15)) <= set(by_len32), sorted(set(by_len32))

def check(a, dtype, width):
    out = io.StringIO()
    with RowWriter(out, "csv", columns=None, id_name=None, has_ids=False, dtype=dtype) as w:
        w.write(a.reshape(-1, width))
    with open_vectors(io.StringIO(out.getvalue()), header=False, dtype=dtype) as r:
        back = np.concatenate([b.values for b in r]).ravel()
    want = a.astype(dtype)
    same = (back.view(np.uint8) == want.view(np.uint8)).reshape(len(want), -1).all(axis=1)
    same |= np.isnan(back) & np.isnan(want)
    if not same.all():
        k = int(np.flatnonzero(~same)[0])
        sys.exit(f"{dtype.__name__} n={a.size}: {want[k]!r} read back as {back[k]!r}")

junk = []
for n in lengths:
    for dtype, table in ((np.float64, by_len64), (np.float32, by_len32)):
        sizes = sorted(table)  # every text length: an array of only that length
        if n > 5000:  # long arrays: the longest texts (the orjson crash), and a mix
            sizes = sizes[-3:] if dtype == np.float64 else []
        for size in sizes:
            src = np.array(table[size])
            a = src[rng.integers(0, len(src), n)]
            width = 1 if n % 10 else 10
            check(a, dtype, width)
            junk = [bytes(100) for _ in range(200)]  # churn the heap between writes
        mixed = pool[rng.integers(0, len(pool), n)]
        check(mixed, dtype, 1)
# the issue's reproducer, through the writer, three times
for v in (-1.2345678901234567e-100, -2.2250738585072014e-308, -1.7976931348623157e308):
    for _ in range(3):
        check(np.full(21309, v), np.float64, 1)
        junk = [bytes(100) for _ in range(10000)]
print("ok", len(lengths))
"""


def fuzz_lengths(rng: np.random.Generator, every: bool) -> list[int]:
    """Lengths near every power of two up to 2**16 (and the one above), 10**5, some random."""
    near = {n for k in range(17) for n in (2**k - 1, 2**k, 2**k + 1) if n >= 1}
    near |= {1, 100_000, 21_309}
    extra = rng.integers(1, 100_001, 40 if every else 0).tolist()
    return sorted(near | set(extra))


def run_fuzz(lengths: list[int], seed: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", FUZZ_CHILD, ",".join(map(str, lengths)), str(seed)],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "PYTHONPATH": str(Path(writers.__file__).parents[2])},
    )


def test_writer_fuzz_in_a_child_process():
    """Every text length, sign, subnormal and special, at lengths near powers of two."""
    lengths = [n for n in fuzz_lengths(np.random.default_rng(0), False) if n <= 4200]
    lengths += [8191, 16385, 21309, 65536, 100_000]
    proc = run_fuzz(lengths, seed=1)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.split() == ["ok", str(len(lengths))]


def test_the_fuzz_child_fails_on_a_crash():
    """A crash in the child is a failure (a negative return code), not a passing test."""
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    proc = subprocess.run([sys.executable, "-c", crash], capture_output=True, timeout=60)
    assert proc.returncode != 0


@pytest.mark.slow
def test_writer_fuzz_every_length_near_a_power_of_two():
    lengths = fuzz_lengths(np.random.default_rng(5), True)
    proc = run_fuzz(lengths, seed=2)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])


# ---------------------------------------------------------------- overlap: formatting on threads


def overlapped(batches, fmt="csv", ids=None, overlap=True, fail_after=None):
    """What a RowWriter writes for ``batches``; ``fail_after``: raise that after k batches."""
    stream = io.StringIO()
    try:
        with writers.RowWriter(
            stream,
            fmt,
            columns=["a", "b", "c", "d"],
            id_name="id",
            has_ids=ids is not None,
            dtype=np.float64,
            overlap=overlap,
        ) as w:
            at = 0
            for k, x in enumerate(batches):
                if fail_after is not None and k == fail_after[0]:
                    raise fail_after[1]
                w.write(x, None if ids is None else ids[at : at + len(x)])
                at += len(x)
    except (ValueError, KeyboardInterrupt):
        pass
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("with_ids", [False, True])
def test_overlapped_text_is_the_same_bytes_in_the_same_order(fmt, with_ids):
    x = awkward(9000, 4, seed=7)
    cuts = [0, 1500, 1503, 4000, 4001, 9000]  # large (threads) and small (inline) batches
    batches = [x[a:b] for a, b in pairwise(cuts)]
    ids = [f"r{i}" if i % 7 else f"q,{i}" for i in range(len(x))] if with_ids else None
    assert overlapped(batches, fmt, ids) == overlapped(batches, fmt, ids, overlap=False)


def test_overlap_on_an_error_keeps_the_rows_written_before_it():
    """A bad row in batch 3: batches 0-2 are out, whole, as without overlap."""
    x = awkward(8000, 4, seed=8)
    batches = [x[i : i + 2000] for i in range(0, 8000, 2000)]
    fail = (3, ValueError("bad row"))
    got = overlapped(batches, fail_after=fail)
    assert got == overlapped(batches, fail_after=fail, overlap=False)
    assert got.count("\n") == 1 + 6000


def test_overlap_on_ctrl_c_writes_only_whole_rows():
    x = awkward(8000, 4, seed=9)
    batches = [x[i : i + 2000] for i in range(0, 8000, 2000)]
    full = overlapped(batches)
    got = overlapped(batches, fail_after=(3, KeyboardInterrupt()))
    assert got.endswith("\n") and full.startswith(got) and got.count("\n") <= 1 + 6000


def test_float32_ties_are_all_flagged():
    """Every normal float32 ``odd·2**-n`` whose exact decimal has at most 10 digits (a
    possible tie of %.{k}g between two k-digit decimals) is flagged, one value per
    exponent field and trailing-zero count; and most values are not."""
    from decimal import Decimal

    from softmax_cli.io import floattext

    e, tz = np.meshgrid(np.arange(1, 255), np.arange(24), indexing="ij")
    e, tz = e.ravel(), tz.ravel()
    mantissa = np.where(tz < 23, (np.uint32(1) << tz.astype(np.uint32)) | 1 << 23, 1 << 23)
    bits = ((e.astype(np.uint32) << 23) | (mantissa & 0x7FFFFF)).astype(np.uint32)
    flagged = floattext._maybe_tie(bits)
    values = bits.view(np.float32).tolist()
    digits = [len(Decimal(v).normalize().as_tuple().digits) for v in values]
    short = np.array(digits) <= 10
    assert flagged[short].all()
    assert flagged.mean() < 0.5


def test_float32_text_made_by_polars_is_the_bisections_text():
    """float32 text from polars' shortest digits, laid out as %g, against the bisection
    it stands in for: random bit patterns (every exponent, subnormals, nan, inf), powers
    of two, integers, short decimals (ties) and softmax outputs; also through the writer."""
    from softmax_cli import softmax
    from softmax_cli.io import floattext

    rng = np.random.default_rng(12)
    with np.errstate(over="ignore"):
        decimals = [float(f"{m}e{e}") for m in (1, 5, 15, 125, 3333333) for e in range(-45, 39)]
        tens = np.array([10.0**j for j in range(-45, 39)], dtype=np.float32)
        odd = rng.integers(0, 2**13, 6000) * 2 + 1
        ties = np.ldexp(odd, rng.integers(-24, 0, odd.size)).astype(np.float32)
        parts = [
            rng.integers(0, 2**32, 40_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
            np.ldexp(np.float32(1), np.arange(-149, 128)).astype(np.float32),
            np.arange(-3000, 3000, dtype=np.float32),
            np.array(decimals, dtype=np.float32),
            softmax(rng.normal(0, 3, (2000, 10)).astype(np.float32), axis=-1).ravel(),
            np.array([0.0, -0.0, np.nan, np.inf, -np.inf], dtype=np.float32),
            # each side of every power of ten (where the layout changes) and dyadic
            # values of a few fractional bits (the ties of %.{k}g), both signs
            np.nextafter(tens[:, None], np.array([0, np.inf], dtype=np.float32)).ravel(),
            ties * rng.choice(np.array([-1, 1], dtype=np.float32), ties.size),
        ]
    x = np.concatenate(parts)
    assert x.size >= floattext._F32_FAST_MIN and floattext.f32_engine()
    want = floattext._format_bisect(x)
    assert floattext._format_short(x) == want
    rows = x[: x.size // 8 * 8].reshape(-1, 8)
    lines = map(",".join, zip(*[iter(want)] * 8, strict=False))  # the whole rows of want
    assert writers._fast_rows(rows, ",") == "\n".join(lines)


_IMPORTS_POLARS = """
import runpy, sys
sys.argv = ["softmax", *sys.argv[1:]]
try:
    runpy.run_module("softmax_cli", run_name="__main__")
except SystemExit as e:
    code = e.code
print("polars" in sys.modules, code, file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("shape", "dtype", "imported"),
    [
        ((1000, 10), "float64", False),
        ((10, 3000), "float32", False),
        ((4000, 100), "float64", True),
    ],
)
def test_polars_is_imported_for_output_only_when_it_pays(tmp_path, shape, dtype, imported):
    # importing polars costs ~0.1 s, what repr spends on ~2.6e5 values: a short output
    # (a sample's 10^4 kept tokens, a small .npy) never pays it, a long one pays it once;
    # where the compiled formatter (_floattext.c) is built, the text never needs polars
    from softmax_cli.io import floattext

    imported = imported and not floattext.compiled()
    src = tmp_path / "x.npy"
    np.save(src, np.random.default_rng(1).normal(size=shape).astype(dtype))
    run = subprocess.run(
        [sys.executable, "-c", _IMPORTS_POLARS, "compute", "--input", str(src), "-f", "csv"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.stderr.split() == [str(imported), "0"], run.stderr
    assert len(run.stdout.splitlines()) == shape[0]  # every row (an array has no header)
