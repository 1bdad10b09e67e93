"""The reader's error types: :class:`InputError` (where and what) and the token-level error.

Examples
--------
>>> from softmax_cli.io.read.errors import InputError
>>> str(InputError("does not exist; check the path", source="x.csv"))
'x.csv does not exist; check the path'
"""

from __future__ import annotations

from ...errors import SoftmaxInputError

#: Options the readers' hints may name (``{id_column}`` in a message): the command line
#: shows their flags, the library their names.
_HINTED = ("id_column", "header", "no_header", "format", "delimiter", "columns")


class InputError(SoftmaxInputError):
    """Bad input text: one line naming where, what, and how to fix it.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it (kept as :attr:`reason`).
    source : str, optional
        Name of the input (a path, ``<stdin>``); prefixes the text.
    line, column : int, optional
        1-based line and column (field) of the problem.
    token : str, optional
        The offending token, kept for callers; the message already shows it.
    also : tuple of str
        Options a hint in the message names as ``{name}`` (see
        :class:`~softmax_cli.errors.SoftmaxInputError`); ``id_column``, ``header`` and
        ``format`` are found by themselves.

    Examples
    --------
    >>> err = InputError("'abc' is not a number", source="logits.csv", line=12, column=3,
    ...                  token="abc")
    >>> print(err)
    logits.csv: line 12, column 3: 'abc' is not a number
    >>> err.line, err.column, err.token, err.reason
    (12, 3, 'abc', "'abc' is not a number")
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        token: str | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.column = column
        self.token = token
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        text = f"{', '.join(where)}: {message}" if where else message
        if source:
            text = f"{source}: {text}" if where else f"{source} {text}"
        text = text.replace("\r", "\\r").replace("\n", "\\n")
        hinted = tuple(n for n in _HINTED if "{" + n + "}" in message)
        super().__init__(text, also=tuple(dict.fromkeys((*also, *hinted))))


class _TokenError(Exception):
    """A token is not an acceptable number; ``reason`` says why (no location)."""

    def __init__(self, reason: str, token: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token
