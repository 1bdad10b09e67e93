"""Where a command's vectors come from (arguments, a file, stdin) and where its rows go.

Commands call :func:`open_source` with what the user typed and get a reader
that yields :class:`~softmax_cli.io.readers.Batch` objects, whatever the route;
:func:`~softmax_cli.cli.output.resolve_format` (re-exported here) turns ``--format auto``
into a concrete format.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..analysis import duration_text
from ..errors import SoftmaxInputError
from ..io.readers import Batch, Layout, open_vectors, parse_arguments
from .input_options import input_options
from .output import resolve_format  # noqa: F401 - re-exported: commands' old import path


class ArgumentsReader:
    """The vector typed on the command line, as a one-batch reader."""

    def __init__(self, tokens: list[str], dtype: np.dtype) -> None:
        values = parse_arguments(tokens, dtype=dtype)
        self.layout = Layout(
            columns=None,
            id_name=None,
            id_index=None,
            delimiter=" ",
            source_name="<arguments>",
            width=int(values.shape[0]),
        )
        self._batch = Batch(values=values[None, :], ids=None, lines=np.array([1], dtype=np.int64))

    def __iter__(self) -> Iterator[Batch]:
        yield self._batch

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> ArgumentsReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def open_source(
    values: list[str] | None,
    input_path: str | None,
    *,
    dtype: np.dtype,
    keep_dtype: bool = False,
    **given: Any,
):
    """A reader over the vectors the user gave, by whichever route they gave them.

    * ``values`` other than ``-``: one vector from the arguments;
    * ``-`` (as the only value) or ``--input -``: stdin; ``--input PATH``: that file;
    * nothing at all: stdin when it is a pipe, else a usage error.

    The reading options (``--header``, ``--id-column``, ``--columns``, ``--delimiter``,
    ``--input-format``, ``--array``, ``--field``) come from
    :func:`~softmax_cli.cli.input_options.input_options`; one ``given`` here by its
    name there (``id_column=...``) replaces what the command was given. ``keep_dtype``:
    a binary float array keeps its own dtype unless ``--dtype`` was given (the reader's
    ``layout.dtype`` says which; see :func:`values_dtype`).
    """
    options = input_options()
    unknown = set(given) - set(options)
    if unknown:
        raise TypeError(f"open_source() got unknown reading options {sorted(unknown)}")
    options.update(given)
    vals = list(values or [])
    if input_path is not None and vals:
        raise SoftmaxInputError(
            "give the logits as arguments or with --input, not both", param="input"
        )
    if vals == ["-"]:
        input_path = "-"
        vals = []
    if vals:
        order = ("fmt", "array", "field", "header", "id_column", "delimiter", "columns")
        taken = [n for n in order if options[n] is not None and (n, options[n]) != ("fmt", "auto")]
        if taken:
            raise SoftmaxInputError(
                "{param} applies to file or stdin input, not to arguments",
                param="input_format" if taken[0] == "fmt" else taken[0],
            )
        return ArgumentsReader(vals, dtype)
    if input_path is None:
        if stdin_is_terminal():
            cmd = _command_path()
            raise SoftmaxInputError(
                f"no logits given: pass them as arguments ({cmd} 1 2 3), "
                f"with --input FILE, or on stdin (... | {cmd} -)",
                param="input",  # a usage error (exit status 2), as a bad option value is
            )
        input_path = "-"
    id_column = options["id_column"]
    if id_column is not None and id_column.isdigit():
        options["id_column"] = int(id_column)
    want = None if keep_dtype and not _option_given("dtype") else dtype
    return open_vectors(input_path, dtype=want, **options)


def values_dtype(reader, dtype: np.dtype) -> np.dtype:
    """The dtype to compute in: the reader's (a binary array's own) when it chose one."""
    chosen = getattr(reader.layout, "dtype", None)
    return np.dtype(chosen) if chosen is not None else dtype


def _option_given(name: str) -> bool:
    """Whether the running command's option ``name`` was given (not its default)."""
    ctx = _context()
    if ctx is None:
        return True
    try:
        source = ctx.get_parameter_source(name)
    except (AttributeError, KeyError):
        return True
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _context():
    try:  # typer >= 0.20 vendors its own click
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import get_current_context

    return get_current_context(silent=True)


def _command_path() -> str:
    """``softmax compare`` etc.: the command being run, for messages."""
    ctx = _context()
    return ctx.command_path if ctx is not None else "softmax compute"


def stderr_is_terminal() -> bool:
    """True when stderr is a terminal: the only place a progress bar is drawn."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def stdout_is_terminal() -> bool:
    """True when stdout is a terminal (where a table goes, and a progress bar must not)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def wants_progress(values: list[str] | None, fmt: str, output: str | None = None) -> bool:
    """A bar when stderr is a terminal, the input is a file or stdin (not arguments), and
    the records do not stream to that terminal too (a table prints once the bar is gone).
    """
    from_args = bool(values) and values != ["-"]
    to_file = output is not None and output != "-"
    streams_here = fmt != "table" and not to_file and stdout_is_terminal()
    return stderr_is_terminal() and not from_args and not streams_here


class RowLimit:
    """A reader's batches, cut after ``max_rows`` rows (None: all); counts the rows read.

    A drop-in for the reader (``layout``, ``bytes_read``, iteration). After
    iterating, :attr:`cut` says whether rows were left unread (one row past the
    limit is peeked at to know); :meth:`note` is the line that says so.

    Examples
    --------
    >>> from softmax_cli.io.readers import open_vectors
    >>> import io
    >>> limit = RowLimit(open_vectors(io.StringIO("1 2\\n3 4\\n5 6\\n")), 2)
    >>> [b.values.tolist() for b in limit], limit.cut, limit.read
    ([[[1.0, 2.0], [3.0, 4.0]]], True, 2)
    """

    def __init__(self, reader, max_rows: int | None) -> None:
        self.reader = reader
        self.layout = reader.layout
        self.max_rows = max_rows
        self.read = 0  # rows handed out so far
        self.cut = False

    def bytes_read(self) -> tuple[int, int] | None:
        return self.reader.bytes_read() if hasattr(self.reader, "bytes_read") else None

    def __iter__(self) -> Iterator[Batch]:
        for batch in self.reader:
            n = batch.values.shape[0]
            if self.max_rows is not None and self.read + n > self.max_rows:
                keep = self.max_rows - self.read
                if keep < n:
                    self.cut = True
                if keep > 0:
                    self.read += keep
                    yield Batch(
                        values=batch.values[:keep],
                        ids=None if batch.ids is None else batch.ids[:keep],
                        lines=batch.lines[:keep],
                    )
                return
            self.read += n
            yield batch

    def note(self, command: str) -> str | None:
        """``note: --max-rows 5: stopped after 5 rows; the input has more`` when cut."""
        if not self.cut:
            return None
        rows = f"{self.max_rows:,} row{'' if self.max_rows == 1 else 's'}"
        return f"note: {command} stopped after {rows} (--max-rows); the input has more"


#: a slow analysis predicted to run longer than this says so before going on (seconds)
ESTIMATE_NOTE_SECONDS = 60.0


class RowProgress:
    """One progress bar on stderr, transient: gone (line erased) when :meth:`stop` is called.

    Determinate (percent and ETA, by bytes read) when the reader knows its input's size
    (a file, or stdin redirected from a file); else a running count of rows. ``advance(n)``
    after each batch of ``n`` rows; ``stop()`` before printing anything else on the
    terminal (a table), so that nothing is glued to the bar. Does nothing when disabled,
    and then rich's progress machinery is not even imported.
    """

    def __init__(self, label: str, reader=None, *, enabled: bool, by_rows: bool = False) -> None:
        self.label = label
        self.reader = reader
        self.enabled = enabled
        self.by_rows = by_rows
        self.rows = 0
        self._progress = None
        self._task = None
        self._started = 0.0
        self._noted = False

    def __enter__(self) -> RowProgress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        size = self.reader.bytes_read() if hasattr(self.reader, "bytes_read") else None
        total = size[1] if size and size[1] > 0 else None
        if self.by_rows and total is not None:
            total = self._rows_total() or 1  # an estimate, refined as batches are read
        columns = [TextColumn(self.label), BarColumn()]
        if total is not None:
            columns += [TaskProgressColumn(), TimeRemainingColumn()]
        else:
            columns += [TimeElapsedColumn()]
        columns.append(TextColumn("{task.fields[rows]:,} rows"))
        self._progress = Progress(
            *columns,
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,  # stdout carries the data; rich must not reroute it
            redirect_stderr=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=total, rows=0)
        self._started = time.perf_counter()
        return self

    def _rows_total(self) -> int | None:
        """Rows the input holds, estimated from the rows and bytes read so far (by_rows)."""
        size = self.reader.bytes_read() if hasattr(self.reader, "bytes_read") else None
        read = getattr(self.reader, "read", 0)
        cap = getattr(self.reader, "max_rows", None)
        if size is None or size[1] <= 0 or read <= 0 or size[0] <= 0:
            return cap
        total = read if size[0] >= size[1] else round(read * size[1] / size[0])
        return min(total, cap) if cap is not None else total

    def advance(self, n: int = 1) -> None:
        """``n`` more rows done."""
        if self._progress is None:
            return
        self.rows += n
        if self.by_rows:
            total = self._rows_total()
            if total is not None:
                total = max(total, self.rows)
                self._progress.update(self._task, completed=self.rows, total=total, rows=self.rows)
                self._estimate(total)
            else:
                self._progress.update(self._task, rows=self.rows)
            return
        size = self.reader.bytes_read() if hasattr(self.reader, "bytes_read") else None
        if size is not None:
            self._progress.update(self._task, completed=size[0], rows=self.rows)
        else:
            self._progress.update(self._task, rows=self.rows)

    def _estimate(self, total: int) -> None:
        """Once, after the first rows: a note above the bar when the whole run looks long."""
        if self._noted or self._progress is None:
            return
        self._noted = True
        per_row = (time.perf_counter() - self._started) / self.rows
        left = per_row * (total - self.rows)
        if left > ESTIMATE_NOTE_SECONDS:
            self._progress.console.print(
                f"note: {self.label} of about {total:,} rows at {per_row:.2g} s a row will take "
                f"about {duration_text(left)}; --max-rows N stops after N rows",
                markup=False,
                highlight=False,
                soft_wrap=True,  # one line: the terminal wraps it, rich does not cut it
            )

    def stop(self) -> None:
        """Erase the bar (idempotent)."""
        progress, self._progress = self._progress, None
        if progress is not None:
            progress.stop()

    def __exit__(self, *exc: object) -> None:
        self.stop()
