"""``softmax temperature-sweep``: a mapping of x/τ over a grid of τ, as tables, a picture, data.

Several input rows give one sweep each, in input order, labelled by their id
(``--id-column``) or their line number. The computation is
:func:`softmax_cli.analysis.sweep.sweep`; the terminal report is
:func:`softmax_cli.render.sweep.sweep_report`; the chart is
:func:`softmax_cli.plot.plot_sweeps`.
"""

from __future__ import annotations

import sys
from enum import Enum
from itertools import islice
from typing import Annotated, Any, Optional

import numpy as np
import typer
from rich.console import Console
from rich.text import Text

from ..analysis.compute import row_params
from ..analysis.sweep import (
    DEFAULT_MAX,
    DEFAULT_MIN,
    DEFAULT_STEPS,
    MAX_STEPS,
    parse_taus,
    require_sweepable,
    sweep,
    sweepable_names,
    tau_grid,
)
from ..analysis.sweep_records import sweep_header, sweep_records
from ..errors import SoftmaxInputError
from ..floats import parse_dtype
from ..io.records import RecordWriter
from .app import app
from .input_options import with_input_options
from .options import (
    NUMERIC_ARGS,
    DtypeName,
    DtypeOpt,
    FormatOpt,
    InputOpt,
    MethodsOpt,
    OutputFormat,
    ValuesArg,
    method_names,
    resolve_methods,
    with_method_params,
)
from .output import deliver, follow_input, resolve_format
from .source import open_source, stderr_is_terminal

SWEEP_HELP = "\n\n".join(
    [
        "Sweep the temperature τ of a mapping: from one-hot (τ → 0) to uniform (τ → ∞).",
        "For each τ: the probabilities (all of them for short vectors, else the top ones "
        "and the rest summed), max p, the entropy (nats, or --bits), the smooth max "
        "τ·LSE(x/τ) and its gap to max x, 1 − Σp² (softmax's gradient size), and for "
        "sparse mappings the support size. Then a picture of p against τ.",
        "The grid: --taus 0.1,1,10, or --min/--max/--steps, log-spaced unless --linear "
        f"(default: {DEFAULT_STEPS} steps from {DEFAULT_MIN:g} to {DEFAULT_MAX:g}; "
        f"at most {MAX_STEPS}).",
        f"Methods: those giving a distribution ({', '.join(sweepable_names())}).",
        "Several input rows give one sweep each, labelled by --id-column or line number. "
        "Several methods (--method softmax,sparsemax or a repeated --method) sweep each row "
        "with each: on a terminal each method's tables, then one picture with the methods "
        "side by side (one under another on a narrow terminal); a method column in data; "
        "in --plot a row of panels per vector with the methods side by side.",
        "--format auto is the tables and picture on a terminal; in a pipe, the input's format "
        "(CSV for arguments), or the picture when --picture or --no-tables is given.",
        "Examples:",
        "  softmax temperature-sweep 1 2 3 4",
        "  softmax temperature-sweep 1 2 3 4 --taus 0.1,1,10",
        "  softmax temperature-sweep --method sparsemax 1 2 2.5 --picture bars --no-tables",
        "  softmax temperature-sweep -1 0 2 --min 0.1 --max 10 --steps 5 --format csv",
        "  softmax temperature-sweep 1 2 3 4 --plot sweep.png",
        "  softmax temperature-sweep -m softmax,sparsemax,entmax15 1 2 2.5 --plot sweeps.png",
    ]
)


def _with_picture(requested: str, fmt: str, picture: Any, tables: bool | None) -> str:
    """``--picture``/``--no-tables`` draw text: with ``--format auto`` they ask for it in a
    pipe too (the table format, plain); with a machine format they are an error, never
    silently ignored."""
    if picture is None and tables is None:
        return fmt
    if requested == "auto":
        return "table"
    if fmt != "table":
        given = "--picture" if picture is not None else "--tables" if tables else "--no-tables"
        raise SoftmaxInputError(
            f"{given} is about the text drawn for people, which --format {fmt} does not "
            "hold: drop it, or use --format table",
            param="picture" if picture is not None else "tables",
        )
    return fmt


class Picture(str, Enum):
    """``--picture`` values."""

    heatmap = "heatmap"
    bars = "bars"
    none = "none"


_GRID = "Temperature grid"
_SHOW = "What to show"
TausOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option(
        "--taus", help="Exactly these temperatures, e.g. 0.1,1,10.", rich_help_panel=_GRID
    ),
]
MinOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        "--min", help=f"Smallest τ (default {DEFAULT_MIN:g}).", show_default=False,
        rich_help_panel=_GRID,
    ),
]  # fmt: skip
MaxOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        "--max", help=f"Largest τ (default {DEFAULT_MAX:g}).", show_default=False,
        rich_help_panel=_GRID,
    ),
]  # fmt: skip
StepsOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--steps", help=f"Number of τ, 2 to {MAX_STEPS} (default {DEFAULT_STEPS}).",
        show_default=False, rich_help_panel=_GRID,
    ),
]  # fmt: skip
LinearOpt = Annotated[
    bool,
    typer.Option("--linear", help="Space the grid linearly (default: log).", rich_help_panel=_GRID),
]
BitsOpt = Annotated[
    bool, typer.Option("--bits", help="Entropy in bits (default: nats).", rich_help_panel=_SHOW)
]
MaxEntriesOpt = Annotated[
    int,
    typer.Option(
        "--max-entries", min=2, max=50, rich_help_panel=_SHOW,
        help="Entries of a vector shown in tables and pictures; a longer one shows its top "
        "entries and the rest.",
    ),
]  # fmt: skip
#: the old name of --max-entries, still accepted (one name per meaning: issue 13)
TopAlias = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--top", min=2, max=50, hidden=True, show_default=False),
]
PictureOpt = Annotated[
    Optional[Picture],  # noqa: UP045
    typer.Option(
        "--picture", help="Terminal picture of p against τ [default: heatmap].",
        rich_help_panel=_SHOW, show_default=False,
    ),
]  # fmt: skip
TablesOpt = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--tables/--no-tables", rich_help_panel=_SHOW,
        help="Print the tables before the picture (--no-tables: the picture alone).",
    ),
]  # fmt: skip
SweepPrecisionOpt = Annotated[
    int,
    typer.Option(
        "--precision", min=1, max=17, rich_help_panel=_SHOW,
        help="Significant digits in tables (machine formats are exact).",
    ),
]  # fmt: skip
PlotOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--plot", rich_help_panel="Chart",
        help="Also write a chart (.png, .svg or .pdf); needs pip install 'softmax-lab\\[plot]'.",
    ),
]  # fmt: skip
PlotSizeOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--plot-size", rich_help_panel="Chart", show_default=False,
        help="Chart size WIDTHxHEIGHT in pixels, each side 200 to 6000 "
        "[default: 900x600, 320 higher per extra vector].",
    ),
]  # fmt: skip


# ---------------------------------------------------------------- the grid


def grid_from_options(
    taus: str | None,
    tau_min: float | None,
    tau_max: float | None,
    steps: int | None,
    linear: bool,
) -> np.ndarray:
    """The temperatures asked for: ``--taus``, or a grid from ``--min/--max/--steps``."""
    if taus is not None:
        given = [
            flag
            for flag, v in (("--min", tau_min), ("--max", tau_max), ("--steps", steps))
            if v is not None
        ] + (["--linear"] if linear else [])
        if given:
            raise SoftmaxInputError(
                f"--taus lists the temperatures: drop {', '.join(given)}", param="taus"
            )
        try:
            return parse_taus(taus)
        except SoftmaxInputError as err:
            raise SoftmaxInputError(f"--taus: {err}", param="taus") from None
    return tau_grid(
        DEFAULT_MIN if tau_min is None else tau_min,
        DEFAULT_MAX if tau_max is None else tau_max,
        DEFAULT_STEPS if steps is None else steps,
        linear=linear,
    )


# ---------------------------------------------------------------- rows


def _rows(reader, from_args: bool):
    """(label, vector) per input row; labels are ids, else line numbers (None for arguments)."""
    for batch in reader:
        for r in range(batch.values.shape[0]):
            if from_args:
                label: str | int | None = None
            elif batch.ids is not None:
                label = batch.ids[r]
            else:
                label = int(batch.lines[r])
            yield label, batch.values[r]


def _label_text(label: str | int | None, id_name: str | None) -> str | None:
    if label is None:
        return None
    if isinstance(label, int):
        return f"line {label}"
    return f"{id_name or 'id'} {label}"


# ---------------------------------------------------------------- the command


@app.command(
    "temperature-sweep", help=SWEEP_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False
)
@with_input_options
@with_method_params
def temperature_sweep(
    values: ValuesArg = None,
    method: MethodsOpt = None,
    taus: TausOpt = None,
    tau_min: MinOpt = None,
    tau_max: MaxOpt = None,
    steps: StepsOpt = None,
    linear: LinearOpt = False,
    bits: BitsOpt = False,
    max_entries: MaxEntriesOpt = 6,
    top: TopAlias = None,
    picture: PictureOpt = None,
    tables: TablesOpt = None,
    precision: SweepPrecisionOpt = 4,
    dtype: DtypeOpt = DtypeName.float64,
    input: InputOpt = None,
    format: FormatOpt = OutputFormat.auto,
    plot: PlotOpt = None,
    plot_size: PlotSizeOpt = None,
    *,
    method_params: dict[str, Any],
) -> None:
    methods = resolve_methods(method_names(method), method_params)
    for mapping, _ in methods:
        require_sweepable(mapping)
    multi = len(methods) > 1
    sparse = any(m.sparse for m, _ in methods)
    top = max_entries if top is None else top
    grid = grid_from_options(taus, tau_min, tau_max, steps, linear)
    dt = parse_dtype(dtype.value)
    fmt = _with_picture(format.value, resolve_format(format.value), picture, tables)
    picture = Picture.heatmap if picture is None else picture
    tables = True if tables is None else tables
    plot_path = size = None
    if plot is not None:
        from .. import plot as plotting  # numpy only; matplotlib is imported by require_...

        plot_path = plotting.check_plot_path(plot)
        size = plotting.parse_size(plot_size) if plot_size is not None else None
        plotting.require_matplotlib()
    with open_source(values, input, dtype=dt) as reader:
        layout = reader.layout
        fmt = follow_input(format.value, fmt, layout)  # auto in a pipe: the input's format
        from_args = layout.source_name == "<arguments>"
        columns = layout.columns

        def sweeps():
            for index, (label, x) in enumerate(_rows(reader, from_args)):
                for mapping, params in methods:
                    try:
                        s = sweep(
                            x,
                            grid,
                            method=mapping,
                            bits=bits,
                            dtype=dt,
                            **row_params(mapping, params, index),
                        )
                    except SoftmaxInputError as err:
                        where = _label_text(label, layout.id_name)
                        raise SoftmaxInputError(f"{where}: {err}" if where else str(err)) from None
                    yield label, s

        results: Any = sweeps()
        if plot_path is not None:
            results = _collect_for_plot(results, len(methods))
        if from_args:
            label_name = None
        elif layout.id_index is not None:
            label_name = layout.id_name or "id"
        else:
            label_name = "line"
        names = list(columns) if columns is not None else [str(i) for i in range(layout.width)]
        unit = "bits" if bits else "nats"

        def write(writer: RecordWriter) -> None:
            for label, s in results:
                records = sweep_records(
                    s,
                    label,
                    label_name=label_name,
                    unit=unit,
                    sparse=sparse,
                    method_column=multi,
                )
                per_write = max(1, (1 << 16) // max(s.n, 1))  # about 65,536 values a write
                while group := list(islice(records, per_write)):
                    writer.write_all(group)

        deliver(
            fmt,
            table=lambda: _print_reports(
                results,
                layout.id_name,
                top,
                precision,
                picture.value,
                columns,
                tables,
                methods=len(methods),
            ),
            records=write,
            writer=lambda stream, fmt: RecordWriter(
                stream, fmt, header=sweep_header(label_name, names, unit, sparse, multi)
            ),
        )
    if plot_path is not None:
        k = len(methods)
        curves = [  # each vector again on a dense grid: smooth curves, whatever the table's
            sweep(
                s.x,
                plotting.dense_grid(s.taus, s.n),
                method=methods[n % k][0],
                bits=bits,
                dtype=dt,
                **row_params(methods[n % k][0], methods[n % k][1], n // k),
            )
            for n, (_, s) in enumerate(results)
        ]
        labels = [_label_text(label, layout.id_name) for label, _ in results[::k]]
        if multi:
            from ..plot_methods import auto_size_methods, plot_method_sweeps

            size = size or auto_size_methods(len(labels), k)
            rows = [curves[r * k : (r + 1) * k] for r in range(len(labels))]
            plot_method_sweeps(rows, plot_path, size=size, labels=labels, top=top, columns=columns)
        else:
            size = size or plotting.auto_size(len(curves))
            plotting.plot_sweeps(
                curves, plot_path, size=size, labels=labels, top=top, columns=columns
            )
        if stderr_is_terminal():
            sys.stderr.write(f"chart written to {plot_path} ({size[0]}x{size[1]} pixels)\n")


def _collect_for_plot(results, methods: int = 1) -> list:
    """All sweeps (``methods`` per vector), read before any output so a too-long input
    fails cleanly."""
    from ..plot import MAX_PLOT_ROWS

    out = []
    for item in results:
        if len(out) == MAX_PLOT_ROWS * methods:
            raise SoftmaxInputError(
                f"--plot draws at most {MAX_PLOT_ROWS} vectors (one row of panels each), "
                f"and the input has more; plot a few rows at a time (e.g. head -n {MAX_PLOT_ROWS})"
            )
        out.append(item)
    return out


def _print_reports(
    results,
    id_name,
    top: int,
    precision: int,
    picture: str,
    columns,
    tables: bool,
    methods: int = 1,
) -> None:
    """A report per vector: with several methods, their tables and ONE picture of them
    side by side (:func:`~softmax_cli.render.sweep_methods.methods_report`)."""
    from ..render.sweep import sweep_report
    from ..render.sweep_methods import methods_report

    console = Console()
    results = iter(results)
    n = 0
    while group := list(islice(results, methods)):
        if n:
            console.print(Text(""))
        n += 1
        label = _label_text(group[0][0], id_name)
        options = dict(top=top, precision=precision, picture=picture, columns=columns)
        if methods > 1:
            report = methods_report([s for _, s in group], label=label, tables=tables, **options)
        else:
            report = sweep_report(group[0][1], label=label, tables=tables, **options)
        console.print(report)
