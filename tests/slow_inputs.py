"""Inputs whose reading (or whose error) once took quadratic time (issues 18 and 21).

Each case is a pair of texts of about the same size: a *reference* the reader
takes on its fast path, and the *odd* one (an error, or an unusual layout of the
same numbers). Reading the odd one must cost about what the reference costs:
``tests/test_linear_time.py`` holds the ratio to a generous bound and
``benchmarks/reliability.py`` prints it.

* ``json error in a row``: the writer's JSON layout (one row per line) with a
  missing comma inside a row: the error was found again for every row before it
  (25 s at 1 MB);
* ``json two rows a line``: a JSON document with two rows on each line (84 s at
  16,000 rows);
* ``json one line, spaced``: a whole document on one line, ``json.dumps`` spacing
  (36 s at 100,000 rows);
* ``json one row, many lines``: one row pretty-printed one value a line (re-decoded
  from its start each time another block of lines came in);
* ``csv stray quote``: a ``"`` that is never closed, then many short lines (20 s at
  160,000 lines: the record was re-parsed once per line).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

Case = tuple[str, str, str]  # reference text, odd text, input format


def _rows(n: int, width: int, seed: int = 18) -> list[list[float]]:
    rng = random.Random(seed)
    return [[round(rng.uniform(-9, 9), 6) for _ in range(width)] for _ in range(n)]


def _writer_layout(rows: list[list[float]]) -> str:
    return "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n"


def json_error_in_row(size: int) -> Case:
    rows = _rows(max(size // 100, 8), 10)
    reference = _writer_layout(rows)
    lines = reference.split("\n")
    k = min(len(lines) - 3, 4000)  # near the end of the first block of lines
    lines[k] = lines[k].replace(", ", " ", 1)
    return reference, "\n".join(lines), "json"


def json_two_rows_a_line(size: int) -> Case:
    rows = _rows(max(size // 36, 8) & ~1, 2)
    reference = _writer_layout(rows)
    pairs = [
        f"{json.dumps(a)}, {json.dumps(b)}" for a, b in zip(rows[::2], rows[1::2], strict=True)
    ]
    return reference, "[\n" + ",\n".join(pairs) + "\n]\n", "json"


def json_one_line(size: int) -> Case:
    rows = _rows(max(size // 24, 8), 2)
    return _writer_layout(rows), json.dumps(rows) + "\n", "json"


def json_one_row_many_lines(size: int) -> Case:
    (row,) = _rows(1, max(size // 12, 8))
    return json.dumps([row]) + "\n", json.dumps([row], indent=1) + "\n", "json"


def csv_stray_quote(size: int) -> Case:
    body = "1,2\n" * max(size // 4, 8)
    return "a,b\n" + body, '"a,b\n' + body, "csv"


CASES: dict[str, Callable[[int], Case]] = {
    "json error in a row": json_error_in_row,
    "json two rows a line": json_two_rows_a_line,
    "json one line, spaced": json_one_line,
    "json one row, many lines": json_one_row_many_lines,
    "csv stray quote": csv_stray_quote,
}
