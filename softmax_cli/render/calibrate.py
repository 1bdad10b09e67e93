"""Rich tables of ``softmax calibrate``: the measures before and after, the reliability bins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.text import Text

from .fit import Column, fit_table

#: How each measure is named in the table.
LABELS = {
    "temperature": "temperature τ",
    "nll": "NLL (nats)",
    "ece": "ECE, equal-width bins",
    "ece_mass": "ECE, equal-mass bins",
    "mce": "MCE, equal-width bins",
    "brier": "Brier score",
    "accuracy": "accuracy (top-1)",
}


def measures_table(
    names: Sequence[str], states: Sequence[tuple[str, dict[str, float]]], precision: int, title: str
) -> Any:
    """One line per measure, one column per state (before, after)."""
    columns = [Column("measure", [Text(LABELS.get(n, n)) for n in names], "left", frozen=True)]
    for head, values in states:
        columns.append(Column(head, [float(values[n]) for n in names]))
    return fit_table(columns, precision=precision, title=title, max_rows=None, unit="measures")


def reliability_table(tables: Sequence[tuple[str, Any]], precision: int, title: str) -> Any:
    """One line per bin: its range, then rows, confidence and accuracy of each state.

    Empty bins show ``-`` (they count for nothing in ECE and MCE).
    """
    first = tables[0][1]
    ranges = [
        Text(f"[{lo:.3g}, {hi:.3g}{']' if k == len(first.lower) - 1 else ')'}")
        for k, (lo, hi) in enumerate(zip(first.lower, first.upper, strict=True))
    ]
    columns = [Column("confidence bin", ranges, "left", frozen=True)]
    for head, r in tables:
        columns.append(Column(f"n {head}", [int(c) for c in r.count]))
        columns.append(Column(f"conf {head}", _cells(r.confidence, r.count)))
        columns.append(Column(f"acc {head}", _cells(r.accuracy, r.count)))
    return fit_table(columns, precision=precision, title=title, max_rows=None, unit="bins")


def _cells(values: np.ndarray, count: np.ndarray) -> list[Any]:
    return [float(v) if c else Text("-") for v, c in zip(values, count, strict=True)]


__all__ = ["LABELS", "measures_table", "reliability_table"]
