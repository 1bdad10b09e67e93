"""``compare --scan --plot FILE``: the scan as a PNG, SVG or PDF (matplotlib, imported here).

The worst error of each implementation in ULPs against the scale ``s`` (log
axis; an inf or nan result is drawn at the top edge, marked ✗), the dtype's
limits as dashed vertical lines at the exact scales where they happen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .analysis.scan import Scan
from .plot import _DPI, check_plot_path, require_matplotlib

__all__ = ["plot_scan"]

_NAMES = {"naive": "naive", "shifted": "x − max", "accurate": "accurate"}
_STYLE = {"overflow": "tab:red", "underflow": "tab:blue", "absorption": "tab:purple"}


def plot_scan(sc: Scan, path: str | Path, size: tuple[int, int] = (900, 500)) -> Path:
    """Draw ``sc`` and write it to ``path`` (.png, .svg or .pdf); returns the path."""
    out = check_plot_path(path)
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / _DPI, size[1] / _DPI), dpi=_DPI, layout="constrained")
    ax = fig.subplots()
    finite = [w[np.isfinite(w)] for w in sc.worst.values()]
    top = max([float(f.max()) for f in finite if f.size] + [10.0]) * 10
    for name, w in sc.worst.items():
        shown = np.where(np.isfinite(w), np.maximum(w, 1e-3), top)
        line = ax.plot(sc.scales, shown, marker=".", label=_NAMES.get(name, name))[0]
        bad = ~np.isfinite(w)
        if bad.any():
            ax.plot(sc.scales[bad], shown[bad], "x", color=line.get_color(), markersize=8)
    for t in sc.thresholds:
        ax.axvline(
            t.scale, linestyle="--", color=_STYLE[t.name], label=f"{t.name} s = {t.scale:.4g}"
        )
    ax.set_yscale("log")
    ax.set_xlabel("s (the implementations see x·s)")
    ax.set_ylabel(f"worst error, ULPs of {sc.dtype.name} (top edge: nan/inf)")
    ax.set_title(f"{sc.method} of x·s in {sc.dtype.name}")
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    fig.savefig(out, dpi=_DPI, format=out.suffix.lower()[1:])
    return out
