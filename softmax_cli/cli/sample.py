"""``softmax sample``: the distribution an LLM server samples from, step by step, and draws.

The computing is :mod:`softmax_cli.sampling` (presets, chains, Gumbel draws) over
:mod:`softmax_cli.processors`; the tables are :mod:`softmax_cli.render.sample`;
machine output goes through the one record writer (:func:`.output.deliver`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import numpy as np
import typer
from rich.console import Console

from .. import sampling, torch_softmax
from ..errors import SoftmaxInputError
from ..floats import parse_dtype
from ..io.records import Num, RecordWriter, Text, numbers
from ..render import plain
from ..render.sample import distribution_table, draws_table, steps_table
from .app import app
from .input_options import input_options, with_input_options
from .options import (
    NUMERIC_ARGS,
    DtypeName,
    FormatOpt,
    InputOpt,
    OutputFormat,
    OutputOpt,
    PrecisionOpt,
    ValuesArg,
)
from .output import deliver, follow_input, resolve_format
from .processor_options import Settings, parse_history, with_processor_params
from .source import open_source

SAMPLE_HELP = """The distribution an LLM server samples from: logit processors in its order.

Give the processors' values (--temperature, --top-k, --top-p, --min-p, ...) and
either --preset hf|vllm|llama.cpp (that server's order, defaults and tie rules)
or --chain a,b,c (your order). Prints the kept tokens of each row: id, logit
after processing, probability and log-probability (the "logprobs after
processing"). --explain shows each step; --draws N samples by Gumbel-max.

Examples:

  softmax sample 2 1 1 0 --top-k 2

  softmax sample 2 1 1 0 --preset llama.cpp --top-k 2

  softmax sample 3 2 1 0 --chain top_k,temperature,top_p --top-k 3 --temperature 0.5 --top-p 0.9

  softmax sample 3 2 1 0 --top-p 0.9 --explain

  softmax sample 3 2 1 0 --draws 5 --seed 0
"""

HistoryColumnOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--history-column",
        help="The input column (name or number) holding each row's token history for the "
        "penalties: ids apart by spaces, commas or semicolons (JSON: a list of ids). "
        "Passed through like --id-column, which it cannot be combined with yet.",
    ),
]
AllOpt = Annotated[
    bool, typer.Option("--all", help="Every token, removed ones too (p = 0), in id order.")
]
ExplainOpt = Annotated[
    bool, typer.Option("--explain", help="Each step: tokens kept and the mass they held.")
]
DrawsOpt = Annotated[
    int, typer.Option("--draws", min=0, help="Draw N tokens per row by Gumbel-max (seeded).")
]
SeedOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--seed", help="Seed of the draws (omit for fresh randomness)."),
]
ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace/--no-replace",
        help="--no-replace: N distinct tokens (Gumbel-top-k), Plackett–Luce log-probability.",
    ),
]
SampleDtypeOpt = Annotated[
    DtypeName,
    typer.Option("--dtype", help="Float type to process in (servers use float32)."),
]


def _through_column(id_column: str | None, history_column: str | None, hist: Any) -> str | None:
    """The reader's pass-through column: the id column, or the history column."""
    if history_column is None:
        return id_column
    if hist is not None:
        raise SoftmaxInputError(
            "{param} and {history} both give the token history: keep one",
            param="history_column",
            also=("history",),
        )
    if id_column is not None:
        raise SoftmaxInputError(
            "{param} and {id_column} cannot be combined yet (one pass-through column): "
            "drop the id column (rows are numbered)",
            param="history_column",
            also=("id_column",),
        )
    return history_column


def _row_history(text: str, row: int, width: int) -> list[int]:
    """One row's token ids from its history field: ``5 9 9``, ``5,9;9``, ``[5, 9]``, or empty.

    A JSON list reaches here as JSON text (the reader passes the field through as text).

    Examples
    --------
    >>> _row_history("5 9,9", 1, 10), _row_history('["5", "9"]', 1, 10), _row_history("", 1, 10)
    ([5, 9, 9], [5, 9], [])
    """
    raw = text.strip()
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except ValueError:
            items = None
        tokens = [str(t) for t in items] if isinstance(items, list) else [raw]
    else:
        tokens = raw.replace(",", " ").replace(";", " ").split()
    out = []
    for tok in tokens:
        try:
            t = int(tok)
        except ValueError:
            t = -1
        if t < 0 or t >= width:
            raise SoftmaxInputError(
                f"row {row}: the history column holds {tok!r}, which is not a token id "
                f"of these rows (an integer 0..{width - 1}); write ids apart by spaces, "
                "commas or semicolons"
            )
        out.append(t)
    return out


@app.command(help=SAMPLE_HELP, context_settings=NUMERIC_ARGS, no_args_is_help=False)
@with_input_options(without=("columns",))
@with_processor_params
def sample(
    values: ValuesArg = None,
    history_column: HistoryColumnOpt = None,
    all: AllOpt = False,
    explain: ExplainOpt = False,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    replace: ReplaceOpt = True,
    dtype: SampleDtypeOpt = DtypeName.float32,
    input: InputOpt = None,
    format: FormatOpt = OutputFormat.auto,
    precision: PrecisionOpt = 6,
    output: OutputOpt = None,
    *,
    proc_params: dict[str, Any],
    proc_settings: Settings,
) -> None:
    steps = sampling.plan(proc_settings.preset, proc_settings.chain, given=proc_params)
    lanes = torch_softmax.lanes_of(proc_settings.torch_cpu)
    hist = parse_history(proc_settings.history)
    dt = parse_dtype(dtype.value)
    fmt = resolve_format(format.value)
    rng = np.random.default_rng(seed) if draws else None  # one stream of draws for the run
    id_column = input_options()["id_column"]
    has_ids = id_column is not None
    through = _through_column(id_column, history_column, hist)
    with open_source(values, input, dtype=dt, id_column=through) as reader:
        fmt = follow_input(format.value, fmt, reader.layout)  # auto in a pipe: the input's format

        def batches() -> Iterator[list[dict[str, Any]]]:
            """The results of each batch of rows as it is read: nothing accumulates."""
            n = 0
            for b in reader:
                x = b.values.astype(dt, copy=False)
                rows_hist = hist
                if history_column is not None:
                    rows_hist = [
                        _row_history(t, n + 1 + r, x.shape[1]) for r, t in enumerate(b.ids)
                    ]
                logits, trace = sampling.process(
                    x, steps, history=rows_hist, explain=explain, lanes=lanes
                )
                probs, logprobs = sampling.distribution(logits)
                drawn = sampling.draw(logits, draws, seed=rng, replace=replace) if draws else None
                ids = (b.ids if has_ids else None) or [None] * x.shape[0]
                rows = []
                for r in range(x.shape[0]):
                    n += 1
                    rows.append(
                        _row(n, ids[r], logits[r], probs[r], logprobs[r], trace, r, drawn, all)
                    )
                yield rows

        streams: list[Any] = []

        def writer(stream: Any, f: str) -> RecordWriter:
            streams.append(stream)
            return RecordWriter(stream, f)

        def write(w: RecordWriter) -> None:
            for rows in batches():  # each batch's records out before the next is read
                if not explain and not draws:  # made a column at a time
                    for res in rows:
                        w.write_columns(_columns(res, has_ids), len(res["order"]))
                else:
                    w.write_all(_records(rows, has_ids, explain, draws))
                streams[0].flush()

        deliver(
            fmt,
            table=lambda: _print(batches(), steps, precision, explain, draws, replace),
            records=write,
            writer=writer,
            output=output,
        )


def _row(n, row_id, logits, probs, logprobs, trace, r, drawn, dense) -> dict[str, Any]:
    kept = np.isfinite(logits)
    if dense:
        order = np.arange(logits.shape[0])
    else:
        idx = np.flatnonzero(kept)
        order = idx[np.argsort(-probs[idx], kind="stable")]
    with np.errstate(invalid="ignore"):
        entropy = float(-np.sum(np.where(kept, probs * logprobs, 0.0)))
    return {
        "n": n,
        "id": row_id,
        "order": order,
        "logits": logits[order],
        "probs": probs[order],
        "logprobs": logprobs[order],
        "kept": int(kept.sum()),
        "width": int(logits.shape[0]),
        "entropy": entropy,
        "trace": [(t.label, int(t.kept[r]), float(t.mass[r])) for t in trace],
        "draws": None if drawn is None else (drawn[0][r], drawn[1][r]),
    }


def _label(res: dict[str, Any], has_ids: bool) -> tuple[str, Any]:
    return ("id", res["id"]) if has_ids else ("row", res["n"])


def _records(results, has_ids: bool, explain: bool, draws: int):
    for res in results:
        key = _label(res, has_ids)
        if explain:
            for label, kept, mass in res["trace"]:
                yield [key, ("step", Text(label)), ("kept", kept), ("mass", mass)]
        elif draws:
            toks, lps = res["draws"]
            for j, (t, lp) in enumerate(zip(toks.tolist(), numbers(lps), strict=True)):
                yield [key, ("draw", j + 1), ("token", t), ("logprob", lp)]
        else:  # a row's numbers formatted at once (one by one costs ~100 µs each)
            cols = (numbers(res["logits"]), numbers(res["probs"]), numbers(res["logprobs"]))
            if not has_ids:  # the row number as digits once (a Num is written as it is)
                key = ("row", Num(res["n"]))
            tokens = map(Num, res["order"].tolist())  # ints' digits: as an int is written
            for t, x, p, lp in zip(tokens, *cols, strict=True):
                yield (key, ("token", t), ("logit", x), ("prob", p), ("logprob", lp))


def _columns(res: dict[str, Any], has_ids: bool) -> list[tuple[str, Any]]:
    """One row's distribution as columns: the fields :func:`_records` gives record by record."""
    return [
        _label(res, has_ids),
        ("token", res["order"]),
        ("logit", res["logits"]),
        ("prob", res["probs"]),
        ("logprob", res["logprobs"]),
    ]


def _print(batches, steps, precision: int, explain: bool, draws: int, replace: bool) -> None:
    console = Console()
    for res in (res for rows in batches for res in rows):
        name = f"row {res['n']}" if res["id"] is None else f"{res['id']}"
        head = (
            f"{name}: {res['kept']} of {res['width']} tokens kept, "
            f"entropy {res['entropy']:.{precision}g} nats"
        )
        if explain:
            labels, kept, mass = zip(*res["trace"], strict=True) if res["trace"] else ((), (), ())
            console.print(steps_table(f"{name}: steps", labels, kept, mass, precision))
        if draws:
            toks, lps = res["draws"]
            col = "log p" if replace else "log P(seq)"
            console.print(draws_table(f"{name}: {draws} draws", toks, lps, precision, col))
        if not draws or explain:
            console.print(plain(head))  # a line of its own: a title would wrap to the table
            console.print(
                distribution_table(
                    "", res["order"], res["logits"], res["probs"], res["logprobs"], precision
                )
            )
    if not steps:
        Console(stderr=True).print("note: no processor given: this is plain softmax")
