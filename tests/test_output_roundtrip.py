"""Every command, every machine format: each number's text reads back to the very same bits.

All machine output goes through one writer (``softmax_cli.io.records``); this
runs each command in csv, tsv, json and jsonl and checks that every float
field, read back in the command's dtype, is the shortest text of its own bits.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess

import numpy as np
import pytest

from softmax_cli.io.floattext import format_float

FORMATS = ("csv", "tsv", "json", "jsonl")
STDIN = "k,a,b,c\nr1,1,2,3\nr2,0,-1e-300,1000\nr3,-745.5,0.1,7e-5\n"
COMMANDS = [
    ("compute", ["compute", "-", "--id-column", "k"], "float64"),
    ("compute32", ["compute", "-", "--id-column", "k", "--dtype", "float32"], "float32"),
    ("compute16", ["compute", "-", "--dtype", "float16", "--id-column", "k"], "float16"),
    ("compare", ["compare", "--dtype", "float32", "1000", "0.1", "-3"], "float32"),
    ("grad", ["grad", "-", "--id-column", "k"], "float64"),
    ("grad-loss", ["grad", "-", "--id-column", "k", "--loss", "ce", "--target", "1"], "float64"),
    ("sweep", ["temperature-sweep", "-", "--id-column", "k", "--steps", "3"], "float64"),
    (
        "sweep32",
        ["temperature-sweep", "0.1", "2", "--dtype", "float32", "--taus", "0.3,3"],
        "float32",
    ),
    ("methods", ["methods"], "float64"),
]


def _floats(value):
    """Every float-looking leaf of a parsed record, as its text (JSON numbers via repr)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _floats(v)
    elif isinstance(value, list):
        for v in value:
            yield from _floats(v)
    elif isinstance(value, float):
        yield None  # JSON numbers are checked on the raw text below
    elif isinstance(value, str) and value in ("nan", "inf", "-inf"):
        yield value


def _number_tokens(text: str) -> list[str]:
    """Float tokens of delimited text (fields that parse as a float and are not ints)."""
    out = []
    delim = "\t" if "\t" in text.splitlines()[0] else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    skip = {i for i, name in enumerate(rows[0]) if name == "oracle"}  # decimal text, 17 digits
    for row in rows[1:]:
        for i, field in enumerate(row):
            if i in skip:
                continue
            try:
                float(field)
            except ValueError:
                continue
            if field.lstrip("-").isdigit():
                continue
            out.append(field)
    return out


def _json_number_tokens(text: str) -> list[str]:
    tokens = []

    def keep(s: str) -> float:
        tokens.append(s)
        return float(s)

    for line in text.splitlines():
        line = line.strip().rstrip(",")
        if line in ("[", "]", "[]", ""):
            continue
        json.loads(line, parse_float=keep)
    return tokens


def _check_shortest(tokens: list[str], dtype: str) -> None:
    assert tokens, "no numbers in the output"
    for t in tokens:
        value = np.array(t, dtype=np.float64).astype(dtype) if dtype != "float64" else float(t)
        ok = format_float(value, dtype) == t or format_float(float(t), "float64") == t
        assert ok or t.lower() in ("nan", "inf", "-inf"), (t, dtype)  # ULPs, κ: float64


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("name", "args", "dtype"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_writes_floats_that_read_back(cli, name, args, dtype, fmt):
    run = cli(*args, "--format", fmt, stdin=STDIN if "-" in args else None)
    assert run.code == 0, run.err
    if name == "methods":  # no floats of a dtype: the records must parse
        if fmt in ("json", "jsonl"):
            records = (
                json.loads(run.out)
                if fmt == "json"
                else list(map(json.loads, run.out.splitlines()))
            )
            assert {r["name"] for r in records} >= {"softmax", "sparsemax"}
        else:
            assert len(run.out.splitlines()) > 5
        return
    if fmt in ("csv", "tsv"):
        tokens = _number_tokens(run.out)
    else:
        tokens = _json_number_tokens(run.out)
        assert all(
            t in ("nan", "inf", "-inf")
            for t in _floats(
                json.loads(run.out if fmt == "json" else "[" + ",".join(run.out.splitlines()) + "]")
            )
            if t is not None
        )
    _check_shortest(tokens, dtype)


def test_no_command_writes_csv_or_json_itself():
    out = subprocess.run(
        ["grep", "-rn", r"json.dump\|csv.writer\|json.dumps", "softmax_cli/cli/"],
        capture_output=True,
        text=True,
        cwd=__import__("pathlib").Path(__file__).resolve().parent.parent,
    )
    assert out.stdout == ""
