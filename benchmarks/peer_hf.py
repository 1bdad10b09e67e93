"""Peer check (by hand, not CI): our processors against Hugging Face transformers' own.

Needs torch and transformers (``pip install torch==2.13.0 transformers``). Runs
each Hugging Face LogitsProcessor and our :func:`softmax_cli.sampling.process`
with the ``hf`` preset rules on random and adversarial float32 rows (ties at the
k-th logit, cumulative mass landing exactly on p, ``-inf``, all-equal rows,
min-p at the boundary, temperature near 0), and reports per processor: rows
whose kept set differs, and the largest probability difference on the kept set
in ULPs of float32 at 1. ``--golden`` prints rows for tests/test_sample.py.

    python benchmarks/peer_hf.py [--rows 2000] [--golden]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import transformers
from transformers.generation import logits_process as lp

from softmax_cli.processors import softmax_rows
from softmax_cli.sampling import plan, process

CASES = [
    ("top_k", {"top_k": 3}, lambda: lp.TopKLogitsWarper(3)),
    ("top_k", {"top_k": 1}, lambda: lp.TopKLogitsWarper(1)),
    ("top_p", {"top_p": 0.5}, lambda: lp.TopPLogitsWarper(0.5)),
    ("top_p", {"top_p": 0.9}, lambda: lp.TopPLogitsWarper(0.9)),
    ("min_p", {"min_p": 0.1}, lambda: lp.MinPLogitsWarper(0.1)),
    ("min_p", {"min_p": 0.5}, lambda: lp.MinPLogitsWarper(0.5)),
    ("typical_p", {"typical_p": 0.7}, lambda: lp.TypicalLogitsWarper(0.7)),
    ("epsilon", {"epsilon_cutoff": 0.05}, lambda: lp.EpsilonLogitsWarper(0.05)),
    ("eta", {"eta_cutoff": 0.05}, lambda: lp.EtaLogitsWarper(0.05)),
    ("temperature", {"temperature": 0.01}, lambda: lp.TemperatureLogitsWarper(0.01)),
    (
        "preset hf",
        {"temperature": 0.7, "top_k": 20, "top_p": 0.9, "min_p": 0.05},
        lambda: lp.LogitsProcessorList(
            [
                lp.TemperatureLogitsWarper(0.7),
                lp.TopKLogitsWarper(20),
                lp.TopPLogitsWarper(0.9),
                lp.MinPLogitsWarper(0.05),
            ]
        ),
    ),
]


def rows(n: int, v: int, seed: int = 0) -> np.ndarray:
    """Random and adversarial float32 rows of width ``v``."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            r = rng.normal(0, 3, v)
        elif kind == 1:  # ties everywhere: few distinct values
            r = rng.integers(0, 4, v).astype(float)
        elif kind == 2:  # all equal: mass lands exactly on p for p = j/v
            r = np.full(v, rng.normal())
        elif kind == 3:  # -inf sprinkled
            r = rng.normal(0, 2, v)
            r[rng.random(v) < 0.3] = -np.inf
            r[rng.integers(v)] = 0.0
        elif kind == 4:  # powers of two probabilities: exact cumulative sums
            r = -np.log(2.0) * rng.integers(1, 6, v)
        else:  # min-p boundary: logits exactly log(min_p) below the max
            r = rng.choice([0.0, np.log(0.1), np.log(0.5), -5.0], v)
        out.append(r)
    return np.array(out, dtype=np.float32)


def compare(x: np.ndarray) -> list[tuple[str, int, float]]:
    report = []
    for name, given, make in CASES:
        steps = plan("hf", given=given) if name == "preset hf" else plan(None, given=given)
        ours, _ = process(x, steps)
        theirs = make()(torch.zeros((x.shape[0], 1), dtype=torch.long), torch.from_numpy(x.copy()))
        theirs = theirs.numpy()
        differ = int((np.isfinite(ours) != np.isfinite(theirs)).any(axis=-1).sum())
        po, pt = softmax_rows(ours), softmax_rows(theirs)
        same = (np.isfinite(ours) == np.isfinite(theirs)).all(axis=-1)
        ulp = (
            float(np.abs(po[same] - pt[same]).max() / np.finfo(np.float32).eps) if same.any() else 0
        )
        report.append((f"{name} {given}", differ, ulp))
    return report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--width", type=int, default=12)
    ap.add_argument("--golden", action="store_true")
    args = ap.parse_args()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    x = rows(args.rows, args.width)
    print(f"{'case':60} {'rows differ':>12} {'max |Δp| (ulp)':>15}")
    for case, differ, ulp in compare(x):
        print(f"{case:60} {differ:>12} {ulp:>15.2f}")
    if args.golden:
        np.set_printoptions(precision=9, floatmode="unique")
        g = rows(12, 6, seed=7)
        for name, given, make in CASES:
            t = make()(torch.zeros((12, 1), dtype=torch.long), torch.from_numpy(g.copy())).numpy()
            print(name, given, np.isfinite(t).astype(int).tolist())
    speed()


def speed(reps: int = 5) -> None:
    """hf preset on 64 × 151,936 float32 logits: ours against Hugging Face's, alternating."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3, (64, 151_936)).astype(np.float32)
    given = {"temperature": 0.7, "top_k": 50, "top_p": 0.9, "min_p": 0.05}
    steps = plan("hf", given=given)
    hf = CASES[-1][2]()
    ids = torch.zeros((64, 1), dtype=torch.long)
    t_ours, t_hf = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        process(x, steps)
        t_ours.append(time.perf_counter() - t0)
        xt = torch.from_numpy(x.copy())
        t0 = time.perf_counter()
        hf(ids, xt)
        t_hf.append(time.perf_counter() - t0)
    o, h = min(t_ours), min(t_hf)
    print(f"hf preset 64x151936 float32: ours {o * 1e3:.0f} ms, HF {h * 1e3:.0f} ms, "
          f"ratio {o / h:.2f} (best of {reps}, alternating)")  # fmt: skip


if __name__ == "__main__":
    main()
