"""The optional compiled accelerator of the row kernel (``softmax_cli/_rowkernel.c``).

:func:`softmax_cli._expkernel.run` asks :func:`job` first; a job runs the C
kernel over ranges of rows (it lets go of the GIL, so the kernel's thread pool
runs it on several cores) and :meth:`Job.finish` hands the rows the C kernel
left back to the numpy path, which stays the reference. The C kernel computes
the numpy path's formulas (TwoSum shift, TwoProduct division by τ, the max
term apart, ``log1p`` of the rest) with its own vectorised exp (at most 0.51
ULP, see the C file and ``tests/test_rowkernel.py``), fused into one pass over
each row after its maximum.

What goes to the numpy path, explicitly:

* inputs that are not float32 or float64 (integers, float16, bfloat16, float8,
  longdouble, a non-native byte order), weights ``b``, a temperature outside
  ``[2⁻⁵⁰⁰, 2⁵⁰⁰]``, vectors shorter than :data:`ROW_MIN`, and everything when
  ``SOFTMAX_LAB_ACCEL=0`` or when the module was not built;
* row by row, after the C kernel: rows holding ``nan``, rows whose maximum is
  infinite, rows where ``x − max`` overflows at τ > 1, and log-softmax or
  logsumexp rows whose rest is subnormal (the numpy path rescales those).

Masks (``where=``), axis tuples, ``keepdims`` and ``out=`` are handled before
the kernel is reached; a vector axis other than the last is copied to rows
first.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable

import numpy as np

#: the vector length from which the compiled kernel is used. It is faster per call at
#: every size (0.4× the numpy path's time from 4 entries on: ``python benchmarks/run.py
#: --accel-threshold``), but loading it costs about 0.4 ms once, which a call on a vector of
#: three logits (``softmax compute 1 2 3``) never earns back. The rule is the vector's
#: length, not the call's size, so a row gets the same bits in whatever batch it comes:
#: the CSV reader's blocks and the compiled engine's cut a file differently.
ROW_MIN = 8
#: rows at least this long are cut into spans of whole segments of :data:`SEG` entries,
#: run by threads (:meth:`Job.long_row`), row after row; the segments, not the threads,
#: fix the result
LONG = 1 << 17
SEG = 1 << 15
#: the environment variable: ``0`` turns the accelerator off, ``all`` uses it for any size
ENV = "SOFTMAX_LAB_ACCEL"
_MODES = {"softmax": 0, "log_softmax": 1, "lse": 2}
_TAU_RANGE = (2.0**-500, 2.0**500)
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def setting() -> str:
    """``"off"``, ``"all"`` or ``"auto"``, from :data:`ENV` (read at every call)."""
    text = os.environ.get(ENV, "").strip().lower()
    if text in {"0", "off", "no", "false"}:
        return "off"
    return "all" if text == "all" else "auto"


def compiled(name: str):
    """The package's compiled module ``name`` (``_rowkernel``, ``_csvparse``,
    ``_floattext``: optional ext-modules built at install), or ``None`` where it was not
    built. Imported on first use only, so start-up never loads one; the import is cached.
    """
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:
        return None


def kernel():
    """The compiled row kernel, or ``None`` where it was not built."""
    return compiled("_rowkernel")


class Job:
    """One call's work for the C kernel: :meth:`rows` per range of rows, then :meth:`finish`."""

    def __init__(self, mod, a: np.ndarray, tau: float, mode: str, out: np.ndarray) -> None:
        self.mod, self.a, self.tau, self.mode, self.out = mod, a, tau, mode, out
        self.status = np.zeros(a.shape[0], dtype=np.uint8)

    def rows(self, lo: int, hi: int) -> None:
        """Rows ``[lo, hi)``; the C kernel lets go of the GIL."""
        f32in = self.a.dtype == np.float32
        f32out = self.out.dtype == np.float32
        n = self.a.shape[1]
        code = _MODES[self.mode]
        self.mod.rows(code, self.a, f32in, self.out, f32out, lo, hi, n, self.tau, self.status)

    def long_row(self, r: int, spread: Callable[[Callable, int], list]) -> None:
        """Row ``r`` in spans: ``spread(fn, n)`` runs ``fn(lo, hi)`` over ranges of ``[0, n)``
        whose starts are multiples of :data:`SEG` (in threads) and returns the results.

        Segment sums are added by ``math.fsum`` (correctly rounded, so in any order):
        the result is the same however many threads run the spans.
        """
        x, n = self.a[r], self.a.shape[1]
        f32in, f32out = self.a.dtype == np.float32, self.out.dtype == np.float32
        code, tau = _MODES[self.mode], self.tau
        out = self.out[r] if self.mode != "lse" else np.empty(1)

        def phase(p: int, m: float = 0.0, rest: float = 0.0):
            return spread(
                lambda lo, hi: self.mod.span(
                    p, code, x, f32in, out, f32out, lo, hi, SEG, m, tau, rest
                ),
                n,
            )

        maxima = phase(0)
        m = max(v for v, _ in maxima)
        if any(nan for _, nan in maxima) or not math.isfinite(m):
            self.status[r] = 1
            return
        sums = phase(1, m)
        ties, ovf = sum(t for _, t, _ in sums), sum(o for _, _, o in sums)
        rest = math.fsum([ties - 1.0, *(v for part, _, _ in sums for v in part)])
        if (ovf and tau > 1) or (self.mode != "softmax" and 0 < rest < np.finfo(np.float64).tiny):
            self.status[r] = 1
        elif self.mode == "lse":
            ld = np.longdouble
            self.out[r] = float(ld(m) + ld(tau) * np.log1p(ld(rest)))
        else:
            phase(2, m, rest)

    def finish(self, numpy_run: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The result, with the rows the C kernel left computed by ``numpy_run``."""
        left = np.flatnonzero(self.status)
        if left.size:
            self.out[left] = numpy_run(self.a[left])
        return self.out


def job(
    a: np.ndarray,
    tau: float,
    mode: str,
    out_dtype: np.dtype,
    wd: np.dtype,
    w: np.ndarray | None,
    dest: np.ndarray | None,
) -> Job | None:
    """A :class:`Job` for the C kernel, or ``None``: the numpy path does it all.

    ``a`` is 2-D (one vector per row); ``dest`` as in :func:`softmax_cli._expkernel.run`.
    """
    how = setting()
    if how == "off" or w is not None or a.dtype not in _FLOATS or wd != np.float64:
        return None
    if out_dtype != a.dtype or a.size == 0 or not _TAU_RANGE[0] <= tau <= _TAU_RANGE[1]:
        return None
    if how == "auto" and a.shape[1] < ROW_MIN:
        return None
    if dest is not None and not (dest.flags.c_contiguous and dest.dtype == out_dtype):
        return None
    mod = kernel()
    if mod is None:
        return None
    if mode == "lse":
        out = np.empty(a.shape[0], dtype=wd)
    elif dest is not None:
        out = dest
    else:
        out = np.empty(a.shape, dtype=out_dtype)
    return Job(mod, np.ascontiguousarray(a), float(tau), mode, out)
