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

It reuses the process launcher and data of ``run.py`` (the full benchmark, which
also runs this workload with pandas and mawk). Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6, help="rows of the timed CSV (1e6)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds (5)")
    parser.add_argument(
        "--memory", default="1e5,1e6,1e7", help="row counts of the memory runs ('' for none)"
    )
    parser.add_argument("--base", type=Path, help="another checkout's package root, timed too")
    args = parser.parse_args()
    base = args.base.resolve() if args.base is not None else None
    with tempfile.TemporaryDirectory(prefix="softmax-csv-bench-") as tmpdir:
        tmp = Path(tmpdir)
        # ``python -m softmax_cli`` finds a package in the working directory first: run
        # from a directory without one, so --base times the other checkout, not this one
        os.chdir(tmp)
        src = tmp / "logits.csv"
        write_logits(src, int(args.rows))
        lines = pipeline(src, tmp / "out.csv", args.repeats, base)
        sizes = [int(float(s)) for s in args.memory.split(",") if s.strip()]
        if sizes:
            lines += memory(tmp, sizes)
    print("# CSV pipeline\n\n" + machine() + "\n\n" + "\n".join(lines))
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print("\n(loaded machine: the load average exceeds the CPU count; quote ratios only)")


if __name__ == "__main__":
    main()
