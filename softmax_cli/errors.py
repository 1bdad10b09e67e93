"""Exception types raised by the library.

Every error the library raises on bad input is a :class:`SoftmaxInputError`, a
subclass of :class:`ValueError`, so callers can catch it without catching
programming errors.
"""

from __future__ import annotations


class SoftmaxInputError(ValueError):
    """Input the library cannot map: empty vector, 0-d array, bad axis or parameter.

    Examples
    --------
    >>> from softmax_cli import softmax, SoftmaxInputError
    >>> try:
    ...     softmax([])
    ... except SoftmaxInputError as err:
    ...     print(err)
    cannot map an empty vector (axis -1 has length 0)
    """
