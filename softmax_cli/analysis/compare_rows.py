"""What ``compare`` reports per input row: records for the writer, the worst error for --check.

:func:`json_record` is one comparison as a nested record (JSON formats);
:func:`delimited_records` the same comparison as one flat record per entry
(CSV/TSV); :class:`Worst` follows the accurate implementation's largest error
over the rows. Both record forms hold numbers bit-exactly in the comparison's
dtype and the oracle's values as decimal strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io.records import Text, numbers
from .compare import dtype_name
from .compare.bits import step_rows

__all__ = ["Worst", "delimited_records", "json_record"]


def json_record(label: str, cmp: Any, bits: bool = False) -> list[tuple[str, Any]]:
    """One compared vector as a record: inputs, oracle, every implementation, verdict.

    With ``bits``, every explained step also holds each value's ``bits`` (sign,
    exponent and mantissa, space-separated), ``spacing`` (1 ULP there) and ``marks``.
    """
    fields: list[tuple[str, Any]] = [
        ("row", label),
        ("method", cmp.method),
        ("dtype", dtype_name(cmp.dtype)),
        ("dps", int(cmp.dps)),
        ("temperature", float(cmp.temperature)),
    ]
    if cmp.target is not None:
        fields.append(("target", int(cmp.target)))
    if cmp.accumulate is not None:
        fields.append(("accumulate", dtype_name(cmp.accumulate)))
    fields += [
        ("x", numbers(cmp.x)),
        ("oracle", [Text(t) for t in cmp.oracle_text]),
        ("condition", None if cmp.condition is None else numbers(cmp.condition)),
    ]
    impls = {}
    for r in cmp.results:
        impl: dict[str, Any] = {
            "values": numbers(r.values),
            "ulp": numbers(r.ulp),
            "flags": [list(f) for f in r.flags],
            "worst_ulp": numbers(np.array([r.worst]))[0],
            "wrong": bool(r.failed),
        }
        if r.trace is not None and r.trace.steps and r.trace.steps[0].exact is not None:
            impl["steps"] = [_step(s, bits) for s in r.trace.steps]
        impls[r.name] = impl
    fields.append(("implementations", impls))
    fields.append(("verdict", [Text(v) for v in cmp.verdict]))
    return fields


def _step(s: Any, bits: bool = False) -> dict[str, Any]:
    out = {
        "step": s.key,
        "formula": Text(s.formula),
        "dtype": dtype_name(s.dtype),
        "values": numbers(s.values),
        "ulp": None if s.ulp is None else numbers(s.ulp),
        "event": s.event,
        "note": None if s.note is None else Text(s.note),
    }
    if bits:
        rows = step_rows(s, max_entries=0)  # every value
        out["bits"] = [f"{r.sign} {r.exponent} {r.mantissa}" for r in rows]
        out["spacing"] = numbers(np.array([r.ulp for r in rows]))
        out["marks"] = [list(r.marks) for r in rows]
    return out


def delimited_records(label: str, cmp: Any, id_name: str | None) -> list[list[tuple[str, Any]]]:
    """One flat record per entry (one per row for a reduction): x, oracle, each result, κ."""
    xs = numbers(cmp.x)
    cols = [(r.name, numbers(r.values), numbers(r.ulp), r.flags) for r in cmp.results]
    kappa = numbers(cmp.condition) if cmp.condition is not None else None
    out = []
    for i in range(len(cmp.oracle_text)):
        row: list[tuple[str, Any]] = [
            (id_name or "row", label),
            ("i", "" if cmp.scalar else str(i)),
            ("x", "" if cmp.scalar else xs[i]),
            ("oracle", cmp.oracle_text[i]),
        ]
        for name, vals, ulps, flags in cols:
            row += [
                (name, vals[i]),
                (f"{name}_ulp", ulps[i]),
                (f"{name}_flags", " ".join(flags[i])),
            ]
        row.append(("condition", "" if kappa is None else kappa[i]))
        out.append(row)
    return out


#: The columns of :func:`method_records`, after the row label and the method.
METHOD_COLUMNS = (
    "i",
    "x",
    "oracle",
    *(
        f"{impl}{end}"
        for impl in ("naive", "shifted", "accurate")
        for end in ("", "_ulp", "_flags")
    ),
    "condition",
)


def method_records(label: str, cmp: Any, id_name: str | None) -> list[list[tuple[str, Any]]]:
    """:func:`delimited_records` of one of several methods: a ``method`` column after the
    label, and every column of :data:`METHOD_COLUMNS` (empty where this method has no
    naive or ``x − max`` twin), so the methods' rows share one header."""
    out = []
    for rec in delimited_records(label, cmp, id_name):
        have = dict(rec[1:])
        out.append(
            [rec[0], ("method", cmp.method), *((c, have.get(c, "")) for c in METHOD_COLUMNS)]
        )
    return out


class Worst:
    """The largest error of the accurate implementation over the rows, for --check."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.ulp = -1.0
        self.label = ""
        self.index = 0
        self.scalar = False
        self.rows = 0
        self.over = 0

    def see(self, label: str, cmp: Any) -> None:
        """Take one row's comparison into account."""
        acc = cmp.accurate
        self.rows += 1
        self.over += acc.worst > self.limit
        if acc.worst > self.ulp:
            self.ulp, self.label, self.index = acc.worst, label, acc.worst_index
            self.scalar = cmp.scalar

    @property
    def failed(self) -> bool:
        """Whether some row is off by more than the limit."""
        return self.ulp > self.limit
