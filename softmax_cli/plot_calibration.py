"""The reliability diagram of ``softmax calibrate --plot``, written with matplotlib.

One column of panels per state (before: τ = 1, after: the fitted τ). The upper
panel has a bar per equal-width confidence bin, the diagonal a calibrated model
would follow, and each bin's mean confidence (a dot); the bar is grey up to the
lower of accuracy and confidence, then coloured over the gap between them (red:
over-confident, the accuracy below the confidence; blue: under-confident, the
accuracy above it); its title gives the ECE. The lower panel is the histogram
of the confidences (rows per bin), so a tall gap over a nearly empty bin is
seen for what it weighs.

matplotlib is imported only when a diagram is drawn (see :mod:`softmax_cli.plot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .calibrate import Reliability
from .errors import SoftmaxInputError
from .plot import MAX_SIDE, MIN_SIDE, check_plot_path, require_matplotlib

__all__ = ["RELIABILITY_SIZE", "plot_reliability"]

#: Width and height of the diagram in pixels (at 100 dpi) when none is given.
RELIABILITY_SIZE = (1000, 600)
_DPI = 100
_OVER, _UNDER, _BAR = "#d62728", "#1f77b4", "#8c8c8c"


def plot_reliability(
    states: Sequence[tuple[str, Reliability, float]],
    path: str | Path,
    *,
    size: tuple[int, int] | None = None,
    title: str | None = None,
) -> Path:
    """Draw the reliability diagram of each state side by side and write it to ``path``.

    Parameters
    ----------
    states : sequence of (str, Reliability, float)
        A heading (``"before (τ = 1)"``), the state's equal-width reliability
        table (:func:`softmax_cli.calibrate.reliability`) and its ECE.
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``.
    size : (int, int), optional
        Width and height in pixels (default :data:`RELIABILITY_SIZE`).
    title : str, optional
        A line above the panels (the method, the data).

    Returns
    -------
    Path
        The file written.
    """
    out = check_plot_path(path)
    if not states:
        raise SoftmaxInputError("nothing to plot: no reliability table")
    w, h = RELIABILITY_SIZE if size is None else size
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise SoftmaxInputError(f"plot size {w}x{h} is out of range")
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w / _DPI, h / _DPI), dpi=_DPI, layout="constrained")
    axes = fig.subplots(
        2, len(states), squeeze=False, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top_count = max(int(r.count.max()) for _, r, _ in states)
    for col, (head, table, ece) in enumerate(states):
        _draw(axes[0][col], axes[1][col], head, table, ece, top_count, first=col == 0)
    if title:
        fig.suptitle(title)
    fig.savefig(out, dpi=_DPI, format=out.suffix.lower()[1:])
    return out


def _draw(ax, ax_n, head: str, r: Reliability, ece: float, top_count: int, first: bool) -> None:
    full = r.count > 0
    width = r.upper - r.lower
    centre = (r.lower + r.upper) / 2
    acc = np.where(full, r.accuracy, 0.0)
    conf = np.where(full, r.confidence, 0.0)
    low = np.minimum(acc, conf)
    ax.bar(centre[full], low[full], width=width[full], color=_BAR, edgecolor="white",
           label="min(accuracy, confidence)")  # fmt: skip
    gap = conf - acc
    for mask, colour, name in (
        (full & (gap > 0), _OVER, "over-confident: accuracy below"),
        (full & (gap < 0), _UNDER, "under-confident: accuracy above"),
    ):
        if mask.any():
            ax.bar(centre[mask], np.abs(gap[mask]), bottom=low[mask], width=width[mask],
                   color=colour, alpha=0.45, edgecolor="white", label=f"gap, {name}")  # fmt: skip
    ax.plot(centre[full], conf[full], "o", color="black", markersize=3, label="mean confidence")
    ax.plot([0, 1], [0, 1], "--", color="black", linewidth=1, label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"{head}: ECE {ece:.4g}")
    if first:
        ax.set_ylabel("accuracy (top-1)")
        ax.legend(loc="upper left", fontsize="small")
    ax.grid(True, alpha=0.3)
    ax_n.bar(centre, r.count, width=width, color=_BAR, edgecolor="white")
    ax_n.set_xlim(0, 1)
    ax_n.set_ylim(0, top_count * 1.05 if top_count else 1)
    ax_n.set_xlabel("confidence (max p)")
    if first:
        ax_n.set_ylabel("rows")
    ax_n.grid(True, alpha=0.3)
