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
