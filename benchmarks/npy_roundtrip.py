"""`.npy` in → `.npy` out: `softmax compute` against `np.load` + our softmax + `np.save`.

Issue 12's target: for 10**7 float64 values, ours ≤ 1.5× the plain script, which holds the
whole array in memory (ours streams it in batches from a memory map). Both run as separate
processes, alternating, ``--repeats`` times; the ratio is the median of the per-repeat
ratios (same run only: the machine is shared). Peak RSS is the child's ``ru_maxrss``.
Both outputs are checked to be the same bits before anything is timed.

    python benchmarks/npy_roundtrip.py                 # 10**6 × 10 and 1,000 × 10**4
    python benchmarks/npy_roundtrip.py --rows 100000 --cols 10 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

PEER = (
    "import sys, numpy as np, softmax_cli as sm; "
    "np.save(sys.argv[2], sm.softmax(np.load(sys.argv[1]), axis=-1))"
)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


#: A small process starts each command: a child forked from this (large) one would report
#: this process's memory as its peak RSS, which survives exec.
LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, s, u = os.wait4(p.pid, 0)\n"
    "print(time.perf_counter() - t, u.ru_maxrss, os.waitstatus_to_exitcode(s))\n"
)


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *cmd], env=env(), capture_output=True, text=True
    )
    wall, rss, code = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return float(wall), int(rss) / 1024


def workload(rows: int, cols: int, repeats: int, tmp: Path) -> list[str]:
    src, ours_out, peer_out = tmp / "in.npy", tmp / "ours.npy", tmp / "peer.npy"
    np.save(src, np.random.default_rng(12).standard_normal((rows, cols)) * 10)
    ours = [sys.executable, "-m", "softmax_cli", "compute", "--input", str(src), "--format",
            "npy", "--output", str(ours_out)]  # fmt: skip
    peer = [sys.executable, "-c", PEER, str(src), str(peer_out)]
    run(ours), run(peer)  # warm the page cache and check
    a, b = np.load(ours_out), np.load(peer_out)
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), "outputs differ"
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    rss: dict[str, float] = {"ours": 0.0, "peer": 0.0}
    for i in range(repeats):
        order = [("ours", ours), ("peer", peer)][:: 1 if i % 2 == 0 else -1]
        for name, cmd in order:
            wall, mib = run(cmd)
            times[name].append(wall)
            rss[name] = max(rss[name], mib)
    ratios = [o / p for o, p in zip(times["ours"], times["peer"], strict=True)]
    label = f"{rows:,} × {cols:,} float64"
    return [
        f"| {label} | ours (`softmax compute -i in.npy -f npy -o out.npy`) | "
        f"{statistics.median(times['ours']):.2f} s | {statistics.median(ratios):.2f}× | "
        f"{rss['ours']:.0f} MiB |",
        f"| {label} | `np.load` → `softmax_cli.softmax` → `np.save` | "
        f"{statistics.median(times['peer']):.2f} s | 1 | {rss['peer']:.0f} MiB |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--cols", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    shapes = [(args.rows, args.cols)] if args.rows else [(10**6, 10), (1000, 10**4)]
    print("| workload | contender | median | ours / peer (median of ratios) | peak RSS |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows, cols in shapes:
            for line in workload(rows, cols, args.repeats, Path(tmp)):
                print(line, flush=True)
    print(f"\nload average: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
