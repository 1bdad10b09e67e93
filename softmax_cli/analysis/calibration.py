"""What ``softmax calibrate`` reports: the fit, and the measures before and after it.

Pure functions over arrays, returning records; the command reads, renders and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import calibrate, registry

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
) -> State:
    """NLL, ECE (equal-width and equal-mass bins), MCE, Brier and accuracy at ``τ``.

    The NLL of softmax is computed from the logits (exact however small ``p_t``);
    of another mapping it is ``mean(−log p_t)``, infinite when a label gets p = 0.

    Examples
    --------
    >>> x = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    >>> s = measure("before", x, np.array([0, 1, 1]), registry.get("softmax"), {}, 1.0, 10)
    >>> round(s.values["nll"], 6), s.values["accuracy"]
    (0.793595, 0.6666666666666666)
    """
    p = mapping.func(x, axis=-1, temperature=tau, **params)
    if mapping.name == "softmax":
        nll = calibrate.nll(x, t, temperature=tau)
    else:
        with np.errstate(divide="ignore"):
            nll = float(-np.mean(np.log(p[np.arange(p.shape[0]), t])))
    width = calibrate.reliability(p, t, bins=bins, strategy="width")
    mass = calibrate.reliability(p, t, bins=bins, strategy="mass")
    values = {
        "temperature": float(tau),
        "nll": nll,
        "ece": width.ece,
        "ece_mass": mass.ece,
        "mce": width.mce,
        "brier": calibrate.brier(p, t),
        "accuracy": calibrate.accuracy(p, t),
    }
    return State(name, values, width)
