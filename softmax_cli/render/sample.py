"""Rich tables of ``softmax sample``: the kept tokens, each step, the draws."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .fit import Column, fit_table


def distribution_table(
    title: str,
    tokens: np.ndarray,
    logits: np.ndarray,
    probs: np.ndarray,
    logprobs: np.ndarray,
    precision: int,
) -> Any:
    """One line per token shown: id, processed logit, probability, log-probability."""
    columns = [
        Column("token", [int(t) for t in tokens], frozen=True),
        Column("logit", logits),
        Column("p", probs),
        Column("log p", logprobs),
    ]
    return fit_table(columns, precision=precision, title=title or None, unit="tokens")


def steps_table(
    title: str, labels: Sequence[str], kept: Sequence[int], mass: Sequence[float], precision: int
) -> Any:
    """One line per processor: what it was, how many tokens it kept, the mass they held."""
    columns = [
        Column("step", list(labels), justify="left", frozen=True),
        Column("kept", [int(k) for k in kept]),
        Column("mass kept", np.asarray(mass, dtype=np.float64)),
    ]
    return fit_table(columns, precision=precision, title=title, max_rows=None, unit="steps")


def draws_table(
    title: str, tokens: np.ndarray, logprobs: np.ndarray, precision: int, column: str
) -> Any:
    """One line per draw: its number, the token drawn and its log-probability."""
    columns = [
        Column("draw", list(range(1, len(tokens) + 1)), frozen=True),
        Column("token", [int(t) for t in tokens]),
        Column(column, logprobs),
    ]
    return fit_table(columns, precision=precision, title=title, unit="draws")
