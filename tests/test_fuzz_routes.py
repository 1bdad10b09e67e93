"""Fuzzing every route into the command line (issue 18): arguments, a file, stdin, each
input format (sniffed, and forced once ``--input-format`` exists), the compiled engine and
the exact reader.

Inputs are rows of floats written as CSV, TSV, whitespace-separated text, JSON or JSON
lines, sometimes with a hostile token spliced in. The properties: the exit status is
0, 1 or 2; an error is one ``error:`` line on stderr and never a traceback; on success
the output has one row per input row, and for an unspoilt input its numbers are the
library's, bit for bit.

The format list is a parameter (:data:`TEXT_FORMATS`); forced formats are read from
the command's own ``--input-format`` choices, so binary formats join when they land.
Each property runs a few dozen cases here (seconds in all); ``--runslow`` runs thousands.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import softmax_cli as sm
from softmax_cli import losses
from softmax_cli.io import engine

QUICK = settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=40)
SLOW = settings(QUICK, max_examples=2_000)

#: text layouts written here, with the --input-format name that forces each
TEXT_FORMATS = {"csv": "csv", "tsv": "tsv", "ws": "ws", "json": "json", "jsonl": "jsonl"}
ROUTES = ["arguments", "file", "stdin"]
ENGINES = ["compiled", "exact"]
DTYPES = {"float64": np.float64, "float32": np.float32}
HOSTILE = [
    "abc", "1e400", "nan", "-inf", "\u2212", "\u2013", "1_0", "0x10", "NA", ",", "\t", " ",
    "\n", "\r\n", '"', "#", "[", "]", "{", "}", "\x00", "\xe9", "\u00a0", "\ufeff", "--nope",
    "-", ";", "1,000", "null",
]  # fmt: skip


def _input_formats() -> list[str]:
    """The choices of ``compute --input-format`` (empty until the option exists)."""
    import typer.main

    from softmax_cli.cli.app import _register_commands, app

    _register_commands(["compute"])
    command = typer.main.get_command(app).commands["compute"]  # type: ignore[attr-defined]
    for param in command.params:
        if "--input-format" in getattr(param, "opts", ()):
            return [c for c in getattr(param.type, "choices", ()) if c in TEXT_FORMATS]
    return []


FORCED = _input_formats()

VALUES = st.one_of(
    st.floats(-50, 50, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, -1e308, 708.0, 1000.0]),
)


@st.composite
def cases(draw):
    rows = draw(st.integers(1, 4))
    cols = draw(st.integers(1, 5))
    x = np.array(draw(st.lists(VALUES, min_size=rows * cols, max_size=rows * cols)))
    x = x.reshape(rows, cols)
    fmt = draw(st.sampled_from(list(TEXT_FORMATS)))
    text = render(x, fmt)
    spoilt = draw(st.booleans())
    if spoilt:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(HOSTILE)) + text[at:]
    return x, fmt, text, spoilt


def render(x: np.ndarray, fmt: str) -> str:
    rows = [[repr(float(v)) for v in row] for row in x]
    if fmt in ("csv", "tsv", "ws"):
        d = {"csv": ",", "tsv": "\t", "ws": " "}[fmt]
        return "".join(d.join(r) + "\n" for r in rows)
    if fmt == "jsonl":
        return "".join("[" + ", ".join(r) + "]\n" for r in rows)
    return "[\n" + ",\n".join("  [" + ", ".join(r) + "]" for r in rows) + "\n]\n"


def run_route(cli, tmp_path, route: str, command: list[str], text: str, forced: str | None):
    extra = ["--input-format", forced] if forced else []
    if route == "arguments":
        return cli(*command, *text.split(), "--format", "csv")
    if route == "file":
        path = tmp_path / "in.txt"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        return cli(*command, "--input", str(path), *extra, "--format", "csv")
    return cli(
        *command, "-", *extra, "--format", "csv", stdin=text.encode("utf-8", "surrogatepass")
    )


def out_rows(out: str, dtype) -> np.ndarray:
    lines = [line for line in out.splitlines() if line]
    return np.array([[float(v) for v in line.split(",")] for line in lines]).astype(dtype)


def expected(command: str, x: np.ndarray, dtype) -> np.ndarray:
    x = x.astype(dtype)
    if command == "compute":
        return sm.softmax(x)
    loss, grad = losses.cross_entropy(x, np.zeros(x.shape[0], dtype=np.intp))
    return np.column_stack([loss, grad])


def check(cli, tmp_path, monkeypatch, case, route, eng, command, dtype_name, forced=None):
    x, fmt, text, spoilt = case
    dtype = DTYPES[dtype_name]
    if route == "arguments" and (x.shape[0] > 1 or fmt in ("json", "jsonl") or "\n" in text[:-1]):
        route = "stdin"  # arguments carry one vector
    if eng == "exact":
        monkeypatch.setenv("SOFTMAX_LAB_ENGINE", "off")
    else:  # small inputs reach polars: the engine's thresholds lowered
        monkeypatch.delenv("SOFTMAX_LAB_ENGINE", raising=False)
        monkeypatch.setattr(engine, "MIN_BYTES", 0)
        monkeypatch.setattr(engine, "HEAD_BYTES", 160)
        monkeypatch.setattr(engine, "BLOCK_BYTES", 64)
    args = {"compute": ["compute"], "ce": ["grad", "--loss", "ce", "--target", "0"]}[command]
    run = run_route(cli, tmp_path, route, [*args, "--dtype", dtype_name], text, forced)
    assert run.code in (0, 1, 2), (run.code, run.err)
    assert "Traceback" not in run.err and "Traceback" not in run.out
    if run.code != 0:
        assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
        return
    if spoilt:
        return  # a hostile token that still reads (a comment, a header, a blank line...)
    body = run.out.splitlines()
    if command == "ce":  # grad names its columns (loss, grad_0, ...); compute has no header here
        assert body[0].startswith("loss,grad_0")
        body = body[1:]
    rows = out_rows("\n".join(body), dtype)
    assert rows.shape[0] == x.shape[0]  # rows in = rows out
    want = expected(command, x, dtype)
    assert rows.shape == want.shape
    assert np.array_equal(rows.view(np.uint8), want.astype(dtype).view(np.uint8)) or np.array_equal(
        rows, want, equal_nan=True
    )


@QUICK
@given(
    cases(),
    st.sampled_from(ROUTES),
    st.sampled_from(ENGINES),
    st.sampled_from(["compute", "ce"]),
    st.sampled_from(list(DTYPES)),
)
def test_every_route_answers_cleanly_and_keeps_the_bits(
    cli, tmp_path, monkeypatch, case, route, eng, command, dtype
):
    with monkeypatch.context() as mp:
        check(cli, tmp_path, mp, case, route, eng, command, dtype)


@pytest.mark.skipif(not FORCED, reason="compute has no --input-format yet")
@QUICK
@given(cases(), st.sampled_from(["file", "stdin"]), st.sampled_from(ENGINES))
def test_every_forced_format_answers_cleanly(cli, tmp_path, monkeypatch, case, route, eng):
    x, fmt, text, spoilt = case
    for forced in FORCED:
        with monkeypatch.context() as mp:
            # forcing another layout than the text's is a mismatch: clean error or clean read
            check(cli, tmp_path, mp, (x, fmt, text, spoilt or forced != fmt), route, eng,
                  "compute", "float64", forced)  # fmt: skip


@pytest.mark.slow
@SLOW
@given(
    cases(),
    st.sampled_from(ROUTES),
    st.sampled_from(ENGINES),
    st.sampled_from(["compute", "ce"]),
    st.sampled_from(list(DTYPES)),
)
def test_every_route_answers_cleanly_and_keeps_the_bits_slow(
    cli, tmp_path, monkeypatch, case, route, eng, command, dtype
):
    with monkeypatch.context() as mp:
        check(cli, tmp_path, mp, case, route, eng, command, dtype)


@QUICK
@given(cases(), st.sampled_from(ROUTES), st.sampled_from(["compare", "grad --check"]))
def test_the_slow_analyses_answer_cleanly_on_every_route(cli, tmp_path, case, route, command):
    x, fmt, text, spoilt = case
    if route == "arguments" and (x.shape[0] > 1 or fmt in ("json", "jsonl") or "\n" in text[:-1]):
        route = "stdin"
    run = run_route(cli, tmp_path, route, [*command.split(), "--max-rows", "3"], text, None)
    assert run.code in (0, 1, 2, 3), (run.code, run.err)
    assert "Traceback" not in run.err
    if run.code in (1, 2):
        assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
    elif not spoilt and command == "compare":
        labels = {line.split(",")[0] for line in run.out.splitlines()[1:]}
        assert len(labels) == min(3, x.shape[0])  # rows in (up to --max-rows) = rows out


def test_the_engine_route_really_reaches_polars(monkeypatch, tmp_path):
    pytest.importorskip("polars")
    calls = []
    real = engine._Engine._fast

    def spy(self, block):
        calls.append(block)
        return real(self, block)

    monkeypatch.setattr(engine._Engine, "_fast", spy)
    monkeypatch.setattr(engine, "MIN_BYTES", 0)
    monkeypatch.setattr(engine, "HEAD_BYTES", 160)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 64)
    path = tmp_path / "x.csv"
    x = np.arange(40.0).reshape(10, 4) / 7
    path.write_text(render(x, "csv"))
    with engine.open_vectors(str(path)) as reader:
        got = np.concatenate([b.values for b in reader])
    assert calls and np.array_equal(got, x)


def test_json_rendering_is_valid_json():
    x = np.array([[1.5, -0.0], [1e-300, 2.0]])
    assert json.loads(render(x, "json")) == x.tolist()
    assert [json.loads(line) for line in io.StringIO(render(x, "jsonl"))] == x.tolist()
