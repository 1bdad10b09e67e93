"""A chart of a temperature sweep, written with matplotlib (the optional ``plot`` extra).

matplotlib is imported only inside :func:`require_matplotlib` and
:func:`plot_sweeps`, so nothing else pays for it and the package works without
it. The figure is built with :class:`matplotlib.figure.Figure` directly (no
``pyplot``, no global backend switch), so it is safe to call from any program.

Each swept vector gets one row of two panels: the probabilities stacked against
``τ`` (log axis for a log grid), and the entropy with ``1 − Σp²`` (and, for a
sparse map, the support size) against ``τ``.

Examples
--------
>>> parse_size("900x600")
(900, 600)
>>> check_plot_path("sweep.svg").suffix
'.svg'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .analysis.sweep import Sweep, top_entries
from .errors import SoftmaxInputError

__all__ = [
    "DEFAULT_SIZE",
    "MAX_PLOT_ROWS",
    "MAX_SIDE",
    "MIN_SIDE",
    "PLOT_SUFFIXES",
    "check_plot_path",
    "dense_grid",
    "parse_size",
    "plot_sweeps",
    "require_matplotlib",
]

#: File types the chart can be written as (chosen by the file's suffix).
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
#: Width and height of the chart in pixels (at 100 dpi).
DEFAULT_SIZE = (900, 600)
MIN_SIDE = 200
MAX_SIDE = 6000
#: At most this many swept vectors in one chart (one row of panels each).
MAX_PLOT_ROWS = 6
_DPI = 100
INSTALL_HINT = "pip install 'softmax-lab[plot]'"


def parse_size(text: str) -> tuple[int, int]:
    """``"WIDTHxHEIGHT"`` in pixels, each side between :data:`MIN_SIDE` and :data:`MAX_SIDE`.

    Examples
    --------
    >>> parse_size("1200X800")
    (1200, 800)
    >>> parse_size("90000x10")
    Traceback (most recent call last):
    ...
    softmax_cli.errors.SoftmaxInputError: plot size 90000x10: each side must be between 200 and 6000 pixels
    """  # noqa: E501
    parts = str(text).lower().replace(" ", "").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise SoftmaxInputError(
            f"{{param}} must be WIDTHxHEIGHT in pixels, such as 900x600, got {text!r}",
            param="plot_size",
            label="plot size",
        ) from None
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise SoftmaxInputError(
            f"{{param}} {text}: each side must be between {MIN_SIDE} and {MAX_SIDE} pixels",
            param="plot_size",
            label="plot size",
        )
    return w, h


def check_plot_path(path: str | Path) -> Path:
    """The chart's path, if its suffix names a type the chart can be written as.

    Examples
    --------
    >>> check_plot_path("out.jpg")
    Traceback (most recent call last):
    ...
    softmax_cli.errors.SoftmaxInputError: plot file out.jpg: the file must end in .png, .svg or .pdf
    """
    p = Path(path)
    if p.suffix.lower() not in PLOT_SUFFIXES:
        raise SoftmaxInputError(
            f"{{param}} {path}: the file must end in {', '.join(PLOT_SUFFIXES[:-1])} "
            f"or {PLOT_SUFFIXES[-1]}",
            param="plot",
            label="plot file",
        )
    return p


def require_matplotlib() -> Any:
    """Import matplotlib, or raise one clear :class:`SoftmaxInputError` saying how to get it."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401  (the part we use)
    except ImportError:
        raise SoftmaxInputError(
            f"{{plot}} needs matplotlib, which is not installed: {INSTALL_HINT}", also=("plot",)
        ) from None
    return matplotlib


#: Temperatures a curve is drawn through (at most; fewer for very long vectors).
CURVE_POINTS = 241
#: Probabilities one dense re-sweep may hold (a sweep's own limit).
_CURVE_BUDGET = 5_000_000


def dense_grid(taus: np.ndarray, n: int) -> np.ndarray:
    """The temperatures the chart's curves go through: :data:`CURVE_POINTS` spanning the
    table's grid (log-spaced when it spans more than a decade), independent of how many
    temperatures the table shows; fewer for a vector of ``n`` entries too long for them.

    Examples
    --------
    >>> g = dense_grid(np.array([0.01, 1.0, 100.0]), 4)
    >>> g.size, float(g[0]), float(g[-1]), bool(np.allclose(g[120], 1.0))
    (241, 0.01, 100.0, True)
    >>> dense_grid(np.array([2.0]), 4).tolist()
    [2.0]
    """
    taus = np.asarray(taus, dtype=np.float64)
    if taus.size < 2 or taus[0] == taus[-1]:
        return taus
    points = max(taus.size, min(CURVE_POINTS, _CURVE_BUDGET // max(n, 1)))
    if _is_log_grid(taus):
        grid = np.geomspace(taus[0], taus[-1], points)
    else:
        grid = np.linspace(taus[0], taus[-1], points)
    grid[0], grid[-1] = taus[0], taus[-1]
    return grid


def auto_size(rows: int) -> tuple[int, int]:
    """The chart's size when none is given: 900 wide, 600 high, 320 more per extra row.

    Examples
    --------
    >>> auto_size(1), auto_size(3)
    ((900, 600), (900, 1240))
    """
    return DEFAULT_SIZE[0], DEFAULT_SIZE[1] + 320 * max(rows - 1, 0)


def _is_log_grid(taus: np.ndarray) -> bool:
    """Whether the temperatures are better shown on a log axis (they span > 1 decade)."""
    return taus.size > 1 and taus[-1] / taus[0] > 10


def plot_sweeps(
    sweeps: Sequence[Sweep],
    path: str | Path,
    *,
    size: tuple[int, int] | None = None,
    labels: Sequence[str | None] | None = None,
    top: int = 6,
    columns: Sequence[str] | None = None,
) -> Path:
    """Draw ``sweeps`` (one row of panels each) and write the chart to ``path``.

    Parameters
    ----------
    sweeps : sequence of Sweep
        At most :data:`MAX_PLOT_ROWS`.
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``; written at exactly ``size`` pixels (100 dpi).
    size : (int, int), optional
        Width and height in pixels; by default :func:`auto_size` of the rows.
    labels : sequence of str or None, optional
        A label per sweep (its input line or id), shown in the panel titles when there
        is more than one sweep.
    top : int
        Entries drawn at most; the others are stacked as one ``rest`` band.
    columns : sequence of str, optional
        Names of the entries (an input header).

    Returns
    -------
    Path
        The file written.
    """
    out = check_plot_path(path)
    if not sweeps:
        raise SoftmaxInputError("nothing to plot: no vectors were read")
    if len(sweeps) > MAX_PLOT_ROWS:
        raise SoftmaxInputError(
            f"{{plot}} draws at most {MAX_PLOT_ROWS} vectors, got {len(sweeps)}", also=("plot",)
        )
    w, h = auto_size(len(sweeps)) if size is None else size
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise SoftmaxInputError(f"plot size {w}x{h} is out of range")
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w / _DPI, h / _DPI), dpi=_DPI, layout="constrained")
    axes = fig.subplots(len(sweeps), 2, squeeze=False)
    labels = list(labels) if labels is not None and len(sweeps) > 1 else [None] * len(sweeps)
    for row, s in enumerate(sweeps):
        _draw(axes[row][0], axes[row][1], s, labels[row], top, columns)
    fig.savefig(out, dpi=_DPI, format=out.suffix.lower()[1:])
    return out


def _draw(ax_p, ax_h, s: Sweep, label: str | None, top: int, columns) -> None:
    idx, rest = top_entries(s, top)
    # the largest logit at the bottom (it fills the panel as τ → 0), the rest on top
    order = sorted(idx.tolist(), key=lambda i: (-float(s.x[i]), i))
    names = [
        (str(columns[i]) if columns is not None else f"p{i}") + f" (x={s.x[i]:.4g})" for i in order
    ]
    bands = [s.p[:, i].astype(np.float64) for i in order]
    if rest is not None:
        names.append(f"rest ({s.n - idx.size})")
        bands.append(rest.astype(np.float64))
    taus = s.taus
    head = f"{label}: " if label else ""
    ax_p.stackplot(taus, np.vstack(bands), labels=names, alpha=0.85)
    ax_p.set_ylim(0, 1)
    if taus.size > 1:
        ax_p.set_xlim(taus[0], taus[-1])
    ax_p.set_xlabel("temperature τ")
    ax_p.set_ylabel("p (stacked)")
    ax_p.set_title(f"{head}{s.method}(x/τ): one-hot → uniform", fontsize="medium")
    handles, texts = ax_p.get_legend_handles_labels()  # listed top band first, as stacked
    ax_p.legend(
        handles[::-1],
        texts[::-1],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize="small",
        frameon=False,
    )  # fmt: skip  (beside the panel: never on the data)

    ax_h.plot(taus, s.entropy, label=f"entropy H ({s.unit})", color="C0")
    ax_h.axhline(s.entropy_max, color="C0", linestyle=":", label=f"log n = {s.entropy_max:.4g}")
    ax_h.plot(taus, s.gini, label="1 − Σp²", color="C1")
    ax_h.set_xlabel("temperature τ")
    ax_h.set_title(f"{head}entropy and gradient size", fontsize="medium")
    if taus.size > 1:
        ax_h.set_xlim(taus[0], taus[-1])
    lines, texts = ax_h.get_legend_handles_labels()
    if s.support is not None:
        ax_s = ax_h.twinx()
        ax_s.step(taus, s.support, where="mid", color="C2", label="support size")
        ax_s.set_ylabel("support size")
        ax_s.set_ylim(0, s.n + max(1, math.ceil(0.05 * s.n)))
        more_lines, more_texts = ax_s.get_legend_handles_labels()
        lines, texts = lines + more_lines, texts + more_texts
        if _is_log_grid(taus):
            ax_s.set_xscale("log")
    ax_h.legend(
        lines,
        texts,
        loc="upper left",
        bbox_to_anchor=(0.0, -0.2),
        ncols=2,
        borderaxespad=0.0,
        fontsize="small",
        frameon=False,
    )  # fmt: skip  (under the panel: never on the curves)
    if _is_log_grid(taus):
        ax_p.set_xscale("log")
        ax_h.set_xscale("log")
