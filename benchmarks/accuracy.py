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
* every other deterministic mapping: the worst absolute error in ULPs of 1.0;
* issue 19 items 7–11 (``tests/adversarial.py`` ``issue19_families``): entmax15
  with many ties, α-entmax near the edge of the support for α up to 20, Taylor
  softmax at orders 80–1000, Jacobians, cross-entropy with label smoothing at
  τ = 0.1, soft-max under cancellation — ours against torch where it has the
  function (scipy has none of them), each in the measure its bound is stated in.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import softmax_cli as sm
from softmax_cli import oracle, registry

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from tests.adversarial import families as adversarial_families
from tests.adversarial import issue19_families


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


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _issue19_rows(size: int) -> list[tuple[str, str, str, float, float | None]]:
    """``(function, family, measure, ours, torch)`` worst errors on the issue-19 families."""
    from softmax_cli import derivatives, losses
    from softmax_cli.oracle import derivatives as od
    from softmax_cli.oracle import losses as ol
    from softmax_cli.oracle.derivatives import scaled_ulp_error

    torch = _torch()
    fam = issue19_families(size=size)
    rows = []
    one = "ULP of 1.0"

    def worst(cases, measure):
        ours = peer = 0.0
        for x, params in cases:
            o, t = measure(x, params)
            ours = max(ours, o)
            peer = max(peer, t) if t is not None else peer
        return ours, (peer if torch is not None and peer else None)

    def ent15(x, _):
        # closed form (the oracle's bisection over 10⁵ mpf entries takes minutes): z = (x − v)/2
        # is 0 once and −a = −v/2 n times; λ² + n(a + λ)² = 1 at the root below −a
        import mpmath

        n, v = x.size - 1, mpmath.mpf(x[-1])
        with mpmath.workdps(40):
            a, disc = v / 2, n + 1 - n * (v / 2) ** 2
            lam = (-n * a - mpmath.sqrt(disc)) / (1 + n) if disc > 0 else mpmath.mpf(0)
            ex = [lam**2, (a + lam) ** 2] if -a > lam else [1, 0]
        p = sm.entmax15(x)
        return float(oracle.abs_error_in_ulps_of_one([p[-1], p[0]], ex).max()), None

    rows.append(("entmax15", "entmax15 ties", one, *worst(fam["entmax15 ties"], ent15)))

    def ent(x, params):
        ex = oracle.evaluate("entmax", x, dps=16, **params)
        got = sm.entmax_bisect(x, params["alpha"])
        return float(oracle.abs_error_in_ulps_of_one(got, ex).max()), None

    for f in ("entmax edge α", "entmax N(0,1) α"):
        rows.append(("entmax (α)", f, one, *worst(fam[f], ent)))

    def tay(x, params):
        ex = oracle.evaluate("taylor", x, dps=20, **params)
        got = sm.taylor_softmax(x, **params)
        return float(oracle.abs_error_in_ulps_of_one(got, ex).max()), None

    rows.append(("taylor", "taylor high order", one, *worst(fam["taylor high order"], tay)))

    def jac(name, tfn, tau):
        def measure(x, _):
            exact = od.jacobian(name, x, temperature=tau)
            ours = float(
                (
                    tau * scaled_ulp_error(derivatives.jacobian(name, x, temperature=tau), exact)
                ).max()
            )
            if torch is None or tfn is None:
                return ours, None
            J = torch.autograd.functional.jacobian(
                lambda v: tfn(v / tau), torch.from_numpy(x)
            ).numpy()
            return ours, float((tau * scaled_ulp_error(J, exact)).max())

        return measure

    tsm = (lambda v: torch.log_softmax(v, -1)) if torch else None
    rows.append(
        (
            "log-softmax Jacobian",
            "jacobian",
            "ULP of 1/τ",
            *worst(fam["jacobian"], jac("log-softmax", tsm, 1.0)),
        )
    )
    tsm = (lambda v: torch.softmax(v, -1)) if torch else None
    rows.append(
        (
            "softmax Jacobian τ=0.1",
            "jacobian",
            "ULP of 1/τ",
            *worst(fam["jacobian"], jac("softmax", tsm, 0.1)),
        )
    )
    rows.append(
        (
            "entmax15 Jacobian τ=0.1",
            "jacobian",
            "ULP of 1/τ",
            *worst(fam["jacobian"], jac("entmax15", None, 0.1)),
        )
    )

    def ce_loss(x, _):
        loss, _g = losses.cross_entropy(x, 0)
        exact, _e = ol.evaluate("ce", x.reshape(1, -1), [0])
        ours = float(oracle.ulp_error(loss, exact[0]))
        if torch is None:
            return ours, None
        tl = torch.nn.functional.cross_entropy(torch.from_numpy(x)[None], torch.tensor([0]))
        return ours, float(oracle.ulp_error(tl.detach().numpy(), exact[0]))

    rows.append(
        (
            "cross-entropy loss",
            "cross-entropy",
            "ULP of the value",
            *worst(fam["cross-entropy"], ce_loss),
        )
    )

    def ce_grad(x, _):
        tau, eps = 0.1, 1.0
        ours = peer = 0.0
        for t in range(x.size):
            _l, g = losses.cross_entropy(x, t, label_smoothing=eps, temperature=tau)
            _e, exact = ol.evaluate(
                "ce", x.reshape(1, -1), [t], label_smoothing=eps, temperature=tau
            )
            ours = max(ours, float((tau * scaled_ulp_error(g, exact[0])).max()))
            if torch is not None:
                xt = torch.tensor(x / tau, requires_grad=True)
                torch.nn.functional.cross_entropy(
                    xt[None], torch.tensor([t]), label_smoothing=eps
                ).backward()
                peer = max(
                    peer, float((tau * scaled_ulp_error(xt.grad.numpy() / tau, exact[0])).max())
                )
        return ours, (peer if torch is not None else None)

    rows.append(
        (
            "cross-entropy gradient, ε=1, τ=0.1",
            "cross-entropy",
            "ULP of 1/τ",
            *worst(fam["cross-entropy"], ce_grad),
        )
    )

    def smx(x, _):
        exact = oracle.evaluate("soft-max", x, dps=40)
        exact = exact[0] if isinstance(exact, list) else exact
        p = oracle.evaluate("softmax", x, dps=40)
        scale = sum(pi * abs(oracle.to_mpf(v)) for pi, v in zip(p, x, strict=True)) * 2.0**-52
        ours = float(abs(oracle.to_mpf(sm.soft_max(x)) - exact) / scale)
        if torch is None:
            return ours, None
        xt = torch.from_numpy(x)
        peer = float(abs(oracle.to_mpf((torch.softmax(xt, -1) * xt).sum().item()) - exact) / scale)
        return ours, peer

    rows.append(
        (
            "soft-max",
            "soft-max cancellation",
            "ULP of Σp|x|",
            *worst(fam["soft-max cancellation"], smx),
        )
    )
    return rows


def issue19_table(size: int) -> list[str]:
    lines = ["| function | family | measure | ours | torch |", "|---|---|---|---|---|"]
    for fn, fam, measure, ours, peer in _issue19_rows(size):
        cell = "—" if peer is None else f"{peer:.3g}"
        lines.append(f"| {fn} | {fam} | {measure} | {ours:.3g} | {cell} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short vectors, few samples")
    ap.add_argument("--issue19", action="store_true", help="only the issue-19 families table")
    args = ap.parse_args()
    if args.issue19:
        size = 8 if args.quick else 40
        print(f"issue 19 families (tests/adversarial.py issue19_families), float64, {size} each:\n")
        print("\n".join(issue19_table(size)))
        return
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
    print(f"\nissue 19 families (tests/adversarial.py), float64, {size // 10} each:\n")
    print("\n".join(issue19_table(size // 10)))


if __name__ == "__main__":
    main()
