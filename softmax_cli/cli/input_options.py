"""The reading options of every command that reads, declared once.

:func:`with_input_options` gives a command ``--header/--no-header``, ``--id-column``,
``-c/--columns`` and ``-d/--delimiter`` (right after its ``--input``) and, in the
*Input* panel, ``--input-format`` (its choices are
:data:`~softmax_cli.io.read.formats.INPUT_FORMATS`, the one list of formats),
``--array`` and ``--field``. It keeps what the user gave for
:func:`~softmax_cli.cli.source.open_source`, which passes it to the readers; the
command's own code does not list them (:func:`input_options` reads them where a
command needs one).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import typing
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from ..io.read.formats import INPUT_FORMATS
from .options import ColumnsOpt, DelimiterOpt, HeaderOpt, IdColumnOpt

#: ``--input-format`` values (``auto`` sniffs the first bytes, then the text).
InputFormatName = Enum(  # type: ignore[misc]
    "InputFormatName", {name: name for name in INPUT_FORMATS}, type=str
)

#: the options placed right after the command's ``--input`` (name: annotation, default)
_AFTER_INPUT: dict[str, tuple[Any, Any]] = {
    "header": (HeaderOpt, None),
    "id_column": (IdColumnOpt, None),
    "columns": (ColumnsOpt, None),
    "delimiter": (DelimiterOpt, None),
}
_PANEL = "Input"
#: the options of the *Input* panel, after all the command's own
_OPTIONS: dict[str, tuple[Any, Any]] = {
    "input_format": (
        Annotated[
            InputFormatName,
            typer.Option(
                "--input-format",
                help="Read the input as this format instead of sniffing it (ws = "
                "whitespace-separated; jsonl = JSON lines; arrow = Arrow IPC/Feather).",
                rich_help_panel=_PANEL,
            ),
        ],
        InputFormatName("auto"),
    ),
    "array": (
        Annotated[
            Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
            typer.Option(
                "--array",
                help="The array of a .npz input to read (a file of one array needs none).",
                rich_help_panel=_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "field": (
        Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(
                "--field",
                help="Where each row's vector sits: a key of JSON objects "
                '({"id": ..., "logits": [...]}) or a list column of Parquet/Arrow.',
                rich_help_panel=_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
}

_GIVEN: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "softmax_input_options", default=None
)


def input_options() -> dict[str, Any]:
    """What the running command was given, by the readers' keyword names.

    ``fmt``, ``array``, ``field``, ``header``, ``id_column``, ``columns``, ``delimiter``;
    their defaults outside a command (or for an option the command does not take).

    Examples
    --------
    >>> input_options()["fmt"], input_options()["header"]
    ('auto', None)
    """
    given = _GIVEN.get() or {}
    fmt = given.get("input_format")
    return {
        "fmt": fmt.value if isinstance(fmt, Enum) else (fmt or "auto"),
        "array": given.get("array"),
        "field": given.get("field"),
        **{name: given.get(name) for name in _AFTER_INPUT},
    }


def with_input_options(
    func: Callable[..., Any] | None = None, *, without: tuple[str, ...] = ()
) -> Any:
    """Give the command ``func`` the reading options (see the module's text).

    ``--header``, ``--id-column``, ``--columns``, ``--delimiter`` go right after
    ``func``'s parameter ``input``, ``--input-format``, ``--array``, ``--field`` after
    all the others; ``without`` names options (by parameter name) the command does
    not take. What the user gave is kept, in a context variable, for the duration of
    the call, for :func:`~softmax_cli.cli.source.open_source`.
    """
    if func is None:
        return functools.partial(with_input_options, without=without)
    sig = inspect.signature(func)
    if "input" not in sig.parameters:
        raise TypeError(f"{func.__name__} has no parameter 'input' to put the options after")
    hints = typing.get_type_hints(func, include_extras=True)

    def declared(options: dict[str, tuple[Any, Any]]) -> list[inspect.Parameter]:
        return [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
            for n, (a, d) in options.items()
            if n not in without
        ]

    params = []
    for n, p in sig.parameters.items():
        params.append(
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(n, p.annotation))
        )
        if n == "input":
            params += declared(_AFTER_INPUT)
    params += declared(_OPTIONS)
    names = [n for n in (*_AFTER_INPUT, *_OPTIONS) if n not in without]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        given = {n: kwargs.pop(n, None) for n in names}
        token = _GIVEN.set(given)
        try:
            return func(**kwargs)
        finally:
            _GIVEN.reset(token)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must see the new signature, not func's
    return wrapper
