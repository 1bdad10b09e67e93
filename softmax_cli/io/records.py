"""Records out: the one writer of csv, tsv, json and jsonl, with the same text rules everywhere.

A *record* is a mapping of field names to values; :class:`RecordWriter` writes a
stream of them in one of :data:`FORMATS`. Every command's machine output goes
through it (numeric blocks through its fast subclass
:class:`~softmax_cli.io.writers.RowWriter`), so these rules hold for all of them:

* floats are the shortest text that reads back to the same bits in their own
  dtype (:func:`~softmax_cli.io.floattext.format_floats`): a numpy float array
  or scalar in its dtype, a Python float as float64, a :class:`Num` as already
  formatted. JSON has no literal for non-finite numbers: there they are the
  strings ``"nan"``, ``"inf"`` and ``"-inf"`` (which the readers accept);
* ints as digits, bools ``true``/``false``, None ``null`` in JSON and an empty
  field in CSV/TSV;
* a plain ``str`` (an id, a column name: text from the input) is JSON-escaped to
  ASCII; :class:`Text` (the tool's own prose) is written as UTF-8;
* a delimited field is quoted CSV-style when it holds the delimiter, a tab, a
  quote or a line break, or starts with ``#``, ``[`` or ``{`` (it would read as a
  comment or as JSON);
* a list or array is a JSON list, and one column per element in CSV/TSV;
  a dict is a JSON object (JSON formats only).

Examples
--------
>>> import io, numpy as np
>>> out = io.StringIO()
>>> with RecordWriter(out, "csv", header=["row", "tau", "p_a", "p_b"]) as w:
...     w.write({"row": "a,b", "tau": 0.5, "p": np.array([0.25, np.inf], dtype=np.float32)})
>>> print(out.getvalue(), end="")
row,tau,p_a,p_b
"a,b",0.5,0.25,inf
>>> out = io.StringIO()
>>> with RecordWriter(out, "jsonl") as w:
...     w.write({"row": "r\\u00fc", "ok": True, "p": np.array([0.1, np.nan]), "n": None})
>>> print(out.getvalue(), end="")
{"row": "r\\u00fc", "ok": true, "p": [0.1, "nan"], "n": null}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

import numpy as np

from ..errors import SoftmaxInputError
from ..floats import is_float_dtype
from .floattext import format_float, format_floats

__all__ = [
    "FORMATS",
    "JSON_LAYOUTS",
    "Num",
    "Record",
    "RecordWriter",
    "Text",
    "json_object",
    "json_text",
    "numbers",
    "quote",
]

#: The machine formats every command writes.
FORMATS = ("csv", "tsv", "json", "jsonl")
#: How a JSON array of records is laid out (see :class:`RecordWriter`).
JSON_LAYOUTS = ("lines", "flush", "pretty")

#: A record: field name → value, as a mapping or as (name, value) pairs (names may repeat).
Record = Mapping[str, Any] | Sequence[tuple[str, Any]]

_JSON_SPECIAL = {"nan": '"nan"', "inf": '"inf"', "-inf": '"-inf"'}


class Num(str):
    """Float text already made by :func:`~softmax_cli.io.floattext.format_floats`.

    Written as it is in CSV/TSV, as a number in JSON (``nan``, ``inf``, ``-inf`` as strings).
    """

    __slots__ = ()


class Text(str):
    """The tool's own prose (a formula, a verdict, a summary): JSON keeps its non-ASCII as UTF-8."""

    __slots__ = ()


def numbers(values: Any) -> list[Num]:
    """The float text of every element of ``values`` (C order), in its own dtype.

    Examples
    --------
    >>> numbers(np.array([0.1, -0.0], dtype=np.float32))
    ['0.1', '-0']
    """
    return list(map(Num, format_floats(np.asarray(values))))


# ---------------------------------------------------------------------------- one value


def _float_text(value: Any) -> str:
    if isinstance(value, np.generic):  # numpy's floats, bfloat16, float8
        return format_float(value, value.dtype)
    return repr(float(value))


def _is_float(value: Any) -> bool:
    """A Python or numpy float, or a bfloat16/float8 scalar (not an ``np.floating``)."""
    return isinstance(value, (float, np.floating)) or (
        isinstance(value, np.generic) and is_float_dtype(value.dtype)
    )


def _float_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and is_float_dtype(value.dtype)


def json_text(value: Any, indent: int | None = None, level: int = 0) -> str:
    """One value as JSON text, by the rules above; ``indent`` lays nested values out on lines.

    Examples
    --------
    >>> json_text({"a": [1, 2.5, float("inf")], "b": Text("x − max"), "c": "x − max"})
    '{"a": [1, 2.5, "inf"], "b": "x − max", "c": "x \\\\u2212 max"}'
    >>> print(json_text({"a": [], "b": {"c": None}}, indent=2))
    {
      "a": [],
      "b": {
        "c": null
      }
    }
    """
    if value is None:
        return "null"
    if isinstance(value, Num):
        return _JSON_SPECIAL.get(value, value)
    if isinstance(value, Text):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if _is_float(value):
        text = _float_text(value)
        return _JSON_SPECIAL.get(text, text)
    if isinstance(value, np.ndarray) and (value.dtype.kind in "iu" or _float_array(value)):
        items: list[Any] = numbers(value) if value.ndim <= 1 else list(value)
        return _json_list([json_text(v, indent, level + 1) for v in items], indent, level)
    if isinstance(value, Mapping):
        return json_object(value.items(), indent, level)
    if isinstance(value, (list, tuple, np.ndarray)):
        return _json_list([json_text(v, indent, level + 1) for v in value], indent, level)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def json_object(pairs: Iterable[tuple[str, Any]], indent: int | None = None, level: int = 0) -> str:
    """A JSON object from (key, value) pairs, in their order (a key may come twice).

    Examples
    --------
    >>> json_object([("i", 1), ("x", np.float32(0.1)), ("i", None)])
    '{"i": 1, "x": 0.1, "i": null}'
    """
    parts = [f"{json.dumps(str(k))}: {json_text(v, indent, level + 1)}" for k, v in pairs]
    return _json_join("{", parts, "}", indent, level)


def _json_list(parts: list[str], indent: int | None, level: int) -> str:
    return _json_join("[", parts, "]", indent, level)


def _json_join(open_: str, parts: list[str], close: str, indent: int | None, level: int) -> str:
    if indent is None:
        return open_ + ", ".join(parts) + close
    if not parts:
        return open_ + close
    inner = "\n" + " " * (indent * (level + 1))
    return open_ + inner + ("," + inner).join(parts) + "\n" + " " * (indent * level) + close


def _is_column(value: Any) -> bool:
    """Whether ``value`` holds one value per row (:meth:`RecordWriter.write_columns`)."""
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1)


def quote(text: str, delim: str) -> str:
    """``text`` as a CSV/TSV field: quoted (quotes doubled) where it would not read back as is.

    Examples
    --------
    >>> print(quote("plain", ","), quote("a,b", ","), quote("#x", "\\t"), quote('a"b', ","))
    plain "a,b" "#x" "a""b"
    """
    if (
        delim in text
        or "\t" in text
        or '"' in text
        or "\n" in text
        or "\r" in text
        or text.lstrip()[:1] in ("#", "[", "{")  # would read as a comment or as JSON
    ):
        return '"' + text.replace('"', '""') + '"'
    return text


def delimited_fields(value: Any, delim: str) -> list[str]:
    """The CSV/TSV fields of one value (a list or array gives one field per element)."""
    if value is None:
        return [""]
    if isinstance(value, Num):
        return [value]
    if isinstance(value, str):
        return [quote(value, delim)]
    if isinstance(value, (bool, np.bool_)):
        return ["true" if value else "false"]
    if isinstance(value, (int, np.integer)):
        return [str(int(value))]
    if _is_float(value):
        return [_float_text(value)]
    if _float_array(value):
        return format_floats(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [f for v in value for f in delimited_fields(v, delim)]
    raise TypeError(f"cannot write a {type(value).__name__} as a CSV/TSV field")


# ---------------------------------------------------------------------------- the writer


class RecordWriter:
    """Write records to a text stream as CSV, TSV, JSON (one array) or JSON lines.

    Parameters
    ----------
    stream : TextIO
        Where to write (not closed by the writer).
    fmt : {"csv", "tsv", "json", "jsonl"}
        Output format.
    header : list of str, optional
        CSV/TSV header line (one name per field, lists and arrays counting one per
        element); when not given, the first record's keys. A header given is
        written even when no record comes.
    json_layout : {"lines", "flush", "pretty"}
        JSON only: ``lines`` puts each record on its own line, indented by two
        spaces (``[]`` when empty); ``flush`` the same without the indent
        (``[`` and ``]`` on lines of their own even when empty); ``pretty``
        every nested value on its own line, indented by two spaces per level.
        JSON lines is always one record a line.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with RecordWriter(out, "json") as w:
    ...     w.write({"id": "r1", "x": 0.1})
    ...     w.write({"id": "r2", "x": np.float32(0.1)})
    >>> print(out.getvalue(), end="")
    [
      {"id": "r1", "x": 0.1},
      {"id": "r2", "x": 0.1}
    ]
    """

    def __init__(
        self,
        stream: TextIO,
        fmt: str,
        *,
        header: Sequence[str] | None = None,
        json_layout: str = "lines",
    ) -> None:
        if fmt not in FORMATS:
            raise SoftmaxInputError(
                f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}"
            )
        if json_layout not in JSON_LAYOUTS:
            raise ValueError(f"json_layout must be one of {JSON_LAYOUTS}, not {json_layout!r}")
        self._stream = stream
        self._fmt = fmt
        self._delim = "\t" if fmt == "tsv" else ","
        self._header = list(header) if header is not None else None
        self._layout = json_layout
        self._started = False
        self._closed = False

    @property
    def delimited(self) -> bool:
        """Whether the format is CSV or TSV."""
        return self._fmt in ("csv", "tsv")

    # -- pieces shared with the numeric fast path ----------------------------------

    def _header_line(self) -> str:
        return self._delim.join(quote(n, self._delim) for n in self._header or []) + "\n"

    def _emit_lines(self, text: str) -> None:
        """Write CSV/TSV rows (``text`` without its final newline), the header first."""
        if not self._started and self._header is not None:
            self._stream.write(self._header_line())
        self._started = True
        self._stream.write(text)  # the rows and their last newline apart: no copy of text
        self._stream.write("\n")

    def _emit_json(self, records: list[str]) -> None:
        """Write JSON records (each one's text) in the writer's layout."""
        if not records:
            return
        if self._fmt == "jsonl":
            self._stream.write("\n".join(records) + "\n")
        elif self._layout == "flush":
            lead = ",\n" if self._started else "[\n"
            self._stream.write(lead + ",\n".join(records))
        else:
            lead = ",\n  " if self._started else "[\n  "
            self._stream.write(lead + ",\n  ".join(records))
        self._started = True

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"write to a closed {type(self).__name__}")

    # -- API ---------------------------------------------------------------------

    def write(self, record: Record) -> None:
        """Write one record: a mapping of field name → value, or (name, value) pairs."""
        self.write_all((record,))

    def write_all(self, records: Iterable[Record]) -> None:
        """Write several records."""
        self._check_open()
        pairs = (r.items() if isinstance(r, Mapping) else r for r in records)
        if self.delimited:
            d = self._delim
            rows = []
            for r in pairs:
                r = list(r)
                if self._header is None:
                    self._header = [str(k) for k, _ in r]
                rows.append(d.join(f for _, v in r for f in delimited_fields(v, d)))
            if rows:
                self._emit_lines("\n".join(rows))
            return
        indent = 2 if self._layout == "pretty" and self._fmt == "json" else None
        self._emit_json([json_object(r, indent, 1 if indent else 0) for r in pairs])

    def write_columns(self, columns: Sequence[tuple[str, Any]], rows: int) -> None:
        """Write ``rows`` records given column by column: the same output as :meth:`write_all`.

        Each column is ``(name, value)``: a scalar is one field repeated on every row (a
        row's id), a 1-D array or sequence holds one value per row. The text is made a
        column at a time (floats by :func:`format_floats` in one call), which is what
        makes a sparse distribution of 10⁵ tokens cheap; JSON records then join their
        fields by one template (the ``pretty`` layout: record by record).

        Examples
        --------
        >>> import io
        >>> out = io.StringIO()
        >>> with RecordWriter(out, "csv") as w:
        ...     w.write_columns([("id", "a,b"), ("token", np.array([7, 2])),
        ...                      ("p", np.array([0.75, 0.25]))], 2)
        >>> print(out.getvalue(), end="")
        id,token,p
        "a,b",7,0.75
        "a,b",2,0.25
        """
        self._check_open()
        if not self.delimited and self._layout != "pretty":
            self._json_columns(columns, rows)
            return
        if not self.delimited:
            per_row = [v if _is_column(v) else [v] * rows for _, v in columns]
            names = [k for k, _ in columns]
            records = zip(*per_row, strict=True)
            self.write_all(list(zip(names, vals, strict=True)) for vals in records)
            return
        if rows == 0:
            return
        d = self._delim
        if self._header is None:
            self._header = [str(k) for k, _ in columns]
        texts: list[Any] = []
        for _, v in columns:
            if not _is_column(v):
                texts.append([d.join(delimited_fields(v, d))] * rows)
            elif _float_array(v):
                texts.append(format_floats(v))
            elif isinstance(v, np.ndarray) and v.dtype.kind in "iu":
                texts.append(list(map(str, v.tolist())))
            else:
                texts.append([d.join(delimited_fields(x, d)) for x in v])
        self._emit_lines("\n".join(map(d.join, zip(*texts, strict=True))))

    def _json_columns(self, columns: Sequence[tuple[str, Any]], rows: int) -> None:
        """:meth:`write_columns` for JSON records on one line each: one template per record."""
        if rows == 0:
            return
        fields, texts = [], []
        for k, v in columns:
            key = json.dumps(str(k)).replace("%", "%%") + ": "
            if not _is_column(v):  # the same on every row: part of the template
                fields.append(key + json_text(v).replace("%", "%%"))
                continue
            fields.append(key + "%s")
            if _float_array(v):
                special = _JSON_SPECIAL
                texts.append([special.get(t, t) for t in format_floats(v)])
            elif isinstance(v, np.ndarray) and v.dtype.kind in "iu":
                texts.append(list(map(str, v.tolist())))
            else:
                texts.append([json_text(x) for x in v])
        template = "{" + ", ".join(fields) + "}"
        if texts:
            self._emit_json(list(map(template.__mod__, zip(*texts, strict=True))))
        else:
            self._emit_json([template % ()] * rows)

    def close(self) -> None:
        """Finish the output (closes the JSON array; writes a lone header if no rows came)."""
        if self._closed:
            return
        self._closed = True
        if self._fmt == "json":
            if self._layout == "flush":
                self._stream.write("\n]\n" if self._started else "[\n]\n")
            else:
                self._stream.write("\n]\n" if self._started else "[]\n")
        elif self.delimited and not self._started and self._header is not None:
            self._stream.write(self._header_line())

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:  # an error: leave what was written as it is, add no header or closing bracket
            self._closed = True
