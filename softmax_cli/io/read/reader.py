"""Open an input and read it: :func:`open_vectors` and the :class:`VectorReader` it returns.

Resolves the source (a path, ``"-"`` for stdin, a text or binary stream), finds
the first data line, chooses the layout (JSON, or CSV/TSV/whitespace by the
delimiter) and hands the lines to the parser for that layout.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TextIO

import numpy as np

from ...errors import SoftmaxInputError
from .columns import Selection, parse_columns
from .decode import _binary_lines, _Lines, _text_lines
from .delimited import _DelimitedParser
from .errors import InputError
from .jsonrows import _JsonParser
from .numbers import _float_dtype
from .records import Batch, Layout
from .sniff import _first_data_line, _is_data_line, _sniff_delimiter, normalize_delimiter

_FORMATS = ("auto", "csv", "tsv", "ws", "json")
_FORMAT_ALIASES = {"jsonl": "json", "whitespace": "ws", "space": "ws"}


class VectorReader:
    """Iterate over the input as :class:`Batch` objects; :attr:`layout` is known upfront.

    Made by :func:`open_vectors`; a context manager (closing a file it opened).

    Examples
    --------
    >>> import io
    >>> with open_vectors(io.StringIO("1 2\\n3 4\\n5 6\\n"), chunk_rows=2) as reader:
    ...     [len(batch.values) for batch in reader]
    [2, 1]
    """

    layout: Layout

    def __init__(
        self,
        layout: Layout,
        batches: Iterator[Batch],
        closer: Callable[[], None],
        size: Callable[[], tuple[int, int]] | None = None,
    ):
        self.layout = layout
        self._batches = batches
        self._closer = closer
        self._size = size

    def bytes_read(self) -> tuple[int, int] | None:
        """(bytes read so far, the input's size) for a regular file; None for a pipe."""
        if self._size is None:
            return None
        try:
            return self._size()
        except (OSError, ValueError):
            return None

    def __iter__(self) -> Iterator[Batch]:
        return self._batches

    def close(self) -> None:
        """Release the input (closes a file opened by path; never stdin)."""
        closer, self._closer = self._closer, lambda: None
        closer()

    def __enter__(self) -> VectorReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sizer(handle: Any) -> Callable[[], tuple[int, int]] | None:
    """How far into a regular file ``handle`` has read, and its size; None for a pipe."""
    try:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or not handle.seekable():
            return None
    except (AttributeError, OSError, ValueError):
        return None
    total = st.st_size
    return lambda: (handle.tell(), total)


def _resolve_source(source: Any) -> tuple[Iterator[str], str, Callable[[], None], Any]:
    """Lines, display name, closer and (for a regular file) sizer of any kind of source."""
    if isinstance(source, (str, os.PathLike)) and os.fspath(source) == "-":
        stdin = sys.stdin
        if stdin is None:
            raise InputError("cannot be read: there is no standard input", source="<stdin>")
        buffer = getattr(stdin, "buffer", None)
        if buffer is not None:
            return _binary_lines(buffer, "<stdin>"), "<stdin>", lambda: None, _sizer(buffer)
        return _text_lines(stdin), "<stdin>", lambda: None, None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        name = path if isinstance(path, str) else os.fsdecode(path)
        try:
            handle = open(path, "rb")  # closed by the reader
        except FileNotFoundError:
            raise InputError("does not exist; check the path", source=name) from None
        except IsADirectoryError:
            raise InputError("is a directory, not a file", source=name) from None
        except PermissionError:
            raise InputError(
                "cannot be read: permission denied; check its permissions", source=name
            ) from None
        except OSError as err:
            raise InputError(f"cannot be opened ({err.strerror or err})", source=name) from None
        try:
            lines = _binary_lines(handle, name, owned=handle.seekable())
        except BaseException:
            handle.close()
            raise
        return lines, name, handle.close, _sizer(handle)
    raw_name = getattr(source, "name", None)
    name = raw_name if isinstance(raw_name, str) else "<stream>"
    if isinstance(source, io.TextIOBase):
        return _text_lines(source), name, lambda: None, None
    probe = source.read(0)
    if isinstance(probe, str):
        return _text_lines(source), name, lambda: None, None
    return _binary_lines(source, name), name, lambda: None, None


def open_vectors(
    source: str | os.PathLike | TextIO | BinaryIO,
    *,
    header: bool | None = None,
    id_column: str | int | None = None,
    fmt: str = "auto",
    chunk_rows: int = 65536,
    dtype: Any = np.float64,
    field: str | None = None,
    delimiter: str | None = None,
    columns: str | Sequence[str | int] | None = None,
) -> VectorReader:
    """Open text or JSON input holding one vector per row.

    Parameters
    ----------
    source : path, ``"-"`` or stream
        A path, ``"-"`` for stdin (read as bytes and decoded here), or an open
        text or binary stream (not closed by the reader).
    header : bool or None
        Whether the first row names the columns; None detects it (a token
        outside the id column that is not a number means a header).
    id_column : str or int, optional
        A header name, or a position counting from 1 (like ``cut -f``). The
        column's text is passed through untouched as :attr:`Batch.ids`.
    fmt : {"auto", "csv", "tsv", "ws", "json"}
        Input layout; ``auto`` sniffs it from the first line.
    chunk_rows : int
        Rows (lines) read per :class:`Batch`; memory is bounded by this.
    dtype : dtype
        Float dtype of :attr:`Batch.values`.
    field : str, optional
        JSON objects (``{"id": "req-1", "logits": [...]}``, JSON lines or an array of
        them): the key whose array is the row's vector; the id column is then a key.
    delimiter : str, optional
        The field delimiter of delimited text instead of sniffing it: one character
        (``";"``, ``"|"``), ``"tab"``, or ``" "`` for runs of whitespace.
    columns : str or sequence, optional
        The logit columns (see :mod:`~softmax_cli.io.read.columns`): names, positions
        counting from 1, ranges ``2-11``, ``!id`` to leave one out. The other columns are
        passed through (:attr:`Batch.ids`, and :attr:`Batch.passed` when several).

    Returns
    -------
    VectorReader
        Its :attr:`~VectorReader.layout` is filled in already.

    Raises
    ------
    InputError
        Missing or unreadable file, binary input, no vectors, a bad header or id
        column; bad rows raise while iterating.

    Examples
    --------
    >>> import io
    >>> text = "# logits\\nid\\tx\\ty\\nr1\\t1\\t-inf\\n\\nr2\\t1e-3\\t\u22122\\n"
    >>> reader = open_vectors(io.StringIO(text), id_column="id")
    >>> reader.layout  # doctest: +NORMALIZE_WHITESPACE
    Layout(columns=['x', 'y'], id_name='id', id_index=0, delimiter='\\t',
           source_name='<stream>', width=2)
    >>> batch = next(iter(reader))
    >>> batch.ids, batch.values.tolist(), batch.lines.tolist()
    (['r1', 'r2'], [[1.0, -inf], [0.001, -2.0]], [3, 5])
    >>> try:
    ...     list(open_vectors(io.StringIO("1,2\\n3,x\\n")))
    ... except InputError as err:
    ...     print(err.line, err.column, err.token)
    2 2 x
    """
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in _FORMATS:
        raise InputError(f"unknown input format {fmt!r}; choose one of {', '.join(_FORMATS)}")
    dt = _float_dtype(dtype)
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)):
        raise InputError(f"chunk_rows must be a positive integer, not {chunk_rows!r}")
    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be at least 1, not {chunk_rows}")
    if id_column is not None and not isinstance(id_column, (str, int, np.integer)):
        raise InputError(f"id column must be a name or a position, not {id_column!r}")
    if isinstance(id_column, bool):
        raise InputError("id column must be a name or a position counting from 1, not a bool")
    if isinstance(id_column, (int, np.integer)) and id_column < 1:
        raise InputError(
            f"id column {id_column} is out of range: positions count from 1, like cut -f"
        )
    delim = normalize_delimiter(delimiter) if delimiter is not None else None
    selection = parse_columns(columns) if columns is not None else None
    it, name, closer, sizer = _resolve_source(source)
    src = _Lines(it, name)
    try:
        parser = _make_parser(src, header, id_column, fmt, chunk_rows, dt, field, delim, selection)
        layout = parser.layout
    except BaseException:
        closer()
        raise
    size = None if sizer is None else _used(src, sizer)
    return VectorReader(layout, _closing(parser.batches(), closer), closer, size)


def _used(src: _Lines, sizer: Callable[[], tuple[int, int]]) -> Callable[[], tuple[int, int]]:
    """(bytes of the lines handed to the parser, the input's size).

    The file position runs ahead of the rows read by the read buffers (64 KB, and a
    chunk of lines): early in a slow analysis it made the estimated rows far too few.
    Characters stand for bytes (fewer for non-ASCII text: an estimate errs long).
    """

    def size() -> tuple[int, int]:
        position, total = sizer()
        return min(position, src.chars), total

    return size


def _make_parser(
    src: _Lines,
    header: bool | None,
    id_column: str | int | None,
    fmt: str,
    chunk_rows: int,
    dt: np.dtype,
    field: str | None = None,
    delimiter: str | None = None,
    columns: Selection | None = None,
) -> Any:
    """The parser of ``src``'s layout, its :attr:`layout` read (also used by the engine)."""
    name = src.name
    head = src.long_head()
    if head is not None and _is_data_line(head) and '"' not in head:
        first: tuple[str, int] | None = (head, src.next_no)  # the parser reads it in pieces
    else:
        first = _first_data_line(src)
    if first is None:
        raise InputError("holds no vectors: it is empty or only blank/comment lines", source=name)
    line, number = first
    looks_json = line.lstrip()[:1] in ("[", "{") and delimiter is None
    if fmt == "json" or (fmt == "auto" and looks_json):
        if not looks_json:
            raise InputError(
                "is not JSON: expected an array or object; give {format} the right input format",
                also=("format",),
                source=name,
                line=number,
            )
        if delimiter is not None or columns is not None:
            raise InputError(
                "is JSON: {delimiter} and {columns} apply to CSV/TSV/whitespace text",
                source=name,
            )
        return _JsonParser(src, line, number, header, id_column, dt, chunk_rows, field)
    if field is not None:
        raise SoftmaxInputError(
            f"{{param}} names the key of JSON objects that holds the vector, and {name} is "
            f"not JSON",
            param="field",
        )
    if delimiter is not None:
        delim = delimiter
    elif fmt == "auto":
        delim = _sniff_delimiter(line, src)
    else:
        delim = {"csv": ",", "tsv": "\t", "ws": " "}[fmt]
    return _DelimitedParser(
        src, line, number, delim, header, id_column, dt, chunk_rows, columns=columns
    )


def _closing(batches: Iterator[Batch], closer: Callable[[], None]) -> Iterator[Batch]:
    try:
        yield from batches
    finally:
        closer()
