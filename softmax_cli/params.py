"""Checks for the parameters of the mappings, shared by the library and the registry.

Each ``check_*`` returns the value, converted, or raises
:class:`~softmax_cli.errors.SoftmaxInputError` with a message that names the
parameter, the rule and the value given. The library functions call them, and
the registry calls the same ones, so the command line and the library agree.
"""

from __future__ import annotations

import math

from .errors import SoftmaxInputError, real_number


def check_alpha(alpha: float) -> float:
    """``alpha`` of entmax: a finite number ≥ 1.

    Examples
    --------
    >>> check_alpha(1.5)
    1.5
    """
    a = real_number(alpha, "a number >= 1", "alpha")
    if not (math.isfinite(a) and a >= 1):
        raise SoftmaxInputError(
            f"{{param}} must be a finite number >= 1, got {alpha!r}", param="alpha"
        )
    return a


def _whole(value: object) -> bool:
    """Whether ``value`` is an integer (an int, or a float with no fraction); not a bool or str."""
    if isinstance(value, (bool, str, bytes)):
        return False
    try:
        return float(value).is_integer()  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def check_top_k(k: int | None) -> int | None:
    """``k`` of top-k sparse softmax: ``None`` or an integer ≥ 1."""
    if k is None:
        return None
    if not _whole(k) or k < 1:  # type: ignore[operator]
        raise SoftmaxInputError(
            f"{{param}} must be an integer >= 1, got {k!r}", param="k", label="k (top-k)"
        )
    return int(k)  # type: ignore[call-overload]


def check_top_p(p: float | None) -> float | None:
    """``p`` of top-p (nucleus) sparse softmax: ``None`` or a number in (0, 1]."""
    if p is None:
        return None
    v = real_number(p, "a number in (0, 1]", "p", label="p (top-p)")
    if not (0 < v <= 1):
        raise SoftmaxInputError(
            f"{{param}} must be in (0, 1], got {p!r}", param="p", label="p (top-p)"
        )
    return v


#: Highest Taylor order: the cost grows faster than the order (order 10 000 takes a minute
#: for 1000 logits), and the negative-side kernel's y^{k+1} is held in float64 up to k = 1022;
#: up to this order the result is within 1 ULP of 1.0 (issue 19).
MAX_ORDER = 1000


def check_order(order: int) -> int:
    """``order`` of Taylor softmax: an even integer from 2 to :data:`MAX_ORDER`.

    Odd orders can go negative.
    """
    if not _whole(order) or order < 2 or order % 2:  # type: ignore[operator]
        raise SoftmaxInputError(
            f"{{param}} must be an even integer >= 2, got {order!r}", param="order"
        )
    if order > MAX_ORDER:  # type: ignore[operator]
        raise SoftmaxInputError(
            f"{{param}} must be at most {MAX_ORDER}, got {order!r}: higher orders take minutes "
            "and are past what the kernel keeps accurate",
            param="order",
        )
    return int(order)  # type: ignore[call-overload]


NOISES = ("normal", "gumbel")


def check_noise(noise: str) -> str:
    """``noise`` of perturb-max: ``normal`` or ``gumbel``."""
    if noise not in NOISES:
        raise SoftmaxInputError(
            f"{{param}} must be one of {', '.join(NOISES)}, got {noise!r}", param="noise"
        )
    return noise


def check_seed(seed: int | None) -> int | None:
    """``seed`` of the stochastic mappings: ``None`` (fresh entropy) or an integer ≥ 0."""
    if seed is None:
        return None
    if not _whole(seed) or seed < 0:  # type: ignore[operator]
        raise SoftmaxInputError(f"{{param}} must be an integer >= 0, got {seed!r}", param="seed")
    return int(seed)  # type: ignore[call-overload]
