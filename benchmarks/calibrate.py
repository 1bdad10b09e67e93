"""Calibrate 10^6 rows × 10 classes against reading them (issue 17: ≤ 2× the read time).

Run by hand: ``python benchmarks/calibrate.py [ROWS]``. Writes a CSV of logits with a
label column to a temporary file, then alternates, three times each, in one process:

* read: the command's read path (:func:`softmax_cli.cli.labels.read_labelled`);
* calibrate: that read, the fit and both measure passes (what ``softmax calibrate``
  does before it prints).

Prints the best wall time of each, and the best CPU time (all threads: on a loaded
machine it shows the work done where the wall time shows the waiting too), and
their ratios.
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

    def clocks() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def keep(name: str, t0: tuple[float, float], t1: tuple[float, float]) -> None:
        wall[name] = min(wall[name], t1[0] - t0[0])
        cpu[name] = min(cpu[name], t1[1] - t0[1])

    def calibrate():
        d = read()
        t0 = clocks()
        tau = fit_temperature(d.values, d.labels).temperature
        t1 = clocks()
        measure_states(d.values, d.labels, get("softmax"), {}, tau, 15)
        keep("fit", t0, t1)
        keep("measures", t1, clocks())

    names = ("read", "calibrate", "fit", "measures")
    wall = dict.fromkeys(names, np.inf)
    cpu = dict.fromkeys(names, np.inf)
    try:
        for _ in range(repeats):
            for name, f in (("read", read), ("calibrate", calibrate)):
                t0 = clocks()
                f()
                keep(name, t0, clocks())
    finally:
        os.unlink(path)
    print(f"{rows} rows × {classes} classes, best of {repeats}, alternated")
    print("               wall      cpu")
    notes = {
        "read": "",
        "calibrate": "(read + fit + measures)",
        "fit": "(best of its own)",
        "measures": "(before and after, best of their own)",
    }
    for name in names:
        print(f"{name:10s} {wall[name]:8.3f} s {cpu[name]:8.3f} s  {notes[name]}")
    print(
        f"ratio      {wall['calibrate'] / wall['read']:8.2f}   "
        f"{cpu['calibrate'] / cpu['read']:8.2f}    (issue 17 asks ≤ 2)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
