"""RecordWriter.write_columns: the same bytes as write_all, made a column at a time."""

from __future__ import annotations

import io

import ml_dtypes
import numpy as np
import pytest

from softmax_cli.io.records import RecordWriter

# -- write_columns: the same bytes as write_all, a column at a time ------------------------


def _records_of(columns, rows):
    per_row = [v if isinstance(v, (list, np.ndarray)) else [v] * rows for _, v in columns]
    names = [k for k, _ in columns]
    return [list(zip(names, vals, strict=True)) for vals in zip(*per_row, strict=True)]


# JSON joins a record's fields by a %-template: a % in a key or a value must stay a %
KEYS = ["req-1", "a,b", 'say "hi"', "#comment", "tab\there", "line\nbreak", "[x", 7, None, 2.5]
KEYS += ["50%s", "é − x"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "json flush", "json pretty"])
@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_write_columns_writes_what_write_all_writes(fmt, key):
    fmt, _, layout = fmt.partition(" ")
    rng = np.random.default_rng(4)
    rows = 37
    columns = [
        ("id", key),
        ("token", rng.integers(0, 262_144, rows)),
        ("logit", rng.normal(size=rows).astype(np.float32)),
        ("prob", np.r_[0.0, -0.0, np.nan, np.inf, 5e-324, rng.random(rows - 5)]),
        ("logprob", rng.normal(size=rows).astype(ml_dtypes.bfloat16)),
        ("note %d", [f"{i}%" if i % 2 else i * 0.5 for i in range(rows)]),  # a list column
    ]
    by_columns, by_records = io.StringIO(), io.StringIO()
    layout = {"json_layout": layout} if layout else {}
    with RecordWriter(by_columns, fmt, **layout) as w:
        w.write_columns(columns, rows)
        w.write_columns(columns[:1] + [(k, v[:3]) for k, v in columns[1:]], 3)
        w.write_columns([("only", key), ("scalars", 1)], 2)  # no column varies
    with RecordWriter(by_records, fmt, **layout) as w:
        w.write_all(_records_of(columns, rows))
        w.write_all(_records_of(columns[:1] + [(k, v[:3]) for k, v in columns[1:]], 3))
        w.write_all(_records_of([("only", key), ("scalars", 1)], 2))
    assert by_columns.getvalue() == by_records.getvalue()
    assert by_columns.getvalue().count("\n") >= rows + 3


def test_write_columns_of_no_rows_writes_only_the_header_at_close():
    out = io.StringIO()
    with RecordWriter(out, "csv") as w:
        w.write_columns([("id", "a"), ("p", np.array([]))], 0)
    assert out.getvalue() == ""  # no header came with no record (as write_all of none)
