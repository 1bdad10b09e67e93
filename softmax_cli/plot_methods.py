"""The chart of ``temperature-sweep --plot`` with several methods: side by side per vector.

Each swept vector gets one row of panels: the probabilities stacked against ``τ``,
one panel per method (the same colour for an entry in every panel), then one
panel with every method's entropy (solid) and ``1 − Σp²`` (dashed) over the same
``τ`` axis, so where one method turns sparse or flat is seen against the others.

matplotlib is imported only when a chart is drawn (see :mod:`softmax_cli.plot`).

Examples
--------
>>> auto_size_methods(1, 3)
(1600, 520)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .analysis.sweep import Sweep, top_entries
from .errors import SoftmaxInputError
from .plot import MAX_PLOT_ROWS, MAX_SIDE, MIN_SIDE, check_plot_path, require_matplotlib
from .plot import _is_log_grid as _is_log

__all__ = ["auto_size_methods", "plot_method_sweeps"]

_DPI = 100
_PANEL_W, _ROW_H = 400, 420


def auto_size_methods(rows: int, methods: int) -> tuple[int, int]:
    """The chart's size when none is given: 400 px per panel across, 420 per row (+100).

    Examples
    --------
    >>> auto_size_methods(2, 2)
    (1200, 940)
    """
    w = min(MAX_SIDE, _PANEL_W * (methods + 1))
    h = min(MAX_SIDE, 100 + _ROW_H * max(rows, 1))
    return w, h


def plot_method_sweeps(
    rows: Sequence[Sequence[Sweep]],
    path: str | Path,
    *,
    size: tuple[int, int] | None = None,
    labels: Sequence[str | None] | None = None,
    top: int = 6,
    columns: Sequence[str] | None = None,
) -> Path:
    """Draw one row of panels per vector, a sweep per method in each, and write ``path``.

    Parameters
    ----------
    rows : sequence of sequence of Sweep
        Per vector, its sweeps, one per method (the same methods in each row).
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``.
    size : (int, int), optional
        Width and height in pixels (default :func:`auto_size_methods`).
    labels : sequence of str or None, optional
        A label per vector (its line or id), shown when there are several.
    top : int
        Entries drawn at most per panel; the others are stacked as one ``rest`` band.
    columns : sequence of str, optional
        Names of the entries (an input header).
    """
    out = check_plot_path(path)
    if not rows or not rows[0]:
        raise SoftmaxInputError("nothing to plot: no vectors were read")
    if len(rows) > MAX_PLOT_ROWS:
        raise SoftmaxInputError(
            f"{{plot}} draws at most {MAX_PLOT_ROWS} vectors, got {len(rows)}", also=("plot",)
        )
    k = len(rows[0])
    w, h = auto_size_methods(len(rows), k) if size is None else size
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise SoftmaxInputError(f"plot size {w}x{h} is out of range")
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w / _DPI, h / _DPI), dpi=_DPI, layout="constrained")
    axes = fig.subplots(len(rows), k + 1, squeeze=False, sharex="row")
    labels = list(labels) if labels is not None and len(rows) > 1 else [None] * len(rows)
    for r, sweeps in enumerate(rows):
        head = f"{labels[r]}: " if labels[r] else ""
        for c, s in enumerate(sweeps):
            _stacked(axes[r][c], s, head, top, columns, legend=c == 0)
        _entropies(axes[r][k], sweeps, head)
    fig.savefig(out, dpi=_DPI, format=out.suffix.lower()[1:])
    return out


def _stacked(ax, s: Sweep, head: str, top: int, columns, legend: bool) -> None:
    idx, rest = top_entries(s, top)
    order = sorted(idx.tolist(), key=lambda i: (-float(s.x[i]), i))  # largest at the bottom
    colours = [f"C{i % 10}" for i in order]  # an entry keeps its colour in every panel
    names = [(str(columns[i]) if columns is not None else f"p{i}") for i in order]
    bands = [s.p[:, i].astype(np.float64) for i in order]
    if rest is not None:
        names.append(f"rest ({s.n - idx.size})")
        bands.append(rest.astype(np.float64))
        colours.append("0.75")
    ax.stackplot(s.taus, np.vstack(bands), labels=names, colors=colours, alpha=0.85)
    ax.set_ylim(0, 1)
    if s.taus.size > 1:
        ax.set_xlim(s.taus[0], s.taus[-1])
    if _is_log(s.taus):
        ax.set_xscale("log")
    ax.set_xlabel("temperature τ")
    ax.set_title(f"{head}{s.method}(x/τ)", fontsize="medium")
    if legend:
        ax.set_ylabel("p (stacked)")
        handles, texts = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], texts[::-1], loc="lower right", fontsize="small")


def _entropies(ax, sweeps: Sequence[Sweep], head: str) -> None:
    for c, s in enumerate(sweeps):
        colour = f"C{c % 10}"
        ax.plot(s.taus, s.entropy, color=colour, label=f"{s.method}: H")
        ax.plot(s.taus, s.gini, color=colour, linestyle="--", label=f"{s.method}: 1 − Σp²")
    s0 = sweeps[0]
    ax.axhline(s0.entropy_max, color="black", linestyle=":", label=f"log n = {s0.entropy_max:.4g}")
    if s0.taus.size > 1:
        ax.set_xlim(s0.taus[0], s0.taus[-1])
    if _is_log(s0.taus):
        ax.set_xscale("log")
    ax.set_xlabel("temperature τ")
    ax.set_title(f"{head}entropy H ({s0.unit}) and 1 − Σp²", fontsize="medium")
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, fontsize="small", frameon=False
    )  # under the panel: never on the curves
