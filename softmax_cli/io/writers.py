"""Numeric rows out fast: CSV, TSV, JSON or JSON lines of float blocks, bit for bit.

:class:`RowWriter` is the :class:`~softmax_cli.io.records.RecordWriter` for
blocks of numbers with an optional id per row (``compute`` and ``grad``): the
same text rules (see :mod:`softmax_cli.io.records`), written a whole block at a
time, through orjson when it is installed. The float text itself is
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
from itertools import chain
from operator import add
from typing import Any, TextIO

import numpy as np

from .floattext import format_float, format_floats
from .records import _JSON_SPECIAL, FORMATS, RecordWriter
from .records import quote as _quote

__all__ = ["FORMATS", "RowWriter", "format_float", "format_floats"]


# -- fast float64 text, when orjson is installed -------------------------------------------
#
# ``repr`` costs ~0.6 µs per float64 (CPython's shortest-digit search), which made writing
# CSV the slowest step of ``softmax compute``. orjson (optional: the ``fast`` extra) writes
# a whole float64 array as shortest round-trip text in compiled code. Its digits are the
# same as ``repr``'s (both are the shortest string that reads back, the closest one on a
# tie); its layout differs only outside 1e-4 <= |x| < 1e16 (``0.00001`` for ``1e-05``,
# ``1e16`` or ``1e+16`` for ``1e+16``) and for non-finite values (``null``). Those entries
# are formatted with ``repr`` and spliced in, so the output is byte for byte what the
# ``repr`` path writes. A probe of awkward values checks the installed orjson once, and
# any disagreement (a future change of its layout) switches the fast path off.

_FAST_MIN = 256  # values per batch below which repr is as quick as the set-up
_PROBE = (  # awkward cases: the 1e-4 edge, the largest positional values, exact ties
    "0.0 -0.0 1.0 -1.0 0.1 0.5 2.5 100.0 0.0001 -0.0001 0.00010000000000000002 0.0001234 "
    "0.001 0.3333333333333333 0.6666666666666666 1234567.0 123456.789 1000000000000000.0 "
    "9999999999999998.0 4503599627370497.0 562949953421312.2 562949953421312.8 "
    "0.059305286740735194 0.24734900345923863 0.0002220446049250313 0.7310585786300049"
).split()
_SCI_PROBE = (  # outside 1e-4 <= |x| < 1e16: orjson's layout differs, _special_texts fixes it
    "1e-05 -2.5e-05 9.999999999999999e-05 1.0000000000000003e-05 9.999999999999999e-06 5e-06 "
    "-3.2e-07 1e-10 1.234e-100 2.2250738585072014e-308 5e-324 1e+16 -1.5e+17 1e+22 "
    "1.7976931348623157e+308 nan inf -inf"
).split()
_fast_json: Any = None  # the orjson module once probed and found exact, False if not usable
_fast_sci = False  # whether orjson's exponent layout, fixed up, is repr's too


def _orjson() -> Any:
    global _fast_json, _fast_sci
    if _fast_json is None:
        _fast_json = False
        try:
            import orjson
        except ImportError:
            return False
        probe = np.array([float(v) for v in _PROBE], dtype=np.float64)
        try:
            text = orjson.dumps(probe, option=orjson.OPT_SERIALIZE_NUMPY)
        except Exception:  # pragma: no cover - an orjson without numpy support
            return False
        if text.decode("ascii") == "[" + ",".join(_PROBE) + "]":
            _fast_json = orjson
            sci = np.array([float(v) for v in _SCI_PROBE], dtype=np.float64)
            _fast_sci = _special_texts(orjson, sci) == [v.encode("ascii") for v in _SCI_PROBE]
    return _fast_json


def _fix_exponents(body: bytes, v: np.ndarray) -> bytes:
    """orjson's text of an array holding ``v`` (finite, ``|v| < 1e-5`` or ``>= 1e16``) as repr's.

    orjson writes ``1.5e-7`` and ``1e16`` (or ``1e+16``) where repr writes ``1.5e-07`` and
    ``1e+16``; the digits are the same. Values end in ``,`` or ``]`` in ``body``.
    """
    mag = np.abs(v)
    tiny = mag[(mag < 1e-5) & (mag >= 1e-11)]  # the exponents -6 ... -10 (and a neighbour)
    if tiny.size:
        e = np.unique(-np.floor(np.log10(tiny)).astype(np.int64))
        for d in sorted(set(e.tolist()) | set((e + 1).tolist()) | set((e - 1).tolist())):
            if 1 <= d <= 9:
                body = body.replace(b"e-%d," % d, b"e-0%d," % d)
                body = body.replace(b"e-%d]" % d, b"e-0%d]" % d)
    if (mag >= 1e16).any():
        for d in range(1, 10):
            body = body.replace(b"e%d" % d, b"e+%d" % d)
    return body


def _mid_texts(oj: Any, v: np.ndarray) -> list[bytes]:
    """repr of ``v`` with ``1e-5 <= |v| < 1e-4``: orjson's ``0.0000123`` becomes ``1.23e-05``."""
    body = oj.dumps(v, option=oj.OPT_SERIALIZE_NUMPY)[1:-1].replace(b"0.0000", b"")
    buf = np.frombuffer(body, dtype=np.uint8)  # tokens like 123 or -4, comma-separated
    starts = np.concatenate(([0], np.flatnonzero(buf == ord(",")) + 1))
    after = starts + (buf[starts] == ord("-")) + 1  # just after the first digit
    ends = np.append(starts[1:] - 1, buf.size)
    body = np.insert(buf, after[after < ends], ord(".")).tobytes()  # 1.23, -4
    return (body.replace(b",", b"e-05,") + b"e-05").split(b",")


def _special_texts(oj: Any, v: np.ndarray) -> list[bytes]:
    """``repr`` of each of ``v`` (as bytes): values outside ``1e-4 <= |x| < 1e16``, non-finite.

    orjson's digits with repr's layout: ``_fix_exponents`` for the exponent forms,
    ``_mid_texts`` for ``1e-5 <= |x| < 1e-4``; ``repr`` itself for nan and ±inf.
    """
    with np.errstate(invalid="ignore"):
        mag = np.abs(v)
        sci = (mag < 1e-5) | ((mag >= 1e16) & (mag != np.inf))
        mid = (mag >= 1e-5) & (mag < 1e-4)
    out = np.empty(v.size, dtype=object)
    if sci.any():
        w = v[sci]
        text = _fix_exponents(oj.dumps(w, option=oj.OPT_SERIALIZE_NUMPY), w)
        out[sci] = np.array(text[1:-1].split(b","), dtype=object)
    if mid.any():
        out[mid] = np.array(_mid_texts(oj, v[mid]), dtype=object)
    rest = ~(sci | mid)  # nan, ±inf
    if rest.any():
        out[rest] = np.array([repr(x).encode("ascii") for x in v[rest].tolist()], dtype=object)
    return out.tolist()


def _fast_rows(a: np.ndarray, delim: str) -> str | None:
    """Rows of a float64 2-D ``a`` as delimited lines (no final newline), or None.

    Exactly the text :func:`format_floats` gives, joined; None when orjson is missing
    or the batch is small. Values outside ``1e-4 <= |x| < 1e16`` are written as ``null``
    by orjson first and then spliced in, formatted by :func:`_special_texts`.
    """
    if a.dtype != np.float64 or a.size < _FAST_MIN or a.shape[1] == 0:
        return None
    oj = _orjson()
    if not oj:
        return None
    with np.errstate(invalid="ignore"):
        mag = np.abs(a)
        odd = ~(((mag >= 1e-4) & (mag < 1e16)) | (a == 0))  # nan and ±inf included
    fill = None
    if odd.any():
        v = a[odd]  # C order, as the text runs
        if _fast_sci and v.size >= 64:
            fill = _special_texts(oj, v)
        else:
            fill = [repr(x).encode("ascii") for x in v.tolist()]
        a = np.where(odd, np.nan, a)
    body = oj.dumps(np.ascontiguousarray(a), option=oj.OPT_SERIALIZE_NUMPY)
    text = body[2:-2].replace(b"],[", b"\n")
    if fill is not None:
        parts = text.split(b"null")
        if len(parts) != len(fill) + 1:  # pragma: no cover - cannot happen
            return None
        text = b"".join(chain.from_iterable(zip(parts, fill, strict=False))) + parts[-1]
    if delim != ",":
        text = text.replace(b",", delim.encode("ascii"))
    return text.decode("ascii")


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
    id_name : str or None
        Name of the id column ("id" when None).
    has_ids : bool
        Whether each row carries an id (written first, untouched; quoted
        CSV-style in CSV/TSV when it holds the delimiter, a tab, a quote, a
        newline, or starts with ``#``, ``[`` or ``{``).
    dtype : dtype
        Values are rounded to this dtype and written to read back exactly in it.

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
        id_name: str | None,
        has_ids: bool,
        dtype: Any,
    ) -> None:
        self._columns = list(columns) if columns is not None else None
        self._id_name = id_name if id_name is not None else "id"
        self._has_ids = bool(has_ids)
        header = None
        if self._columns is not None:
            header = ([self._id_name] if self._has_ids else []) + self._columns
        super().__init__(stream, fmt, header=header)
        self._dt = np.dtype(dtype)
        self._width: int | None = len(self._columns) if self._columns is not None else None
        self._key_parts: list[str] | None = None

    def _keys(self, width: int) -> list[str] | None:
        if self._key_parts is None and (self._has_ids or self._columns is not None):
            names = self._columns if self._columns is not None else [str(i) for i in range(width)]
            keys = ([self._id_name] if self._has_ids else []) + list(names)
            self._key_parts = [json.dumps(k) + ": " for k in keys]
        return self._key_parts

    def write(self, values: np.ndarray, ids: list[str] | None = None) -> None:  # type: ignore[override]
        """Write rows: ``values`` of shape ``(rows, width)`` (a 1-D array is one row).

        ``ids`` (one per row) is required when the writer was made with
        ``has_ids=True`` and ignored otherwise.
        """
        self._check_open()
        a = np.asarray(values)
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2:
            raise ValueError(f"values must be 2-D (rows, width), not of shape {a.shape}")
        if a.dtype != self._dt:
            with np.errstate(over="ignore"):
                a = a.astype(self._dt)
        n, width = a.shape
        if self._width is None:
            self._width = width
        elif width != self._width:
            raise ValueError(f"rows have {width} values, but the writer has {self._width} columns")
        if self._has_ids:
            if ids is None or len(ids) != n:
                raise ValueError(f"has_ids=True needs one id per row ({n} rows)")
            ids = [str(i) for i in ids]
        if n == 0:
            return
        if self.delimited:
            d = self._delim
            fast = _fast_rows(a, d)
            if self._has_ids:
                joined = "".join(ids)
                if any(c in joined for c in (d, "\t", '"', "\n", "\r", "#", "[", "{")):
                    ids = [_quote(i, d) for i in ids]
            if fast is not None:
                if self._has_ids:
                    fast = "\n".join(map(add, [i + d for i in ids], fast.split("\n")))
                text = fast
            else:
                it = iter(format_floats(a))
                if self._has_ids:
                    rows = map(d.join, zip(ids, *[it] * width, strict=False))
                else:
                    rows = map(d.join, zip(*[it] * width, strict=False))
                text = "\n".join(rows)
            self._emit_lines(text)
            return
        strs = format_floats(a)
        if not np.isfinite(a).all():
            strs = [_JSON_SPECIAL.get(s, s) for s in strs]
        it = iter(strs)
        keys = self._keys(width)
        if keys is None:
            lines = ["[" + ", ".join(row) + "]" for row in zip(*[it] * width, strict=False)]
        elif self._has_ids:
            lines = [
                "{" + ", ".join(map(add, keys, (json.dumps(i), *row))) + "}"
                for i, row in zip(ids, zip(*[it] * width, strict=False), strict=False)
            ]
        else:
            rows_ = zip(*[it] * width, strict=False)
            lines = ["{" + ", ".join(map(add, keys, row)) + "}" for row in rows_]
        self._emit_json(lines)

    def __enter__(self) -> RowWriter:
        return self
