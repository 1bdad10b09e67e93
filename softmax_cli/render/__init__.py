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
from typing import Any

import numpy as np
from rich import box
from rich.table import Table

from .fit import MAX_ROWS, Column, fit_table, fmt_number, shorten
from .text import escape, plain, visible

__all__ = [
    "MAX_ROWS",
    "Column",
    "HeadTail",
    "escape",
    "fit_table",
    "fmt_number",
    "plain",
    "rows_table",
    "scalar_table",
    "shorten",
    "top_table",
    "vector_table",
    "visible",
]


def vector_table(
    x: np.ndarray,
    outputs: dict[str, np.ndarray],
    precision: int,
    title: str | None = None,
    *,
    width: int | None = None,
    max_rows: int | None = MAX_ROWS,
) -> Table:
    """One row per element: index, the logit, and each output column.

    A vector longer than ``max_rows`` shows its top entries instead (:func:`top_table`).
    """
    n = x.shape[0]
    if max_rows is not None and n > max_rows and outputs:
        return top_table(x, outputs, precision, title, width=width, top=max_rows)
    columns = [Column("i", range(n), style="dim", frozen=True), Column("x", x)]
    columns += [Column(name, col, style="bold") for name, col in outputs.items()]
    return fit_table(columns, precision=precision, width=width, max_rows=max_rows, title=title)


def top_table(
    x: np.ndarray,
    outputs: dict[str, np.ndarray],
    precision: int,
    title: str | None = None,
    *,
    width: int | None = None,
    top: int = 20,
    names: Sequence[str] | None = None,
) -> Table:
    """A long vector's ``top`` entries by the first output, largest first, and the rest.

    The caption sums the entries not shown, so no probability mass goes unaccounted.

    Examples
    --------
    >>> x = np.arange(1000.0)
    >>> t = top_table(x, {"p": np.exp(x - 999.0)}, 4, top=3, width=60)
    >>> [c.header.plain for c in t.columns], len(t.rows)
    (['i', 'x', 'p'], 3)
    >>> "997 other entries" in t.caption.plain
    True
    """
    first = next(iter(outputs.values()))
    n = x.shape[0]
    key = np.where(np.isnan(first), -np.inf, first)
    k = min(top, n)
    idx = np.argpartition(-key, k - 1)[:k] if k < n else np.arange(n)
    idx = idx[np.lexsort((idx, -key[idx]))]  # largest first; ties by index
    label: Any = [names[i] for i in idx] if names is not None else idx
    columns = [Column("i" if names is None else "name", label, style="dim", frozen=True)]
    columns += [Column("x", x[idx])]
    columns += [Column(name, col[idx], style="bold") for name, col in outputs.items()]
    rest = np.ones(n, dtype=bool)
    rest[idx] = False
    caption = None
    if n > k:
        others = first[rest]
        caption = (
            f"top {k} of {n:,} entries by {next(iter(outputs))}; the {n - k:,} other entries "
            f"sum to {fmt_number(float(np.sum(others, dtype=np.float64)), precision)}, "
            f"each at most {fmt_number(float(np.max(others)), precision)}"
        )
    return fit_table(
        columns, precision=precision, width=width, max_rows=None, title=title, caption=caption
    )


def rows_table(
    columns: Sequence[str],
    values: np.ndarray,
    precision: int,
    *,
    ids: Sequence[str] | None = None,
    id_name: str | None = None,
    title: str | None = None,
    width: int | None = None,
    max_rows: int | None = MAX_ROWS,
    rows: Sequence[int | None] | None = None,
    hidden_rows: int | None = None,
) -> Table:
    """One row per vector; the id column first when there is one.

    ``rows``/``hidden_rows``: the caller already kept only head … tail (see
    :class:`HeadTail`); ``None`` in ``rows`` marks where the hidden rows were.
    """
    cols = []
    if ids is not None:
        cols.append(Column(id_name or "id", [plain(i) for i in ids], "left", "dim", True))
    cols += [Column(str(c), values[:, j]) for j, c in enumerate(columns)]
    return fit_table(
        cols,
        precision=precision,
        width=width,
        max_rows=max_rows,
        rows=rows,
        hidden_rows=hidden_rows,
        title=title,
    )


class HeadTail:
    """Keeps the first and last rows of a stream of batches, and counts them all.

    Memory holds at most ``head + tail`` rows however long the input is.

    Examples
    --------
    >>> ht = HeadTail(3, 1)
    >>> for start in range(0, 10, 4):
    ...     ht.add(np.arange(start, min(start + 4, 10), dtype=float)[:, None], None)
    >>> values, ids, rows, hidden = ht.result()
    >>> values[:, 0].tolist(), rows, hidden
    ([0.0, 1.0, 2.0, 9.0], [0, 1, 2, None, 3], 6)
    """

    def __init__(self, head: int, tail: int) -> None:
        self.head, self.tail = head, tail
        self.total = 0
        self._head: list[tuple[np.ndarray, list | None]] = []
        self._tail: list[tuple[np.ndarray, list | None]] = []
        self._held_head = 0

    def add(self, values: np.ndarray, ids: Sequence[str] | None) -> None:
        """Take one batch of rows (and their ids)."""
        ids_list = list(ids) if ids is not None else None
        self.total += values.shape[0]
        take = min(self.head - self._held_head, values.shape[0])
        if take > 0:
            self._head.append((values[:take], ids_list[:take] if ids_list is not None else None))
            self._held_head += take
            values = values[take:]
            ids_list = ids_list[take:] if ids_list is not None else None
        if values.shape[0]:
            self._tail.append((values[-self.tail :], ids_list[-self.tail :] if ids_list else None))
            held = sum(v.shape[0] for v, _ in self._tail)
            while self._tail and held - self._tail[0][0].shape[0] >= self.tail:
                held -= self._tail.pop(0)[0].shape[0]

    def result(self) -> tuple[np.ndarray, list | None, list[int | None], int]:
        """(values, ids, rows, hidden): the kept rows, and where the gap goes."""
        tail_v = [v for v, _ in self._tail]
        tail_i = [i for _, i in self._tail]
        tv = np.concatenate(tail_v) if tail_v else None
        t_ids = [x for i in tail_i for x in (i or [])]
        if tv is not None and tv.shape[0] > self.tail:
            tv, t_ids = tv[-self.tail :], t_ids[-self.tail :]
        parts = [v for v, _ in self._head] + ([tv] if tv is not None else [])
        values = np.concatenate(parts) if parts else np.empty((0, 0))
        has_ids = any(i is not None for _, i in self._head + self._tail)
        ids = [x for _, i in self._head for x in (i or [])] + t_ids if has_ids else None
        n_head = self._held_head
        n_tail = values.shape[0] - n_head
        hidden = self.total - values.shape[0]
        rows: list[int | None] = list(range(n_head))
        if hidden:
            rows.append(None)
        rows += list(range(n_head, n_head + n_tail))
        return values, ids, rows, hidden


def scalar_table(pairs: Sequence[tuple[str, str]], title: str | None = None) -> Table:
    """A two-column key/value table."""
    table = Table(
        title=plain(title) if title is not None else None,
        box=box.SIMPLE_HEAD,
        show_header=False,
        title_justify="left",
    )
    table.add_column("", style="dim")
    table.add_column("", justify="right", style="bold")
    for k, v in pairs:
        table.add_row(plain(k), plain(v))
    return table
