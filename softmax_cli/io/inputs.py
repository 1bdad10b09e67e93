"""The front of the readers: what an input is, by its first bytes, and who reads it.

:func:`open_vectors` looks at the first bytes of a file or of stdin (never at its name):
gzip, bzip2, xz and zstd are undone as the input streams
(:mod:`~softmax_cli.io.read.compressed`); a ``.npy``/``.npz`` goes to
:mod:`~softmax_cli.io.read.binary`, Parquet and Arrow IPC to
:mod:`~softmax_cli.io.read.tables`; text goes to the engine
(:func:`softmax_cli.io.engine.open_vectors`: CSV/TSV/whitespace/JSON, compiled for large
input) exactly as before. A file the tool cannot read (an image, a pickle, a ZIP that is
not a ``.npz``, ...) is an error that says what it looks like. ``fmt`` (one of
:data:`~softmax_cli.io.read.formats.INPUT_FORMATS`) overrides the sniffing.

Examples
--------
>>> import io, numpy as np
>>> buf = io.BytesIO()
>>> np.save(buf, np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
>>> _ = buf.seek(0)
>>> with open_vectors(buf, dtype=None) as reader:
...     reader.layout.dtype, [b.values.tolist() for b in reader]
(dtype('float32'), [[[1.0, 2.0], [3.0, 4.0]]])
>>> try:
...     open_vectors(io.BytesIO(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00"))
... except InputError as err:
...     print(err)  # doctest: +ELLIPSIS
<stream> looks like a PNG image, not logits; give CSV/TSV/JSON text, ...
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

import numpy as np

from ..errors import SoftmaxInputError
from . import engine
from .read.binary import _closing, read_npy, read_npz
from .read.decode import _PrefixedRaw
from .read.errors import InputError
from .read.formats import (
    BINARY_FORMATS,
    COMPRESSIONS,
    INPUT_FORMATS,
    MAGIC_BYTES,
    Magic,
    canonical_format,
    sniff_bytes,
)
from .read.numbers import _float_dtype
from .read.reader import VectorReader
from .read.reader import open_vectors as exact_open

__all__ = ["open_vectors"]

_READS = "give CSV/TSV/JSON text, .npy/.npz, Parquet or Arrow IPC"
_NAMES = {
    "npy": "a .npy file",
    "npz": "a .npz file",
    "parquet": "a Parquet file",
    "arrow": "an Arrow IPC file",
}


def open_vectors(
    source: str | os.PathLike | TextIO | BinaryIO,
    *,
    header: bool | None = None,
    id_column: str | int | None = None,
    fmt: str = "auto",
    chunk_rows: int = 65536,
    dtype: Any = np.float64,
    array: str | None = None,
    field: str | None = None,
    delimiter: str | None = None,
    columns: Any = None,
) -> Any:
    """Open any input the tool reads: text, binary arrays, tables, compressed or not.

    Parameters
    ----------
    source, header, id_column, chunk_rows
        As :func:`softmax_cli.io.read.open_vectors`.
    fmt : str
        One of :data:`~softmax_cli.io.read.formats.INPUT_FORMATS` (or an alias such as
        ``jsonl``, ``feather``); ``auto`` sniffs the first bytes, then the text.
    dtype : dtype or None
        Float dtype of the values; None keeps a binary float array's own dtype (float64
        for text and integers). The reader's ``layout.dtype`` says which it is.
    array : str, optional
        The array of a ``.npz`` to read (one array needs no name).
    field : str, optional
        Parquet/Arrow: the list column holding each row's vector.
    delimiter, columns
        Delimited text only, as :func:`softmax_cli.io.read.open_vectors`; binary input
        given either is refused.

    Returns
    -------
    VectorReader
        Or a reader with the same interface (``layout``, iteration, ``close``).
    """
    kind = canonical_format(fmt)
    if kind is None:
        raise InputError(
            f"unknown input format {fmt!r}; choose one of {', '.join(INPUT_FORMATS)}",
            also=("input_format",),
        )
    dt = _float_dtype(dtype) if dtype is not None else None
    text_fmt = "json" if kind == "jsonl" else kind
    opts = {"header": header, "id_column": id_column, "chunk_rows": chunk_rows}
    text_opts = {"delimiter": delimiter, "columns": columns}

    def text(src: Any, closer: Callable[[], None] = _nothing) -> Any:
        if kind in BINARY_FORMATS:
            raise InputError(f"is not {_NAMES[kind]}: it reads as text", source=_name_of(src))
        _no_binary_options(array, _name_of(src))
        want = dt if dt is not None else np.float64
        if field is not None:  # JSON objects' vector field: the exact reader (JSON is never fast)
            reader = exact_open(src, fmt=text_fmt, dtype=want, field=field, **opts, **text_opts)
        elif isinstance(src, _Inflated):  # decompressed: the engine takes it as a pipe
            reader = engine.open_stream(
                src, src.name, fmt=text_fmt, dtype=want, **opts, **text_opts
            )
        else:
            reader = engine.open_vectors(src, fmt=text_fmt, dtype=want, **opts, **text_opts)
        if closer is _nothing:
            return reader
        return VectorReader(
            reader.layout, _closing(iter(reader), closer), closer, reader.bytes_read
        )

    if not isinstance(source, (str, os.PathLike)):
        if isinstance(source, io.TextIOBase) or isinstance(source.read(0), str):
            return text(source)
        head, stream = _peek(source, _name_of(source))
        return _route(
            head,
            stream,
            _name_of(source),
            kind,
            dt,
            {**opts, **text_opts},
            array,
            field,
            text,
            _nothing,
        )
    path = os.fspath(source)
    if path == "-":
        stdin = sys.stdin
        buffer = getattr(stdin, "buffer", None) if stdin is not None else None
        if buffer is None or _isatty(stdin):
            return text("-")
        head, stream = _peek(buffer, "<stdin>")
        if stream is buffer and sniff_bytes(head) is None and kind not in BINARY_FORMATS:
            return text("-")  # untouched: the engine reads stdin itself
        return _route(
            head, stream, "<stdin>", kind, dt, {**opts, **text_opts}, array, field, text, _nothing
        )
    name = path if isinstance(path, str) else os.fsdecode(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(MAGIC_BYTES)
    except OSError:
        return text(source)  # the exact reader says what is wrong with the path
    magic = sniff_bytes(head)
    if magic is None and kind not in BINARY_FORMATS:
        return text(source)
    fh = open(path, "rb")  # closed by the reader
    try:
        if magic is not None and magic.kind in ("npy", "parquet", "arrow", "zip"):
            _check_forced(kind, magic, name)
            fh.close()
            return _binary(
                magic.kind, source, name, dt, {**opts, **text_opts}, array, field, _nothing
            )
        return _route(head, fh, name, kind, dt, {**opts, **text_opts}, array, field, text, fh.close)
    except BaseException:
        fh.close()
        raise


def _nothing() -> None:
    """Closes nothing (a stream the caller owns)."""


def _route(
    head: bytes,
    stream: Any,
    name: str,
    kind: str,
    dt: np.dtype | None,
    opts: dict,
    array: str | None,
    field: str | None,
    text: Callable[..., Any],
    closer: Callable[[], None],
) -> Any:
    """Read ``stream`` (whose first bytes are ``head``) by what they say it is."""
    magic = sniff_bytes(head)
    inflated = False
    for _ in range(3):  # compressed, maybe twice (a .tar.gz is refused after)
        if magic is None or magic.kind not in COMPRESSIONS:
            break
        from .read.compressed import decompressing

        inflated = True
        stream = decompressing(stream, magic.kind, name)
        head = stream.peek(MAGIC_BYTES)[:MAGIC_BYTES]
        magic = sniff_bytes(head)
    if magic is None:
        if kind in BINARY_FORMATS:
            raise InputError(
                f"is not {_NAMES[kind]}: it starts with {head[:8]!r}; check {{input_format}}",
                source=name,
                also=("input_format",),
            )
        return text((_Inflated if inflated else _Named)(stream, name), closer)
    _check_forced(kind, magic, name)
    if magic.kind == "other":
        hint = magic.hint or _READS
        raise InputError(f"looks like {magic.what}, not logits; {hint}", source=name)
    if magic.kind == "zip":
        stream = io.BytesIO(stream.read())  # a ZIP's directory is at its end: read it all
    return _binary(magic.kind, stream, name, dt, opts, array, field, closer)


def _binary(
    kind: str,
    source: Any,
    name: str,
    dt: np.dtype | None,
    opts: dict,
    array: str | None,
    field: str | None,
    closer: Callable[[], None],
) -> Any:
    chunk_rows = opts["chunk_rows"]
    header = opts["header"]
    for option in ("delimiter", "columns"):
        if opts.get(option) is not None:
            raise SoftmaxInputError(
                f"{{param}} applies to CSV/TSV/whitespace text, and {name} is "
                f"{_NAMES.get(kind, 'binary')}",
                param=option,
            )
    if header:
        raise SoftmaxInputError(
            f"{{param}} does not apply: {name} is {_NAMES.get(kind, 'binary')}, which has no "
            f"header row",
            param="header",
        )
    if kind in ("npy", "zip"):
        if opts["id_column"] is not None:
            raise SoftmaxInputError(
                f"{{param}} does not apply: {name} is a NumPy array, which has no id column",
                param="id_column",
            )
        if field is not None:
            raise SoftmaxInputError(
                f"{{param}} names a column of Parquet or Arrow input, and {name} is a NumPy array",
                param="field",
            )
    if kind == "npy":
        if array is not None:
            raise SoftmaxInputError(
                f"{{param}} chooses one array of a .npz, and {name} is a .npy file (one array)",
                param="array",
            )
        return read_npy(source, name, dtype=dt, chunk_rows=chunk_rows, closer=closer)
    if kind == "zip":
        return read_npz(source, name, array=array, dtype=dt, chunk_rows=chunk_rows, closer=closer)
    if array is not None:
        raise SoftmaxInputError(
            f"{{param}} chooses one array of a .npz, and {name} is {_NAMES[kind]}",
            param="array",
        )
    from .read.tables import read_table

    return read_table(
        kind,
        source,
        name,
        field=field,
        id_column=opts["id_column"],
        dtype=dt,
        chunk_rows=chunk_rows,
        closer=closer,
    )


def _check_forced(kind: str, magic: Magic, name: str) -> None:
    """``fmt`` named a format other than the one the bytes show: say what they show."""
    if kind == "auto" or magic.kind in COMPRESSIONS:
        return
    if kind == magic.kind or (kind == "npz" and magic.kind == "zip"):
        return
    asked = _NAMES.get(kind, f"{kind.upper()} text")
    raise InputError(
        f"looks like {magic.what}, not {asked}; check {{input_format}}",
        source=name,
        also=("input_format",),
    )


def _no_binary_options(array: str | None, name: str) -> None:
    if array is not None:
        raise SoftmaxInputError(
            f"{{param}} chooses one array of a .npz, and {name} is text", param="array"
        )


def _peek(stream: Any, name: str) -> tuple[bytes, Any]:
    """The first bytes of a binary stream and a stream that still starts with them.

    A failing read (EIO, a file gone from a network disk) is the reader's error.
    """
    try:
        if hasattr(stream, "peek"):
            return stream.peek(MAGIC_BYTES)[:MAGIC_BYTES], stream
        if _seekable(stream):
            pos = stream.tell()
            head = stream.read(MAGIC_BYTES)
            stream.seek(pos)
            return head, stream
        read = getattr(stream, "read1", None) or stream.read
        head = read(MAGIC_BYTES)
    except (OSError, ValueError) as err:  # ValueError: a closed stream
        text = getattr(err, "strerror", None) or str(err)
        raise InputError(f"cannot be read ({text})", source=name) from None
    prefixed = io.BufferedReader(_PrefixedRaw(head, stream, ended=not head), 1 << 16)
    return head, prefixed


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _Named(io.BufferedIOBase):
    """A binary stream under a display name (the text reader names its input so)."""

    def __init__(self, stream: Any, name: str) -> None:
        self._stream = stream
        self.name = name

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._stream.read(n)

    def read1(self, n: int = -1) -> bytes:
        return self._stream.read1(n)

    def readinto(self, buffer: Any) -> int:
        return self._stream.readinto(buffer)


class _Inflated(_Named):
    """A decompressed stream: large CSV/TSV in it goes through the compiled engine."""


def _name_of(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path == "-":
            return "<stdin>"
        return path if isinstance(path, str) else os.fsdecode(path)
    raw = getattr(source, "name", None)
    return raw if isinstance(raw, str) else "<stream>"


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
