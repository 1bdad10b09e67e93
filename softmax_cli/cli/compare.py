"""``softmax compare``: naive against ``x − max`` against accurate against the mpmath oracle.

The analysis (and mpmath) is imported when the command runs, not when the
application starts, so ``softmax compute`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import chain as concat
from itertools import islice
from typing import Annotated, Any, Optional

import numpy as np
import typer
from rich.console import Console

from .. import registry
from ..errors import SoftmaxInputError
from ..floats import float_layout, parse_dtype
from ..io.records import RecordWriter
from .app import ExitStatus, app
from .input_options import with_input_options
from .options import (
    NUMERIC_ARGS,
    CheckOpt,
    DtypeName,
    DtypeOpt,
    FormatOpt,
    InputOpt,
    MaxRowsOpt,
    MaxUlpOpt,
    MethodOrLossOpt,
    OutputFormat,
    TemperatureOpt,
    ValuesArg,
    check_max_rows,
    method_names,
    resolve_loss,
    resolve_method,
    with_loss_params,
    with_method_params,
)
from .output import deliver, follow_input, resolve_format
from .processor_options import SHARED_WITH_METHODS, Settings, processing, with_processor_params
from .source import RowLimit, RowProgress, _option_given, open_source, wants_progress

# mirrors softmax_cli.oracle.DEFAULT_DPS and analysis.compare.MIN_DPS/MAX_DPS (tested equal);
# spelled out so that the help text does not import mpmath
DEFAULT_DPS = 50
MIN_DPS = 25
MAX_DPS = 9_990  # the oracle's 10 000 less the 10 guard digits

COMPARE_HELP = f"""Compare naive, x − max and accurate implementations against the mpmath oracle.

For one vector: a table of each entry (x, the naive result, the usual x − max
result, the library's accurate result, the exact value to 17 digits), a table
of errors in ULPs with flags (nan, inf, overflow, underflow, exact)
and the condition number κ, then a verdict in words naming the step that
failed and why. For many rows (a file or stdin): the worst error per row.

--method takes softmax, log-softmax, logsumexp (naive and x − max twins),
cross-entropy with --target (twins too) or another loss with --target
(neg-prob, am-softmax, sparsemax-loss, entmax-loss), or any other mapping
(accurate against oracle).
--check exits with status 3 when the accurate result is off by more than
--max-ulp ULP anywhere: usable in CI. The report is a table on a terminal
(--format table forces it, plain text in a pipe); in a pipe the default is
CSV, and --format json, jsonl or tsv are for scripts too.

Examples:

  softmax compare 1000 2000 3000 4000 5000

  softmax compare --dtype float16 10 11 12

  softmax compare --dtype bfloat16 --accumulate float32 1 2 3

  softmax compare --scan --dtype float16 1 2 3

  softmax compare --method logsumexp --explain 0 -40

  softmax compare --method cross-entropy --target 0 -800 0

  softmax compare --input examples/logits.csv --id-column id --format json

  softmax compare --check --max-ulp 2 --method log-softmax 1 2 3

  softmax compare 1 2 3 50 --preset hf --top-k 2   # after LLM logit processors

The oracle works at --dps digits ({MIN_DPS} to {MAX_DPS}, default {DEFAULT_DPS}) and
checks itself 10 digits higher; long vectors are slow (a warning past 10 000
entries or about 10 s, a refusal past 100 000 entries or about 2 minutes a
vector). Many rows: a progress bar with the time left on a terminal, a note
when the run looks longer than a minute, and --max-rows N stops after N rows.
"""

TargetOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--target",
        help="True class index, for --method cross-entropy or another loss.",
        show_default=False,
    ),
]
DpsOpt = Annotated[
    int,
    typer.Option("--dps", help=f"Oracle precision in significant digits ({MIN_DPS}..{MAX_DPS})."),
]
ExplainOpt = Annotated[
    bool,
    typer.Option("--explain", help="Show every step of every implementation with its error."),
]
ScanOpt = Annotated[
    bool,
    typer.Option(
        "--scan",
        help="Run every implementation on x·s for s in equal steps (up to twice where exp "
        "overflows): the worst error against s, the dtype's limits marked; a chart on a "
        "terminal, records in a pipe.",
    ),
]
ScanToOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option("--scan-to", help="With --scan: the largest s.", show_default=False),
]
ScanStepsOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--scan-steps",
        help="With --scan: the number of steps (default: fits the terminal).",
        show_default=False,
    ),
]
ScanPlotOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--plot",
        help="With --scan: also write the chart (.png, .svg or .pdf); needs matplotlib.",
        show_default=False,
    ),
]
HistogramOpt = Annotated[
    bool,
    typer.Option(
        "--histogram",
        help="For many rows: the distribution of every entry's ULP error per implementation "
        "(bins, median, 99th percentile, max) instead of one line per row.",
    ),
]
BitsOpt = Annotated[
    bool,
    typer.Option(
        "--bits",
        help="With --explain: each step's values as sign, exponent and mantissa bits, the "
        "spacing of floats there (1 ULP), subnormals and absorbed terms marked.",
    ),
]
DigitsOpt = Annotated[
    int,
    typer.Option(
        "--precision",
        help="Significant digits in tables, 1..17 (fewer if the table would not fit; "
        "the oracle keeps 17; machine formats are exact).",
    ),
]
MaxEntriesOpt = Annotated[
    int,
    typer.Option(
        "--max-entries",
        help="Entries of a vector shown per table; a longer one shows head and tail (0 = all).",
    ),
]
AccumulateOpt = Annotated[
    Optional[DtypeName],  # noqa: UP045
    typer.Option(
        "--accumulate",
        help="Add the naive and x − max sums up in this float type (default: --dtype's), "
        "as a fused kernel does: bfloat16's running sum stalls at 256, float32's does not.",
        show_default=False,
    ),
]


def _rows(reader) -> Iterator[tuple[str, np.ndarray]]:
    """(label, vector) for every input row: the id, else the source line number."""
    for batch in reader:
        for r in range(batch.values.shape[0]):
            label = batch.ids[r] if batch.ids is not None else str(int(batch.lines[r]))
            yield label, batch.values[r]


def _subject(
    method: str, params: dict[str, Any], loss_params: dict[str, Any], target, accumulate=None
):
    from ..analysis import compare as an

    loss = registry.find_loss(method) if method.lower() in an.loss_names() else None
    if loss is not None and accumulate is not None:
        raise SoftmaxInputError(
            f"{{param}} applies to softmax, log-softmax and logsumexp, not to {loss.shown}",
            param="accumulate",
        )
    if loss is not None:
        return an.loss_subject(loss, resolve_loss(loss, {**params, **loss_params}), target)
    if loss_params:
        flags = [registry.loss_params()[n].flag for n in loss_params]
        raise SoftmaxInputError(
            f"{', '.join(flags)} applies only to a loss (--method cross-entropy, ...)",
            param=next(iter(loss_params)),
        )
    mapping, checked = resolve_method(method, params)
    return an.subject(mapping.name, checked, target, accumulate=accumulate)


def _subjects(
    names: list[str], params: dict[str, Any], loss_params: dict[str, Any], target, accumulate=None
):
    """One subject per ``--method`` name; with several, each takes the options it has.

    An option that none of them takes is an error naming it; ``--target`` goes to
    the losses (and is an error, as for one method, when none is chosen).
    """
    if len(names) == 1:
        return [_subject(names[0], params, loss_params, target, accumulate)]
    from ..analysis import compare as an

    losses = {n: registry.find_loss(n) if n.lower() in an.loss_names() else None for n in names}
    takes = {
        n: {p.name for p in (loss.params if loss is not None else registry.get(n).params)}
        for n, loss in losses.items()
    }
    every = set().union(*takes.values())
    stray = [k for k in (*params, *loss_params) if k not in every]
    if stray:
        flags = {**registry.all_params(), **registry.loss_params()}
        raise SoftmaxInputError(
            f"{flags[stray[0]].flag} does not apply to any of --method {','.join(names)}",
            param=stray[0],
        )
    if target is not None and not any(losses.values()):
        raise SoftmaxInputError(
            "{param} is the true class of a loss: none of the methods is one", param="target"
        )
    out = []
    for n, loss in losses.items():
        own_params = {k: v for k, v in params.items() if k in takes[n]}
        own_loss = {k: v for k, v in loss_params.items() if k in takes[n]}
        own_target = target if loss is not None else None
        out.append(_subject(n, own_params, own_loss, own_target, accumulate))
    return out


@app.command(help=COMPARE_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False)
@with_input_options
@with_method_params
@with_loss_params
@with_processor_params(exclude=tuple(SHARED_WITH_METHODS))
def compare(
    values: ValuesArg = None,
    method: MethodOrLossOpt = None,
    target: TargetOpt = None,
    temperature: TemperatureOpt = 1.0,
    dtype: DtypeOpt = DtypeName.float64,
    accumulate: AccumulateOpt = None,
    dps: DpsOpt = DEFAULT_DPS,
    explain: ExplainOpt = False,
    bits: BitsOpt = False,
    scan: ScanOpt = False,
    histogram: HistogramOpt = False,
    scan_to: ScanToOpt = None,
    scan_steps: ScanStepsOpt = None,
    plot: ScanPlotOpt = None,
    check: CheckOpt = False,
    max_ulp: MaxUlpOpt = 4.0,
    input: InputOpt = None,
    format: FormatOpt = OutputFormat.auto,
    precision: DigitsOpt = 8,
    max_entries: MaxEntriesOpt = 20,
    max_rows: MaxRowsOpt = None,
    *,
    method_params: dict[str, Any],
    loss_params: dict[str, Any],
    proc_params: dict[str, Any],
    proc_settings: Settings,
) -> int:
    from ..analysis import compare as an
    from ..analysis.compare_rows import Worst, delimited_records, json_record, method_records

    dps = an.check_dps(dps)
    if not 1 <= precision <= 17:
        raise SoftmaxInputError(
            f"{{param}} must be between 1 and 17, got {precision}", param="precision"
        )
    if max_entries < 0:
        raise SoftmaxInputError(
            f"{{param}} must be 0 (all) or more, got {max_entries}", param="max_entries"
        )
    check_max_rows(max_rows)
    if not max_ulp >= 0:
        raise SoftmaxInputError(f"{{param}} must be a number ≥ 0, got {max_ulp:g}", param="max_ulp")
    acc = parse_dtype(accumulate.value) if accumulate is not None else None
    names = method_names(method)
    proc = processing(
        proc_params, method_params, proc_settings, temperature=temperature, method=names[0]
    )
    if proc is not None:
        from ..analysis.compare.processed import processed_subject

        _refuse_with_processors(names, scan, histogram, explain, bits, acc, target, loss_params)
        subjects = [processed_subject(proc.steps, names[0], proc.preset,
                                      history=proc.history, lanes=proc.lanes)]  # fmt: skip
        if not _option_given("dtype"):
            dtype = DtypeName.float32  # as the servers (and softmax sample) compute
    else:
        subjects = _subjects(names, method_params, loss_params, target, acc)
    targets = [target if n.lower() in an.loss_names() else None for n in names]
    multi = len(subjects) > 1
    if multi and (scan or histogram):
        raise SoftmaxInputError(
            f"{{param}} takes one method with --{'scan' if scan else 'histogram'}: run them apart",
            param="method",
        )
    subj = subjects[0]
    dt = parse_dtype(dtype.value)
    if bits:
        float_layout(dt)  # longdouble: a clear refusal, before any work
        explain = True  # the bits are those of the explained steps
    fmt = resolve_format(format.value)
    if not scan and (scan_to is not None or scan_steps is not None or plot is not None):
        given = "scan_to" if scan_to is not None else ("scan_steps" if scan_steps else "plot")
        raise SoftmaxInputError("{param} goes with --scan", param=given)
    with open_source(values, input, dtype=dt) as source:
        reader = RowLimit(source, max_rows)
        layout = reader.layout
        fmt = follow_input(format.value, fmt, layout)  # auto in a pipe: the input's format
        if scan:
            from .compare_scan import run_scan

            return run_scan(reader, fmt, subj, dt, dps, temperature, scan_to, scan_steps, plot)
        if histogram:
            from .compare_hist import run_histogram

            return run_histogram(_rows(reader), fmt, subj, dt, dps, temperature, target)
        warning = an.check_size(layout.width, dps)
        if warning:
            sys.stderr.write(warning + "\n")
        rows = _rows(reader)
        first = list(islice(rows, 2))
        many = len(first) > 1
        if explain and (many or fmt in ("csv", "tsv")):
            sys.stderr.write(
                "note: --explain shows its steps for a single vector, in a table or json\n"
            )
        rows = concat(first, rows)
        if multi:
            rows = list(rows)  # every method goes over them: read once, kept
        worsts = [Worst(max_ulp) for _ in subjects]
        bar = RowProgress(
            "compare", reader, enabled=many and wants_progress(values, fmt), by_rows=True
        )
        with bar:

            def results(k: int) -> Iterator[tuple[str, Any]]:
                for label, x in rows:
                    cmp = an.compare_vector(
                        x,
                        subj=subjects[k],
                        dtype=dt,
                        dps=dps,
                        temperature=temperature,
                        explain=explain and not many,
                        target=targets[k],
                    )
                    if proc is not None:
                        cmp = subjects[k].noted(cmp)  # the kept count
                    worsts[k].see(label, cmp)
                    if k == 0:
                        bar.advance()
                    yield label, cmp

            def records(writer) -> None:
                for k in range(len(subjects)):
                    for label, cmp in results(k):
                        if writer.delimited and multi:
                            writer.write_all(method_records(label, cmp, layout.id_name))
                        elif writer.delimited:
                            writer.write_all(delimited_records(label, cmp, layout.id_name))
                        else:
                            writer.write(json_record(label, cmp, bits))

            def tables() -> None:
                for k, subj in enumerate(subjects):
                    if k:
                        Console().print()  # a blank line between the methods' blocks
                    _print_tables(
                        results(k),
                        bar.stop,
                        many,
                        layout.id_name,
                        precision,
                        max_entries,
                        explain,
                        subj.name,
                        dt,
                        dps,
                        bits,
                    )

            deliver(
                fmt,
                table=tables,
                records=records,
                writer=lambda stream, fmt: RecordWriter(stream, fmt, json_layout="flush"),
            )
    note = reader.note("compare")
    if note:
        sys.stdout.flush()
        sys.stderr.write(note + "\n")
    failed = [(subj, w) for subj, w in zip(subjects, worsts, strict=True) if w.failed]
    if check and failed:
        sys.stdout.flush()
        for subj, worst in failed:
            where = f"row {worst.label}" + ("" if worst.scalar else f", entry {worst.index}")
            sys.stderr.write(
                f"check failed: accurate {subj.name} is off by {an.format_ulp(worst.ulp)} ULP > "
                f"--max-ulp {max_ulp:g} ({where}; {worst.over} of {worst.rows} rows over)\n"
            )
        return ExitStatus.CHECK
    return 0


def _refuse_with_processors(names, scan, histogram, explain, bits, acc, target, loss_params):
    """One clear line for an option that means nothing after logit processors."""
    given = [
        ("method", len(names) > 1, "takes one method (softmax or log-softmax)"),
        ("scan", scan, "scales the logits, which moves every threshold"),
        ("histogram", histogram, "is for the mappings' errors alone"),
        ("explain", explain or bits, "traces a mapping's steps; `softmax sample "
         "--explain` shows the processors'"),
        ("accumulate", acc is not None, "applies to the plain naive and x − max sums"),
        ("target", target is not None or bool(loss_params), "goes with a loss"),
    ]  # fmt: skip
    for param, on, why in given:
        if on:
            raise SoftmaxInputError(
                f"{{param}} does not apply with logit processors: it {why}", param=param
            )


def _print_tables(
    results, stop, many: bool, id_name, precision, max_rows, explain, name, dt, dps, bits=False
):
    from ..analysis.compare import summarize
    from ..render.compare import comparison, summary_view

    console = Console()
    if not many:
        for _, cmp in results:
            console.print(
                comparison(cmp, precision, max_rows, explain, width=console.width, bits=bits)
            )
        return
    summaries = [summarize(cmp, label) for label, cmp in results]
    stop()
    console.print(summary_view(summaries, name, dt, dps, id_name))
