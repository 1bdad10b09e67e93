"""Options shared by every command, and the method parameters generated from the registry.

:func:`with_method_params` adds one ``--flag`` per registry parameter
(``--alpha``, ``--top-k``, ``--top-p``, ``--order``, ``--noise``, ``--seed``) to a
command, so no command spells out a method's options and a new registry
entry's parameters appear everywhere at once. The command receives them in a
``method_params`` dict holding only the ones the user gave.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from .. import registry
from ..errors import SoftmaxInputError


class OutputFormat(str, Enum):
    """``--format`` values; ``auto`` is a table on a terminal, CSV in a pipe."""

    auto = "auto"
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


class DtypeName(str, Enum):
    """``--dtype`` values."""

    float16 = "float16"
    float32 = "float32"
    float64 = "float64"
    longdouble = "longdouble"


def _complete_method(incomplete: str) -> list[str]:
    return [n for n in registry.names() if n.startswith(incomplete)]


MethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        "-m",
        help="Mapping to run (see `softmax methods`).",
        autocompletion=_complete_method,
    ),
]
TemperatureOpt = Annotated[
    float, typer.Option("--temperature", "-t", help="Temperature τ > 0: the map sees x/τ.")
]
DtypeOpt = Annotated[DtypeName, typer.Option("--dtype", help="Float type to compute and print in.")]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format: auto = table on a terminal, else CSV."),
]
PrecisionOpt = Annotated[
    int,
    typer.Option(
        "--precision",
        min=1,
        max=40,
        help="Significant digits in tables (machine formats are exact).",
    ),
]
InputOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option("--input", "-i", help="Read vectors from this CSV/TSV/JSON file ('-' = stdin)."),
]
HeaderOpt = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--header/--no-header", help="The input's first row is a header (default: detect)."
    ),
]
IdColumnOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--id-column",
        help="Column passed through untouched as a row label: a header name or a 1-based index.",
    ),
]
ValuesArg = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Argument(
        help="Logits: '1 2 3', '1,2,3', negatives as is ('-1000'); '-' reads stdin.",
        show_default=False,
    ),
]


#: context settings for commands that take numbers: ``-1000`` is a value, not an option
NUMERIC_ARGS = {"ignore_unknown_options": True, "allow_interspersed_args": True}

OutputOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--output", "-o", help="Write to this file instead of stdout."),
]
CheckOpt = Annotated[
    bool,
    typer.Option("--check", help="Check against the mpmath oracle; exit 3 past --max-ulp."),
]
MaxUlpOpt = Annotated[
    float, typer.Option("--max-ulp", min=0.0, help="Largest error --check accepts, in ULPs.")
]


def _param_annotation(p: registry.Param) -> Any:
    kind = {float: float, int: int, str: str}[p.kind]
    helptext = p.help
    if p.choices:
        helptext += f" ({'|'.join(p.choices)})"
    users = [m.name for m in registry.MAPPINGS if any(q.name == p.name for q in m.params)]
    helptext += f" \\[{', '.join(users)}; default: {p.default}]"  # \\[ : not rich markup
    return Annotated[
        Optional[kind],  # noqa: UP045
        typer.Option(
            p.flag, help=helptext, show_default=False, rich_help_panel="Method parameters"
        ),
    ]


def with_method_params(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``func`` one option per registry parameter, collected into ``method_params``.

    ``func`` must take a keyword ``method_params: dict``; the wrapper's
    signature replaces it by the generated options, each defaulting to
    ``None`` (= not given, the mapping's own default applies).
    """
    sig = inspect.signature(func)
    hints = typing.get_type_hints(func, include_extras=True)  # resolves string annotations
    base = [
        p.replace(annotation=hints.get(name, p.annotation))
        for name, p in sig.parameters.items()
        if name != "method_params"
    ]
    extra = [
        inspect.Parameter(
            p.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_param_annotation(p)
        )
        for p in registry.all_params().values()
    ]
    names = [p.name for p in extra]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        given = {n: kwargs.pop(n) for n in names if kwargs.get(n) is not None}
        for n in names:
            kwargs.pop(n, None)
        return func(method_params=given, **kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in base] + extra
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must see the generated signature, not func's
    return wrapper


def resolve_method(name: str, given: dict[str, Any]) -> tuple[registry.Mapping, dict[str, Any]]:
    """Look up ``--method`` and check the method options given against it.

    An option that the chosen method does not take is an error, not silently
    ignored: ``--alpha`` with ``--method softmax`` says so.
    """
    mapping = registry.get(name)
    known = {p.name for p in mapping.params}
    flags = {p.name: p.flag for p in registry.all_params().values()}
    stray = [flags[n] for n in given if n not in known]
    if stray:
        takes = ", ".join(p.flag for p in mapping.params) or "no parameters"
        raise SoftmaxInputError(
            f"{', '.join(stray)} does not apply to --method {mapping.name} (it takes {takes})"
        )
    try:
        return mapping, mapping.validate(given)
    except SoftmaxInputError as err:
        flag_of = {p.name: p.flag for p in mapping.params}
        msg = str(err)
        for n, f in flag_of.items():
            if msg.startswith(n + " ") or msg.startswith(f"{n} ("):
                msg = f"{f}: {msg}"
                break
        raise SoftmaxInputError(msg) from None


def usage_error(message: str) -> Exception:
    """A bad option value, to raise: ``error: MESSAGE (see 'softmax CMD --help')``, status 2.

    The entry point reports it like any usage error click finds itself.
    """
    try:  # typer >= 0.20 vendors its own copy of click
        from typer._click.exceptions import UsageError
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import get_current_context
        from click.exceptions import UsageError

    return UsageError(message, ctx=get_current_context(silent=True))
