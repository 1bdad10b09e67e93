"""Error distributions: every entry's ULP error over many rows, per implementation.

``compare --histogram`` feeds each row's :class:`~.compare.Comparison` to an
:class:`ErrorHistogram`, which keeps every error (as float64: 8 bytes an entry)
so that the median and the 99th percentile are exact order statistics, and
counts them in fixed bins of ULPs; a nan or inf result (or an inf error) has a
bin of its own.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EDGES", "ErrorHistogram", "Summary", "bin_labels"]

#: bin edges in ULPs: [0, 0.5), [0.5, 1), [1, 2), ..., [1e12, ∞); non-finite errors apart
EDGES: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0, 16.0, 256.0, 1e4, 1e8, 1e12, math.inf)


def bin_labels() -> list[str]:
    """One short label per bin, then ``nan/inf``.

    Examples
    --------
    >>> bin_labels()[:4], bin_labels()[-2:]
    (['<0.5', '0.5-1', '1-2', '2-4'], ['>=1e12', 'nan/inf'])
    """

    def g(v: float) -> str:
        return f"1e{round(math.log10(v))}" if v >= 1e4 else f"{v:g}"

    out = [f"<{g(EDGES[1])}"]
    out += [f"{g(lo)}-{g(hi)}" for lo, hi in itertools.pairwise(EDGES[1:-1])]
    return [*out, f">={g(EDGES[-2])}", "nan/inf"]


@dataclass(frozen=True)
class Summary:
    """One implementation's error distribution."""

    name: str
    entries: int
    counts: tuple[int, ...]  # per bin of :data:`EDGES`, then the nan/inf count
    median: float
    p99: float
    worst: float


class ErrorHistogram:
    """Collects the ULP errors of every entry of every compared row, per implementation.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> h = ErrorHistogram()
    >>> h.see(NS(results=[NS(name="naive", ulp=np.array([0.25, 3.0, np.inf]))]))
    >>> s = h.summaries()[0]
    >>> s.entries, s.counts[0], s.counts[3], s.counts[-1], s.median, s.worst
    (3, 1, 1, 1, 3.0, inf)
    """

    def __init__(self) -> None:
        self._errors: dict[str, list[np.ndarray]] = {}

    def see(self, cmp: Any) -> None:
        """Add the errors of one :class:`~.compare.Comparison`."""
        for r in cmp.results:
            self._errors.setdefault(r.name, []).append(np.asarray(r.ulp, dtype=np.float64))

    def summaries(self) -> list[Summary]:
        """One :class:`Summary` per implementation, in the order they were first seen."""
        out = []
        for name, parts in self._errors.items():
            e = np.concatenate(parts) if parts else np.zeros(0)
            e = np.where(np.isnan(e), np.inf, e)
            finite = e[np.isfinite(e)]
            bins = np.array((*EDGES[:-1], np.finfo(np.float64).max))  # the last bin: [1e12, max]
            counts = np.histogram(finite, bins=bins)[0]
            counts = (*(int(c) for c in counts), int(e.size - finite.size))
            q = np.quantile(e, [0.5, 0.99], method="inverted_cdf") if e.size else [0.0, 0.0]
            worst = float(e.max()) if e.size else 0.0
            out.append(Summary(name, int(e.size), counts, float(q[0]), float(q[1]), worst))
        return out
