"""Wide JSON rows are read in batches bounded by values, not by a count of rows (issue 21).

JSON lines of 70,000 rows x 100 took 2.46 GB: a chunk was 65,536 lines however
long they were, decoded into Python floats at once. A batch now holds about
65,536 values (one row at least), and lines are taken by their length, as CSV's
are; ``benchmarks/reliability.py`` measures the peak memory in a child process.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from softmax_cli.io.readers import open_vectors

ROWS, COLS = 3000, 100
LIMIT = 1 << 16  # values a batch may hold (plus one row)


def _wide(kind: str) -> tuple[str, np.ndarray]:
    values = np.random.default_rng(21).normal(size=(ROWS, COLS))
    lines = [json.dumps(r) for r in values.tolist()]
    if kind == "jsonl":
        return "".join(line + "\n" for line in lines), values
    return "[\n" + ",\n".join(lines) + "\n]\n", values


@pytest.mark.parametrize("kind", ["jsonl", "json"])
def test_wide_json_batches_are_bounded_by_values(kind):
    text, values = _wide(kind)
    batches = [b.values for b in open_vectors(io.StringIO(text))]
    assert max(b.size for b in batches) <= LIMIT + COLS
    assert np.array_equal(np.concatenate(batches), values)  # every row, in order, bit for bit


def test_one_row_wider_than_a_batch_is_one_batch():
    row = np.arange(3 * LIMIT, dtype=np.float64)
    (batch,) = list(open_vectors(io.StringIO(json.dumps(row.tolist()) + "\n")))
    assert np.array_equal(batch.values[0], row)


#: Runs the command in a grandchild and prints its peak RSS: a process forked from a big
#: one (pytest after importing much) starts with the parent's resident pages in its
#: high-water mark, so the command is forked from this small helper instead.
_HELPER = """
import resource, subprocess, sys
with open(sys.argv[1], "rb") as stdin:
    code = subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, code)
"""


def _peak_mb(args: list[str], stdin_path) -> tuple[int, int]:
    """Peak RSS (MB) and exit status of ``python -m softmax_cli ARGS < stdin_path``."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run(
        [sys.executable, "-c", _HELPER, str(stdin_path), sys.executable, "-m", "softmax_cli",
         *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )  # fmt: skip
    peak, code = map(int, run.stdout.split())
    return peak, code


@pytest.mark.parametrize("delim", [",", " ", "json"])
def test_one_very_wide_row_is_not_held_as_strings(tmp_path, delim):
    # one row of 10^6 values (19 MB of text), read from a file a piece of 1 MB at a time
    # into a float array and written 65,536 values at a time: never its whole text, a list
    # of 10^6 str or float objects, a copy for numpy or the whole output text. Measured:
    # 441 MB, then 150 MB (CSV) and 263 MB (JSON); now 72 MB for each, of which ~40 MB is
    # the interpreter, numpy and rich. 5e6 values: 1.66 GB -> 0.29 GB -> 0.13 GB, as JSON
    # 1.15 GB -> 0.13 GB (benchmarks/reliability.py --wide)
    row = np.random.default_rng(5).normal(size=1_000_000).tolist()
    path = tmp_path / "row.txt"
    text = json.dumps(row) if delim == "json" else delim.join(map(repr, row))
    path.write_text(text + "\n")
    peak, code = _peak_mb(["compute", "-"], path)
    assert code == 0
    assert peak < 120, f"peak RSS {peak} MB"


def test_sweep_statistics_need_no_temporaries_the_size_of_the_sweep():
    # entropy and gini made ~5 arrays the size of p at once: at the sweep's cap (10^7
    # probabilities) 0.43 GB peak; by blocks of rows the sweep takes ~p, and the same bits
    import tracemalloc

    from softmax_cli.analysis.sweep import entropy, gini, sweep

    x = np.random.default_rng(3).normal(size=4000)
    taus = np.geomspace(0.1, 10, 400)
    tracemalloc.start()
    try:
        s = sweep(x, taus)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.6 * s.p.nbytes, f"peak {peak / 1e6:.0f} MB for p of {s.p.nbytes / 1e6:.0f} MB"
    assert np.array_equal(s.entropy, entropy(s.p)) and np.array_equal(s.gini, gini(s.p))
