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
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from . import fmt_number, scalar_table, vector_table

#: Largest vector shown as a full matrix; longer ones show the diagonal and a summary.
MAX_FULL = 12

__all__ = [
    "MAX_FULL",
    "check_line",
    "jacobian_table",
    "jacobian_view",
    "jvp_view",
    "loss_view",
    "sensitivity_meaning",
]


def jacobian_table(
    x: np.ndarray,
    y: np.ndarray,
    J: np.ndarray,
    precision: int,
    *,
    name: str,
    title: str | None = None,
) -> Table:
    """The full matrix: one row per output ``i`` (with ``x_i`` and the output), one column per ``j``.

    ``J`` has shape ``(n_out, n)``; ``y`` holds the ``n_out`` outputs.
    """
    n_out, n = J.shape
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("i", justify="right", style="dim")
    if n_out == n:
        table.add_column("x_i", justify="right")
    table.add_column(name, justify="right", style="bold")
    for j in range(n):
        table.add_column(f"∂/∂x{j}", justify="right")
    for i in range(n_out):
        cells = [str(i) if n_out == n else "·"]
        if n_out == n:
            cells.append(fmt_number(x[i], precision))
        cells.append(fmt_number(y[i], precision))
        cells += [fmt_number(v, precision) for v in J[i]]
        table.add_row(*cells)
    return table


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
        return f"undefined: the derivative of {name} is not finite at this input"
    if r == 0 and v == 0:
        return f"zero: {name} is piecewise constant, so no gradient flows through it"
    if v == 0:
        return (
            f"exactly 0: {name} is one-hot here, on a flat piece of the map, "
            "so no gradient flows back at all"
        )
    ratio = v / r if r > 0 else np.inf
    if ratio < 1e-3:
        return (
            f"≈ 0: the output of {name} is saturated (nearly one-hot), so gradients "
            "through it vanish: nudging any logit barely moves it"
        )
    if ratio < 0.25:
        return (
            f"small: the output of {name} is peaked; gradients still flow, "
            "but weaker than at uniform input"
        )
    return f"healthy: the output of {name} is spread out and gradients flow freely"


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
) -> Group:
    """The Jacobian (full up to :data:`MAX_FULL` entries, else its diagonal), a summary and a meaning.

    ``gini`` is ``1 − Σp²`` for mappings whose output is a distribution (None
    otherwise): for softmax it equals the half L1 norm.
    """
    n_out, n = J.shape
    heading = title or f"Jacobian of {name}: row i, column j is ∂{name}_i/∂x_j"
    parts: list = []
    extra: list[tuple[str, str]] = []
    if n <= MAX_FULL:
        parts.append(jacobian_table(x, y, J, precision, name=name, title=heading))
    else:
        if n_out == n:
            diag = np.diagonal(J)
            off = J - np.diag(diag)
            parts.append(
                vector_table(
                    x,
                    {name: y, "∂y_i/∂x_i": diag},
                    precision,
                    title=f"{heading} (n = {n}: the diagonal)",
                )
            )
            extra.append(("largest |off-diagonal entry|", fmt_number(np.abs(off).max(), precision)))
        else:
            parts.append(
                vector_table(x, {f"∂{name}/∂x_i": J[0]}, precision, title=f"gradient of {name}")
            )
        extra.append(("n", str(n)))
    parts.append(_summary(half_l1, gini, reference, precision, extra))
    parts.append(Text(f"meaning: {sensitivity_meaning(half_l1, reference, name)}"))
    return Group(*parts)


def jvp_view(
    x: np.ndarray, v: np.ndarray, jv: np.ndarray, *, name: str, precision: int
) -> Table:
    """``J·v`` beside ``x`` and ``v`` (one number for a reduction)."""
    if jv.ndim == 0 or jv.shape[0] != x.shape[0]:
        return scalar_table(
            [(f"J·v  (directional derivative of {name})", fmt_number(float(jv), precision))]
        )
    return vector_table(
        x, {"v": v, "J·v": jv}, precision, title=f"Jacobian-vector product of {name}"
    )


def loss_view(
    x: np.ndarray,
    grad: np.ndarray,
    loss: float,
    *,
    name: str,
    target: int,
    gradient: str,
    precision: int,
) -> Group:
    """The loss value and its gradient beside the logits, with the gradient's formula."""
    head = scalar_table([(f"{name} loss  (target class {target})", fmt_number(loss, precision))])
    table = vector_table(x, {"∂L/∂x": grad}, precision, title=f"gradient: {gradient}")
    return Group(head, table)


def check_line(worst: dict[str, float], limit: float, dps: int) -> Text:
    """``check against the oracle: ... ok`` (or ``FAILED``), naming each measured error."""
    parts = [f"{what} {val:.3g} ULP" for what, val in worst.items()]
    ok = all(v <= limit for v in worst.values())
    verdict = "ok" if ok else "FAILED"
    return Text(
        f"check against the mpmath oracle ({dps} digits): worst error "
        f"{'; '.join(parts)} (limit --max-ulp {limit:g}): {verdict}",
        style=None if ok else "bold red",
    )
