"""The adversarial accuracy corpus (issue 19): the input families the stated bounds are held to.

Each family is a list of ``(x, temperature)`` cases, float64, seeded, small
enough to run through the 60-digit oracle in seconds; ``benchmarks/accuracy.py``
measures ours and the peers on it and the README's accuracy table is its output.

* ``short N(0,1)``: n = 2–12 unit-normal vectors, where one term's exp error
  and every rounding of the sum show (issue 19, reproducer 1);
* ``ties + near``: a tied maximum and entries just below a round value
  (``[0, 0, −2.00001, …]``: reproducer 2's shape);
* ``many ties``: one entry above k ≥ 20 equal ones (reproducer 3);
* ``spread``: a few entries 3–20 below the max (reproducer 2);
* ``huge τ``: entries near ±float max at τ ≥ 1e300 (reproducer 5);
* ``subnormal τ``: subnormal logits at a subnormal τ (reproducer 6);
* ``N(0,30²)``: the ordinary spread-out case.
"""

from __future__ import annotations

import numpy as np

Case = tuple[np.ndarray, float]


def families(seed: int = 20261203, size: int = 60) -> dict[str, list[Case]]:
    """``{family: [(x, τ), ...]}``, ``size`` cases per family, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[Case]] = {name: [] for name in FAMILIES}
    for _ in range(size):
        n = int(rng.integers(2, 13))
        out["short N(0,1)"].append((rng.normal(0, 1, n), 1.0))
        k = int(rng.integers(1, 4))
        near = -np.round(rng.uniform(0.5, 4), 1) - rng.choice([1e-5, -1e-5, 1e-9])
        out["ties + near"].append((np.r_[np.zeros(k), np.full(int(rng.integers(1, 6)), near)], 1.0))
        ties = int(rng.integers(20, 200))
        out["many ties"].append((np.r_[rng.uniform(0, 3), np.zeros(ties)], 1.0))
        out["spread"].append((np.r_[0.0, -rng.uniform(3, 20, int(rng.integers(1, 5)))], 1.0))
        big = 1.79e308 * rng.uniform(0.5, 1, 2) * np.array([1, -1])
        out["huge τ"].append((np.r_[big, rng.normal(0, 1e307, 2)], 10.0 ** rng.uniform(300, 308)))
        sub = -rng.uniform(0, 5, int(rng.integers(2, 6))) * 1e-310
        out["subnormal τ"].append((np.r_[0.0, sub], float(rng.uniform(0.2, 2) * 1e-310)))
        out["N(0,30²)"].append((rng.normal(0, 30, int(rng.integers(2, 40))), 1.0))
    return out


FAMILIES = (
    "short N(0,1)",
    "ties + near",
    "many ties",
    "spread",
    "huge τ",
    "subnormal τ",
    "N(0,30²)",
)


def issue19_families(
    seed: int = 20261204, size: int = 6
) -> dict[str, list[tuple[np.ndarray, dict]]]:
    """Issue 19 items 7–11: ``{family: [(x, params), ...]}``, float64, ``size`` cases each.

    * ``entmax15 ties``: one logit 0.1–2.5 above 10²–10⁵ tied ones (item 7);
    * ``entmax edge α``: an entry just inside the edge of the support, ``x = [0,
      −(1 − 10^−u)/(α−1)]``, α from 2.5 to 20 (item 7: ``z − λ`` far below eps²);
    * ``entmax N(0,1) α``: short N(0, 0.3²) vectors, α from 1.0001 to 20;
    * ``taylor high order``: entries near the polynomial's negative minimum
      (``≈ −0.28k``) beside ordinary ones, orders 80–1000 (item 8);
    * ``jacobian``: short N(0, 1) vectors (item 9);
    * ``cross-entropy``: short N(0, 1) vectors (item 10);
    * ``soft-max cancellation``: vectors shifted so ``pᵀx ≈ 0`` (item 11).
    """
    rng = np.random.default_rng(seed)
    out: dict[str, list[tuple[np.ndarray, dict]]] = {name: [] for name in ISSUE19_FAMILIES}
    alphas = [2.5, 3.0, 5.0, 10.0, 20.0]
    for i in range(size):
        ties = np.zeros(int(10 ** rng.uniform(2, 5)))
        out["entmax15 ties"].append((np.r_[ties, rng.uniform(0.1, 2.5)], {}))
        a = alphas[i % len(alphas)]
        gap = (1 - 10.0 ** -rng.uniform(1, 13)) / (a - 1)
        out["entmax edge α"].append(
            (np.r_[0.0, -gap, -rng.uniform(0, 1.2 / (a - 1))], {"alpha": a})
        )
        a2 = [1.0001, 1.3, 1.7, 2.5, 5.0, 20.0][i % 6]
        out["entmax N(0,1) α"].append((rng.normal(0, 0.3, int(rng.integers(2, 6))), {"alpha": a2}))
        k = int(rng.choice([80, 120, 200, 400, 1000]))
        c = -0.28 * k * rng.uniform(0.3, 1.5)
        x = np.r_[c + rng.normal(0, 1, int(rng.integers(1, 4))), rng.normal(0, 2)]
        out["taylor high order"].append((x, {"order": k}))
        out["jacobian"].append((rng.normal(0, 1, int(rng.integers(2, 8))), {}))
        out["cross-entropy"].append((rng.normal(0, 1, int(rng.integers(2, 8))), {}))
        v = rng.normal(0, 0.05, int(rng.integers(2, 6)))
        w = np.exp(v - v.max())
        out["soft-max cancellation"].append((v - float(np.dot(w / w.sum(), v)), {}))
    return out


ISSUE19_FAMILIES = (
    "entmax15 ties",
    "entmax edge α",
    "entmax N(0,1) α",
    "taylor high order",
    "jacobian",
    "cross-entropy",
    "soft-max cancellation",
)
