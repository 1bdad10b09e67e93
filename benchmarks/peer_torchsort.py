"""Peer check (by hand, not CI): our emulation of CPU ``torch.sort(stable=False)`` against torch.

Needs torch (``pip install torch==2.13.0``). For thousands of tie-heavy float
rows of widths 17 to 151,936 (few distinct levels, ``-inf``, ``+inf``, nan;
float32 and float64; the survivors of a top-k among ``-inf``; McIlroy's
adversary input that drives libstdc++'s introsort into its heapsort), compares
:func:`softmax_cli._torchsort.torch_order` with the indices ``torch.sort`` returns,
index by index, and :func:`~softmax_cli._torchsort.tied_order` with the order
torch gives one tied value. Then times both on one row of 151,936 against
torch's own sort (same run, alternating).

    python benchmarks/peer_torchsort.py [--rows 4000] [--no-speed]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from softmax_cli import _torchsort
from softmax_cli._torchsort import tied_order, torch_order

WIDTHS = (17, 18, 31, 33, 64, 100, 255, 1000, 4096, 32_000, 151_936)


def row(rng: np.random.Generator, n: int, kind: int) -> np.ndarray:
    """One tie-heavy row of width ``n``; ``kind`` picks the family."""
    levels = rng.integers(2, 9)
    x = rng.integers(0, levels, n).astype(np.float32)
    if kind == 1:  # a top-k's survivors among -inf, ties among them
        x = np.full(n, -np.inf, dtype=np.float32)
        pick = rng.choice(n, size=min(n, int(rng.integers(5, 300))), replace=False)
        x[pick] = rng.integers(0, levels, pick.size)
    elif kind == 2:  # -inf, +inf and nan among the levels
        x[rng.random(n) < 0.2] = -np.inf
        x[rng.random(n) < 0.05] = np.inf
        x[rng.random(n) < 0.05] = np.nan
    elif kind == 3:  # float64, -0.0 and +0.0 (equal)
        x = (x - 1).astype(np.float64)
        x[x == 0] = np.where(rng.random(int((x == 0).sum())) < 0.5, -0.0, 0.0)
    elif kind == 4:  # all equal
        x[:] = rng.normal()
    return x


def adversary(n: int) -> np.ndarray:
    """McIlroy's "killer adversary for quicksort" against the partition scheme we emulate.

    Values are decided lazily while a sort runs (here our own emulation's
    comparisons are not observable, so we run the adversary on a plain Python
    introsort identical in its comparisons): an input on which the depth limit
    is reached, so the heapsort runs. Values 0..n-1 plus ties.
    """
    gas = n
    val = [gas] * n
    state = {"solid": 0, "candidate": -1}

    def less(x: int, y: int) -> bool:
        if val[x] == gas and val[y] == gas:
            frozen = x if x == state["candidate"] else y
            val[frozen] = state["solid"]
            state["solid"] += 1
        if val[x] == gas:
            state["candidate"] = x
        elif val[y] == gas:
            state["candidate"] = y
        return val[x] < val[y]

    ptr = list(range(n))
    _quicksort(ptr, 0, n, 2 * (n.bit_length() - 1), less)
    return np.array(val, dtype=np.float32)


def _quicksort(a: list, lo: int, hi: int, depth: int, less) -> None:
    """libstdc++'s introsort loop, comparisons only (the heapsort leaves are not needed)."""
    while hi - lo > 16 and depth > 0:
        depth -= 1
        i, j, k = lo + 1, lo + (hi - lo) // 2, hi - 1
        if less(a[i], a[j]):
            m = j if less(a[j], a[k]) else (k if less(a[i], a[k]) else i)
        else:
            m = i if less(a[i], a[k]) else (k if less(a[j], a[k]) else j)
        a[lo], a[m] = a[m], a[lo]
        first, last = lo + 1, hi
        while True:
            while less(a[first], a[lo]):
                first += 1
            last -= 1
            while less(a[lo], a[last]):
                last -= 1
            if not first < last:
                break
            a[first], a[last] = a[last], a[first]
            first += 1
        _quicksort(a, first, hi, depth, less)
        hi = first


def check(rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    per = {n: [0, 0] for n in WIDTHS}
    ties = [0, 0]
    for i in range(rows):
        n = WIDTHS[i % len(WIDTHS)] if i % 3 else int(rng.integers(17, 2000))
        if n > 4096 and i % 10:  # the widest rows: fewer of them
            n = int(rng.integers(17, 4097))
        x = row(rng, n, i % 5)
        theirs = torch.sort(torch.from_numpy(x[None].copy()), dim=-1)[1][0].numpy()
        key = min(WIDTHS, key=lambda w: abs(w - n))
        per[key][0] += 1
        per[key][1] += int(not np.array_equal(torch_order(x), theirs))
        finite = x[np.isfinite(x)]
        if finite.size:
            t = finite[rng.integers(finite.size)]
            ties[0] += 1
            ties[1] += int(not np.array_equal(tied_order(x, t), theirs[x[theirs] == t]))
    heaps = []
    real = _torchsort._heapsort
    _torchsort._heapsort = lambda p, lo, hi: (heaps.append(hi - lo), real(p, lo, hi))
    for n in (100, 1000, 10_000):
        heaps.clear()
        x = adversary(n)
        theirs = torch.sort(torch.from_numpy(x[None].copy()), dim=-1)[1][0].numpy()
        per[min(WIDTHS, key=lambda w: abs(w - n))][0] += 1
        bad = not np.array_equal(torch_order(x), theirs)
        per[min(WIDTHS, key=lambda w: abs(w - n))][1] += int(bad)
        print(f"adversary row of {n}: heapsort of {heaps} elements, "
              f"order {'differs' if bad else 'equal'}")  # fmt: skip
    _torchsort._heapsort = real
    print(f"{'width (nearest)':>16} {'rows':>6} {'orders differ':>14}")
    for n, (count, bad) in per.items():
        print(f"{n:>16} {count:>6} {bad:>14}")
    print(f"tied_order of one value: {ties[1]} of {ties[0]} rows differ")


def speed(reps: int = 7) -> None:
    """One row of 151,936 float32 logits: torch.sort, torch_order and tied_order, alternating."""
    rng = np.random.default_rng(3)
    top_k = np.full(151_936, -np.inf, dtype=np.float32)
    top_k[rng.choice(151_936, 50, replace=False)] = rng.integers(0, 4, 50)
    cases = {
        "4 levels": rng.integers(0, 4, 151_936).astype(np.float32),
        "top-k 50 among -inf, 4 levels": top_k,
        "normal(0, 3) float32": rng.normal(0, 3, 151_936).astype(np.float32),
    }
    for name, x in cases.items():
        xt = torch.from_numpy(x[None].copy())
        t = float(x[np.isfinite(x)][0])
        runs = {
            "torch.sort": lambda xt=xt: torch.sort(xt, dim=-1),
            "torch_order": lambda x=x: torch_order(x),
            "tied_order": lambda x=x, t=t: tied_order(x, t),
        }
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(reps):
            for k, run in runs.items():
                t0 = time.perf_counter()
                run()
                times[k].append(time.perf_counter() - t0)
        ratio = sorted(a / b for a, b in zip(times["tied_order"], times["torch.sort"], strict=True))
        best = ", ".join(f"{k} {min(v) * 1e3:.1f} ms" for k, v in times.items())
        print(f"151,936 ({name}): {best} (best of {reps}); tied_order / torch.sort "
              f"per round: median {ratio[len(ratio) // 2]:.1f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    print(f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()})")
    check(args.rows)
    if not args.no_speed:
        speed()


if __name__ == "__main__":
    main()
