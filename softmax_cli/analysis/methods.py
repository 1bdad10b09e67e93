"""The registry as records: what ``softmax methods`` lists, for the table and the writer."""

from __future__ import annotations

from typing import Any

from .. import registry
from ..io.records import Text

__all__ = ["method_records", "method_rows"]


def method_records() -> list[dict[str, Any]]:
    """One record per registry entry: name, aliases, output, parameters, properties, summary.

    Examples
    --------
    >>> record = method_records()[0]
    >>> record["name"], record["has_naive_twin"]
    ('softmax', True)
    """
    return [
        {
            "name": Text(m.name),
            "aliases": [Text(a) for a in m.aliases],
            "output": Text(m.output),
            "parameters": {p.flag: _text(p.default) for p in m.params},
            "properties": [Text(p) for p in m.properties],
            "has_naive_twin": m.naive is not None,
            "summary": Text(m.summary),
        }
        for m in registry.MAPPINGS
    ]


def _text(value: Any) -> Any:
    return Text(value) if isinstance(value, str) else value


def parameter_text(record: dict[str, Any]) -> str:
    """``--flag=default ...``: a record's parameters on one line."""
    return " ".join(f"{k}={v}" for k, v in record["parameters"].items())


def method_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records flattened to one text field each, for CSV/TSV."""
    return [
        {
            "name": r["name"],
            "aliases": Text(" ".join(r["aliases"])),
            "output": r["output"],
            "parameters": Text(parameter_text(r)),
            "properties": Text(" ".join(r["properties"])),
            "summary": r["summary"],
        }
        for r in records
    ]
