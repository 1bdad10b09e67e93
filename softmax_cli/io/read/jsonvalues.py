"""JSON values as numbers: the decoders and what a row element may be.

Two decoders: the exact one keeps every number literal as its text (:class:`_Num`,
for longdouble and to tell ``1e400`` from ``Infinity``), the fast one parses floats
in C and keeps integers as text. :func:`_json_value` turns one element into a
number or raises the token-level error that says why it is not one.

Examples
--------
>>> import numpy as np
>>> row = _DECODER.decode('[1, 2.5, "nan"]')
>>> [_json_kind(v) for v in row]
['number', 'number', 'string']
>>> [_json_value(v, np.dtype(np.float64)) for v in row]
[1.0, 2.5, nan]
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .errors import InputError, _TokenError
from .numbers import _SPECIAL_WORDS, _in_range, _number_like, _overflow, _parse_token


class _Num(str):
    """The text of a JSON number literal (or NaN/Infinity constant), parsed later."""

    __slots__ = ()


# exact: every number kept as its literal text (longdouble; telling 1e400 from Infinity)
class _Decoder(json.JSONDecoder):
    """json's decoder; arrays nested past Python's recursion limit are a syntax error."""

    def raw_decode(self, s: str, idx: int = 0) -> tuple[Any, int]:
        try:
            return super().raw_decode(s, idx)
        except RecursionError:
            raise json.JSONDecodeError("arrays or objects nested too deeply", s, idx) from None


_DECODER = _Decoder(parse_float=_Num, parse_int=_Num, parse_constant=_Num)
# fast: floats parsed in C; integers kept as text (ids as written, -0 keeps its sign)
_FAST_DECODER = _Decoder(parse_int=_Num)
_INF = float("inf")
_NINF = -_INF


def _has_inf(value: Any) -> bool:
    """Whether a fast-decoded value holds an infinity (an Infinity literal or an overflow)."""
    if type(value) is list:
        return _INF in value or _NINF in value
    if type(value) is dict:
        values = value.values()
        return _INF in values or _NINF in values
    return type(value) is float and value in (_INF, _NINF)


def _exact_infinities(values: list[Any], texts: list[str]) -> None:
    """Decode again exactly, from ``texts[k]``, each fast-decoded ``values[k]`` with an infinity.

    An infinity from the fast decoder is an Infinity literal or an overflow
    (``1e400``); the exact decoder keeps the number's text to tell them apart.
    """
    for k, value in enumerate(values):
        if _has_inf(value):
            values[k] = _DECODER.decode(texts[k])


def _json_kind(value: Any) -> str:
    if isinstance(value, _Num):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    return "object"


def _json_text(value: Any) -> str:
    """An id or header name from a JSON value: strings untouched, others as JSON text."""
    if isinstance(value, str):  # _Num included: the literal as written
        return str(value)
    try:
        return json.dumps(value)
    except RecursionError:  # decodable, but too deep for the encoder (~1000 levels)
        raise InputError(
            "an id or column name is an array or object nested too deeply to pass through; "
            "give ids as strings or numbers"
        ) from None


def _json_value(value: Any, dt: np.dtype) -> Any:
    """One JSON row element as a number; raises _TokenError."""
    if type(value) is float:  # decoded in C (finite, or NaN)
        if dt.itemsize < 8:
            with np.errstate(over="ignore", invalid="ignore"):  # float8_e4m3fn: nan, no inf
                if not np.isfinite(dt.type(value)) and np.isfinite(value):
                    raise _overflow(json.dumps(value), dt)
        return value
    if type(value) is _Num:
        text = str(value)  # a JSON number literal, NaN or [-]Infinity: float() takes them all
        return _in_range(text, text, float(text), dt, spelled_inf=text.lstrip("-") == "Infinity")
    if isinstance(value, str):
        if value.strip().lower() in _SPECIAL_WORDS:
            return _parse_token(value, dt)
        hint = (
            "write the number without quotes"
            if _number_like(value) and value.strip()
            else (
                "JSON strings may only spell nan, inf or -inf; name a label column as the id column"
            )
        )
        raise _TokenError(f"{json.dumps(value)[:40]} is a string, not a number; {hint}", value)
    kind = _json_kind(value)
    hint = 'write "nan" for a missing value' if kind == "null" else "write a number"
    raise _TokenError(
        f"{kind if kind in ('null', 'true', 'false') else 'an ' + kind} is not a number; {hint}",
        kind,
    )
