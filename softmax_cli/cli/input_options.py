"""``--input-format``, ``--array`` and ``--field``: the input options of every command that reads.

:func:`with_input_formats` adds the three options to a command (its choices are
:data:`~softmax_cli.io.read.formats.INPUT_FORMATS`, the one list of formats) and keeps
what the user gave for :func:`~softmax_cli.cli.source.open_source`, which passes it to
the readers; the command's own code does not see them.
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

#: ``--input-format`` values (``auto`` sniffs the first bytes, then the text).
InputFormatName = Enum(  # type: ignore[misc]
    "InputFormatName", {name: name for name in INPUT_FORMATS}, type=str
)

_PANEL = "Input"
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
    """What the running command was given: ``fmt``, ``array``, ``field`` (defaults outside)."""
    given = _GIVEN.get() or {}
    fmt = given.get("input_format")
    return {
        "fmt": fmt.value if isinstance(fmt, Enum) else (fmt or "auto"),
        "array": given.get("array"),
        "field": given.get("field"),
    }


def with_input_formats(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give the command ``func`` the options ``--input-format``, ``--array``, ``--field``.

    They are appended to its signature and kept (in a context variable) for the
    duration of the call, for :func:`~softmax_cli.cli.source.open_source`.
    """
    sig = inspect.signature(func)
    hints = typing.get_type_hints(func, include_extras=True)
    base = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(n, p.annotation))
        for n, p in sig.parameters.items()
    ]
    extra = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
        for n, (a, d) in _OPTIONS.items()
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        given = {n: kwargs.pop(n, None) for n in _OPTIONS}
        token = _GIVEN.set(given)
        try:
            return func(**kwargs)
        finally:
            _GIVEN.reset(token)

    params = base + extra
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must see the new signature, not func's
    return wrapper
