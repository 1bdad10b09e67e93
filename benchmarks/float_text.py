"""Float text alone, by hand: ``python benchmarks/float_text.py [--values 1e7] [--rounds 3]``.

The compiled formatter (``softmax_cli/_floattext.c``, one thread and two) against polars'
``Series.cast(pl.String)`` (its shortest round-trip text, not byte-identical to repr: the
writers' polars path rewrites some entries after it) and against ``repr`` (Python's own,
what the text must equal), on the same values: softmax outputs of 10 logits (what
``softmax compute`` writes) and random bit patterns (every exponent), float64 and float32.
The contenders alternate (the order rotates every round); reported are the medians of ns
per value and of the same-round ratios to the kernel. ``repr`` runs on a tenth of the
values (it takes ~0.3 µs each) and is scaled. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from softmax_cli import softmax
from softmax_cli.io import floattext


def _values(n: int, kind: str, dtype: type) -> np.ndarray:
    rng = np.random.default_rng(12)
    if kind == "softmax":
        return softmax(rng.normal(0, 3, (n // 10, 10)), axis=-1).astype(dtype)
    width = np.dtype(dtype).itemsize * 8
    bits = rng.integers(0, 2**width, n // 10 * 10, dtype=np.uint64).astype(f"u{width // 8}")
    x = bits.view(dtype)
    return np.where(np.isfinite(x), x, 1.0).astype(dtype).reshape(-1, 10)


def _contenders(a: np.ndarray) -> dict[str, tuple[Callable[[], object], float]]:
    """name -> (call, the share of the values it formats)."""
    mod = floattext.compiled()
    f32 = a.dtype == np.float32
    rows, cols = a.shape
    flat = a.ravel()
    tenth = flat[: flat.size // 10]
    series = pl.Series(flat)
    return {
        "kernel, 1 thread": (lambda: mod.rows(a, f32, rows, cols, ",", 1), 1.0),
        "kernel, 2 threads": (lambda: mod.rows(a, f32, rows, cols, ",", 2), 1.0),
        "polars cast(pl.String)": (lambda: series.cast(pl.String), 1.0),
        "repr (a tenth, scaled)": (lambda: list(map(repr, tenth.tolist())), 0.1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=float, default=1e7, help="values per dataset (1e7)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    args = parser.parse_args()
    if not floattext.compiled():
        raise SystemExit("softmax_cli._floattext is not built (pip install -e .)")
    n = int(args.values)
    print(f"{n:,} values per dataset, medians of {args.rounds} alternating rounds\n")
    print("| values | contender | ns / value | × kernel (1 thread) |")
    print("|---|---|---:|---:|")
    for kind in ("softmax", "bits"):
        for dtype in (np.float64, np.float32):
            a = _values(n, kind, dtype)
            tasks = _contenders(a)
            names = list(tasks)
            per: dict[str, list[float]] = {k: [] for k in names}
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    call, share = tasks[name]
                    start = time.perf_counter()
                    call()
                    per[name].append((time.perf_counter() - start) / (a.size * share) * 1e9)
            base = per[names[0]]
            for name in names:
                ratio = statistics.median(x / b for x, b in zip(per[name], base, strict=True))
                label = f"{kind}, {np.dtype(dtype).name}"
                print(f"| {label} | {name} | {statistics.median(per[name]):.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
