"""What the first lines say about the layout: data lines, delimiter, header, id column.

Blank lines and ``#`` comments are not data. The delimiter is a tab, else a comma,
else runs of whitespace (looking outside quoted fields). A first row is a header
when every filled token is text; the id column is a header name or a position
counting from 1.

Examples
--------
>>> _looks_like_header(["a", "b"]), _looks_like_header(["a", "1"])
(True, False)
>>> _looks_like_header(["1.5e", "1.5D+00"]), _looks_like_header(["0x10", "0x20"])
(False, False)
>>> _is_data_line("  # comment\\n"), _is_data_line("1,2\\n")
(False, True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .decode import _Lines
from .errors import InputError
from .numbers import _number_like


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
