"""Several methods' sweeps of one vector as ONE terminal chart, the methods side by side.

``softmax temperature-sweep -m softmax,sparsemax,entmax15`` sweeps each vector with each
method; this draws them together. The entries (rows of the heat map, fills of the bars)
are the same in every panel, so one glance compares the methods at the same τ:

* :class:`MethodsHeatmap`: one row per entry, labelled once on the left, then a panel
  per method (its name above it, the τ axis under it), all panels as wide.
* :class:`MethodsBars`: one line per τ, labelled once on the left, then a stacked bar
  per method; one legend, the fills ranked by the entries' mass over all the methods.

When the terminal is too narrow for every panel to show each τ in a column of its own
(or, for a long grid, 24 columns), the panels stack: each method's panel under the
previous one, full width, its name above it. Nothing is cut either way.

Examples
--------
>>> from rich.console import Console
>>> from softmax_cli.analysis.sweep import sweep
>>> from softmax_cli import registry
>>> taus = [0.1, 0.5, 1.0, 2.0, 10.0]
>>> ss = [sweep([1.0, 2.0, 2.5], taus, method=registry.get(m)) for m in ("softmax", "sparsemax")]
>>> console = Console(width=60, color_system=None)
>>> with console.capture() as cap:
...     console.print(MethodsHeatmap(ss))
>>> print(cap.get().rstrip())
p against τ  (▁▂▃▄▅▆▇█ = p in eighths, ▁ p > 0, blank = 0)
          softmax               sparsemax
   p0 x=1 ▁▁▁▁▁▁▁▁▁▁▁▁▂▂▂▂▂▂▂▂                  ▂▂▂▂
   p1 x=2 ▁▁▁▁▂▂▂▂▃▃▃▃▃▃▃▃▃▃▃▃          ▂▂▂▂▃▃▃▃▃▃▃▃
 p2 x=2.5 ████▆▆▆▆▄▄▄▄▄▄▄▄▃▃▃▃  ████████▆▆▆▆▅▅▅▅▃▃▃▃
        τ 0.1       1       10  0.1       1       10
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from ..analysis.sweep import Sweep
from . import fmt_number
from .sweep import (
    _FILL_COLOURS,
    _LEVEL_COLOURS,
    BLOCKS,
    FILLS,
    REST_FILL,
    StackedBars,
    _axis_line,
    _columns_for,
    _entry_labels,
    _levels,
    _params_text,
    probability_table,
    summary_table,
)
from .text import plain

__all__ = ["MethodsBars", "MethodsHeatmap", "methods_report", "methods_title"]

#: spaces between two panels side by side
GAP = 2
#: below this many columns a panel of a long grid (more τ than this) stacks instead
MIN_PANEL = 24
#: the narrowest stacked bar drawn side by side, and the widest
MIN_BAR = 12
BAR = 32


def methods_title(sweeps: Sequence[Sweep], label: str | None = None, *, precision: int = 4) -> str:
    """``line 2: softmax, sparsemax of x/τ, x = [1, 2]``: the vector once, every method.

    Examples
    --------
    >>> from softmax_cli.analysis.sweep import sweep
    >>> from softmax_cli import registry
    >>> ss = [sweep([1.0, 2.0], [1.0], method=registry.get(m)) for m in ("softmax", "entmax15")]
    >>> methods_title(ss, "line 2")
    'line 2: softmax, entmax15 of x/τ, x = [1, 2]'
    """
    s = sweeps[0]
    if s.n <= 8:
        vec = "[" + ", ".join(fmt_number(v, precision) for v in s.x) + "]"
    else:
        vec = f"{s.n} entries, max {fmt_number(s.max_x, precision)}"
    head = f"{label}: " if label else ""
    return f"{head}{', '.join(_head(t) for t in sweeps)} of x/τ, x = {vec}"


def _head(s: Sweep) -> str:
    return f"{s.method}{_params_text(s)}"


def _shared_shown(
    sweeps: Sequence[Sweep], top: int, columns: Sequence[str] | None, precision: int
) -> tuple[list[str], list[np.ndarray], bool]:
    """Labels, and per sweep a (steps, shown) matrix, of the entries every panel draws.

    A vector of at most ``top`` entries is drawn whole; a longer one shows the
    ``top − 1`` entries holding the most mass over all the sweeps (ties to the lower
    index), in index order, and per τ the summed probability of the others (``rest``).
    """
    s0 = sweeps[0]
    n = s0.n
    probs = [np.asarray(s.p, dtype=np.float64) for s in sweeps]
    if n <= top:
        idx = np.arange(n)
    else:
        mass = np.sum([p.sum(axis=0) for p in probs], axis=0)
        idx = np.sort(np.lexsort((np.arange(n), -mass))[: top - 1])
    labels = _entry_labels(s0, idx, columns, precision, " ")
    if idx.size == n:
        return labels, [p[:, idx] for p in probs], False
    others = np.ones(n, dtype=bool)
    others[idx] = False
    labels.append(f"rest ({n - idx.size})")
    return labels, [np.column_stack([p[:, idx], p[:, others].sum(axis=1)]) for p in probs], True


def _side_by_side(width: int, label_w: int, k: int, steps: int, heads: list[str]) -> int:
    """Columns per panel when ``k`` panels fit side by side, else 0 (stack them)."""
    room = (width - label_w - 1 - GAP * (k - 1)) // k
    need = max(min(steps, MIN_PANEL), *(len(h) for h in heads))
    return room if room >= need else 0


class _MethodsPicture:
    """What both pictures hold: the sweeps, the shared entries' labels and values, the
    methods' names.

    Parameters
    ----------
    sweeps : sequence of Sweep
        One vector's sweeps, one per method, on the same grid.
    top : int
        Entries drawn at most (the others summed into a ``rest`` row).
    columns : list of str, optional
        Names of the entries (an input header); default ``p0``, ``p1`` ...
    precision : int
        Significant digits of the labels.
    """

    def __init__(
        self,
        sweeps: Sequence[Sweep],
        *,
        top: int = 6,
        columns: Sequence[str] | None = None,
        precision: int = 4,
    ) -> None:
        self.sweeps = list(sweeps)
        self.labels, self.values, self.has_rest = _shared_shown(
            self.sweeps, top, columns, precision
        )
        self.heads = [_head(s) for s in self.sweeps]
        self.precision = precision


class MethodsHeatmap(_MethodsPicture):
    """p against τ of one vector under several methods: a heat-map panel per method."""

    def _panel(self, k: int, room: int) -> tuple[list[Text], str]:
        """Method ``k``'s rows (one per entry) and τ axis in ``room`` columns."""
        s = self.sweeps[k]
        cols, cell = _columns_for(s.steps, room)
        levels = _levels(self.values[k][cols])
        rows = []
        for r in range(len(self.labels)):
            line = Text()
            for lv in levels[:, r]:
                glyph = BLOCKS[lv - 1] if lv else " "
                line.append(glyph * cell, style=_LEVEL_COLOURS[lv] or None)
            rows.append(line)
        return rows, _axis_line(s.taus, cols, cell, self.precision)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        label_w = max(len(label) for label in self.labels) + 1
        steps = self.sweeps[0].steps
        legend = "p against τ  (▁▂▃▄▅▆▇█ = p to the nearest eighth, ▁ any p > 0, blank = 0)"
        if len(legend) > options.max_width:
            legend = "p against τ  (▁▂▃▄▅▆▇█ = p in eighths, ▁ p > 0, blank = 0)"
        yield Text(legend, style="dim")
        room = _side_by_side(options.max_width, label_w, len(self.sweeps), steps, self.heads)
        pad = " " * (label_w + 1)
        if room:
            panels = [self._panel(k, room) for k in range(len(self.sweeps))]
            width = max(len(panels[0][1]), *(len(h) for h in self.heads))  # a name may be wider
            yield Text(pad + (" " * GAP).join(h.ljust(width) for h in self.heads).rstrip(), "bold")
            for r, label in enumerate(self.labels):
                line = Text(label.rjust(label_w) + " ")
                for k, (rows, _) in enumerate(panels):
                    line.append(" " * GAP if k else "")
                    line.append_text(rows[r])
                    line.append(" " * (width - rows[r].cell_len))
                yield line.rstrip() or line
            axes = (" " * GAP).join(axis.ljust(width) for _, axis in panels)
            yield Text("τ".rjust(label_w) + " " + axes.rstrip(), style="dim")
            return
        room = max(1, options.max_width - label_w - 1)
        for k, head in enumerate(self.heads):  # stacked: each panel full width, named
            rows, axis = self._panel(k, room)
            yield Text(pad + head, style="bold")
            for label, row in zip(self.labels, rows, strict=True):
                yield Text(label.rjust(label_w) + " ").append_text(row)
            yield Text("τ".rjust(label_w) + " " + axis, style="dim")


class MethodsBars(_MethodsPicture):
    """One line per τ with a stacked bar per method; one legend for them all.

    Fills go by rank of the entries' mass summed over every method (the dominant
    ``█``), so an entry has the same fill in every bar; segment widths are the shares
    rounded by largest remainder, as in :class:`~softmax_cli.render.sweep.StackedBars`.
    """

    def __init__(self, sweeps: Sequence[Sweep], **options) -> None:
        super().__init__(sweeps, **options)
        has_rest = self.has_rest
        shown = self.values[0].shape[1] - (1 if has_rest else 0)
        mass = np.sum([v[:, :shown].sum(axis=0) for v in self.values], axis=0)
        self.order = list(np.lexsort((np.arange(shown), -mass)))
        if has_rest:
            self.order.append(shown)
        self.fills = {
            e: REST_FILL if has_rest and e == shown else FILLS[rank % len(FILLS)]
            for rank, e in enumerate(self.order)
        }
        self.colours = {
            e: "dim" if self.fills[e] == REST_FILL else _FILL_COLOURS[rank % len(_FILL_COLOURS)]
            for rank, e in enumerate(self.order)
        }

    def _bar(self, k: int, j: int, width: int) -> Text:
        line = Text()
        cells = StackedBars._split(self.values[k][j, self.order], width)
        for e, n in zip(self.order, cells, strict=True):
            if n:
                line.append(self.fills[e] * int(n), style=self.colours[e])
        return line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        taus = [fmt_number(t, self.precision) for t in self.sweeps[0].taus]
        label_w = max(len(t) for t in [*taus, "τ"])
        k = len(self.sweeps)
        legend = Text("τ".rjust(label_w) + " ", style="dim")
        for e in self.order:  # wrapped between entries, never inside one
            item = f"{self.fills[e]} {self.labels[e]}"
            if legend.cell_len > label_w + 1 and legend.cell_len + len(item) > options.max_width:
                yield legend
                legend = Text(" " * (label_w + 1))
            legend.append(self.fills[e], style=self.colours[e])
            legend.append(f" {self.labels[e]}  ")
        yield legend
        room = (options.max_width - label_w - 1 - GAP * (k - 1)) // k
        pad = " " * (label_w + 1)
        if room >= max(MIN_BAR, *(len(h) for h in self.heads)):
            width = min(room, BAR)
            yield Text(pad + (" " * GAP).join(h.ljust(width) for h in self.heads).rstrip(), "bold")
            for j, tau in enumerate(taus):
                line = Text(tau.rjust(label_w) + " ")
                for m in range(k):
                    line.append(" " * GAP if m else "")
                    line.append_text(self._bar(m, j, width))
                yield line
            return
        width = max(8, min(64, options.max_width - label_w - 1))
        for m, head in enumerate(self.heads):  # stacked: each method's bars, named
            yield Text(pad + head, style="bold")
            for j, tau in enumerate(taus):
                yield Text(tau.rjust(label_w) + " ").append_text(self._bar(m, j, width))


def methods_report(
    sweeps: Sequence[Sweep],
    *,
    label: str | None = None,
    top: int = 6,
    precision: int = 4,
    picture: str = "heatmap",
    columns: Sequence[str] | None = None,
    tables: bool = True,
) -> Group:
    """One vector under several methods: the title, each method's two tables (if
    ``tables``), then ONE picture with the methods side by side."""
    parts: list = [plain(methods_title(sweeps, label, precision=precision), style="bold")]
    if tables:
        for s in sweeps:
            parts.append(
                probability_table(s, top=top, precision=precision, columns=columns, title=_head(s))
            )
            parts.append(summary_table(s, precision=precision))
    gap = [Text("")] if tables else []
    if picture == "heatmap":
        parts += [*gap, MethodsHeatmap(sweeps, top=top, columns=columns, precision=precision)]
    elif picture == "bars":
        parts += [*gap, MethodsBars(sweeps, top=top, columns=columns, precision=precision)]
    return Group(*parts)
