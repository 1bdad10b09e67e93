"""``compare --explain --bits``: one table per implementation, a row per intermediate value."""

from __future__ import annotations

import math

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..analysis.compare import Comparison
from ..analysis.compare.bits import BitRow, layout_text, step_rows
from ..floats import float_layout
from ..io.floattext import format_float

__all__ = ["bits_tables"]


def _ulp(v: float) -> str:
    """A spacing (a power of 2) as ``2^k``; an inf or nan value has none."""
    if v != v:
        return ""
    return f"2^{math.frexp(v)[1] - 1}"


def _value(v: object, precision: int) -> str:
    """The shortest text that reads back, or ``precision`` digits where that is longer."""
    text = format_float(v, v.dtype)  # type: ignore[attr-defined]
    if len(text) <= precision + 4:
        return text
    return f"{float(v):.{precision}g}"  # type: ignore[arg-type]


def _row(r: BitRow, precision: int) -> list[Text]:
    return [
        Text(r.step),
        Text("" if r.index is None else str(r.index)),
        Text(_value(r.value, precision)),
        Text(f"{r.sign} {r.exponent} {r.mantissa}"),
        Text(r.power),
        Text(_ulp(r.ulp)),
    ]


def bits_tables(cmp: Comparison, max_entries: int = 8, precision: int = 8) -> list[Group]:
    """For each implementation with a trace, its steps' values as bits.

    Values are the shortest text that reads back to the same float (``precision``
    significant digits where that is longer, as in float64); the bits are
    sign, exponent, mantissa, then what the exponent means (``2^k``, ``sub`` for
    a subnormal); ``1 ULP`` is the gap to the next float up, a power of 2; a
    sum's row names the terms it absorbed.
    """
    out = []
    for r in cmp.results:
        tr = r.trace
        if tr is None:
            continue
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("step", overflow="fold")
        table.add_column("i", justify="right", no_wrap=True, min_width=1)
        table.add_column("value", justify="right", no_wrap=True)
        widest = max(sum(float_layout(st.dtype)) + 3 for st in tr.steps)
        table.add_column("bits: s e m", overflow="fold", min_width=min(widest, 10))
        table.add_column("", no_wrap=True, min_width=4)
        table.add_column("1 ULP", no_wrap=True, min_width=5)
        dtypes = []
        for st in tr.steps:
            if st.dtype not in dtypes:
                dtypes.append(st.dtype)
            for row in step_rows(st, max_entries):
                if row is None:
                    table.add_row("", "⋮", "⋮", "", "", "")
                else:
                    table.add_row(*_row(row, precision))
                    if row.marks:  # on a line of its own, under the bits
                        note = Text("↑ " + ", ".join(row.marks), style="bold yellow")
                        table.add_row("", "", "", note, "", "")
        title = Text(f"{r.label}: the bits of each step", style="bold")
        title.append(" (" + "; ".join(layout_text(d) for d in dtypes) + ")", style="dim")
        out.append(Group(Text(""), title, table))
    return out
