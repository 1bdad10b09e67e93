"""``compare --histogram``: each implementation's ULP errors over every row, as bars."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from ..analysis.compare import format_ulp
from ..analysis.histogram import Summary, bin_labels
from .fit import MIN_DIGITS, Column, fit_table, natural_width

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

    The numbers are never cut: the table is fitted by :func:`~softmax_cli.render.fit.fit_table`
    to ``width`` columns; on a narrow terminal the bars get shorter, and go when fewer
    than 2 cells are left for each.
    """
    labels = bin_labels()
    label = Column("ULP error", [Text(t) for t in (*labels, *(t for t, _ in _STATS))])
    label.justify, label.frozen = "left", True
    numbers = [
        Column(
            _NAMES.get(s.name, s.name),
            [*s.counts, *(Text(format_ulp(getattr(s, pick))) for _, pick in _STATS)],
        )
        for s in summaries
    ]
    bar = BAR
    if width is not None and summaries:
        # each bar column takes its cells and 3 more (padding, divider, padding)
        room = width - natural_width([label, *numbers], MIN_DIGITS, pad_edge=False, wrap=False)
        bar = min(BAR, room // len(summaries) - 3)
    columns = [label]
    for s, number in zip(summaries, numbers, strict=True):
        columns.append(number)
        if bar >= 2:
            most = max(s.counts) or 1
            bars = [Text(_bar(c, most, bar)) for c in s.counts] + [Text("")] * len(_STATS)
            columns.append(Column("", bars, justify="left"))
    table = fit_table(
        columns,
        precision=MIN_DIGITS,  # counts and ULP texts are shown whole: no digits to drop
        width=width if width is not None else natural_width(columns, MIN_DIGITS, False, False),
        max_rows=None,
        pad_edge=False,
        sections=[len(labels) - 1],
    )
    entries = summaries[0].entries if summaries else 0
    title = Text(
        f"{method} in {dtype_name}: ULP errors of {entries} entries over {rows} rows",
        style="bold",
    )
    return Group(title, table)
