"""What the first lines say about the layout: data lines, delimiter, header, id column.

Blank lines and ``#`` comments are not data. The delimiter is a tab, else a comma,
else runs of whitespace (looking outside quoted fields). A first row is a header
when every filled token is text; the id column is a header name or a position
counting from 1. Without one, an id column is found in two cases (:func:`_sniffed_id`):
pandas' unnamed index (a header whose first field alone is empty) and a leading column
named by the header whose first value is text. pandas' default column names ``0,1,…``
on line 1 are a header when an empty field leads them, else ambiguous
(:func:`_counting`): say whether line 1 is a header.

Examples
--------
>>> _looks_like_header(["a", "b"]), _looks_like_header(["a", "1"])
(True, False)
>>> _looks_like_header(["1.5e", "1.5D+00"]), _looks_like_header(["0x10", "0x20"])
(False, False)
>>> _is_data_line("  # comment\\n"), _is_data_line("1,2\\n")
(False, True)
>>> _counting(["0", "1", "2"]), _counting(["1", "2"]), _counting(["0", "1.0"])
(True, False, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...errors import SoftmaxInputError
from .decode import _Lines
from .errors import InputError
from .numbers import _MISSING_WORDS, _number_like


def _is_data_line(line: str) -> bool:
    s = line.lstrip()
    return bool(s) and s[0] != "#"


def _data_indices(lines: list[str]) -> list[int]:
    """Positions of the data lines (not blank, not a comment) in ``lines``."""
    return [i for i, line in enumerate(lines) if _is_data_line(line)]


def _id_is_name(id_column: str | int | None) -> bool:
    """Whether the id column is given by a header name (a string that is not a position)."""
    return isinstance(id_column, str) and not id_column.strip().isdigit()


def _first_data_line(src: _Lines) -> tuple[str, int] | None:
    """Consume lines up to the first non-blank, non-comment one."""
    while True:
        line = src.take_one_checked()
        if line is None:
            return None
        if _is_data_line(line):
            return line, src.next_no - 1


_QUOTED_RE = re.compile(r'"(?:[^"]|"")*"')


def _sniff_delimiter(line: str, src: _Lines) -> str:
    """Tab, else comma, else whitespace, looking at the first record outside quotes."""
    text = line
    extra: list[str] = []
    while text.count('"') % 2 and len(extra) < 100:  # a quoted field goes on
        more = src.take_one_checked()
        if more is None:
            break
        extra.append(more)
        text += more
    src.unread(extra)
    bare = _QUOTED_RE.sub("", text) if '"' in text else text  # no copy of a wide row
    return "\t" if "\t" in bare else "," if "," in bare else " "


#: A number gone wrong, not a column name: a cut exponent (``1.5e``, ``2E+``), a Fortran
#: exponent (``1.5D+00``) or hexadecimal (``0x10``). A first row of these is data, so
#: its bad token is reported at line 1 instead of the row vanishing as a header.
_MALFORMED_NUMBER = re.compile(
    r"[-+\u2212]?(?:(?:\d+\.?\d*|\.\d+)[eEdD][-+]?\d*|0[xX][0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?"
    r"(?:[pP][-+]?\d+)?)"
)


def _looks_like_header(tokens: Iterable[str]) -> bool:
    """A header names columns: every non-empty token is text, not a number.

    A first row that mixes numbers and text is taken for data (its bad token is
    then reported) rather than silently dropped as a header; so is ``1;2;3``
    (numbers joined by ``;``), so that its error names the separator. Stops at
    the first number (``tokens`` may be a lazy iterator over a very wide row).
    """

    def numeric(t: str) -> bool:
        parts = t.split(";")
        joined = len(parts) > 1 and all(p.strip() and _number_like(p) for p in parts)
        return joined or _number_like(t) or _MALFORMED_NUMBER.fullmatch(t.strip()) is not None

    filled = False
    for t in tokens:
        if t.strip():
            if numeric(t):
                return False
            filled = True
    return filled


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


def _counting(tokens: list[str]) -> bool:
    """Whether ``tokens`` are exactly ``0, 1, …, k-1``: pandas' default column names."""
    return bool(tokens) and all(t.strip() == str(i) for i, t in enumerate(tokens))


def _pandas_index(fields: list[str]) -> bool:
    """A first row ``,a,b`` or ``,0,1``: ``df.to_csv()``'s header over an unnamed index."""
    return len(fields) >= 2 and not fields[0].strip() and all(f.strip() for f in fields[1:])


def _is_label(token: str) -> bool:
    """Text that cannot be a value: with a letter, and not a number (``inf``), a malformed
    one (``1.5e``, ``0x10``) or a missing-value word (``NA``). ``1,5`` or ``2024-01-01``
    have no letter: they may be numbers gone wrong, so they are reported, not passed."""
    s = token.strip()
    return (
        any(ch.isalpha() for ch in s)
        and not _number_like(s)
        and s.lower() not in _MISSING_WORDS
        and _MALFORMED_NUMBER.fullmatch(s) is None
    )


def _sniffed_id(names: list[str], first_row: list[str] | None) -> tuple[int | None, bool]:
    """The id column found without ``id_column``: (0-based index or None, checked).

    Column 1 is the id column when the header leaves it unnamed and names every
    other column (pandas' index: its values may be numbers), or when the header names
    it and the first data row holds text there and numbers are possible elsewhere
    (``checked``: every later row must hold text there too, else the reader stops
    and names ``id_column`` rather than silently computing a shifted row).

    Examples
    --------
    >>> _sniffed_id(["", "a", "b"], ["0", "1.5", "2"])
    (0, False)
    >>> _sniffed_id(["id", "a", "b"], ["img-1", "1.5", "2"])
    (0, True)
    >>> _sniffed_id(["id", "a", "b"], ["7", "1.5", "2"]), _sniffed_id(["a"], ["x"])
    ((None, False), (None, False))
    """
    if len(names) < 2:
        return None, False
    if _pandas_index(names):
        return 0, False
    if (
        first_row is not None
        and len(first_row) == len(names)
        and names[0]
        and _is_label(first_row[0])
    ):
        return 0, True
    return None, False


#: Names a delimiter may be given by (the shell makes a tab hard to type)
_DELIMITER_NAMES = {
    "\\t": "\t",
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "space": " ",
    "whitespace": " ",
}


def normalize_delimiter(delimiter: str) -> str:
    """The one-character delimiter a user gave (``;``, ``|``, ``tab`` or ``\\t``, ``space``).

    ``" "`` means runs of spaces and tabs. A character that can be part of a number,
    a quote, ``#`` or a line break cannot separate values.

    Examples
    --------
    >>> normalize_delimiter(";"), normalize_delimiter("tab"), normalize_delimiter("\\\\t")
    (';', '\\t', '\\t')
    """
    d = _DELIMITER_NAMES.get(delimiter.lower() if len(delimiter) > 1 else delimiter, delimiter)
    if len(d) != 1 or d in '\n\r"#' or d.isalnum() or d in ".+-\u2212_":
        raise SoftmaxInputError(
            f"{{param}} must be one character that cannot be part of a number (such as "
            f"',', ';', '|', tab or space), not {delimiter!r}",
            param="delimiter",
        )
    return " " if d == " " else d
