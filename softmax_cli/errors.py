"""Exception types raised by the library.

Every error the library raises on bad input is a :class:`SoftmaxInputError`, a
subclass of :class:`ValueError`, so callers can catch it without catching
programming errors.

An error about one parameter says which (``err.param``, its library name) and
writes ``{param}`` in its message where the parameter is named (other parameters
a hint names are written ``{name}`` and listed in ``err.also``). The library's
text names it as the library does (``steps must be ...``); the command line
names it by its flag (``--steps must be ...``) through :meth:`SoftmaxInputError.naming`.
No library message spells a command-line flag itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class SoftmaxInputError(ValueError):
    """Input the library cannot map: empty vector, 0-d array, bad axis or parameter.

    Parameters
    ----------
    message : str
        One line saying what is wrong, where, and how to fix it. ``{param}`` in
        it stands for the parameter's name.
    param : str, optional
        The library name of the parameter the error is about (``"steps"``,
        ``"target"``, ``"alpha"``, ...), or None for an error about the data.
    label : str, optional
        How the library names the parameter in ``str(err)`` (default ``param``).
    also : tuple of str
        Other parameters the message names (a hint such as "make it the id column"),
        each written ``{name}`` in it; they do not make the error about them. ``{param}``
        is its first occurrence and each ``{name}`` its last, so user text between them
        (a token, a path) is never rewritten.

    Examples
    --------
    >>> from softmax_cli import softmax, SoftmaxInputError
    >>> try:
    ...     softmax([])
    ... except SoftmaxInputError as err:
    ...     print(err)
    cannot map an empty vector (axis -1 has length 0)
    >>> err = SoftmaxInputError("{param} must be at least 2, got 1", param="steps")
    >>> str(err), err.param
    ('steps must be at least 2, got 1', 'steps')
    >>> err.naming({"steps": "--steps"}.get)
    '--steps must be at least 2, got 1'
    """

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        label: str | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        self.template = message
        self.param = param
        self.label = label if label is not None else param
        self.also = tuple(also)
        super().__init__(self._fill(lambda name: None))

    def _fill(self, flag_of: Callable[[str], str | None]) -> str:
        # The parameter is named first and a hint's names come last; user text (a bad
        # token, a path) sits between them, so it is never rewritten even if it holds braces.
        text = self.template
        if self.param is not None:
            text = text.replace("{param}", flag_of(self.param) or self.label or self.param, 1)
        for name in self.also:
            head, mark, tail = text.rpartition("{" + name + "}")
            if mark:
                text = head + (flag_of(name) or name) + tail
        return text

    def naming(self, flag_of: Callable[[str], str | None]) -> str:
        """The message with each parameter named by ``flag_of(name)`` (its flag, on the CLI).

        Where ``flag_of`` knows no name for one, the library's own name is kept.
        """
        return self._fill(flag_of)


class LossOfPrecisionWarning(RuntimeWarning):
    """A result that may have lost digits, with the condition number that says how many.

    Issued by :func:`~softmax_cli.logsumexp` for a signed sum that cancels in a
    vector too long to be summed again exactly (see :mod:`softmax_cli._signedlse`).
    """


def real_number(value: object, rule: str, param: str, label: str | None = None) -> float:
    """``value`` as a Python float, or :class:`SoftmaxInputError` saying ``{param} must be {rule}``.

    Every numeric parameter of the library goes through here, so all refuse
    the same things: a ``bool`` (``True`` is not the number 1 here: ``k=True``
    and ``temperature=True`` are both refused), anything ``float()`` cannot
    read, and a ``longdouble`` that float64 cannot hold exactly (the kernels
    take their parameters as float64; rounding one silently would change the
    number: a τ of 1/3 in longdouble is 2222 ULP of longdouble away from its
    float64 rounding).

    Examples
    --------
    >>> real_number(0.5, "a number", "temperature")
    0.5
    >>> real_number(True, "a number > 0", "temperature")
    Traceback (most recent call last):
    ...
    softmax_cli.errors.SoftmaxInputError: temperature must be a number > 0, got True
    """
    if isinstance(value, (bool, np.bool_)):
        raise SoftmaxInputError(
            f"{{param}} must be {rule}, got {value!r}", param=param, label=label
        )
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise SoftmaxInputError(
            f"{{param}} must be {rule}, got {value!r}", param=param, label=label
        ) from None
    if isinstance(value, np.longdouble) and np.isfinite(value) and np.longdouble(v) != value:
        raise SoftmaxInputError(
            f"{{param}} must be {rule} that float64 holds exactly, got the longdouble {value!r} "
            "(the kernels take it as float64: round it yourself, e.g. float(value))",
            param=param,
            label=label,
        )
    return v


class OracleUnsure(ArithmeticError):
    """The mpmath oracle cannot vouch for its answer at any precision it is willing to use.

    Raised by an oracle twin (e.g. Taylor softmax at a high order under heavy
    cancellation) instead of answering; the CLI reports it as one line, exit status 1.
    """
