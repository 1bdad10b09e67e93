"""``grad`` after LLM logit processors: derivatives of the processed log-probabilities.

With logits ``x``, a chain of processors gives processed logits ``z`` and the
kept set ``K`` (:func:`softmax_cli.sampling.linearize`); the server samples from
``log p = log_softmax(z)`` over ``K``. Each processor maps a logit alone, so
``∂z_j/∂x_j = s_j`` (``1/τ``, a repetition penalty's ``1/θ`` or ``θ``, else 1) and

* the Jacobian of the log-probabilities: ``∂ log p_i/∂x_j = (δ_ij − p_j)·s_j`` for
  ``i, j`` in ``K``, 0 otherwise (a removed token stays removed under a small change,
  away from ties and thresholds, where there is no derivative);
* its product with ``v``: ``s_i v_i − Σ_j p_j s_j v_j`` on ``K``, 0 off it;
* cross-entropy after processing, ``L = −log p_t``: ``∂L/∂x_j = (p_j − δ_tj)·s_j``
  on ``K`` (``t`` must be kept).

The ``--check`` oracle runs the chain in mpmath with its own implementation
(:mod:`softmax_cli.oracle.processors`) and differentiates it numerically (central
differences at 50 digits), sharing nothing with the formulas above.

Examples
--------
>>> from softmax_cli import sampling
>>> proc = Processing(sampling.plan(None, given={"top_k": 2}), "top_k=2")
>>> d = proc.linearize(np.array([[0.0, 0.0, -5.0]]))
>>> d.jacobian().tolist()
[[[0.5, -0.5, 0.0], [-0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]]
>>> d.value().tolist()
[[-0.6931471805599453, -0.6931471805599453, -inf]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import registry, sampling
from ..errors import SoftmaxInputError
from ..records import Loss
from .grad import Plan

__all__ = ["ProcessedDerivative", "Processing", "processed_plan"]

#: digits of the oracle's numerical derivatives (the step is 10**-(CHECK_DPS // 2))
CHECK_DPS = 50


class ProcessedDerivative:
    """The derivative of the processed log-probabilities at rows ``x`` (what grad prints)."""

    scalar = False

    def __init__(self, proc: Processing, x: np.ndarray) -> None:
        z, s = sampling.linearize(x, proc.steps, history=proc.history, lanes=proc.lanes)
        self.kept = np.isfinite(z)
        self.probs, self.logprobs = sampling.distribution(z)
        self.slope = np.where(self.kept, s, 0).astype(z.dtype)

    def value(self) -> np.ndarray:
        """The processed log-probabilities (``-inf`` for removed tokens)."""
        return self.logprobs

    def jacobian(self) -> np.ndarray:
        """``∂ log p_i/∂x_j`` on the kept set, shape ``(rows, n, n)``."""
        ps = self.probs * self.slope  # p_j s_j, 0 off K
        n = ps.shape[-1]
        J = -np.broadcast_to(ps[:, None, :], (ps.shape[0], n, n)).copy()
        idx = np.arange(n)
        J[:, idx, idx] += self.slope
        J[~self.kept] = 0
        J += 0  # no negative zeros
        return J

    def jvp(self, v: np.ndarray) -> np.ndarray:
        """``J·v``: ``s_i v_i − Σ_j p_j s_j v_j`` on the kept set, 0 off it."""
        sv = self.slope * v
        out = sv - (self.probs * sv).sum(axis=-1, keepdims=True)
        out[~self.kept] = 0
        out += 0
        return out

    def half_l1(self) -> np.ndarray:
        """``½ Σ_ij |J_ij|`` per row."""
        return 0.5 * np.abs(self.jacobian()).sum(axis=(-2, -1))


@dataclass(frozen=True)
class Processing:
    """A chain of processors for ``grad``: its steps, token history, torch lanes and label."""

    steps: Sequence[sampling.Step]
    label: str
    history: Any = None
    lanes: int = 16
    #: where the loss's targets come from, for an error naming it
    target_param: str = "target"

    def linearize(self, x: np.ndarray) -> ProcessedDerivative:
        return ProcessedDerivative(self, x)

    def mapping(self) -> registry.Mapping:
        """log-softmax's record, named for the chain (titles and columns name it)."""
        return replace(registry.get("log-softmax"), name=f"log p ({self.label})")

    def loss(self) -> Loss:
        """Cross-entropy after processing, ``−log p_t``, as a loss record grad can run."""
        return Loss(
            "cross-entropy",
            self._cross_entropy,
            "log-softmax",
            f"−log p_t after processing ({self.label})",
            "(p − onehot(t))·s on the kept set",
            "",
        )

    def _cross_entropy(self, x: np.ndarray, targets: np.ndarray, **_: Any):
        d = self.linearize(x)
        rows = np.arange(x.shape[0])
        gone = ~d.kept[rows, targets]
        if gone.any():
            t = int(targets[int(np.flatnonzero(gone)[0])])
            raise SoftmaxInputError(
                f"{{param}} gives token {t}, which the processors remove: its log-probability "
                "is -inf and has no gradient (choose a kept token)",
                param=self.target_param,
            )
        loss = -d.logprobs[rows, targets]
        g = d.probs * d.slope
        g[rows, targets] -= d.slope[rows, targets]
        return loss, g + 0

    # -- the oracle ------------------------------------------------------------------

    def exact_logprobs(self, x: Sequence[Any]) -> list:
        """log p after the chain, exactly (mpf; ``-inf`` removed), in the working precision."""
        import mpmath

        from ..oracle import processors as exact_chain

        z = exact_chain.process(x, self.steps, history=self.history)
        kept = [v for v in z if v != exact_chain.NEG_INF]
        m = max(kept)
        lse = m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in kept))
        return [v - lse for v in z]

    def check(self, mode: str, block: Any) -> dict[str, float]:
        """The block's worst errors against the oracle's numerical derivatives (ULPs of 1.0).

        A row where the kept set changes within the oracle's step (a tie at the k-th
        logit, a token on a threshold) has no derivative: an error naming the token.
        """
        import mpmath

        worst: dict[str, float] = {}
        with mpmath.workdps(CHECK_DPS):
            h = mpmath.mpf(10) ** -(CHECK_DPS // 2)
            for r in range(block.x.shape[0]):
                try:
                    self._check_row(mode, block, r, h, worst)
                except NoDerivative as err:
                    raise SoftmaxInputError(
                        f"row {r + 1}: token {err.token} is kept on one side and removed on the "
                        f"other of a change of 1e-{CHECK_DPS // 2} in a logit (a tie or a "
                        "threshold): the processed log-probabilities have no derivative here"
                    ) from None
        return worst

    def _check_row(self, mode: str, block: Any, r: int, h: Any, worst: dict[str, float]) -> None:
        from .. import oracle
        from ..oracle import derivatives as oracle_derivatives

        dt = block.x.dtype
        x = [oracle.to_mpf(v) for v in block.x[r]]
        if mode == "jvp":
            v = [oracle.to_mpf(w) for w in block.v]
            exact = _slope_along(self.exact_logprobs, x, v, h)
            _merge(worst, "J·v {} ULP of 1.0",
                   oracle_derivatives.scaled_ulp_error(block.result[r], exact, dt))  # fmt: skip
            return
        n = len(x)
        cols = [_slope_along(self.exact_logprobs, x, _unit(n, j), h) for j in range(n)]
        if mode == "loss":
            t = int(block.targets[r])
            loss, grad = block.result
            exact_loss = -self.exact_logprobs(x)[t]
            lerr = oracle.ulp_error(loss[r : r + 1], [exact_loss], dt)
            gerr = oracle_derivatives.scaled_ulp_error(grad[r], [-c[t] for c in cols], dt)
            _merge(worst, "loss {} ULP", lerr)
            _merge(worst, "gradient {} ULP of 1.0", gerr)
            return
        exact = [[cols[j][i] for j in range(n)] for i in range(n)]
        err = oracle_derivatives.scaled_ulp_error(block.result[r], exact, dt)
        _merge(worst, "Jacobian {} ULP of 1.0", err)


class NoDerivative(Exception):
    """The kept set changes within the oracle's step: a tie or a threshold at ``token``."""

    def __init__(self, token: int) -> None:
        super().__init__(token)
        self.token = token


def _unit(n: int, j: int) -> list:
    import mpmath

    return [mpmath.mpf(1) if i == j else mpmath.mpf(0) for i in range(n)]


def _slope_along(f, x: list, v: list, h) -> list:
    """Central difference of ``f`` at ``x`` along ``v``; 0 where ``f`` is ``-inf`` (removed)."""
    up = f([a + h * b for a, b in zip(x, v, strict=True)])
    down = f([a - h * b for a, b in zip(x, v, strict=True)])
    neg = float("-inf")
    moved = [i for i, (u, d) in enumerate(zip(up, down, strict=True)) if (u == neg) != (d == neg)]
    if moved:
        raise NoDerivative(moved[0])
    return [0 if u == neg else (u - d) / (2 * h) for u, d in zip(up, down, strict=True)]


def _merge(worst: dict[str, float], key: str, err: np.ndarray) -> None:
    worst[key] = max(worst.get(key, 0.0), float(np.max(err)) if np.size(err) else 0.0)


def processed_plan(
    proc: Processing,
    *,
    methods: list[str | None],
    dtype: np.dtype,
    vector: str | None,
    loss: str | None,
    loss_options: dict[str, Any],
    target: int | None,
    target_column: str | None,
) -> Plan:
    """What ``grad`` computes after processors: the Jacobian, J·v or cross-entropy of log p."""
    if len(methods) > 1 or (methods[0] and registry.get(methods[0]).name != "log-softmax"):
        shown = ",".join(str(m) for m in methods)
        raise SoftmaxInputError(
            f"with logit processors, grad differentiates the processed log-probabilities: "
            f"drop {{param}} {shown} (or give log-softmax)",
            param="method",
        )
    if loss is not None and registry.get_loss(loss).name != "ce":
        raise SoftmaxInputError(
            f"with logit processors, {{param}} is cross-entropy (−log p_t after processing), "
            f"not {loss}",
            param="loss",
        )
    stray = [k for k, v in loss_options.items() if v is not None]
    if stray:
        raise SoftmaxInputError("{param} does not apply with logit processors", param=stray[0])
    if loss is None and (target is not None or target_column is not None):
        raise SoftmaxInputError(
            "{param} goes with {loss} cross-entropy: the loss −log p_t after processing",
            param="target" if target is not None else "target_column",
            also=("loss",),
        )
    if loss is not None:
        if vector is not None:
            raise SoftmaxInputError(
                "{param} (a JVP) and {loss} are separate modes: give one",
                param="vector",
                also=("loss",),
            )
        if target is not None and target_column is not None:
            raise SoftmaxInputError(
                "give the target as {target} or {param}, not both",
                param="target_column",
                also=("target",),
            )
        if target is None and target_column is None:
            raise SoftmaxInputError(
                "{loss} cross-entropy needs the target token: {param} T (counting from 0), "
                "or {target_column} COLUMN for file or stdin input",
                param="target",
                also=("loss", "target_column"),
            )
    mode = "loss" if loss is not None else ("jvp" if vector is not None else "jacobian")
    target_param = "target" if target_column is None else "target_column"
    return Plan(
        mode,
        proc.mapping(),
        {},
        1.0,
        dtype,
        loss=None if loss is None else replace(proc, target_param=target_param).loss(),
        vector=vector,
        target=target,
        target_column=target_column,
        processing=proc,
    )
