"""Which columns hold the logits: the ``columns`` selection (``-c`` on the command line).

The conventions of csvkit and xsv: items separated by commas, each a header name, a
position counting from 1, or a range of either (``2-11``, ``3-``, ``cat-fish``,
inclusive); an item starting with ``!`` is left out (``!id``: every column but ``id``).
The logits are read from the chosen columns in the order given; every other column is
passed through to the output untouched.

Examples
--------
>>> sel = parse_columns("2-4,!3")
>>> resolve_columns(sel, None, 5, "<stdin>")
(1, 3)
>>> resolve_columns(parse_columns("!id"), ["id", "a", "b"], 3, "<stdin>")
(1, 2)
>>> resolve_columns(parse_columns("b,a"), ["id", "a", "b"], 3, "<stdin>")
(2, 1)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import SoftmaxInputError
from .errors import InputError
from .numbers import _number_like
from .records import Layout

_RANGE = re.compile(r"(\d+)?-(\d+)?")


@dataclass(frozen=True)
class Selection:
    """A parsed ``columns`` value: the items to take and the items to leave out."""

    take: tuple[str | int, ...]
    leave: tuple[str | int, ...]
    by_name: bool  # some item names a column: the first row must be a header


def parse_columns(spec: str | Sequence[str | int]) -> Selection:
    """Parse a selection: ``"a,2-5,!id"`` or a sequence of names and 1-based positions.

    Raises
    ------
    SoftmaxInputError
        An empty selection or item, a position below 1 (``param="columns"``).
    """
    if isinstance(spec, str):
        items: list[str | int] = [t.strip() for t in spec.split(",")]
    else:
        items = list(spec)
    if not items or any(isinstance(i, str) and not i.lstrip("!").strip() for i in items):
        raise SoftmaxInputError(
            f"{{param}} needs names or positions separated by commas (like 2-11 or !id), "
            f"got {spec!r}",
            param="columns",
        )
    take: list[str | int] = []
    leave: list[str | int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise SoftmaxInputError(
                f"{{param}} items are names or positions, not {item!r}", param="columns"
            )
        if isinstance(item, int) and item < 1:
            raise SoftmaxInputError(
                f"{{param}} position {item} is out of range: positions count from 1",
                param="columns",
            )
        bare = item.lstrip("!").strip() if isinstance(item, str) else ""
        m = _RANGE.fullmatch(bare)
        ends = [int(bare)] if bare.isdigit() else [int(g) for g in m.groups() if g] if m else []
        if 0 in ends or (len(ends) == 2 and ends[0] > ends[1]):
            raise SoftmaxInputError(
                f"{{param}} item {item!r} is out of range: positions count from 1 and "
                f"ranges go up (2-11)",
                param="columns",
            )
        if isinstance(item, str) and item.startswith("!"):
            leave.append(item[1:].strip())
        else:
            take.append(item)
    by_name = any(isinstance(i, str) and not _positional(i) for i in take + leave)
    return Selection(tuple(take), tuple(leave), by_name)


def _positional(item: str) -> bool:
    """``7``, ``2-11``, ``3-``: positions, not names."""
    return item.isdigit() or (_RANGE.fullmatch(item) is not None and item != "-")


def _one(
    item: str | int, names: list[str] | None, ncol: int, source: str, line: int | None
) -> list[int]:
    """The 0-based positions one item names."""
    if isinstance(item, int):
        return _positions(item, item, ncol, source, line, str(item))
    if names is not None and item in names:
        return [names.index(item)]
    if item.isdigit():
        return _positions(int(item), int(item), ncol, source, line, item)
    m = _RANGE.fullmatch(item)
    if m is not None and item != "-":
        lo = int(m.group(1)) if m.group(1) else 1
        hi = int(m.group(2)) if m.group(2) else ncol
        return _positions(lo, hi, ncol, source, line, item)
    if names is not None and "-" in item:  # a range of names: cat-fish
        for cut in (i for i, ch in enumerate(item) if ch == "-"):
            a, b = item[:cut], item[cut + 1 :]
            if a in names and b in names:
                i, j = names.index(a), names.index(b)
                if i > j:
                    break
                return list(range(i, j + 1))
    if names is None or all(_number_like(n) for n in names):
        raise InputError(
            f"column {item!r} ({{columns}}) is a name, but the first row holds values, not "
            f"a header; give positions counting from 1",
            source=source,
        )
    shown = ", ".join(repr(n) for n in names[:20])
    raise InputError(
        f"column {item!r} ({{columns}}) is not in the header ({shown}); names must match "
        f"exactly; a range is first-last",
        source=source,
        line=line,
    )


def _positions(lo: int, hi: int, ncol: int, source: str, line: int | None, item: str) -> list[int]:
    if not 1 <= lo <= hi <= ncol:
        raise InputError(
            f"column {item!r} ({{columns}}) is out of range: the first row has {ncol} "
            f"column{'s' if ncol != 1 else ''} (positions count from 1, ranges go up)",
            source=source,
            line=line,
        )
    return list(range(lo - 1, hi))


def resolve_columns(
    sel: Selection, names: list[str] | None, ncol: int, source: str, line: int | None = None
) -> tuple[int, ...]:
    """The 0-based positions of the logit columns, in the order the selection gives.

    Raises
    ------
    InputError
        A name not in the header, a position out of range, a column chosen twice, or
        nothing left.
    """
    chosen: list[int] = []
    for item in sel.take or (f"1-{ncol}",):
        for pos in _one(item, names, ncol, source, line):
            if pos in chosen:
                raise InputError(
                    f"column {pos + 1} is chosen twice ({{columns}}); name each column once",
                    source=source,
                )
            chosen.append(pos)
    left = {pos for item in sel.leave for pos in _one(item, names, ncol, source, line)}
    kept = tuple(p for p in chosen if p not in left)
    if not kept:
        raise InputError(
            "holds no logit columns: the selection ({columns}) leaves none", source=source
        )
    return kept


def _split_columns(
    sel: Selection,
    id_index: int | None,
    names: list[str] | None,
    ncol: int,
    source: str,
    line: int,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(logit columns, pass-through columns) of a row: the id column first among the latter."""
    if id_index is not None and not sel.take:  # only !name items: all but them and the id
        sel = Selection((f"1-{ncol}",), (*sel.leave, id_index + 1), sel.by_name)
    values = resolve_columns(sel, names, ncol, source, line)
    passed = [i for i in range(ncol) if i not in values]
    if id_index is not None:
        if id_index in values:
            raise InputError(
                f"the id column (column {id_index + 1}) is also chosen as a logit column "
                f"({{columns}}); leave it out (!{id_index + 1})",
                source=source,
            )
        passed.remove(id_index)
        passed.insert(0, id_index)
    return values, tuple(passed)


def _select_layout(
    layout: Layout, names: list[str] | None, values: tuple[int, ...], passed: tuple[int, ...]
) -> None:
    """Fill ``layout`` in for a selection: logit column names in order, pass-through names."""
    layout.positions = values
    if names is not None:
        layout.columns = [names[i] for i in values]
    if len(passed) > 1:
        layout.passed = [
            names[i] if names is not None else f"id{k + 1}" for k, i in enumerate(passed)
        ]
        layout.id_name = " ".join(layout.passed)
    elif passed:
        layout.id_name = names[passed[0]] if names is not None else None
    else:
        layout.id_name = None
