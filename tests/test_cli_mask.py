"""`softmax compute --mask FILE`: 0/1 rows in step with the input; rows in = rows out; a
mismatch is one error line naming both files and the line (exit status 1)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import softmax_cli as sm

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
MASK = np.array([[1, 0, 1], [1, 1, 1], [0, 0, 0]])


def write(path, rows, header=None) -> str:
    lines = ([",".join(header)] if header else []) + [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def floats(text: str) -> np.ndarray:
    rows = [line.split(",") for line in text.strip().splitlines()]
    return np.array(rows, dtype=float)


@pytest.fixture
def files(tmp_path):
    return write(tmp_path / "x.csv", X.tolist()), write(tmp_path / "m.csv", MASK.tolist())


@pytest.mark.parametrize("method", ["softmax", "log-softmax", "sparsemax", "logsumexp", "taylor"])
def test_mask_file_gives_the_library_result_with_where(cli, files, method):
    x, m = files
    run = cli("compute", "--input", x, "--mask", m, "--method", method, "--format", "csv")
    assert run.code == 0 and run.err == ""
    mapping = sm.method(method)
    want = np.atleast_2d(mapping(X, where=MASK.astype(bool)).T).T
    got = floats(run.out)
    assert got.shape[0] == X.shape[0]  # rows in = rows out, the empty row included
    np.testing.assert_array_equal(got.reshape(want.shape), want)


def test_masked_entries_are_written_as_0_and_minus_inf(cli, files):
    x, m = files
    probs = cli("compute", "--input", x, "--mask", m, "--format", "csv").out.splitlines()
    kept = sm.softmax([1.0, 3.0]).tolist()  # the kept entries alone
    assert probs[0] == f"{kept[0]!r},0.0,{kept[1]!r}"
    assert probs[2] == "0.0,0.0,0.0"  # nothing kept: zero mass (empty="zero")
    logs = cli("compute", "--input", x, "--mask", m, "--method", "log-softmax", "--format", "json")
    rows = json.loads(logs.out)
    assert rows[0][1] == "-inf" and rows[2] == ["-inf"] * 3
    # a -inf logit is the same mask, written in the input itself
    inline = cli("compute", "1", "-inf", "3", "--format", "csv")
    assert inline.out.strip() == probs[0]


def test_a_header_in_the_mask_file_and_by_column(cli, tmp_path, files):
    x, _ = files
    m = write(tmp_path / "mh.csv", MASK.tolist(), header=["a", "b", "c"])
    run = cli("compute", "--input", x, "--mask", m, "--format", "csv")
    assert run.code == 0, run.err
    col = cli("compute", "--input", x, "--mask", m, "--axis", "0", "--format", "csv")
    want = sm.softmax(X, axis=0, where=MASK.astype(bool))
    np.testing.assert_array_equal(floats(col.out), want)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (MASK[:2].tolist(), "ends after 2 row(s) (line 2) but {x} goes on at line 3"),
        ([*MASK.tolist(), [1, 1, 1]], "has more rows than {x} (which ends at line 3): its line 4"),
        ([r[:2] for r in MASK.tolist()], "has 2 value(s) per row but {x} has 3"),
        ([[1, 0, 1], [1, 0.5, 1], [0, 0, 0]], "line 2, column 2: 0.5 is not 0 or 1"),
    ],
    ids=["fewer rows", "more rows", "narrower", "not 0/1"],
)
def test_a_mismatch_is_one_line_naming_both_files(cli, tmp_path, files, rows, message):
    x, _ = files
    m = write(tmp_path / "bad.csv", rows)
    run = cli("compute", "--input", x, "--mask", m, "--format", "csv")
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err
    assert lines[0].startswith(f"error: --mask {m} ")
    assert message.format(x=x) in lines[0]


def test_mask_with_arguments_and_stdin(cli, tmp_path):
    m = write(tmp_path / "one.csv", [[1, 1, 0]])
    run = cli("compute", "1", "2", "3", "--mask", m, "--format", "csv")
    assert floats(run.out)[0].tolist() == sm.softmax([1.0, 2.0, 3.0], where=[1, 1, 0]).tolist()
    piped = cli("compute", "-", "--mask", m, "--format", "csv", stdin="1,2,3\n")
    assert piped.out == run.out
    two = write(tmp_path / "two.csv", [[1, 1, 0], [1, 1, 1]])
    bad = cli("compute", "1", "2", "3", "--mask", two)
    assert bad.code == 1 and "the vector given as arguments" in bad.err
    from_stdin = cli("compute", "1", "2", "3", "--mask", "-", "--format", "csv", stdin="1,1,0\n")
    assert from_stdin.code == 0 and from_stdin.out == run.out
    refused = cli("compute", "-", "--mask", "-", stdin="1,2,3\n")
    assert refused.code == 2
    assert refused.err.startswith("error: --mask - and the logits cannot both come from stdin")
