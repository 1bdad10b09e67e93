"""Naive against ``x − max`` against accurate against the mpmath oracle, as result records.

The package's modules, one job each: :mod:`.subjects` (a record made
comparable), :mod:`.conditioning` (exact condition numbers), :mod:`.tracer`
and :mod:`.traces` (step-by-step runs), :mod:`.events` (what went wrong at a
step), :mod:`.explain` (float and exact runs of a trace), :mod:`.measure`
(one vector against the oracle), :mod:`.formatting` (numbers for people),
:mod:`.limits` (precision and cost), :mod:`.verdict` and :mod:`.summary` (prose).

:func:`compare_vector` runs every implementation a method has on one vector
of logits, in one float dtype, and measures each result against the oracle:

* ``naive``: the textbook formula (``exp(x)/Σ exp(x)``), the registry's ``naive`` twin;
* ``shifted``: the usual ``x − max`` formula, the registry's ``shifted`` twin;
* ``accurate``: the library function itself.

Methods without twins (sparsemax, entmax, ...) have the accurate column only.

Every result carries its error in ULPs of the dtype (``|computed − exact| /
ulp(exact)``, see :func:`softmax_cli.oracle.ulp_error`) and flags per entry:

``nan``
    a nan where the true value is a number;
``inf``, ``-inf``
    an infinity where the true value is a finite number inside the dtype's range;
``overflow``
    an intermediate overflowed and this entry is wrong because of it, or the true
    value itself lies beyond the dtype's largest finite number (then ``inf`` is right);
``underflow``
    a 0 where the true value is below the dtype's smallest positive number (then 0
    is the best float: the error is under one ULP), or an intermediate underflowed
    and this entry is wrong because of it;
``exact``
    the float equals the oracle value to all of its digits (``dps + GUARD_DPS``; a
    difference below that, such as ``1 − 5e−435``, is beyond any float anyway).

An entry is *wrong* when its error exceeds ``LOST_ULP`` times its condition
number (at least 1): more than the conditioning of the problem explains.

Condition numbers are componentwise relative ones, ``κ_i = Σ_j |∂f_i/∂x_j| |x_j| / |f_i|``,
the factor by which a relative change of the inputs is magnified in output ``i``.
With ``p = softmax(x/τ)``:

* softmax: ``κ_i = Σ_j |δ_ij − p_j| |x_j| / τ = (|x_i|(1 − p_i) + Σ_{j≠i} p_j |x_j|) / τ``
  (at least ``|x_i − Σ_j p_j x_j| / τ``);
* log-softmax: the same sum divided by ``|log p_i|``;
* logsumexp (``τ·LSE(x/τ)``): ``κ = Σ_j p_j |x_j| / |τ·LSE(x/τ)|``;
* cross-entropy ``L = LSE(x) − x_t``: ``κ = Σ_j |p_j − δ_jt| |x_j| / |L|``.

Rounding the inputs alone (half an ULP each) can cost about ``κ/2`` ULP in the
output, so a large error with a large ``κ`` (``lse([ln ½, ln ½]) ≈ 2.3e−17``,
``κ ≈ 3e16``) is the problem's, not the algorithm's.

The oracle values are shown to 17 significant digits, rounded correctly from the
oracle evaluated at ``dps`` and again at ``dps + GUARD_DPS`` digits: a digit is
printed only where both precisions agree on it.

Examples
--------
>>> cmp = compare_vector([1000.0, 2000.0, 3000.0, 4000.0, 5000.0])
>>> cmp.oracle_text[0]
'6.6385371046556735e-1738'
>>> cmp.result("naive").flags[0]
('nan', 'overflow')
>>> cmp.result("shifted").flags[0], float(cmp.result("shifted").ulp[0])
(('underflow',), 0.0)
>>> print(cmp.verdict[0])
naive: exp(1000) overflows float64 (largest finite exp argument ≈ 709.78); then inf/inf = nan.
"""

from __future__ import annotations

from typing import Any

from .explain import _explained as _explained
from .explain import _float_trace as _float_trace
from .explain import _same as _same
from .formatting import _agreed_digits as _agreed_digits
from .formatting import _g as _g
from .formatting import dtype_name, format_kappa, format_ulp, round_significant
from .limits import (
    GUARD_DPS,
    LOST_ULP,
    MAX_DPS,
    MAX_ENTRIES,
    MIN_DPS,
    WARN_ENTRIES,
    check_dps,
    check_size,
    estimated_seconds,
)
from .limits import (
    ORACLE_DIGITS as ORACLE_DIGITS,
)
from .measure import compare_vector
from .results import IMPLEMENTATIONS, LABELS, Comparison, Result
from .subjects import Subject, loss_names, subject
from .subjects import loss_subject as loss_subject
from .summary import RowSummary, summarize, summary_verdict
from .tracer import Step, Trace
from .tracer import Tracer as Tracer

__all__ = [
    "GUARD_DPS",
    "IMPLEMENTATIONS",
    "LABELS",
    "LOSS_NAMES",
    "LOST_ULP",
    "MAX_DPS",
    "MAX_ENTRIES",
    "MIN_DPS",
    "WARN_ENTRIES",
    "Comparison",
    "Result",
    "RowSummary",
    "Step",
    "Subject",
    "Trace",
    "check_dps",
    "check_size",
    "compare_vector",
    "dtype_name",
    "estimated_seconds",
    "format_kappa",
    "format_ulp",
    "round_significant",
    "subject",
    "summarize",
    "summary_verdict",
]


def __getattr__(name: str) -> Any:
    """``LOSS_NAMES``: every name ``compare`` knows a loss by, read from the registry now."""
    if name == "LOSS_NAMES":
        return loss_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
