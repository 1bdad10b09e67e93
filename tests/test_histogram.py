"""``compare --histogram``: every entry's ULP error over a file, binned, with median and p99.

The reference is the per-row report of the same command (``--format json``, whose
``ulp`` lists are the errors of every entry), binned and ranked here by hand.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from softmax_cli.analysis.histogram import EDGES, bin_labels


@pytest.fixture
def logits(tmp_path):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 30, (40, 6))
    x[3, 0] = 95.0  # float32's exp overflows: a nan in the naive form
    path = tmp_path / "logits.csv"
    np.savetxt(path, x, delimiter=",", fmt="%.6g")
    return path


def order_stat(values: list[float], q: float) -> float:
    """The smallest value with at least a fraction q of the values at or below it."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def test_histogram_matches_the_per_row_errors(cli, logits):
    per_row = json.loads(cli("compare", "--input", str(logits), "--dtype", "float32",
                             "--format", "json").out)  # fmt: skip
    r = cli("compare", "--histogram", "--input", str(logits), "--dtype", "float32",
            "--format", "json")  # fmt: skip
    assert r.code == 0, r.err
    got = {rec["implementation"]: rec for rec in json.loads(r.out)}
    assert list(got) == ["naive", "shifted", "accurate"]
    for name, rec in got.items():
        errs = [float(u) for row in per_row for u in row["implementations"][name]["ulp"]]
        errs = [math.inf if math.isnan(e) else e for e in errs]
        assert rec["entries"] == len(errs) == 240
        want = [0] * (len(EDGES) - 1)
        for e in errs:
            if math.isfinite(e):
                want[max(i for i in range(len(EDGES) - 1) if e >= EDGES[i])] += 1
        want.append(sum(not math.isfinite(e) for e in errs))
        assert [rec[label] for label in bin_labels()] == want
        for key, q in (("median", 0.5), ("p99", 0.99)):
            assert float(rec[key]) == order_stat(errs, q)
        assert float(rec["max"]) == max(errs)
    assert got["naive"]["nan/inf"] >= 1 and got["accurate"]["nan/inf"] == 0


def test_histogram_on_a_terminal_shows_bars_and_the_statistics(cli, logits):
    r = cli("compare", "--histogram", "--input", str(logits), "--format", "table")
    assert r.code == 0, r.err
    assert "softmax in float64: ULP errors of 240 entries over 40 rows" in r.out
    for word in ("<0.5", "nan/inf", "median", "99th pct", "max", "█"):
        assert word in r.out
    assert all(len(line) <= 80 for line in r.out.splitlines())


@pytest.mark.parametrize("columns", [30, 45, 60])
def test_histogram_on_a_narrow_terminal_shows_whole_counts(cli, logits, monkeypatch, columns):
    """Fitted by render.fit: bars shrink, then go, then columns hide; a count is never cut."""
    recs = json.loads(cli("compare", "--histogram", "--input", str(logits), "--dtype",
                          "float32", "--format", "json").out)  # fmt: skip
    monkeypatch.setenv("COLUMNS", str(columns))
    r = cli("compare", "--histogram", "--input", str(logits), "--dtype", "float32",
            "--format", "table")  # fmt: skip
    assert r.code == 0, r.err
    assert all(len(line) <= columns for line in r.out.splitlines())
    rows = {line.split()[0]: line.split()[1:] for line in r.out.splitlines() if line.strip()}
    for label in bin_labels():
        counts = [t for t in rows[label] if t != "…" and "█" not in t]
        shown = [str(rec[label]) for rec in recs][: len(counts)]
        assert counts == shown, (label, rows[label])
    assert ("…" in rows["<0.5"]) == (columns < 40)  # too narrow for the three: one hides
