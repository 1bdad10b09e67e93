"""Calibration: temperature scaling and the measures of how calibrated probabilities are.

Everything is vectorised over rows (no Python loop over them). ``logits`` and
``probs`` are arrays whose ``axis`` holds the classes; ``labels`` are class
indices counting from 0, one per vector.

* :func:`fit_temperature` finds the τ minimising the mean loss of ``x/τ``
  (the NLL for softmax; the Fenchel–Young loss for sparsemax and entmax). In
  β = 1/τ the loss is convex, so its derivative is monotone and its root is
  found by a safeguarded Newton step (softmax: the exact second derivative,
  ``Var_p(x)``; the others: a secant) kept inside a shrinking bracket: no
  learning rate, the same answer on every run, to the working dtype's precision.
* :func:`nll` (from logits: ``LSE(x/τ) − x_t/τ``, exact where ``−log p_t`` of a
  rounded ``p`` is not), :func:`brier`, :func:`accuracy`, and the binned
  :func:`ece`, :func:`mce`, :func:`reliability` (from probabilities).

Bins (``bins=B``) are on the confidence ``c = max p``:

* ``strategy="width"``: edges ``numpy.arange(B + 1) / B`` (each the float nearest
  ``b/B``); bin ``b`` holds
  ``edges[b] ≤ c < edges[b+1]``: a confidence equal to an edge falls in the bin
  *above* it, except ``c = 1``, which is in the last bin (as scikit-learn's
  ``calibration_curve``).
* ``strategy="mass"``: the inner edges are the sorted confidences at ranks
  ``⌊b·N/B⌋`` (b = 1 … B−1), with the same rule: a confidence equal to an edge
  falls in the bin above it. Distinct confidences give bins of ``⌊N/B⌋`` or
  ``⌈N/B⌉`` rows; equal confidences are never split between bins (so with ties
  a bin may hold more, and another none).

Empty bins add nothing to ECE and are left out of MCE. The top class is
``argmax`` (the first of tied maxima), as :func:`numpy.argmax`.

Examples
--------
>>> import numpy as np
>>> from softmax_cli import calibrate
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(2000, 5)) * 3
>>> t = np.argmax(x + rng.gumbel(size=x.shape), axis=1)  # labels drawn from softmax(x)
>>> fit = calibrate.fit_temperature(2.5 * x, t)   # logits over-confident by 2.5
>>> round(fit.temperature, 1)
2.5
>>> p = calibrate.softmax_rows(x)
>>> float(calibrate.ece(p, t)) < 0.05, round(float(calibrate.accuracy(p, t)), 2)
(True, 0.76)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import registry
from ._arrays import check_temperature, normalize_axis, working_dtype
from ._calibrate_fit import LossOfBeta, SoftmaxNLL, pick, row_max, solve
from .errors import SoftmaxInputError
from .floats import is_float_dtype
from .losses import check_targets

__all__ = [
    "STRATEGIES",
    "Reliability",
    "TemperatureFit",
    "accuracy",
    "bin_edges",
    "binned",
    "binned_strategies",
    "brier",
    "ece",
    "fit_methods",
    "fit_temperature",
    "mce",
    "nll",
    "reliability",
    "softmax_rows",
]

#: Bin strategies of :func:`ece`, :func:`mce` and :func:`reliability`.
STRATEGIES = ("width", "mass")

#: rows of the strided subset whose fitted β starts the full fit (of 4× as many rows or more)
_WARM_ROWS = 1 << 15


def fit_methods() -> list[str]:
    """The mappings :func:`fit_temperature` can fit (those with a convex loss).

    Examples
    --------
    >>> fit_methods()
    ['softmax', 'sparsemax', 'entmax15', 'entmax']
    """
    return [name for name in registry.names() if registry.get(name).fit_loss is not None]


@dataclass(frozen=True)
class TemperatureFit:
    """What :func:`fit_temperature` found.

    Attributes
    ----------
    temperature : float
        The fitted τ (``1/beta``), as a Python float.
    beta : float
        The fitted inverse temperature β = 1/τ.
    loss : float
        The mean loss at the fitted τ (the NLL for softmax).
    loss_before : float
        The mean loss at τ = 1.
    iterations : int
        Evaluations of the loss's derivative it took.
    method : str
        The mapping fitted (``softmax``, ``sparsemax``, ``entmax``).
    """

    temperature: float
    beta: float
    loss: float
    loss_before: float
    iterations: int
    method: str


def _rows(x: ArrayLike, labels: Any, axis: int) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """``x`` as 2-D (vectors, classes) in its working dtype, labels flat, the input dtype."""
    a = np.asarray(x)
    if not is_float_dtype(a.dtype) and (a.dtype.kind not in "iu" or a.dtype == bool):
        raise SoftmaxInputError(f"{{param}} must be an array of numbers, got {a.dtype}", param="x")
    if not is_float_dtype(a.dtype):
        a = a.astype(np.float64)
    if a.ndim == 0:
        raise SoftmaxInputError("cannot calibrate a 0-d (scalar) input: give vectors of logits")
    ax = normalize_axis(axis, a.ndim)
    moved = np.moveaxis(a, ax, -1)
    n = moved.shape[-1]
    if n == 0 or moved.size == 0:
        raise SoftmaxInputError("cannot calibrate empty vectors: give at least one row")
    t = check_targets(labels, moved.shape[:-1], n).reshape(-1)
    work = np.ascontiguousarray(moved.reshape(-1, n), dtype=working_dtype(a.dtype))
    return work, t, a.dtype


def softmax_rows(x: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """Softmax over the last axis of ``x/τ`` (a small helper for the examples and tests).

    Examples
    --------
    >>> softmax_rows([[0.0, 0.0]]).tolist()
    [[0.5, 0.5]]
    """
    z = np.asarray(x, dtype=np.float64) / check_temperature(temperature)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------- fitting


def _check_attainable(x: np.ndarray, t: np.ndarray, m: np.ndarray, finite: bool) -> None:
    """Raise unless the loss has its minimum at a finite β > 0.

    The derivative at β → 0⁺ is ``mean(mean_i z_i − z_t)`` (p uniform) and at
    β → ∞ ``mean(mean over the tied maxima − z_t)`` (p uniform on them): the
    minimum is inside (0, ∞) exactly when the first is < 0 and the second > 0.
    """
    xt = pick(x, t)
    if not np.isfinite(xt).all():
        r = int(np.flatnonzero(~np.isfinite(xt))[0])
        raise SoftmaxInputError(
            f"vector {r + 1}: its label's logit is {x[r, t[r]]}, so the loss is infinite at "
            "every temperature; drop the vector or fix its label"
        )
    if finite:  # the mean of the rows' means: every row has as many entries
        slope0 = float(np.sum(x) / x.size - np.mean(xt))
    else:
        ok = np.isfinite(x)
        mean_all = np.where(ok, x, 0.0).sum(axis=1) / ok.sum(axis=1)
        slope0 = float(np.mean(mean_all - xt))
    if slope0 >= 0:
        raise SoftmaxInputError(
            "the labels' logits are on average no higher than their vectors' means: the loss "
            "falls as the temperature grows without bound (the scores do not predict the "
            "labels), so no temperature minimises it; check the label column"
        )
    slope_inf = float(np.mean(m - xt))  # ≥ 0; 0 iff every label is a maximum
    if slope_inf <= 0:
        raise SoftmaxInputError(
            "every vector's label has its largest logit: the loss keeps falling as the "
            "temperature goes to 0, so no temperature minimises it (a calibration set needs "
            "some mistakes)"
        )


def fit_temperature(
    logits: ArrayLike,
    labels: Any,
    axis: int = -1,
    *,
    method: str = "softmax",
    **params: Any,
) -> TemperatureFit:
    """The temperature τ minimising the mean loss of ``logits/τ`` against ``labels``.

    For softmax the loss is the NLL, ``mean(LSE(x/τ) − x_t/τ)``; for sparsemax
    and entmax (``alpha=``) their Fenchel–Young loss from the registry. Each is
    convex in β = 1/τ, so the root of its derivative is the minimum. It is found
    by Newton steps on β (softmax: the exact second derivative ``mean Var_p(x)``;
    the others: secant steps), each kept inside a bracket ``[lo, hi]`` where the
    derivative changes sign (else a bisection, or a doubling while no upper end
    is known). It stops when the bracket is a few ULP wide, a step moves β by
    less than an ULP, or the derivative is exactly 0: deterministic, and as
    precise as the working dtype (float64; longdouble for longdouble input).

    Parameters
    ----------
    logits : array_like
        Vectors of logits along ``axis``; any number of leading dimensions.
    labels : array_like of int
        The class of each vector, counting from 0 (whole-number floats accepted).
    axis : int
        The axis holding the classes.
    method : {"softmax", "sparsemax", "entmax15", "entmax"}
        The mapping whose loss is minimised (:func:`fit_methods`).
    **params
        The loss's parameters (``alpha`` for entmax).

    Returns
    -------
    TemperatureFit
        ``.temperature`` and the loss before and after.

    Raises
    ------
    SoftmaxInputError
        Bad shapes, labels or method; NaN or +inf logits; or no finite τ > 0
        minimises the loss (every label already the top class: τ → 0; labels no
        better than the average class: τ → ∞).

    Examples
    --------
    >>> fit = fit_temperature([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]], [0, 1, 1])
    >>> round(fit.temperature, 6), round(fit.loss, 6)  # accuracy 2/3 at any τ
    (2.885390, 0.636514)
    >>> import math; round(2 / math.log(2), 6)  # p = 2/3 exactly: τ = 2/ln 2
    2.88539
    """
    name = str(method).lower()
    fit = registry.get(name).fit_loss if name in registry.names() else None
    if fit is None:
        raise SoftmaxInputError(
            f"{{param}} {method!r} cannot be fitted; choose one of {', '.join(fit_methods())}",
            param="method",
        )
    loss_name, fixed = fit
    ce = loss_name == "ce"  # cross-entropy: its exact NLL (-inf classes allowed), Newton steps
    x, t, _ = _rows(logits, labels, axis)
    finite = bool(np.isfinite(x).all())  # the usual case: the checks below need not look
    if not finite and (np.isnan(x).any() or np.isposinf(x).any()):
        bad = "nan" if np.isnan(x).any() else "inf"
        r = int(np.flatnonzero(np.isnan(x).any(1) | np.isposinf(x).any(1))[0])
        raise SoftmaxInputError(
            f"vector {r + 1} holds {bad}: temperature scaling needs finite logits (-inf, a "
            "masked class, is allowed for softmax)"
        )
    m = row_max(x)
    if np.isneginf(m).any():
        r = int(np.flatnonzero(np.isneginf(m))[0])
        raise SoftmaxInputError(f"vector {r + 1} is all -inf: it is no distribution")
    if not ce and not finite:
        raise SoftmaxInputError(f"{name} needs finite logits to fit a temperature, not -inf")
    _check_attainable(x, t, m, finite)
    eps = np.finfo(x.dtype).eps
    if ce:
        f: Any = SoftmaxNLL(x, t, m, finite)
        start = 1.0
        if x.shape[0] >= 4 * _WARM_ROWS:  # start Newton near the root: fit a strided subset
            k = x.shape[0] // _WARM_ROWS
            sub = SoftmaxNLL(x[::k], t[::k], m[::k], finite)
            start = solve(sub, 1e-6, newton=True)[0]
    else:
        loss = registry.get_loss(loss_name)
        checked = loss.validate({**params, **fixed})
        f = LossOfBeta(x, t, loss, {**checked, "temperature": 1.0})
        start = 1.0
    beta, value, iterations = solve(f, eps, newton=ce, start=start)
    before = f.value(1.0)
    return TemperatureFit(
        temperature=float(1 / beta),
        beta=float(beta),
        loss=value,
        loss_before=before,
        iterations=iterations,
        method=name,
    )


# ---------------------------------------------------------------------------- measures


def nll(logits: ArrayLike, labels: Any, axis: int = -1, *, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of softmax(x/τ): ``mean(LSE(x/τ) − x_t/τ)``, in nats.

    Computed from the logits by :func:`~softmax_cli.exp_family.log_softmax`, so a
    label with a probability far below the smallest float still counts in full
    (``−log p_t`` of a rounded ``p_t = 0`` would be ``inf``).

    Examples
    --------
    >>> nll([[0.0, 0.0], [1000.0, 0.0]], [0, 1])   # (log 2 + 1000) / 2
    500.3465735902799
    """
    x, t, _ = _rows(logits, labels, axis)
    tau = check_temperature(temperature)
    from .exp_family import log_softmax

    lp = log_softmax(x, temperature=tau)
    return float(-np.mean(lp[np.arange(x.shape[0]), t]))


def _probs(probs: ArrayLike, labels: Any, axis: int) -> tuple[np.ndarray, np.ndarray]:
    p, t, _ = _rows(probs, labels, axis)
    if np.isnan(p).any():
        r = int(np.flatnonzero(np.isnan(p).any(axis=1))[0])
        raise SoftmaxInputError(f"probability vector {r + 1} holds nan")
    return p, t


def accuracy(scores: ArrayLike, labels: Any, axis: int = -1) -> float:
    """The share of vectors whose top class (``argmax``, the first of ties) is the label.

    ``scores`` may be logits or probabilities (the top class is the same).

    Examples
    --------
    >>> accuracy([[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]], [1, 1, 0])
    0.6666666666666666
    """
    s, t = _probs(scores, labels, axis)
    return float(np.mean(s.argmax(axis=1) == t))


def brier(probs: ArrayLike, labels: Any, axis: int = -1) -> float:
    """The multi-class Brier score ``mean Σ_i (p_i − [i = t])²`` (0 … 2).

    Examples
    --------
    >>> brier([[0.25, 0.75], [1.0, 0.0]], [1, 1])   # (2·0.0625 + 2·1) / 2
    1.0625
    """
    p, t = _probs(probs, labels, axis)
    rows = np.arange(p.shape[0])
    pt = p[rows, t]
    per_row = np.einsum("ij,ij->i", p, p) - pt * pt + (1 - pt) ** 2
    return float(np.mean(per_row))


def _check_bins(bins: Any, strategy: str) -> int:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise SoftmaxInputError(f"{{param}} must be a whole number ≥ 1, got {bins!r}", param="bins")
    if strategy not in STRATEGIES:
        raise SoftmaxInputError(
            f"{{param}} must be one of {', '.join(STRATEGIES)}, got {strategy!r}", param="strategy"
        )
    return int(bins)


def bin_edges(
    confidence: ArrayLike, bins: int = 15, strategy: str = "width", *, presorted: bool = False
) -> np.ndarray:
    """The ``bins + 1`` edges of the confidence bins (the first 0, the last 1).

    See the module's docstring for the rule at an edge: a value equal to an inner
    edge belongs to the bin above it. ``presorted=True`` says ``confidence`` is
    sorted already (1-D, ascending).

    Examples
    --------
    >>> bin_edges([0.9, 0.6, 0.7, 0.8], 2, "mass").tolist()
    [0.0, 0.8, 1.0]
    >>> bin_edges([], 4).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    b = _check_bins(bins, strategy)
    if strategy == "width":
        return np.arange(b + 1) / b
    c = np.asarray(confidence, dtype=np.float64).reshape(-1)
    c = c if presorted else np.sort(c)
    inner = c[(np.arange(1, b) * c.size) // b] if c.size else np.zeros(b - 1)
    return np.concatenate(([0.0], inner, [1.0]))


@dataclass(frozen=True)
class Reliability:
    """A reliability table: per confidence bin, its rows, mean confidence and accuracy.

    Attributes
    ----------
    lower, upper : numpy.ndarray
        The bin edges (``bins`` each): a bin holds ``lower ≤ c < upper`` (the
        last also ``c = upper``).
    count : numpy.ndarray
        Rows per bin (int64).
    confidence, accuracy : numpy.ndarray
        Mean ``max p`` and share of top-1 correct rows in each bin; nan where empty.
    total : int
        All rows.
    """

    lower: np.ndarray
    upper: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    total: int

    @property
    def gap(self) -> np.ndarray:
        """``accuracy − confidence`` per bin (< 0: over-confident); nan where empty."""
        return self.accuracy - self.confidence

    @property
    def ece(self) -> float:
        """Σ_b (n_b/N)·|acc_b − conf_b| over the non-empty bins."""
        full = self.count > 0
        return float(np.sum(self.count[full] * np.abs(self.gap[full])) / self.total)

    @property
    def mce(self) -> float:
        """max_b |acc_b − conf_b| over the non-empty bins."""
        return float(np.max(np.abs(self.gap[self.count > 0])))


def reliability(
    probs: ArrayLike, labels: Any, axis: int = -1, *, bins: int = 15, strategy: str = "width"
) -> Reliability:
    """The reliability table of probabilities against labels, binned on ``c = max p``.

    Examples
    --------
    >>> r = reliability([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], [0, 1, 1], bins=2)
    >>> r.count.tolist(), r.confidence.round(3).tolist(), r.accuracy.tolist()
    ([0, 3], [nan, 0.8], [nan, 0.6666666666666666])
    """
    b = _check_bins(bins, strategy)
    p, t = _probs(probs, labels, axis)
    top = p.argmax(axis=1)
    return binned(p[np.arange(p.shape[0]), top], top == t, bins=b, strategy=strategy)


def binned(
    confidence: np.ndarray, correct: np.ndarray, *, bins: int = 15, strategy: str = "width"
) -> Reliability:
    """The reliability table of confidences and top-1 hits already known (1-D, one per row).

    What :func:`reliability` computes after taking ``max p`` and ``argmax p == t``;
    callers that need those for other measures too pass them here instead
    (:func:`binned_strategies` gives the tables of several strategies from one sort).

    Examples
    --------
    >>> binned(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), bins=2).count.tolist()
    [0, 3]
    """
    return binned_strategies(confidence, correct, bins=bins, strategies=(strategy,))[0]


def binned_strategies(
    confidence: np.ndarray,
    correct: np.ndarray,
    *,
    bins: int = 15,
    strategies: tuple[str, ...] = STRATEGIES,
) -> list[Reliability]:
    """:func:`binned` for each of ``strategies``, from one sort of the confidences.

    A bin is a run of the sorted confidences, found by a binary search for each
    edge (a value equal to an edge starts the bin above it); its confidences are
    summed in one piece (:func:`numpy.add.reduceat`), its hits counted by the same
    search among the sorted confidences of the correct rows. No pass over the rows
    per bin, and none per row in Python.

    Examples
    --------
    >>> c, hit = np.array([0.9, 0.8, 0.7, 0.6]), np.array([True, False, True, True])
    >>> [r.count.tolist() for r in binned_strategies(c, hit, bins=2)]
    [[0, 4], [2, 2]]
    """
    checked = [_check_bins(bins, strategy) for strategy in strategies]
    conf = np.asarray(confidence).reshape(-1)
    hit = np.asarray(correct, dtype=bool).reshape(-1)
    ranked = np.sort(conf.astype(np.float64, copy=False))
    ranked_hits = np.sort(conf[hit].astype(np.float64, copy=False))  # the correct rows' ones
    out = []
    for b, strategy in zip(checked, strategies, strict=True):
        edges = bin_edges(ranked, b, strategy, presorted=True)
        inner = edges[1:-1]
        starts = np.concatenate(([0], np.searchsorted(ranked, inner, side="left"), [conf.size]))
        count = np.diff(starts)
        hit_starts = np.searchsorted(ranked_hits, inner, side="left")
        hits = np.diff(np.concatenate(([0], hit_starts, [ranked_hits.size])))
        sum_conf = np.zeros(b)
        full = count > 0
        if full.any():
            sum_conf[full] = np.add.reduceat(ranked, starts[:-1][full])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_conf = np.where(full, sum_conf / count, np.nan)
            mean_hit = np.where(full, hits / count, np.nan)
        out.append(Reliability(edges[:-1], edges[1:], count, mean_conf, mean_hit, int(conf.size)))
    return out


def ece(
    probs: ArrayLike, labels: Any, axis: int = -1, *, bins: int = 15, strategy: str = "width"
) -> float:
    """Expected calibration error ``Σ_b (n_b/N)·|acc_b − conf_b|`` on ``c = max p``.

    Examples
    --------
    >>> p = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]
    >>> round(ece(p, [0, 1, 1, 0], bins=2), 6)   # one bin [0.5, 1]: |3/4 − 0.75|
    0.0
    >>> round(ece(p, [0, 1, 1, 0], bins=2, strategy="mass"), 6)  # gap 0.35 in both
    0.35
    """
    return reliability(probs, labels, axis, bins=bins, strategy=strategy).ece


def mce(
    probs: ArrayLike, labels: Any, axis: int = -1, *, bins: int = 15, strategy: str = "width"
) -> float:
    """Maximum calibration error ``max_b |acc_b − conf_b|`` over the non-empty bins.

    Examples
    --------
    >>> p = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]
    >>> round(mce(p, [0, 1, 1, 0], bins=2, strategy="mass"), 6)
    0.35
    """
    return reliability(probs, labels, axis, bins=bins, strategy=strategy).mce
