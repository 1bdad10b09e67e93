"""Exception types raised by the library.

Every error the library raises on bad input is a :class:`SoftmaxInputError`, a
subclass of :class:`ValueError`, so callers can catch it without catching
programming errors.

An error about one parameter says which (``err.param``, its library name) and
writes ``{param}`` in its message where the parameter is named. The library's
text names it as the library does (``steps must be ...``); the command line
names it by its flag (``--steps must be ...``) through :meth:`SoftmaxInputError.naming`.
No library message spells a command-line flag itself.
"""

from __future__ import annotations

from collections.abc import Callable


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

    def __init__(self, message: str, *, param: str | None = None, label: str | None = None):
        self.template = message
        self.param = param
        self.label = label if label is not None else param
        super().__init__(self._fill(self.label))

    def _fill(self, name: str | None) -> str:
        if self.param is None or name is None:
            return self.template
        return self.template.replace("{param}", name)

    def naming(self, flag_of: Callable[[str], str | None]) -> str:
        """The message with the parameter named by ``flag_of(param)`` (its flag, on the CLI).

        Where ``flag_of`` knows no name for it, the library's own name is kept.
        """
        flag = flag_of(self.param) if self.param is not None else None
        return self._fill(flag) if flag else str(self)
