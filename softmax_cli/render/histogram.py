"""``compare --histogram``: each implementation's ULP errors over every row, as bars."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..analysis.compare import format_ulp
from ..analysis.histogram import Summary, bin_labels

__all__ = ["histogram_view"]

_NAMES = {"naive": "naive", "shifted": "x − max", "accurate": "accurate"}
BAR = 10  # cells of the longest bar


def _bar(count: int, most: int, cells: int = BAR) -> str:
    if count == 0:
        return ""
    return "█" * max(1, round(cells * count / most))


_STATS = (("median", "median"), ("99th pct", "p99"), ("max", "worst"))


def histogram_view(
    summaries: Sequence[Summary],
    method: str,
    dtype_name: str,
    rows: int,
    width: int | None = None,
) -> Group:
    """Bins down, implementations across (count and bar), then median, 99th percentile, max.

    The numbers are never cut: on a narrow terminal (``width`` columns) the bars get
    shorter, and go when fewer than 2 cells are left for each.
    """
    labels = bin_labels()
    stats = {s.name: [format_ulp(getattr(s, pick)) for _, pick in _STATS] for s in summaries}
    heads = [_NAMES.get(s.name, s.name) for s in summaries]
    number_w = [
        max(len(h), *(len(str(c)) for c in s.counts), *(len(t) for t in stats[s.name]))
        for h, s in zip(heads, summaries, strict=True)
    ]
    label_w = max(len("ULP error"), *(len(t) for t in labels), *(len(t) for t, _ in _STATS))
    bar = BAR
    if width is not None and summaries:
        # SIMPLE_HEAD: 3 cells between columns (padding, divider, padding), 1 at each edge
        fixed = label_w + sum(number_w) + 3 * (2 * len(summaries)) + 2
        bar = min(BAR, (width - fixed) // len(summaries))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("ULP error", no_wrap=True)
    for head in heads:
        table.add_column(head, justify="right", no_wrap=True)
        if bar >= 2:
            table.add_column("", no_wrap=True, max_width=bar)
    for i, label in enumerate(labels):
        cells: list[str] = [label]
        for s in summaries:
            most = max(s.counts) or 1
            cells.append(str(s.counts[i]))
            if bar >= 2:
                cells.append(_bar(s.counts[i], most, bar))
        table.add_row(*cells)
    table.add_section()
    for k, (stat, _) in enumerate(_STATS):
        cells = [stat]
        for s in summaries:
            cells.append(stats[s.name][k])
            if bar >= 2:
                cells.append("")
        table.add_row(*cells)
    entries = summaries[0].entries if summaries else 0
    title = Text(
        f"{method} in {dtype_name}: ULP errors of {entries} entries over {rows} rows",
        style="bold",
    )
    return Group(title, table)
