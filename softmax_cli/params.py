"""Checks for the parameters of the mappings, shared by the library and the registry.

Each ``check_*`` returns the value, converted, or raises
:class:`~softmax_cli.errors.SoftmaxInputError` with a message that names the
parameter, the rule and the value given. The library functions call them, and
the registry calls the same ones, so the command line and the library agree.
"""

from __future__ import annotations

import math

from .errors import SoftmaxInputError


def check_alpha(alpha: float) -> float:
    """``alpha`` of entmax: a finite number ≥ 1.

    Examples
    --------
    >>> check_alpha(1.5)
    1.5
    """
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise SoftmaxInputError(f"alpha must be a number >= 1, got {alpha!r}") from None
    if not (math.isfinite(a) and a >= 1):
        raise SoftmaxInputError(f"alpha must be a finite number >= 1, got {alpha!r}")
    return a


def check_top_k(k: int | None) -> int | None:
    """``k`` of top-k sparse softmax: ``None`` or an integer ≥ 1."""
    if k is None:
        return None
    if isinstance(k, bool) or not float(k).is_integer() or k < 1:
        raise SoftmaxInputError(f"k (top-k) must be an integer >= 1, got {k!r}")
    return int(k)


def check_top_p(p: float | None) -> float | None:
    """``p`` of top-p (nucleus) sparse softmax: ``None`` or a number in (0, 1]."""
    if p is None:
        return None
    try:
        v = float(p)
    except (TypeError, ValueError):
        raise SoftmaxInputError(f"p (top-p) must be a number in (0, 1], got {p!r}") from None
    if not (0 < v <= 1):
        raise SoftmaxInputError(f"p (top-p) must be in (0, 1], got {p!r}")
    return v


def check_order(order: int) -> int:
    """``order`` of Taylor softmax: an even integer ≥ 2 (odd orders can go negative)."""
    if isinstance(order, bool) or not float(order).is_integer() or order < 2 or order % 2:
        raise SoftmaxInputError(f"order must be an even integer >= 2, got {order!r}")
    return int(order)


NOISES = ("normal", "gumbel")


def check_noise(noise: str) -> str:
    """``noise`` of perturb-max: ``normal`` or ``gumbel``."""
    if noise not in NOISES:
        raise SoftmaxInputError(f"noise must be one of {', '.join(NOISES)}, got {noise!r}")
    return noise


def check_seed(seed: int | None) -> int | None:
    """``seed`` of the stochastic mappings: ``None`` (fresh entropy) or an integer ≥ 0."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not float(seed).is_integer() or seed < 0:
        raise SoftmaxInputError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)
