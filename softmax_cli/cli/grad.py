"""``softmax grad``: Jacobians, JVPs and loss gradients, checked against the oracle."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import numpy as np
import typer
from rich.console import Console
from rich.text import Text

from .. import losses, registry
from ..analysis.grad import (
    BLOCK_NUMBERS,
    MAX_CHECK_N,
    MAX_JACOBIAN_N,
    Plan,
    gini,
    grad_blocks,
    is_scalar,
    output_columns,
    reference_half_l1,
)
from ..errors import SoftmaxInputError
from ..floats import parse_dtype
from ..io.readers import parse_arguments
from ..io.writers import RowWriter
from ..render import rows_table
from ..render.grad import check_line, emit, jacobian_view, jvp_view, loss_view
from .app import ExitStatus, app
from .input_options import with_input_options
from .options import (
    NUMERIC_ARGS,
    CheckOpt,
    DtypeName,
    DtypeOpt,
    InputOpt,
    LossChoice,
    MaxRowsOpt,
    MaxUlpOpt,
    OutputOpt,
    PrecisionOpt,
    RowFormatOpt,
    RowOutputFormat,
    TemperatureOpt,
    ValuesArg,
    check_max_rows,
    method_names,
    resolve_method,
    resolve_methods,
    with_loss_params,
    with_method_params,
)
from .output import deliver, follow_input, resolve_format, row_writer
from .processor_options import SHARED_WITH_METHODS, Settings, processing, with_processor_params
from .source import RowLimit, RowProgress, _option_given, open_source, wants_progress

#: Numbers in one block of dense Jacobians (the library's bound; a test lowers it here).
_BLOCK_NUMBERS = BLOCK_NUMBERS

GRAD_HELP = """Jacobians, Jacobian-vector products and loss gradients of a mapping.

Without options: the Jacobian ∂p_i/∂x_j of the mapping at the logits (for long
vectors its diagonal), with its half L1 norm ½Σ|J_ij| -- for softmax that is
1 − Σp², which goes to 0 as p becomes one-hot: vanishing gradients.

--vector v1,v2,... gives the JVP J·v instead. --loss LOSS with --target T
(the class, counting from 0) gives the loss and its gradient ∂L/∂x; from a
file or stdin each row may carry its own target in --target-column (a header
name or a 1-based position), and the output has one row per input row:
(id,) loss, grad_<column>...

--check compares the result against the mpmath oracle's numerical derivative
(and exact loss) and reports the worst error in ULPs (of 1.0 for derivatives,
of the loss itself for cross-entropy-like losses); exit code 3 past --max-ulp.
It takes at most 256 logits, and refuses a row whose check would take over a
minute (timed on its first column); on a terminal a progress bar shows the time
left. --max-rows N stops after N rows.

Examples:

  softmax grad 1 2 3

  softmax grad 0 0 20              # saturated: 1 − Σp² ≈ 0

  softmax grad --method sparsemax 1 2 2.5 --check

  softmax grad 1 2 3 --vector 1,0,0

  softmax grad -1000 -2000 -3000 --loss ce --target 2

  softmax grad --loss entmax --alpha 1.3 --target 0 1 2 3

  softmax grad --loss am-softmax --scale 30 --margin 0.35 --target 0 0.8 0.1 -0.3

  softmax grad --input examples/labelled.csv --loss ce --target-column label --id-column id

With logit processors (--preset, --top-k, --top-p, --min-p, ...: see softmax
sample): the derivatives of the log-probabilities after processing, on the
kept tokens; --loss cross-entropy --target T gives −log p_T and its gradient.

  softmax grad 1 2 3 0 --top-p 0.9 --temperature 0.5 --loss ce --target 1 --check
"""


def _complete_method(incomplete: str) -> list[str]:
    return [n for n in registry.names() if n.startswith(incomplete)]


MethodOpt = Annotated[
    Optional[list[str]],  # noqa: UP045 - repeatable, so that a second one is never lost
    typer.Option(
        "--method",
        "-m",
        help="Mapping to differentiate (see `softmax methods`) [default: softmax, or the loss's].",
        autocompletion=_complete_method,
        show_default=False,
    ),
]


VectorOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--vector", help="Direction v (comma-separated, one per logit): print the JVP J·v."
    ),
]
LossOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--loss",
        "-l",
        help="Print this loss and its gradient ∂L/∂x.",
        show_default=False,
        click_type=LossChoice(),
    ),
]
TargetOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--target", help="Target class for --loss, counting from 0.", show_default=False),
]
TargetColumnOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--target-column",
        help="Input column holding each row's target class: a header name or a 1-based position.",
        show_default=False,
    ),
]


def make_plan(
    *,
    method: str | None,
    method_params: dict[str, Any],
    temperature: float,
    dtype: np.dtype,
    vector: str | None,
    loss: str | None,
    target: int | None,
    target_column: str | None,
    loss_options: dict[str, Any],
) -> Plan:
    """Check the options against each other and decide what to compute."""
    if loss is None:
        stray = [flag for flag, v in _loss_flags(loss_options, target, target_column) if v]
        if stray:
            raise SoftmaxInputError(
                f"{', '.join(stray)} applies only with --loss",
                param=stray[0][2:].replace("-", "_"),
            )
        mapping, params = resolve_method(method or "softmax", method_params)
        _require_derivative(mapping)
        return Plan(
            "jvp" if vector is not None else "jacobian",
            mapping,
            params,
            temperature,
            dtype,
            vector=vector,
        )
    record = registry.get_loss(loss)
    if vector is not None:
        raise SoftmaxInputError(
            "--vector (a JVP) and --loss are separate modes: give one", param="vector"
        )
    if method is not None and registry.get(method).name != record.mapping:
        raise SoftmaxInputError(
            f"--loss {record.name} is the loss of --method {record.mapping}, "
            f"not {registry.get(method).name}: drop --method or choose a matching one",
            param="method",
        )
    mapping, params = resolve_method(record.mapping, method_params)
    kw: dict[str, Any] = {}
    for name, value in loss_options.items():
        if value is None:
            continue
        if name not in record.options:
            raise SoftmaxInputError(
                f"--{name.replace('_', '-')} does not apply to --loss {record.name}", param=name
            )
        kw[name] = value
    if "temperature" in record.options:
        kw["temperature"] = temperature
    elif temperature != 1.0:
        raise SoftmaxInputError(
            f"--temperature does not apply to --loss {record.name} (its --scale plays that role)",
            param="temperature",
        )
    kw.update({k: v for k, v in params.items() if k in record.options})
    if target is not None and target_column is not None:
        raise SoftmaxInputError(
            "give the target as --target or --target-column, not both", param="target_column"
        )
    if target is None and target_column is None:
        raise SoftmaxInputError(
            f"--loss {record.name} needs the target class: --target T (counting from 0), "
            "or --target-column COLUMN for file or stdin input",
            param="target",
        )
    return Plan(
        "loss",
        mapping,
        params,
        temperature,
        dtype,
        loss=record,
        loss_kw=kw,
        target=target,
        target_column=target_column,
    )


def _processed_plan(proc, methods, dt, vector, loss, loss_params, target, target_column) -> Plan:
    """The plan after logit processors (:mod:`softmax_cli.analysis.grad_processed`)."""
    from ..analysis import grad_processed as gp
    from ..sampling import chain_label

    return gp.processed_plan(
        gp.Processing(proc.steps, chain_label(proc.steps, proc.preset), proc.history, proc.lanes),
        methods=methods, dtype=dt, vector=vector, loss=loss,
        loss_options={n: loss_params.get(n) for n in registry.loss_params()},
        target=target, target_column=target_column,
    )  # fmt: skip


def _loss_flags(options: dict[str, Any], target: Any, target_column: Any):
    yield from ((f"--{k.replace('_', '-')}", v is not None) for k, v in options.items())
    yield "--target", target is not None
    yield "--target-column", target_column is not None


def _require_derivative(mapping: registry.Mapping) -> None:
    if mapping.stochastic:
        raise SoftmaxInputError(
            f"{mapping.name} is stochastic: it has no deterministic derivative", param="method"
        )
    if mapping.derivative is None:
        raise SoftmaxInputError(f"{mapping.name} has no derivative", param="method")


# ---------------------------------------------------------------------------
# Columns and targets
# ---------------------------------------------------------------------------


def target_index(spec: str, layout: Any) -> int:
    """Index among the value columns of ``--target-column`` (a header name or 1-based position)."""
    names = layout.columns
    if names is not None and spec in names:
        return names.index(spec)
    if not spec.strip().isdigit():
        if names is None:
            raise SoftmaxInputError(
                f"--target-column {spec!r} is a name, but the input has no header: "
                "give its position (counting from 1)",
                param="target_column",
            )
        raise SoftmaxInputError(
            f"--target-column {spec!r} is not in the header ({', '.join(map(repr, names))})",
            param="target_column",
        )
    pos = int(spec) - 1
    total = layout.row_width()
    if not 0 <= pos < total:
        raise SoftmaxInputError(
            f"--target-column {spec} is out of range: rows have {total} columns "
            "(positions count from 1)",
            param="target_column",
        )
    index = layout.value_index(pos)
    if index is None:
        raise SoftmaxInputError(
            f"--target-column {spec} is the id column (passed through, not read as a number)",
            param="target_column",
        )
    return index


def _vector(text: str, n: int, dtype: np.dtype) -> np.ndarray:
    try:
        v = parse_arguments([text], dtype=dtype)
    except SoftmaxInputError as err:
        raise SoftmaxInputError(f"--vector: {err}", param="vector") from None
    if v.shape[0] != n:
        raise SoftmaxInputError(
            f"--vector has {v.shape[0]} value{'s' if v.shape[0] != 1 else ''} "
            f"but the logits have {n}",
            param="vector",
        )
    return v


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


@app.command(help=GRAD_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False)
@with_input_options
@with_method_params
@with_loss_params
@with_processor_params(exclude=tuple(SHARED_WITH_METHODS))
def grad(
    values: ValuesArg = None,
    method: MethodOpt = None,
    temperature: TemperatureOpt = 1.0,
    dtype: DtypeOpt = DtypeName.float64,
    vector: VectorOpt = None,
    loss: LossOpt = None,
    target: TargetOpt = None,
    target_column: TargetColumnOpt = None,
    check: CheckOpt = False,
    max_ulp: MaxUlpOpt = 4.0,
    input: InputOpt = None,
    format: RowFormatOpt = RowOutputFormat.auto,
    precision: PrecisionOpt = 6,
    output: OutputOpt = None,
    max_rows: MaxRowsOpt = None,
    *,
    method_params: dict[str, Any],
    loss_params: dict[str, Any],
    proc_params: dict[str, Any],
    proc_settings: Settings,
) -> int:
    check_max_rows(max_rows)
    given = method_names(method) if method else [None]
    proc = processing(
        proc_params, method_params, proc_settings, temperature=temperature, method=given[0]
    )
    if proc is not None and not _option_given("dtype"):
        dtype = DtypeName.float32  # as the servers (and softmax sample) compute
    dt = parse_dtype(dtype.value)
    if len(given) > 1 and loss is not None:
        raise SoftmaxInputError(
            "--loss differentiates its own method: give one --method or none", param="method"
        )
    own: dict[str | None, dict[str, Any]] = {given[0]: method_params}
    if len(given) > 1:  # each method gets the options it takes; one that none takes is an error
        own = {
            m.name: {k: v for k, v in method_params.items() if k in {q.name for q in m.params}}
            for m, _ in resolve_methods(given, method_params)
        }
        given = list(own)
    plans = [
        make_plan(
            method=name,
            method_params=own[name],
            temperature=temperature,
            dtype=dt,
            vector=vector,
            loss=loss,
            target=target,
            target_column=target_column,
            loss_options={n: loss_params.get(n) for n in registry.loss_params()},
        )
        for name in (given if proc is None else ())
    ]
    if proc is not None:
        plans = [_processed_plan(proc, given, dt, vector, loss, loss_params, target, target_column)]
    plan, multi = plans[0], len(plans) > 1
    fmt = resolve_format(format.value, output)
    console = Console() if fmt == "table" else Console(stderr=True)  # tables, or the check line
    worsts: list[dict[str, float]] = [{} for _ in plans]
    with (
        open_source(values, input, dtype=dt) as source,
        RowProgress(
            "grad",
            reader := RowLimit(source, max_rows),
            enabled=wants_progress(values, fmt, output),
            by_rows=check,  # checking is slow: progress (and the time left) counts rows
        ) as bar,
    ):
        layout = reader.layout
        fmt = follow_input(format.value, fmt, layout)  # auto in a pipe: the input's format
        from_args = layout.source_name == "<arguments>"
        tcol = None
        if plan.target_column is not None:
            if from_args:
                raise SoftmaxInputError(
                    "--target-column applies to file or stdin input; with arguments give --target",
                    param="target_column",
                )
            tcol = target_index(plan.target_column, layout)
        names = list(layout.columns) if layout.columns else [str(j) for j in range(layout.width)]
        if tcol is not None:
            del names[tcol]
        n = len(names)
        if n < 1:
            raise SoftmaxInputError("no logits left once the target column is taken out")
        v = _vector(plan.vector, n, dt) if plan.vector is not None else None
        if plan.mode == "loss" and plan.target is not None:
            losses.check_targets(plan.target, (), n)

        if plan.mode == "jacobian" and n > MAX_JACOBIAN_N:
            raise SoftmaxInputError(
                f"a dense Jacobian of {n:,} logits is {n * n:,} numbers a row; grad computes it "
                f"for at most {MAX_JACOBIAN_N:,} logits: ask for J·v (--vector) or a loss "
                "gradient (--loss) instead"
            )
        if check and n > MAX_CHECK_N:
            raise SoftmaxInputError(
                f"--check takes at most {MAX_CHECK_N} logits, got {n:,}: the oracle "
                "differentiates numerically, n² evaluations in arbitrary precision (softmax "
                "takes about 3 s a row at the cap); check a slice of the vector"
            )
        batches = list(reader) if multi else reader  # several methods: each goes over them

        def blocks_of(k: int):
            return grad_blocks(
                plans[k],
                batches,
                n=n,
                target_col=tcol,
                source=layout.source_name,
                v=v,
                worst=worsts[k] if check else None,
                advance=bar.advance if k == 0 else (lambda rows: None),
                block_numbers=_BLOCK_NUMBERS,
            )

        def write(writer: RowWriter) -> None:
            # the methods' blocks cut the same rows (the cut depends on n and the mode only)
            for parts in zip(*(blocks_of(k) for k in range(len(plans))), strict=True):
                rows = parts[0].rows if not multi else np.hstack([b.rows for b in parts])
                first = parts[0]
                writer.write(rows, first.ids if first.passed is None else first.passed)

        def tables() -> None:
            for k, p in enumerate(plans):
                if k:
                    console.print()
                _print_tables(console, p, blocks_of(k), names, layout, from_args, precision,
                              bar.stop)  # fmt: skip

        out_columns = [
            f"{p.mapping.name}:{c}" if multi else c
            for p in plans
            for c in output_columns(p, names, p.mode != "loss" and is_scalar(p))
        ]
        deliver(
            fmt,
            table=tables,
            records=write,
            writer=lambda stream, fmt: row_writer(
                stream,
                fmt,
                columns=out_columns,
                id_name=layout.passed or layout.id_name,
                has_ids=layout.id_index is not None,
                dtype=dt,
            ),
            output=output,
        )
    note = reader.note("grad")
    if note:
        sys.stdout.flush()
        sys.stderr.write(note + "\n")
    if check:
        for p, worst in zip(plans, worsts, strict=True):
            head = Text(f"{p.mapping.name}: " if multi else "")
            console.print(head + check_line(worst, max_ulp), soft_wrap=True)
        if any(v > max_ulp for worst in worsts for v in worst.values()):
            return ExitStatus.CHECK
    return 0


def _print_tables(
    console, plan: Plan, blocks, names, layout, from_args: bool, precision: int, stop
):
    name = plan.mapping.name
    if plan.mode == "jacobian":
        stop()  # each row's Jacobian prints as it is computed
        reference = None
        for block in blocks:
            d = block.derivative
            y = np.atleast_2d(np.asarray(d.value()).reshape(block.x.shape[0], -1))
            half = d.half_l1()
            if reference is None:
                reference = reference_half_l1(plan, block.x.shape[1])
            for r in range(block.x.shape[0]):
                title = None
                if not from_args:
                    label = block.ids[r] if block.ids is not None else f"line {block.lines[r]}"
                    title = f"{label}: Jacobian of {name} (row i, column j: ∂{name}_i/∂x_j)"
                emit(
                    console,
                    jacobian_view(
                        block.x[r],
                        y[r],
                        block.result[r],
                        name=name,
                        half_l1=float(half[r]),
                        gini=gini(y[r]) if plan.mapping.output == registry.DISTRIBUTION else None,
                        reference=reference,
                        precision=precision,
                        title=title,
                    ),
                )
        return
    items = list(blocks)
    stop()
    if from_args and len(items) == 1 and items[0].x.shape[0] == 1:
        b = items[0]
        if plan.mode == "jvp":
            emit(console, jvp_view(b.x[0], b.v, b.result[0], name=name, precision=precision))
        else:
            assert plan.loss is not None
            loss, grad = b.result
            emit(
                console,
                loss_view(
                    b.x[0],
                    grad[0],
                    float(loss[0]),
                    name=plan.loss.name,
                    target=int(b.targets[0]),
                    gradient=plan.loss.gradient,
                    precision=precision,
                ),
            )
        return
    scalar = plan.mode != "loss" and is_scalar(plan)
    cols = output_columns(plan, names, scalar)
    rows = np.concatenate([b.rows for b in items]) if items else np.zeros((0, len(cols)))
    ids = None
    if layout.id_index is not None:
        ids = [i for b in items for i in (b.ids or [])]
    title = f"{plan.loss.name} loss and gradient" if plan.loss else f"J·v of {name}"
    console.print(rows_table(cols, rows, precision, ids=ids, id_name=layout.id_name, title=title))
