"""Peer check (by hand, not CI): our processors against Hugging Face transformers' own.

Needs torch and transformers (``pip install torch==2.13.0 transformers``). Runs
each Hugging Face LogitsProcessor and our :func:`softmax_cli.sampling.process`
with the ``hf`` preset rules on random and adversarial float32 rows (ties at the
k-th logit, cumulative mass landing exactly on p, ``-inf``, all-equal rows,
min-p at the boundary, temperature near 0, one finite logit), and reports per
processor and for the hf preset: rows whose kept set differs, how far from the
threshold (float32 ulps) the differing tokens' exact test lies, and on the rows
that agree our probabilities against Hugging Face's own (``torch.softmax`` of its
processed scores, float32 ulps of theirs) and against the mpmath oracle (ulps of
ours). ``--golden`` prints kept masks for tests/test_sample.py.

torch picks its CPU kernels at run time (AVX-512, AVX2, ...); the last bit of its
float32 softmax, and so Hugging Face's kept set at a threshold, depends on it. We
run with the same vector width (``lanes``, :mod:`softmax_cli.torch_softmax`); the
column "CPU-dep." counts the rows whose kept set the other width would change.
Run it under each with ``ATEN_CPU_CAPABILITY=avx2`` / ``=avx512``.

    python benchmarks/peer_hf.py [--rows 3000] [--golden] [--no-speed]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import transformers
from transformers.generation import logits_process as lp

from softmax_cli.sampling import distribution, plan, process

CASES = [
    ("top_k", {"top_k": 3}, lambda: lp.TopKLogitsWarper(3)),
    ("top_k", {"top_k": 1}, lambda: lp.TopKLogitsWarper(1)),
    ("top_p", {"top_p": 0.5}, lambda: lp.TopPLogitsWarper(0.5)),
    ("top_p", {"top_p": 0.9}, lambda: lp.TopPLogitsWarper(0.9)),
    ("min_p", {"min_p": 0.1}, lambda: lp.MinPLogitsWarper(0.1)),
    ("min_p", {"min_p": 0.5}, lambda: lp.MinPLogitsWarper(0.5)),
    ("min_p", {"min_p": 0.05}, lambda: lp.MinPLogitsWarper(0.05)),
    ("typical_p", {"typical_p": 0.7}, lambda: lp.TypicalLogitsWarper(0.7)),
    (
        "top_p",
        {"top_p": 0.9, "min_tokens_to_keep": 5},
        lambda: lp.TopPLogitsWarper(0.9, min_tokens_to_keep=5),
    ),
    (
        "typical_p",
        {"typical_p": 0.7, "min_tokens_to_keep": 5},
        lambda: lp.TypicalLogitsWarper(0.7, min_tokens_to_keep=5),
    ),
    ("epsilon", {"epsilon_cutoff": 0.05}, lambda: lp.EpsilonLogitsWarper(0.05)),
    ("eta", {"eta_cutoff": 0.05}, lambda: lp.EtaLogitsWarper(0.05)),
    ("temperature", {"temperature": 0.01}, lambda: lp.TemperatureLogitsWarper(0.01)),
    ("temperature", {"temperature": 0.001}, lambda: lp.TemperatureLogitsWarper(0.001)),
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


#: the families of :func:`rows`, row ``i`` is of family ``i % 7``
FAMILIES = ("normal", "ties", "all equal", "-inf", "powers of 2", "min-p boundary", "one finite")


def rows(n: int, v: int, seed: int = 0) -> np.ndarray:
    """Random and adversarial float32 rows of width ``v`` (:data:`FAMILIES`)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        kind = i % 7
        if kind == 0:
            r = rng.normal(0, 3, v)
        elif kind == 1:  # ties everywhere (at the k-th logit too): few distinct values
            r = rng.integers(0, 4, v).astype(float)
        elif kind == 2:  # all equal: mass lands exactly on p for p = j/v
            r = np.full(v, rng.normal())
        elif kind == 3:  # -inf sprinkled
            r = rng.normal(0, 2, v)
            r[rng.random(v) < 0.3] = -np.inf
            r[rng.integers(v)] = 0.0
        elif kind == 4:  # powers of two probabilities: exact cumulative sums
            r = -np.log(2.0) * rng.integers(1, 6, v)
        elif kind == 5:  # min-p boundary: logits exactly log(min_p) below the max
            r = rng.choice([0.0, np.log(0.1), np.log(0.5), np.log(0.05), -5.0], v)
        else:  # one finite logit, the rest removed
            r = np.full(v, -np.inf)
            r[rng.integers(v)] = rng.normal()
        out.append(r)
    return np.array(out, dtype=np.float32)


def _margin(given: dict, x: np.ndarray, flipped: np.ndarray) -> float:
    """How far (float32 ulps of the threshold) the flipped tokens' exact test lies from it."""
    d = x.astype(np.float64) - x.max()
    if set(given) == {"min_p"}:
        m = given["min_p"]
        return float(np.max(np.abs(np.exp(d[flipped]) - m)) / np.spacing(np.float32(m)))
    if set(given) == {"top_p"}:
        p = np.exp(d) / np.exp(d).sum()
        order = np.argsort(x, kind="stable")
        cum = np.empty_like(p)
        cum[order] = np.cumsum(p[order])
        t = 1 - given["top_p"]
        return float(np.max(np.abs(cum[flipped] - t)) / np.spacing(np.float32(t)))
    return float("nan")


def _oracle_ulps(probs: np.ndarray, logits: np.ndarray) -> float:
    """Largest error of ``probs`` against the mpmath softmax of ``logits``, in their ulps."""
    import mpmath

    from softmax_cli.oracle import to_mpf, ulp_error
    from softmax_cli.oracle.exp_family import softmax as exact_softmax

    worst = 0.0
    with mpmath.workdps(40):
        for pr, lg in zip(probs, logits, strict=True):
            keep = np.isfinite(lg)
            exact = exact_softmax([to_mpf(v) for v in lg[keep]])
            worst = max(worst, float(ulp_error(pr[keep], np.array(exact, dtype=object)).max()))
    return worst


LANES = {"AVX2": 8, "AVX512": 16}


def compare(x: np.ndarray, lanes: int = 16, oracle_rows: int = 300) -> list[tuple]:
    """Per case: rows whose kept set differs, the widest such margin, and probability ulps.

    The last item: the families (:data:`FAMILIES`) with a differing row, and how many.

    Probabilities: ours (:func:`sampling.distribution` of our processed logits)
    against Hugging Face's own (``torch.softmax`` of its processed scores, float32),
    in float32 ulps of theirs, and against the mpmath oracle in ulps of ours.
    """
    report = []
    for name, given, make in CASES:
        steps = plan("hf", given=given) if name == "preset hf" else plan(None, given=given)
        ours, _ = process(x, steps, lanes=lanes)
        other, _ = process(x, steps, lanes=24 - lanes)
        cpu_dep = int((np.isfinite(ours) != np.isfinite(other)).any(axis=-1).sum())
        xt = torch.from_numpy(x.copy())
        theirs = make()(torch.zeros((x.shape[0], 1), dtype=torch.long), xt)
        hf_probs = torch.softmax(theirs, dim=-1).numpy()
        theirs = theirs.numpy()
        flip = np.isfinite(ours) != np.isfinite(theirs)
        bad = np.flatnonzero(flip.any(axis=-1))
        margin = max((_margin(given, x[r], flip[r]) for r in bad), default=0.0)
        same = ~flip.any(axis=-1)
        probs, _ = distribution(ours[same])
        vs_hf = np.abs(probs - hf_probs[same]) / np.spacing(hf_probs[same].astype(np.float32))
        vs_oracle = _oracle_ulps(probs[:oracle_rows], ours[same][:oracle_rows])
        fams = np.bincount(bad % len(FAMILIES), minlength=len(FAMILIES))
        where = ", ".join(f"{FAMILIES[f]} {c}" for f, c in enumerate(fams) if c) or "-"
        report.append(
            (f"{name} {given}", len(bad), margin, float(vs_hf.max()), vs_oracle, cpu_dep, where)
        )
    return report


def top_k_kept(x: np.ndarray, k: int) -> np.ndarray:
    """Hugging Face's top-k survivors (ties with the k-th stay)."""
    kth = np.sort(x, axis=-1)[:, -k][:, None]
    return x >= kth


def wide(lanes: int, n: int = 280, v: int = 4096) -> None:
    """The hf preset on wide rows, where top-p and min-p see only top-k's survivors."""
    x = rows(n, v, seed=2)
    for k, p, m in ((50, 0.9, 0.05), (200, 0.5, 0.1), (1000, 0.99, 0.01)):
        given = {"temperature": 0.7, "top_k": k, "top_p": p, "min_p": m}
        ours, _ = process(x, plan("hf", given=given), lanes=lanes)
        hf = lp.LogitsProcessorList(
            [lp.TemperatureLogitsWarper(0.7), lp.TopKLogitsWarper(k), lp.TopPLogitsWarper(p),
             lp.MinPLogitsWarper(m)]
        )  # fmt: skip
        theirs = hf(torch.zeros((n, 1), dtype=torch.long), torch.from_numpy(x.copy())).numpy()
        differ = (np.isfinite(ours) != np.isfinite(theirs)).any(axis=-1)
        # a tie across HF's cut: a kept and a removed token of one logit (torch.sort is not
        # stable past 16 tokens: which of them stay is its sort's choice, see _torchsort)
        hx = x / np.float32(0.7)
        kept_hf = np.isfinite(theirs)
        lo = np.where(kept_hf, hx, np.inf).min(axis=-1, keepdims=True)
        tie = ((hx == lo) & ~kept_hf & (top_k_kept(hx, k))).any(axis=-1)
        print(f"preset hf {given} on {n} rows of {v}: kept sets differ on {int(differ.sum())} "
              f"rows ({int(tie.sum())} rows have a tie across HF's cut, "
              f"{int((differ & tie).sum())} of them differ)")  # fmt: skip


def typical_ties(n: int = 300) -> None:
    """Typical-p with ``min_tokens_to_keep``: the kept places can end inside a tie.

    Rows of widths 17 to 4,096 where one to three dominant tokens hold the typical
    mass and the rest tie on a few levels: ``min_tokens_to_keep = k`` keeps the
    first k places of torch's sort of ``|-log p - H|``, some of a tie group.
    """
    rng = np.random.default_rng(4)
    differ = rows_tied = 0
    for i in range(n):
        v = int(rng.integers(17, 4097)) if i % 4 else int(rng.integers(17, 64))
        x = rng.integers(0, 3, (1, v)).astype(np.float32)
        x[0, rng.integers(v, size=int(rng.integers(1, 4)))] = rng.integers(6, 10)
        if i % 3 == 0:
            x[rng.random((1, v)) < 0.3] = -np.inf
        k = int(rng.integers(2, 12))
        ours, _ = process(x, plan(None, given={"typical_p": 0.7, "min_tokens_to_keep": k}))
        hf = lp.TypicalLogitsWarper(0.7, min_tokens_to_keep=k)
        theirs = hf(None, torch.from_numpy(x.copy())).numpy()
        kept = x[np.isfinite(theirs)]
        rows_tied += int(np.isin(kept, x[~np.isfinite(theirs)]).any())
        differ += int((np.isfinite(ours) != np.isfinite(theirs)).any())
    print(f"typical_p 0.7, min_tokens_to_keep 2..11, on {n} rows of 17..4096: kept sets differ "
          f"on {differ} rows ({rows_tied} rows keep part of a tie)")  # fmt: skip


def typical_wide(lanes: int, n: int = 32, v: int = 151_936) -> None:
    """Typical-p 0.7 on LLM-wide rows: many scores tie above and below ``H`` in float32.

    Normal logits (σ 3, 2 and 1) and rows of a few levels; kept sets against Hugging
    Face's warper, and its time against ours (same rows, alternating, medians of 3).
    """
    rng = np.random.default_rng(9)
    x = np.concatenate(
        [rng.normal(0, s, (n // 4, v)) for s in (3, 2, 1)] + [rng.integers(0, 5, (n // 4, v))]
    ).astype(np.float32)
    warper = lp.TypicalLogitsWarper(0.7)
    ours_t, theirs_t = [], []
    for _ in range(3):
        t = time.perf_counter()
        ours, _ = process(x, plan(None, given={"typical_p": 0.7}), lanes=lanes)
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs = warper(None, torch.from_numpy(x.copy())).numpy()
        theirs_t.append(time.perf_counter() - t)
    differ = int((np.isfinite(ours) != np.isfinite(theirs)).any(axis=-1).sum())
    ratio = float(np.median(ours_t) / np.median(theirs_t))
    print(f"typical_p 0.7 on {len(x)} rows of {v}: kept sets differ on {differ} rows; "
          f"time {ratio:.2f}x Hugging Face's")  # fmt: skip


def vllm_cpu(n: int = 300) -> None:
    """The vllm preset's top-k + top-p against vLLM's own torch calls on CPU.

    vLLM needs a GPU build to install; its ``apply_top_k_top_p`` (vLLM v1 commit
    3e342658, ``vllm/v1/sample/ops/topk_topp_sampler.py``) is torch calls only,
    replayed here: one ascending ``sort`` of the rows (before the top-k), the top-k
    by value in the sorted rows, ``softmax``, ``cumsum``, ``<= 1 - p`` with ``p`` a
    float32 tensor, the last place kept, ``scatter`` back. Tie-heavy rows of
    widths 17 to 4,096.
    """
    rng = np.random.default_rng(6)
    differ = tied = 0
    for i in range(n):
        v = int(rng.integers(17, 4097)) if i % 4 else int(rng.integers(17, 64))
        x = (rng.integers(0, 6, (1, v)) / 2).astype(np.float32)
        k, p = int(rng.integers(2, min(v, 200))), float(rng.choice([0.3, 0.5, 0.8, 0.9]))
        ours, _ = process(x, plan("vllm", given={"top_k": k, "top_p": p}))
        s, idx = torch.from_numpy(x.copy()).sort(dim=-1, descending=False)
        kth = s.gather(1, torch.tensor([[v - k]]))
        s.masked_fill_(s < kth, -float("inf"))
        cum = torch.cumsum(s.softmax(dim=-1), dim=-1)
        mask = cum <= 1 - torch.tensor([p], dtype=torch.float32).unsqueeze(1)
        mask[:, -1] = False
        s.masked_fill_(mask, -float("inf"))
        theirs = s.scatter(-1, idx, s).numpy()
        kept = np.isfinite(theirs)
        tied += int(np.isin(x[~kept & (x >= kth.item())], x[kept]).any())
        differ += int((np.isfinite(ours) != kept).any())
    print(f"vllm preset, top-k and top-p on {n} rows of 17..4096 against vLLM's CPU "
          f"torch calls: kept sets differ on {differ} rows ({tied} rows: a tie across the "
          "cut)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--width", default="12,40,300", help="row widths, comma-separated")
    ap.add_argument("--golden", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    cpu = torch.backends.cpu.get_cpu_capability()
    if cpu not in LANES:
        print(f"torch runs its {cpu} kernels: only AVX2 and AVX512 are reproduced bit for bit")
    lanes = LANES.get(cpu, 16)
    widths = [int(w) for w in args.width.split(",")]
    print(f"transformers {transformers.__version__}, torch {torch.__version__} ({cpu}); "
          f"{args.rows} rows of each width {widths}")  # fmt: skip
    for width in widths:
        x = rows(args.rows, width)
        print(f"width {width}:")
        print(f"{'case':62} {'rows differ':>11} {'margin':>7} {'p vs HF':>8} "
              f"{'p vs oracle':>11} {'CPU-dep.':>8}  families differing")  # fmt: skip
        for case, differ, margin, vs_hf, vs_oracle, dep, where in compare(
            x, lanes, oracle_rows=max(20, 3600 // width)
        ):
            print(f"{case:62} {differ:>11} {margin:>7.2f} {vs_hf:>8.2f} {vs_oracle:>11.2f} "
                  f"{dep:>8}  {where}")  # fmt: skip
    print("margin: widest distance of a differing token's exact test from the threshold,")
    print("in float32 ulps of it; p vs HF: float32 ulps of HF's; p vs oracle: ulps of ours;")
    print(f"CPU-dep.: rows whose kept set differs with {24 - lanes} lanes instead of {lanes}")
    wide(lanes)
    typical_ties()
    typical_wide(lanes)
    vllm_cpu()
    if args.golden:
        np.set_printoptions(precision=9, floatmode="unique")
        g = rows(14, 6, seed=7)
        for name, given, make in CASES:
            t = make()(torch.zeros((14, 1), dtype=torch.long), torch.from_numpy(g.copy())).numpy()
            print(name, given, np.isfinite(t).astype(int).tolist())
    if not args.no_speed:
        speed()


def _rounds(contenders: dict, reps: int) -> dict[str, list[float]]:
    """Wall seconds of each contender per round, the contenders alternating in every round."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(reps):
        for name, run in contenders.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    return times


def _ratio_line(label: str, times: dict[str, list[float]], ours: str, peer: str) -> str:
    ratios = sorted(a / b for a, b in zip(times[ours], times[peer], strict=True))
    o, h = min(times[ours]), min(times[peer])
    return (f"{label}: {ours} {o * 1e3:.1f} ms, {peer} {h * 1e3:.1f} ms (best of {len(ratios)}); "
            f"ratio per round: median {ratios[len(ratios) // 2]:.2f}, "
            f"range {ratios[0]:.2f}-{ratios[-1]:.2f}")  # fmt: skip


def speed(reps: int = 7) -> None:
    """hf preset on 64 × 151,936 float32 logits: ours against Hugging Face's, alternating."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3, (64, 151_936)).astype(np.float32)
    given = {"temperature": 0.7, "top_k": 50, "top_p": 0.9, "min_p": 0.05}
    steps = plan("hf", given=given)
    hf = CASES[-1][2]()
    ids = torch.zeros((64, 1), dtype=torch.long)
    xt = torch.from_numpy(x)
    times = _rounds({"ours": lambda: process(x, steps), "HF": lambda: hf(ids, xt.clone())}, reps)
    print(_ratio_line("hf preset 64x151936 float32", times, "ours", "HF"))
    one_row(reps)


def one_row(reps: int = 7) -> None:
    """One row of 256k float32 logits to the sorted kept tokens of top-p 0.9 (--sparse).

    The library call against Hugging Face's warper plus its softmax and sort; then
    the command line (``softmax sample --input row.npy --top-p 0.9 -f csv``) minus
    its start-up (the same command on three logits), the two alternating.
    """
    import os
    import subprocess
    import sys
    import tempfile

    x = np.random.default_rng(2).normal(0, 3, (1, 262_144)).astype(np.float32)
    steps = plan(None, given={"top_p": 0.9})
    hf = lp.TopPLogitsWarper(0.9)

    def ours() -> None:
        out, _ = process(x, steps)
        probs, _ = distribution(out)
        kept = np.flatnonzero(np.isfinite(out[0]))
        kept[np.argsort(-probs[0, kept], kind="stable")]

    def theirs() -> None:
        scores = hf(None, torch.from_numpy(x.copy()))
        p = torch.softmax(scores, dim=-1)
        torch.sort(p[p > 0], descending=True)

    times = _rounds({"ours": ours, "HF": theirs}, reps)
    print(_ratio_line("one row of 262144 to its sorted top-p 0.9 tokens (library)", times,
                      "ours", "HF") + "; target 50 ms")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "row.npy")
        np.save(path, x)
        cmd = [sys.executable, "-m", "softmax_cli", "sample", "--top-p", "0.9", "-f", "csv"]

        def run(args: list[str]) -> None:
            subprocess.run(cmd + args, check=True, stdout=subprocess.DEVNULL)

        cli = _rounds({"row": lambda: run(["--input", path]),
                       "start-up": lambda: run(["1", "2", "3"])}, reps)  # fmt: skip
    diffs = sorted(a - b for a, b in zip(cli["row"], cli["start-up"], strict=True))
    print(f"  the command line minus its start-up: median {diffs[len(diffs) // 2] * 1e3:.0f} ms "
          f"(range {diffs[0] * 1e3:.0f}-{diffs[-1] * 1e3:.0f}; start-up "
          f"{min(cli['start-up']) * 1e3:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
