"""Where a command's results go: a rich table, or records through the one writer.

:func:`deliver` is the one place that chooses between the two: commands hand it a
function that prints their tables and a function that feeds their records to a
:class:`~softmax_cli.io.records.RecordWriter` (or its numeric
:class:`~softmax_cli.io.writers.RowWriter`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from ..io.records import RecordWriter


def resolve_format(fmt: str, output: str | None = None) -> str:
    """``auto`` is ``table`` when the output is a terminal (stdout, no ``--output FILE``)
    and ``csv`` otherwise."""
    if fmt != "auto":
        return fmt
    if output is not None and output != "-":
        return "csv"
    try:
        return "table" if sys.stdout.isatty() else "csv"
    except (AttributeError, ValueError):
        return "csv"


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """stdout, or the named file (created only once there is something to write)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        yield fh


def deliver(
    fmt: str,
    *,
    table: Callable[[], Any],
    records: Callable[[RecordWriter], Any],
    writer: Callable[[TextIO, str], RecordWriter] = RecordWriter,
    output: str | None = None,
) -> Any:
    """Print tables (``fmt == "table"``) or write records in ``fmt`` to stdout or ``output``.

    ``writer(stream, fmt)`` makes the writer (a :class:`RecordWriter` by default);
    ``records(writer)`` writes to it. Returns what ``table()`` or ``records()`` returns.
    """
    if fmt == "table":
        return table()
    with open_output(output) as stream, writer(stream, fmt) as w:
        return records(w)
