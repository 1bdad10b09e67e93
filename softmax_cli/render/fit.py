"""The one table builder for numbers: fits the terminal's width and never cuts a number.

A table of numbers wider than the terminal is fitted in this order: fewer significant
digits (never below :data:`MIN_DIGITS`, always keeping the exponent), then head … tail of
the columns (the frozen columns, such as an index or an id, always stay); rows beyond
``max_rows`` show as head … tail. Every shown number is whole: each column is at least as
wide as its widest number, and the table's width is computed before rich lays it out, so
rich never has to squeeze (and cut) a cell. What is hidden is said in the caption.

Cells are floats (formatted with ``precision`` significant digits), strings holding a
number's decimal text (shortened with :func:`shorten`, exponent kept), or
:class:`~rich.text.Text` (shown as it is: a flag, a label). Headers are user text
(escaped by :func:`~softmax_cli.render.text.plain`).

Examples
--------
>>> import numpy as np
>>> from rich.console import Console
>>> cols = [Column("i", range(3), frozen=True, style="dim")]
>>> cols += [Column(f"c{j}", np.full(3, 4.906451e-05)) for j in range(12)]
>>> t = fit_table(cols, precision=6, width=60)
>>> console = Console(width=60, color_system=None)
>>> with console.capture() as cap:
...     console.print(t)
>>> "4.91e-05" in cap.get(), "8 of 12 columns not shown" in cap.get(), "4.90645…" in cap.get()
(True, True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from rich import box
from rich.console import Console, ConsoleOptions
from rich.table import Table
from rich.text import Text

from .text import plain

#: Fewest significant digits a fitted table shows before it hides columns instead.
MIN_DIGITS = 3
#: Rows a terminal table shows before it shows head … tail.
MAX_ROWS = 40
GAP = "⋮"


def fmt_number(v: float, precision: int) -> str:
    """A float for a human: ``precision`` significant digits, ``inf``/``nan`` spelled out.

    Examples
    --------
    >>> fmt_number(0.123456789, 4), fmt_number(float("-inf"), 4), fmt_number(0.0, 3)
    ('0.1235', '-inf', '0')
    >>> fmt_number(4.906451e-05, 3)
    '4.91e-05'
    """
    f = float(v)
    if np.isnan(f):
        return "nan"
    if np.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:.{precision}g}"


def shorten(text: str, precision: int) -> str:
    """A number's decimal text with at most ``precision`` significant digits, exponent kept.

    Text that is not a finite decimal number (``nan``, ``-inf``, a word) comes back as it is.

    Examples
    --------
    >>> shorten("1.3797886833213697e-434", 5), shorten("0.25", 5), shorten("1.0", 3)
    ('1.3798e-434', '0.25', '1.0')
    >>> shorten("123456.789", 4), shorten("nan", 4)
    ('1.235e+05', 'nan')
    """
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not d.is_finite() or d.is_zero():
        return text
    digits = len(d.as_tuple().digits)
    if digits <= precision:
        return text
    if "e" not in text.lower() and abs(d.adjusted()) < precision:
        # a fixed-point number: keep it fixed-point with fewer digits after the point
        places = max(precision - 1 - d.adjusted(), 0)
        return f"{d:.{places}f}"
    out = f"{d:.{precision - 1}e}"
    mant, _, exp = out.partition("e")
    sign = "-" if exp.startswith("-") else "+"
    return f"{mant}e{sign}{exp.lstrip('+-').zfill(2)}"


@dataclass
class Column:
    """One column: its header (user text), its cells, and how it shows."""

    header: str | Text  #: a str is escaped; a Text is shown as it is
    cells: Sequence[Any]
    justify: str = "right"
    style: str | None = None
    frozen: bool = False  #: always shown (an index, an id, τ)
    footer: Any = None
    texts: dict[int, str] = field(default_factory=dict, repr=False)


def shown_rows(n: int, max_rows: int | None) -> list[int | None]:
    """Row indices to show, ``None`` marking the gap: head … tail of a long table.

    Examples
    --------
    >>> shown_rows(4, 10)
    [0, 1, 2, 3]
    >>> shown_rows(100, 8)
    [0, 1, 2, 3, 4, 5, None, 98, 99]
    """
    if max_rows is None or max_rows <= 0 or n <= max_rows:
        return list(range(n))
    tail = max(1, max_rows // 4)
    head = max_rows - tail
    return [*range(head), None, *range(n - tail, n)]


def _header_min(header: str | Text) -> int:
    """The narrowest a header gets: its longest word."""
    return max((Text(w).cell_len for w in str(header).split()), default=1)


def _header_full(header: str | Text) -> int:
    """A header's width unwrapped: its longest line."""
    return max(Text(line).cell_len for line in str(header).split("\n"))


def _cell_text(v: Any, precision: int) -> str | Text:
    if isinstance(v, Text):
        return v
    if isinstance(v, str):
        return shorten(v, precision)
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    return fmt_number(v, precision)


def _width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(cell)


def table_width(widths: Sequence[int], pad_edge: bool = True) -> int:
    """The width rich gives a ``SIMPLE_HEAD`` table whose columns are ``widths`` wide."""
    n = len(widths)
    return sum(widths) + 3 * n + 1 - (0 if pad_edge else 2)


class Fitted:
    """A table fitted when printed, to the width the console gives it.

    ``build(width)`` makes the :class:`~rich.table.Table`; printing calls it with the
    console's (or the enclosing layout's) width.
    """

    def __init__(self, build: Callable[[int], Table]) -> None:
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Table]:
        yield self.build(options.max_width)


def fit_table(
    columns: Sequence[Column],
    *,
    precision: int,
    width: int | None = None,
    max_rows: int | None = MAX_ROWS,
    rows: Sequence[int | None] | None = None,
    hidden_rows: int | None = None,
    title: str | None = None,
    caption: str | None = None,
    pad_edge: bool = True,
    unit: str = "rows",
    sections: Sequence[int] = (),
) -> Table | Fitted:
    """A rich table of ``columns`` that fits ``width`` without cutting a number.

    ``rows`` (indices, ``None`` for the gap) overrides the head … tail choice made with
    ``max_rows``; ``hidden_rows`` is then the number of rows the gap stands for. Without
    ``width`` the table is fitted when printed (a :class:`Fitted`). A section line
    follows each row in ``sections`` (row indices).
    """
    if width is None:
        kwargs = dict(locals())
        del kwargs["width"], kwargs["columns"]
        return Fitted(lambda w: fit_table(columns, width=w, **kwargs))  # type: ignore[return-value]
    columns, trimmed = _candidates(columns, width)
    n = len(columns[0].cells) if columns else 0
    if rows is None:
        rows = shown_rows(n, max_rows)
        hidden_rows = n - (len(rows) - 1) if None in rows else 0
    real = [r for r in rows if r is not None]
    head_w = [_header_min(c.header) for c in columns]

    def cells_at(p: int) -> list[list[str | Text]]:
        return [[_cell_text(c.cells[r], p) for r in real] for c in columns]

    p = precision
    cells = cells_at(p)
    widths = [max([head_w[j], 1, *map(_width, cells[j])]) for j in range(len(columns))]
    while table_width(widths, pad_edge) > width and p > MIN_DIGITS:
        p -= 1
        cells = cells_at(p)
        widths = [max([head_w[j], 1, *map(_width, cells[j])]) for j in range(len(columns))]
    keep = _keep_columns(columns, widths, width, pad_edge, trimmed > 0)
    spare = width - table_width([widths[k] if k is not None else 1 for k in keep], pad_edge)
    for k in keep:  # room left: unwrap headers, narrowest first
        if k is not None:
            need = _header_full(columns[k].header) - widths[k]
            if 0 < need <= spare:
                widths[k] += need
                spare -= need
    notes = []
    if p < precision:
        notes.append(f"{p} significant digits to fit {width} columns")
    if hidden_rows:
        notes.append(f"{GAP} {hidden_rows:,} of {len(real) + hidden_rows:,} {unit} not shown")
    if None in keep:
        hideable = sum(1 for c in columns if not c.frozen) + trimmed
        shown = sum(1 for k in keep if k is not None and not columns[k].frozen)
        hidden_cols = hideable - shown
        notes.append(f"… {hidden_cols:,} of {hideable:,} columns not shown")
    if notes:
        notes[-1] += "; --format csv shows every number"
    lines = [plain(x) for x in (caption.split("\n") if caption else [])]
    lines += [Text(x) for x in notes]
    full_caption = Text("\n").join(lines) if lines else None
    table = Table(
        title=plain(title) if title is not None else None,
        caption=full_caption,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
        pad_edge=pad_edge,
        show_footer=any(c.footer is not None for c in columns),
    )
    for k in keep:
        if k is None:
            table.add_column("…", justify="center", min_width=1, no_wrap=True)
            continue
        c = columns[k]
        footer = c.footer if isinstance(c.footer, Text) or c.footer is None else plain(c.footer)
        table.add_column(
            c.header if isinstance(c.header, Text) else plain(c.header),
            justify=c.justify,  # type: ignore[arg-type]
            style=c.style,
            width=widths[k],  # fixed: rich then never squeezes (and cuts) a number
            footer=footer or "",
            overflow="fold",
        )
    pos = {r: i for i, r in enumerate(real)}
    for r in rows:
        if r is None:
            table.add_row(*[GAP] * len(keep))
            continue
        cells_r = ("…" if k is None else cells[k][pos[r]] for k in keep)
        table.add_row(*cells_r, end_section=r in sections)
    return table


def natural_width(
    columns: Sequence[Column], precision: int, pad_edge: bool = True, wrap: bool = True
) -> int:
    """The width of ``columns`` at ``precision`` digits, headers wrapped at their spaces
    (``wrap``) or whole."""
    widths = []
    for c in columns:
        head = _header_min(c.header) if wrap else _header_full(c.header)
        widths.append(max([head, 1, *(_width(_cell_text(v, precision)) for v in c.cells)]))
    return table_width(widths, pad_edge)


def _candidates(columns: Sequence[Column], width: int) -> tuple[list[Column], int]:
    """The columns that could fit at all (a shown column takes at least 4 characters).

    Returns them and how many were left out of the middle, so that a vector of 150 000
    columns formats a few dozen cells per row, not all of them.
    """
    frozen = [c for c in columns if c.frozen]
    rest = [c for c in columns if not c.frozen]
    room = max(width // 4, 2)
    if len(rest) <= room + 2:
        return list(columns), 0
    head, tail = rest[: room - room // 3], rest[len(rest) - room // 3 :]
    return [*frozen, *head, *tail], len(rest) - len(head) - len(tail)


def _keep_columns(
    columns: Sequence[Column], widths: list[int], width: int, pad_edge: bool, trimmed: bool
) -> list[int | None]:
    """Column indices to show (``None`` for the gap): all, or frozen + head … tail."""
    if not trimmed and table_width(widths, pad_edge) <= width:
        return list(range(len(columns)))
    frozen = [j for j, c in enumerate(columns) if c.frozen]
    rest = [j for j, c in enumerate(columns) if not c.frozen]
    used = [widths[j] for j in frozen] + [1]  # the gap column
    head: list[int] = []
    tail: list[int] = []
    lo, hi = 0, len(rest) - 1
    turn = 0
    while lo <= hi:
        j = rest[lo] if turn % 3 != 2 else rest[hi]  # two from the head for one from the tail
        if table_width([*used, widths[j]], pad_edge) > width:
            break
        used.append(widths[j])
        if turn % 3 != 2:
            head.append(j)
            lo += 1
        else:
            tail.append(j)
            hi -= 1
        turn += 1
    if lo > hi and not trimmed:  # everything fitted after all
        return list(range(len(columns)))
    return [*frozen, *head, None, *reversed(tail)]
