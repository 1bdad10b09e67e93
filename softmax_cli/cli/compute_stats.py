"""``softmax compute --stats``: per-row statistics of each method's distribution, and a summary.

The statistics are :mod:`softmax_cli.analysis.stats`; rows stream through in
batches, except with ``--label-column`` (read whole by :func:`.labels.read_labelled`).
The rows go through the one record writer; the summary (means, accuracy,
perplexity = exp(mean NLL)) is a table under the rows on a terminal, else one
line per method on stderr, so that stdout stays a clean table of numbers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
from rich.console import Console

from .. import registry
from ..analysis.compute import Methods, row_params, run_mapping
from ..analysis.stats import Summary, row_stats, stat_columns
from ..errors import SoftmaxInputError
from ..io.writers import RowWriter
from ..render import MAX_ROWS, HeadTail, rows_table
from ..render.calibrate import measures_table
from .labels import read_labelled
from .output import deliver, follow_input
from .source import RowProgress, open_source, stdout_is_terminal, wants_progress

#: Rows of a ``--format table`` written to a pipe or a file before it shows head … tail.
PIPE_TABLE_ROWS = 10_000


def check_stats_options(
    methods: Methods, stats: bool, bits: bool, label_column: str | None, axis: int
) -> None:
    """``--bits`` and ``--label-column`` need ``--stats``; ``--stats`` needs distributions."""
    if not stats:
        for given, param in ((bits, "bits"), (label_column is not None, "label_column")):
            if given:
                raise SoftmaxInputError(
                    "{param} applies to the statistics: add --stats", param=param
                )
        return
    if axis == 0:
        raise SoftmaxInputError("--stats works on rows: drop {param} 0", param="axis")
    for m, _ in methods:
        if m.output != registry.DISTRIBUTION:
            hint = " (use --method softmax)" if m.output == registry.LOG_DISTRIBUTION else ""
            raise SoftmaxInputError(
                f"--stats needs distributions; {{param}} {m.name} gives a {m.output}{hint}",
                param="method",
            )


def _block_stats(
    methods: Methods,
    x: np.ndarray,
    labels: np.ndarray | None,
    temperature: float,
    bits: bool,
    index: int,
) -> list[np.ndarray]:
    """Each method's :func:`row_stats` of one block of logits."""
    out = []
    for m, params in methods:
        given = row_params(m, params, index)
        p = run_mapping(m, x, axis=-1, temperature=temperature, params=given)
        log_pt = None
        if labels is not None and m.log_probs is not None:  # exact however small p_t is
            lp = m.log_probs(x, axis=-1, temperature=temperature, **given)
            log_pt = lp[np.arange(x.shape[0]), labels]
        out.append(row_stats(p, labels, log_p_label=log_pt, bits=bits))
    return out


def run_stats(
    methods: Methods,
    *,
    values: list[str] | None,
    input: str | None,
    label_column: str | None,
    dtype: np.dtype,
    temperature: float,
    bits: bool,
    fmt: str,
    format_name: str,
    precision: int,
    output: str | None,
) -> None:
    """Read, compute and write the statistics (the body of ``compute --stats``)."""
    labelled = label_column is not None
    names = stat_columns(labelled)
    multi = len(methods) > 1
    columns = [f"{m.name}:{n}" if multi else n for m, _ in methods for n in names]
    summaries = [Summary(labelled, bits) for _ in methods]

    def blocks(reader, advance) -> Iterator[tuple[np.ndarray, list | None]]:
        if labelled:
            data = reader
            x = data.values.astype(dtype, copy=False)
            parts = _block_stats(methods, x, data.labels, temperature, bits, 0)
            yield from _emit(parts, data.ids, summaries)
            return
        for i, b in enumerate(reader):
            parts = _block_stats(
                methods, b.values.astype(dtype, copy=False), None, temperature, bits, i
            )
            advance(b.values.shape[0])
            yield from _emit(parts, b.ids, summaries)

    if labelled:
        data = read_labelled(values, input, label_column=label_column, dtype=dtype)
        layout = data.layout
        fmt = follow_input(format_name, fmt, layout)
        _write(
            blocks(data, None),
            layout,
            fmt,
            columns,
            methods,
            summaries,
            precision,
            output,
            bits,
            lambda: None,
        )
        return
    with (
        open_source(values, input, dtype=dtype) as reader,
        RowProgress("compute", reader, enabled=wants_progress(values, fmt, output)) as bar,
    ):
        fmt = follow_input(format_name, fmt, reader.layout)
        _write(
            blocks(reader, bar.advance),
            reader.layout,
            fmt,
            columns,
            methods,
            summaries,
            precision,
            output,
            bits,
            bar.stop,
        )


def _emit(parts, ids, summaries) -> Iterator[tuple[np.ndarray, list | None]]:
    for part, summary in zip(parts, summaries, strict=True):
        summary.add(part)
    yield np.concatenate(parts, axis=1), ids


def _write(batches, layout, fmt, columns, methods, summaries, precision, output, bits, stop):
    has_ids = layout.id_index is not None
    unit = "bits" if bits else "nats"

    def table() -> None:
        limit = MAX_ROWS if stdout_is_terminal() else PIPE_TABLE_ROWS
        kept = HeadTail(limit - limit // 4, limit // 4)
        for block, ids in batches:
            kept.add(block, ids)
        stop()
        values, ids, rows, hidden = kept.result()
        console = Console()
        title = f"statistics of {', '.join(m.name for m, _ in methods)} (entropy in {unit})"
        console.print(
            rows_table(
                columns,
                values,
                precision,
                ids=ids if has_ids else None,
                id_name=layout.id_name,
                title=title,
                rows=rows,
                hidden_rows=hidden,
            )
        )
        results = [_shown(s.result(), unit) for s in summaries]
        rows_n = summaries[0].rows
        console.print(
            measures_table(
                list(results[0]),
                [(m.name, r) for (m, _), r in zip(methods, results, strict=True)],
                precision,
                f"summary of {rows_n} row{'' if rows_n == 1 else 's'}",
            )
        )

    def records(writer: RowWriter) -> None:
        for block, ids in batches:
            writer.write(block, ids)
        stop()
        for (m, _), s in zip(methods, summaries, strict=True):
            sys.stderr.write(summary_line(m.name, s.result(), unit, precision) + "\n")

    deliver(
        fmt,
        table=table,
        records=records,
        writer=lambda stream, f: RowWriter(
            stream,
            f,
            columns=columns,
            id_name=layout.id_name,
            has_ids=has_ids,
            dtype=np.float64,
        ),
        output=output,
    )


def _shown(result: dict[str, Any], unit: str) -> dict[str, float]:
    """The summary as the table shows it: a label per line (the mean of ``correct``
    is the accuracy, shown once)."""
    shown = {
        f"mean entropy ({unit})": result["mean_entropy"],
        "mean perplexity exp(H)": result["mean_perplexity"],
        "mean max p": result["mean_max_p"],
        "mean margin p(1) − p(2)": result["mean_margin"],
        "mean support size": result["mean_support"],
    }
    if "accuracy" in result:
        shown[f"mean NLL ({unit})"] = result["mean_nll"]
        shown["accuracy (top-1)"] = result["accuracy"]
        shown["mean rank of the label"] = result["mean_rank"]
        shown["perplexity exp(mean NLL)"] = result["perplexity"]
    return shown


def summary_line(name: str, result: dict[str, Any], unit: str, precision: int) -> str:
    """One line: the means over the rows, and with labels the accuracy and perplexity.

    Examples
    --------
    >>> summary_line("softmax", {"rows": 2, "mean_entropy": 0.5, "mean_perplexity": 1.7,
    ...     "mean_max_p": 0.8, "mean_margin": 0.6, "mean_support": 3.0}, "nats", 4)
    'softmax, 2 rows: mean entropy 0.5 nats, perplexity 1.7, max_p 0.8, margin 0.6, support 3'
    """

    def g(v: float) -> str:
        return f"{v:.{precision}g}"

    rows = f"{result['rows']} row{'' if result['rows'] == 1 else 's'}"
    line = (
        f"{name}, {rows}: mean entropy {g(result['mean_entropy'])} {unit}, "
        f"perplexity {g(result['mean_perplexity'])}, max_p {g(result['mean_max_p'])}, "
        f"margin {g(result['mean_margin'])}, support {g(result['mean_support'])}"
    )
    if "accuracy" in result:
        line += (
            f"; mean NLL {g(result['mean_nll'])} {unit}, accuracy {g(result['accuracy'])}, "
            f"mean rank {g(result['mean_rank'])}, "
            f"perplexity exp(mean NLL) {g(result['perplexity'])}"
        )
    return line
