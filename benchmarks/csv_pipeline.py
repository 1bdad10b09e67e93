"""The CSV pipeline of issue 12 alone: ``python benchmarks/csv_pipeline.py [options]``.

``softmax compute - < logits.csv > out.csv`` (float64, float32, log-softmax,
sparsemax) against the polars pipeline a user would write instead
(``read_csv`` → numpy softmax → ``write_csv``), each a separate process, all
alternating (the order rotates every round). Reported: the median wall and CPU
time (user + system, every thread), M rows/s, the peak RSS, and the median over
rounds of the ratio ours / polars *of the same round*; then the peak RSS of
10⁵, 10⁶ and 10⁷ rows streamed through a pipe. ``--base DIR`` adds this
package from another checkout (``git archive REV softmax_cli | tar -x -C DIR``)
as two more contenders (float64, float32), for a before/after in the same run.
``--stages N`` then times each stage alone (reading, softmax, text), N alternating
rounds in one process, against the polars pipeline's own stages.

It reuses the process launcher and data of ``run.py`` (the full benchmark, which
also runs this workload with pandas and mawk). Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import POLARS_SOFTMAX, clean_env, machine, ours_cmd, run_process, stream_rss, write_logits

PEER = "polars read → numpy softmax → write"


def contenders(base: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name → (command, environment)."""
    env = clean_env()
    out = {
        "ours": (ours_cmd(), env),
        "ours, float32": ([*ours_cmd(), "--dtype", "float32"], env),
        "ours, log-softmax": ([*ours_cmd(), "--method", "log-softmax"], env),
        "ours, sparsemax": ([*ours_cmd(), "--method", "sparsemax"], env),
        PEER: ([sys.executable, "-c", POLARS_SOFTMAX], env),
    }
    if base is not None:
        before = dict(env, PYTHONPATH=str(base.resolve()))
        out[f"before ({base})"] = (ours_cmd(), before)
        out[f"before ({base}), float32"] = ([*ours_cmd(), "--dtype", "float32"], before)
    return out


def pipeline(src: Path, dst: Path, repeats: int, base: Path | None) -> list[str]:
    """Markdown rows: each contender's medians and its same-round ratios to the peer."""
    cmds = contenders(base)
    names = list(cmds)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    rss: dict[str, float] = {}
    rows = sum(1 for _ in src.open("rb")) - 1
    for cmd, env in cmds.values():  # warm-up: bytecode caches, page cache
        run_process(cmd, src, dst, env)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            w, c, peak = run_process(*cmds[name][:1], src, dst, cmds[name][1])
            wall[name].append(w)
            cpu[name].append(c)
            rss[name] = max(rss.get(name, 0.0), peak)
            print(f"… round {r + 1}: {name} {w:.2f} s", file=sys.stderr, flush=True)
    out = [
        f"{rows:,} rows × 10 float64 columns, stdin file → stdout file; medians of {repeats} "
        "alternating rounds",
        "",
        "| contender | wall | CPU | M rows/s | peak RSS | wall / polars (same round) "
        "| CPU / polars |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        ratio = statistics.median(a / b for a, b in zip(wall[name], wall[PEER], strict=True))
        cratio = statistics.median(a / b for a, b in zip(cpu[name], cpu[PEER], strict=True))
        w = statistics.median(wall[name])
        out.append(
            f"| {name} | {w:.2f} s | {statistics.median(cpu[name]):.2f} s | "
            f"{rows / w / 1e6:.2f} | {rss[name]:.0f} MiB | {ratio:.2f}× | {cratio:.2f}× |"
        )
    return out


def memory(tmp: Path, sizes: list[int]) -> list[str]:
    """Markdown rows: peak RSS of ``sizes`` rows streamed through a pipe into /dev/null."""
    out = ["", "| rows through a pipe | peak RSS | wall | M rows/s |", "|---:|---:|---:|---:|"]
    for n in sizes:
        print(f"… memory, {n:.0e} rows", file=sys.stderr, flush=True)
        peak, wall, _ = stream_rss(tmp, n)
        out.append(f"| {n:.0e} | {peak:.0f} MiB | {wall:.2f} s | {n / wall / 1e6:.2f} |")
    return out


def _cpu() -> float:
    """CPU seconds of this process so far, every thread (polars' pools included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def stages(src: Path, repeats: int) -> list[str]:
    """Markdown rows: the CPU per row of each stage of ours and of the polars pipeline.

    One stage at a time in this process (no overlap), alternating every round: the
    engine's reading (1 MiB blocks, its read-ahead thread; the compiled block parser, and
    polars in its place with the byte checks polars' blocks need, alone), softmax, and the
    text of the softmax outputs in the engine's batches (by the compiled formatter where it
    is built, and by the polars path it falls back to), against
    ``read_csv``, the numpy formula and ``write_csv`` of the whole input.
    """
    import io

    import numpy as np
    import polars as pl

    from softmax_cli import softmax
    from softmax_cli.io import engine, floattext, writers

    data = src.read_bytes()
    body = data[data.index(b"\n") + 1 :]
    blocks, at = [], 0
    while at < len(body):
        cut = body.rfind(b"\n", at, at + engine.BLOCK_BYTES) + 1 or len(body)
        blocks.append(body[at:cut])
        at = cut
    x = pl.read_csv(src).to_numpy()
    rows = len(x)
    bounds = np.cumsum([0] + [b.count(b"\n") for b in blocks])
    parts = [x[a:b] for a, b in pairwise(bounds)]
    p64 = [softmax(b, axis=-1) for b in parts]
    p32 = [softmax(b.astype(np.float32), axis=-1) for b in parts]
    assert writers._fast_engine() and floattext.f32_engine()  # probed before timing
    plain = b"0123456789.eE+-,"

    def read(dtype: str, parser: str = "") -> None:
        os.environ[engine._ENGINE_ENV] = parser  # "polars": the blocks to polars, not to C
        try:
            with engine.open_vectors(str(src), dtype=dtype) as reader:
                for _ in reader:
                    pass
        finally:
            os.environ.pop(engine._ENGINE_ENV)

    def formula() -> None:
        for b in parts:
            e = np.exp(b - b.max(axis=1, keepdims=True))
            e / e.sum(axis=1, keepdims=True)

    tasks = {
        "parse: ours, float64 (engine)": lambda: read("float64"),
        "parse: ours, float32 (engine)": lambda: read("float32"),
        "parse: ours, float64 (engine, polars blocks)": lambda: read("float64", "polars"),
        "parse: the polars blocks' byte checks": lambda: [b.translate(None, plain) for b in blocks],
        "parse: polars `read_csv`, whole input": lambda: pl.read_csv(src),
        "softmax: ours, float64": lambda: [softmax(b, axis=-1) for b in parts],
        "softmax: numpy formula": formula,
        "text: ours, float64": lambda: [writers._fast_rows(b, ",") for b in p64],
        "text: ours, float32": lambda: [writers._fast_rows(b, ",") for b in p32],
        "text: ours without the C formatter (polars), float64": lambda: [
            writers._polars_texts(pl, b, ",") for b in p64
        ],
        "text: ours without the C formatter (polars), float32": lambda: [
            writers._polars_texts(pl, b, ",") for b in p32
        ],
        "text: polars `write_csv`, whole output": lambda: pl.DataFrame(
            np.concatenate(p64)
        ).write_csv(io.BytesIO()),
    }
    names = list(tasks)
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = _cpu()
            tasks[name]()
            cpu[name].append(_cpu() - start)
    out = [
        "",
        f"Stages, one at a time in one process ({rows:,} rows, medians of {repeats} rounds):",
        "",
        "| stage | CPU µs / row |",
        "|---|---:|",
    ]
    for name in names:
        out.append(f"| {name} | {statistics.median(cpu[name]) / rows * 1e6:.2f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6, help="rows of the timed CSV (1e6)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds (5; 0: none)")
    parser.add_argument(
        "--memory", default="1e5,1e6,1e7", help="row counts of the memory runs ('' for none)"
    )
    parser.add_argument("--base", type=Path, help="another checkout's package root, timed too")
    parser.add_argument(
        "--stages", type=int, default=0, metavar="ROUNDS", help="also time each stage alone"
    )
    args = parser.parse_args()
    base = args.base.resolve() if args.base is not None else None
    with tempfile.TemporaryDirectory(prefix="softmax-csv-bench-") as tmpdir:
        tmp = Path(tmpdir)
        # ``python -m softmax_cli`` finds a package in the working directory first: run
        # from a directory without one, so --base times the other checkout, not this one
        os.chdir(tmp)
        src = tmp / "logits.csv"
        write_logits(src, int(args.rows))
        lines = pipeline(src, tmp / "out.csv", args.repeats, base) if args.repeats else []
        sizes = [int(float(s)) for s in args.memory.split(",") if s.strip()]
        if sizes:
            lines += memory(tmp, sizes)
        if args.stages:
            lines += stages(src, args.stages)
    print("# CSV pipeline\n\n" + machine() + "\n\n" + "\n".join(lines))
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print("\n(loaded machine: the load average exceeds the CPU count; quote ratios only)")


if __name__ == "__main__":
    main()
