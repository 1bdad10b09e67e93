"""Accuracy against the mpmath oracle: ours and the peers', in ULPs, on the issue's input families.

Run by hand (minutes, not seconds): ``python benchmarks/accuracy.py [--quick]``.
Prints markdown tables; README.md's accuracy tables are copies of its output.

* adversarial corpus (``tests/adversarial.py``, issue 19): softmax, log_softmax and
  logsumexp in float64, the worst error in ULPs of the value per family, ours
  against scipy and PyTorch (the peers get ``x/τ``: they take no temperature);

* exp family (softmax, log_softmax, logsumexp): the worst error in ULPs of the
  dtype over every entry of vectors from seven families (random N(0, 30²),
  huge, tiny, mixed-scale, offset 1e6 + noise, tie-heavy, unit), against
  scipy.special and PyTorch when installed;
* every other deterministic mapping: the worst absolute error in ULPs of 1.0.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import softmax_cli as sm
from softmax_cli import oracle, registry

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from tests.adversarial import families as adversarial_families


def families(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "N(0,30²)": rng.normal(0, 30, n),
        "huge": rng.normal(0, 1e4, n),
        "tiny": rng.normal(0, 1e-8, n),
        "mixed-scale": rng.normal(0, 1, n) * 10.0 ** rng.integers(-6, 3, n),
        "offset 1e6": 1e6 + rng.normal(0, 5, n),
        "tie-heavy": rng.integers(-3, 4, n).astype(float) * 7.25,
        "unit": rng.normal(0, 1, n),
    }


def peers() -> dict[str, dict]:
    out: dict[str, dict] = {"ours": {"softmax": sm.softmax, "log-softmax": sm.log_softmax,
                                     "logsumexp": sm.logsumexp}}  # fmt: skip
    try:
        import scipy.special as ss

        out["scipy"] = {
            "softmax": lambda x: ss.softmax(x, axis=-1),
            "log-softmax": lambda x: ss.log_softmax(x, axis=-1),
            "logsumexp": lambda x: np.asarray(ss.logsumexp(x, axis=-1), dtype=x.dtype),
        }
    except ImportError:
        print("(scipy not installed: skipped)", file=sys.stderr)
    try:
        import torch

        def t(fn):
            return lambda x: fn(torch.from_numpy(np.ascontiguousarray(x)), dim=-1).numpy()

        out["torch"] = {
            "softmax": t(torch.softmax),
            "log-softmax": t(torch.log_softmax),
            "logsumexp": t(torch.logsumexp),
        }
    except ImportError:
        print("(torch not installed: skipped)", file=sys.stderr)
    return out


def exp_family_table(n: int, dtypes: list[np.dtype]) -> list[str]:
    impls = peers()
    lines = [
        "| function | dtype | " + " | ".join(impls) + " |",
        "|---|---|" + "---|" * len(impls),
    ]
    for name in ("softmax", "log-softmax", "logsumexp"):
        for dt in dtypes:
            worst = dict.fromkeys(impls, 0.0)
            rng = np.random.default_rng(20261121)
            for x64 in families(rng, n).values():
                lim = float(np.finfo(dt).max) / 2
                x = np.clip(x64, -lim, lim).astype(dt)
                exact = oracle.evaluate(name, x, dps=30)
                for label, fns in impls.items():
                    if label == "torch" and dt == np.float16:
                        continue
                    err = oracle.ulp_error(np.asarray(fns[name](x)), exact, dt)
                    worst[label] = max(worst[label], float(np.max(err)))
            cells = [f"{worst[k]:.3g}" if worst[k] or k == "ours" else "—" for k in impls]
            lines.append(f"| {name} | {np.dtype(dt).name} | " + " | ".join(cells) + " |")
    return lines


def ml_dtype_table(n: int, rows: int) -> list[str]:
    """bfloat16 and float8 (ml_dtypes): worst ULPs of the dtype, ours against torch (bfloat16).

    The seven families clipped to half the dtype's largest value and rounded to it;
    ``rows`` vectors of ``n`` per family. "rounded once" is the float64 result rounded
    to the dtype: the best any implementation can return is ≤ 0.5 ULP.
    """
    from softmax_cli.floats import ML_DTYPE_NAMES, finfo, parse_dtype

    try:
        import torch
    except ImportError:
        torch = None
    fns = {"softmax": sm.softmax, "log-softmax": sm.log_softmax, "logsumexp": sm.logsumexp}
    torch_fns = {"softmax": "softmax", "log-softmax": "log_softmax", "logsumexp": "logsumexp"}
    lines = ["| function | dtype | ours | torch |", "|---|---|---|---|"]
    for name, fn in fns.items():
        for dname in ML_DTYPE_NAMES:
            dt = parse_dtype(dname)
            worst = {"ours": 0.0, "torch": 0.0}
            rng = np.random.default_rng(20261203)
            lim = float(finfo(dt).max) / 2
            for _ in range(rows):
                for x64 in families(rng, n).values():
                    x = np.clip(x64, -lim, lim).astype(dt)
                    exact = oracle.evaluate(name, x, dps=30)
                    err = oracle.ulp_error(np.asarray(fn(x)), exact, dt)
                    worst["ours"] = max(worst["ours"], float(np.max(err)))
                    if torch is not None and dname == "bfloat16":
                        t = torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
                        got = getattr(torch, torch_fns[name])(t, dim=-1).float().numpy()
                        err = oracle.ulp_error(got.astype(dt), exact, dt)
                        worst["torch"] = max(worst["torch"], float(np.max(err)))
            peer = f"{worst['torch']:.3g}" if dname == "bfloat16" and torch is not None else "—"
            lines.append(f"| {name} | {dname} | {worst['ours']:.3g} | {peer} |")
    return lines


def adversarial_table(size: int) -> list[str]:
    """Worst ULPs per function × family on the adversarial corpus, float64."""
    impls = peers()
    lines = ["| function | family | " + " | ".join(impls) + " |", "|---|---|" + "---|" * len(impls)]
    corpus = adversarial_families(size=size)
    for name in ("softmax", "log-softmax", "logsumexp"):
        for family, cases in corpus.items():
            worst = dict.fromkeys(impls, 0.0)
            for x, tau in cases:
                exact = oracle.evaluate(name, x, dps=60, temperature=tau)
                exact = exact if isinstance(exact, list) else [exact]
                for label, fns in impls.items():
                    with np.errstate(all="ignore"):
                        if label == "ours":
                            got = fns[name](x, temperature=tau)
                        else:
                            got = np.asarray(fns[name](x / tau), dtype=np.float64)
                            got = got * tau if name == "logsumexp" else got
                    err = oracle.ulp_error(np.atleast_1d(got), exact, np.float64)
                    worst[label] = max(worst[label], float(np.max(err)))
            cells = [f"{worst[k]:.3g}" for k in impls]
            lines.append(f"| {name} | {family} | " + " | ".join(cells) + " |")
    return lines


def other_maps_table(samples: int, n: int) -> list[str]:
    lines = ["| mapping | float64 | float32 | float16 |", "|---|---|---|---|"]
    skip = {"softmax", "log-softmax", "logsumexp"}
    for m in registry.MAPPINGS:
        if m.name in skip:
            continue
        params = {"k": 3} if m.name == "sparse-softmax" else {}
        if m.stochastic:
            params["seed"] = 1
        cells = []
        for dt in (np.float64, np.float32, np.float16):
            rng = np.random.default_rng(7)
            worst = 0.0
            for _ in range(samples):
                x = rng.normal(0, 3, n).astype(dt)
                got = np.atleast_1d(m(x, **params))
                exact = oracle.evaluate(m.name, x, dps=30, **params)
                exact = exact if isinstance(exact, list) else [exact]
                measure = (  # a reduction is measured against its own size
                    oracle.ulp_error
                    if m.output == registry.SCALAR
                    else oracle.abs_error_in_ulps_of_one
                )
                worst = max(worst, float(measure(got, exact, dt).max()))
            cells.append(f"{worst:.3g}")
        unit = " (ULP of the value)" if m.output == registry.SCALAR else ""
        lines.append(f"| {m.name}{unit} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short vectors, few samples")
    args = ap.parse_args()
    n = 2_000 if args.quick else 100_000
    size = 60 if args.quick else 400
    print(f"adversarial corpus (tests/adversarial.py), float64, {size} vectors per family:")
    print("worst error in ULPs of the value\n")
    print("\n".join(adversarial_table(size)))
    print()
    print(f"exp family: worst error in ULPs of the dtype, 7 families × n = {n}\n")
    print("\n".join(exp_family_table(n, [np.float64, np.float32, np.float16])))
    rows = 2 if args.quick else 20
    print(f"\nbfloat16, float8: worst error in ULPs of the dtype, 7 families × {rows} × n = 1000\n")
    print("\n".join(ml_dtype_table(1000, rows)))
    print("\nother mappings: worst absolute error in ULPs of 1.0 (N(0, 3²) vectors, n = 20)\n")
    print("\n".join(other_maps_table(5 if args.quick else 40, 20)))


if __name__ == "__main__":
    main()
