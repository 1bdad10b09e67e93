"""Rich renderables for ``softmax compare``, built from :mod:`softmax_cli.analysis.compare` records.

One vector gives two tables (the values, then the errors in ULPs with their
flags and the condition number) and the verdict; ``--explain`` adds the steps
of each implementation; many rows give one summary line per row. Nothing here
computes: every number comes from the records. Tables stay within 80 columns
for vectors of any length: long vectors show their head and tail.

Examples
--------
>>> from rich.console import Console
>>> from softmax_cli.analysis.compare import compare_vector
>>> console = Console(width=80, color_system=None)
>>> with console.capture() as cap:
...     console.print(comparison(compare_vector([1.0, 2.0, 3.0, 4.0, 5.0])))
>>> "0.63640865" in cap.get() and "0.6364086465588308" in cap.get()
True
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..analysis.compare import (
    IMPLEMENTATIONS,
    LABELS,
    Comparison,
    RowSummary,
    Trace,
    dtype_name,
    format_kappa,
    format_ulp,
    summary_verdict,
)
from ..floats import is_float_dtype
from .bits import bits_tables
from .fit import Column, Fitted, fit_table, natural_width, shown_rows
from .text import plain

__all__ = [
    "comparison",
    "errors_table",
    "explain_tables",
    "numpy_column",
    "scalar_table",
    "summary_table",
    "summary_view",
    "values_table",
    "verdict",
]


def numpy_column(values: np.ndarray, digits: int) -> list[str]:
    """Each value to ``digits`` significant digits, in the notation numpy picks for the
    whole array (so a column reads like ``print(p)``).

    ``digits`` counts significant digits, as ``--precision`` does in every command; the
    digits before the point are all kept (``12345678.`` stays whole at 3 digits).

    Examples
    --------
    >>> numpy_column(np.array([0.0116562309, 0.2341216573]), 8)
    ['0.011656231', '0.23412166']
    >>> numpy_column(np.array([0.0, np.nan, 12345678.9]), 3)
    ['0.', 'nan', '12345679.']
    >>> numpy_column(np.array([1e-300, 0.5]), 3)
    ['1.e-300', '5.e-01']
    """
    a = np.asarray(values).ravel()
    if a.size == 0:
        return []

    def numpy_text(precision: int) -> list[str]:
        text = np.array2string(
            a,
            precision=precision,
            floatmode="maxprec",
            separator="|",
            threshold=sys.maxsize,
            max_line_width=sys.maxsize,
        )
        return [t.strip() for t in text.strip("[]").split("|")]

    if not is_float_dtype(a.dtype):
        return numpy_text(digits)
    probe = numpy_text(digits)
    if any("e" in t for t in probe):  # numpy shows this array in scientific notation
        return numpy_text(max(digits - 1, 0))  # one digit before the point, the rest after
    out = []
    for v in a:
        whole = len(str(int(abs(v)))) if np.isfinite(v) and abs(v) >= 1 else 0
        out.append(
            np.format_float_positional(
                v, precision=max(digits, whole), unique=True, fractional=False, trim="."
            )
        )
    return out


def _shown(n: int, max_rows: int) -> list[int | None]:
    """Indices to show, ``None`` marking the gap: the head and the tail of a long vector."""
    if max_rows <= 0 or n <= max_rows:
        return list(range(n))
    tail = max(1, max_rows // 4)
    head = max_rows - tail
    return [*range(head), None, *range(n - tail, n)]


def _title(cmp: Comparison) -> str:
    tau = f", τ = {cmp.temperature:g}" if cmp.temperature != 1.0 else ""
    tgt = f", target {cmp.target}" if cmp.target is not None else ""
    acc = f", sums in {dtype_name(cmp.accumulate)}" if cmp.accumulate is not None else ""
    return (
        f"{cmp.method} of {cmp.x.size} logit{'s' if cmp.x.size != 1 else ''} in "
        f"{dtype_name(cmp.dtype)}{tau}{tgt}{acc} · oracle at {cmp.dps} digits"
    )


def _gap(n_hidden: int, columns: int) -> list[str]:
    return ["⋮", f"{n_hidden} more", *[""] * (columns - 2)]


def values_table(cmp: Comparison, precision: int = 8, max_rows: int = 20) -> Fitted:
    """One row per entry: x, each implementation's result, and the oracle to 17 digits.

    Fitted to the width when printed: the implementations' columns first lose digits
    after the point (down to 3), keeping the oracle's 17; then every number loses
    significant digits (exponents kept), then columns go (head … tail). A number is
    never cut nor wrapped (:func:`~softmax_cli.render.fit.fit_table`).
    """

    def columns(p: int) -> list[Column]:
        cols = [Column("i", range(cmp.x.size), style="dim", frozen=True)]
        cols.append(Column("x", numpy_column(cmp.x, p)))
        for r in cmp.results:
            style = "bold" if r.name == "accurate" else None
            cols.append(Column(r.label, numpy_column(r.values, p), style=style))
        oracle = Column("oracle (17 digits)", cmp.oracle_text, justify="left", style="green")
        return [*cols, oracle]

    def build(width: int) -> Table:
        rows = shown_rows(cmp.x.size, max_rows)
        p = precision
        while p > 3 and natural_width(_rows_of(columns(p), rows), 17, False) > width:
            p -= 1
        return fit_table(
            columns(p),
            precision=17,
            width=width,
            rows=rows,
            hidden_rows=cmp.x.size - (len(rows) - (None in rows)),
            pad_edge=False,
            unit="entries",
        )

    return Fitted(build)


def _rows_of(columns: list[Column], rows: list[int | None]) -> list[Column]:
    """The columns cut down to the rows that will be shown."""
    real = [r for r in rows if r is not None]
    return [Column(c.header, [c.cells[r] for r in real]) for c in columns]


def _cell(ulp: float, flags: Sequence[str]) -> Text:
    text = Text(format_ulp(ulp))
    if flags:
        bad = any(f in ("nan", "inf", "-inf", "overflow", "absorbed") for f in flags)
        text.append(" " + ", ".join(flags), style="red" if bad else "dim")
    return text


def errors_table(cmp: Comparison, max_rows: int = 20) -> Table:
    """One row per entry: each implementation's error in ULPs with its flags, and κ."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_footer=cmp.x.size > 1)
    table.add_column("i", justify="right", style="dim", footer="worst")
    for r in cmp.results:
        i = r.worst_index
        where = f" (i={i})" if r.worst > 0 else ""
        table.add_column(r.label, footer=format_ulp(r.worst) + where)
    if cmp.condition is not None:
        table.add_column("κ", justify="right", footer=format_kappa(np.max(cmp.condition)))
    rows = _shown(cmp.x.size, max_rows)
    for i in rows:
        if i is None:
            table.add_row(*_gap(cmp.x.size - len(rows) + 1, len(table.columns)))
            continue
        cells: list[RenderableType] = [str(i)]
        cells += [_cell(r.ulp[i], r.flags[i]) for r in cmp.results]
        if cmp.condition is not None:
            cells.append(format_kappa(cmp.condition[i]))
        table.add_row(*cells)
    return table


def scalar_table(cmp: Comparison) -> Table:
    """A reduction (logsumexp, cross-entropy): one row per implementation, then the oracle."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", style="dim")
    table.add_column("value", justify="left", overflow="fold")
    table.add_column(f"ULPs of {dtype_name(cmp.dtype)}", justify="right")
    table.add_column("flags")
    for r in cmp.results:
        v = r.values[0]
        table.add_row(r.label, Text(str(v)), format_ulp(r.ulp[0]), ", ".join(r.flags[0]))
    table.add_row("oracle", Text(cmp.oracle_text[0], style="green"), "", "17 digits")
    if cmp.condition is not None:
        table.add_row("κ", format_kappa(cmp.condition[0]), "", "condition number")
    return table


def _x_line(cmp: Comparison, precision: int) -> Text:
    xs = numpy_column(cmp.x, precision)
    if len(xs) > 8:
        xs = [*xs[:5], "…", *xs[-2:]]
    return Text("x = [" + ", ".join(xs) + "]")


def verdict(lines: Sequence[str]) -> Table:
    """The verdict sentences as a bulleted list with hanging indents."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim")
    grid.add_column()
    for line in lines:
        grid.add_row("•", Text(line))
    return grid


def _preview(values: np.ndarray, precision: int, limit: int = 4) -> str:
    col = numpy_column(values, precision)
    if len(col) == 1:
        return col[0]
    if len(col) > limit:
        col = [*col[: limit - 1], "…", col[-1]]
    return "[" + ", ".join(col) + "]"


def explain_tables(cmp: Comparison, precision: int = 8) -> list[Group]:
    """For each implementation, its steps with their values and errors; the first failure marked.

    ``✗`` marks the first step where an inf, a nan or lost digits appear, ``!``
    any other event (an underflow, a sum that absorbed its small terms, a
    rounded shift); its sentence follows on the next line.
    """
    tables = []
    for r in cmp.results:
        tr: Trace | None = r.trace
        if tr is None:
            continue
        first = tr.first_failure
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("", width=1)
        table.add_column("step")
        table.add_column("values", overflow="fold")
        table.add_column("ULP", justify="right")
        for i, s in enumerate(tr.steps):
            mark = "✗" if i == first else ("!" if s.event else "")
            err = "" if s.ulp is None else format_ulp(float(np.max(s.ulp)))
            step = Text(s.formula)
            table.add_row(
                Text(mark, style="bold red"), step, Text(_preview(s.values, precision)), err
            )
            if s.note:
                table.add_row("", "", Text(f"{s.event}: {s.note}", style="italic"), "")
        title = Text(f"{r.label}: {tr.title}", style="bold")
        if s.dtype != cmp.dtype or any(st.dtype != cmp.dtype for st in tr.steps):
            title.append(f" (in {dtype_name(tr.steps[0].dtype)}, rounded once)", style="dim")
        tables.append(Group(Text(""), title, table))
    return tables


def comparison(
    cmp: Comparison,
    precision: int = 8,
    max_rows: int = 20,
    explain: bool = False,
    width: int = 80,
    bits: bool = False,
) -> Group:
    """Everything about one vector: the tables, the steps if asked, and the verdict.

    The values table is fitted to the width it is printed at (fewer significant digits,
    exponents kept, then head … tail of its columns); ``width`` is not needed any more.
    """
    parts: list[RenderableType] = [Text(_title(cmp), style="bold")]
    if cmp.scalar:
        parts += [_x_line(cmp, precision), scalar_table(cmp)]
    else:
        parts += [
            values_table(cmp, precision, max_rows),
            Text(
                f"error in ULPs of {dtype_name(cmp.dtype)}, flags"
                + (", condition number κ" if cmp.condition is not None else ""),
                style="bold",
            ),
            errors_table(cmp, max_rows),
        ]
    if explain:
        parts += explain_tables(cmp, precision)
    if bits:
        parts += bits_tables(cmp, max_rows, precision)
    parts.append(verdict(cmp.verdict))
    return Group(*parts)


def summary_table(
    rows: Sequence[RowSummary], method: str, dtype: np.dtype, dps: int, id_name: str | None = None
) -> Table:
    """Many rows: the worst error of each implementation per row, with its flags, and κ."""
    names = [n for n in IMPLEMENTATIONS if rows and n in rows[0].worst]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(plain(id_name or "row"), style="dim")
    table.add_column("n", justify="right")
    for n in names:
        table.add_column(LABELS[n])
    has_kappa = any(r.condition is not None for r in rows)
    if has_kappa:
        table.add_column("κ max", justify="right")
    for r in rows:
        cells: list[RenderableType] = [plain(r.row), str(r.n)]
        cells += [_cell(r.worst[n], r.flags[n]) for n in names]
        if has_kappa:
            cells.append("" if r.condition is None else format_kappa(r.condition))
        table.add_row(*cells)
    return table


def summary_view(
    rows: Sequence[RowSummary], method: str, dtype: np.dtype, dps: int, id_name: str | None = None
) -> Group:
    """The summary table and its verdict."""
    title = f"{method} in {dtype_name(dtype)}: worst error per row in ULPs · oracle at {dps} digits"
    return Group(
        Text(title, style="bold"),
        summary_table(rows, method, dtype, dps, id_name),
        verdict(summary_verdict(rows)),
    )
