"""Time to read odd inputs (or to report their error) and peak memory of wide JSON (issues 18, 21).

Two tables, printed as markdown:

* **Linear time**: each case of :mod:`tests.slow_inputs` at ``--size`` bytes, read
  by :func:`open_vectors` beside its reference of the same size, alternating, best
  of ``--repeat``; the ratio odd / reference (a quadratic path shows as 100× or more).
* **Peak memory**: ``python -m softmax_cli compute - < FILE > /dev/null`` in a child
  process for wide rows as JSON lines, a JSON document and CSV (the same numbers);
  the peak resident set is the child's ``ru_maxrss`` from ``os.wait4``.

* **Wide rows and big outputs** (``--wide``): peak RSS of one row of ``--row-values``
  values (CSV, whitespace, one-line JSON), ``--wide-rows`` rows x 256,000 columns of
  CSV, the temperature sweep at its cap (1,000 logits x 10,000 temperatures), and
  JSON, JSON lines and ``--dtype float32`` (CSV and JSON lines) at each of
  ``--flat-rows`` rows x 10 (flat if it does not grow; the issue asks for <= 150 MB).

Run from the repository root::

    python benchmarks/reliability.py                 # 1 MB cases, 70,000 x 100 memory rows
    python benchmarks/reliability.py --rows 10000    # quicker
    python benchmarks/reliability.py --wide          # only the wide-row table (minutes)
    python benchmarks/reliability.py --wide --flat-rows 100000,1000000,4000000

Nothing here is run by CI; ``tests/test_linear_time.py`` holds the ratios to a
generous bound at 1 MB.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from softmax_cli.errors import SoftmaxInputError  # noqa: E402
from softmax_cli.io.readers import open_vectors  # noqa: E402
from tests.slow_inputs import CASES  # noqa: E402


def _read(data: bytes, fmt: str) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        rows = sum(len(b.values) for b in open_vectors(io.BytesIO(data), fmt=fmt))
        outcome = f"{rows} rows"
    except SoftmaxInputError as err:
        outcome = "error: " + str(err)[:60]
    return time.perf_counter() - start, outcome


def linear_time(size: int, repeat: int) -> list[str]:
    out = [
        f"| case ({size / 1e6:g} MB) | reference s | odd s | odd / reference | outcome |",
        "|---|---:|---:|---:|---|",
    ]
    for name, make in CASES.items():
        reference, odd, fmt = make(size)
        ref_b, odd_b = reference.encode(), odd.encode()
        best_ref = best_odd = float("inf")
        outcome = ""
        for _ in range(repeat):
            best_ref = min(best_ref, _read(ref_b, fmt)[0])
            elapsed, outcome = _read(odd_b, fmt)
            best_odd = min(best_odd, elapsed)
        out.append(
            f"| {name} | {best_ref:.3f} | {best_odd:.3f} | {best_odd / best_ref:.2f} | {outcome} |"
        )
    return out


def _wide_files(folder: Path, rows: int, cols: int, stem: str = "wide") -> dict[str, Path]:
    rng = np.random.default_rng(21)
    paths = {k: folder / f"{stem}.{k}" for k in ("jsonl", "json", "csv")}
    with (
        open(paths["jsonl"], "w") as jl,
        open(paths["json"], "w") as js,
        open(paths["csv"], "w") as cs,
    ):
        js.write("[\n")
        for start in range(0, rows, 1000):
            block = rng.normal(size=(min(1000, rows - start), cols)).tolist()
            texts = [",".join(map(repr, r)) for r in block]
            jl.write("".join(f"[{t}]\n" for t in texts))
            last = start + len(block) >= rows
            js.write(",\n".join(f"[{t}]" for t in texts) + ("\n" if last else ",\n"))
            cs.write("".join(f"{t}\n" for t in texts))
        js.write("]\n")
    return paths


#: The command runs in a grandchild that this small helper forks: a process forked from a
#: big one (this script, after generating its inputs) starts with the parent's resident
#: pages in its high-water mark, which would inflate the figure.
_HELPER = """
import resource, subprocess, sys
with open(sys.argv[1], "rb") as stdin:
    code = subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, code)
"""


def _peak(path: Path, args: tuple[str, ...] = ("compute", "-")) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MB and exit status of ``softmax ARGS < path``."""
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", _HELPER, str(path), sys.executable, "-m", "softmax_cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    wall = time.perf_counter() - start
    rss, code = map(int, run.stdout.split())
    return wall, rss, code


def peak_memory(rows: int, cols: int) -> list[str]:
    out = [
        f"| {rows:,} rows x {cols} | file MB | seconds | peak RSS MB | exit |",
        "|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="softmax-reliab-") as tmp:
        for kind, path in _wide_files(Path(tmp), rows, cols).items():
            wall, rss, code = _peak(path)
            size = path.stat().st_size / 1e6
            out.append(f"| {kind} | {size:.0f} | {wall:.1f} | {rss} | {code} |")
    return out


def _write_lines(path: Path, rows: int, make) -> None:
    with open(path, "w") as fh:
        for r in range(rows):
            fh.write(make(r) + "\n")


def wide_memory(row_values: int, wide_rows: int, flat_rows: list[int]) -> list[str]:
    """Peak RSS of wide rows, the sweep at its cap and JSON/float32 at several sizes."""
    rng = np.random.default_rng(18)
    out = ["| input | file MB | seconds | peak RSS MB | exit |", "|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="softmax-wide-") as tmp:
        folder = Path(tmp)
        row = list(map(repr, rng.normal(size=row_values).tolist()))
        cases: list[tuple[str, Path, tuple[str, ...]]] = []
        for kind, text in (
            ("csv", ",".join(row)),
            ("whitespace", " ".join(row)),
            ("json", "[" + ", ".join(row) + "]"),
        ):
            path = folder / f"row.{kind}"
            path.write_text(text + "\n")
            cases.append((f"one row of {row_values:,} values, {kind}", path, ("compute", "-")))
        del row
        ints = rng.integers(-50, 50, size=256_000).astype(str)
        path = folder / "wide.csv"
        _write_lines(path, wide_rows, lambda r: ",".join(np.roll(ints, r)))
        cases.append((f"{wide_rows:,} rows x 256,000 (CSV)", path, ("compute", "-")))
        path = folder / "sweep.txt"
        path.write_text(" ".join(map(repr, rng.normal(size=1000).tolist())) + "\n")
        cases.append(("temperature-sweep at its cap (1,000 x 10,000 steps)", path,
                      ("temperature-sweep", "--steps", "10000", "-")))  # fmt: skip
        for rows in flat_rows:
            paths = _wide_files(folder, rows, 10, stem=f"flat-{rows}")
            f32 = ("compute", "--dtype", "float32", "-")
            cases += [
                (f"{rows:,} x 10, JSON", paths["json"], ("compute", "-")),
                (f"{rows:,} x 10, JSON lines", paths["jsonl"], ("compute", "-")),
                (f"{rows:,} x 10, CSV --dtype float32", paths["csv"], f32),
                (f"{rows:,} x 10, JSON lines --dtype float32", paths["jsonl"], f32),
            ]
        for k, (name, path, args) in enumerate(cases):
            wall, rss, code = _peak(path, args)
            size = path.stat().st_size / 1e6
            out.append(f"| {name} | {size:.0f} | {wall:.1f} | {rss} | {code} |")
            if all(path != later for _, later, _ in cases[k + 1 :]):
                path.unlink()  # the disk holds one input at a time
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes per odd input")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=70_000, help="rows of the memory runs")
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--wide", action="store_true", help="only the wide-row memory table")
    parser.add_argument("--row-values", type=int, default=5_000_000)
    parser.add_argument("--wide-rows", type=int, default=1000)
    parser.add_argument("--flat-rows", default="100000,1000000", help="rows, comma-separated")
    args = parser.parse_args(argv)
    if args.wide:
        flat = [int(n) for n in args.flat_rows.split(",") if n]
        print("\n".join(wide_memory(args.row_values, args.wide_rows, flat)))
        return
    print("\n".join(linear_time(args.size, args.repeat)))
    print()
    print("\n".join(peak_memory(args.rows, args.cols)))


if __name__ == "__main__":
    main()
