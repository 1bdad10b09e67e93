"""``softmax methods``: the registry as a table (or CSV/JSON for scripts)."""

from __future__ import annotations

import json
import sys

from rich import box
from rich.console import Console
from rich.table import Table

from .. import registry
from .app import app
from .options import FormatOpt, OutputFormat
from .source import resolve_format

METHODS_HELP = """List every mapping: name, aliases, parameters, properties and a summary.

Examples:

  softmax methods

  softmax methods --format json
"""


def method_records() -> list[dict]:
    """One plain dict per registry entry, for the table and the machine formats."""
    return [
        {
            "name": m.name,
            "aliases": list(m.aliases),
            "output": m.output,
            "parameters": {p.flag: p.default for p in m.params},
            "properties": m.properties,
            "has_naive_twin": m.naive is not None,
            "summary": m.summary,
        }
        for m in registry.MAPPINGS
    ]


@app.command(help=METHODS_HELP)
def methods(format: FormatOpt = OutputFormat.auto) -> None:
    fmt = resolve_format(format.value)
    records = method_records()
    if fmt == "json":
        json.dump(records, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    if fmt == "jsonl":
        for r in records:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
        return
    params = {r["name"]: " ".join(f"{k}={v}" for k, v in r["parameters"].items()) for r in records}
    if fmt in ("csv", "tsv"):
        import csv

        w = csv.writer(sys.stdout, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(["name", "aliases", "output", "parameters", "properties", "summary"])
        for r in records:
            w.writerow(
                [
                    r["name"],
                    " ".join(r["aliases"]),
                    r["output"],
                    params[r["name"]],
                    " ".join(r["properties"]),
                    r["summary"],
                ]
            )
        return
    table = Table(box=box.SIMPLE_HEAD, title="softmax methods", title_justify="left")
    for col in ("method", "parameters", "properties", "summary"):
        table.add_column(col, overflow="fold")
    for r in records:
        name = r["name"] + (f"\n[dim]{', '.join(r['aliases'])}[/dim]" if r["aliases"] else "")
        table.add_row(name, params[r["name"]] or "-", ", ".join(r["properties"]), r["summary"])
    Console().print(table)
