"""The verdict: a few plain sentences on what each implementation did and why."""

from __future__ import annotations

import math

import numpy as np

from ...floats import finfo
from .formatting import _g, dtype_name, format_kappa, format_ulp
from .limits import LOST_ULP
from .results import Comparison
from .tracer import Step


def _where(cmp: Comparison, i: int) -> str:
    return "" if cmp.scalar else f" (entry {i})"


def _verdict(cmp: Comparison, stories: dict[str, list[Step]]) -> list[str]:
    """One sentence per implementation, then one on the conditioning."""
    if np.isnan(cmp.x).any():
        return [
            "x holds a nan: the oracle's answer is nan too, and every implementation "
            "that returns nan is right."
        ]
    lines = []
    name = dtype_name(cmp.dtype)
    tiny = finfo(cmp.dtype).smallest_subnormal
    kappa = cmp.condition
    for r in cmp.results:
        story = stories.get(r.name, [])
        if r.failed:
            i = int(np.argmax(np.where(r.wrong, r.ulp, -1)))
            told = "; then ".join(s.note for s in story if s.note)
            tail = ""
            if np.isfinite(r.ulp[i]):
                tail = f"error {format_ulp(r.ulp[i])} ULP{_where(cmp, i)}"
                if kappa is not None and np.isfinite(kappa[i]):
                    k = format_kappa(max(kappa[i], 1))
                    tail += f", more than the conditioning explains (κ ≈ {k})"
                elif kappa is None:
                    tail += f", above {LOST_ULP:g} ULP"
            lines.append(f"{r.label}: " + "; ".join(t for t in (told, tail) if t) + ".")
            continue
        parts = []
        if r.name == "naive":
            fine = "fine here: " if r.worst <= LOST_ULP else ""
            parts.append(f"{fine}no exp(x_i) overflows {name} and their sum is not 0")
        elif r.name == "shifted":
            m = np.max(cmp.x) / cmp.dtype.type(cmp.temperature)
            parts.append(
                f"subtracting the max ({_g(m)}) makes every exponent ≤ 0 and one of "
                "them 0: no exp overflows and the sum is at least 1"
            )
        if any("underflow" in f for f in r.flags):
            parts.append(
                f"the 0s are right: the true values are below {name}'s smallest "
                f"positive number, {_g(tiny)}"
            )
        i = r.worst_index
        parts.append(
            f"worst error {format_ulp(r.worst)} ULP" + (_where(cmp, i) if r.worst > 0 else "")
        )
        if r.worst > LOST_ULP and kappa is not None:
            parts.append(f"within what the conditioning allows (κ ≈ {format_kappa(kappa[i])})")
            if story and story[-1].event == "rounded":
                parts.append("it is the rounding of x − m, magnified by exp")
        lines.append(f"{r.label}: " + "; ".join(parts) + ".")
    if kappa is not None and np.isfinite(kappa).all():
        lines.append(_condition_sentence(cmp))
    return lines


def _condition_sentence(cmp: Comparison) -> str:
    k = float(np.max(cmp.condition))
    at = _where(cmp, int(np.argmax(cmp.condition)))
    eps = float(finfo(cmp.dtype).eps)
    if k == 0:
        return "condition: κ = 0: the result does not change with the inputs' last bits."
    if k <= 10:
        return (
            f"condition: κ ≤ {format_kappa(k)}{at}: well-conditioned, so an error above a few ULP "
            "is the algorithm's."
        )
    if k < 1 / math.sqrt(eps):
        return (
            f"condition: κ up to {format_kappa(k)}{at}: rounding the inputs alone could move the "
            f"result by about {format_ulp(k / 2)} ULP; errors far above that are the "
            "algorithm's."
        )
    return (
        f"condition: κ ≈ {format_kappa(k)}{at}: ill-conditioned; changing the inputs in their last "
        f"bit moves the result by ~{format_ulp(k / 2)} ULP, so large errors here are the "
        "problem's, not the algorithm's."
    )
