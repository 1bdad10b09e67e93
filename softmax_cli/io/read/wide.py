"""Rows too long to hold as text, read a piece at a time: :func:`delimited_row`, :func:`json_row`.

A row of 5 million values is ~100 MB of text (and ~400 MB more as a list of str or
float objects). A line longer than :data:`~softmax_cli.io.read.decode.LONG_LINE`
characters arrives as pieces (:meth:`~softmax_cli.io.read.decode._Lines.take_long`);
each piece is cut after its last complete value, parsed straight into a float array
that grows in place, and dropped. Plain numbers go through numpy's correctly rounded
``strtod`` (as for any wide row); a piece holding anything else is read token by token
by the exact rules, so every error names the same line, column and token as before.

Examples
--------
>>> import numpy as np
>>> pieces = iter(["1,2.5,", "-3,4", "e-1\\n"])
>>> delimited_row(pieces, ",", np.dtype(np.float64), lambda err, col: ValueError(col))
array([ 1. ,  2.5, -3. ,  0.4])
>>> values, end = json_row(iter(["[1, 2.5", ",\\n -3, 1e2]\\n"]), np.dtype(np.float64), 1, "<s>")
>>> values.tolist(), end  # the array closes on line 2
([1.0, 2.5, -3.0, 100.0], 2)
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from .errors import InputError, _TokenError
from .jsonvalues import _DECODER, _FAST_DECODER, _json_value, _Num
from .numbers import _cast_checked, _parse_token, _split_ws
from .textround import midpoints

_PLAIN = b"0123456789.eE+-\n"  # with the delimiter: the bytes numpy may parse alone
_GROW = 1 << 16  # values: the first allocation of a row of unknown width


class _Growing:
    """A 1-D array filled piece by piece; it grows in place (``realloc``), never copied."""

    def __init__(self, dt: np.dtype, size: int | None) -> None:
        self.a = np.empty(size or _GROW, dtype=dt)
        self.n = 0

    def add(self, values: np.ndarray) -> None:
        need = self.n + values.shape[0]
        if need > self.a.shape[0]:
            self.a.resize(max(need, self.a.shape[0] * 3 // 2), refcheck=False)
        self.a[self.n : need] = values
        self.n = need

    def result(self) -> np.ndarray:
        if self.a.shape[0] != self.n:
            self.a.resize(self.n, refcheck=False)
        return self.a


def _cut_delimited(text: str, delim: str) -> int:
    """Position of the last delimiter of ``text`` outside quotes; -1 if there is none."""
    if delim == " ":
        return max(text.rfind(" "), text.rfind("\t"))
    cut = text.rfind(delim)
    if cut < 0 or '"' not in text:
        return cut
    quotes = text.count('"', 0, cut)
    while quotes % 2 and cut >= 0:  # that delimiter is inside a quoted field
        prev = text.rfind(delim, 0, cut)
        quotes -= text.count('"', max(prev, 0), cut)
        cut = prev
    return cut


def _plain_values(text: str, delim: str, dt: np.dtype) -> np.ndarray | None:
    """``text`` (complete values, no newline) parsed by numpy, or None: read it exactly."""
    if not text.isascii():
        return None
    raw = text.encode("ascii")
    if raw.translate(None, _PLAIN + (b" \t" if delim == " " else delim.encode("ascii"))):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "could not be read to its end": an error
            values = np.fromstring(raw, dtype=np.float64, sep=delim)
    except (ValueError, DeprecationWarning):
        return None
    if delim != " " and values.shape[0] != raw.count(delim.encode("ascii")) + 1:
        return None
    if not np.isfinite(values).all():
        return None  # an overflowing literal: the exact reader names it
    cast = _cast_once(values, dt)
    return cast


def _no_text(row: int, col: int) -> str:  # pragma: no cover - midpoints never get here
    raise AssertionError("a midpoint reached the cast")


def _cast_once(values: np.ndarray, dt: np.dtype) -> np.ndarray | None:
    """float64 ``values`` parsed from text, cast to ``dt``; None where the exact path must
    read them: a value that overflows ``dt`` (it names the token), or one exactly halfway
    between two ``dt`` numbers, whose text decides its rounding (:mod:`.textround`)."""
    if dt.itemsize < 8 and midpoints(values, dt).any():
        return None
    values, bad = _cast_checked(values[None, :], dt, _no_text)  # 2-D: it names (row, col)
    return values[0] if bad is None else None


def delimited_row(
    pieces: Iterator[str],
    delim: str,
    dt: np.dtype,
    error: Callable[[_TokenError, int], Exception],
    width: int | None = None,
) -> np.ndarray:
    """The values of one delimited line given in pieces (no id column, no header).

    ``error(err, column)`` makes the exception for a bad token in ``column`` (from 1);
    ``width``, when known, sizes the array. A quoted field may not span lines here.
    """
    out = _Growing(dt, width)
    parts: list[str] = []  # text not parsed yet (a long token is never copied per piece)
    column = 1  # the column of the first field in parts
    for piece in pieces:
        parts.append(piece)
        if piece.endswith("\n"):
            break
        if delim not in piece and (delim != " " or "\t" not in piece):
            continue  # no delimiter yet: one long token goes on
        text = "".join(parts)
        cut = _cut_delimited(text, delim)
        if cut >= 0:
            column += _segment(text[:cut], delim, dt, out, column, error)
            parts = [text[cut + 1 :]]
    text = "".join(parts)
    text = text[:-1] if text.endswith("\n") else text
    if text or delim != " ":
        column += _segment(text, delim, dt, out, column, error)
    return out.result()


def _segment(
    text: str,
    delim: str,
    dt: np.dtype,
    out: _Growing,
    column: int,
    error: Callable[[_TokenError, int], Exception],
) -> int:
    """Parse complete values into ``out``; the number of fields read."""
    if delim == " " and not text.strip():
        return 0
    values = _plain_values(text, delim, dt)
    if values is not None:
        out.add(values)
        return values.shape[0]
    if delim == " ":
        fields = _split_ws(text)
    elif '"' in text:
        if text.count('"') % 2:  # the whole-line reader would go on to the next line
            reason = (
                "a quoted field is not closed on this line; in a row this long a quoted "
                "field may not hold a line break"
            )
            quote = text.rfind('"')
            raise error(
                _TokenError(reason, text[quote:][:40]), column + text.count(delim, 0, quote)
            )
        try:
            fields = next(csv.reader([text], delimiter=delim, strict=True))
        except csv.Error:  # stray text after a closing quote: read leniently, as csv does
            fields = next(csv.reader([text], delimiter=delim))
    else:
        fields = text.split(delim)
    parsed = []
    for i, field in enumerate(fields):
        try:
            parsed.append(_parse_token(field.replace("\u2212", "-"), dt))
        except _TokenError as err:
            raise error(err, column + i) from None
    out.add(np.array(parsed, dtype=dt))
    return len(fields)


def json_row(
    pieces: Iterator[str],
    dt: np.dtype,
    number: int,
    name: str,
    more: Callable[[], str | None] | None = None,
) -> tuple[np.ndarray, int]:
    """The numbers of a JSON array ``[v1, v2, ...]`` whose first line is given in pieces.

    The array may go on over the lines ``more()`` returns (a document holding one
    vector). Returns the values and the number of the line that closes the array.
    Raises InputError as the whole-line reader does: ``row 1, value K: ...`` for an
    element that is not a number, ``invalid JSON: ...`` for a syntax error.
    """
    out = _Growing(dt, None)
    parts: list[str] = []  # text not parsed yet (a long token is never copied per piece)
    line, column = number, 0  # where parts start (column: characters before, 0-based)
    started = False
    for piece, last in _lines_on(pieces, more):
        parts.append(piece)
        if not started:
            text = "".join(parts)
            start = text.index("[")  # the caller saw "[" first, after whitespace
            parts, column, started = [text[start + 1 :]], start + 1, True
        if last and "".join(parts).rstrip().endswith("]"):
            text = "".join(parts).rstrip()
            _json_segment(text[:-1], dt, out, (line, column, number), name)
            if out.n == 0:
                raise InputError("row 1: an empty array has no values", source=name, line=number)
            return out.result(), line + text.count("\n")
        if "," not in piece:
            continue
        text = "".join(parts)
        cut = _cut_json(text)
        if cut < 0:
            continue
        _json_segment(text[:cut], dt, out, (line, column, number), name)
        done = text.count("\n", 0, cut + 1)
        line += done
        column = cut + 1 - (text.rfind("\n", 0, cut + 1) + 1) if done else column + cut + 1
        parts = [text[cut + 1 :]]
    raise InputError(
        "invalid JSON: the array is never closed; add the final ']'", source=name, line=number
    )


def _lines_on(
    pieces: Iterator[str], more: Callable[[], str | None] | None
) -> Iterator[tuple[str, bool]]:
    """(piece, whether it ends a line): the long line's pieces, then the next lines."""
    for piece in pieces:
        yield piece, piece.endswith("\n")
    while more is not None:
        line = more()
        if line is None:
            return
        yield line, True


_JSON_WS_RE = re.compile(r"[ \t\n\r]*")


def _newlines_before(doc: str, k: int) -> int:
    """Line ends in the array ``doc`` before its element ``k`` (from 0): where an error is."""
    pos = _JSON_WS_RE.match(doc, 1).end()
    for _ in range(k):
        pos = _DECODER.raw_decode(doc, pos)[1]
        pos = _JSON_WS_RE.match(doc, pos).end() + 1  # past the comma
        pos = _JSON_WS_RE.match(doc, pos).end()
    return doc.count("\n", 0, pos)


def _cut_json(text: str) -> int:
    """Position of the last ``,`` outside strings, or -1."""
    cut = text.rfind(",")
    if cut < 0 or '"' not in text:
        return cut
    quotes = text.count('"', 0, cut) - text.count('\\"', 0, cut)
    while quotes % 2 and cut >= 0:
        prev = text.rfind(",", 0, cut)
        lo = max(prev, 0)
        quotes -= text.count('"', lo, cut) - text.count('\\"', lo, cut)
        cut = prev
    return cut


def _json_segment(
    text: str, dt: np.dtype, out: _Growing, where: tuple[int, int, int], name: str
) -> None:
    """Decode the elements in ``text`` (between commas of the array) into ``out``.

    ``where``: the line and 0-based column where ``text`` starts, and the array's line.
    """
    line, offset, first_line = where
    doc = "[" + text + "]"
    try:
        items = _FAST_DECODER.decode(doc)
    except json.JSONDecodeError as err:
        pos = err.pos - 1  # in text: the "[" added stands for the comma before it
        newlines = text.count("\n", 0, max(pos, 0))
        column = pos - text.rfind("\n", 0, max(pos, 0)) if newlines else offset + pos + 1
        raise InputError(
            f"invalid JSON: {err.msg} (column {column}); check the syntax there",
            source=name,
            line=line + newlines,
        ) from None
    label = "row 1, " if line == first_line and "\n" not in text else ""
    first = out.n + 1
    if items and set(map(type, items)) <= {float, _Num}:
        values = np.array(list(map(float, items)), dtype=np.float64)
        if not np.isinf(values).any():  # an Infinity literal or an overflow: exactly below
            cast = _cast_once(values, dt)
            if cast is not None:
                out.add(cast)
                return
    exact = _DECODER.decode(doc)  # every literal's text: Infinity, 1e400, ints as written
    parsed = []
    for k, value in enumerate(exact):
        if isinstance(value, (list, dict)):
            raise InputError(
                f"value {first + k}: the array mixes numbers with arrays or objects; "
                f"give either one vector or one array per row",
                source=name,
                line=line + _newlines_before(doc, k),
            )
        try:
            parsed.append(_json_value(value, dt))
        except _TokenError as err:
            raise InputError(
                f"{label}value {first + k}: {err.reason}",
                source=name,
                line=line + _newlines_before(doc, k),
            ) from None
    out.add(np.array(parsed, dtype=dt))


_WS_TOKEN_RE = re.compile(r"[^ \t\n\r\x0b\x0c]+")


def wide_fields(line: str, delim: str, longer: int) -> tuple[int, Iterator[str]] | None:
    """(field count, lazy fields) of an unquoted line over ``longer`` characters, else None.

    The header check stops at the first number, so a wide data row read whole is
    sniffed without building millions of field strings.
    """
    if len(line) <= longer or '"' in line:
        return None
    if delim == " ":
        if not line.isascii():
            return None
        count = sum(1 for _ in _WS_TOKEN_RE.finditer(line))
        return count, (m.group() for m in _WS_TOKEN_RE.finditer(line))
    end = len(line) - 1 if line.endswith("\n") else len(line)

    def fields() -> Iterator[str]:
        start = 0
        while True:
            stop = line.find(delim, start, end)
            if stop < 0:
                yield line[start:end]
                return
            yield line[start:stop]
            start = stop + 1

    return line.count(delim, 0, end) + 1, fields()
