"""``compare --scan`` on a terminal: a character chart of the worst error against the scale.

One column per scan step (or per group of steps, each showing its worst), one
row per band of error: the cell holds the letter of the implementation whose
worst error falls in that band (``n`` naive, ``x`` x − max, ``a`` accurate;
where they share a cell, ``a`` is drawn over ``x`` over ``n``). The dtype's
limits are marked under the axis (``O`` overflow, ``U`` underflow, ``A``
absorption) and dotted up through the chart, then said in a sentence each.
"""

from __future__ import annotations

import math

import numpy as np
from rich.console import Group
from rich.text import Text

from ..analysis.scan import Scan

__all__ = ["BANDS", "band", "scan_chart"]

#: (label, lower bound of the worst error in ULPs), top to bottom
BANDS: tuple[tuple[str, float], ...] = (
    ("nan/inf", math.inf),
    ("≥ 1e12", 1e12),
    ("≥ 1e8", 1e8),
    ("≥ 1e4", 1e4),
    ("≥ 100", 100.0),
    ("≥ 10", 10.0),
    ("≥ 1", 1.0),
    ("< 1", 0.0),
)
_LETTER = {"naive": "n", "shifted": "x", "accurate": "a"}
_MARK = {"overflow": "O", "underflow": "U", "absorption": "A"}
_LABEL = 8  # width of the band labels


def band(ulp: float) -> int:
    """The row (0 = top) of a worst error in ULPs; nan counts as inf.

    Examples
    --------
    >>> band(float("inf")), band(3e12), band(0.5), band(1.0), band(float("nan"))
    (0, 1, 7, 6, 0)
    """
    if not ulp < math.inf:
        return 0
    return next(i for i, (_, low) in enumerate(BANDS) if i > 0 and ulp >= low)


def _columns(n: int, room: int) -> list[range]:
    """The scan steps each chart column shows: all of them, or groups when they do not fit."""
    per = max(1, math.ceil(n / max(room, 1)))
    return [range(i, min(n, i + per)) for i in range(0, n, per)]


def scan_chart(sc: Scan, width: int = 80) -> Group:
    """The chart, its axis, the marks of the dtype's limits and their sentences."""
    cols = _columns(len(sc.scales), width - _LABEL - 3)
    grid = [[" "] * len(cols) for _ in BANDS]
    for name in ("naive", "shifted", "accurate"):  # later ones drawn over earlier ones
        if name not in sc.worst:
            continue
        w = sc.worst[name]
        for c, steps in enumerate(cols):
            grid[band(float(np.nanmax(np.where(np.isnan(w[steps]), np.inf, w[steps]))))][c] = (
                _LETTER[name]
            )
    marks = [" "] * len(cols)
    for t in sc.thresholds:
        if t.step is None:
            continue
        c = next(i for i, steps in enumerate(cols) if t.step in steps)
        marks[c] = _MARK[t.name]
        for row in grid:
            if row[c] == " ":
                row[c] = "┊"
    lines = [
        Text(f"{label:>{_LABEL}} │" + "".join(row))
        for (label, _), row in zip(BANDS, grid, strict=True)
    ]
    lines.append(Text(" " * _LABEL + " └" + "─" * len(cols)))
    lines.append(Text(" " * (_LABEL + 2) + "".join(marks)))
    lo, hi = f"s = {sc.scales[0]:.4g}", f"{sc.scales[-1]:.4g}"
    gap = max(1, len(cols) - len(lo) - len(hi))
    lines.append(Text(" " * (_LABEL + 2) + lo + " " * gap + hi))
    title = Text(
        f"{sc.method} of x·s in {sc.dtype.name}: worst error in ULPs against s "
        f"({len(sc.scales)} steps)",
        style="bold",
    )
    present = [n for n in ("naive", "shifted", "accurate") if n in sc.worst]
    names = {"naive": "naive", "shifted": "x − max", "accurate": "accurate"}
    legend = Text(
        "  ".join(f"{_LETTER[n]} {names[n]}" for n in present)
        + ("  (a over x over n where they share a cell)" if len(present) > 1 else "")
    )
    said = [
        Text(
            f"{_MARK[t.name]} {t.name}"
            + (f" (step {t.step + 1})" if t.step is not None else " (beyond this scan)")
            + f": {t.text}"
        )
        for t in sc.thresholds
    ]
    return Group(title, Text(""), *lines, legend, *said)
