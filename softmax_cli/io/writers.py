"""Numeric rows out fast: CSV, TSV, JSON or JSON lines of float blocks, bit for bit.

:class:`RowWriter` is the :class:`~softmax_cli.io.records.RecordWriter` for
blocks of numbers with an optional id per row (``compute`` and ``grad``): the
same text rules (see :mod:`softmax_cli.io.records`), written a whole block at a
time, in compiled code (polars) when it is installed. The float text itself is
:func:`~softmax_cli.io.floattext.format_float` /
:func:`~softmax_cli.io.floattext.format_floats`, re-exported here.

Examples
--------
>>> import io, numpy as np
>>> out = io.StringIO()
>>> with RowWriter(out, "csv", columns=["a", "b"], id_name="name", has_ids=True,
...                dtype=np.float64) as writer:
...     writer.write(np.array([[0.1, 1e-300], [np.inf, -0.0]]), ["x", "y,z"])
>>> print(out.getvalue(), end="")
name,a,b
x,0.1,1e-300
"y,z",inf,-0.0
"""

from __future__ import annotations

import json
from collections import deque
from contextlib import suppress
from operator import add
from typing import Any, TextIO

import numpy as np

from .floattext import (
    COMPILED_MIN,
    compiled,
    compiled_rows,
    f32_engine,
    f32_texts,
    format_float,
    format_floats,
    move_digits,
    pad_exponent,
    polars_pays,
    probed_polars,
)
from .records import _JSON_SPECIAL, FORMATS, RecordWriter
from .records import quote as _quote

__all__ = ["FORMATS", "RowWriter", "format_float", "format_floats"]


# -- fast float64 text: the C formatter, else polars when it is installed -------------------
#
# The compiled formatter (``softmax_cli/_floattext.c``, built at install where a C compiler is
# found; :func:`~softmax_cli.io.floattext.compiled_rows`) writes a whole batch's rows as
# ``repr``'s / ``format_floats``' text in one pass, without polars. What follows is the
# path it falls back to.
#
# ``repr`` costs ~0.6 µs per float64 (CPython's shortest-digit search), which made writing
# CSV the slowest step of ``softmax compute``. polars (optional: the ``fast`` extra) formats
# a whole float64 column as shortest round-trip text in compiled, memory-safe Rust code. Its
# digits are ``repr``'s (both the shortest text that reads back, the closest one on a tie);
# its layout differs only for ``NaN`` and for decimal exponents -5 ... -9 (``0.000015`` and
# ``1.5e-7`` where repr writes ``1.5e-05`` and ``1.5e-07``). Those entries are rewritten
# (compiled string kernels on just them), so the output is byte for byte what the
# ``repr`` path writes. A probe of awkward values checks the installed polars once, and any
# disagreement (a future change of its layout) switches the fast path off.
#
# orjson did this job before and is no longer used: ``orjson.dumps(array,
# OPT_SERIALIZE_NUMPY)`` overflows its heap for some array lengths of 24-25 character floats
# (issue 20; 21,309 copies of -1.2345678901234567e-100 crash orjson 3.13).

_FAST_MIN = 4096  # values per batch below which repr is as quick as polars (once imported)
#: ``overlap=True``: batches formatted at once on threads while the caller computes the next
_OVERLAP = 2
_FAST_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
#: Rows wider than this are written a piece of this many values at a time: the text of a
#: row of 5 million values (~100 MB, and its list of strings ~400 MB) never exists at once.
_WIDE_VALUES = 1 << 16
#: Rows wider than this are written by repr, not polars: over the pieces of a row of
#: 5 million values polars' allocator kept ~60 MB more (a peak of 197 MB, against 134 MB).
_POLARS_WIDTH = 1 << 19
_PROBE = (  # awkward cases: the exponent edges, the largest positional values, exact ties
    "0.0 -0.0 1.0 -1.0 0.1 0.5 2.5 100.0 0.0001 -0.0001 0.00010000000000000002 0.0001234 "
    "0.001 0.3333333333333333 1234567.0 123456.789 1000000000000000.0 9999999999999998.0 "
    "4503599627370497.0 562949953421312.2 0.059305286740735194 0.0002220446049250313 "
    "1e-05 -2.5e-05 9.999999999999999e-05 1.0000000000000003e-05 9.999999999999999e-06 "
    "5e-06 -3.2e-07 1e-09 1.5e-10 1.234e-100 2.2250738585072014e-308 5e-324 1e+16 -1.5e+17 "
    "1e+22 1.7976931348623157e+308 -1.2345678901234567e-100 nan inf -inf"
).split()
_polars: Any = None  # the polars module once probed and found exact, False if not usable


def _fast_engine() -> Any:
    """polars, imported (lazily) and probed once; False when missing or inexact."""
    global _polars
    if _polars is None:
        probe = np.array([float(v) for v in _PROBE], dtype=np.float64)
        want = "\n".join(_PROBE)
        _polars = probed_polars(lambda pl: _polars_texts(pl, probe[:, None], ",") == want)
    return _polars


def _repr_texts(pl: Any, text: Any, v: np.ndarray) -> Any:
    """``text``, polars' text of float64 ``v``, with the entries repr lays out otherwise.

    polars writes ``NaN``, ``0.000015`` (exponent -5) and ``1.5e-7`` (-6 ... -9); repr
    writes ``nan``, ``1.5e-05`` and ``1.5e-07``. Each kind is found with numpy and
    rewritten by the string kernels the float32 text uses (:func:`move_digits`,
    :func:`pad_exponent`) on just its entries, and all go back in one scatter.
    """
    with np.errstate(invalid="ignore"):
        mag = np.abs(v)
        padded = np.flatnonzero((mag >= 1e-9) & (mag < 1e-5))
        five = np.flatnonzero((mag >= 1e-5) & (mag < 1e-4))
        nan = np.flatnonzero(np.isnan(v))
    parts: list[tuple[np.ndarray, Any]] = []
    if padded.size:
        parts.append((padded, pad_exponent(text.gather(padded))))
    if five.size:  # [-]0.0000dddd -> [-]d.ddde-05
        fives = np.full(five.size, 5)
        parts.append((five, move_digits(pl, text.gather(five), v[five] < 0, fives)))
    if nan.size:
        parts.append((nan, pl.Series(["nan"] * nan.size, dtype=pl.String)))
    if parts:
        where = np.concatenate([w for w, _ in parts])
        text = text.scatter(where, pl.concat([t for _, t in parts]))
    return text


def _polars_texts(pl: Any, a: np.ndarray, delim: str) -> str:
    """The rows of float64 2-D ``a`` as repr's text, delimited, without a final newline."""
    n, width = a.shape
    flat = np.ascontiguousarray(a).ravel()
    if flat.dtype == np.float32:
        text = f32_texts(pl, flat)
    else:
        text = _repr_texts(pl, pl.Series(flat).cast(pl.String), flat)
    return text.reshape((n, width)).arr.join(delim).str.join("\n").item()


def _fast_rows(a: np.ndarray, delim: str, ids: list[str] | None = None) -> str | None:
    """Rows of a float64 or float32 2-D ``a`` as delimited lines (no final newline), or None.

    Exactly the text :func:`format_floats` gives, joined (each row after its text of
    ``ids`` and ``delim``, when given): by the compiled formatter
    (``softmax_cli/_floattext.c``) where it is built, else by polars; None when neither
    is there or the batch is small (the ``repr`` path is then as quick).
    """
    text = compiled_rows(a, delim, ids=ids) if _compiled_ready(a) else None
    if text is not None or not _polars_ready(a):
        return text
    pl = _fast_engine() if a.dtype == np.float64 else f32_engine()
    text = _polars_texts(pl, a, delim)
    if ids is not None:
        text = "\n".join(map(add, [i + delim for i in ids], text.split("\n")))
    return text


def _compiled_ready(a: np.ndarray) -> bool:
    """Whether :func:`_fast_rows` formats ``a`` with the compiled formatter."""
    if a.dtype not in _FAST_DTYPES or a.shape[1] == 0 or a.size < COMPILED_MIN:
        return False
    return bool(compiled())


def _fast_rows_ready(a: np.ndarray) -> bool:
    """Whether :func:`_fast_rows` formats ``a`` in compiled code (C, or polars)."""
    return _compiled_ready(a) or _polars_ready(a)


def _polars_ready(a: np.ndarray) -> bool:
    """Whether polars would format ``a`` (imported and probed now)."""
    if a.dtype not in _FAST_DTYPES or a.shape[1] == 0 or not polars_pays(a.size, _FAST_MIN):
        return False
    return bool(_fast_engine() if a.dtype == np.float64 else f32_engine())


def as_rows(values: Any, dt: np.dtype) -> np.ndarray:
    """``values`` as a 2-D (rows, width) array of the writer's dtype (1-D: one row).

    Examples
    --------
    >>> as_rows([1.0, 2.0], np.dtype(np.float32)).shape
    (1, 2)
    """
    a = np.asarray(values)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"values must be 2-D (rows, width), not of shape {a.shape}")
    if a.dtype != dt:
        with np.errstate(over="ignore"):
            a = a.astype(dt)
    return a


class RowWriter(RecordWriter):
    """Write batches of rows to a text stream in one of :data:`FORMATS`.

    Parameters
    ----------
    stream : TextIO
        Where to write (not closed by the writer).
    fmt : {"csv", "tsv", "json", "jsonl"}
        Output format.
    columns : list of str or None
        Names of the value columns. CSV/TSV get a header line only when given.
    id_name : str, list of str, or None
        Name of the id column ("id" when None); a list names several pass-through
        columns, and each row's id is then a tuple of their texts.
    has_ids : bool
        Whether each row carries an id (written first, untouched; quoted
        CSV-style in CSV/TSV when it holds the delimiter, a tab, a quote, a
        newline, or starts with ``#``, ``[`` or ``{``).
    dtype : dtype
        Values are rounded to this dtype and written to read back exactly in it.
    overlap : bool
        CSV/TSV of large float64 batches: format each batch on a thread (the C formatter
        and polars let go of the GIL) while the caller computes the next one; the text is
        written, in order, from the calling thread by a later ``write`` or by ``close``. The arrays
        given to ``write`` must then not change after it returns. The bytes written
        are the same either way.

    Notes
    -----
    JSON output is one array, one row per line; a row is an array of numbers,
    or an object ``{id_name: id, column: value, ...}`` when there are ids or
    column names (columns are named ``"0"``, ``"1"``, ... if ids come without
    names). JSON lines has the same rows, one per line, without the array.

    Examples
    --------
    >>> import io, numpy as np
    >>> out = io.StringIO()
    >>> with RowWriter(out, "json", columns=None, id_name=None, has_ids=True,
    ...                dtype=np.float32) as writer:
    ...     writer.write(np.array([[0.1, np.nan]]), ["r1"])
    >>> print(out.getvalue(), end="")
    [
      {"id": "r1", "0": 0.1, "1": "nan"}
    ]
    """

    def __init__(
        self,
        stream: TextIO,
        fmt: str,
        *,
        columns: list[str] | None,
        id_name: str | list[str] | None,
        has_ids: bool,
        dtype: Any,
        overlap: bool = False,
    ) -> None:
        self._columns = list(columns) if columns is not None else None
        self._several = isinstance(id_name, list)
        self._id_names = list(id_name) if self._several else [id_name or "id"]  # type: ignore[arg-type]
        if id_name == "":
            self._id_names = [""]  # pandas' unnamed index keeps its empty name
        self._has_ids = bool(has_ids)
        header = None
        if self._columns is not None:
            header = (self._id_names if self._has_ids else []) + self._columns
        super().__init__(stream, fmt, header=header)
        self._dt = np.dtype(dtype)
        self._width: int | None = len(self._columns) if self._columns is not None else None
        self._key_parts: list[str] | None = None
        self._overlap = bool(overlap)
        self._pool: Any = None  # the formatting threads, started by the first large batch
        self._pending: deque = deque()  # futures of texts not yet written, oldest first

    def _keys(self, width: int) -> list[str] | None:
        if self._key_parts is None and (self._has_ids or self._columns is not None):
            names = self._columns if self._columns is not None else [str(i) for i in range(width)]
            keys = (self._id_names if self._has_ids else []) + list(names)
            self._key_parts = [json.dumps(k) + ": " for k in keys]
        return self._key_parts

    def write(self, values: np.ndarray, ids: list[str] | None = None) -> None:  # type: ignore[override]
        """Write rows: ``values`` of shape ``(rows, width)`` (a 1-D array is one row).

        ``ids`` (one per row) is required when the writer was made with
        ``has_ids=True`` and ignored otherwise.
        """
        self._check_open()
        a = as_rows(values, self._dt)
        n, width = a.shape
        if self._width is None:
            self._width = width
        elif width != self._width:
            raise ValueError(f"rows have {width} values, but the writer has {self._width} columns")
        if self._has_ids:
            if ids is None or len(ids) != n:
                raise ValueError(f"has_ids=True needs one id per row ({n} rows)")
            ids = [tuple(map(str, i)) for i in ids] if self._several else [str(i) for i in ids]
        if n == 0:
            return
        if self.delimited and width <= _WIDE_VALUES:
            if self._overlap and _fast_rows_ready(a):
                self._submit(a, ids)
                return
            self._drain()
            self._emit_lines(self._delimited_text(a, ids))
            return
        self._drain()
        if width > _WIDE_VALUES and (self.delimited or self._keys(width) is None):
            self._write_wide(a, ids)
            return
        strs = format_floats(a)
        if not np.isfinite(a).all():
            strs = [_JSON_SPECIAL.get(s, s) for s in strs]
        it = iter(strs)
        keys = self._keys(width)
        if keys is None:
            lines = ["[" + ", ".join(row) + "]" for row in zip(*[it] * width, strict=False)]
        elif self._has_ids:
            k = len(self._id_names)
            if self._several:
                texts = [", ".join(map(add, keys[:k], map(json.dumps, i))) for i in ids]
            else:
                texts = [keys[0] + json.dumps(i) for i in ids]
            keys = keys[k:]
            lines = [
                "{" + ", ".join((i, *map(add, keys, row))) + "}"
                for i, row in zip(texts, zip(*[it] * width, strict=False), strict=False)
            ]
        else:
            rows_ = zip(*[it] * width, strict=False)
            lines = ["{" + ", ".join(map(add, keys, row)) + "}" for row in rows_]
        self._emit_json(lines)

    def _delimited_text(self, a: np.ndarray, ids: list | None) -> str:
        """The CSV/TSV lines of ``a`` (and its ids), without the final newline."""
        d = self._delim
        width = a.shape[1]
        if self._has_ids:
            ids = self._quoted_ids(ids, d)  # type: ignore[arg-type]
        fast = _fast_rows(a, d, ids)
        if fast is not None:
            return fast
        it = iter(format_floats(a))
        if self._has_ids:
            rows = map(d.join, zip(ids, *[it] * width, strict=False))  # type: ignore[arg-type]
        else:
            rows = map(d.join, zip(*[it] * width, strict=False))
        return "\n".join(rows)

    def _submit(self, a: np.ndarray, ids: list | None) -> None:
        """Format ``a`` on a thread; write the texts that are more than :data:`_OVERLAP` old."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor  # 4 ms: only for large output

            self._pool = ThreadPoolExecutor(_OVERLAP, thread_name_prefix="softmax-format")
        self._pending.append(self._pool.submit(self._delimited_text, a, ids))
        while len(self._pending) > _OVERLAP:
            self._emit_lines(self._pending.popleft().result())

    def _drain(self) -> None:
        """Write every text still being formatted, in order."""
        while self._pending:
            self._emit_lines(self._pending.popleft().result())

    def _stop(self) -> None:
        """Forget what is not written and let the formatting threads go."""
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """Write what is still being formatted, then finish as :meth:`RecordWriter.close`."""
        try:
            if not self._closed:
                self._drain()
        finally:
            self._stop()
        super().close()

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        """On an error the rows of the batches before it are written, as without overlap;
        on Ctrl-C (:class:`KeyboardInterrupt`) the rows not yet written are dropped whole."""
        if exc_type is None:
            self.close()
            return
        if not issubclass(exc_type, KeyboardInterrupt):
            with suppress(Exception):
                self._drain()
        self._stop()
        super().__exit__(exc_type, *exc)

    def _quoted_ids(self, ids: list, d: str) -> list[str]:
        """Each row's id text as written before its values (several joined by ``d``)."""
        marks = (d, "\t", '"', "\n", "\r", "#", "[", "{")
        if self._several:
            return [
                d.join(_quote(f, d) if any(c in f for c in marks) else f for f in i) for i in ids
            ]
        if any(c in "".join(ids) for c in marks):
            return [_quote(i, d) for i in ids]
        return ids

    def _write_wide(self, a: np.ndarray, ids: list[str] | None) -> None:
        """Rows of many values, each written in pieces of :data:`_WIDE_VALUES` values.

        The same text as the one-piece path; the newline ends each row's last write,
        so an interrupt still leaves only whole rows (see ``cli.app._PipeGuard``).
        """
        width = a.shape[1]
        if self.delimited:
            d, sep, end = self._delim, self._delim, "\n"
            if not self._started and self._header is not None:
                self._stream.write(self._header_line())
        else:
            d, sep, end = ", ", ", ", "]\n" if self._fmt == "jsonl" else "]"
        for r in range(a.shape[0]):
            if self.delimited:
                lead = self._quoted_ids([ids[r]], d)[0] + d if ids is not None else ""
            elif self._fmt == "jsonl":
                lead = "["
            else:
                lead = (
                    ("," if self._started else "[")
                    + ("\n" if self._layout == "flush" else "\n  ")
                    + "["
                )
            self._started = True
            for s in range(0, width, _WIDE_VALUES):
                piece = a[r : r + 1, s : s + _WIDE_VALUES]
                fast = self.delimited and (width <= _POLARS_WIDTH or _compiled_ready(piece))
                text = _fast_rows(piece, d) if fast else None
                if text is None:
                    strs = format_floats(piece)
                    if not self.delimited and not np.isfinite(piece).all():
                        strs = [_JSON_SPECIAL.get(t, t) for t in strs]
                    text = d.join(strs)
                last = s + _WIDE_VALUES >= width
                self._stream.write(lead + text + (end if last else sep))
                lead = ""

    def __enter__(self) -> RowWriter:
        return self
