"""Read vectors from command-line arguments, CSV/TSV/whitespace text and JSON.

One vector per row. Text input is streamed in chunks of ``chunk_rows`` lines, so
memory does not grow with the number of rows, and each chunk is parsed by numpy
in one call; only a chunk that numpy refuses is walked token by token, to name
the exact line, column and token in the error.

What is accepted
----------------
* **Encodings**: UTF-8 with or without a byte-order mark; UTF-16 and UTF-32 *with*
  a byte-order mark. NUL bytes or bytes that are not UTF-8 raise
  :class:`InputError` ("looks binary", "is not UTF-8 text").
* **Lines**: ``\\n``, ``\\r\\n`` and a lone ``\\r`` all end a line. Blank lines and
  lines whose first non-blank character is ``#`` are skipped; line numbers in
  errors are real line numbers of the file (skipped lines count).
* **Layout** (``fmt="auto"``): sniffed from the first non-blank, non-comment line:
  a tab means TSV, else a comma means CSV, else values are separated by runs of
  whitespace; ``[`` or ``{`` means JSON. CSV/TSV fields may be quoted the
  ``csv``-module way (a quoted id may hold the delimiter, quotes or newlines).
* **Header**: detected (``header=None``) when every filled token of the first
  row outside the id column is text, not a number; a first row mixing numbers
  and text is data, so a typo or ``NA`` in it is reported instead of the row
  vanishing as a header. ``header=True``/``False`` forces it. Names are stripped
  of surrounding blanks; a header of numbers (``0,1,2``) is taken for data
  unless ``header=True``.
* **Ids**: the id column's text is passed through untouched (not stripped);
  the writer quotes an id that holds the delimiter, a tab, a quote or a line
  break, or starts with ``#``, ``[`` or ``{``, so it reads back as it was. A
  carriage return inside a quoted id reads back as ``\\n`` (line ends are
  normalised); NUL bytes are refused everywhere. In whitespace-separated input
  an id cannot hold blanks.
* **Numbers**: Python ``float`` syntax (``1``, ``-2.5``, ``1e-3``, ``.5``, ``inf``,
  ``-Infinity``, ``nan``, any case, surrounding whitespace) plus U+2212 MINUS
  SIGN as ``-``. Refused although ``float()`` takes them: digit separators
  (``1_000``) and non-ASCII digits (fullwidth ``１``, Arabic-Indic ``١``). A
  finite literal too large for the dtype (``1e400``; ``1e39`` in float32) is an
  error, not ``inf``; a literal too small rounds to a subnormal or to zero, as
  ``float()`` does. float16/float32 values are parsed as float64 and then
  rounded (the writer's output always reads back exactly); longdouble values
  are parsed at full precision.
* **JSON**: an array of numbers (one vector), an array of arrays (one per row),
  an array of objects ``{name: value}`` with the same keys (the keys are the
  columns; an id column may be named), or JSON lines (one array or object per
  line). The strings ``"nan"``, ``"inf"``, ``"-inf"`` (and ``"Infinity"``, any
  case) stand for those values, as do Python's ``NaN``/``Infinity`` literals;
  other strings, ``null`` and booleans are errors. A document that is not one
  row per line is parsed element by element, so memory still stays bounded.
* **Iteration**: a :class:`VectorReader` is iterated once; a file it opened is
  closed when iteration ends or on :meth:`VectorReader.close`.

Examples
--------
>>> import io
>>> reader = open_vectors(io.StringIO("a,b,c\\n1,2,3\\n4,5,6\\n"))
>>> reader.layout.columns, reader.layout.delimiter, reader.layout.width
(['a', 'b', 'c'], ',', 3)
>>> [batch.values.tolist() for batch in reader]
[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]
>>> parse_arguments(["-1000", "-2000"])
array([-1000., -2000.])
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any, BinaryIO, TextIO

import numpy as np

from ..errors import SoftmaxInputError

__all__ = [
    "Batch",
    "InputError",
    "Layout",
    "VectorReader",
    "open_vectors",
    "parse_arguments",
]

_FORMATS = ("auto", "csv", "tsv", "ws", "json")
_FORMAT_ALIASES = {"jsonl": "json", "whitespace": "ws", "space": "ws"}
_JSON_BLOCK_LINES = 4096
_CHUNK_CHARS = 1 << 20  # text per chunk of delimited input (about 5,000 rows of 10 floats)
_FIRST_CHUNK_ROWS = 256
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_ASCII_WS_RE = re.compile(r"[ \t\n\r\f\v]+")
# whitespace that str.split() and numpy split on, yet no delimiter: 1\u00a0000 is 1000 written
# with a no-break space (a thousands separator), never the two values 1 and 0
_FOREIGN_SPACE_RE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_MISSING_WORDS = frozenset({"na", "n/a", "null", "none", "nil", "missing", "?", "-", "."})
_INF_WORDS = frozenset({"inf", "infinity"})
_SPECIAL_WORDS = frozenset(
    sign + word for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")
)


# --------------------------------------------------------------------------- errors


class InputError(SoftmaxInputError):
    """Bad input text: one line naming where, what, and how to fix it.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it (kept as :attr:`reason`).
    source : str, optional
        Name of the input (a path, ``<stdin>``); prefixes the text.
    line, column : int, optional
        1-based line and column (field) of the problem.
    token : str, optional
        The offending token, kept for callers; the message already shows it.

    Examples
    --------
    >>> err = InputError("'abc' is not a number", source="logits.csv", line=12, column=3,
    ...                  token="abc")
    >>> print(err)
    logits.csv: line 12, column 3: 'abc' is not a number
    >>> err.line, err.column, err.token, err.reason
    (12, 3, 'abc', "'abc' is not a number")
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        token: str | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.column = column
        self.token = token
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        text = f"{', '.join(where)}: {message}" if where else message
        if source:
            text = f"{source}: {text}" if where else f"{source} {text}"
        text = text.replace("\r", "\\r").replace("\n", "\\n")
        super().__init__(text)


class _TokenError(Exception):
    """A token is not an acceptable number; ``reason`` says why (no location)."""

    def __init__(self, reason: str, token: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token


# --------------------------------------------------------------------------- records


@dataclass
class Layout:
    """The shape of the input, known as soon as :func:`open_vectors` returns.

    Attributes
    ----------
    columns : list of str or None
        Header names of the value columns; None without a header.
    id_name : str or None
        Header name of the id column (None without a header or id column).
    id_index : int or None
        0-based position of the id column in an input row, None if none.
    delimiter : str
        ``","``, ``"\\t"``, ``" "`` (whitespace-separated) or ``"json"``.
    source_name : str
        ``"<stdin>"``, ``"<arguments>"`` or the path as given.
    width : int
        Number of value columns.

    Examples
    --------
    >>> Layout(columns=None, id_name=None, id_index=None, delimiter=",",
    ...        source_name="<stdin>", width=3).width
    3
    """

    columns: list[str] | None
    id_name: str | None
    id_index: int | None
    delimiter: str
    source_name: str
    width: int


@dataclass
class Batch:
    """A block of consecutive rows.

    Attributes
    ----------
    values : numpy.ndarray
        Shape ``(rows, width)``, in the requested dtype.
    ids : list of str or None
        The id column text of each row, untouched; None without an id column.
    lines : numpy.ndarray
        1-based source line number of each row (int64).

    Examples
    --------
    >>> b = Batch(values=np.zeros((2, 3)), ids=None, lines=np.array([1, 2]))
    >>> b.values.shape
    (2, 3)
    """

    values: np.ndarray
    ids: list[str] | None
    lines: np.ndarray


# --------------------------------------------------------------------------- numbers


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise InputError(
            f"dtype must be a floating type (float16, float32, float64 or longdouble), "
            f"not {dtype!r}"
        )
    return dt


def _dtype_name(dt: np.dtype) -> str:
    if dt == np.dtype(np.longdouble) and dt.itemsize > 8:
        return "longdouble"
    return dt.name


def _largest(dt: np.dtype) -> str:
    text = np.format_float_scientific(np.finfo(dt).max, precision=1)
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def _show(token: str) -> str:
    token = token.strip()
    if len(token) > 40:
        token = token[:37] + "..."
    return repr(token)


def _describe_char(ch: str) -> str:
    return f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"


_LABEL_HINT = "; if the column holds labels, make it the id column (--id-column)"


def _not_a_number(token: str) -> _TokenError:
    s = token.strip()
    if s.lower() in _MISSING_WORDS:
        hint = "write nan for a missing value"
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", s):  # 1,000: thousands, or a decimal comma?
        hint = f"write {s.replace(',', '')} (no thousands separator) or the decimal point as '.'"
    elif re.fullmatch(r"[+-]?\d+,\d+", s):
        hint = "write the decimal point as '.'"
    elif any(sep in s for sep in ";|"):
        sep = next(sep for sep in ";|" if sep in s)
        hint = f"separate values with commas, tabs or spaces, not {sep!r}"
    else:
        hint = "write numbers like 1.5, -2e-3, inf or nan" + _LABEL_HINT
    return _TokenError(f"{_show(token)} is not a number; {hint}", token)


def _overflow(token: str, dt: np.dtype) -> _TokenError:
    return _TokenError(
        f"{_show(token)} overflows {_dtype_name(dt)} (largest ≈ {_largest(dt)}); "
        f"write inf if you mean it",
        token,
    )


def _parse_token(token: str, dt: np.dtype) -> Any:
    """One number in the accepted syntax, as a Python float (or np.longdouble).

    Raises _TokenError with a one-line reason for anything else.
    """
    s = token.strip()
    if not s:
        raise _TokenError(
            "empty value; write a number (or nan) there, or remove the extra delimiter", token
        )
    if not s.isascii():
        s = s.replace("\u2212", "-")
        if not s.isascii():
            ch = next(c for c in s if not c.isascii())
            if "\udc80" <= ch <= "\udcff":
                raise _TokenError(
                    f"byte 0x{ord(ch) - 0xDC00:02x} is not UTF-8 text; save the input as UTF-8",
                    token,
                )
            try:
                float(s)
            except ValueError:
                if unicodedata.category(ch) == "Pd" and _float_like(s.replace(ch, "-")):
                    raise _TokenError(
                        f"{_show(token)} is not a number: {_describe_char(ch)} is not a minus "
                        f"sign; write '-'",
                        token,
                    ) from None
                bare = s.replace(ch, "")  # 1\u00a0000 (a no-break space), 1\u200b
                spacing = unicodedata.category(ch) in ("Zs", "Cf")
                if spacing and bare.isascii() and _float_like(bare):
                    apart = ", or separate values with ASCII spaces" if ch.isspace() else ""
                    raise _TokenError(
                        f"{_show(token)} is not a number: it contains {_describe_char(ch)}; "
                        f"write {bare}{apart}",
                        token,
                    ) from None
                raise _not_a_number(token) from None
            raise _TokenError(
                f"{_show(token)} is not a number: it contains {_describe_char(ch)}; "
                f"write plain ASCII digits 0-9",
                token,
            )
    if "_" in s:
        try:
            float(s)
        except ValueError:
            raise _not_a_number(token) from None
        raise _TokenError(
            f"{_show(token)} is not a number: '_' digit separators are not accepted; "
            f"write {s.replace('_', '')}",
            token,
        )
    try:
        value = float(s)
    except ValueError:
        raise _not_a_number(token) from None
    if dt.itemsize > 8:  # longdouble: full precision, its own range
        with warnings.catch_warnings(), np.errstate(over="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            long_value = np.longdouble(s)
        if np.isinf(long_value) and s.lower().lstrip("+-") not in _INF_WORDS:
            raise _overflow(token, dt)
        return long_value
    if value in (np.inf, -np.inf):
        if s.lower().lstrip("+-") not in _INF_WORDS:
            raise _overflow(token, np.dtype(np.float64) if dt.itemsize == 8 else dt)
    elif dt.itemsize < 8:
        with np.errstate(over="ignore"):
            if np.isinf(dt.type(value)):
                raise _overflow(token, dt)
    return value


def _split_ws(text: str) -> list[str]:
    """Fields between ASCII whitespace; a no-break or thin space stays inside its field."""
    if text.isascii():
        return text.split()
    return [w for w in _ASCII_WS_RE.split(text) if w]


def _float_like(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number_like(token: str) -> bool:
    """Header detection: does ``token`` read as a number at all (empty counts as one)?"""
    s = token.strip().replace("\u2212", "-")
    if not s:
        return True
    try:
        float(s)
    except ValueError:
        return False
    return True


def _long_values(tokens: np.ndarray) -> np.ndarray:
    """Validated number tokens to longdouble, at full precision."""
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.char.strip(tokens).astype(np.longdouble)


def _looks_like_header(tokens: list[str]) -> bool:
    """A header names columns: every non-empty token is text, not a number.

    A first row that mixes numbers and text is taken for data (its bad token is
    then reported) rather than silently dropped as a header; so is ``1;2;3``
    (numbers joined by ``;``), so that its error names the separator.
    """
    filled = [t for t in tokens if t.strip()]

    def numeric(t: str) -> bool:
        parts = t.split(";")
        joined = len(parts) > 1 and all(p.strip() and _number_like(p) for p in parts)
        return joined or _number_like(t)

    return bool(filled) and not any(map(numeric, filled))


def _cast_checked(values: np.ndarray, dt: np.dtype) -> tuple[np.ndarray, tuple[int, int] | None]:
    """float64 -> dt; also the first (row, col) that overflowed in the cast, if any."""
    if dt == values.dtype:
        return values, None
    with np.errstate(over="ignore", invalid="ignore"):
        out = values.astype(dt)
    bad = np.isinf(out) & np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        return out, (int(r), int(c))
    return out, None


# --------------------------------------------------------------------------- arguments


def parse_arguments(tokens: list[str], dtype: Any = np.float64) -> np.ndarray:
    """The vector typed on the command line.

    Each argument holds one or more values separated by commas and/or
    whitespace; a leading or trailing comma is allowed (``"1," "2"``), and a
    surrounding ``[...]`` is dropped, so a JSON array pastes in.

    Parameters
    ----------
    tokens : list of str
        The arguments, e.g. ``["1", "2", "3"]``, ``["1,2,3"]`` or ``["-1000", "-2000"]``.
    dtype : dtype, default float64
        Float dtype of the result.

    Returns
    -------
    numpy.ndarray
        One 1-D vector.

    Raises
    ------
    InputError
        ``"argument 2: 'abc' is not a number; ..."`` and the like.

    Examples
    --------
    >>> parse_arguments(["1", "2", "3"])
    array([1., 2., 3.])
    >>> parse_arguments(["1,", "2"]).tolist(), parse_arguments(["1,2,3"]).tolist()
    ([1.0, 2.0], [1.0, 2.0, 3.0])
    >>> parse_arguments(["−1.5", "2e-3"]).tolist()  # U+2212 MINUS SIGN reads as '-'
    [-1.5, 0.002]
    >>> try:
    ...     parse_arguments(["1", "abc"])
    ... except InputError as err:
    ...     print(err.reason[:33])
    argument 2: 'abc' is not a number
    """
    dt = _float_dtype(dtype)
    args = list(tokens)
    values: list[Any] = []
    for number, arg in enumerate(args, 1):
        text = arg
        if number == 1 and text.lstrip().startswith("["):
            text = text.lstrip()[1:]
        if number == len(args) and text.rstrip().endswith("]"):
            text = text.rstrip()[:-1]
        parts = text.split(",")
        pieces: list[str] = []
        for k, part in enumerate(parts):
            words = _split_ws(part)
            if not words and 0 < k < len(parts) - 1:
                raise InputError(
                    f"argument {number}: empty value between commas in {arg!r}; "
                    f"write a number (or nan) there",
                    token=arg,
                )
            pieces.extend(words)
        if not pieces and len(parts) == 1:
            raise InputError(f"argument {number} is empty; give a number", token=arg)
        for k, piece in enumerate(pieces, 1):
            try:
                values.append(_parse_token(piece, dt))
            except _TokenError as err:
                where = f"argument {number}"
                if len(pieces) > 1:
                    where += f", value {k}"
                reason = err.reason.replace(_LABEL_HINT, "")  # no columns on a command line
                raise InputError(f"{where}: {reason}", token=piece) from None
    if not values:
        raise InputError("no values given; pass numbers such as 1 2 3 or 1,2,3")
    return np.array(values, dtype=dt)


# --------------------------------------------------------------------------- text layer


class _PrefixedRaw(io.RawIOBase):
    """Raw reader that serves ``prefix`` and then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: Any) -> None:
        self._prefix = prefix
        self._read = getattr(stream, "read1", None) or stream.read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        return n


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _binary_error(name: str, line: int) -> InputError:
    return InputError(
        "NUL byte: the input looks binary, not text (UTF-16 needs a byte-order mark); "
        "give UTF-8 text",
        source=name,
        line=line,
    )


def _not_utf8_error(name: str, line: int, byte: int) -> InputError:
    return InputError(
        f"byte 0x{byte:02x} is not UTF-8 text: the input looks binary (compressed?) or "
        f"uses another encoding; give UTF-8 text",
        source=name,
        line=line,
    )


def _check_text(text: str, start: int, name: str) -> None:
    """Raise on NUL bytes or undecodable bytes (surrogate escapes) in ``text``."""
    pos = text.find("\x00")
    if pos >= 0:
        raise _binary_error(name, start + text.count("\n", 0, pos))
    if not text.isascii():
        m = _SURROGATE_RE.search(text)
        if m:
            line = start + text.count("\n", 0, m.start())
            raise _not_utf8_error(name, line, ord(m.group()) - 0xDC00)


def _binary_lines(stream: Any, name: str, *, owned: bool = False) -> Iterator[str]:
    """Decode a byte stream (BOM-aware) into lines ending in ``\\n``.

    ``owned``: the stream is a file opened here (seekable; closing it is ours).
    """
    head = b""
    read = getattr(stream, "read1", None) or stream.read
    while len(head) < 4:
        try:
            more = read(65536)
        except OSError as err:  # EIO, ESTALE (a file gone from a network disk), EISDIR
            raise InputError(f"cannot be read ({err.strerror or err})", source=name) from None
        if not more:
            break
        head += more
    encoding = "utf-8"
    for bom, enc in _BOMS:
        if head.startswith(bom):
            encoding = enc
            break
    if encoding in ("utf-8", "utf-8-sig"):
        pos = head.find(b"\x00")
        if pos >= 0:
            raise _binary_error(name, head.count(b"\n", 0, pos) + 1)
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError as err:
            line = head.count(b"\n", 0, err.start) + 1
            raise _not_utf8_error(name, line, head[err.start]) from None
    if owned:
        stream.seek(0)
        buffered = stream
    else:  # never closes the caller's stream
        buffered = io.BufferedReader(_PrefixedRaw(head, stream), buffer_size=1 << 16)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="surrogateescape", newline=None)
    text._CHUNK_SIZE = 1 << 16  # fewer, larger reads
    return iter(text)


_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def _text_lines(stream: Any) -> Iterator[str]:
    """Lines of a text stream, with ``\\r\\n`` and lone ``\\r`` ending lines too."""
    first = True
    for line in stream:
        if first:
            first = False
            if line.startswith("\ufeff"):
                line = line[1:]
        if "\r" in line:
            pieces = _LINE_BREAK_RE.split(line)
            for piece in pieces[:-1]:
                yield piece + "\n"
            if pieces[-1]:
                yield pieces[-1]
        else:
            yield line


class _Lines:
    """The input's text lines with their 1-based numbers, and a push-back buffer."""

    def __init__(self, it: Iterator[str], name: str) -> None:
        self.it = it
        self.name = name
        self.next_no = 1  # number of the next line handed out
        self.pushback: list[str] = []  # handed out before ``it``; the first is line next_no

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except UnicodeError as err:
            raise InputError(
                f"is not valid text ({err}); give UTF-8 text", source=self.name
            ) from None
        except OSError as err:
            raise InputError(f"cannot be read ({err.strerror or err})", source=self.name) from None

    def take(self, n: int) -> tuple[list[str], int]:
        """Up to ``n`` lines and the number of the first one."""
        start = self.next_no
        lines = self.pushback[:n]
        del self.pushback[:n]
        if len(lines) < n:
            lines.extend(self._guard(lambda: list(islice(self.it, n - len(lines)))))
        self.next_no += len(lines)
        return lines, start

    def take_one(self) -> str | None:
        """The next line (its number is then ``next_no - 1``), or None at the end."""
        if self.pushback:
            line = self.pushback.pop(0)
        else:
            line = self._guard(lambda: next(self.it, None))
        if line is not None:
            self.next_no += 1
        return line

    def unread(self, lines: list[str]) -> None:
        """Give back the lines most recently handed out, in their order."""
        self.pushback[:0] = lines
        self.next_no -= len(lines)


_QUOTED_RE = re.compile(r'"(?:[^"]|"")*"')


def _sniff_delimiter(line: str, src: _Lines) -> str:
    """Tab, else comma, else whitespace, looking at the first record outside quotes."""
    text = line
    extra: list[str] = []
    while text.count('"') % 2 and len(extra) < 100:  # a quoted field goes on
        more = src.take_one()
        if more is None:
            break
        _check_text(more, src.next_no - 1, src.name)
        extra.append(more)
        text += more
    src.unread(extra)
    bare = _QUOTED_RE.sub("", text)
    return "\t" if "\t" in bare else "," if "," in bare else " "


def _is_data_line(line: str) -> bool:
    s = line.lstrip()
    return bool(s) and s[0] != "#"


# --------------------------------------------------------------------------- reader


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

    def __init__(self, layout: Layout, batches: Iterator[Batch], closer: Callable[[], None]):
        self.layout = layout
        self._batches = batches
        self._closer = closer

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


def _resolve_source(source: Any) -> tuple[Iterator[str], str, Callable[[], None]]:
    """Lines, display name and closer for any accepted kind of source."""
    if isinstance(source, (str, os.PathLike)) and os.fspath(source) == "-":
        stdin = sys.stdin
        if stdin is None:
            raise InputError("cannot be read: there is no standard input", source="<stdin>")
        buffer = getattr(stdin, "buffer", None)
        if buffer is not None:
            return _binary_lines(buffer, "<stdin>"), "<stdin>", lambda: None
        return _text_lines(stdin), "<stdin>", lambda: None
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
        return lines, name, handle.close
    raw_name = getattr(source, "name", None)
    name = raw_name if isinstance(raw_name, str) else "<stream>"
    if isinstance(source, io.TextIOBase):
        return _text_lines(source), name, lambda: None
    probe = source.read(0)
    if isinstance(probe, str):
        return _text_lines(source), name, lambda: None
    return _binary_lines(source, name), name, lambda: None


def open_vectors(
    source: str | os.PathLike | TextIO | BinaryIO,
    *,
    header: bool | None = None,
    id_column: str | int | None = None,
    fmt: str = "auto",
    chunk_rows: int = 65536,
    dtype: Any = np.float64,
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
    it, name, closer = _resolve_source(source)
    try:
        src = _Lines(it, name)
        first = _first_data_line(src)
        if first is None:
            raise InputError(
                "holds no vectors: it is empty or only blank/comment lines", source=name
            )
        line, number = first
        looks_json = line.lstrip()[:1] in ("[", "{")
        if fmt == "json" or (fmt == "auto" and looks_json):
            if not looks_json:
                raise InputError(
                    "is not JSON: expected an array or object; give --format the right "
                    "input format",
                    source=name,
                    line=number,
                )
            parser: Any = _JsonParser(src, line, number, header, id_column, dt, chunk_rows)
        else:
            if fmt == "auto":
                delim = _sniff_delimiter(line, src)
            else:
                delim = {"csv": ",", "tsv": "\t", "ws": " "}[fmt]
            parser = _DelimitedParser(src, line, number, delim, header, id_column, dt, chunk_rows)
        layout = parser.layout
    except BaseException:
        closer()
        raise
    return VectorReader(layout, _closing(parser.batches(), closer), closer)


def _closing(batches: Iterator[Batch], closer: Callable[[], None]) -> Iterator[Batch]:
    try:
        yield from batches
    finally:
        closer()


def _first_data_line(src: _Lines) -> tuple[str, int] | None:
    """Consume lines up to the first non-blank, non-comment one."""
    while True:
        line = src.take_one()
        if line is None:
            return None
        number = src.next_no - 1
        _check_text(line, number, src.name)
        if _is_data_line(line):
            return line, number


def _resolve_id(
    id_column: str | int | None, names: list[str] | None, ncol: int, name: str, line: int
) -> int | None:
    """0-based id column index from a name or a 1-based position."""
    if id_column is None:
        return None
    if isinstance(id_column, str):
        if names is not None and id_column in names:
            return names.index(id_column)
        if names is not None and id_column.strip() in names:
            return names.index(id_column.strip())
        if id_column.strip().isdigit():
            id_column = int(id_column.strip())
        elif names is None or all(_number_like(n) for n in names):
            raise InputError(
                f"id column {id_column!r} is a name, but the first row holds numbers, not a "
                f"header; "
                f"give its position (counting from 1) instead",
                source=name,
            )
        else:
            shown = ", ".join(repr(n) for n in names[:20])
            raise InputError(
                f"id column {id_column!r} is not in the header ({shown}); "
                f"names must match exactly, or give a position counting from 1",
                source=name,
                line=line,
            )
    k = int(id_column)
    if not 1 <= k <= ncol:
        raise InputError(
            f"id column {k} is out of range: the first row has {ncol} column"
            f"{'s' if ncol != 1 else ''} (positions count from 1)",
            source=name,
            line=line,
        )
    return k - 1


# --------------------------------------------------------------------------- CSV / TSV / ws


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
    ) -> None:
        self.src = src
        self.name = src.name
        self.delim = delim
        self.ws = delim == " "
        self.quoting = not self.ws
        self.np_delim = None if self.ws else delim
        self.dt = dt
        self.chunk_rows = chunk_rows
        raw = [first_line]
        fields = self._split_fields(first_line, self._more_from_source(raw), first_no)
        ncol = len(fields)
        self.ref_line = first_no
        forced_name = isinstance(id_column, str) and not id_column.strip().isdigit()
        if forced_name and header is False:
            raise InputError(
                f"id column {id_column!r} is a name, but header=False says there is no "
                f"header row; give its position (counting from 1)",
                source=self.name,
            )
        # position given -> exclude it from header detection
        pre_idx = None
        if isinstance(id_column, (int, np.integer)) or (
            isinstance(id_column, str) and id_column.strip().isdigit()
        ):
            k = int(id_column)
            if 1 <= k <= ncol:
                pre_idx = k - 1
        self.header_guessed = header is None and not forced_name
        if header is None:
            header = forced_name or _looks_like_header(
                [tok for i, tok in enumerate(fields) if i != pre_idx]
            )
        names = [f.strip() for f in fields] if header else None
        self.id_index = _resolve_id(id_column, names, ncol, self.name, first_no)
        self.ncol = ncol
        self.width = ncol - (self.id_index is not None)
        if self.width < 1:
            raise InputError(
                "holds no value columns: the only column is the id column",
                source=self.name,
                line=first_no,
            )
        self.value_cols = tuple(i for i in range(ncol) if i != self.id_index)
        columns = id_name = None
        if names is not None:
            columns = [n for i, n in enumerate(names) if i != self.id_index]
            id_name = names[self.id_index] if self.id_index is not None else None
            nxt = _first_data_line(src)
            if nxt is None:
                raise InputError(
                    f"holds no vectors: only a header on line {first_no}", source=self.name
                )
            src.unread([nxt[0]])
        else:
            src.unread(raw)
        self.layout = Layout(
            columns=columns,
            id_name=id_name,
            id_index=self.id_index,
            delimiter=delim,
            source_name=self.name,
            width=self.width,
        )

    # -- splitting -----------------------------------------------------------------

    def _more_from_source(self, sink: list[str]) -> Callable[[], str | None]:
        def more() -> str | None:
            line = self.src.take_one()
            if line is not None:
                _check_text(line, self.src.next_no - 1, self.name)
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
        while True:
            try:
                return next(csv.reader([body], delimiter=self.delim, strict=True))
            except csv.Error as err:
                if "unexpected end of data" not in str(err):
                    # stray text after a closing quote: read it leniently, like csv does
                    return next(csv.reader([body], delimiter=self.delim))
                nxt = more()
                if nxt is None:
                    raise InputError(
                        "a quoted field is never closed; add the closing '\"'",
                        source=self.name,
                        line=number,
                    ) from None
                body = body + "\n" + (nxt[:-1] if nxt.endswith("\n") else nxt)

    # -- chunks ------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        # A chunk holds at most chunk_rows lines and about _CHUNK_CHARS characters, so
        # memory stays flat however long the rows are (a few hundred bytes per value
        # while a chunk is parsed, computed and written); the first chunk measures them.
        n = min(self.chunk_rows, _FIRST_CHUNK_ROWS)
        while True:
            lines, start = self.src.take(n)
            if not lines:
                return
            chars = sum(map(len, lines))
            batch = self._chunk(lines, start)
            n = max(1, min(self.chunk_rows, _CHUNK_CHARS * len(lines) // max(chars, 1)))
            if batch is not None:
                yield batch

    def _chunk(self, lines: list[str], start: int) -> Batch | None:
        if not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        text = "".join(lines)
        _check_text(text, start, self.name)
        if self.quoting and '"' in text:
            return self._quoted(lines, start) or self._slow(lines, start)
        if self.ws and not text.isascii() and _FOREIGN_SPACE_RE.search(text):
            return self._slow(lines, start)  # numpy would split 1\u00a0000 into 1 and 000
        numbers = None
        data = lines
        if "#" in text or "\n" in lines:  # comment or empty lines (list test: cheap)
            keep = [i for i, line in enumerate(lines) if _is_data_line(line)]
            if not keep:
                return None
            data = [lines[i] for i in keep]
            numbers = np.asarray(keep, dtype=np.int64) + start
        minus = "\u2212" in text
        filtered = numbers is not None
        if numbers is None:
            numbers = np.arange(start, start + len(data), dtype=np.int64)
        result = self._fast(data, minus, numbers)
        if result is None and not filtered:
            keep = [i for i, line in enumerate(lines) if _is_data_line(line)]
            if not keep:
                return None
            if len(keep) != len(lines):
                data = [lines[i] for i in keep]
                numbers = np.asarray(keep, dtype=np.int64) + start
                result = self._fast(data, minus, numbers)
        if result is None:
            return self._slow(lines, start)
        values, ids = result
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
                if self.id_index is None:
                    values = np.loadtxt(
                        vlines,
                        dtype=np.float64,
                        delimiter=self.np_delim,
                        comments=None,
                        quotechar=None,
                        ndmin=2,
                    )
                else:
                    if self.ws:
                        counts = list(map(len, map(str.split, data)))
                        if counts.count(self.ncol) != len(counts):
                            return None
                    else:
                        counts = list(map(str.count, data, repeat(self.delim)))
                        if counts.count(self.ncol - 1) != len(counts):
                            return None
                    values = np.loadtxt(
                        vlines,
                        dtype=np.float64,
                        delimiter=self.np_delim,
                        comments=None,
                        quotechar=None,
                        ndmin=2,
                        usecols=self.value_cols,
                    )
                    ids = np.loadtxt(
                        data,
                        dtype=str,
                        delimiter=self.np_delim,
                        comments=None,
                        quotechar=None,
                        ndmin=1,
                        usecols=(self.id_index,),
                    ).tolist()
                    if len(ids) != len(data):
                        return None
        except ValueError:
            return None
        if values.shape != (len(data), self.width):
            return None
        if self.dt.itemsize > 8:
            tokens = np.loadtxt(
                vlines,
                dtype=str,
                delimiter=self.np_delim,
                comments=None,
                quotechar=None,
                ndmin=2,
                usecols=self.value_cols,
            )
            values = _long_values(tokens)
        return self._finish(values, data, numbers, ids)

    def _quoted(self, lines: list[str], start: int) -> Batch | None:
        """A chunk with quoted fields, split by the csv module; None if it needs the slow pass."""
        keep = [i for i, line in enumerate(lines) if _is_data_line(line)]
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
        if self.id_index is None:
            flat = list(chain.from_iterable(records))
        else:
            k = self.id_index
            ids = [r[k] for r in records]
            if self.width == 1:
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
        return Batch(values=values, ids=ids, lines=numbers)

    def _finish(
        self, values: np.ndarray, data: list[str], numbers: np.ndarray, ids: list[str] | None
    ) -> tuple[np.ndarray, list[str] | None]:
        """Overflow checks (an infinity must be spelled inf) and the cast to the dtype."""
        long = self.dt.itemsize > 8
        inf_rows = np.flatnonzero(np.isinf(values).any(axis=1))
        for r in inf_rows:
            line = data[r]
            spelled = line.lower().count("inf")
            if ids is not None:
                spelled -= ids[r].lower().count("inf")
            if long or spelled != int(np.isinf(values[r]).sum()):
                self._record_values(line, int(numbers[r]))  # raises on an overflowing literal
        if not long:
            values, bad = _cast_checked(values, self.dt)
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
            found = len(fields)
            if self.id_index is None:
                expected = (
                    f"expected {self.ncol} values (as on line {self.ref_line}), found {found}"
                )
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
        values = []
        for i in self.value_cols:
            try:
                values.append(_parse_token(fields[i], self.dt))
            except _TokenError as err:
                reason = err.reason
                if number == self.ref_line and self.header_guessed and not _number_like(err.token):
                    reason += f"; if line {number} is a header, say so (--header)"
                raise InputError(
                    reason, source=self.name, line=number, column=i + 1, token=err.token.strip()
                ) from None
        ident = fields[self.id_index] if self.id_index is not None else None
        return ident, values

    def _slow(self, lines: list[str], start: int) -> Batch | None:
        """Record by record, with exact error locations (and quoted fields)."""
        rows: list[list[Any]] = []
        ids: list[str] = []
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
        return Batch(
            values=values.reshape(len(rows), self.width),
            ids=ids if self.id_index is not None else None,
            lines=np.asarray(numbers, dtype=np.int64),
        )


# --------------------------------------------------------------------------- JSON


class _Num(str):
    """The text of a JSON number literal (or NaN/Infinity constant), parsed later."""

    __slots__ = ()


# exact: every number kept as its literal text (longdouble; telling 1e400 from Infinity)
class _Decoder(json.JSONDecoder):
    """json's decoder; arrays nested past Python's recursion limit are a syntax error."""

    def raw_decode(self, s: str, idx: int = 0) -> tuple[Any, int]:
        try:
            return super().raw_decode(s, idx)
        except RecursionError:
            raise json.JSONDecodeError("arrays or objects nested too deeply", s, idx) from None


_DECODER = _Decoder(parse_float=_Num, parse_int=_Num, parse_constant=_Num)
# fast: floats parsed in C; integers kept as text (ids as written, -0 keeps its sign)
_FAST_DECODER = _Decoder(parse_int=_Num)
_INF = float("inf")
_NINF = -_INF


def _has_inf(value: Any) -> bool:
    """Whether a fast-decoded value holds an infinity (an Infinity literal or an overflow)."""
    if type(value) is list:
        return _INF in value or _NINF in value
    if type(value) is dict:
        values = value.values()
        return _INF in values or _NINF in values
    return type(value) is float and value in (_INF, _NINF)


_WS_RE = re.compile(r"[ \t\n\r]*")


def _json_kind(value: Any) -> str:
    if isinstance(value, _Num):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    return "object"


def _json_text(value: Any) -> str:
    """An id or header name from a JSON value: strings untouched, others as JSON text."""
    if isinstance(value, str):  # _Num included: the literal as written
        return str(value)
    return json.dumps(value)


def _json_value(value: Any, dt: np.dtype) -> Any:
    """One JSON row element as a number; raises _TokenError."""
    if type(value) is float:  # decoded in C (finite, or NaN)
        if dt.itemsize < 8:
            with np.errstate(over="ignore"):
                if np.isinf(dt.type(value)) and not np.isinf(value):
                    raise _overflow(json.dumps(value), dt)
        return value
    if type(value) is _Num:
        text = str(value)
        if dt.itemsize > 8:
            with warnings.catch_warnings(), np.errstate(over="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = np.longdouble(text)
            if np.isinf(result) and text.lstrip("-") != "Infinity":
                raise _overflow(text, dt)
            return result
        number = float(text)
        if number in (np.inf, -np.inf):
            if text.lstrip("-") != "Infinity":
                raise _overflow(text, np.dtype(np.float64) if dt.itemsize == 8 else dt)
        elif dt.itemsize < 8:
            with np.errstate(over="ignore"):
                if np.isinf(dt.type(number)):
                    raise _overflow(text, dt)
        return number
    if isinstance(value, str):
        if value.strip().lower() in _SPECIAL_WORDS:
            return _parse_token(value, dt)
        hint = (
            "write the number without quotes"
            if _number_like(value) and value.strip()
            else (
                "JSON strings may only spell nan, inf or -inf; name a label column as the id column"
            )
        )
        raise _TokenError(f"{json.dumps(value)[:40]} is a string, not a number; {hint}", value)
    kind = _json_kind(value)
    hint = 'write "nan" for a missing value' if kind == "null" else "write a number"
    raise _TokenError(
        f"{kind if kind in ('null', 'true', 'false') else 'an ' + kind} is not a number; {hint}",
        kind,
    )


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
    ) -> None:
        self.src = src
        self.name = src.name
        self.dt = dt
        self.chunk_rows = chunk_rows
        self.row_no = 0
        self.exact = dt.itemsize > 8
        try:
            alone = _DECODER.decode(first_line)
        except ValueError:
            alone = None
        lines_mode = isinstance(alone, dict) or (
            isinstance(alone, list)
            and len(alone) > 0
            and not any(isinstance(e, (list, dict)) for e in alone)
        )
        if lines_mode:
            self.rows: Iterator[tuple[Any, int]] = self._line_rows(alone, first_no)
        else:
            self.rows = _JsonStream(src, first_line, first_no, self.exact).rows()
        first = next(self.rows, None)
        if first is None:
            raise InputError(
                "holds no vectors: the JSON array is empty", source=self.name, line=first_no
            )
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
        forced_name = isinstance(id_column, str) and not id_column.strip().isdigit()
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

    def _init_layout(self, names, ncol, id_index, header, *, is_object):
        self.ncol = ncol
        self.id_index = id_index
        self.width = ncol - (id_index is not None)
        if not self.single and self.width < 1:
            raise InputError(
                "holds no value columns: the only column is the id column", source=self.name
            )
        self.value_index = [i for i in range(ncol) if i != id_index]
        columns = id_name = None
        if names is not None:
            columns = [n for i, n in enumerate(names) if i != id_index]
            id_name = names[id_index] if id_index is not None else None
        self.columns = columns
        self.layout = Layout(
            columns=columns,
            id_name=id_name,
            id_index=id_index,
            delimiter="json",
            source_name=self.name,
            width=self.width,
        )

    # -- rows --------------------------------------------------------------------------

    def _line_rows(self, first: Any, first_no: int) -> Iterator[tuple[Any, int]]:
        """JSON lines: one array or object per line."""
        yield first, first_no
        while True:
            lines, start = self.src.take(self.chunk_rows)
            if not lines:
                return
            text = "".join(lines)
            _check_text(text, start, self.name)
            keep = [i for i, line in enumerate(lines) if _is_data_line(line)]
            if not keep:
                continue
            decoder = _DECODER if self.exact else _FAST_DECODER
            try:
                rows = decoder.decode("[" + ",".join(lines[i] for i in keep) + "]")
            except ValueError:
                rows = None
            if rows is not None and not self.exact:
                for k, row in enumerate(rows):
                    if _has_inf(row):  # Infinity literal or overflow: keep the text
                        rows[k] = _DECODER.decode(lines[keep[k]])
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
        pending = self._pending
        self._pending = []
        row_no = pending[-1][2] if pending else self.row_no
        chunk: list[tuple[Any, int, int]] = list(pending)
        for value, number in self.rows:
            row_no += 1
            chunk.append((value, number, row_no))
            if len(chunk) >= self.chunk_rows:
                yield self._convert(chunk)
                chunk = []
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
        ids = None
        if ok:
            if self.id_index is not None:
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
                    values, bad = _cast_checked(values, self.dt)
                    ok = bad is None
                if ok:
                    return Batch(values=values, ids=ids, lines=numbers)
        return self._convert_slow(chunk)

    def _convert_slow(self, chunk: list[tuple[Any, int, int]]) -> Batch:
        out: list[list[Any]] = []
        ids: list[str] = []
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
                    raise self._row_error(err.reason, number, row_no, where) from None
            out.append(values)
            if self.id_index is not None:
                ids.append(_json_text(items[self.id_index]))
        return Batch(
            values=np.array(out, dtype=self.dt).reshape(len(out), self.width),
            ids=ids if self.id_index is not None else None,
            lines=np.array([c[1] for c in chunk], dtype=np.int64),
        )


class _JsonStream:
    """Elements of a top-level JSON array (or a lone object), read incrementally."""

    def __init__(self, src: _Lines, first_line: str, first_no: int, exact: bool) -> None:
        self.src = src
        self.decoder = _DECODER if exact else _FAST_DECODER
        self.name = src.name
        self.buf = first_line
        self.pos = 0
        self.base = first_no  # line number of buf[0]
        self.cpos = 0  # cached position ...
        self.cline = first_no  # ... and its line number
        self.eof = False

    def line_of(self, pos: int) -> int:
        if pos < self.cpos:
            return self.base + self.buf.count("\n", 0, pos)
        self.cline += self.buf.count("\n", self.cpos, pos)
        self.cpos = pos
        return self.cline

    def fill(self) -> bool:
        """Append more lines to the buffer (dropping the consumed part); False at EOF."""
        if self.eof:
            return False
        lines, start = self.src.take(_JSON_BLOCK_LINES)
        if not lines:
            self.eof = True
            return False
        text = "".join(lines)
        _check_text(text, start, self.name)
        if self.pos > 0:
            self.base = self.line_of(self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
            self.cpos, self.cline = 0, self.base
        self.buf += text
        return True

    def peek(self) -> str:
        """Skip whitespace; the next character, or '' at the end of input."""
        while True:
            self.pos = _WS_RE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def error(self, reason: str, pos: int | None = None) -> InputError:
        return InputError(
            reason, source=self.name, line=self.line_of(self.pos if pos is None else pos)
        )

    def value(self) -> Any:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as err:
                incomplete = not self.buf[err.pos :].strip()
                if incomplete and self.fill():
                    continue
                raise self.error(
                    f"invalid JSON: {err.msg} (column {err.colno}); check the syntax there",
                    min(err.pos, len(self.buf)),
                ) from None
            if _has_inf(value):  # Infinity literal or overflow: keep the number's text
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            self.pos = end
            return value

    def bulk(self) -> list[tuple[Any, int]] | None:
        """Many elements at once when each sits on its own line followed by a comma.

        That is the writer's layout; anything else returns None (element by element).
        """
        start = self.pos
        if start and self.buf[start - 1] not in "\n \t\r[":
            return None
        end = self.buf.rfind("\n", start)
        if end - start < 256:
            return None
        lines = self.buf[start:end].split("\n")
        used = 0
        for line in lines:
            body = line.strip()
            if not body or body[0] not in "[{" or body[-1] != ",":
                break
            used += 1
        if used < 2:
            return None
        texts = [line.strip()[:-1] for line in lines[:used]]
        try:
            values = self.decoder.decode("[" + ",".join(texts) + "]")
        except ValueError:
            return None
        if len(values) != used:
            return None
        if self.decoder is not _DECODER:
            for k, value in enumerate(values):
                if _has_inf(value):
                    values[k] = _DECODER.decode(texts[k])
        first = self.line_of(start)
        self.pos = start + sum(map(len, lines[:used])) + used  # past the last line's newline
        return list(zip(values, range(first, first + used), strict=True))

    def rows(self) -> Iterator[tuple[Any, int]]:
        c = self.peek()
        if c == "{":
            number = self.line_of(self.pos)
            yield self.value(), number
            self.expect_end()
            return
        if c != "[":
            raise self.error("is not a JSON array or object; give one vector per row")
        self.pos += 1
        if self.peek() == "]":
            self.pos += 1
            self.expect_end()
            return
        while True:
            bulk = self.bulk()
            if bulk:
                yield from bulk
                c = self.peek()
                if c == "]":
                    raise self.error("invalid JSON: trailing comma before ']'; remove it")
                if c == "":
                    raise self.error("invalid JSON: the array is never closed; add the final ']'")
                continue
            number = self.line_of(self.pos)
            yield self.value(), number
            c = self.peek()
            if c == ",":
                self.pos += 1
                c = self.peek()
                if c == "]":
                    raise self.error("invalid JSON: trailing comma before ']'; remove it")
                if c == "":
                    raise self.error("invalid JSON: the array is never closed; add the final ']'")
                continue
            if c == "]":
                self.pos += 1
                break
            if c == "":
                raise self.error("invalid JSON: the array is never closed; add the final ']'")
            raise self.error(f"invalid JSON: expected ',' or ']' but found {c!r}")
        self.expect_end()

    def expect_end(self) -> None:
        if self.peek() != "":
            raise self.error(
                "extra text after the JSON document; give one document "
                "(or one array/object per line)"
            )
        # release the buffer
        self.buf = ""
        self.pos = 0
