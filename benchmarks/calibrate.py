"""Calibrate 10^6 rows × 10 classes against reading them (issue 17: ≤ 2× the read time).

Run by hand: ``python benchmarks/calibrate.py [ROWS]``. Writes a CSV of logits with a
label column to a temporary file, then alternates, three times each, in one process:

* read: the command's read path (:func:`softmax_cli.cli.labels.read_labelled`);
* calibrate: that read, the fit and both measure passes (what ``softmax calibrate``
  does before it prints).

Prints the best time of each and their ratio.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

from softmax_cli.analysis.calibration import measure_states
from softmax_cli.calibrate import fit_temperature
from softmax_cli.cli.labels import read_labelled
from softmax_cli.registry import get


def main(rows: int = 1_000_000, classes: int = 10, repeats: int = 3) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, classes)) * 2.0
    t = np.argmax(x + rng.gumbel(size=x.shape), axis=1)
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w") as fh:
        fh.write(",".join([*(f"c{j}" for j in range(classes)), "label"]) + "\n")
        np.savetxt(fh, np.column_stack([3 * x, t]), delimiter=",", fmt="%.17g")

    def read():
        return read_labelled(
            None, path, header=None, id_column=None, label_column="label", dtype=np.float64
        )

    parts = {"fit": np.inf, "measures": np.inf}

    def calibrate():
        d = read()
        t0 = time.perf_counter()
        tau = fit_temperature(d.values, d.labels).temperature
        t1 = time.perf_counter()
        measure_states(d.values, d.labels, get("softmax"), {}, tau, 15)
        t2 = time.perf_counter()
        parts["fit"] = min(parts["fit"], t1 - t0)
        parts["measures"] = min(parts["measures"], t2 - t1)

    best = {"read": np.inf, "calibrate": np.inf}
    try:
        for _ in range(repeats):
            for name, f in (("read", read), ("calibrate", calibrate)):
                t0 = time.perf_counter()
                f()
                best[name] = min(best[name], time.perf_counter() - t0)
    finally:
        os.unlink(path)
    print(f"{rows} rows × {classes} classes, best of {repeats}, alternated")
    print(f"read       {best['read']:8.3f} s")
    print(f"calibrate  {best['calibrate']:8.3f} s  (read + fit + measures)")
    print(f"  fit      {parts['fit']:8.3f} s  (best of its own)")
    print(f"  measures {parts['measures']:8.3f} s  (before and after, best of their own)")
    print(f"ratio      {best['calibrate'] / best['read']:8.2f}  (issue 17 asks ≤ 2)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
