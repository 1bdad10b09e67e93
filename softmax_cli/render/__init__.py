"""Rich renderables built from numbers and result records; no computation here.

Examples
--------
>>> import numpy as np
>>> from rich.console import Console
>>> console = Console(width=60, color_system=None)
>>> with console.capture() as cap:
...     console.print(vector_table(np.array([1.0, 2.0]), {"p": np.array([0.2689, 0.7311])}, 4))
>>> "0.7311" in cap.get()
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich import box
from rich.table import Table


def fmt_number(v: float, precision: int) -> str:
    """A float for a human: ``precision`` significant digits, ``inf``/``nan`` spelled out.

    Examples
    --------
    >>> fmt_number(0.123456789, 4), fmt_number(float("-inf"), 4), fmt_number(0.0, 3)
    ('0.1235', '-inf', '0')
    """
    f = float(v)
    if np.isnan(f):
        return "nan"
    if np.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:.{precision}g}"


#: Most cells in one table: rich takes ~5 s and ~100 MB per 100 000 (a million: minutes, GBs).
MAX_TABLE_CELLS = 200_000


def check_table_size(rows: int, columns: int) -> None:
    """Refuse a table no terminal can show, before rich spends minutes and gigabytes on it."""
    if rows * columns > MAX_TABLE_CELLS:
        from ..errors import SoftmaxInputError

        raise SoftmaxInputError(
            f"a table of {rows:,} rows × {columns:,} columns is too big to read (at most "
            f"{MAX_TABLE_CELLS:,} cells); use {{format}} csv or json, or pipe the output",
            also=("format",),
        )


def vector_table(
    x: np.ndarray, outputs: dict[str, np.ndarray], precision: int, title: str | None = None
) -> Table:
    """One row per element: index, the logit, and each output column."""
    check_table_size(x.shape[0], 2 + len(outputs))
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("i", justify="right", style="dim")
    table.add_column("x", justify="right")
    for name in outputs:
        table.add_column(name, justify="right", style="bold")
    for i in range(x.shape[0]):
        cells = [str(i), fmt_number(x[i], precision)]
        cells += [fmt_number(col[i], precision) for col in outputs.values()]
        table.add_row(*cells)
    return table


def rows_table(
    columns: Sequence[str],
    values: np.ndarray,
    precision: int,
    *,
    ids: Sequence[str] | None = None,
    id_name: str | None = None,
    title: str | None = None,
) -> Table:
    """One row per vector; the id column first when there is one."""
    check_table_size(values.shape[0], values.shape[1] + (ids is not None))
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    if ids is not None:
        table.add_column(id_name or "id", style="dim")
    for c in columns:
        table.add_column(str(c), justify="right")
    for r in range(values.shape[0]):
        cells = [fmt_number(v, precision) for v in values[r]]
        if ids is not None:
            cells.insert(0, str(ids[r]))
        table.add_row(*cells)
    return table


def scalar_table(pairs: Sequence[tuple[str, str]], title: str | None = None) -> Table:
    """A two-column key/value table."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
    table.add_column("", style="dim")
    table.add_column("", justify="right", style="bold")
    for k, v in pairs:
        table.add_row(k, v)
    return table
