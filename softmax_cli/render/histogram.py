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


def _bar(count: int, most: int) -> str:
    if count == 0:
        return ""
    return "█" * max(1, round(BAR * count / most))


def histogram_view(summaries: Sequence[Summary], method: str, dtype_name: str, rows: int) -> Group:
    """Bins down, implementations across (count and bar), then median, 99th percentile, max."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("ULP error", no_wrap=True)
    for s in summaries:
        table.add_column(_NAMES.get(s.name, s.name), justify="right", no_wrap=True)
        table.add_column("", no_wrap=True, max_width=BAR)
    for i, label in enumerate(bin_labels()):
        cells: list[str] = [label]
        for s in summaries:
            most = max(s.counts) or 1
            cells += [str(s.counts[i]), _bar(s.counts[i], most)]
        table.add_row(*cells)
    table.add_section()
    for stat, pick in (("median", "median"), ("99th pct", "p99"), ("max", "worst")):
        cells = [stat]
        for s in summaries:
            cells += [format_ulp(getattr(s, pick)), ""]
        table.add_row(*cells)
    entries = summaries[0].entries if summaries else 0
    title = Text(
        f"{method} in {dtype_name}: ULP errors of {entries} entries over {rows} rows",
        style="bold",
    )
    return Group(title, table)
