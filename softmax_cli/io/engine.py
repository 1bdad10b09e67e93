"""The compiled I/O engine: large CSV/TSV input parsed in compiled code, with an exact fallback.

:func:`open_vectors` is :func:`softmax_cli.io.read.open_vectors` (same arguments, same
:class:`~softmax_cli.io.read.VectorReader`, same batches, same errors) with one
difference: a large file or pipe of plain numbers is parsed in blocks of about 1 MiB
by the compiled block parser (``softmax_cli/_csvparse.c``), or by polars where that is
not built, instead of numpy's text parser.

Exact, always
-------------
The layout (delimiter, header, width) is read by the exact reader from the first
lines. Then each block goes to the compiled parser, which returns its values only when
every line is ``width`` fields of the bytes ``0-9 . e E + -`` between delimiters, each
in Python's float grammar and finite in the dtype, rounded once from the text to the
dtype (float32 directly); else None. Without it, polars may take a block holding only
those bytes, the delimiter and ``\\n`` (no blank line, comment, quote, space, ``\\r``,
letter such as ``inf``/``nan``/``NA``/``0x10``, ``_``, unicode minus or byte outside
ASCII), and must read it into exactly one row per line, each of ``width`` values, with
no missing value and no infinity (an overflowing literal such as ``1e400``). Within
those bytes polars' and Python's float grammars are the same (the tests hold every
malformed token of that alphabet to it) and both round correctly, so the values are the
same bits; its float32 is read as float64 and rounded once from the text
(io/read/textround.py), as the exact reader does. Any block that fails goes to the
exact reader (:class:`~softmax_cli.io.read.delimited._DelimitedParser`, line numbers
kept), which owns every error message; a block with a quote hands it the rest of the
input (a quoted field may span lines).

Small inputs (under :data:`MIN_BYTES`), JSON, whitespace-separated text, an id column
(given or found), a column selection (``columns``), a delimiter other than ``,`` or tab,
longdouble/float16, text streams, terminals and ``SOFTMAX_LAB_ENGINE=off`` keep the
exact reader alone, as do rows wider than :data:`MAX_WIDTH` when polars parses.
``SOFTMAX_LAB_ENGINE=polars`` has polars parse even where the compiled parser is built.
polars is imported only when a large input needs it (never with the compiled parser);
the engine is off when neither is there.

Examples
--------
>>> import io
>>> with open_vectors(io.StringIO("a,b\\n1,2\\n")) as reader:  # small: the exact reader
...     [b.values.tolist() for b in reader]
[[[1.0, 2.0]]]
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Iterator
from itertools import chain
from typing import Any, BinaryIO, TextIO

import numpy as np

from .. import _accel
from .read import reader as _exact
from .read.decode import _Lines, _PrefixedRaw
from .read.delimited import _DelimitedParser
from .read.errors import InputError
from .read.numbers import _float_dtype
from .read.records import Batch
from .read.textround import block_tokens, round_once

__all__ = ["MIN_BYTES", "open_vectors"]

MIN_BYTES = 1 << 20  # inputs smaller than this keep the exact reader (and never import polars)
HEAD_BYTES = 1 << 20  # bytes read first: the layout, and whether a pipe is large
BLOCK_BYTES = 1 << 20  # bytes per block handed to polars (2 and 4 MiB: more memory, no faster)
#: Rows wider than this keep the exact reader when polars parses: it makes a column per
#: value, and a frame of 256,000 columns took 80 s and 490 MB for 5 rows (the exact
#: reader: 1 s, 100 MB). The compiled parser has no such limit.
MAX_WIDTH = 4096
_PLAIN = b"0123456789.eE+-"  # with the delimiter and \n: the bytes a fast block may hold
_ENGINE_ENV = "SOFTMAX_LAB_ENGINE"


def _csvparse() -> Any:
    """The compiled block parser (softmax_cli/_csvparse.c), or None when it is not built.

    ``SOFTMAX_LAB_ENGINE=polars`` leaves it out: blocks go to polars, as before it.
    """
    if os.environ.get(_ENGINE_ENV, "").lower() == "polars":
        return None
    return _accel.compiled("_csvparse")


def _polars() -> Any:
    """polars, imported now, or None when it is not installed (the engine is then off)."""
    try:
        import polars
    except ImportError:
        return None
    return polars


def _eligible(fmt: str, id_column: Any, chunk_rows: Any, dtype: Any) -> np.dtype | None:
    """The dtype when these arguments may use the engine, else None (the exact reader)."""
    if os.environ.get(_ENGINE_ENV, "").lower() in ("0", "off", "no", "false"):
        return None
    if fmt not in ("auto", "csv", "tsv") or id_column is not None:
        return None
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)):
        return None
    if chunk_rows < 1:
        return None
    try:
        dt = _float_dtype(dtype)
    except InputError:
        return None
    return dt if dt in (np.dtype(np.float64), np.dtype(np.float32)) else None


def _reading(raw: Any, name: str) -> Any:
    """``raw``'s read1 (or read), raising InputError instead of OSError, as the reader does."""
    read = getattr(raw, "read1", None) or raw.read

    def read_some(n: int) -> bytes:
        try:
            return read(n)
        except OSError as err:  # EIO, ESTALE (a file gone from a network disk)
            raise InputError(f"cannot be read ({err.strerror or err})", source=name) from None

    return read_some


def _read_head(read: Any, want: int) -> tuple[bytes, bool]:
    """Up to ``want`` bytes from the start of the input and whether it ended."""
    parts: list[bytes] = []
    got = 0
    while got < want:
        more = read(want - got)
        if not more:
            return b"".join(parts), True
        parts.append(more)
        got += len(more)
    return b"".join(parts), False


def open_vectors(
    source: str | os.PathLike | TextIO | BinaryIO,
    *,
    header: bool | None = None,
    id_column: str | int | None = None,
    fmt: str = "auto",
    chunk_rows: int = 65536,
    dtype: Any = np.float64,
    delimiter: str | None = None,
    columns: Any = None,
) -> _exact.VectorReader:
    """:func:`softmax_cli.io.read.open_vectors`, through the compiled engine when it pays.

    The arguments, the batches and every error are those of the exact reader; see the
    module notes for when the engine takes part.

    Examples
    --------
    >>> import io
    >>> with open_vectors(io.StringIO("1 2\\n3 4\\n")) as reader:
    ...     reader.layout.width
    2
    """
    kwargs = {"header": header, "id_column": id_column, "fmt": fmt, "chunk_rows": chunk_rows}
    kwargs.update(delimiter=delimiter, columns=columns)
    # a column selection keeps the exact reader (like an id column); -d , or -d tab may not
    dt = _eligible(fmt, id_column if columns is None else columns, chunk_rows, dtype)
    is_stdin = isinstance(source, (str, os.PathLike)) and os.fspath(source) == "-"
    if dt is None or not isinstance(source, (str, os.PathLike)):
        return _exact.open_vectors(source, dtype=dtype, **kwargs)
    if is_stdin:
        stdin = sys.stdin
        raw = getattr(stdin, "buffer", None) if stdin is not None else None
        if raw is None or getattr(stdin, "isatty", lambda: True)():
            return _exact.open_vectors(source, dtype=dtype, **kwargs)
        name, closer = "<stdin>", lambda: None
    else:
        try:
            if os.stat(source).st_size < MIN_BYTES:
                return _exact.open_vectors(source, dtype=dtype, **kwargs)
            raw = open(source, "rb")  # closed by the reader
        except OSError:
            return _exact.open_vectors(source, dtype=dtype, **kwargs)
        path = os.fspath(source)
        name = path if isinstance(path, str) else os.fsdecode(path)
        closer = raw.close
    try:
        read = _reading(raw, name)
        head, ended = _read_head(read, HEAD_BYTES)
        engine = _Engine.start(head, ended, read, name, kwargs, dt)
    except BaseException:
        closer()
        raise
    if engine is None:  # small, or not plain text: the exact reader from the first byte
        if not is_stdin:
            closer()
            return _exact.open_vectors(source, dtype=dtype, **kwargs)
        prefixed = _PrefixedRaw(head, raw)
        prefixed.name = name  # type: ignore[attr-defined]
        reader = _exact.open_vectors(io.BufferedReader(prefixed), dtype=dtype, **kwargs)
        reader._size = reader._size or _exact._sizer(raw)  # stdin from a file: its size
        return reader
    return _exact.VectorReader(
        engine.parser.layout,
        _exact._closing(engine.batches(), closer),
        closer,
        _exact._sizer(raw),  # the progress bar's percentage, for a regular file
    )


class _Engine:
    """The blocks of one input after its layout: polars where exact, the exact reader else."""

    def __init__(self, parser: Any, pending: bytes, read: Any, ended: bool, start: int) -> None:
        self.parser = parser
        self.pending = pending  # bytes read but not yet parsed (whole lines and a tail)
        self.read = read  # the input's read(n) (InputError on a failing read)
        self.ended = ended
        self.start = start  # line number of the first pending line
        self.delim = parser.delim
        self.width = parser.width
        self.plain = _PLAIN + parser.delim.encode("ascii")  # the bytes of a plain line but \n
        self.pl: Any = None  # polars, when the compiled parser is not built
        self.cp: Any = None  # the compiled parser

    @classmethod
    def start(
        cls, head: bytes, ended: bool, read: Any, name: str, kwargs: dict, dt: np.dtype
    ) -> _Engine | None:
        """The engine for an input starting with ``head``, or None to read it all exactly."""
        if ended and len(head) < MIN_BYTES:
            return None  # small: the exact reader alone
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
        elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return None
        if b"\r" in head or b"\x00" in head:
            return None
        cut = head.rfind(b"\n") + 1
        if cut == 0:
            return None
        try:
            text = head[:cut].decode("utf-8")
        except UnicodeDecodeError:
            return None
        lines = [line + "\n" for line in text.split("\n")[:-1]]
        it = iter(lines)
        src = _Lines(it, name)
        try:
            delim = kwargs["delimiter"]
            parser = _exact._make_parser(
                src,
                kwargs["header"],
                None,
                kwargs["fmt"],
                kwargs["chunk_rows"],
                dt,
                delimiter=_exact.normalize_delimiter(delim) if delim is not None else None,
            )
        except InputError:
            return None  # the exact reader will say it again, from the first byte
        rest = list(it)
        if not rest and not src.pushback:
            return None  # the layout needed the whole head: nothing left to speed up
        if not isinstance(parser, _DelimitedParser) or parser.delim not in (",", "\t"):
            return None
        if parser.id_index is not None:  # found by the reader (pandas' index, a label column)
            return None
        cp = _csvparse()
        if cp is None and parser.width > MAX_WIDTH:
            return None
        pl = _polars() if cp is None else None
        if cp is None and pl is None:
            return None
        pending = "".join(src.pushback + rest).encode("utf-8") + head[cut:]
        engine = cls(parser, pending, read, ended, src.next_no)
        engine.cp, engine.pl = cp, pl
        return engine

    # -- blocks ----------------------------------------------------------------------

    def _more(self) -> None:
        """Read until a block's worth of bytes is pending or the input ends."""
        parts = [self.pending]
        size = len(self.pending)
        while size < BLOCK_BYTES and not self.ended:
            more = self.read(BLOCK_BYTES)
            if not more:
                self.ended = True
            parts.append(more)
            size += len(more)
        self.pending = b"".join(parts)

    def _next_block(self) -> bytes | None:
        """The next run of whole lines (the last line of the input completed with ``\\n``)."""
        while True:
            self._more()
            if self.ended:
                block, self.pending = self.pending, b""
                if block and not block.endswith(b"\n"):
                    block += b"\n"
                return block or None
            cut = self.pending.rfind(b"\n") + 1
            if cut:
                block, self.pending = self.pending[:cut], self.pending[cut:]
                return block
            self._grow()

    def _grow(self) -> None:
        """One line longer than a block: read on until it ends (it is one row)."""
        more = self.read(BLOCK_BYTES)
        if not more:
            self.ended = True
        self.pending += more

    def _read_and_parse(self) -> tuple[bytes | None, np.ndarray | None]:
        block = self._next_block()
        return block, (self._fast(block) if block is not None else None)

    def batches(self) -> Iterator[Batch]:
        """The batches; the next block is read and parsed on a thread meanwhile.

        polars and file reads release the GIL, so block k + 1 is parsed while the
        caller computes and writes block k. Only one block is ever in flight, and none
        while a block goes through the exact reader (which reads the input itself).
        """
        from concurrent.futures import ThreadPoolExecutor  # 4 ms: only for a large input

        chunk = int(self.parser.chunk_rows)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="softmax-read") as pool:
            ahead = pool.submit(self._read_and_parse)
            while True:
                block, values = ahead.result()
                if block is None:
                    return
                if values is None:
                    if b'"' in block:  # a quoted field may span blocks: the rest is exact
                        yield from self._exact_rest(block)
                        return
                    yield from self._exact_block(block)
                    ahead = pool.submit(self._read_and_parse)
                    continue
                ahead = pool.submit(self._read_and_parse)
                start, n = self.start, len(values)
                self.start += n
                for r0 in range(0, n, chunk):
                    part = values[r0 : r0 + chunk]
                    lines = np.arange(start + r0, start + r0 + len(part), dtype=np.int64)
                    yield Batch(values=part, ids=None, lines=lines)

    def _fast(self, block: bytes) -> np.ndarray | None:
        """The block's values (compiled parser, else polars), or None: read it exactly."""
        if self.cp is not None:  # the byte checks, the grammar and the rounding in one pass
            return self.cp.parse_block(block, self.delim, self.width, self.parser.dt)
        # the plain bytes but newlines deleted: what is left must be the newlines, one a row
        # (one pass over the block; counting them with numpy after took 10% more)
        newlines = block.translate(None, self.plain)
        if newlines.strip(b"\n") or block.startswith(b"\n"):
            return None
        rows = len(newlines)  # a blank or ragged line: polars gives fewer rows or a null
        pl = self.pl
        schema = {f"c{j}": pl.Float64 for j in range(self.width)}
        try:
            df = pl.read_csv(
                block,
                has_header=False,
                separator=self.delim,
                schema=schema,
                quote_char=None,
                truncate_ragged_lines=False,
                raise_if_empty=True,
            )
        except Exception:  # polars refuses a token: the exact reader names it
            return None
        if df.height != rows or df.width != self.width or any(df.null_count().row(0)):
            return None
        values = np.ascontiguousarray(df.to_numpy())
        if values.dtype != np.float64 or not np.isfinite(values).all():
            return None  # an overflowing literal (1e400): an error of the exact reader
        if self.parser.dt != values.dtype:  # rounded once from the text (read/textround.py)
            values = round_once(values, self.parser.dt, block_tokens(block, self.delim))
            with np.errstate(over="ignore"):
                narrow = values.astype(self.parser.dt)
            if not np.isfinite(narrow).all():
                return None  # 1e39 in float32: the exact reader's overflow error
            values = narrow
        return values

    def _lines_of(self, block: bytes) -> list[str]:
        """The block as the exact reader's text lines (universal newlines, bad bytes kept)."""
        text = block.decode("utf-8", errors="surrogateescape")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return [line + "\n" for line in text.split("\n")[:-1]]

    def _exact_block(self, block: bytes) -> Iterator[Batch]:
        lines = self._lines_of(block)
        step = max(1, min(int(self.parser.chunk_rows), 4096))
        for i in range(0, len(lines), step):
            batch = self.parser._chunk(lines[i : i + step], self.start + i)
            if batch is not None:
                yield batch
        self.start += len(lines)

    def _exact_rest(self, block: bytes) -> Iterator[Batch]:
        """Hand the exact reader this block and everything after it."""
        lines = self._lines_of(block)
        rest = io.TextIOWrapper(
            io.BufferedReader(_PrefixedRaw(self.pending, _Readable(self.read)), 1 << 16),
            encoding="utf-8",
            errors="surrogateescape",
            newline=None,
        )
        src = _Lines(chain(lines, rest), self.parser.name)
        src.next_no = self.start
        self.parser.src = src
        yield from self.parser.batches()


class _Readable:
    """A ``read(n)`` function as the stream :class:`_PrefixedRaw` reads from."""

    def __init__(self, read: Any) -> None:
        self.read = read


def open_stream(
    raw: Any,
    name: str,
    *,
    header: bool | None = None,
    id_column: str | int | None = None,
    fmt: str = "auto",
    chunk_rows: int = 65536,
    dtype: Any = np.float64,
    delimiter: str | None = None,
    columns: Any = None,
) -> _exact.VectorReader:
    """A binary stream the caller owns (a decompressed file, ...) read as stdin is read.

    Large plain CSV/TSV goes through the engine; anything else through the exact reader
    from the first byte. The stream is not closed here.
    """
    kwargs = {"header": header, "id_column": id_column, "fmt": fmt, "chunk_rows": chunk_rows}
    kwargs.update(delimiter=delimiter, columns=columns)
    dt = _eligible(fmt, id_column if columns is None else columns, chunk_rows, dtype)
    read = _reading(raw, name)
    head, ended = (b"", False) if dt is None else _read_head(read, HEAD_BYTES)
    engine = None if dt is None else _Engine.start(head, ended, read, name, kwargs, dt)
    if engine is None:
        prefixed = _PrefixedRaw(head, raw, ended=ended and not head)
        prefixed.name = name  # type: ignore[attr-defined]
        return _exact.open_vectors(io.BufferedReader(prefixed, 1 << 16), dtype=dtype, **kwargs)
    return _exact.VectorReader(
        engine.parser.layout, _exact._closing(engine.batches(), _no_close), _no_close, None
    )


def _no_close() -> None:
    """The caller owns the stream."""
