"""NDJSON with ``--field KEY``: the objects' other keys are carried to the output, as written.

Run through the installed command in a subprocess; stdout and stderr are checked as
bytes. The probabilities are compared by bits with the library's own softmax (the
reading is what is tested here); the carried columns byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import softmax_cli as sm

LINES = (
    b'{"id": "req-1", "model": "small", "t": 0.10, "n": 1e2, "ok": true, "x": null,'
    b' "logits": [2.0, 1.0, 0.1]}\n'
    b'{"logits": [0.5, 0.5, 3.0], "x": null, "ok": false, "n": 3, "t": 0.7, "model": "big",'
    b' "id": "req-2"}\n'
)
CARRIED = [
    [b"req-1", b"small", b"0.10", b"1e2", b"true", b"null"],
    [b"req-2", b"big", b"0.7", b"3", b"false", b"null"],
]
LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])


def softmax_cmd(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "softmax_cli", "compute", "-", "--field", "logits", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )


def probabilities(cells: list[list[bytes]]) -> np.ndarray:
    return np.array([[float(c) for c in row] for row in cells])


@pytest.mark.parametrize("shape", ["lines", "array"])
def test_the_other_keys_are_carried_to_csv_as_written(shape):
    data = LINES if shape == "lines" else b"[" + LINES.rstrip().replace(b"\n", b",") + b"]"
    run = softmax_cmd("--format", "csv", stdin=data)
    assert run.returncode == 0 and run.stderr == b""
    rows = [line.split(b",") for line in run.stdout.splitlines()]
    assert [r[:6] for r in rows] == CARRIED  # key order of row 1, whatever each object's
    got = probabilities([r[6:] for r in rows])
    assert got.tobytes() == sm.softmax(LOGITS, axis=-1).tobytes()


def test_the_id_column_comes_first_and_json_output_names_every_key():
    run = softmax_cmd("--id-column", "model", "--format", "jsonl", stdin=LINES)
    assert run.returncode == 0 and run.stderr == b""
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert list(records[0]) == ["model", "id", "t", "n", "ok", "x", "0", "1", "2"]
    assert [records[1][k] for k in ("model", "id", "t", "n", "ok", "x")] == [
        "big",
        "req-2",
        "0.7",
        "3",
        "false",
        "null",
    ]
    got = np.array([[r[k] for k in ("0", "1", "2")] for r in records])
    assert got.tobytes() == sm.softmax(LOGITS, axis=-1).tobytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (  # a nested value beside the field: refused with its key
            b'{"id": "a", "logits": [1, 2], "usage": {"tokens": 3}}\n',
            b"line 1: row 1: key 'usage' holds object; the keys beside 'logits' are passed "
            b"through to the output, and only a string, number, true, false or null can be "
            b"(drop it first, e.g. jq -c 'del(.usage)')",
        ),
        (  # other keys than row 1's: refused with the difference
            b'{"id": "a", "logits": [1, 2]}\n{"logits": [1, 2], "model": "m"}\n',
            b"line 2: row 2: lacks key 'id' and has key 'model' row 1 lacks; the keys beside "
            b"'logits' are passed through to the output, so every object needs those of row 1",
        ),
    ],
    ids=["nested", "other-keys"],
)
def test_what_cannot_be_carried_is_refused_in_one_line(data, message):
    run = softmax_cmd("--format", "csv", stdin=data)
    assert run.returncode == 1 and run.stdout == b""
    assert run.stderr == b"error: <stdin>: " + message + b"\n"


def test_float32_keeps_the_carried_text_and_rounds_the_values_once():
    data = b'{"id": 7, "w": 1.0000000596046447753906250000001, "logits": [0, 1]}\n'
    run = softmax_cmd("--format", "csv", "--dtype", "float32", stdin=data)
    assert run.returncode == 0 and run.stderr == b""
    assert run.stdout.split(b",")[:2] == [b"7", b"1.0000000596046447753906250000001"]
