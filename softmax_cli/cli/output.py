"""Where a command's results go: a rich table, or records through the one writer.

:func:`deliver` is the one place that chooses between the two: commands hand it a
function that prints their tables and a function that feeds their records to a
:class:`~softmax_cli.io.records.RecordWriter` (or its numeric
:class:`~softmax_cli.io.writers.RowWriter`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from ..errors import SoftmaxInputError
from ..io.binwrite import ArrayWriter
from ..io.read.formats import OUTPUT_BINARY_FORMATS
from ..io.records import RecordWriter
from ..io.writers import RowWriter


def resolve_format(fmt: str, output: str | None = None) -> str:
    """``auto`` is ``table`` when the output is a terminal (stdout, no ``--output FILE``)
    and ``csv`` otherwise (which :func:`follow_input` refines once the input is open)."""
    if fmt != "auto":
        return fmt
    if output is not None and output != "-":
        return "csv"
    try:
        return "table" if sys.stdout.isatty() else "csv"
    except (AttributeError, ValueError):
        return "csv"


#: ``--format auto`` off a terminal: the input's own format (its layout's delimiter)
_LIKE_INPUT = {"\t": "tsv", "json": "json", "jsonl": "jsonl"}


def follow_input(requested: str, fmt: str, layout: Any) -> str:
    """The format to write: ``fmt`` (from :func:`resolve_format`), except that ``--format
    auto`` off a terminal follows the input: TSV in, TSV out; JSON in, JSON out; JSON lines
    in, JSON lines out; CSV, whitespace-separated text and arguments give CSV.

    Examples
    --------
    >>> from types import SimpleNamespace as Layout
    >>> [follow_input("auto", "csv", Layout(delimiter=d)) for d in ("\\t", "jsonl", " ", ",")]
    ['tsv', 'jsonl', 'csv', 'csv']
    >>> follow_input("csv", "csv", Layout(delimiter="\\t")), follow_input("auto", "table", None)
    ('csv', 'table')
    """
    if requested != "auto" or fmt == "table" or layout is None:
        return fmt
    return _LIKE_INPUT.get(layout.delimiter, "csv")


@contextlib.contextmanager
def open_output(path: str | None, *, binary: bool = False) -> Iterator[Any]:
    """stdout, or the named file, which appears only whole (a text stream; bytes if ``binary``).

    A regular file (or a new one) is written to a temporary file beside it and
    renamed over it once everything is written: an error half way (a bad row, a
    full disk, Ctrl-C) leaves the old file untouched, ``-o`` naming the input
    file reads the input whole before replacing it, and two runs on one ``-o``
    never interleave. Anything else (a symbolic link such as ``/dev/stdout``, a
    device, a FIFO, a file with other hard links) is written in place.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> _ = target.write_text("old\\n")
    >>> try:
    ...     with open_output(str(target)) as fh:
    ...         _ = fh.write("new, half")
    ...         raise ValueError("bad row")
    ... except ValueError:
    ...     pass
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('old\\n', ['out.csv'])
    """
    if path is None or path == "-":
        if binary:
            sys.stdout.flush()
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        else:
            yield sys.stdout
        return
    text = {"encoding": "utf-8", "newline": ""} if not binary else {}
    mode = "wb" if binary else "w"
    try:
        info = os.lstat(path)
    except OSError:
        info = None
    perms = info.st_mode if info is not None else None
    if info is not None and (not stat.S_ISREG(info.st_mode) or info.st_nlink > 1):
        with open(path, mode, **text) as fh:
            yield fh
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        with os.fdopen(fd, mode, **text) as fh:
            os.chmod(temp, stat.S_IMODE(perms) if perms is not None else 0o666 & ~_umask())
            yield fh
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _umask() -> int:
    """The process's file-creation mask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    binary = fmt in OUTPUT_BINARY_FORMATS
    if binary and (output is None or output == "-") and _stdout_is_terminal():
        raise SoftmaxInputError(
            f"{{param}} {fmt} writes binary data, which a terminal cannot show; "
            f"give --output FILE or redirect stdout (> out.{fmt})",
            param="format",
        )
    with open_output(output, binary=binary) as stream, writer(stream, fmt) as w:
        return records(w)


def row_writer(stream: Any, fmt: str, *, overlap: bool = False, **kwargs: Any) -> Any:
    """The writer of numeric rows in ``fmt``: :class:`~softmax_cli.io.writers.RowWriter`
    for text (formatting on threads with ``overlap``), :class:`~softmax_cli.io.binwrite.ArrayWriter`
    for npy, parquet and arrow."""
    if fmt in OUTPUT_BINARY_FORMATS:
        return ArrayWriter(stream, fmt, **kwargs)
    return RowWriter(stream, fmt, overlap=overlap, **kwargs)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
