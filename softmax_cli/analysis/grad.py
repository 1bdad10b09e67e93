"""What ``softmax grad`` computes: Jacobians, JVPs and loss gradients in blocks, and their checks.

Pure functions over a :class:`Plan` (what to compute, decided from the command's
options): :func:`grad_blocks` runs it over a reader's batches in blocks of
bounded memory, :func:`check_block` measures a block against the mpmath oracle
(imported only then), :func:`output_columns` names the machine output's columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import derivatives, losses, registry
from ..errors import SoftmaxInputError
from . import duration_text

__all__ = [
    "CHECK_DPS",
    "MAX_CHECK_N",
    "MAX_CHECK_SECONDS",
    "MAX_JACOBIAN_N",
    "Block",
    "CheckTooSlow",
    "Plan",
    "check_block",
    "compute_block",
    "gini",
    "grad_blocks",
    "merge",
    "output_columns",
    "reference_half_l1",
    "row_targets",
]

#: Digits the oracle works to for ``--check``.
CHECK_DPS = 50
#: Numbers in one block of dense Jacobians (8 MB of float64; their text is ~10x that).
BLOCK_NUMBERS = 1 << 20
#: Longest vector whose dense Jacobian grad computes (n² = 4M numbers, 32 MB a row).
MAX_JACOBIAN_N = 2048
#: Longest vector --check takes: the oracle differentiates numerically, n² evaluations.
MAX_CHECK_N = 256
#: Longest predicted oracle time for one row's check: the numerical Jacobian is timed on
#: its first column and refused past this (softmax at 256 logits takes ~3 s; Taylor of
#: order 1000 there ~450 s, perturb-max at 8 logits minutes).
MAX_CHECK_SECONDS = 60.0


class CheckTooSlow(SoftmaxInputError):
    """One row's check against the oracle is predicted to take over :data:`MAX_CHECK_SECONDS`."""


@dataclass
class Plan:
    """What one run computes: the mode, the mapping and its parameters, the loss and options."""

    mode: str  # "jacobian" | "jvp" | "loss"
    mapping: registry.Mapping
    params: dict[str, Any]
    temperature: float
    dtype: np.dtype
    loss: registry.Loss | None = None
    loss_kw: dict[str, Any] = field(default_factory=dict)
    vector: str | None = None
    target: int | None = None
    target_column: str | None = None
    #: logit processors (:class:`.grad_processed.Processing`): derivatives of log p after them
    processing: Any = None


def is_scalar(plan: Plan) -> bool:
    return plan.mapping.output == registry.SCALAR


def output_columns(plan: Plan, names: list[str], scalar: bool) -> list[str]:
    """Header of the machine output for the plan's mode."""
    if plan.mode == "loss":
        return ["loss", *(f"grad_{c}" for c in names)]
    if plan.mode == "jvp":
        return ["jvp"] if scalar else [f"jvp_{c}" for c in names]
    if scalar:
        return [f"d{plan.mapping.name}/d{c}" for c in names]
    return [f"d{a}/d{b}" for a in names for b in names]


def row_targets(col: np.ndarray, n: int, source: str, lines: np.ndarray) -> np.ndarray:
    """Targets from a column of floats, each an integer in ``0 … n−1``, else name the line."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(col) | (col != np.floor(col)) | (col < 0) | (col >= n)
    if bad.any():
        i = int(np.argmax(bad))
        try:
            losses.check_targets(col[i : i + 1].astype(np.float64), (1,), n)
        except SoftmaxInputError as err:
            raise SoftmaxInputError(f"{source}: line {int(lines[i])}: {err}") from None
    return col.astype(np.intp)


@dataclass
class Block:
    """One batch of rows and what was computed for it."""

    x: np.ndarray
    ids: list[str] | None
    lines: np.ndarray
    rows: np.ndarray  # the machine-output rows
    targets: np.ndarray | None = None
    derivative: derivatives.Derivative | None = None
    result: Any = None  # J (jacobian), J·v (jvp) or (loss, grad)
    v: np.ndarray | None = None
    passed: list[tuple[str, ...]] | None = None  # several pass-through columns' texts


def compute_block(plan: Plan, x: np.ndarray, targets: np.ndarray | None, v) -> Block:
    """Run the plan on a ``(rows, n)`` block."""
    block = Block(x=x, ids=None, lines=np.zeros(0), rows=np.zeros((0, 0)), targets=targets, v=v)
    if plan.mode == "loss":
        assert plan.loss is not None
        loss, grad = plan.loss.func(x, targets, **plan.loss_kw)
        block.result = (loss, grad)
        block.rows = np.concatenate([loss[:, None], grad], axis=1)
        return block
    if plan.processing is not None:
        d = plan.processing.linearize(x)
    else:
        d = derivatives.linearize(plan.mapping, x, temperature=plan.temperature, **plan.params)
    block.derivative = d
    if plan.mode == "jvp":
        jv = d.jvp(v)
        block.result = jv
        block.rows = jv[:, None] if d.scalar else jv
    else:
        J = d.jacobian()
        block.result = J
        block.rows = J.reshape(J.shape[0], -1)
    return block


def check_block(plan: Plan, block: Block, budget: float | None = -1.0) -> dict[str, float]:
    """Worst errors of a block against the oracle, by what was measured.

    Raises :class:`CheckTooSlow` when one row's numerical Jacobian is predicted
    (from its first column) to take over ``budget`` seconds (None: no cap; by
    default :data:`MAX_CHECK_SECONDS` as the module holds it now).
    """
    if budget is not None and budget < 0:
        budget = MAX_CHECK_SECONDS
    from ..oracle import derivatives as oracle_derivatives

    try:
        with oracle_derivatives.time_budget(budget):
            return _check(plan, block)
    except oracle_derivatives.OracleTooSlow as err:
        raise CheckTooSlow(
            f"checking a row of {block.x.shape[1]:,} logits against the oracle would take about "
            f"{duration_text(err.seconds)} (it differentiates numerically, n² evaluations in "
            f"arbitrary precision; the cap is {err.budget:g} s a row): check a slice of the "
            "vector, or a cheaper setting"
        ) from None


def _check(plan: Plan, block: Block) -> dict[str, float]:
    from .. import oracle
    from ..oracle import derivatives as oracle_derivatives
    from ..oracle import losses as oracle_losses

    if plan.processing is not None:
        return plan.processing.check(plan.mode, block)
    x, dt = block.x, plan.dtype
    if plan.mode == "loss":
        assert plan.loss is not None
        loss, grad = block.result
        exact_loss, exact_grad = oracle_losses.evaluate(
            plan.loss.name, x, block.targets, dps=CHECK_DPS, **plan.loss_kw
        )
        if plan.loss.relative:
            lerr = oracle.ulp_error(loss, exact_loss, dt)
            lname = "loss {} ULP"
        else:
            lerr = oracle_derivatives.scaled_ulp_error(loss, exact_loss, dt)
            lname = "loss {} ULP of max(1, L)"
        gerr = oracle_derivatives.scaled_ulp_error(grad, exact_grad, dt)
        return {lname: float(lerr.max()), "gradient {} ULP of 1.0": float(gerr.max())}
    kw = {"temperature": plan.temperature, "dps": CHECK_DPS, **plan.params}
    if plan.mode == "jvp":
        exact = oracle_derivatives.jvp(plan.mapping.name, x, block.v, **kw)
        err = oracle_derivatives.scaled_ulp_error(block.result, exact, dt)
        return {"J·v {} ULP of 1.0": float(err.max())}
    exact = oracle_derivatives.jacobian(plan.mapping.name, x, **kw)
    err = oracle_derivatives.scaled_ulp_error(block.result, exact, dt)
    return {"Jacobian {} ULP of 1.0": float(err.max())}


def _row(block: Block, r: int) -> Block:
    """Row ``r`` of a block as a block of one row (what :func:`check_block` reads)."""
    part = slice(r, r + 1)
    result = block.result
    if isinstance(result, tuple):
        result = tuple(v[part] for v in result)
    elif result is not None:
        result = result[part]
    targets = None if block.targets is None else block.targets[part]
    return Block(
        x=block.x[part], ids=None, lines=block.lines[part], rows=block.rows[part],
        targets=targets, result=result, v=block.v,
    )  # fmt: skip


def merge(worst: dict[str, float], new: dict[str, float]) -> None:
    for k, v in new.items():
        worst[k] = max(worst.get(k, 0.0), v)


def gini(y: np.ndarray) -> float:
    """``1 − Σ y_i²`` as ``2 Σ_{i<j} y_i y_j`` (no cancellation near one-hot)."""
    y = y.astype(np.float64)
    before = np.concatenate([[0.0], np.cumsum(y[:-1])])
    return float(2 * (y * before).sum())


def reference_half_l1(plan: Plan, n: int) -> float:
    """½Σ|J_ij| of the plan's mapping at x = 0 (n logits): the table's point of comparison."""
    zero = np.zeros((1, n), dtype=plan.dtype)
    if plan.processing is not None:
        return float(plan.processing.linearize(zero).half_l1()[0])
    d = derivatives.linearize(plan.mapping, zero, temperature=plan.temperature, **plan.params)
    return float(d.half_l1()[0])


def grad_blocks(
    plan: Plan,
    batches: Iterable[Any],
    *,
    n: int,
    target_col: int | None,
    source: str,
    v: np.ndarray | None,
    worst: dict[str, float] | None = None,
    advance: Callable[[int], None] = lambda k: None,
    block_numbers: int = BLOCK_NUMBERS,
) -> Iterator[Block]:
    """Run the plan over a reader's batches, in order, in blocks of bounded memory.

    Dense Jacobians take n² numbers a row, so their blocks hold at most
    ``block_numbers`` numbers. Each row's target comes from ``target_col`` (an
    index among the value columns, then dropped) or the plan's one target. With
    ``worst`` given, every block is checked against the oracle and the worst
    errors merged into it.
    """
    step = max(1, block_numbers // (n * n)) if plan.mode == "jacobian" else None
    for b in batches:
        x = b.values.astype(plan.dtype, copy=False)
        targets = None
        if plan.mode == "loss":
            if target_col is not None:
                targets = row_targets(x[:, target_col], n, source, b.lines)
                x = np.delete(x, target_col, axis=1)
            else:
                targets = np.full(x.shape[0], plan.target, dtype=np.intp)
        size = step or x.shape[0]
        for s in range(0, x.shape[0], size):
            part = slice(s, s + size)
            block = compute_block(plan, x[part], None if targets is None else targets[part], v)
            block.ids = None if b.ids is None else b.ids[part]
            block.passed = None if b.passed is None else b.passed[part]
            block.lines = b.lines[part]
            if worst is None:
                advance(block.x.shape[0])
            else:  # row by row: the oracle is slow, and progress is counted in rows
                for r in range(block.x.shape[0]):
                    merge(worst, check_block(plan, _row(block, r)))
                    advance(1)
            yield block
