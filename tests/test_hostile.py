"""Hostile input and failure: nothing crashes, nothing is lost (issue 8).

* The corpus (``tests/corpus/MANIFEST.json``) runs through every command that
  takes input, by every route (``--input FILE``, stdin, arguments where they
  apply): the documented exit code, one ``error: ...`` line naming what and
  where, nothing on stdout, never a traceback.
* Reading fails half way (an I/O error, a pipe that closes mid-row, the file
  deleted while it is read): one line, and every row already written is whole.
* A million rows come out as a million rows, in order, ids intact, bit for bit
  what the library gives; an error at row 700 000 leaves only real results.
* Output to a full disk and to a closed pipe, for every command.
"""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli.io.readers import open_vectors

from .conftest import ROOT, shell_env

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
COMMANDS = ("compute", "compare", "grad", "temperature-sweep")


# ---------------------------------------------------------------- inputs made at test time


def _wide() -> tuple[bytes, str]:
    n = 1_000_000
    p = repr(float(sm.softmax(np.zeros(n))[0]))
    return b"0," * (n - 1) + b"0\n", ",".join([p] * n) + "\n"


def _numbers_20mb() -> tuple[bytes, str]:
    n = 5_000_000  # "0.5," x 5e6 = 20 MB; a 100 MB line of numbers needs 8 GB and 80 s
    p = repr(float(sm.softmax(np.full(n, 0.5))[0]))
    return b"0.5," * (n - 1) + b"0.5\n", ",".join([p] * n) + "\n"


MAKERS = {
    "wide_1e6_columns": _wide,
    "line_100mb_bad_token": lambda: (b"1," + b"x" * 100_000_000 + b"\n", None),
    "line_100mb_one_number": lambda: (b"0." + b"1" * 100_000_000 + b"\n", None),
    "line_20mb_of_numbers": _numbers_20mb,
}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Big inputs, written once per module on first use: name -> (path, compute's stdout)."""
    cache: dict[str, tuple[Path, str | None]] = {}

    def get(name: str) -> tuple[Path, str | None]:
        if name not in cache:
            data, expected = MAKERS[name]()
            path = tmp_path_factory.mktemp("big") / f"{name}.csv"
            path.write_bytes(data)
            cache[name] = (path, expected)
        return cache[name]

    return get


# ---------------------------------------------------------------- the corpus matrix


def _name(entry: dict) -> str:
    return entry.get("file") or entry.get("make") or entry["path"]


def _cases():
    for entry in MANIFEST["entries"]:
        routes = entry.get("routes") or ["input", "stdin", *(["args"] if "args" in entry else [])]
        for command in COMMANDS:
            marks = [pytest.mark.slow] if command in entry.get("slow_commands", ()) else []
            for route in routes:
                yield pytest.param(
                    entry, command, route, id=f"{_name(entry)}-{command}-{route}", marks=marks
                )


def expectation(entry: dict, command: str, route: str) -> tuple[int, str | None, bool]:
    """(exit code, stderr text, whether the message must name the source) for one case."""
    code, text, named = entry["exit"], entry.get("stderr"), True
    if route == "args":
        code = entry["args"].get("exit", code)
        text, named = entry["args"].get("stderr", text), False
    override = entry.get("commands", {}).get(command)
    if override:
        code, text, named = override["exit"], override.get("stderr"), False
    return code, text, named


def test_manifest_lists_every_corpus_file_and_every_file_exists():
    listed = {e["file"] for e in MANIFEST["entries"] if "file" in e}
    present = {p.name for p in CORPUS.iterdir()} - {
        "MANIFEST.json",
        "make_corpus.py",
        ".gitattributes",
    }
    assert listed == present
    assert {e["make"] for e in MANIFEST["entries"] if "make" in e} == set(MAKERS)


@pytest.mark.parametrize(("entry", "command", "route"), list(_cases()))
def test_hostile_input(entry, command, route, cli, tmp_path, made):
    expected_out = entry.get("stdout", {}).get(command)
    if "file" in entry:
        path = CORPUS / entry["file"]
    elif "make" in entry:
        path, made_out = made(entry["make"])
        expected_out = made_out if command == "compute" else None
    elif entry["path"] == "directory":
        path = tmp_path
    else:
        path = tmp_path / "no-such-file.csv"
    opts = entry.get("options", [])
    if route == "input":
        run = cli(command, *opts, "--input", str(path))
        source = path.name
    elif route == "stdin":
        run = cli(command, *opts, "-", stdin=path.read_bytes())
        source = "<stdin>"
    else:
        run = cli(command, *opts, *entry["args"]["values"])
        source = None
    code, text, named = expectation(entry, command, route)

    assert "Traceback" not in run.err
    assert run.code == code, run.err
    if code == 0:
        assert run.err == ""
        assert run.out.endswith("\n") and run.out.strip()
        if expected_out is not None and route != "args":
            assert run.out == expected_out
        return
    assert run.err.startswith("error: ") and run.err.count("\n") == 1 and run.err.endswith("\n")
    assert len(run.err) < 600  # one readable line, even for a 100 MB token
    assert text in run.err
    assert run.out == ""  # nothing for rows after the error, and no row came before it
    if named and source is not None:
        assert source in run.err


# ---------------------------------------------------------------- reading fails half way


class _Failing(io.RawIOBase):
    """Bytes that break off with an OSError after ``good`` bytes (a disk or NFS error)."""

    def __init__(self, data: bytes, good: int, err: int) -> None:
        self.data, self.pos, self.good, self.err = data, 0, good, err

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self.pos >= self.good:
            raise OSError(self.err, os.strerror(self.err))
        n = min(len(buf), self.good - self.pos, len(self.data) - self.pos)
        buf[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


ROWS = b"".join(b"r%d,%d,%d,%d\n" % (i, i % 7, i % 5, -(i % 3)) for i in range(100_000))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("good", "err"), [(0, errno.EIO), (300, errno.ESTALE)])
def test_an_io_error_while_reading_stdin_is_one_line(cli, monkeypatch, command, good, err):
    raw = _Failing(ROWS, good, err)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw)))
    run = cli(command, "-", "--id-column", "1")
    assert run.code == 1
    assert run.err == f"error: <stdin> cannot be read ({os.strerror(err)})\n"
    assert run.out == ""


def test_an_io_error_after_many_rows_keeps_every_written_row_whole(cli, monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BufferedReader(_Failing(ROWS, 600_000, errno.EIO)))
    )
    run = cli("compute", "-", "--id-column", "1")
    assert (run.code, run.err) == (1, "error: <stdin> cannot be read (Input/output error)\n")
    assert run.out.endswith("\n")
    got = list(open_vectors(io.StringIO(run.out), id_column=1, header=False))
    n = sum(len(b.values) for b in got)
    assert 0 < n < 100_000
    every = list(open_vectors(io.BytesIO(ROWS), id_column=1, header=False))
    assert [i for b in got for i in b.ids] == [i for b in every for i in b.ids][:n]
    values = np.concatenate([b.values for b in got])
    x = np.concatenate([b.values for b in every])[:n]
    assert values.view(np.uint64).tolist() == sm.softmax(x).view(np.uint64).tolist()


def _shell(script: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    prelude = f'softmax() {{ "{sys.executable}" -m softmax_cli "$@"; }}\n'
    return subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        env=shell_env(),
        timeout=120,
    )


def test_a_pipe_that_closes_mid_row_names_the_short_row_and_keeps_the_rest_whole():
    # the writer dies half way through line 4: the reader sees a short last row
    proc = _shell(
        "{ printf 'a,b,c\\n1,2,3\\n4,5,6\\n7,8'; kill -9 $BASHPID; } | softmax compute -; "
        'echo "status=${PIPESTATUS[1]}"'
    )
    err = proc.stderr.decode()
    assert err == (
        "error: <stdin>: line 4: expected 3 values (as on line 1), found 2; is a value "
        "missing? every row needs the same number of values\n"
    )
    assert proc.stdout.decode().endswith("status=1\n")
    assert "Traceback" not in err


def test_a_closed_stdin_is_one_line():
    proc = _shell("softmax compute - <&-")
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert proc.stderr == b"error: <stdin> cannot be read: there is no standard input\n"


def test_a_file_deleted_while_it_is_read_is_read_to_the_end(tmp_path):
    # unlinking an open file leaves its data readable: every row still comes out
    path = tmp_path / "rows.csv"
    n = 300_000
    path.write_bytes(b"".join(b"%d,%d\n" % (i % 11, -(i % 13)) for i in range(n)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "softmax_cli", "compute", "--input", str(path)],
        bufsize=0,  # readline must not read ahead of what communicate() then reads
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=shell_env(),
    )
    first = proc.stdout.readline()
    path.unlink()
    rest, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, b"")
    assert first.count(b",") == 1
    assert (first + rest).count(b"\n") == n


# ---------------------------------------------------------------- a million rows

MILLION = 1_000_000
_PATTERNS = 4096  # row i holds pattern i % 4096 (formatting a million rows anew takes 5 s)


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    """A CSV of a million rows ``r<i>,a,b,c``, and the library's softmax of each row.

    The expected rows come from the library on the patterns as the command's own
    reader parses them.
    """
    rng = np.random.default_rng(8)
    x = rng.standard_normal((_PATTERNS, 3)) * rng.choice([1.0, 30.0, 800.0], (_PATTERNS, 1))
    pats = [f"{a!r},{b!r},{c!r}" for a, b, c in x.tolist()]
    lines = [f"r{i},{pats[i % _PATTERNS]}" for i in range(MILLION)]
    parsed = open_vectors(io.StringIO("\n".join(pats) + "\n"), header=False)
    expected = sm.softmax(np.concatenate([b.values for b in parsed]))
    assert expected.shape == (_PATTERNS, 3)
    return tmp_path_factory.mktemp("million"), lines, expected


def _rows_of(expected: np.ndarray, k: int) -> list[int]:
    """Bits of the first ``k`` expected output rows, flattened."""
    reps = -(-k // _PATTERNS)
    return np.tile(expected, (reps, 1))[:k].view(np.uint64).ravel().tolist()


def _run_compute(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "softmax_cli", "compute", "--input", str(path), "--id-column", "id"],
        cwd=ROOT,
        capture_output=True,
        env=shell_env(),
        timeout=300,
    )


def _read(text: bytes) -> tuple[list[str], np.ndarray]:
    batches = list(open_vectors(io.BytesIO(text), id_column="id"))
    return (
        [i for b in batches for i in b.ids],
        np.concatenate([b.values for b in batches]) if batches else np.zeros((0, 3)),
    )


def test_a_million_rows_come_out_in_order_with_ids_and_exact_floats(million):
    folder, lines, expected = million
    path = folder / "million.csv"
    path.write_text("id,a,b,c\n" + "\n".join(lines) + "\n", encoding="ascii")
    proc = _run_compute(path)
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert proc.stdout.startswith(b"id,a,b,c\n")
    assert proc.stdout.count(b"\n") == MILLION + 1
    ids, values = _read(proc.stdout)  # each row read back as the floats written
    assert ids == [f"r{i}" for i in range(MILLION)]
    assert values.view(np.uint64).ravel().tolist() == _rows_of(expected, MILLION)  # bit for bit


def test_an_error_at_row_700000_leaves_only_whole_real_rows(million):
    folder, lines, expected = million
    bad = 700_000
    path = folder / "million_bad.csv"
    text = "\n".join([*lines[:bad], f"r{bad},1.0,2.0,oops", *lines[bad + 1 :]])
    path.write_text("id,a,b,c\n" + text + "\n", encoding="ascii")
    proc = _run_compute(path)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"error: {path}: line {bad + 2}, column 4: 'oops' is not a number; write numbers like "
        "1.5, -2e-3, inf or nan; if the column holds labels, make it the id column (--id-column)\n"
    )
    assert proc.stdout.endswith(b"\n")  # no partial line
    ids, values = _read(proc.stdout)
    k = len(ids)
    assert 0 < k <= bad  # the rows before the bad one that were written, and no more
    assert ids == [f"r{i}" for i in range(k)]
    assert values.view(np.uint64).ravel().tolist() == _rows_of(expected, k)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
@pytest.mark.parametrize(
    ("command", "n", "bad"),
    [
        (("compute",), 60_000, 50_000),
        (("grad", "--loss", "ce", "--target", "0"), 60_000, 50_000),
        (("temperature-sweep", "--taus", "1"), 3_000, 2_500),
    ],
    ids=["compute", "grad", "temperature-sweep"],
)
def test_an_error_half_way_leaves_whole_rows_in_every_format(cli, command, n, bad, fmt):
    lines = [f"r{i},{i % 7},{-(i % 5)},{i % 3}" for i in range(n)]
    lines[bad] = f"r{bad},1,2,x"
    text = "id,a,b,c\n" + "\n".join(lines)
    run = cli(*command, "-", "--id-column", "id", "--format", fmt, stdin=text)
    assert run.code == 1
    assert run.err == (
        f"error: <stdin>: line {bad + 2}, column 4: 'x' is not a number; write numbers like "
        "1.5, -2e-3, inf or nan; if the column holds labels, make it the id column (--id-column)\n"
    )
    body = run.out.splitlines()
    assert run.out == "" or run.out.endswith("\n") or fmt == "json"  # json: no closing ]
    if fmt == "json":
        assert run.out == "" or run.out.startswith("[\n")
        body = [line.strip().rstrip(",") for line in body[1:]]
        assert not body or run.out.endswith("}")
    if fmt in ("json", "jsonl"):
        ids = [json.loads(line)["id"] for line in body]  # every line is whole JSON
    else:
        delim = "," if fmt == "csv" else "\t"
        head = body.pop(0).split(delim) if body else []
        assert all(len(line.split(delim)) == len(head) for line in body)
        ids = [line.split(delim)[0] for line in body]
    assert ids == [f"r{i}" for i in range(len(ids))]  # in order, none lost or doubled
    assert len(ids) < bad


# ---------------------------------------------------------------- output that cannot be written

OUTPUT_CASES = [
    ["compute", "1", "2"],
    ["compare", "1", "2"],
    ["grad", "1", "2"],
    ["temperature-sweep", "1", "2"],
    ["methods"],
    ["compare", "1", "2", "--format", "table"],
]


@pytest.mark.parametrize("args", OUTPUT_CASES, ids=" ".join)
def test_a_full_disk_is_one_line_and_exit_1(args):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "softmax_cli", *args],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            env=shell_env(),
            timeout=120,
        )
    assert (proc.returncode, proc.stderr) == (
        1,
        b"error: cannot write output: No space left on device\n",
    )


@pytest.mark.parametrize("args", OUTPUT_CASES, ids=" ".join)
def test_a_closed_pipe_exits_141_quietly(args):
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the first byte
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "softmax_cli", *args],
            cwd=ROOT,
            stdout=w,
            stderr=subprocess.PIPE,
            env=shell_env(),
            timeout=120,
        )
    finally:
        os.close(w)
    assert (proc.returncode, proc.stderr) == (141, b"")


def test_an_unencodable_character_on_stdout_is_one_line():
    proc = subprocess.run(
        [sys.executable, "-m", "softmax_cli", "compute", "-", "--id-column", "id"],
        cwd=ROOT,
        input="id,a,b\nr\u00fc,1,2\n".encode(),
        capture_output=True,
        env={**shell_env(), "PYTHONIOENCODING": "ascii"},
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        b"error: cannot write output: '\\xfc' has no ascii encoding; "
        b"use a UTF-8 locale or PYTHONIOENCODING=utf-8\n"
    )


def test_out_of_memory_is_one_line(cli, monkeypatch):
    from softmax_cli.cli import compute

    def greedy(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(compute, "run_mapping", greedy)
    run = cli("compute", "1", "2")
    assert run.code == 1
    assert run.err == (
        "error: out of memory: the input is too big to hold at once; give fewer values per row\n"
    )


# ---------------------------------------------------------------- -inf is a number, not -i nf


@pytest.mark.parametrize(
    ("args", "code", "out", "err"),
    [
        (["compute", "-inf", "1"], 0, "0.0,1.0\n", ""),
        (["compute", "1", "-Infinity", "-nan"], 0, "nan,nan,nan\n", ""),
        (["compute", "-INF", "-infinity", "--format", "csv"], 0, "0.5,0.5\n", ""),
        (["compare", "-inf", "0", "--format", "csv"], 0, None, ""),
        (["temperature-sweep", "-inf", "0", "1", "--taus", "1"], 0, None, ""),
        # an option's value stays as typed: -t takes -inf, --input the file named -inf
        (
            ["compute", "-t", "-inf", "1", "2"],
            2,
            "",
            "error: --temperature must be finite and > 0, got -inf\n",
        ),
        (["compute", "--input", "-inf"], 0, "0.2689414213699951,0.7310585786300049\n", ""),
        (["compute", "--", "-inf", "1"], 0, "0.0,1.0\n", ""),
    ],
)
def test_negative_infinity_is_a_value_not_the_input_option(
    cli, tmp_path, monkeypatch, args, code, out, err
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-inf").write_text("1,2\n")
    run = cli(*args)
    assert (run.code, run.err) == (code, err)
    if out is not None:
        assert run.out == out
    else:
        assert run.out.count("\n") >= 2


@pytest.mark.parametrize(
    ("x", "oracle"),
    [
        ("1e9", "1.5613358967051769e-868588964"),  # took hours: 10**868588964 in exact integers
        ("1e308", "9.003339798723552e-86858896380650366483855"),  # crashed: float overflow
    ],
)
def test_compare_prints_oracle_values_far_below_the_float_range(cli, x, oracle):
    run = cli("compare", x, f"-{x}", "--format", "csv")
    assert (run.code, run.err) == (0, "")
    row = run.out.splitlines()[2].split(",")
    assert row[3].startswith(oracle) and row[4:7] == ["0.0", "0.0", "underflow"]


# ---------------------------------------------------------------- issue 21: nothing lost or changed


def test_ctrl_c_while_blocked_on_a_slow_pipe_leaves_only_whole_rows(tmp_path):
    """SIGINT while the reader lags: the rows out are a prefix of the full output, whole."""
    import signal
    import time

    path = tmp_path / "big.csv"
    rng = np.random.default_rng(21)
    np.savetxt(path, rng.normal(size=(200_000, 4)) * 30, delimiter=",", fmt="%.9f")
    command = [sys.executable, "-m", "softmax_cli", "compute", "--input", str(path)]
    full = subprocess.run(command, capture_output=True, cwd=ROOT, env=shell_env()).stdout
    for _ in range(2):
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=shell_env()
        )
        head = proc.stdout.read(300_000)
        time.sleep(0.4)  # the writer is now blocked on the full pipe
        proc.send_signal(signal.SIGINT)
        out = head + proc.stdout.read()
        err = proc.stderr.read()
        assert proc.wait() == 130 and b"Traceback" not in err
        assert out.endswith(b"\n") and full.startswith(out), out[-80:]


def test_output_naming_the_input_file_is_written_whole(cli, tmp_path):
    path = tmp_path / "f.csv"
    rows = "\n".join(f"{i},{-i},{2 * i}" for i in range(2_000))
    path.write_text("a,b,c\n" + rows + "\n")
    want = cli("compute", "--input", str(path)).out
    run = cli("compute", "--input", str(path), "-o", str(path))
    assert run.code == 0, run.err
    assert path.read_text() == want and want.count("\n") == 2_001
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]


def test_an_error_half_way_leaves_the_old_output_file_and_no_partial_one(cli, tmp_path):
    good = "\n".join(f"{i},{i + 1}" for i in range(1, 100_001))  # not 0,1: pandas' header
    (tmp_path / "in.csv").write_text(good + "\n1,zz\n")
    out = tmp_path / "out.csv"
    out.write_text("the old results\n")
    run = cli("compute", "--input", str(tmp_path / "in.csv"), "-o", str(out))
    assert run.code == 1 and "line 100001" in run.err
    assert out.read_text() == "the old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_a_full_disk_under_output_leaves_no_file_that_looks_complete(cli, tmp_path, monkeypatch):
    import softmax_cli.cli.output as output

    real_fdopen = os.fdopen

    class Full(io.TextIOWrapper):
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, *args, **kwargs):
        return Full(real_fdopen(fd, "wb"), encoding="utf-8")

    monkeypatch.setattr(output.os, "fdopen", fdopen)
    run = cli("compute", "1", "2", "-o", str(tmp_path / "out.csv"))
    assert run.code == 1 and run.err == "error: cannot write output: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_a_closed_stdout_is_one_line_and_exit_1():
    proc = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m softmax_cli compute 1 2 3 >&-'],
        capture_output=True, text=True, cwd=ROOT, env=shell_env(),
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr == "error: cannot write output: standard output is closed\n"


@pytest.mark.parametrize("layout", ["array", "lines", "objects"])
def test_numeric_json_ids_pass_through_as_written(cli, layout):
    ids = ["1.10", "1e2", "-0", "100.0", "1E+400"]
    if layout == "objects":
        text = ",".join(f'{{"id": {i}, "x": 1, "y": 2}}' for i in ids)
        text, flag = f"[{text}]", "id"
    else:
        rows = [f"[{i}, 1, 2]" for i in ids]
        text = "\n".join(rows) if layout == "lines" else "[" + ",\n".join(rows) + "]"
        flag = "1"
    run = cli("compute", "-", "--id-column", flag, "--format", "csv", stdin=text + "\n")
    assert run.code == 0, run.err
    got = [line.split(",")[0] for line in run.out.splitlines()]
    assert got[-len(ids) :] == ids


@pytest.mark.parametrize("first", ["1.5e,1.5D+00", "0x10,0x20", "1e,2E+", "-1.5e,.5d3"])
def test_a_first_row_of_malformed_numbers_is_reported_at_line_1(cli, first):
    run = cli("compute", "-", stdin=f"{first}\n1,2\n")
    assert run.code == 1 and run.out == ""
    assert run.err.startswith("error: <stdin>: line 1, column 1: ")


def test_header_names_are_still_headers(cli):
    run = cli("compute", "-", stdin="a1,e2\n1,2\n")
    assert run.code == 0 and run.out.splitlines()[0] == "a1,e2"


# ---------------------------------------------------------------- issue 21/18: no tracebacks


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("where", ["id", "value", "spanning"])
def test_a_quoted_field_over_the_csv_limit_is_read_or_reported(cli, tmp_path, fmt, where):
    d = "," if fmt == "csv" else "\t"
    long = "a" * 140_000
    body = {
        "id": f'"{long}"{d}1{d}2\nb{d}3{d}4\n',
        "value": f'x{d}1{d}"{long}"\n',
        "spanning": f'"{long}\n{long}"{d}1{d}2\n',
    }[where]
    path = tmp_path / f"long.{fmt}"
    path.write_text(body)
    for route in (("--input", str(path)), ("-",)):
        stdin = body if route == ("-",) else None
        run = cli("compute", *route, "--id-column", "1", stdin=stdin)
        if where == "value":
            assert run.code == 1 and run.err.count("\n") == 1 and "is not a number" in run.err
        else:
            assert run.code == 0, run.err[:300]
            assert run.out.count("\n") == 2  # two rows, or one whose id holds a newline
            assert run.out.startswith(f'"{long}' if where == "spanning" else long)


@pytest.mark.parametrize("depth", [970, 977, 985])
def test_an_id_nested_977_deep_is_passed_through_or_one_line(depth):
    """Run as the console script does: how deep the decoder gets depends on the stack."""
    deep = "[" * depth + "]" * depth
    launcher = "from softmax_cli.cli.app import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", launcher, "compute", "-", "--id-column", "id", "-f", "csv"],
        input=f'{{"id": {deep}, "x": 1}}\n', capture_output=True, text=True, cwd=ROOT,
        env=shell_env(),
    )  # fmt: skip
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        assert proc.stdout.splitlines()[1] == f'"{deep}",1.0'
    else:
        assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.count("\n") == 1
        assert "nested too deeply" in proc.stderr


def test_control_characters_in_user_text_are_escaped_on_stderr(cli, tmp_path):
    forged = "bad\nFAKE: all rows ok\x1b[2J"
    run = cli("compute", "-", "--id-column", "1", stdin=f"id,x\nr1,{forged}\n")
    assert run.code == 1 and run.err.count("\n") == 1 and "\x1b" not in run.err
    path = tmp_path / "a\nFAKE: ok\x1b[31m.csv"
    path.write_text("")
    run = cli("compute", "--input", str(path))
    assert run.code == 1 and run.err.count("\n") == 1 and "\x1b" not in run.err
    assert "a\\nFAKE: ok\\x1b[31m.csv" in run.err
