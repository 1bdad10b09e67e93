"""CSV, TSV and whitespace-separated text, one vector per row: :class:`_DelimitedParser`.

Each chunk of lines goes through numpy in one call (:meth:`_DelimitedParser._fast`),
or the csv module when it holds quoted fields (:meth:`_DelimitedParser._quoted`);
a chunk either refuses is read record by record (:meth:`_DelimitedParser._slow`),
which names the line, column and token of the problem.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable, Iterator
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from .columns import Selection, _select_layout, _split_columns, resolve_columns
from .decode import _check_text, _Lines
from .errors import InputError, _TokenError
from .numbers import (
    _FOREIGN_SPACE_RE,
    _cast_checked,
    _long_values,
    _number_like,
    _parse_token,
    _split_ws,
)
from .records import Batch, _layout_of
from .sniff import (
    _MALFORMED_NUMBER,
    _counting,
    _data_indices,
    _first_data_line,
    _id_is_name,
    _is_data_line,
    _is_label,
    _looks_like_header,
    _pandas_index,
    _resolve_id,
    _sniffed_id,
)
from .textround import chunk_tokens
from .wide import delimited_row, wide_fields

_CHUNK_CHARS = 1 << 20  # text per chunk of delimited input (about 5,000 rows of 10 floats)
_FIRST_CHUNK_ROWS = 256
#: the first characters of a token that may be a number (or a malformed one, or NA)
_NUMBER_START = frozenset("0123456789+-.\u2212 \tiInN")
#: A first line longer than this is sniffed without splitting it into a list of fields
#: (5 million fields as str objects take ~400 MB; the line itself ~100 MB).
_WIDE_CHARS = 1 << 16

#: csv refuses fields over 131 072 characters by default: a vocabulary-wide row or a
#: long quoted id is read whole instead (memory is bounded by the line anyway).
_FIELD_LIMIT = 2**31 - 1
if csv.field_size_limit() < _FIELD_LIMIT:
    csv.field_size_limit(_FIELD_LIMIT)


class _DelimitedParser:
    """CSV, TSV and whitespace-separated text."""

    def __init__(
        self,
        src: _Lines,
        first_line: str,
        first_no: int,
        delim: str,
        header: bool | None,
        id_column: str | int | None,
        dt: np.dtype,
        chunk_rows: int,
        columns: Selection | None = None,
    ) -> None:
        self.src = src
        self.name = src.name
        self.delim = delim
        self.ws = delim == " "
        self.quoting = not self.ws
        self.np_delim = None if self.ws else delim
        self.dt = dt
        self.chunk_rows = chunk_rows
        self.ref_line = first_no
        self.first_batch: Batch | None = None  # the first row, read in pieces
        if src.long is not None:  # first_line is the head of a long line, the rest unread
            values = self._stream_first(first_line, header, id_column, columns)
            if values is None:
                first_line = src.take_one_checked() or ""
            else:
                header = False
                self.first_batch = Batch(values[None, :], None, np.array([first_no]))
        raw = [first_line]
        wide = wide_fields(first_line, delim, _WIDE_CHARS)
        if self.first_batch is not None:
            wide = (self.first_batch.values.shape[1], iter(()))
        if wide is None:
            fields = self._split_fields(first_line, self._more_from_source(raw), first_no)
            ncol, tokens = len(fields), iter(fields)
        else:
            fields = None
            ncol, tokens = wide
        by_name = columns is not None and columns.by_name
        forced_name = _id_is_name(id_column) or by_name
        if forced_name and header is False:
            what = "a column is chosen by name" if by_name else f"id column {id_column!r} is a name"
            raise InputError(
                f"{what}, but header=False says there is no header row; give its position "
                f"(counting from 1)",
                source=self.name,
            )
        # positions given -> the columns that are not logits stay out of header detection
        skip: set[int] = set()
        if isinstance(id_column, (int, np.integer)) or (
            isinstance(id_column, str) and id_column.strip().isdigit()
        ):
            k = int(id_column)
            if 1 <= k <= ncol:
                skip.add(k - 1)
        if columns is not None and not by_name:
            chosen = resolve_columns(columns, None, ncol, self.name, first_no)
            skip.update(i for i in range(ncol) if i not in chosen)
        self.header_guessed = header is None and not forced_name
        if header is None:
            if fields is not None:
                header = forced_name or self._guess_header(fields, skip, first_no)
            else:  # a wide first line: its tokens, never a list of millions of str
                header = forced_name or _looks_like_header(
                    tok for i, tok in enumerate(tokens) if i not in skip
                )
        if header and fields is None:
            fields = self._split_fields(first_line, lambda: None, first_no)
        names = [f.strip() for f in fields] if header else None
        del fields, tokens
        first_row = nxt = None
        if names is not None:
            nxt = _first_data_line(src)
            if nxt is None:
                raise InputError(
                    f"holds no vectors: only a header on line {first_no}", source=self.name
                )
            taken = [nxt[0]]
            if id_column is None and columns is None:
                first_row = self._split_fields(nxt[0], self._more_from_source(taken), nxt[1])
            src.unread(taken)
        elif self.first_batch is None:
            src.unread(raw)
        self.id_checked = False  # a sniffed id column: every row must hold text there
        self.id_line = nxt[1] if nxt is not None else first_no
        if id_column is None and columns is None and names is not None:
            self.id_index, self.id_checked = _sniffed_id(names, first_row)
        else:
            self.id_index = _resolve_id(id_column, names, ncol, self.name, first_no)
        self.ncol = ncol
        self.all_cols = range(ncol)  # a range: no tuple of 5 million ints
        self.value_cols: range | tuple[int, ...]
        if columns is None:
            self.value_cols = (
                range(ncol)
                if self.id_index is None
                else tuple(i for i in range(ncol) if i != self.id_index)
            )
            self.pass_cols = () if self.id_index is None else (self.id_index,)
        else:
            self.value_cols, self.pass_cols = _split_columns(
                columns, self.id_index, names, ncol, self.name, first_no
            )
            self.id_index = self.pass_cols[0] if self.pass_cols else None
        self.width = len(self.value_cols)
        if self.width < 1:
            raise InputError(
                "holds no value columns: the only column is the id column",
                source=self.name,
                line=first_no,
            )
        self.several = len(self.pass_cols) > 1  # pass-through columns beyond one id
        self.layout = _layout_of(names, self.id_index, self.width, delim, self.name)
        if columns is not None:
            _select_layout(self.layout, names, self.value_cols, self.pass_cols)

    def _guess_header(self, fields: list[str], skip: set[int], first_no: int) -> bool:
        """Whether line 1 is a header, when nobody said: text names, pandas' ``,0,1,…``.

        A first row of pandas' default column names ``0,1,…`` (after a label or
        nothing) could as well be values: with more rows after it, the reader stops
        and asks rather than silently computing a header or dropping a row.
        """
        if skip <= {0} and _pandas_index(fields) and _counting(fields[1:]):
            return True  # df.to_csv(): an empty field over the index, then 0,1,...
        rest = [tok for i, tok in enumerate(fields) if i not in skip]
        labelled = not skip and len(fields) >= 2 and _is_label(fields[0])
        if _counting(rest) or (labelled and _counting(fields[1:])):
            nxt = _first_data_line(self.src)
            if nxt is not None:
                self.src.unread([nxt[0]])
                shown = self.delim.join(f.strip() for f in fields)
                raise InputError(
                    f"{shown[:60]!r} may be pandas' default column names or a row of "
                    f"values; say which ({{header}} or {{no_header}})",
                    source=self.name,
                    line=first_no,
                )
            return False
        return _looks_like_header(rest)

    # -- splitting -----------------------------------------------------------------

    def _wide_fields(self, line: str) -> tuple[int, Iterator[str]] | None:
        """(field count, lazy fields) of a long unquoted line; None for the usual split."""
        return wide_fields(line, self.delim, _WIDE_CHARS)

    def _stream_first(
        self,
        head: str,
        header: bool | None,
        id_column: str | int | None,
        columns: Selection | None,
    ) -> np.ndarray | None:
        """The long first line read in pieces, or None: it is read whole (see _Lines)."""
        if id_column is not None or columns is not None or header or self.dt.itemsize > 8:
            return None
        if header is None:  # a header if all is text: the head decides (it has a number)
            cut = head.rfind(self.delim) if not self.ws else max(head.rfind(" "), head.rfind("\t"))
            fields = _split_ws(head[:cut]) if self.ws else head[:cut].split(self.delim)
            if _looks_like_header(fields):
                return None
        self.header_guessed = header is None
        return self._long_row(self.src.take_long(), self.ref_line, None)

    def _long_row(self, pieces: Iterator[str], number: int, width: int | None) -> np.ndarray:
        """One row given in pieces (a long line), its width checked when known."""

        def error(err: _TokenError, column: int) -> InputError:
            return self._token_error(err, number, column)

        values = delimited_row(pieces, self.delim, self.dt, error, width)
        if width is not None and values.shape[0] != width:
            self._count_error(values.shape[0], number)
        return values

    def _more_from_source(self, sink: list[str]) -> Callable[[], str | None]:
        def more() -> str | None:
            line = self.src.take_one_checked()
            if line is not None:
                sink.append(line)
            return line

        return more

    def _split_fields(self, line: str, more: Callable[[], str | None], number: int) -> list[str]:
        """Fields of the record starting with ``line`` (quoted fields may span lines)."""
        if self.ws:
            return _split_ws(line)
        body = line[:-1] if line.endswith("\n") else line
        if '"' not in body:
            return body.split(self.delim)
        # One csv reader over the record's lines: it asks for the next line only while a
        # quoted field is open, so a stray quote costs one pass, not one re-parse per line.
        taken = [line]
        ended = False

        def record_lines() -> Iterator[str]:
            nonlocal ended
            yield line
            while True:
                nxt = more()
                if nxt is None:
                    ended = True
                    return
                taken.append(nxt)
                yield nxt

        try:
            return next(csv.reader(record_lines(), delimiter=self.delim, strict=True))
        except csv.Error as err:
            if ended and "unexpected end of data" in str(err):
                raise InputError(
                    "a quoted field is never closed; add the closing '\"'",
                    source=self.name,
                    line=number,
                ) from None
        # stray text after a closing quote: read the same lines leniently, like csv does
        return next(csv.reader(taken, delimiter=self.delim))

    # -- chunks ------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        # A chunk holds at most chunk_rows lines and about _CHUNK_CHARS characters, so
        # memory stays flat however long the rows are (a few hundred bytes per value
        # while a chunk is parsed, computed and written); the first chunk measures them.
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            yield batch
        first = len(self.src.pushback[0]) if self.src.pushback else 0
        n = max(1, min(self.chunk_rows, _FIRST_CHUNK_ROWS, _CHUNK_CHARS // max(first, 1)))
        streams = self.id_index is None and self.value_cols == self.all_cols
        streams = streams and self.dt.itemsize <= 8
        while True:
            head = self.src.long_head() if streams else None
            if head is not None and _is_data_line(head):  # a long row: read in pieces
                start = self.src.next_no
                values = self._long_row(self.src.take_long(), start, self.width)
                yield Batch(values[None, :], None, np.array([start], dtype=np.int64))
                continue
            lines, start = self.src.take(n)
            if not lines:
                return
            chars = sum(map(len, lines))
            batch = self._chunk(lines, start)
            n = max(1, min(self.chunk_rows, _CHUNK_CHARS * len(lines) // max(chars, 1)))
            del lines  # a wide row's text goes before its batch is used
            if batch is not None:
                yield batch

    def _chunk(self, lines: list[str], start: int) -> Batch | None:
        if not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        text = lines[0] if len(lines) == 1 else "".join(lines)  # one wide row: no copy
        _check_text(text, start, self.name)
        if self.quoting and '"' in text:
            return self._quoted(lines, start) or self._slow(lines, start)
        if self.ws and not text.isascii() and _FOREIGN_SPACE_RE.search(text):
            return self._slow(lines, start)  # numpy would split 1\u00a0000 into 1 and 000
        numbers = None
        data = lines
        if "#" in text or "\n" in lines:  # comment or empty lines (list test: cheap)
            keep = _data_indices(lines)
            if not keep:
                return None
            data = [lines[i] for i in keep]
            numbers = np.asarray(keep, dtype=np.int64) + start
        if (
            len(data) == 1
            and len(text) > _WIDE_CHARS
            and self.id_index is None
            and self.value_cols == self.all_cols
            and self.dt.itemsize <= 8
            and '"' not in text
        ):  # one wide row read whole (after a header): parsed a piece at a time
            row = data[0]
            number = start if numbers is None else int(numbers[0])
            pieces = (row[i : i + _CHUNK_CHARS] for i in range(0, len(row), _CHUNK_CHARS))
            values = self._long_row(pieces, number, self.width)
            return Batch(values[None, :], None, np.array([number], dtype=np.int64))
        minus = "\u2212" in text
        filtered = numbers is not None
        if numbers is None:
            numbers = np.arange(start, start + len(data), dtype=np.int64)
        result = self._fast(data, minus, numbers)
        if result is None and not filtered:
            keep = _data_indices(lines)
            if not keep:
                return None
            if len(keep) != len(lines):
                data = [lines[i] for i in keep]
                numbers = np.asarray(keep, dtype=np.int64) + start
                result = self._fast(data, minus, numbers)
        if result is None:
            return self._slow(lines, start)
        values, ids = result
        return self._batch(values, ids, numbers)

    def _batch(self, values: np.ndarray, ids: list | None, numbers: np.ndarray) -> Batch:
        """A batch; several pass-through columns (tuples) also give a joined label."""
        if ids is not None and self.several:
            return Batch(values, [" ".join(t) for t in ids], numbers, passed=ids)
        return Batch(values=values, ids=ids, lines=numbers)

    def _fast(
        self, data: list[str], minus: bool, numbers: np.ndarray
    ) -> tuple[np.ndarray, list[str] | None] | None:
        """The whole chunk through numpy; None when numpy refuses (the slow pass explains)."""
        vlines = [line.replace("\u2212", "-") for line in data] if minus else data
        ids = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
                if self.value_cols == self.all_cols:
                    values = self._loadtxt(vlines, np.float64, ndmin=2)
                else:
                    if self.ws:
                        counts = list(map(len, map(str.split, data)))
                        if counts.count(self.ncol) != len(counts):
                            return None
                    else:
                        counts = list(map(str.count, data, repeat(self.delim)))
                        if counts.count(self.ncol - 1) != len(counts):
                            return None
                    values = self._loadtxt(vlines, np.float64, ndmin=2, usecols=self.value_cols)
                    if self.pass_cols:
                        got = self._loadtxt(data, str, ndmin=2, usecols=self.pass_cols)
                        if got.shape[0] != len(data):
                            return None
                        ids = list(map(tuple, got.tolist())) if self.several else got[:, 0].tolist()
        except ValueError:
            return None
        if values.shape != (len(data), self.width):
            return None
        if self.dt.itemsize > 8:
            tokens = self._loadtxt(vlines, str, ndmin=2, usecols=self.value_cols)
            values = _long_values(tokens)
        return self._finish(values, data, numbers, ids)

    def _loadtxt(
        self, lines: list[str], dtype: Any, *, ndmin: int, usecols: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """numpy's parse of unquoted lines split on the delimiter (no comments, no quotes)."""
        return np.loadtxt(
            lines,
            dtype=dtype,
            delimiter=self.np_delim,
            comments=None,
            quotechar=None,
            ndmin=ndmin,
            usecols=usecols,
        )

    def _quoted(self, lines: list[str], start: int) -> Batch | None:
        """A chunk with quoted fields, split by the csv module; None if it needs the slow pass."""
        keep = _data_indices(lines)
        if not keep:
            return None
        data = [lines[i] for i in keep]
        try:
            records = list(csv.reader(data, delimiter=self.delim, strict=True))
        except csv.Error:
            return None
        ncol = self.ncol
        if len(records) != len(data) or any(len(r) != ncol for r in records):
            return None  # a record spans lines, or a row is ragged
        ids = None
        if self.several:
            ids = list(map(itemgetter(*self.pass_cols), records))
        elif self.pass_cols:
            k = self.pass_cols[0]
            ids = [r[k] for r in records]
        if self.value_cols == self.all_cols:
            flat = list(chain.from_iterable(records))
        elif self.width == 1:
            flat = [r[self.value_cols[0]] for r in records]
        else:
            flat = list(chain.from_iterable(map(itemgetter(*self.value_cols), records)))
        joined = "".join(flat)
        if "\u2212" in joined:
            flat = [t.replace("\u2212", "-") for t in flat]
            joined = "".join(flat)
        if not joined.isascii() or "_" in joined:
            return None
        try:
            values = np.array(flat, dtype=np.float64)  # float() syntax, vectorised
        except ValueError:
            return None
        values = values.reshape(len(records), self.width)
        if self.dt.itemsize > 8:
            values = _long_values(np.array(flat).reshape(values.shape))
        numbers = np.asarray(keep, dtype=np.int64) + start
        values, ids = self._finish(values, data, numbers, ids)
        return self._batch(values, ids, numbers)

    def _finish(
        self, values: np.ndarray, data: list[str], numbers: np.ndarray, ids: list[str] | None
    ) -> tuple[np.ndarray, list[str] | None]:
        """Overflow checks (an infinity must be spelled inf) and the cast to the dtype."""
        if self.id_checked and ids is not None:
            for r, ident in enumerate(ids):
                if ident[:1] in _NUMBER_START:  # cheap filter; the check is exact
                    self._check_id(ident, int(numbers[r]))
        long = self.dt.itemsize > 8
        inf_rows = np.flatnonzero(np.isinf(values).any(axis=1))
        for r in inf_rows:
            line = data[r]
            spelled = line.lower().count("inf")
            if ids is not None:
                ident = ids[r] if isinstance(ids[r], str) else " ".join(ids[r])
                spelled -= ident.lower().count("inf")
            if long or spelled != int(np.isinf(values[r]).sum()):
                self._record_values(line, int(numbers[r]))  # raises on an overflowing literal
        if not long:
            values, bad = _cast_checked(values, self.dt, chunk_tokens(self, data, numbers))
            if bad is not None:
                r = bad[0]
                self._record_values(data[r], int(numbers[r]))  # raises: line, column, token
        return values, ids

    def _record_values(self, line: str, number: int) -> tuple[str | None, list[Any]]:
        """Parse one single-line record exactly (raises InputError on any problem)."""
        fields = self._split_fields(line, lambda: None, number)
        return self._fields_values(fields, number)

    def _fields_values(self, fields: list[str], number: int) -> tuple[str | None, list]:
        if len(fields) != self.ncol:
            self._count_error(len(fields), number)
        values = []
        for i in self.value_cols:
            try:
                values.append(_parse_token(fields[i], self.dt))
            except _TokenError as err:
                raise self._token_error(err, number, i + 1) from None
        ident: Any = fields[self.id_index] if self.id_index is not None else None
        if self.several:
            ident = tuple(fields[k] for k in self.pass_cols)
        if self.id_checked and ident is not None:
            self._check_id(ident, number)
        return ident, values

    def _count_error(self, found: int, number: int) -> None:
        """Raise: the record at line ``number`` has ``found`` fields, not ``ncol``."""
        if self.id_index is None:
            expected = f"expected {self.ncol} values (as on line {self.ref_line}), found {found}"
        else:
            expected = (
                f"expected {self.ncol} columns (an id and {self.width} values, "
                f"as on line {self.ref_line}), found {found}"
            )
        if found > self.ncol and self.delim == ",":
            hint = "is there a thousands separator (write 1000, not 1,000) or an extra comma?"
        elif found > self.ncol:
            hint = "is there an extra delimiter?"
        else:
            hint = "is a value missing? every row needs the same number of values"
        raise InputError(f"{expected}; {hint}", source=self.name, line=number)

    def _token_error(self, err: _TokenError, number: int, column: int) -> InputError:
        """The error for a bad token at ``column`` (from 1) of line ``number``."""
        reason = err.reason
        if number == self.ref_line and self.header_guessed and not _number_like(err.token):
            reason += f"; if line {number} is a header, say so ({{header}})"
        return InputError(
            reason, source=self.name, line=number, column=column, token=err.token.strip()
        )

    def _check_id(self, ident: str, number: int) -> None:
        """A sniffed id column holds text in every row: a number there stops the reader."""
        s = ident.strip()
        if not s or not (_number_like(s) or _MALFORMED_NUMBER.fullmatch(s)):
            return
        name = self.layout.id_name if hasattr(self, "layout") else ""
        raise InputError(
            f"{ident.strip()[:40]!r} is a number in column {self.id_index + 1} ({name!r}), "
            f"which was taken for the row labels because it holds text on line "
            f"{self.id_line}; say {{id_column}} {name} if it holds labels, or fix line "
            f"{self.id_line}",
            source=self.name,
            line=number,
            column=self.id_index + 1,
            token=ident.strip(),
        )

    def _slow(self, lines: list[str], start: int) -> Batch | None:
        """Record by record, with exact error locations (and quoted fields)."""
        rows: list[list[Any]] = []
        ids: list[Any] = []
        numbers: list[int] = []
        i = 0

        def more() -> str | None:
            nonlocal i
            if i < len(lines):
                line = lines[i]
            else:
                line = self.src.take_one()
                if line is None:
                    return None
                _check_text(line, start + i, self.name)
                lines.append(line)
            i += 1
            return line

        while i < len(lines):
            line = lines[i]
            number = start + i
            i += 1
            if not _is_data_line(line):
                continue
            fields = self._split_fields(line, more, number)
            ident, values = self._fields_values(fields, number)
            rows.append(values)
            numbers.append(number)
            if ident is not None:
                ids.append(ident)
        if not rows:
            return None
        values = np.array(rows, dtype=self.dt)
        return self._batch(
            values.reshape(len(rows), self.width),
            ids if self.id_index is not None else None,
            np.asarray(numbers, dtype=np.int64),
        )
