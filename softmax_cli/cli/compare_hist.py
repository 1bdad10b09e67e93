"""``softmax compare --histogram``: the distribution of every entry's ULP error over a file.

One record per implementation in a pipe (entries, median, 99th percentile,
max, and the count in each bin); bars on a terminal
(:func:`softmax_cli.render.histogram.histogram_view`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from rich.console import Console

from ..io.records import RecordWriter
from .output import deliver

__all__ = ["histogram_records", "run_histogram"]


def histogram_records(summaries: Iterable[Any]) -> list[list[tuple[str, Any]]]:
    """One flat record per implementation: its statistics, then one count per bin."""
    from ..analysis.histogram import bin_labels

    out = []
    for s in summaries:
        rec: list[tuple[str, Any]] = [
            ("implementation", s.name),
            ("entries", s.entries),
            ("median", np.float64(s.median)),
            ("p99", np.float64(s.p99)),
            ("max", np.float64(s.worst)),
        ]
        rec += [(label, count) for label, count in zip(bin_labels(), s.counts, strict=True)]
        out.append(rec)
    return out


def run_histogram(
    rows: Iterable[tuple[str, np.ndarray]],
    fmt: str,
    subj: Any,
    dt: np.dtype,
    dps: int,
    temperature: float,
    target: int | None,
) -> int:
    """Compare every row, keep every entry's error, and deliver the distribution."""
    from ..analysis import compare as an
    from ..analysis.histogram import ErrorHistogram

    hist = ErrorHistogram()
    n = 0
    for _, x in rows:
        cmp = an.compare_vector(
            x, subj=subj, dtype=dt, dps=dps, temperature=temperature, target=target
        )
        hist.see(cmp)
        n += 1
    summaries = hist.summaries()

    def table() -> None:
        from ..render.histogram import histogram_view

        console = Console()
        console.print(
            histogram_view(summaries, subj.name, an.dtype_name(dt), n, width=console.width)
        )

    def records(w: RecordWriter) -> None:
        w.write_all(histogram_records(summaries))

    deliver(fmt, table=table, records=records)
    return 0
