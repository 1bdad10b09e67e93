"""Rich renderables for ``softmax grad``: Jacobian tables, loss views, the sensitivity summary.

Pure presentation: every number arrives computed; the only logic here is the
choice of words for how large a Jacobian is.

Examples
--------
>>> import numpy as np
>>> from rich.console import Console
>>> console = Console(width=80, color_system=None)
>>> J = np.array([[0.25, -0.25], [-0.25, 0.25]])
>>> with console.capture() as cap:
...     console.print(jacobian_table(np.zeros(2), np.full(2, 0.5), J, 4, name="softmax"))
>>> "-0.25" in cap.get()
True
>>> sensitivity_meaning(8e-9, 0.667, "softmax")[:3]
'≈ 0'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from . import fmt_number, scalar_table, vector_table
from .fit import Column, Fitted, fit_table
from .text import plain

#: Largest vector shown as a full matrix; longer ones show the diagonal and a summary.
MAX_FULL = 12

__all__ = [
    "MAX_FULL",
    "check_line",
    "emit",
    "jacobian_table",
    "jacobian_view",
    "jvp_view",
    "loss_view",
    "sensitivity_meaning",
]


def jacobian_table(
    x: np.ndarray, y: np.ndarray, J: np.ndarray, precision: int, *, name: str
) -> Fitted:
    """The full matrix: a row per output ``i`` (with ``x_i`` and the output), a column per ``j``.

    ``J`` has shape ``(n_out, n)``; ``y`` holds the ``n_out`` outputs. Fitted to the
    width when printed (fewer digits, then head … tail of the columns).
    """
    n_out, n = J.shape
    square = n_out == n
    columns = [Column("i", list(range(n)) if square else ["·"] * n_out, style="dim", frozen=True)]
    if square:
        columns.append(Column("x_i", x, frozen=True))
    columns.append(Column(name, y, style="bold", frozen=True))
    columns += [Column(f"∂/∂x{j}", J[:, j]) for j in range(n)]
    return fit_table(columns, precision=precision, max_rows=None)


def sensitivity_meaning(value: float, reference: float, name: str) -> str:
    """One plain sentence on the size of a Jacobian, against its size at uniform input.

    ``value`` is ``½ Σ|J_ij|`` here, ``reference`` the same at ``x = 0``.

    Examples
    --------
    >>> sensitivity_meaning(0.5, 0.6, "softmax").split(":")[0]
    'healthy'
    >>> sensitivity_meaning(0.0, 0.5, "sparsemax").split(":")[0]
    'exactly 0'
    """
    v, r = float(value), float(reference)
    if not np.isfinite(v):
        return f"undefined: the derivative of {name} is not finite here"
    if r == 0 and v == 0:
        return f"zero: {name} is piecewise constant; no gradient flows through it"
    if v == 0:
        return f"exactly 0: one-hot on a flat piece of {name}; no gradient flows back"
    ratio = v / r if r > 0 else np.inf
    if ratio < 1e-3:
        return f"≈ 0: saturated (nearly one-hot), so gradients through {name} vanish"
    if ratio < 0.25:
        return "small: the output is peaked; gradients flow, but weaker than at uniform input"
    return "healthy: the output is spread out; gradients flow freely"


def _summary(
    half_l1: float,
    gini: float | None,
    reference: float,
    precision: int,
    extra: Sequence[tuple[str, str]] = (),
) -> Table:
    pairs = [("½ Σ|J_ij|  (half L1 norm)", fmt_number(half_l1, precision))]
    if gini is not None:
        pairs.append(("1 − Σ p_i²", fmt_number(gini, precision)))
    pairs.append(("½ Σ|J_ij| at uniform input", fmt_number(reference, precision)))
    pairs += list(extra)
    return scalar_table(pairs)


def jacobian_view(
    x: np.ndarray,
    y: np.ndarray,
    J: np.ndarray,
    *,
    name: str,
    half_l1: float,
    gini: float | None,
    reference: float,
    precision: int,
    title: str | None = None,
) -> list[RenderableType]:
    """The Jacobian (full up to :data:`MAX_FULL` entries, else its diagonal), summary, meaning.

    ``gini`` is ``1 − Σp²`` for mappings whose output is a distribution (None
    otherwise): for softmax it equals the half L1 norm. Print with :func:`emit`.
    """
    n_out, n = J.shape
    if title is None and n_out == 1:
        title = f"gradient of {name} (column j: ∂{name}/∂x_j)"
    heading = title or f"Jacobian of {name} (row i, column j: ∂{name}_i/∂x_j)"
    parts: list[RenderableType] = []
    extra: list[tuple[str, str]] = []
    if n <= MAX_FULL:
        parts += [plain(heading), jacobian_table(x, y, J, precision, name=name)]
    elif n_out == n:
        diag = np.diagonal(J)
        off = J - np.diag(diag)
        parts += [
            Text(f"{heading}: n = {n}, so its diagonal"),
            vector_table(x, {name: y, f"∂{name}_i/∂x_i": diag}, precision),
        ]
        extra.append(("largest |off-diagonal entry|", fmt_number(np.abs(off).max(), precision)))
    else:
        parts += [
            Text(f"{heading}: n = {n}"),
            vector_table(x, {f"∂{name}/∂x_i": J[0]}, precision),
        ]
    parts.append(_summary(half_l1, gini, reference, precision, extra))
    parts.append(Text(f"meaning: {sensitivity_meaning(half_l1, reference, name)}"))
    return parts


def jvp_view(
    x: np.ndarray, v: np.ndarray, jv: np.ndarray, *, name: str, precision: int
) -> list[RenderableType]:
    """``J·v`` beside ``x`` and ``v`` (one number for a reduction)."""
    if jv.ndim == 0 or jv.shape[0] != x.shape[0]:
        return [
            scalar_table(
                [(f"J·v  (directional derivative of {name})", fmt_number(float(jv), precision))]
            )
        ]
    return [
        Text(f"Jacobian-vector product J·v of {name}"),
        vector_table(x, {"v": v, "J·v": jv}, precision),
    ]


def loss_view(
    x: np.ndarray,
    grad: np.ndarray,
    loss: float,
    *,
    name: str,
    target: int,
    gradient: str,
    precision: int,
) -> list[RenderableType]:
    """The loss value and its gradient beside the logits, with the gradient's formula."""
    return [
        scalar_table([(f"{name} loss  (target class {target})", fmt_number(loss, precision))]),
        Text(f"gradient ∂L/∂x = {gradient}"),
        vector_table(x, {"∂L/∂x": grad}, precision),
    ]


def emit(console: Console, parts: Sequence[RenderableType]) -> None:
    """Print renderables in order; lines of text run past the width rather than wrap."""
    for part in parts:
        console.print(part, soft_wrap=isinstance(part, Text))


def check_line(worst: dict[str, float], limit: float) -> Text:
    """``check vs the mpmath oracle: Jacobian 0.04 ULP of 1.0 (max 4): ok`` (or ``FAILED``).

    ``worst`` maps a label with a ``{}`` for the number (``"Jacobian {} ULP of 1.0"``)
    to the worst error measured.

    Examples
    --------
    >>> str(check_line({"Jacobian {} ULP of 1.0": 0.25}, 4))
    'check vs the mpmath oracle: Jacobian 0.25 ULP of 1.0 (max 4): ok'
    """
    parts = [label.format(f"{val:.2g}") for label, val in worst.items()]
    ok = all(v <= limit for v in worst.values())
    verdict = "ok" if ok else "FAILED"
    return Text(
        f"check vs the mpmath oracle: {', '.join(parts)} (max {limit:g}): {verdict}",
        style=None if ok else "bold red",
    )
