"""examples/: the sample files and the pipelines script, run as a user would run them."""

from __future__ import annotations

import json

import numpy as np

import softmax_cli as sm

from .conftest import ROOT, run_shell


def sections(output: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    key = None
    for line in output.splitlines():
        if line.startswith("## "):
            key = line[3:]
            out[key] = []
        elif key is not None:
            out[key].append(line)
    return out


def test_pipelines_script_runs_and_each_step_is_right():
    run = run_shell("bash examples/pipelines.sh")
    assert run.code == 0, run.err
    assert run.err == ""
    got = sections(run.out)
    assert len(got) == 5
    csv_rows = got["softmax over every row, the id column passed through"]
    assert csv_rows[0] == "id,cat,dog,bird,fish"
    assert [r.split(",")[0] for r in csv_rows[1:]] == ["img-001", "img-002", "img-003", "img-004"]
    logits = np.loadtxt(
        ROOT / "examples/logits.csv", delimiter=",", skiprows=1, usecols=(1, 2, 3, 4)
    )
    probs = np.array([r.split(",")[1:] for r in csv_rows[1:]], dtype=float)
    np.testing.assert_array_equal(probs, sm.softmax(logits))
    sparse = got["sparsemax from a pipe: exact zeros"]
    assert (np.array([r.split(",")[1:] for r in sparse[1:]], dtype=float) == 0).any()
    jsonl = [json.loads(line) for line in got["log-softmax of a TSV file, as JSON lines"]]
    assert list(jsonl[0]) == ["cat", "dog", "bird"]
    lse = np.array(got["JSON in, one logsumexp per row out"], dtype=float)
    vectors = np.array(json.loads((ROOT / "examples/logits.json").read_text()))
    np.testing.assert_array_equal(lse, sm.logsumexp(vectors))
    # JSON in, JSON out at each step (auto format in a pipe follows the input's)
    chained = np.array(json.loads("\n".join(got[next(k for k in got if k.startswith("two"))])))
    np.testing.assert_array_equal(chained, sm.entmax15(sm.softmax(vectors)))
