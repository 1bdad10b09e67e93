"""``softmax compare --scan``: each implementation on ``x·s`` over a range of ``s``.

A chart on a terminal (:func:`softmax_cli.render.scan.scan_chart`), records in a
pipe (one per step: the scale, the worst error of each implementation in ULPs,
and the dtype limit met at that step with its exact scale), and a PNG/SVG/PDF
with ``--plot`` (:mod:`softmax_cli.scan_plot`, matplotlib).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console

from ..errors import SoftmaxInputError
from ..io.records import RecordWriter
from .output import deliver

__all__ = ["run_scan", "scan_records"]


def scan_records(sc: Any) -> list[list[tuple[str, Any]]]:
    """One flat record per step: scale, each implementation's worst ULP, the limit met there."""
    at: dict[int, list[Any]] = {}
    for t in sc.thresholds:
        if t.step is not None:
            at.setdefault(t.step, []).append(t)
    out = []
    for k, s in enumerate(sc.scales):
        rec: list[tuple[str, Any]] = [("scale", np.float64(s))]
        rec += [(name, np.float64(w[k])) for name, w in sc.worst.items()]
        here = at.get(k, [])
        rec.append(("threshold", "+".join(t.name for t in here)))
        rec.append(("threshold_scale", np.array([t.scale for t in here]) if here else None))
        out.append(rec)
    return out


def run_scan(
    reader: Any,
    fmt: str,
    subj: Any,
    dt: np.dtype,
    dps: int,
    temperature: float,
    scan_to: float | None,
    scan_steps: int | None,
    plot: str | None,
) -> int:
    """Read the one vector, scan it, and deliver the chart or the records (and the plot)."""
    from ..analysis.scan import default_scales, scan

    if temperature != 1.0:
        raise SoftmaxInputError(
            "{param} does not combine with --scan: the scan itself scales the logits",
            param="temperature",
        )
    plot_path = None
    if plot is not None:
        from .. import plot as plotting

        plot_path = plotting.check_plot_path(plot)
        plotting.require_matplotlib()
    rows = [b.values[r] for b in reader for r in range(b.values.shape[0])]
    if len(rows) != 1:
        raise SoftmaxInputError(
            f"compare --scan takes one vector of logits, got {len(rows)} rows: give one row"
        )
    console = Console()
    steps = scan_steps if scan_steps is not None else max(16, min(64, console.width - 14))
    x = rows[0]
    sc = scan(x, subj, dt, default_scales(x.astype(np.float64), dt, steps, scan_to), dps=dps)
    if plot_path is not None:
        from ..scan_plot import plot_scan

        plot_scan(sc, plot_path)

    def table() -> None:
        from ..render.scan import scan_chart

        console.print(scan_chart(sc, console.width))

    def records(w: RecordWriter) -> None:
        w.write_all(scan_records(sc))

    deliver(fmt, table=table, records=records)
    return 0
