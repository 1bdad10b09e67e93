"""``softmax methods``: the registry as a table (or CSV/JSON for scripts)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..analysis.methods import method_records, method_rows, parameter_text
from ..io.records import RecordWriter
from ..render.text import plain
from .app import app
from .options import FormatOpt, OutputFormat
from .output import deliver, resolve_format

__all__ = ["method_records", "methods"]

METHODS_HELP = """List every mapping: name, aliases, parameters, properties and a summary.

Examples:

  softmax methods

  softmax methods --format json
"""


@app.command(help=METHODS_HELP)
def methods(format: FormatOpt = OutputFormat.auto) -> None:
    records = method_records()

    def write(writer: RecordWriter) -> None:
        writer.write_all(method_rows(records) if writer.delimited else records)

    deliver(
        resolve_format(format.value),
        table=lambda: _print_table(records),
        records=write,
        writer=lambda stream, fmt: RecordWriter(stream, fmt, json_layout="pretty"),
    )


def _print_table(records: list[dict]) -> None:
    table = Table(box=box.SIMPLE_HEAD, title="softmax methods", title_justify="left")
    for col in ("method", "parameters", "properties", "summary"):
        table.add_column(col, overflow="fold")
    for r in records:
        name = plain(r["name"])
        if r["aliases"]:
            name.append("\n")
            name.append_text(plain(", ".join(r["aliases"]), style="dim"))
        table.add_row(
            name,
            plain(parameter_text(r) or "-"),
            plain(", ".join(r["properties"])),
            plain(r["summary"]),
        )
    Console().print(table)
