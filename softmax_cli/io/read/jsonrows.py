"""JSON input, one vector per row: :class:`_JsonParser`.

Accepts one array of numbers (a single vector), an array of arrays or of objects
(one per row; an object's keys are the columns), and JSON lines (one array or
object per line). Rows are converted in chunks; a chunk that is not clean is
walked row by row to name the row, line and element of the problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

from .decode import _Lines
from .errors import InputError, _TokenError
from .jsonstream import _JsonStream
from .jsonvalues import (
    _DECODER,
    _FAST_DECODER,
    _exact_infinities,
    _json_kind,
    _json_text,
    _json_value,
    _Num,
)
from .numbers import _cast_checked
from .records import Batch, _layout_of
from .sniff import _data_indices, _id_is_name, _looks_like_header, _resolve_id
from .textround import midpoints
from .wide import json_row

#: Text per chunk of JSON lines, and values per batch: memory stays flat however wide
#: the rows are (a decoded value costs ~30 bytes as a Python float, ~100 while converted).
_CHUNK_CHARS = 1 << 20
_CHUNK_VALUES = 1 << 16
_FIRST_CHUNK_ROWS = 256
_MISSING = object()


def _names(keys: list[str]) -> str:
    return ", ".join(map(repr, keys[:5])) + (", ..." if len(keys) > 5 else "")


def _exact_others(rows: list[Any], texts: list[str], field: str) -> None:
    """Decode again exactly each object whose keys beside ``field`` hold a float.

    They are passed through as written (``0.10`` stays ``0.10``, ``1e2`` stays ``1e2``);
    the fast decoder keeps only a float's value.
    """
    for k, row in enumerate(rows):
        if type(row) is dict and any(type(v) is float for key, v in row.items() if key != field):
            rows[k] = _DECODER.decode(texts[k])


def _exact_midpoints(rows: list[Any], texts: list[str], dt: np.dtype, field: str | None) -> None:
    """Decode again exactly each row with a float on a midpoint of ``dt`` (float32, ...).

    There the text decides how the value rounds to ``dt`` (io/read/textround.py); the
    fast decoder keeps only the float64 value. Other rows keep their floats: a check of
    the values, not a second decoding of the chunk.
    """
    per = [_row_numbers(r, field) for r in rows]
    flat = list(chain.from_iterable(per))
    try:
        values = np.array(flat, dtype=np.float64)
    except (TypeError, ValueError):  # integers kept as text, a nested array, ...
        values = np.array([v if type(v) is float else 0.0 for v in flat], dtype=np.float64)
    hits = np.flatnonzero(midpoints(values, dt))
    if hits.size:
        ends = np.cumsum([len(v) for v in per])
        for k in set(np.searchsorted(ends, hits, side="right").tolist()):
            rows[k] = _DECODER.decode(texts[k])


def _row_numbers(row: Any, field: str | None) -> list[Any]:
    """The elements of a decoded row that may be its values."""
    if type(row) is list:
        return row
    if type(row) is not dict:
        return []
    if field is None:
        return list(row.values())
    vector = row.get(field)
    return vector if type(vector) is list else []


def _size(item: tuple[Any, int, int]) -> int:
    """How many values a decoded row holds (1 for a stray scalar)."""
    return len(item[0]) if isinstance(item[0], (list, dict)) else 1


class _JsonParser:
    """JSON documents (streamed element by element) and JSON lines."""

    def __init__(
        self,
        src: _Lines,
        first_line: str,
        first_no: int,
        header: bool | None,
        id_column: str | int | None,
        dt: np.dtype,
        chunk_rows: int,
        field: str | None = None,
    ) -> None:
        self.src = src
        self.field = field
        self.name = src.name
        self.dt = dt
        self.chunk_rows = chunk_rows
        self.row_no = 0
        # exact decoding keeps every number's text: longdouble values, and ids as written
        # (1.10 stays 1.10, 1e2 stays 1e2; the fast decoder would make them 1.1 and 100.0)
        self.exact = dt.itemsize > 8 or id_column is not None
        self.first_batch: Batch | None = None  # a long one-line first row, read in pieces
        if src.long is not None:  # first_line is the head of a long line, the rest unread
            if self._stream_first(first_line, first_no, header, field):
                return
            first_line = src.take_one_checked() or ""
        try:
            alone = _DECODER.decode(first_line)
        except ValueError:
            alone = None
        lines_mode = isinstance(alone, dict) or (
            isinstance(alone, list)
            and len(alone) > 0
            and not any(isinstance(e, (list, dict)) for e in alone)
        )
        self.lines_mode = lines_mode  # JSON lines, shown in the layout (auto output follows it)
        if lines_mode:
            self.rows: Iterator[tuple[Any, int]] = self._line_rows(alone, first_no)
        else:  # exact: a field's other keys are carried as written, and float32 and
            # narrower are rounded once from the text (io/read/textround.py)
            exact = self.exact or field is not None or dt.itemsize < 8
            self.rows = _JsonStream(src, first_line, first_no, exact).rows()
        self.carried: list[str] = []  # with a field: the other keys, passed through
        if field is not None:  # {"id": ..., field: [...]}: rows of [id, *others, *vector]
            id_key, header = self._field_id(id_column), False
            self.rows = self._field_rows(self.rows, field, id_key)
        first = next(self.rows, None)
        if first is None:
            raise InputError(
                "holds no vectors: the JSON array is empty", source=self.name, line=first_no
            )
        if field is not None:
            id_column = 1 if self.carried else None
        value, number = first
        self.single = not isinstance(value, (list, dict))
        if self.single:  # one vector: the elements of the top-level array
            if id_column is not None:
                raise InputError(
                    "holds a single JSON vector, which has no id column; drop the id column "
                    "or give one array or object per row",
                    source=self.name,
                    line=number,
                )
            self._single_first = (value, number)
            self._init_layout(None, 0, None, None, is_object=False)
            self.width = -1  # known after reading the whole vector
            self._vector = self._read_single()
            self.width = self.layout.width = self._vector.size
            return
        self.row_no = 1
        self.is_object = isinstance(value, dict)
        if self.is_object:
            keys = list(value.keys())
            if not keys:
                raise self._row_error("an empty object has no values", number, None)
            self.keys = keys
            self.keyset = set(keys)
            id_index = _resolve_id(id_column, keys, len(keys), self.name, number)
            self._init_layout(keys, len(keys), id_index, True, is_object=True)
            self._pending = [(value, number, 1)]
            return
        ncol = len(value)
        if ncol == 0:
            raise self._row_error("an empty array has no values", number, None)
        pre_idx = None
        if isinstance(id_column, (int, np.integer)) and 1 <= id_column <= ncol:
            pre_idx = int(id_column) - 1
        forced_name = _id_is_name(id_column)
        if header is None:
            header = forced_name or _looks_like_header(
                [
                    e if isinstance(e, str) and not isinstance(e, _Num) else "0"
                    for i, e in enumerate(value)
                    if i != pre_idx
                ]
            )
        names = [_json_text(e).strip() for e in value] if header else None
        id_index = _resolve_id(id_column, names, ncol, self.name, number)
        self._init_layout(names, ncol, id_index, bool(header), is_object=False)
        if self.carried:
            self._carry_layout()
        if header:
            nxt = next(self.rows, None)
            if nxt is None:
                raise InputError(
                    f"holds no vectors: only a header row on line {number}", source=self.name
                )
            self.row_no = 2
            self._pending = [(nxt[0], nxt[1], 2)]
        else:
            self._pending = [(value, number, 1)]

    def _stream_first(
        self, head: str, first_no: int, header: bool | None, field: str | None
    ) -> bool:
        """Read a long first line ``[1.5, -2, ...]`` in pieces; False: read it whole.

        Taken for one array of numbers (no header, id or field): its values go straight
        into a float array, never a list of millions of Python objects.
        """
        body = head.lstrip()
        after = body[1:].lstrip()[:1]
        if self.exact or header or field is not None or body[:1] != "[":
            return False
        if not after or after not in "-0123456789NI":
            return False
        src = self.src
        values, last = json_row(src.take_long(), self.dt, first_no, self.name, src.take_one_checked)
        self.lines_mode = last == first_no  # else a document holding one vector
        self.single = self.is_object = False
        self.row_no = 1
        self._init_layout(None, values.shape[0], None, False, is_object=False)
        self.first_batch = Batch(values[None, :], None, np.array([first_no], dtype=np.int64))
        self._pending = []
        self.rows = self._line_rows(_MISSING, first_no) if self.lines_mode else self._nothing_more()
        return True

    def _nothing_more(self) -> Iterator[tuple[Any, int]]:
        """After a document: only whitespace may follow."""
        while (line := self.src.take_one_checked()) is not None:
            if line.strip(" \t\r\n"):
                raise InputError(
                    "extra text after the JSON document; give one document "
                    "(or one array/object per line)",
                    source=self.name,
                    line=self.src.next_no - 1,
                )
        yield from ()

    def _init_layout(self, names, ncol, id_index, header, *, is_object):
        self.ncol = ncol
        self.id_index = id_index
        self.width = ncol - (id_index is not None)
        if not self.single and self.width < 1:
            raise InputError(
                "holds no value columns: the only column is the id column", source=self.name
            )
        self.value_index: range | list[int] = (  # a range: no list of 5 million ints
            range(ncol) if id_index is None else [i for i in range(ncol) if i != id_index]
        )
        kind = "jsonl" if self.lines_mode else "json"
        self.layout = _layout_of(names, id_index, self.width, kind, self.name)
        self.npass = int(id_index is not None)  # leading pass-through columns (a field's keys)

    def _carry_layout(self) -> None:
        """With a field: the objects' other keys lead each row, passed through to the output."""
        k = self.npass = len(self.carried)
        self.layout.id_name = " ".join(self.carried)
        if k > 1:  # several: their names, and a label joining them
            self.value_index = list(range(k, self.ncol))
            self.width = self.layout.width = self.ncol - k
            self.layout.positions = tuple(self.value_index)
            self.layout.passed = list(self.carried)

    # -- rows --------------------------------------------------------------------------

    def _field_id(self, id_column: str | int | None) -> str | None:
        """With a vector field, the id column is a key of the objects (or none)."""
        if id_column is None:
            return None
        if not isinstance(id_column, str) or id_column.strip().isdigit():
            raise InputError(
                "with {field}, the id column is a key of the JSON objects (a name), "
                f"not a position ({id_column})",
                source=self.name,
                also=("field",),
            )
        return id_column

    def _field_rows(
        self, rows: Iterator[tuple[Any, int]], field: str, id_key: str | None
    ) -> Iterator[tuple[Any, int]]:
        """Each object's other keys' values (the id key first), then its ``field`` array.

        The other keys are those of the first object; every object needs the same ones,
        each holding a string, number, true, false or null (passed through as text).
        """
        carried = self.carried
        for row_no, (value, number) in enumerate(rows, 1):
            if not isinstance(value, dict):
                raise self._row_error(
                    f"expected a JSON object holding the key {field!r}, found {_json_kind(value)}",
                    number,
                    row_no,
                )
            vector = value.get(field, _MISSING)
            if vector is _MISSING:
                keys = ", ".join(map(repr, list(value)[:10]))
                raise self._row_error(f"has no key {field!r} (its keys: {keys})", number, row_no)
            if not isinstance(vector, list):
                raise self._row_error(
                    f"key {field!r} holds {_json_kind(vector)}, not an array of numbers",
                    number,
                    row_no,
                )
            if id_key is not None and id_key not in value:
                raise self._row_error(f"has no id key {id_key!r}", number, row_no)
            if row_no == 1:
                carried.extend(k for k in value if k not in (field, id_key))
                if id_key is not None:
                    carried.insert(0, id_key)
            elif len(value) != len(carried) + 1 or not all(k in value for k in carried):
                raise self._row_error(self._other_keys(value, field), number, row_no)
            others = [value[k] for k in carried]
            for k, v in zip(carried, others, strict=True):
                if isinstance(v, (list, dict)):
                    raise self._row_error(
                        f"key {k!r} holds {_json_kind(v)}; the keys beside {field!r} are "
                        f"passed through to the output, and only a string, number, true, "
                        f"false or null can be (drop it first, e.g. jq -c 'del(.{k})')",
                        number,
                        row_no,
                    )
            yield [*others, *vector], number

    def _other_keys(self, value: dict, field: str) -> str:
        """Why an object's keys beside ``field`` are not row 1's."""
        missing = [k for k in self.carried if k not in value]
        extra = [k for k in value if k != field and k not in self.carried]
        what = []
        if missing:
            what.append(f"lacks key{'s' if len(missing) > 1 else ''} {_names(missing)}")
        if extra:
            what.append(f"has key{'s' if len(extra) > 1 else ''} {_names(extra)} row 1 lacks")
        return (
            f"{' and '.join(what)}; the keys beside {field!r} are passed through to the "
            f"output, so every object needs those of row 1"
        )

    def _line_rows(self, first: Any, first_no: int) -> Iterator[tuple[Any, int]]:
        """JSON lines: one array or object per line (``first`` read already)."""
        if first is not _MISSING:
            yield first, first_no
        n = min(self.chunk_rows, _FIRST_CHUNK_ROWS)
        while True:
            lines, start, text = self.src.take_checked(n)
            if not lines:
                return
            # lines by bytes, not by count: the first chunk measures how long they are
            n = max(1, min(self.chunk_rows, _CHUNK_CHARS * len(lines) // max(len(text), 1)))
            keep = _data_indices(lines)
            if not keep:
                continue
            decoder = _DECODER if self.exact else _FAST_DECODER
            texts = [lines[i] for i in keep]
            try:
                rows = decoder.decode("[" + ",".join(texts) + "]")
            except ValueError:
                rows = None
            if rows is not None and len(rows) != len(texts):
                rows = None  # a line holds two rows ("[1,2],[3,4]"): say which, line by line
            if rows is not None and not self.exact:
                _exact_infinities(rows, texts)  # Infinity literal or overflow: keep the text
                if self.field is not None:
                    _exact_others(rows, texts, self.field)
                if self.dt.itemsize < 8:
                    _exact_midpoints(rows, texts, self.dt, self.field)
            if rows is None or not all(isinstance(r, (list, dict)) for r in rows):
                rows = []
                for i in keep:
                    try:
                        row = _DECODER.decode(lines[i])
                    except json.JSONDecodeError as err:
                        raise InputError(
                            f"invalid JSON line: {err.msg} (character {err.colno}); each line "
                            f"must hold one JSON array or object",
                            source=self.name,
                            line=start + i,
                        ) from None
                    if not isinstance(row, (list, dict)):
                        raise InputError(
                            f"expected a JSON array or object on this line, found "
                            f"{_json_kind(row)}",
                            source=self.name,
                            line=start + i,
                        )
                    rows.append(row)
            yield from zip(rows, [start + i for i in keep], strict=True)

    def _row_error(self, reason: str, line: int, row: int | None, where: str = "") -> InputError:
        label = f"row {row}" if row is not None else ""
        if where:
            label = f"{label}, {where}" if label else where
        return InputError(f"{label}: {reason}" if label else reason, source=self.name, line=line)

    def _read_single(self) -> np.ndarray:
        items = [self._single_first]
        items.extend(self.rows)
        values = []
        for k, (value, number) in enumerate(items, 1):
            if isinstance(value, (list, dict)):
                raise self._row_error(
                    "the array mixes numbers with arrays or objects; give either one vector "
                    "or one array per row",
                    number,
                    None,
                    f"value {k}",
                )
            try:
                values.append(_json_value(value, self.dt))
            except _TokenError as err:
                raise self._row_error(err.reason, number, None, f"value {k}") from None
        return np.array(values, dtype=self.dt)

    def batches(self) -> Iterator[Batch]:
        if self.single:
            yield Batch(
                values=self._vector[None, :],
                ids=None,
                lines=np.array([self._single_first[1]], dtype=np.int64),
            )
            return
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            yield batch
        pending = self._pending
        self._pending = []
        row_no = pending[-1][2] if pending else self.row_no
        chunk: list[tuple[Any, int, int]] = list(pending)
        values = sum(map(_size, chunk))  # a batch holds about _CHUNK_VALUES (one row at least)
        for value, number in self.rows:
            row_no += 1
            chunk.append((value, number, row_no))
            values += _size(chunk[-1])
            if len(chunk) >= self.chunk_rows or values >= _CHUNK_VALUES:
                yield self._convert(chunk)
                chunk = []
                values = 0
        if chunk:
            yield self._convert(chunk)

    def _convert(self, chunk: list[tuple[Any, int, int]]) -> Batch:
        rows = [c[0] for c in chunk]
        numbers = np.array([c[1] for c in chunk], dtype=np.int64)
        ok = True
        if self.is_object:
            ok = all(type(r) is dict and r.keys() == self.keyset for r in rows)
            if ok:
                if self.ncol == 1:
                    full = [[r[self.keys[0]]] for r in rows]
                else:
                    get = itemgetter(*self.keys)
                    full = [get(r) for r in rows]
        else:
            ok = all(type(r) is list and len(r) == self.ncol for r in rows)
            full = rows
        ids = passed = None
        if ok:
            if self.npass > 1:  # a field's other keys lead the row
                k = self.npass
                passed = [tuple(map(_json_text, r[:k])) for r in full]
                ids = list(map(" ".join, passed))
                flat = [v for r in full for v in r[k:]]
            elif self.id_index is not None:
                k = self.id_index
                ids = [_json_text(r[k]) for r in full]
                flat = [v for r in full for i, v in enumerate(r) if i != k]
            else:
                flat = [v for r in full for v in r]
            if set(map(type, flat)) <= {float, _Num} and self.dt.itemsize <= 8:
                values = np.array(list(map(float, flat)), dtype=np.float64)
                values = values.reshape(len(rows), self.width)
                if np.isinf(values).any():
                    ok = False  # Infinity literal or an overflow: decide exactly below
                else:
                    width = self.width
                    values, bad = _cast_checked(values, self.dt, lambda r, c: flat[r * width + c])
                    ok = bad is None
                if ok:
                    return Batch(values=values, ids=ids, lines=numbers, passed=passed)
        return self._convert_slow(chunk)

    def _convert_slow(self, chunk: list[tuple[Any, int, int]]) -> Batch:
        out: list[list[Any]] = []
        ids: list[str] = []
        passed: list[tuple[str, ...]] = []
        for row, number, row_no in chunk:
            if self.is_object:
                if not isinstance(row, dict):
                    raise self._row_error(
                        f"expected an object like row 1, found {_json_kind(row)}", number, row_no
                    )
                if row.keys() != self.keyset:
                    missing = [k for k in self.keys if k not in row]
                    extra = [k for k in row if k not in self.keyset]
                    what = []
                    if missing:
                        what.append(
                            f"lacks key{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(map(repr, missing[:5]))}"
                        )
                    if extra:
                        what.append(
                            f"has extra key{'s' if len(extra) > 1 else ''} "
                            f"{', '.join(map(repr, extra[:5]))}"
                        )
                    raise self._row_error(
                        f"{' and '.join(what)}; every object needs the keys of row 1",
                        number,
                        row_no,
                    )
                items = [row[k] for k in self.keys]
            else:
                if not isinstance(row, list):
                    raise self._row_error(
                        f"expected an array like row 1, found {_json_kind(row)}", number, row_no
                    )
                if len(row) != self.ncol and self.field is not None:
                    raise self._row_error(
                        f"key {self.field!r} holds {len(row) - (self.ncol - self.width)} "
                        f"values, and row 1's holds {self.width}; every vector needs the same "
                        f"length",
                        number,
                        row_no,
                    )
                if len(row) != self.ncol:
                    raise self._row_error(
                        f"expected {self.ncol} values (as in row 1), found {len(row)}; every "
                        f"row needs the same number of values",
                        number,
                        row_no,
                    )
                items = row
            values = []
            for i in self.value_index:
                try:
                    values.append(_json_value(items[i], self.dt))
                except _TokenError as err:
                    where = f"key {self.keys[i]!r}" if self.is_object else f"value {i + 1}"
                    if self.field is not None:  # the position in the field's array
                        where = f"key {self.field!r}, value {self.value_index.index(i) + 1}"
                    raise self._row_error(err.reason, number, row_no, where) from None
            out.append(values)
            if self.npass > 1:
                passed.append(tuple(map(_json_text, items[: self.npass])))
                ids.append(" ".join(passed[-1]))
            elif self.id_index is not None:
                ids.append(_json_text(items[self.id_index]))
        return Batch(
            values=np.array(out, dtype=self.dt).reshape(len(out), self.width),
            ids=ids if self.id_index is not None else None,
            lines=np.array([c[1] for c in chunk], dtype=np.int64),
            passed=passed if self.npass > 1 else None,
        )
