"""The vector typed on the command line: :func:`parse_arguments`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError, _TokenError
from .numbers import _LABEL_HINT, _float_dtype, _parse_token, _split_ws


def parse_arguments(tokens: list[str], dtype: Any = np.float64) -> np.ndarray:
    """The vector typed on the command line.

    Each argument holds one or more values separated by commas and/or
    whitespace; a leading or trailing comma is allowed (``"1," "2"``), and a
    surrounding ``[...]`` is dropped, so a JSON array pastes in.

    Parameters
    ----------
    tokens : list of str
        The arguments, e.g. ``["1", "2", "3"]``, ``["1,2,3"]`` or ``["-1000", "-2000"]``.
    dtype : dtype, default float64
        Float dtype of the result.

    Returns
    -------
    numpy.ndarray
        One 1-D vector.

    Raises
    ------
    InputError
        ``"argument 2: 'abc' is not a number; ..."`` and the like.

    Examples
    --------
    >>> parse_arguments(["1", "2", "3"])
    array([1., 2., 3.])
    >>> parse_arguments(["1,", "2"]).tolist(), parse_arguments(["1,2,3"]).tolist()
    ([1.0, 2.0], [1.0, 2.0, 3.0])
    >>> parse_arguments(["−1.5", "2e-3"]).tolist()  # U+2212 MINUS SIGN reads as '-'
    [-1.5, 0.002]
    >>> try:
    ...     parse_arguments(["1", "abc"])
    ... except InputError as err:
    ...     print(err.reason[:33])
    argument 2: 'abc' is not a number
    """
    dt = _float_dtype(dtype)
    args = list(tokens)
    values: list[Any] = []
    for number, arg in enumerate(args, 1):
        text = arg
        if number == 1 and text.lstrip().startswith("["):
            text = text.lstrip()[1:]
        if number == len(args) and text.rstrip().endswith("]"):
            text = text.rstrip()[:-1]
        parts = text.split(",")
        pieces: list[str] = []
        for k, part in enumerate(parts):
            words = _split_ws(part)
            if not words and 0 < k < len(parts) - 1:
                raise InputError(
                    f"argument {number}: empty value between commas in {arg!r}; "
                    f"write a number (or nan) there",
                    token=arg,
                )
            pieces.extend(words)
        if not pieces and len(parts) == 1:
            raise InputError(f"argument {number} is empty; give a number", token=arg)
        for k, piece in enumerate(pieces, 1):
            try:
                values.append(_parse_token(piece, dt))
            except _TokenError as err:
                where = f"argument {number}"
                if len(pieces) > 1:
                    where += f", value {k}"
                reason = err.reason.replace(_LABEL_HINT, "")  # no columns on a command line
                raise InputError(f"{where}: {reason}", token=piece) from None
    if not values:
        raise InputError("no values given; pass numbers such as 1 2 3 or 1,2,3")
    return np.array(values, dtype=dt)
