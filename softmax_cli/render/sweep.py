"""Rich renderables for a temperature sweep: two tables and a picture of p against τ.

Everything here draws a :class:`~softmax_cli.analysis.sweep.Sweep` record and
computes nothing new. The pictures carry their meaning in the characters
(block heights, fill patterns), so they read the same without colour, under
``NO_COLOR`` or in a pipe; colour, when the console has it, only repeats it.

* :class:`Heatmap`: one row per entry, one column per ``τ``; each cell a block
  ``▁▂▃▄▅▆▇█`` as tall as ``p`` (to the nearest eighth; ``▁`` is any ``p > 0``),
  blank where ``p`` is exactly 0. One-hot is a single full row; uniform,
  rows of equal height; a sparse map's support is the non-blank cells.
* :class:`StackedBars`: one bar per ``τ``, split into the entries' shares,
  each entry with its own fill character, the dominant entry ``█``.

Examples
--------
>>> from rich.console import Console
>>> from softmax_cli.analysis.sweep import sweep
>>> s = sweep([1.0, 2.0, 3.0, 4.0], [0.01, 1.0, 100.0])
>>> console = Console(width=80, color_system=None)
>>> with console.capture() as cap:
...     console.print(Heatmap(s))
>>> print(cap.get().rstrip())
p against τ  (▁▂▃▄▅▆▇█ = p to the nearest eighth, ▁ any p > 0, blank = 0)
 p0 x=1 ▁▁▁▁▁▁▁▁▂▂▂▂
 p1 x=2 ▁▁▁▁▁▁▁▁▂▂▂▂
 p2 x=3 ▁▁▁▁▂▂▂▂▂▂▂▂
 p3 x=4 ████▅▅▅▅▂▂▂▂
      τ 0.01  1  100
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from ..analysis.sweep import Sweep, top_entries
from . import fmt_number
from .fit import Column, fit_table
from .text import plain, visible

__all__ = [
    "BLOCKS",
    "FILLS",
    "PICTURES",
    "Heatmap",
    "StackedBars",
    "probability_table",
    "summary_table",
    "sweep_report",
    "sweep_title",
]

#: Cell glyphs of the heat map, by level 1..8 (level 0, p == 0, is a space).
BLOCKS = "▁▂▃▄▅▆▇█"
#: Fill glyphs of the stacked bars, by rank of the entry's mass; the rest is ``·``.
FILLS = "█▓▒░#=+:"
REST_FILL = "·"
#: The pictures :func:`sweep_report` can draw.
PICTURES = ("heatmap", "bars", "none")
_LEVEL_COLOURS = (
    "",
    "blue",
    "blue",
    "cyan",
    "cyan",
    "green",
    "green",
    "yellow",
    "bright_yellow",
)
_FILL_COLOURS = ("bright_yellow", "green", "cyan", "magenta", "blue", "red", "white", "yellow")
_MAX_CELL = 4  # widest a heat-map cell is drawn
_MAX_BAR = 64  # widest a stacked bar is drawn


def _params_text(s: Sweep) -> str:
    shown = {k: v for k, v in s.params.items() if v is not None}
    if not shown:
        return ""
    text = ", ".join(f"{k}={v}" for k, v in shown.items())
    if s.seed_drawn:
        text += ", drawn"
    return f" [{text}]"


def sweep_title(s: Sweep, label: str | None = None, *, precision: int = 4) -> str:
    """``softmax of x/τ, x = [1, 2, 3, 4]`` (the vector summarised when long).

    Examples
    --------
    >>> from softmax_cli.analysis.sweep import sweep
    >>> sweep_title(sweep([1.0, 2.0], [1.0]), "line 3")
    'line 3: softmax of x/τ, x = [1, 2]'
    """
    if s.n <= 8:
        vec = "[" + ", ".join(fmt_number(v, precision) for v in s.x) + "]"
    else:
        vec = f"{s.n} entries, max {fmt_number(s.max_x, precision)}"
    head = f"{label}: " if label else ""
    return f"{head}{s.method}{_params_text(s)} of x/τ, x = {vec}"


def _entry_labels(
    s: Sweep, idx: np.ndarray, columns: Sequence[str] | None, precision: int, sep: str
) -> list[str]:
    out = []
    for i in idx.tolist():
        name = visible(columns[i]) if columns is not None else f"p{i}"
        out.append(f"{name}{sep}x={fmt_number(s.x[i], precision)}")
    return out


def _shown(s: Sweep, top: int, columns, precision: int, sep: str):
    """Labels and a (steps, shown) matrix of the entries drawn, the rest last."""
    idx, rest = top_entries(s, top)
    labels = _entry_labels(s, idx, columns, precision, sep)
    values = s.p[:, idx].astype(np.float64)
    if rest is not None:
        labels.append(f"rest{sep}({s.n - idx.size})")
        values = np.column_stack([values, rest.astype(np.float64)])
    return labels, values, rest is not None


def probability_table(
    s: Sweep,
    *,
    top: int = 6,
    precision: int = 4,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> Table:
    """One row per ``τ``: the probabilities (at most ``top`` columns, the rest summed).

    Examples
    --------
    >>> from softmax_cli.analysis.sweep import sweep
    >>> t = probability_table(sweep([1.0, 2.0, 3.0, 4.0], [1.0]))
    >>> [str(c.header) for c in t.build(80).columns]
    ['τ', 'p0\\nx=1', 'p1\\nx=2', 'p2\\nx=3', 'p3\\nx=4']
    """
    labels, values, _ = _shown(s, top, columns, precision, "\n")
    cols = [Column("τ", s.taus, style="bold", frozen=True)]
    cols += [Column(Text(label), values[:, k]) for k, label in enumerate(labels)]
    return fit_table(cols, precision=precision, max_rows=None, title=title)


def summary_table(s: Sweep, *, precision: int = 4, title: str | None = None) -> Table:
    """One row per ``τ``: max p, entropy, ``τ·LSE``, its gap to ``max x``, ``1 − Σp²``, support.

    The caption states the limits each column tends to.

    Examples
    --------
    >>> from softmax_cli.analysis.sweep import sweep
    >>> t = summary_table(sweep([1.0, 2.0, 3.0], [1.0], method="sparsemax"))
    >>> [str(c.header) for c in t.build(80).columns][-1]
    'support'
    """
    caption = (
        f"gap = τ·LSE(x/τ) − max x, max x = {fmt_number(s.max_x, precision)}\n"
        f"H ≤ log n = {fmt_number(s.entropy_max, precision)} {s.unit}, "
        f"1−Σp² ≤ 1−1/n = {fmt_number(1 - 1 / s.n_finite, precision)}"
    )
    heads = ["τ", "max p", f"H {s.unit}", "τ·LSE", "gap", "1−Σp²"]
    data = [s.taus, s.max_p, s.entropy, s.tau_lse, s.lse_gap, s.gini]
    cols = [
        Column(h, c, style="bold" if h == "τ" else None, frozen=h == "τ")
        for h, c in zip(heads, data, strict=True)
    ]
    if s.support is not None:
        cols.append(Column("support", [int(v) for v in s.support]))
    return fit_table(cols, precision=precision, max_rows=None, title=title, caption=caption)


def _levels(values: np.ndarray) -> np.ndarray:
    """Block level 0..8 of each probability: nearest eighth, at least 1 when ``p > 0``."""
    lv = np.clip(np.rint(values * 8), 0, 8).astype(int)
    return np.where(values > 0, np.maximum(lv, 1), 0)


def _columns_for(steps: int, room: int) -> tuple[np.ndarray, int]:
    """Which step each drawn column shows, and how wide a cell is."""
    room = max(room, 1)
    if steps <= room:
        return np.arange(steps), max(1, min(_MAX_CELL, room // steps))
    return np.rint(np.linspace(0, steps - 1, room)).astype(int), 1


def _axis_line(taus: np.ndarray, cols: np.ndarray, cell: int, precision: int) -> str:
    """τ labels under the picture: first, middle and last column, without overlaps."""
    width = cols.size * cell
    line = [" "] * width
    marks = {cols.size - 1: "right", cols.size // 2: "center", 0: "left"}  # the ends win
    taken: list[tuple[int, int]] = []
    for c, how in sorted(marks.items()):
        text = fmt_number(taus[cols[c]], precision)
        if how == "left":
            start = c * cell
        elif how == "right":
            start = (c + 1) * cell - len(text)
        else:
            start = c * cell + cell // 2 - len(text) // 2
        start = max(0, min(start, width - len(text)))
        end = start + len(text)
        if any(start <= e and s <= end for s, e in taken):  # keep a space between labels
            continue
        taken.append((start, end))
        line[start:end] = text
    return "".join(line)


class Heatmap:
    """p against τ as rows of block characters, one row per entry (the rest summed).

    Parameters
    ----------
    s : Sweep
    top : int
        Entries drawn at most (the others summed into a ``rest`` row).
    columns : list of str, optional
        Names of the entries (an input header); default ``p0``, ``p1`` ...
    precision : int
        Significant digits of the labels.
    """

    def __init__(
        self,
        s: Sweep,
        *,
        top: int = 6,
        columns: Sequence[str] | None = None,
        precision: int = 4,
    ) -> None:
        self.s = s
        self.labels, self.values, _ = _shown(s, top, columns, precision, " ")
        self.precision = precision

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        label_w = max(len(label) for label in self.labels) + 1
        cols, cell = _columns_for(self.s.steps, options.max_width - label_w - 1)
        yield Text(
            "p against τ  (▁▂▃▄▅▆▇█ = p to the nearest eighth, ▁ any p > 0, blank = 0)",
            style="dim",
        )
        levels = _levels(self.values[cols])
        for r, label in enumerate(self.labels):
            line = Text(label.rjust(label_w) + " ")
            for lv in levels[:, r]:
                glyph = BLOCKS[lv - 1] if lv else " "
                line.append(glyph * cell, style=_LEVEL_COLOURS[lv] or None)
            yield line
        axis = _axis_line(self.s.taus, cols, cell, self.precision)
        yield Text("τ".rjust(label_w) + " " + axis, style="dim")


class StackedBars:
    """One bar per τ split into the entries' shares; fills by rank, the dominant ``█``.

    Segment widths are the shares rounded by largest remainder, so every bar
    has the same width; an entry with a share under half a character is not
    drawn (the heat map shows every nonzero ``p``).
    """

    def __init__(
        self,
        s: Sweep,
        *,
        top: int = 6,
        columns: Sequence[str] | None = None,
        precision: int = 4,
    ) -> None:
        self.s = s
        self.labels, self.values, has_rest = _shown(s, top, columns, precision, " ")
        self.precision = precision
        shown = self.values.shape[1] - (1 if has_rest else 0)
        mass = self.values[:, :shown].sum(axis=0)
        order = list(np.lexsort((np.arange(shown), -mass)))
        if has_rest:
            order.append(shown)
        self.order = order
        self.fills = {
            e: (FILLS[rank % len(FILLS)] if not (has_rest and e == shown) else REST_FILL)
            for rank, e in enumerate(order)
        }
        self.colours = {
            e: (_FILL_COLOURS[rank % len(_FILL_COLOURS)] if self.fills[e] != REST_FILL else "dim")
            for rank, e in enumerate(order)
        }

    @staticmethod
    def _split(shares: np.ndarray, width: int) -> np.ndarray:
        total = shares.sum()
        exact = shares / total * width if total > 0 else np.zeros_like(shares)
        cells = np.floor(exact).astype(int)
        short = width - int(cells.sum())
        if short > 0:
            by = np.lexsort((np.arange(shares.size), -(exact - cells)))
            cells[by[:short]] += 1
        return cells

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        taus = [fmt_number(t, self.precision) for t in self.s.taus]
        label_w = max(len(t) for t in [*taus, "τ"])
        width = max(8, min(_MAX_BAR, options.max_width - label_w - 1))
        legend = Text("τ".rjust(label_w) + " ", style="dim")
        for e in self.order:
            legend.append(self.fills[e], style=self.colours[e])
            legend.append(f" {self.labels[e]}  ")
        yield legend
        for j in range(self.s.steps):
            cells = self._split(self.values[j, self.order], width)
            line = Text(taus[j].rjust(label_w) + " ")
            for e, k in zip(self.order, cells, strict=True):
                if k:
                    line.append(self.fills[e] * int(k), style=self.colours[e])
            yield line


def sweep_report(
    s: Sweep,
    *,
    label: str | None = None,
    top: int = 6,
    precision: int = 4,
    picture: str = "heatmap",
    columns: Sequence[str] | None = None,
    tables: bool = True,
) -> Group:
    """The terminal report of one sweep: title, the two tables (if ``tables``), the picture."""
    parts: list = [plain(sweep_title(s, label, precision=precision), style="bold")]
    if tables:
        parts.append(probability_table(s, top=top, precision=precision, columns=columns))
        parts.append(summary_table(s, precision=precision))
    gap = [Text("")] if tables else []
    if picture == "heatmap":
        parts += [*gap, Heatmap(s, top=top, columns=columns, precision=precision)]
    elif picture == "bars":
        parts += [*gap, StackedBars(s, top=top, columns=columns, precision=precision)]
    return Group(*parts)
