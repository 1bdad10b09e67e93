"""A temperature sweep as records: one per (input row, τ), for the one writer.

CSV/TSV columns (:func:`sweep_header`): the row label (``line`` or the id
column's name; only for file or stdin input), ``tau``, ``p_<entry>`` per entry
(``<entry>`` the input header's name or the index), ``max_p``,
``entropy_nats`` (or ``entropy_bits``), ``tau_lse``, ``lse_gap``,
``one_minus_sum_p2`` and, for sparse mappings, ``support``. Several methods in
one run add a ``method`` column after the label, and ``support`` (the count of
``p > 0``) for every method when one of them is sparse. JSON and JSON lines
hold the same records as objects, with the probabilities as one list ``p``.
Floats are exact in the sweep's dtype.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._arrays import working_dtype
from ..io.records import Text, numbers
from .sweep import Sweep

__all__ = ["sweep_header", "sweep_records"]


def _stat_names(unit: str) -> list[str]:
    return ["max_p", f"entropy_{unit}", "tau_lse", "lse_gap", "one_minus_sum_p2"]


def sweep_header(
    label_name: str | None,
    entry_names: list[str],
    unit: str,
    sparse: bool,
    method_column: bool = False,
) -> list[str]:
    """The CSV/TSV header of :func:`sweep_records`."""
    return (
        ([label_name] if label_name else [])
        + (["method"] if method_column else [])
        + ["tau"]
        + [f"p_{n}" for n in entry_names]
        + _stat_names(unit)
        + (["support"] if sparse else [])
    )


def sweep_records(
    s: Sweep,
    label: str | int | None,
    *,
    label_name: str | None,
    unit: str,
    sparse: bool,
    method_column: bool = False,
) -> Iterator[list[tuple[str, Any]]]:
    """The records of one sweep, one per τ, made as they are taken (``method_column``: the
    method's name in each).

    The text of each τ's probabilities is made when its record is: a sweep at its
    cap (10 million probabilities) never holds 10 million strings at once.
    """
    work = working_dtype(s.p.dtype)
    taus = numbers(s.taus)
    rows = s.p.reshape(s.steps, s.n)
    stats = list(
        zip(
            _stat_names(unit),
            [
                numbers(s.max_p),
                numbers(s.entropy.astype(work)),
                numbers(s.tau_lse),
                numbers(s.lse_gap),
                numbers(s.gini.astype(work)),
            ],
            strict=True,
        )
    )
    if sparse:
        support = s.support if s.support is not None else np.count_nonzero(s.p > 0, axis=1)
        stats.append(("support", [int(v) for v in support]))
    for j in range(s.steps):
        record: list[tuple[str, Any]] = [(label_name, label)] if label_name else []
        if method_column:
            record.append(("method", Text(s.method)))
        record.append(("tau", taus[j]))
        record.append(("p", numbers(rows[j])))
        record += [(name, col[j]) for name, col in stats]
        yield record
