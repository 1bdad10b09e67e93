"""Many rows: one summary record per row and a verdict over all of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .formatting import format_ulp
from .results import IMPLEMENTATIONS, LABELS, Comparison


@dataclass(frozen=True)
class RowSummary:
    """The worst of each implementation on one input row."""

    row: str
    n: int
    worst: dict[str, float]
    where: dict[str, int]
    flags: dict[str, tuple[str, ...]]
    failed: dict[str, bool]
    condition: float | None


_FLAG_ORDER = ("nan", "inf", "-inf", "overflow", "underflow", "absorbed", "exact")


def summarize(cmp: Comparison, row: str) -> RowSummary:
    """One :class:`RowSummary` from a :class:`Comparison`.

    Examples
    --------
    >>> from softmax_cli.analysis.compare import compare_vector
    >>> s = summarize(compare_vector([1000.0, 2000.0]), "1")
    >>> s.flags["naive"], s.failed["accurate"]
    (('nan', 'overflow'), False)
    """
    flags = {}
    for r in cmp.results:
        seen = {f for fs in r.flags for f in fs}
        if "exact" in seen and not all("exact" in fs for fs in r.flags):
            seen.discard("exact")
        flags[r.name] = tuple(f for f in _FLAG_ORDER if f in seen)
    kappa = None
    if cmp.condition is not None:
        kappa = float(np.max(cmp.condition))
    return RowSummary(
        row,
        int(cmp.x.size),
        {r.name: r.worst for r in cmp.results},
        {r.name: r.worst_index for r in cmp.results},
        flags,
        {r.name: r.failed for r in cmp.results},
        kappa,
    )


def summary_verdict(rows: Sequence[RowSummary]) -> list[str]:
    """A sentence per implementation over many rows: worst error and how many rows failed.

    Examples
    --------
    >>> from softmax_cli.analysis.compare import compare_vector
    >>> rows = [summarize(compare_vector(v), str(i)) for i, v in enumerate([[1, 2], [1000, 2000]])]
    >>> summary_verdict(rows)[0]
    'naive: wrong on 1 of 2 rows (first: row 1: nan, overflow).'
    """
    if not rows:
        return []
    out = []
    for name in IMPLEMENTATIONS:
        have = [r for r in rows if name in r.worst]
        if not have:
            continue
        failed = [r for r in have if r.failed[name]]
        worst = max(have, key=lambda r: r.worst[name])
        label = LABELS[name]
        if failed:
            first = failed[0]
            what = ", ".join(first.flags[name]) or f"{format_ulp(first.worst[name])} ULP"
            out.append(
                f"{label}: wrong on {len(failed)} of {len(have)} rows "
                f"(first: row {first.row}: {what})."
            )
        else:
            out.append(
                f"{label}: right on all {len(have)} rows; worst error "
                f"{format_ulp(worst.worst[name])} ULP (row {worst.row})."
            )
    return out
