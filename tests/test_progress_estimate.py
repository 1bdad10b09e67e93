"""The rows a slow analysis will take are estimated from the rows read, not the file position.

compare and grad --check show the time left from an estimate of the input's rows:
rows read x file size / bytes behind them. The file position runs ahead of the rows
handed out (64 KB read buffers, a chunk of lines), so after the first rows the
estimate was a small fraction of the truth (issue 18). The reader now counts the
text of the lines it handed to the parser.
"""

from __future__ import annotations

import numpy as np
import pytest

from softmax_cli.cli.source import RowLimit, RowProgress
from softmax_cli.io.read import open_vectors


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_the_row_estimate_is_right_after_the_first_rows(tmp_path, kind):
    rows = np.random.default_rng(1).normal(size=(20_000, 10)).tolist()
    path = tmp_path / f"rows.{kind}"
    if kind == "csv":
        path.write_text("".join(",".join(map(repr, r)) + "\n" for r in rows))
    else:
        path.write_text("".join("[" + ", ".join(map(repr, r)) + "]\n" for r in rows))
    with open_vectors(path, chunk_rows=10) as reader:
        limit = RowLimit(reader, None)
        batches = iter(limit)
        next(batches)
        assert limit.read == 10
        used, total = reader.bytes_read()
        estimate = RowProgress("compare", limit, enabled=False, by_rows=True)._rows_total()
    # the position was >= 64 KB here: an estimate of ~600 rows
    assert used <= total
    assert 0.85 * len(rows) <= estimate <= 1.15 * len(rows)
