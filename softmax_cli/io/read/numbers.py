"""The token grammar: which text is a number, in which dtype, and why not.

One token at a time (:func:`_parse_token`, the exact path that names the problem)
and the whole-array helpers the fast paths share (:func:`_long_values`,
:func:`_cast_checked`). Also how fields split on whitespace: only ASCII
whitespace separates; a no-break or thin space stays inside its field.

Examples
--------
>>> import numpy as np
>>> _parse_token(" -2.5 ", np.dtype(np.float64))
-2.5
>>> try:
...     _parse_token("1_000", np.dtype(np.float64))
... except _TokenError as err:
...     print(err.reason)
'1_000' is not a number: '_' digit separators are not accepted; write 1000
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ...floats import DTYPE_NAMES, finfo, is_float_dtype
from .errors import InputError, _TokenError
from .textround import midpoints, nudge, round_once

_ASCII_WS_RE = re.compile(r"[ \t\n\r\f\v]+")
# whitespace that str.split() and numpy split on, yet no delimiter: 1\u00a0000 is 1000 written
# with a no-break space (a thousands separator), never the two values 1 and 0
_FOREIGN_SPACE_RE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_MISSING_WORDS = frozenset({"na", "n/a", "null", "none", "nil", "missing", "?", "-", "."})
_INF_WORDS = frozenset({"inf", "infinity"})
_SPECIAL_WORDS = frozenset(
    sign + word for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")
)


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or not is_float_dtype(dt):
        raise InputError(f"dtype must be a floating type ({', '.join(DTYPE_NAMES)}), not {dtype!r}")
    return dt


def _dtype_name(dt: np.dtype) -> str:
    if dt == np.dtype(np.longdouble) and dt.itemsize > 8:
        return "longdouble"
    return dt.name


def _largest(dt: np.dtype) -> str:
    big = finfo(dt).max  # longdouble's would overflow a float; ml_dtypes' is no np.floating
    big = big if isinstance(big, np.floating) else float(big)
    text = np.format_float_scientific(big, precision=1)
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def _show(token: str) -> str:
    token = token.strip()
    if len(token) > 40:
        token = token[:37] + "..."
    return repr(token)


def _describe_char(ch: str) -> str:
    return f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"


_LABEL_HINT = "; if the column holds labels, make it the id column ({id_column})"


def _not_a_number(token: str) -> _TokenError:
    s = token.strip()
    if s.lower() in _MISSING_WORDS:
        hint = "write nan for a missing value"
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", s):  # 1,000: thousands, or a decimal comma?
        hint = f"write {s.replace(',', '')} (no thousands separator) or the decimal point as '.'"
    elif re.fullmatch(r"[+-]?\d+,\d+", s):
        hint = "write the decimal point as '.'"
    elif any(sep in s for sep in ";|"):
        sep = next(sep for sep in ";|" if sep in s)
        hint = (
            f"separate values with commas, tabs or spaces, not {sep!r}, or name it ({{delimiter}})"
        )
    else:
        hint = "write numbers like 1.5, -2e-3, inf or nan" + _LABEL_HINT
    return _TokenError(f"{_show(token)} is not a number; {hint}", token)


def _overflow(token: str, dt: np.dtype) -> _TokenError:
    if dt.name == "float8_e4m3fn":  # no infinity to write instead
        return _TokenError(
            f"{_show(token)} is beyond float8_e4m3fn (largest 448, and it has no infinity); "
            f"scale the values, or use dtype float8_e5m2 or bfloat16",
            token,
        )
    return _TokenError(
        f"{_show(token)} overflows {_dtype_name(dt)} (largest ≈ {_largest(dt)}); "
        f"write inf if you mean it",
        token,
    )


def _parse_token(token: str, dt: np.dtype) -> Any:
    """One number in the accepted syntax, as a Python float (or np.longdouble).

    Raises _TokenError with a one-line reason for anything else.
    """
    s = token.strip()
    if not s:
        raise _TokenError(
            "empty value; write a number (or nan) there, or remove the extra delimiter", token
        )
    if not s.isascii():
        s = s.replace("\u2212", "-")
        if not s.isascii():
            ch = next(c for c in s if not c.isascii())
            if "\udc80" <= ch <= "\udcff":
                raise _TokenError(
                    f"byte 0x{ord(ch) - 0xDC00:02x} is not UTF-8 text; save the input as UTF-8",
                    token,
                )
            try:
                float(s)
            except ValueError:
                if unicodedata.category(ch) == "Pd" and _float_like(s.replace(ch, "-")):
                    raise _TokenError(
                        f"{_show(token)} is not a number: {_describe_char(ch)} is not a minus "
                        f"sign; write '-'",
                        token,
                    ) from None
                bare = s.replace(ch, "")  # 1\u00a0000 (a no-break space), 1\u200b
                spacing = unicodedata.category(ch) in ("Zs", "Cf")
                if spacing and bare.isascii() and _float_like(bare):
                    apart = ", or separate values with ASCII spaces" if ch.isspace() else ""
                    raise _TokenError(
                        f"{_show(token)} is not a number: it contains {_describe_char(ch)}; "
                        f"write {bare}{apart}",
                        token,
                    ) from None
                raise _not_a_number(token) from None
            raise _TokenError(
                f"{_show(token)} is not a number: it contains {_describe_char(ch)}; "
                f"write plain ASCII digits 0-9",
                token,
            )
    if "_" in s:
        try:
            float(s)
        except ValueError:
            raise _not_a_number(token) from None
        raise _TokenError(
            f"{_show(token)} is not a number: '_' digit separators are not accepted; "
            f"write {s.replace('_', '')}",
            token,
        )
    try:
        value = float(s)
    except ValueError:
        raise _not_a_number(token) from None
    return _in_range(token, s, value, dt, spelled_inf=s.lower().lstrip("+-") in _INF_WORDS)


def _in_range(token: str, text: str, value: float, dt: np.dtype, *, spelled_inf: bool) -> Any:
    """The number literal ``text`` (``value`` is ``float(text)``) within the range of ``dt``.

    Returns ``value``, or ``np.longdouble(text)`` at full precision for longdouble.
    A literal beyond the dtype's largest finite value raises the overflow
    _TokenError (about ``token``) unless it spells an infinity (``spelled_inf``).

    Examples
    --------
    >>> _in_range("1e39", "1e39", 1e39, np.dtype(np.float64), spelled_inf=False)
    1e+39
    >>> try:
    ...     _in_range("1e39", "1e39", 1e39, np.dtype(np.float32), spelled_inf=False)
    ... except _TokenError as err:
    ...     print(err.reason)
    '1e39' overflows float32 (largest ≈ 3.4e38); write inf if you mean it
    """
    if dt.itemsize > 8:  # longdouble: full precision, its own range
        with warnings.catch_warnings(), np.errstate(over="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            long_value = np.longdouble(text)
        if np.isinf(long_value) and not spelled_inf:
            raise _overflow(token, dt)
        return long_value
    if value in (np.inf, -np.inf):
        if not spelled_inf or dt.name == "float8_e4m3fn":
            raise _overflow(token, np.dtype(np.float64) if dt.itemsize == 8 else dt)
    elif dt.itemsize < 8:
        if midpoints(np.float64(value), dt):  # rounded once from the text, not via float64
            value = nudge(value, text)
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.isfinite(dt.type(value)) and not np.isnan(value):
                raise _overflow(token, dt)
    return value


def _split_ws(text: str) -> list[str]:
    """Fields between ASCII whitespace; a no-break or thin space stays inside its field."""
    if text.isascii():
        return text.split()
    return [w for w in _ASCII_WS_RE.split(text) if w]


def _float_like(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number_like(token: str) -> bool:
    """Header detection: does ``token`` read as a number at all (empty counts as one)?"""
    s = token.strip().replace("\u2212", "-")
    if not s:
        return True
    try:
        float(s)
    except ValueError:
        return False
    return True


def _long_values(tokens: np.ndarray) -> np.ndarray:
    """Validated number tokens to longdouble, at full precision."""
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.char.strip(tokens).astype(np.longdouble)


def _cast_checked(
    values: np.ndarray, dt: np.dtype, token_at: Callable[[int, int], str]
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """float64 -> dt; also the first (row, col) that overflowed in the cast, if any.

    ``values`` were parsed from text; ``token_at(row, col)`` gives the text of one, and
    is asked only where the text must decide the rounding (see :mod:`.textround`), so
    the values are rounded once from their text to ``dt``.
    """
    if dt == values.dtype:
        return values, None
    values = round_once(values, dt, token_at)
    with np.errstate(over="ignore", invalid="ignore"):
        out = values.astype(dt)
    # an overflow is inf, or nan in float8_e4m3fn (which has no infinity, so inf is one too)
    finite = np.isfinite(values) if dt.name != "float8_e4m3fn" else ~np.isnan(values)
    bad = ~np.isfinite(out) & finite
    if bad.any():
        r, c = np.argwhere(bad)[0]
        return out, (int(r), int(c))
    return out, None
