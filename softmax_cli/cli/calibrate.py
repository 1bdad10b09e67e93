"""``softmax calibrate``: the temperature that calibrates a model's logits, and what it changes.

The fit is :func:`softmax_cli.calibrate.fit_temperature`; the measures are
:mod:`softmax_cli.analysis.calibration`; the tables :mod:`softmax_cli.render.calibrate`;
machine output goes through the one record writer (:func:`.output.deliver`).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from .. import calibrate as calib
from ..analysis.calibration import MEASURES, measure_states
from ..errors import SoftmaxInputError
from ..floats import parse_dtype
from ..io.floattext import format_float
from ..io.records import RecordWriter, Text
from ..render.calibrate import measures_table, reliability_table
from ..render.text import plain
from .app import app
from .input_options import with_input_options
from .labels import read_labelled
from .options import (
    NUMERIC_ARGS,
    DtypeName,
    DtypeOpt,
    FormatOpt,
    InputOpt,
    LabelColumnOpt,
    MethodOpt,
    OutputFormat,
    OutputOpt,
    PrecisionOpt,
    ValuesArg,
    one_method,
    resolve_method,
    with_method_params,
)
from .output import deliver, resolve_format
from .source import stderr_is_terminal

CALIBRATE_HELP = """Fit the temperature τ that calibrates logits against their labels.

Reads vectors of logits with a label column (a class index counting from 0 over
the other columns) from --input FILE or stdin, finds the τ minimising the NLL
(softmax; the Fenchel–Young loss for sparsemax/entmax) to the float precision,
and reports NLL, ECE (equal-width and equal-mass bins), MCE, Brier score and
accuracy before (τ = 1) and after, with a reliability table on a terminal.
--fit FILE --apply FILE fits on one split and reports on another; -q prints
only τ, for `softmax compute --temperature`.

Examples:

  softmax calibrate --input examples/val.csv --label-column label --id-column id

  softmax calibrate --fit examples/val.csv --apply examples/test.csv -y label --id-column id

  softmax calibrate -i examples/val.csv -y label --id-column id --plot reliability.png

  tau=$(softmax calibrate -q --input examples/val.csv -y label --id-column id)

  softmax compute --input examples/logits.csv --id-column id --temperature "$tau"
"""

BinsOpt = Annotated[
    int, typer.Option("--bins", help="Confidence bins of ECE, MCE and the reliability table.")
]
FitOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--fit", help="Fit τ on this file ('-' = stdin) (default: --input)."),
]
ApplyOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--apply", help="Report the measures on this file (default: the fitted one)."),
]
PlotOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--plot",
        help="Also write the reliability diagram, before and after (.png, .svg or .pdf); "
        "needs pip install 'softmax-lab\\[plot]'.",
    ),
]
PlotSizeOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--plot-size",
        show_default=False,
        help="Diagram size WIDTHxHEIGHT in pixels, each side 200 to 6000 [default: 1000x600].",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the fitted τ (reads back bit for bit)."),
]


@app.command(help=CALIBRATE_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False)
@with_input_options
@with_method_params
def calibrate(
    values: ValuesArg = None,
    label_column: LabelColumnOpt = None,
    method: MethodOpt = None,
    bins: BinsOpt = 15,
    fit: FitOpt = None,
    apply: ApplyOpt = None,
    quiet: QuietOpt = False,
    plot: PlotOpt = None,
    plot_size: PlotSizeOpt = None,
    dtype: DtypeOpt = DtypeName.float64,
    input: InputOpt = None,
    format: FormatOpt = OutputFormat.auto,
    precision: PrecisionOpt = 6,
    output: OutputOpt = None,
    *,
    method_params: dict[str, Any],
) -> None:
    mapping, params = resolve_method(one_method(method), method_params)
    if mapping.name not in calib.fit_methods():
        raise SoftmaxInputError(
            f"{{param}} {mapping.name} has no convex loss to fit a temperature with; choose "
            f"one of {', '.join(calib.fit_methods())}",
            param="method",
        )
    if label_column is None:
        raise SoftmaxInputError(
            "{param} is required: name the column holding each row's class (from 0)",
            param="label_column",
        )
    if isinstance(bins, bool) or bins < 1:
        raise SoftmaxInputError(f"{{param}} must be at least 1, got {bins}", param="bins")
    if values and values != ["-"]:
        raise SoftmaxInputError(
            "calibrate reads vectors with labels from a file or stdin, not from arguments; "
            "give --input FILE (or '-' for stdin)",
            param="input",
        )
    if fit is not None and (input is not None or values):
        raise SoftmaxInputError("give the fitting data once: --fit or --input", param="fit")
    dt = parse_dtype(dtype.value)
    fmt = resolve_format(format.value, output)
    plot_path = size = None
    if plot is not None or plot_size is not None:
        from .. import plot as plotting  # numpy only; matplotlib is imported by require_...

        if plot is None:
            raise SoftmaxInputError("{param} sizes the diagram: add --plot FILE", param="plot_size")
        if quiet:
            raise SoftmaxInputError("{param} draws the measures, which -q leaves out", param="plot")
        plot_path = plotting.check_plot_path(plot)
        size = plotting.parse_size(plot_size) if plot_size is not None else None
        plotting.require_matplotlib()

    def load(path: str | None, vals: list[str] | None):
        return read_labelled(vals, path, label_column=label_column, dtype=dt)

    train = load(fit if fit is not None else input, None if fit is not None else values)
    result = calib.fit_temperature(train.values, train.labels, method=mapping.name, **params)
    tau = result.temperature
    if quiet:
        deliver(
            "csv",
            table=lambda: None,
            records=lambda w: print(format_float(tau, dt)),
            writer=lambda stream, f: RecordWriter(stream, f),
            output=output,
        )
        return
    test = train if apply is None else load(apply, None)
    states = measure_states(test.values, test.labels, mapping, params, tau, bins)
    where = test.layout.source_name
    fitted_on = train.layout.source_name

    def table() -> None:
        console = Console()
        steps = "Newton steps" if mapping.name == "softmax" else "steps"
        console.print(
            plain(
                f"{mapping.name}: τ fitted on {fitted_on} "
                f"({train.values.shape[0]} rows, {result.iterations} {steps})"
            )
        )
        console.print(
            plain(f"measured on {where}: {len(test.labels)} rows, {test.values.shape[1]} classes")
        )
        console.print(
            measures_table(
                MEASURES,
                [("before (τ = 1)", states[0].values), ("after", states[1].values)],
                precision,
                "",
            )
        )
        console.print(
            reliability_table(
                [("before", states[0].table), ("after", states[1].table)],
                precision,
                f"reliability, {bins} equal-width bins on max p",
            )
        )

    def records(w: RecordWriter) -> None:
        for s in states:
            w.write([("state", Text(s.name)), *((k, s.values[k]) for k in MEASURES)])

    deliver(
        fmt,
        table=table,
        records=records,
        writer=lambda stream, f: RecordWriter(stream, f),
        output=output,
    )
    if plot_path is not None:
        from ..plot_calibration import RELIABILITY_SIZE, plot_reliability

        size = size or RELIABILITY_SIZE
        heads = ("before (τ = 1)", f"after (τ = {tau:.4g})")
        plot_reliability(
            [(h, s.table, s.values["ece"]) for h, s in zip(heads, states, strict=True)],
            plot_path,
            size=size,
            title=f"{mapping.name} on {where}: {len(test.labels)} rows, "
            f"{bins} equal-width bins (τ fitted on {fitted_on})",
        )
        if stderr_is_terminal():
            sys.stderr.write(f"diagram written to {plot_path} ({size[0]}x{size[1]} pixels)\n")
