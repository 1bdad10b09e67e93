"""``compare`` after LLM logit processors: the kept set's probabilities against the oracle.

The float side is what ``softmax sample`` computes: the chain of
:mod:`softmax_cli.sampling` in the working dtype, then the textbook, ``x − max``
and accurate (:func:`softmax_cli.sampling.distribution`) softmax of the processed
logits. The oracle runs the same chain with its own implementation
(:mod:`softmax_cli.oracle.processors`), every threshold decided exactly, then the
exact softmax of what it kept. Removed tokens are 0 (log: ``-inf``) on both sides.

Examples
--------
>>> from softmax_cli import sampling
>>> from softmax_cli.analysis.compare import compare_vector
>>> sj = processed_subject(sampling.plan("hf", given={"top_k": 2}), "softmax", "hf")
>>> cmp = sj.noted(compare_vector([1.0, 2.0, 3.0, 50.0], subj=sj, dtype="float32"))
>>> cmp.oracle_text        # e^-47 / (1 + e^-47) = 3.87399762868718711e-21 (mpmath, 30 digits)
('0.0', '0.0', '3.8739976286871871e-21', '1.0')
>>> float(cmp.accurate.ulp.max()) < 0.5
True
>>> cmp.verdict[-1]
'kept: 2 of 4 tokens (hf: top_k=2); the oracle keeps the same 2.'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import mpmath
import numpy as np

from ... import oracle, registry, sampling
from ...errors import SoftmaxInputError
from ...oracle import processors as exact_chain
from .results import Comparison
from .subjects import Subject

#: the mappings that make sense after processors: the sampling distribution and its logs
METHODS = ("softmax", "log-softmax")


@dataclass(frozen=True)
class ProcessedSubject(Subject):
    """A :class:`Subject` over processed logits; ``kept`` records each run's kept sets."""

    label: str = ""
    kept: dict[str, Any] = field(default_factory=dict)

    def noted(self, cmp: Comparison) -> Comparison:
        """``cmp`` with a last verdict line: the kept count, and the oracle's if it differs."""
        mine, exact = self.kept.get("float"), self.kept.get("exact")
        if mine is None or exact is None:
            return cmp
        line = f"kept: {int(mine.sum())} of {mine.size} tokens ({self.label}); "
        if (mine == exact).all():
            line += f"the oracle keeps the same {int(exact.sum())}."
        else:
            only_mine = np.flatnonzero(mine & ~exact).tolist()
            only_exact = np.flatnonzero(exact & ~mine).tolist()
            said = []
            if only_mine:
                said.append(f"keeps token{_s(only_mine)} {_ids(only_mine)} the oracle removes")
            if only_exact:
                said.append(f"removes token{_s(only_exact)} {_ids(only_exact)} the oracle keeps")
            line += (
                f"the oracle keeps {int(exact.sum())}: the float chain "
                + " and ".join(said)
                + " (a threshold within rounding of the value, decided on floats)."
            )
        return replace(cmp, verdict=(*cmp.verdict, line))


def _s(ids: list[int]) -> str:
    return "s" if len(ids) > 1 else ""


def _ids(ids: list[int]) -> str:
    shown = ", ".join(map(str, ids[:8]))
    return shown + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")


def processed_subject(
    steps: Sequence[sampling.Step],
    method: str = "softmax",
    preset: str | None = None,
    *,
    history: Any = None,
    lanes: int = 16,
) -> ProcessedSubject:
    """The :class:`ProcessedSubject` of ``method`` (softmax or log-softmax) after ``steps``.

    ``tau`` given to its functions is ignored: a temperature is a step of the chain.
    """
    mapping = registry.get(method)
    if mapping.name not in METHODS:
        raise SoftmaxInputError(
            f"with logit processors, {{param}} is softmax or log-softmax (the sampling "
            f"distribution or its log-probabilities), not {mapping.name}",
            param="method",
        )
    log = mapping.name == "log-softmax"
    twins = mapping.implementations()
    kept: dict[str, Any] = {}

    def processed(x: np.ndarray) -> np.ndarray:
        z, _ = sampling.process(x[None, :], steps, history=history, lanes=lanes)
        kept["float"] = np.isfinite(z[0])
        return z[0]

    def twin(name: str):
        def run(x: np.ndarray, tau: float) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return np.asarray(twins[name](processed(x), temperature=1.0))

        return run

    def accurate(x: np.ndarray, tau: float) -> np.ndarray:
        probs, logprobs = sampling.distribution(processed(x))
        return logprobs if log else probs

    def exact(x: np.ndarray, dps: int, tau: float) -> list:
        with mpmath.workdps(dps):
            z = exact_chain.process([oracle.to_mpf(v) for v in x], steps, history=history)
            kept["exact"] = np.array([v != exact_chain.NEG_INF for v in z])
            return _exact_distribution(z, log)

    def condition(xs: list, tau: Any, out: list) -> list:
        z = exact_chain.process(xs, steps, history=history)
        return _kappa(z, log)

    impls = {k: twin(k) for k in ("naive", "shifted") if k in twins}
    impls["accurate"] = accurate
    label = sampling.chain_label(steps, preset)
    name = f"{mapping.name} ({label})"
    return ProcessedSubject(name, mapping.output, impls, exact, condition, {}, None, label, kept)


def _exact_distribution(z: list, log: bool) -> list:
    """Exact softmax (or log-softmax) of the kept logits ``z``; removed: 0 (``-inf``)."""
    kept = [v for v in z if v != exact_chain.NEG_INF]
    if not kept:
        raise SoftmaxInputError("every token was removed: nothing is left to sample")
    m = max(kept)
    lse = m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in kept))
    if log:
        return [v - lse if v != exact_chain.NEG_INF else exact_chain.NEG_INF for v in z]
    return [mpmath.exp(v - lse) if v != exact_chain.NEG_INF else mpmath.mpf(0) for v in z]


def _kappa(z: list, log: bool) -> list:
    """κ_i of softmax (log-softmax) at the processed logits, over the kept ones; 0 if removed.

    ``κ_i = |z_i|(1 − p_i) + Σ_{j≠i} p_j |z_j|`` (log-softmax: over ``|log p_i|``):
    what rounding the processed logits (``x/τ``, a penalty) alone can cost.
    """
    probs = _exact_distribution(z, False)
    pairs = [(p, abs(v)) for p, v in zip(probs, z, strict=True) if v != exact_chain.NEG_INF]
    total = mpmath.fsum(p * a for p, a in pairs)
    out = []
    for p, v in zip(probs, z, strict=True):
        if v == exact_chain.NEG_INF:
            out.append(mpmath.mpf(0))
            continue
        k = abs(v) * (1 - p) + total - p * abs(v)
        if log:
            lp = abs(mpmath.log(p))
            k = k / lp if lp > 0 else mpmath.mpf(0)
        out.append(k)
    return out
