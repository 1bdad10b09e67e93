"""``softmax compute``: run any registry mapping over vectors from arguments, files or stdin.

The computing is :mod:`softmax_cli.analysis.compute` (``run_mapping`` is called
through this module's name for it); the output goes through :func:`.output.deliver`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console

from .. import registry
from ..analysis.compute import Methods, method_columns, row_params, run_mapping
from ..errors import SoftmaxInputError
from ..floats import parse_dtype
from ..io.writers import RowWriter
from ..render import MAX_ROWS, HeadTail, rows_table, scalar_table, top_table, vector_table
from .app import app
from .compute_stats import check_stats_options, run_stats
from .input_options import with_input_options
from .mask import MaskRows
from .options import (
    NUMERIC_ARGS,
    DtypeName,
    DtypeOpt,
    InputOpt,
    LabelColumnOpt,
    MaskOpt,
    MethodsOpt,
    OutputOpt,
    PrecisionOpt,
    RowFormatOpt,
    RowOutputFormat,
    TemperatureOpt,
    ValuesArg,
    method_names,
    resolve_methods,
    with_method_params,
)
from .output import deliver, follow_input, resolve_format, row_writer
from .source import (
    RowProgress,
    open_source,
    stdout_is_terminal,
    values_dtype,
    wants_progress,
)

#: Rows of a ``--format table`` written to a pipe or a file before it shows head … tail.
PIPE_TABLE_ROWS = 10_000

COMPUTE_HELP = """Run a mapping on vectors of logits.

Values come from the arguments, from --input FILE, or from stdin ('-' or a
pipe): one vector per row of CSV, TSV or whitespace-separated numbers
(sniffed), or JSON; also .npy/.npz, Parquet, Arrow IPC, and gzip, bzip2, xz
or zstd input (found by their first bytes). Output has one row per input row,
in order; machine formats (csv, tsv, json, jsonl, npy, parquet, arrow) write
every float so that it reads back bit for bit.

Examples:

  softmax compute 1 2 3

  softmax compute -1000 -2000 -3000 --format csv

  softmax compute --method entmax --alpha 1.3 1,2,3

  softmax compute --method sparse-softmax --top-k 2 1 2 3 4

  softmax compute --method softmax,sparsemax,entmax15 1 2 3 --format csv

  softmax compute --stats --input examples/val.csv --id-column id -y label

  cat examples/logits.csv | softmax compute - --method sparsemax > probs.csv

  softmax compute --input examples/logits.csv --id-column id --format json

  softmax compute -i examples/logits.csv --id-column id -f npy -o probs.npy

  softmax compute --input examples/logits.csv -c cat,dog --format csv
"""

StatsOpt = Annotated[
    bool,
    typer.Option(
        "--stats",
        help="Write per-row statistics of each distribution instead of it: entropy, "
        "perplexity, max p, margin p(1) − p(2), support size (with --label-column also "
        "NLL, top-1 correct, rank of the label), and a summary (on stderr, or under a table).",
    ),
]
BitsOpt = Annotated[
    bool, typer.Option("--bits", help="--stats: entropy and NLL in bits instead of nats.")
]
AxisOpt = Annotated[
    int,
    typer.Option(
        "--axis",
        help="-1 (or 1): each row is a vector (default); 0: each column is (reads all rows first).",
    ),
]


def _run_methods(
    methods: Methods,
    values: np.ndarray,
    *,
    axis: int,
    temperature: float,
    index: int = 0,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Every method's ``run_mapping`` of block ``index``, side by side in the order given."""
    outs = [
        run_mapping(
            m,
            values,
            axis=axis,
            temperature=temperature,
            params=row_params(m, p, index),
            where=where,
        )
        for m, p in methods
    ]
    return outs[0] if len(outs) == 1 else np.concatenate(outs, axis=1)


def _per_batch(reader, methods: Methods, dt, temperature, advance, masks) -> Iterator[tuple]:
    """(result, ids, input values, pass-through texts) per batch, vectorised over its rows;
    ``masks`` (a :class:`~.mask.MaskRows` or None) gives each batch's ``where``."""
    last = None
    for i, b in enumerate(reader):
        x = b.values.astype(dt, copy=False)
        where = None if masks is None else masks.take(b.lines)
        out = _run_methods(methods, x, axis=-1, temperature=temperature, index=i, where=where)
        if b.lines.size:
            last = int(b.lines[-1])
        advance(b.values.shape[0])
        yield out, b.ids, b.values, b.passed
    if masks is not None:
        masks.finish(last)


@app.command(help=COMPUTE_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False)
@with_input_options
@with_method_params
def compute(
    values: ValuesArg = None,
    method: MethodsOpt = None,
    temperature: TemperatureOpt = 1.0,
    dtype: DtypeOpt = DtypeName.float64,
    axis: AxisOpt = -1,
    input: InputOpt = None,
    format: RowFormatOpt = RowOutputFormat.auto,
    precision: PrecisionOpt = 6,
    output: OutputOpt = None,
    mask: MaskOpt = None,
    stats: StatsOpt = False,
    bits: BitsOpt = False,
    label_column: LabelColumnOpt = None,
    *,
    method_params: dict[str, Any],
) -> None:
    methods = resolve_methods(method_names(method), method_params)
    check_stats_options(methods, stats, bits, label_column, axis)
    mapping = methods[0][0]
    scalar = {m.output == registry.SCALAR for m, _ in methods}
    dt = parse_dtype(dtype.value)
    if axis not in (-1, 0, 1):
        raise SoftmaxInputError(
            f"{{param}} must be -1 or 1 (each row a vector) or 0 (each column), got {axis}",
            param="axis",
        )
    by_column = axis == 0
    if by_column and len(scalar) > 1:
        raise SoftmaxInputError(
            "{param} 0 cannot put a reduction (one row) beside a per-entry method (a row per "
            "input row): run them apart",
            param="axis",
        )
    fmt = resolve_format(format.value, output)
    if stats:
        if mask is not None:
            raise SoftmaxInputError(
                "{param} applies to the distributions, not to --stats: run them apart",
                param="mask",
            )
        return run_stats(
            methods,
            values=values,
            input=input,
            label_column=label_column,
            dtype=dt,
            temperature=temperature,
            bits=bits,
            fmt=fmt,
            format_name=format.value,
            precision=precision,
            output=output,
        )
    with (
        open_source(values, input, dtype=dt, keep_dtype=True) as reader,
        RowProgress("compute", reader, enabled=wants_progress(values, fmt, output)) as bar,
    ):
        layout = reader.layout
        dt = values_dtype(reader, dt)  # a float32 .npy stays float32 without --dtype
        fmt = follow_input(format.value, fmt, layout)  # auto in a pipe: the input's format
        from_args = layout.source_name == "<arguments>"
        if from_args:
            by_column = False  # a single vector: both axes name it
        out_cols = method_columns(methods, layout.columns, layout.width, 0 if by_column else -1)
        masks = MaskRows(mask, layout) if mask is not None else None
        if by_column:
            blocks, ids, passed = [], [], []
            for b in reader:
                blocks.append(b)
                ids.extend(b.ids or [])
                passed.extend(b.passed or [])
            full = np.concatenate([b.values for b in blocks]).astype(dt, copy=False)
            where = None if masks is None else masks.whole(blocks)
            result = _run_methods(methods, full, axis=0, temperature=temperature, where=where)
            keep_ids = mapping.output != registry.SCALAR and layout.id_index is not None
            several = keep_ids and layout.passed is not None
            batches: Any = [(result, ids if keep_ids else None, full, passed if several else None)]
        else:
            batches = _per_batch(reader, methods, dt, temperature, bar.advance, masks)
        has_ids = layout.id_index is not None and not (
            by_column and mapping.output == registry.SCALAR
        )

        def write(writer: RowWriter) -> None:
            for result, row_ids, _, passed in batches:
                writer.write(result, passed if passed is not None else row_ids)

        deliver(
            fmt,
            table=lambda: _print_table(
                methods, batches, layout, from_args, precision, bar.stop, out_cols
            ),
            records=write,
            writer=lambda stream, fmt: row_writer(
                stream,
                fmt,
                columns=out_cols,
                id_name=layout.passed or layout.id_name,
                has_ids=has_ids,
                dtype=dt,
                overlap=True,  # every batch's result is a new array
            ),
            output=output,
        )


def _print_table(
    methods: Methods, batches, layout, from_args: bool, precision: int, stop, out_cols
) -> None:
    """The table a terminal shows: head … tail of many rows, the top entries of a long row.

    A terminal shows 40 rows; a table written to a pipe or file (``--format table``) up
    to :data:`PIPE_TABLE_ROWS`. Only the rows shown are kept while reading
    (:class:`~softmax_cli.render.HeadTail`); the progress bar is erased (``stop``)
    before anything is printed. Several methods: one vector from the arguments
    shows a column per method; rows show the ``METHOD:COLUMN`` columns.
    """
    limit = MAX_ROWS if stdout_is_terminal() else PIPE_TABLE_ROWS
    kept = HeadTail(limit - limit // 4, limit // 4)
    first_x = None
    for result, row_ids, x, _ in batches:
        if first_x is None and x.shape[0]:
            first_x = x[0]
        kept.add(result, row_ids)
    stop()
    console = Console()
    names = [m.name for m, _ in methods]
    title = ", ".join(names)
    scalar = [m.output == registry.SCALAR for m, _ in methods]
    values, ids, rows, hidden = kept.result()
    width = values.shape[1] if values.ndim == 2 else 0
    per_entry = (width - sum(scalar)) // max(1, len(scalar) - sum(scalar))

    def split(row: np.ndarray) -> dict[str, np.ndarray]:
        out, at = {}, 0
        for name, one in zip(names, scalar, strict=True):
            out[name] = row[at : at + (1 if one else per_entry)]
            at += 1 if one else per_entry
        return out

    if from_args and kept.total == 1 and (all(scalar) or not any(scalar)):
        if all(scalar):
            pairs = [(n, f"{float(v[0]):.{precision}g}") for n, v in split(values[0]).items()]
            console.print(scalar_table(pairs))
        else:
            console.print(vector_table(first_x, split(values[0]), precision))
        return
    if layout.id_index is None:
        ids = None
    if len(methods) > 1:
        cols = out_cols or [str(i) for i in range(width)]
    elif scalar[0] and width == 1:
        cols = [title]
    else:
        cols = layout.columns or [str(i) for i in range(width)]
    if kept.total == 1 and not any(scalar) and per_entry > MAX_ROWS and first_x is not None:
        label = f"{ids[0]}: {title}" if ids else title
        console.print(top_table(first_x, split(values[0]), precision, label, names=layout.columns))
        return
    console.print(
        rows_table(
            cols,
            values,
            precision,
            ids=ids,
            id_name=layout.id_name,
            title=title,
            rows=rows,
            hidden_rows=hidden,
        )
    )
