"""The compiled engine (io/engine.py) reads exactly what the exact reader reads, bit for bit.

Every test runs the same input through both: ``softmax_cli.io.readers.open_vectors`` (the
engine, with its size thresholds lowered so a few kilobytes cross many blocks) and
``softmax_cli.io.read.open_vectors`` (the exact reader alone), and compares the values'
bits, the line numbers and the layout, or the error message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars  # noqa: F401  (a test dependency: no silent skip without it)
import pytest

from softmax_cli.io import engine
from softmax_cli.io.engine import open_vectors as engine_open  # the engine alone, no sniffing
from softmax_cli.io.read import InputError
from softmax_cli.io.read import open_vectors as exact_open

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["compiled", "polars"])
def small_blocks(monkeypatch, request):
    """Engine thresholds of a few hundred bytes; counts the blocks the engine parsed.

    Run with each block parser: the compiled one (softmax_cli/_csvparse.c) and polars,
    the engine's parser where the compiled one is not built.
    """
    if request.param == "polars":
        monkeypatch.setattr(engine, "_csvparse", lambda: None)
    elif engine._csvparse() is None:
        pytest.skip("the compiled block parser is not built (tests/test_csvparse.py says why)")
    monkeypatch.setattr(engine, "MIN_BYTES", 400)
    monkeypatch.setattr(engine, "HEAD_BYTES", 400)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 700)
    taken = []
    real = engine._Engine._fast

    def counting(self, block):
        values = real(self, block)
        taken.append(values is not None)
        return values

    monkeypatch.setattr(engine._Engine, "_fast", counting)
    return taken


def outcome(opener, path, **kw):
    try:
        with opener(path, **kw) as reader:
            batches = list(reader)
            layout = reader.layout
    except InputError as err:
        return ("error", str(err))
    values = np.concatenate([b.values for b in batches])
    lines = np.concatenate([b.lines for b in batches]).tolist()
    return ("ok", layout, values.dtype, values.view(np.uint8).tobytes(), values.shape, lines)


def both(path, **kw):
    fast, exact = outcome(engine_open, path, **kw), outcome(exact_open, path, **kw)
    assert fast == exact
    return fast


def hard_floats() -> list[str]:
    """Texts that are hard to round: halfway cases, long mantissas, subnormals, extremes."""
    out = ["0", "-0", "0.0", "-0.0", "+0", "1", "-1", ".5", "-.5", "1.", "1e0", "1E+00"]
    out += [
        "5e-324",
        "4.9406564584124654e-324",
        "2.4703282292062328e-324",  # below: 0
        "2.4703282292062327e-324",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1e-400",
        "-1e-400",
        "9007199254740993",
        "9007199254740992.5",
        "0.1",
        "0.30000000000000004",
        "1.00000000000000011102230246251565404236316680908203125",  # halfway 1 + ulp/2
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "3.4028235677973366e38",
        "3.4028235677973362e38",
        "1.1754943508222875e-38",
        "1.401298464324817e-45",
        "7.006492321624085e-46",
        "7.006492321624086e-46",
        "1.0000000596046447753906250000001",
        "1.00000005960464477539062499999",
    ]
    rng = np.random.default_rng(7)
    for _ in range(300):  # exact float64 midpoints, written in full (up to 40+ digits)
        x = float(rng.standard_normal() * 10.0 ** rng.integers(-300, 300))
        nxt = np.nextafter(x, np.inf)
        if not np.isfinite(nxt):
            continue
        mid = (Fraction(x) + Fraction(float(nxt))) / 2
        text = f"{Decimal(mid.numerator) / Decimal(mid.denominator):.40e}"
        out.append(text)
    for digits in range(17, 41):  # long random mantissas
        m = "".join(str(d) for d in rng.integers(0, 10, digits))
        out.append(f"{m[0]}.{m[1:]}e{int(rng.integers(-320, 300))}")
        out.append(f"-0.{m}")
    return out


def write_rows(path, tokens, width, header="a,b,c,d"):
    rows = [",".join(tokens[i : i + width]) for i in range(0, len(tokens) - width + 1, width)]
    path.write_text((header + "\n" if header else "") + "\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hard_floats_are_the_same_bits_through_both_paths(tmp_path, small_blocks, dtype):
    tokens = hard_floats()
    if dtype == np.float32:  # would overflow float32: an error (tested below), not a value
        tokens = [t for t in tokens if abs(float(t)) < 3.4e38]
    tokens = (tokens * 4)[: (len(tokens) * 4) // 4 * 4]
    src = tmp_path / "hard.csv"
    write_rows(src, tokens, 4)
    result = both(src, dtype=dtype)
    assert result[0] == "ok" and result[4] == (len(tokens) // 4, 4)
    assert sum(small_blocks) >= 5  # polars parsed most blocks


def test_the_engine_is_used_and_batches_keep_line_numbers(tmp_path, small_blocks):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((500, 3))
    src = tmp_path / "x.tsv"
    src.write_text("# logits\nx\ty\tz\n" + "\n".join("\t".join(map(repr, r)) for r in x.tolist()))
    _, layout, _, raw, shape, lines = both(src, chunk_rows=37)
    assert layout.delimiter == "\t" and layout.columns == ["x", "y", "z"]
    assert np.array_equal(np.frombuffer(raw, np.float64).reshape(shape), x)
    assert lines == list(range(3, 503))
    assert all(small_blocks) and len(small_blocks) > 10


BAD_TOKENS = [
    "1e400",
    "-1e400",
    "1_000",
    "0x10",
    "NA",
    "nan",
    "inf",
    "-Infinity",
    "\u22121.5",
    '"1.5"',
    " 1.5",
    "1.5 ",
    "",
    "1e",
    "1.2.3",
    "--1",
    "+-1",
    ".",
    "-",
    "e5",
    "1e+",
    "1-",
    "+",
    "1..",
    ".e1",
    "1e5e5",
    "１",
    "1.5\x00",
    "\xff",
    "#3",
]


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_token_the_engine_might_read_differently_goes_to_the_exact_reader(
    tmp_path, small_blocks, token, dtype
):
    rng = np.random.default_rng(2)
    tokens = [repr(v) for v in rng.standard_normal(4 * 400).tolist()]
    tokens[4 * 250 + 2] = token  # well past the head, in a middle block
    src = tmp_path / "bad.csv"
    rows = [",".join(tokens[i : i + 4]) for i in range(0, len(tokens), 4)]
    src.write_bytes(("a,b,c,d\n" + "\n".join(rows) + "\n").encode("utf-8", "surrogateescape"))
    if token == "\xff":
        src.write_bytes(src.read_bytes().replace("\xff".encode(), b"\xff"))
    result = both(src, dtype=dtype)
    if result[0] == "error":  # named where it is: line 252 (a header, then row 251)
        assert "line 252" in result[1], result
    else:
        assert result[4] == (400, 4) and token.strip(' "').lower() in (
            "nan",
            "inf",
            "1.5",
            "-infinity",
            "\u22121.5",
        )
    assert any(small_blocks) and not all(small_blocks)  # polars took some, not that one


@pytest.mark.parametrize(
    "damage",
    ["ragged-short", "ragged-long", "blank", "crlf", "comment", "quoted-id", "float32-overflow"],
)
def test_damaged_rows_in_a_large_input_read_as_the_exact_reader_reads_them(
    tmp_path, small_blocks, damage
):
    rng = np.random.default_rng(3)
    rows = [",".join(map(repr, r)) for r in rng.standard_normal((400, 3)).tolist()]
    dtype = np.float64
    if damage == "ragged-short":
        rows[300] = "1,2"
    elif damage == "ragged-long":
        rows[300] = "1,2,3,4"
    elif damage == "blank":
        rows[300] = ""
    elif damage == "crlf":
        rows = [r + "\r" for r in rows]
    elif damage == "comment":
        rows[300] = "# a comment, 1, 2"
    elif damage == "quoted-id":
        rows[300] = '"1.5",2,3'
    else:
        rows[300], dtype = "1e39,1,2", np.float32
    src = tmp_path / "damaged.csv"
    src.write_text("a,b,c\n" + "\n".join(rows) + "\n", encoding="utf-8", newline="")
    both(src, dtype=dtype)


def test_small_files_and_other_layouts_keep_the_exact_reader(tmp_path, monkeypatch):
    src = tmp_path / "ws.txt"
    src.write_text("1 2 3\n" * 100_000)  # > MIN_BYTES, whitespace-separated: exact
    called = []
    monkeypatch.setattr(engine, "_polars", lambda: called.append(1))
    assert both(src)[4] == (100_000, 3)
    small = tmp_path / "small.csv"
    small.write_text("1,2,3\n")
    assert both(small)[4] == (1, 3)
    assert called == []


def test_without_polars_the_engine_is_off(tmp_path, monkeypatch, small_blocks):
    monkeypatch.setattr(engine, "_polars", lambda: None)
    monkeypatch.setattr(engine, "_csvparse", lambda: None)  # and without the compiled parser
    src = tmp_path / "x.csv"
    src.write_text("a,b\n" + "1.5,2\n" * 400)
    assert both(src)[4] == (400, 2)
    assert small_blocks == []


CORPUS = ROOT / "tests" / "corpus"


@pytest.mark.parametrize(
    "name", sorted(p.name for p in CORPUS.iterdir() if p.name != "MANIFEST.json")
)
def test_the_hostile_corpus_reads_the_same_through_the_engine(monkeypatch, name):
    """Every valid file gives the same bits, every invalid one the same message."""
    monkeypatch.setattr(engine, "MIN_BYTES", 0)  # the engine for every file, tiny blocks
    monkeypatch.setattr(engine, "HEAD_BYTES", 40)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 64)
    for dtype in (np.float64, np.float32):
        both(CORPUS / name, dtype=dtype)


def test_the_engine_takes_blocks_of_a_corpus_file(monkeypatch, small_blocks):
    monkeypatch.setattr(engine, "MIN_BYTES", 0)
    monkeypatch.setattr(engine, "HEAD_BYTES", 40)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 64)
    both(CORPUS / "subnormal.csv")
    assert any(small_blocks)


def run_cli(args, stdin_path, env_extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    with open(stdin_path, "rb") as fin:
        return subprocess.run(
            [sys.executable, "-m", "softmax_cli", *args],
            stdin=fin,
            capture_output=True,
            timeout=300,
            env=env,
        )


@pytest.mark.parametrize("where", ["stdin", "file"])
def test_compute_through_the_engine_writes_the_same_bytes(tmp_path, where):
    rng = np.random.default_rng(4)
    x = rng.normal(0, 30, (30_000, 4))
    x[::97, 1] = rng.standard_normal(len(x[::97])) * 1e-300
    src = tmp_path / "big.csv"
    src.write_text("a,b,c,d\n" + "\n".join(",".join(map(repr, r)) for r in x.tolist()) + "\n")
    assert src.stat().st_size > engine.MIN_BYTES
    args = ["compute", "-"] if where == "stdin" else ["compute", "--input", str(src)]
    args += ["--format", "csv"]
    on = run_cli(args, src, {})
    off = run_cli(args, src, {"SOFTMAX_LAB_ENGINE": "off"})
    assert on.returncode == off.returncode == 0, on.stderr + off.stderr
    assert on.stdout == off.stdout and len(on.stdout.splitlines()) == 30_001


def test_an_overflow_deep_in_a_large_pipe_has_the_exact_message(tmp_path):
    src = tmp_path / "big.csv"
    rows = ["1.25,2.5,-3.75"] * 100_000
    rows[77_777] = "1.25,1e400,3"
    src.write_text("a,b,c\n" + "\n".join(rows) + "\n")
    on = run_cli(["compute", "-"], src, {})
    off = run_cli(["compute", "-"], src, {"SOFTMAX_LAB_ENGINE": "off"})
    assert on.returncode == off.returncode == 1
    assert on.stderr == off.stderr and b"line 77779" in on.stderr


def test_a_few_rows_through_a_pipe_never_import_polars():
    code = (
        "import sys, io\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'1,2,3\\n'))\n"
        "from softmax_cli.cli.app import main\n"
        "try:\n    main(['compute', '-', '--format', 'csv'])\n"
        "except SystemExit:\n    pass\n"
        "print('polars' in sys.modules, 'pyarrow' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "False False", proc.stdout + proc.stderr
