"""Parameter checks of the logit processors, shared by the registry's ``Param.check`` and them.

Each takes a value as given (a number, or text from the command line) and returns it
converted, or raises :class:`~softmax_cli.errors.SoftmaxInputError` naming the
parameter (``{param}``), never a command-line flag.

Examples
--------
>>> check_top_k(3.0), check_unit("top_p")(0.5)
(3, 0.5)
"""

from __future__ import annotations

import math
from typing import Any

from .errors import SoftmaxInputError, real_number

__all__ = [
    "check_additive",
    "check_bias",
    "check_min_keep",
    "check_min_p",
    "check_penalty",
    "check_sigma",
    "check_temperature",
    "check_temperature_setting",
    "check_top_k",
    "check_unit",
]


def _number(value: Any, param: str, rule: str, ok) -> float:
    v = real_number(value, rule, param)
    if not ok(v):
        raise SoftmaxInputError(f"{{param}} must be {rule}, got {value!r}", param=param)
    return v


def check_temperature(t: Any) -> float:
    """``temperature``: a finite number > 0 (a preset decides what 0 means)."""
    return _number(t, "temperature", "a finite number > 0", lambda v: 0 < v < math.inf)


def check_temperature_setting(t: Any) -> float:
    """``temperature`` as a setting: a finite number >= 0 (0: greedy, where a preset allows)."""
    return _number(t, "temperature", "a finite number >= 0", lambda v: 0 <= v < math.inf)


def check_top_k(k: Any) -> int:
    """``top_k``: an integer ≥ 1."""
    v = _number(k, "top_k", "an integer >= 1", lambda v: v >= 1 and float(v).is_integer())
    return int(v)


def check_unit(param: str, *, closed: bool = True):
    """A check for a probability-like parameter: in (0, 1] (``closed``) or (0, 1)."""

    def check(value: Any) -> float:
        rule = "a number in (0, 1]" if closed else "a number in (0, 1)"
        return _number(value, param, rule, lambda v: 0 < v <= 1 if closed else 0 < v < 1)

    check.__name__ = f"check_{param}"
    return check


def check_min_p(value: Any) -> float:
    """``min_p``: a number in [0, 1]."""
    return _number(value, "min_p", "a number in [0, 1]", lambda v: 0 <= v <= 1)


def check_sigma(value: Any) -> float:
    """``top_n_sigma``: a finite number > 0."""
    return _number(value, "top_n_sigma", "a finite number > 0", lambda v: 0 < v < math.inf)


def check_min_keep(value: Any) -> int:
    """``min_tokens_to_keep``: an integer ≥ 1."""
    v = _number(value, "min_tokens_to_keep", "an integer >= 1", lambda v: v >= 1 and v.is_integer())
    return int(v)


def check_penalty(value: Any) -> float:
    """``repetition_penalty``: a finite number > 0 (1 = none)."""
    return _number(value, "repetition_penalty", "a finite number > 0", lambda v: 0 < v < math.inf)


def check_additive(param: str):
    """A check for an additive penalty: any finite number."""

    def check(value: Any) -> float:
        return _number(value, param, "a finite number", math.isfinite)

    check.__name__ = f"check_{param}"
    return check


def check_bias(value: Any) -> dict[int, float]:
    """``logit_bias``: a dict token id → finite bias, or text ``"id:bias,id:bias"``.

    Examples
    --------
    >>> check_bias("5:-1.5, 7:2")
    {5: -1.5, 7: 2.0}
    """
    if isinstance(value, dict):
        items = list(value.items())
    else:
        items = []
        for part in str(value).replace(" ", "").split(","):
            tok, sep, b = part.partition(":")
            if not sep:
                raise SoftmaxInputError(
                    f"{{param}} must be 'id:bias,id:bias', got {part!r}", param="logit_bias"
                )
            items.append((tok, b))
    out: dict[int, float] = {}
    for tok, b in items:
        t = _number(tok, "logit_bias", "token ids >= 0", lambda v: v >= 0 and v.is_integer())
        out[int(t)] = _number(b, "logit_bias", "finite biases", math.isfinite)
    return out
