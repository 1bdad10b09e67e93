"""What ``softmax calibrate`` reports: the fit, and the measures before and after it.

Pure functions over arrays, returning records; the command reads, renders and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import calibrate, registry
from .._arrays import working_dtype
from .._calibrate_fit import SoftmaxNLL, pick
from ..floats import is_float_dtype

#: The measures of one state (before: τ = 1; after: the fitted τ), in the order written.
MEASURES = ("temperature", "nll", "ece", "ece_mass", "mce", "brier", "accuracy")


@dataclass(frozen=True)
class State:
    """The measures of probabilities at one temperature, and their reliability table."""

    name: str
    values: dict[str, float]
    table: calibrate.Reliability


def measure(
    name: str,
    x: np.ndarray,
    t: np.ndarray,
    mapping: registry.Mapping,
    params: dict[str, Any],
    tau: float,
    bins: int,
    top: np.ndarray | None = None,
) -> State:
    """NLL, ECE (equal-width and equal-mass bins), MCE, Brier and accuracy at ``τ``.

    The NLL of softmax is computed from the logits (exact however small ``p_t``);
    of another mapping it is ``mean(−log p_t)``, infinite when a label gets p = 0.
    ``top``, the top class of each row (:func:`top_class`), may be given to share it
    between states: for a monotone mapping it is the logits' own and needs no p.

    Examples
    --------
    >>> x = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    >>> s = measure("before", x, np.array([0, 1, 1]), registry.get("softmax"), {}, 1.0, 10)
    >>> round(s.values["nll"], 6), s.values["accuracy"]
    (0.793595, 0.6666666666666666)
    """
    p = mapping.func(x, axis=-1, temperature=tau, **params)  # whole: the kernel's threads
    if not np.issubdtype(p.dtype, np.floating):  # ml_dtypes: exact in float64, which einsum takes
        p = p.astype(np.float64)
    rows = np.arange(p.shape[0])
    if top is None:
        top = p.argmax(axis=1)
    conf = p[rows, top]
    pt = p[rows, t]
    sumsq = np.einsum("ij,ij->i", p, p)
    correct = top == t
    if mapping.log_probs is not None:  # from the logits: exact however small p_t is
        lp = mapping.log_probs(x, axis=-1, temperature=tau, **params)
        nll = float(-np.mean(lp[rows, t]))
    else:
        with np.errstate(divide="ignore"):
            nll = float(-np.mean(np.log(pt)))
    brier = float(np.mean(sumsq - pt * pt + (1 - pt) ** 2))
    return _state(name, tau, nll, brier, conf, correct, bins)


def _state(
    name: str,
    tau: float,
    nll: float,
    brier: float,
    conf: np.ndarray,
    correct: np.ndarray,
    bins: int,
) -> State:
    """The State of these measures, with the binned ones from ``conf`` and ``correct``."""
    width, mass = calibrate.binned_strategies(conf, correct, bins=bins)
    values = {
        "temperature": float(tau),
        "nll": nll,
        "ece": width.ece,
        "ece_mass": mass.ece,
        "mce": width.mce,
        "brier": brier,
        "accuracy": float(np.mean(correct)),
    }
    return State(name, values, width)


def _softmax_sums(x: np.ndarray, t: np.ndarray) -> tuple[SoftmaxNLL, np.ndarray] | None:
    """The per-row sums of softmax over ``x`` (working dtype) and its top classes, or
    None where a row holds nan or +inf, or is all -inf (the general path says what)."""
    a = np.asarray(x)
    xw = np.ascontiguousarray(a, dtype=working_dtype(a.dtype) if is_float_dtype(a.dtype) else None)
    if xw.dtype.kind != "f" or xw.ndim != 2 or xw.shape[1] == 0:
        return None
    finite = bool(np.isfinite(xw).all())
    if not finite and (np.isnan(xw).any() or np.isposinf(xw).any()):
        return None
    top = xw.argmax(axis=1)
    m = pick(xw, top)
    if not finite and np.isneginf(m).any():
        return None
    return SoftmaxNLL(xw, np.asarray(t), m, finite), top


def _softmax_state(
    name: str, sums: tuple[SoftmaxNLL, np.ndarray], t: np.ndarray, tau: float, bins: int
) -> State:
    """The measures of softmax(x/τ) from one pass over the rows (:meth:`SoftmaxNLL.row_sums`).

    With ``s = Σe = 1 + rest`` (``e = exp(β(x − max x))``, the top term exactly 1):
    NLL ``= log1p(rest) − βz_t`` (exact however small ``p_t``), ``max p = 1/s``, and
    Brier ``= Σ_{i≠t} p_i² + (1 − p_t)²`` with ``1 − p_t = rest/s`` when the label is
    the top class (no cancellation near p_t = 1).
    """
    f, top = sums
    beta = 1.0 / float(tau)
    rest, sq, et = f.row_sums(beta, top)
    s = 1.0 + rest
    correct = top == t
    with np.errstate(invalid="ignore", over="ignore"):
        nll = float(np.mean(np.log1p(rest) - beta * f.zt))
        hit = sq + rest * rest
        miss = (1.0 + (sq - et * et)) + (1.0 + (rest - et)) ** 2
        brier = float(np.mean(np.where(correct, hit, miss) / (s * s)))
    return _state(name, tau, nll, brier, 1.0 / s, correct, bins)


def top_class(x: np.ndarray, mapping: registry.Mapping) -> np.ndarray | None:
    """Each row's top class if it is the same at every temperature, else None.

    A monotone mapping ranks the classes as their logits: the top class is
    ``argmax x`` (the first of tied maxima) whatever τ, found once for the
    measures before and after. (Where two logits differ by less than a rounding
    of p, that is the class the model ranks first.)

    Examples
    --------
    >>> top_class(np.array([[0.0, 2.0, 2.0], [1.0, 0.0, -1.0]]), registry.get("softmax")).tolist()
    [1, 0]
    """
    return x.argmax(axis=1) if mapping.monotone else None


def measure_states(
    x: np.ndarray,
    t: np.ndarray,
    mapping: registry.Mapping,
    params: dict[str, Any],
    tau: float,
    bins: int,
) -> list[State]:
    """The measures ``before`` (τ = 1) and ``after`` (the fitted ``τ``), sharing the top class.

    Examples
    --------
    >>> x = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    >>> [s.name for s in measure_states(x, np.array([0, 1, 1]), registry.get("softmax"),
    ...                                 {}, 2.0, 10)]
    ['before', 'after']
    """
    if mapping.name == "softmax" and not params:
        sums = _softmax_sums(x, t)
        if sums is not None:  # one pass per temperature serves every measure
            return [
                _softmax_state("before", sums, t, 1.0, bins),
                _softmax_state("after", sums, t, tau, bins),
            ]
    top = top_class(x, mapping)
    return [
        measure("before", x, t, mapping, params, 1.0, bins, top),
        measure("after", x, t, mapping, params, tau, bins, top),
    ]
