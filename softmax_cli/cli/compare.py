"""``softmax compare``: naive against ``x − max`` against accurate against the mpmath oracle.

The analysis (and mpmath) is imported when the command runs, not when the
application starts, so ``softmax compute`` stays fast.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from itertools import chain, islice
from typing import Annotated, Any, NoReturn, Optional

import numpy as np
import typer
from rich.console import Console

from .. import registry
from ..errors import SoftmaxInputError
from ..floats import parse_dtype
from .app import EXIT_CHECK, EXIT_USAGE, app
from .options import (
    NUMERIC_ARGS,
    CheckOpt,
    DtypeName,
    DtypeOpt,
    FormatOpt,
    HeaderOpt,
    IdColumnOpt,
    InputOpt,
    MaxUlpOpt,
    MethodOpt,
    OutputFormat,
    TemperatureOpt,
    ValuesArg,
    resolve_loss,
    resolve_method,
    with_loss_params,
    with_method_params,
)
from .source import open_source, resolve_format, row_progress, stderr_is_terminal

# mirrors softmax_cli.oracle.DEFAULT_DPS and analysis.compare.MIN_DPS/MAX_DPS (tested equal);
# spelled out so that the help text does not import mpmath
DEFAULT_DPS = 50
MIN_DPS = 25
MAX_DPS = 10_000

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

  softmax compare --method logsumexp --explain 0 -40

  softmax compare --method cross-entropy --target 0 -800 0

  softmax compare --input logits.csv --format json

  softmax compare --check --max-ulp 2 --method log-softmax 1 2 3

The oracle works at --dps digits ({MIN_DPS} to {MAX_DPS}, default {DEFAULT_DPS}) and
checks itself 10 digits higher; long vectors are slow (a warning past 10 000
entries, a refusal past 100 000).
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
DigitsOpt = Annotated[
    int,
    typer.Option(
        "--precision",
        help="Digits after the point in the value columns, 1..17 (numpy's print precision; "
        "fewer if the table would not fit).",
    ),
]
MaxRowsOpt = Annotated[
    int,
    typer.Option(
        "--max-rows",
        help="Entries shown per table; long vectors show head and tail (0 = all).",
    ),
]


def _usage(message: str) -> NoReturn:
    """A bad option value: one line on stderr and exit status 2, like any usage error."""
    sys.stderr.write(f"error: {message} (see 'softmax compare --help')\n")
    raise typer.Exit(EXIT_USAGE)


def _rows(reader) -> Iterator[tuple[str, np.ndarray]]:
    """(label, vector) for every input row: the id, else the source line number."""
    for batch in reader:
        for r in range(batch.values.shape[0]):
            label = batch.ids[r] if batch.ids is not None else str(int(batch.lines[r]))
            yield label, batch.values[r]


def _subject(method: str, params: dict[str, Any], loss_params: dict[str, Any], target):
    from ..analysis import compare as an

    loss = registry.find_loss(method) if method.lower() in an.loss_names() else None
    if loss is not None:
        return an.loss_subject(loss, resolve_loss(loss, {**params, **loss_params}), target)
    if loss_params:
        flags = [registry.loss_params()[n].flag for n in loss_params]
        raise SoftmaxInputError(
            f"{', '.join(flags)} applies only to a loss (--method cross-entropy, ...)"
        )
    mapping, checked = resolve_method(method, params)
    return an.subject(mapping.name, checked, target)


@app.command(help=COMPARE_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False)
@with_method_params
@with_loss_params
def compare(
    values: ValuesArg = None,
    method: MethodOpt = "softmax",
    target: TargetOpt = None,
    temperature: TemperatureOpt = 1.0,
    dtype: DtypeOpt = DtypeName.float64,
    dps: DpsOpt = DEFAULT_DPS,
    explain: ExplainOpt = False,
    check: CheckOpt = False,
    max_ulp: MaxUlpOpt = 4.0,
    input: InputOpt = None,
    header: HeaderOpt = None,
    id_column: IdColumnOpt = None,
    format: FormatOpt = OutputFormat.auto,
    precision: DigitsOpt = 8,
    max_rows: MaxRowsOpt = 20,
    *,
    method_params: dict[str, Any],
    loss_params: dict[str, Any],
) -> None:
    from ..analysis import compare as an

    try:
        dps = an.check_dps(dps)
    except SoftmaxInputError as err:
        _usage(f"--dps {str(err).removeprefix('dps ')}")
    if not 1 <= precision <= 17:
        _usage(f"--precision must be between 1 and 17, got {precision}")
    if max_rows < 0:
        _usage(f"--max-rows must be 0 (all) or more, got {max_rows}")
    if not max_ulp >= 0:
        _usage(f"--max-ulp must be a number ≥ 0, got {max_ulp:g}")
    subj = _subject(method, method_params, loss_params, target)
    dt = parse_dtype(dtype.value)
    fmt = resolve_format(format.value)
    with open_source(values, input, header=header, id_column=id_column, dtype=dt) as reader:
        layout = reader.layout
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
        rows = chain(first, rows)
        worst = _Worst(max_ulp)
        with row_progress("compare", many and stderr_is_terminal()) as advance:

            def results() -> Iterator[tuple[str, Any]]:
                for label, x in rows:
                    cmp = an.compare_vector(
                        x,
                        subj=subj,
                        dtype=dt,
                        dps=dps,
                        temperature=temperature,
                        explain=explain and not many,
                        target=target,
                    )
                    worst.see(label, cmp)
                    advance()
                    yield label, cmp

            if fmt == "table":
                _print_tables(
                    results(),
                    many,
                    layout.id_name,
                    precision,
                    max_rows,
                    explain,
                    subj.name,
                    dt,
                    dps,
                )
            elif fmt in ("json", "jsonl"):
                _write_json(results(), fmt)
            else:
                _write_delimited(results(), "," if fmt == "csv" else "\t", layout.id_name)
    if check and worst.ulp > max_ulp:
        sys.stdout.flush()
        where = f"row {worst.label}" + ("" if worst.scalar else f", entry {worst.index}")
        sys.stderr.write(
            f"check failed: accurate {subj.name} is off by {an.format_ulp(worst.ulp)} ULP > "
            f"--max-ulp {max_ulp:g} ({where}; {worst.over} of {worst.rows} rows over)\n"
        )
        raise typer.Exit(EXIT_CHECK)


class _Worst:
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
        acc = cmp.accurate
        self.rows += 1
        self.over += acc.worst > self.limit
        if acc.worst > self.ulp:
            self.ulp, self.label, self.index = acc.worst, label, acc.worst_index
            self.scalar = cmp.scalar


def _print_tables(results, many: bool, id_name, precision, max_rows, explain, name, dt, dps):
    from ..analysis.compare import summarize
    from ..render.compare import comparison, summary_view

    console = Console()
    if not many:
        for _, cmp in results:
            console.print(comparison(cmp, precision, max_rows, explain, width=console.width))
        return
    summaries = [summarize(cmp, label) for label, cmp in results]
    console.print(summary_view(summaries, name, dt, dps, id_name))


# ---------------------------------------------------------------------------- machine formats


def _numbers(values: np.ndarray) -> list[str]:
    """JSON number tokens, bit-exact for the dtype; nan and infinities as strings."""
    from ..io.writers import format_floats

    return [t if t not in ("nan", "inf", "-inf") else f'"{t}"' for t in format_floats(values)]


def _json_list(tokens: list[str]) -> str:
    return "[" + ", ".join(tokens) + "]"


def _record(label: str, cmp: Any) -> str:
    """One row as a JSON object (numbers written bit-exactly, oracle values as strings)."""
    from ..analysis.compare import dtype_name

    fields = {
        "row": json.dumps(label),
        "method": json.dumps(cmp.method),
        "dtype": json.dumps(dtype_name(cmp.dtype)),
        "dps": str(cmp.dps),
        "temperature": repr(float(cmp.temperature)),
    }
    if cmp.target is not None:
        fields["target"] = str(cmp.target)
    fields["x"] = _json_list(_numbers(cmp.x))
    fields["oracle"] = json.dumps(list(cmp.oracle_text), ensure_ascii=False)
    fields["condition"] = "null" if cmp.condition is None else _json_list(_numbers(cmp.condition))
    impls = {}
    for r in cmp.results:
        impl = {
            "values": _json_list(_numbers(r.values)),
            "ulp": _json_list(_numbers(r.ulp)),
            "flags": json.dumps([list(f) for f in r.flags]),
            "worst_ulp": _numbers(np.array([r.worst]))[0],
            "wrong": json.dumps(bool(r.failed)),
        }
        if r.trace is not None and r.trace.steps and r.trace.steps[0].exact is not None:
            impl["steps"] = _json_list([_step(s) for s in r.trace.steps])
        impls[r.name] = _json_object(impl)
    fields["implementations"] = _json_object(impls)
    fields["verdict"] = json.dumps(list(cmp.verdict), ensure_ascii=False)
    return _json_object(fields)


def _step(s: Any) -> str:
    from ..analysis.compare import dtype_name

    return _json_object(
        {
            "step": json.dumps(s.key),
            "formula": json.dumps(s.formula, ensure_ascii=False),
            "dtype": json.dumps(dtype_name(s.dtype)),
            "values": _json_list(_numbers(s.values)),
            "ulp": "null" if s.ulp is None else _json_list(_numbers(s.ulp)),
            "event": json.dumps(s.event),
            "note": json.dumps(s.note, ensure_ascii=False),
        }
    )


def _json_object(fields: dict[str, str]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"


def _write_json(results, fmt: str) -> None:
    out = sys.stdout
    if fmt == "jsonl":
        for label, cmp in results:
            out.write(_record(label, cmp) + "\n")
        return
    out.write("[")
    for n, (label, cmp) in enumerate(results):
        out.write(("," if n else "") + "\n" + _record(label, cmp))
    out.write("\n]\n")


def _write_delimited(results, delimiter: str, id_name: str | None) -> None:
    """One line per entry (per row for a reduction): x, oracle, each result, ULPs, flags, κ."""
    writer = csv.writer(sys.stdout, delimiter=delimiter, lineterminator="\n")
    header_done = False
    for label, cmp in results:
        if not header_done:
            head = [id_name or "row", "i", "x", "oracle"]
            for r in cmp.results:
                head += [r.name, f"{r.name}_ulp", f"{r.name}_flags"]
            head.append("condition")
            writer.writerow(head)
            header_done = True
        xs = _plain(cmp.x)
        cols = [(_plain(r.values), _plain(r.ulp), r.flags) for r in cmp.results]
        kappa = _plain(cmp.condition) if cmp.condition is not None else None
        for i in range(len(cmp.oracle_text)):
            row = [
                label,
                "" if cmp.scalar else str(i),
                "" if cmp.scalar else xs[i],
                cmp.oracle_text[i],
            ]
            for vals, ulps, flags in cols:
                row += [vals[i], ulps[i], " ".join(flags[i])]
            row.append("" if kappa is None else kappa[i])
            writer.writerow(row)


def _plain(values: np.ndarray) -> list[str]:
    from ..io.writers import format_floats

    return format_floats(np.asarray(values))
