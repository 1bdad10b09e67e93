"""Rich tables of ``softmax sample``: the kept tokens, each step, the draws."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich import box
from rich.markup import escape
from rich.table import Table

from . import check_table_size, fmt_number


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=escape(title), box=box.SIMPLE_HEAD, title_justify="left")
    for i, c in enumerate(columns):
        table.add_column(c, justify="left" if i == 0 and c == "step" else "right")
    return table


def distribution_table(
    title: str,
    tokens: np.ndarray,
    logits: np.ndarray,
    probs: np.ndarray,
    logprobs: np.ndarray,
    precision: int,
) -> Table:
    """One line per token shown: id, processed logit, probability, log-probability."""
    check_table_size(len(tokens), 4)
    table = _table(title, ("token", "logit", "p", "log p"))
    for t, x, p, lp in zip(tokens, logits, probs, logprobs, strict=True):
        table.add_row(
            str(int(t)), fmt_number(x, precision), fmt_number(p, precision),
            fmt_number(lp, precision),
        )  # fmt: skip
    return table


def steps_table(title: str, labels: Sequence[str], kept: Sequence[int], mass: Sequence[float],
                precision: int) -> Table:  # fmt: skip
    """One line per processor: what it was, how many tokens it kept, the mass they held."""
    table = _table(title, ("step", "kept", "mass kept"))
    for label, k, m in zip(labels, kept, mass, strict=True):
        table.add_row(escape(label), str(int(k)), fmt_number(m, precision))
    return table


def draws_table(title: str, tokens: np.ndarray, logprobs: np.ndarray, precision: int,
                column: str) -> Table:  # fmt: skip
    """One line per draw: its number, the token drawn and its log-probability."""
    check_table_size(len(tokens), 3)
    table = _table(title, ("draw", "token", column))
    for i, (t, lp) in enumerate(zip(tokens, logprobs, strict=True)):
        table.add_row(str(i + 1), str(int(t)), fmt_number(lp, precision))
    return table
