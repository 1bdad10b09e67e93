"""Options shared by every command, and the method parameters generated from the registry.

:func:`with_method_params` adds one ``--flag`` per registry parameter
(``--alpha``, ``--top-k``, ``--top-p``, ``--order``, ``--noise``, ``--seed``) to a
command, so no command spells out a method's options and a new registry
entry's parameters appear everywhere at once. The command receives them in a
``method_params`` dict holding only the ones the user gave.
:func:`with_loss_params` does the same for the losses' own parameters
(``--label-smoothing``, ``--scale``, ``--margin``) into ``loss_params``, and
:class:`LossChoice` checks ``--loss`` against the registry's losses.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Optional

import typer

try:  # typer >= 0.20 vendors its own copy of click
    from typer._click import shell_completion as click_completion
    from typer._click import types as click_types
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import shell_completion as click_completion
    from click import types as click_types

from .. import registry
from ..errors import SoftmaxInputError


class OutputFormat(str, Enum):
    """``--format`` values; ``auto`` is a table on a terminal, else the input's format."""

    auto = "auto"
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


class RowOutputFormat(str, Enum):
    """``--format`` of the commands that write rows of numbers: also binary files."""

    auto = "auto"
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    npy = "npy"
    parquet = "parquet"
    arrow = "arrow"


class DtypeName(str, Enum):
    """``--dtype`` values."""

    float16 = "float16"
    float32 = "float32"
    float64 = "float64"
    longdouble = "longdouble"
    bfloat16 = "bfloat16"  # bfloat16 and float8: ml_dtypes, imported only when chosen
    float8_e4m3fn = "float8_e4m3fn"
    float8_e5m2 = "float8_e5m2"


def _complete_method(incomplete: str) -> list[str]:
    return [n for n in registry.names() if n.startswith(incomplete)]


MethodOpt = Annotated[
    Optional[list[str]],  # noqa: UP045 - repeatable, so that a second one is never lost
    typer.Option(
        "--method",
        "-m",
        help="Mapping to run (see `softmax methods`) [default: softmax].",
        autocompletion=_complete_method,
        show_default=False,
    ),
]
MethodsOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--method",
        "-m",
        help="Mapping(s) to run (see `softmax methods`): one, or several as "
        "softmax,sparsemax or a repeated --method [default: softmax].",
        autocompletion=_complete_method,
        show_default=False,
    ),
]


def _complete_method_or_loss(incomplete: str) -> list[str]:
    """``compare --method``: every mapping, then every loss compare takes by that option
    (those whose name no mapping has, as ``cross-entropy``)."""
    mapping_keys = {k.lower() for m in registry.MAPPINGS for k in (m.name, *m.aliases)}
    losses = [loss.shown for loss in registry.LOSSES.values()]
    names = [*registry.names(), *(n for n in losses if n.lower() not in mapping_keys)]
    return [n for n in dict.fromkeys(names) if n.startswith(incomplete)]


MethodOrLossOpt = Annotated[
    Optional[list[str]],  # noqa: UP045 - repeatable, so that a second one is never lost
    typer.Option(
        "--method",
        "-m",
        help="Mapping or loss to compare (see `softmax methods`; losses: cross-entropy, ...) "
        "[default: softmax].",
        autocompletion=_complete_method_or_loss,
        show_default=False,
    ),
]
TemperatureOpt = Annotated[
    float, typer.Option("--temperature", "-t", help="Temperature τ > 0: the map sees x/τ.")
]
DtypeOpt = Annotated[DtypeName, typer.Option("--dtype", help="Float type to compute and print in.")]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="Output format: auto = a table on a terminal, else the input's format "
        "(TSV, JSON, JSON lines; CSV otherwise).",
    ),
]
RowFormatOpt = Annotated[
    RowOutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="Output format: auto = a table on a terminal, else the input's format "
        "(TSV, JSON, JSON lines; CSV otherwise); npy, parquet, arrow to a file or a pipe.",
    ),
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
        help="Column passed through untouched as a row label: a header name or a 1-based index "
        "(default: a leading text column under a header).",
    ),
]
LabelColumnOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--label-column",
        "-y",
        help="The column of labels (class index from 0): a header name or a 1-based index "
        "(compute --stats adds NLL, correct and rank from it).",
    ),
]
ColumnsOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--columns",
        "-c",
        help="The logit columns: names, 1-based indices, ranges (2-11), !id to leave one "
        "out; the rest pass through.",
    ),
]
DelimiterOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--delimiter",
        "-d",
        help="Field delimiter of text input instead of sniffing it: ';', '|', tab, space.",
    ),
]
MaskOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--mask",
        help="A file of 0/1 rows, one per input row: 0 masks an entry out (probability 0).",
        show_default=False,
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
MaxRowsOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--max-rows",
        help="Stop after this many input rows (a note on stderr says when rows were left).",
        show_default=False,
    ),
]


def check_max_rows(max_rows: int | None) -> int | None:
    """``--max-rows`` is a positive count (or not given)."""
    if max_rows is not None and max_rows < 1:
        raise SoftmaxInputError(f"{{param}} must be 1 or more, got {max_rows}", param="max_rows")
    return max_rows


def _param_annotation(p: registry.Param, users: list[str], panel: str) -> Any:
    kind = {float: float, int: int, str: str}[p.kind]
    helptext = p.help
    if p.choices:
        helptext += f" ({'|'.join(p.choices)})"
    helptext += f" \\[{', '.join(users)}; default: {p.default}]"  # \\[ : not rich markup
    return Annotated[
        Optional[kind],  # noqa: UP045
        typer.Option(p.flag, help=helptext, show_default=False, rich_help_panel=panel),
    ]


def _with_params(
    func: Callable[..., Any], key: str, params: dict[str, registry.Param], users, panel: str
) -> Callable[..., Any]:
    """Give ``func`` one option per parameter in ``params``, collected into the keyword ``key``.

    ``func`` must take a keyword ``key`` (a dict); the wrapper's signature
    replaces it by the generated options, each defaulting to ``None`` (= not
    given, the record's own default applies).
    """
    sig = inspect.signature(func)
    hints = typing.get_type_hints(func, include_extras=True)  # resolves string annotations
    base = [
        p.replace(annotation=hints.get(name, p.annotation))
        for name, p in sig.parameters.items()
        if name != key
    ]
    extra = [
        inspect.Parameter(
            p.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=_param_annotation(p, users(p), panel),
        )
        for p in params.values()
    ]
    names = [p.name for p in extra]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        given = {n: kwargs.pop(n) for n in names if kwargs.get(n) is not None}
        for n in names:
            kwargs.pop(n, None)
        return func(**{key: given}, **kwargs)

    params_out = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in base] + extra
    wrapper.__signature__ = sig.replace(parameters=params_out)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params_out}
    del wrapper.__wrapped__  # typer must see the generated signature, not func's
    return wrapper


def with_method_params(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``func`` one option per registry parameter, collected into ``method_params``.

    ``func`` must take a keyword ``method_params: dict``; the wrapper's
    signature replaces it by the generated options, each defaulting to
    ``None`` (= not given, the mapping's own default applies).
    """

    def users(p: registry.Param) -> list[str]:
        return [m.name for m in registry.MAPPINGS if any(q.name == p.name for q in m.params)]

    return _with_params(func, "method_params", registry.all_params(), users, "Method parameters")


def with_loss_params(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``func`` one option per loss parameter no mapping has, collected into ``loss_params``.

    ``--label-smoothing``, ``--scale``, ``--margin``, ... from
    :func:`softmax_cli.registry.loss_params` (a loss parameter a mapping also
    takes, as ``--alpha``, is a method option already).
    """

    def users(p: registry.Param) -> list[str]:
        return [
            loss.name
            for loss in registry.LOSSES.values()
            if any(q.name == p.name for q in loss.params)
        ]

    return _with_params(func, "loss_params", registry.loss_params(), users, "Loss parameters")


class LossChoice(click_types.ParamType):
    """``--loss`` values, checked against the registry when the command runs.

    A loss registered after start-up is a valid choice; an unknown one is a
    usage error (exit status 2) listing the choices, as a fixed choice list would.
    """

    name = "loss"

    def get_metavar(self, param: Any = None, ctx: Any = None) -> str:
        return "[" + "|".join(registry.loss_names()) + "]"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        found = registry.find_loss(str(value))
        if found is None:
            choices = ", ".join(repr(n) for n in registry.loss_names())
            self.fail(f"{value!r} is not one of {choices}.", param, ctx)
        return found.name

    def shell_complete(self, ctx: Any, param: Any, incomplete: str) -> list[Any]:
        return [
            click_completion.CompletionItem(n)
            for n in registry.loss_names()
            if n.startswith(incomplete)
        ]


def _refuse_strays(given: dict[str, Any], takes: tuple[registry.Param, ...], shown: str) -> None:
    """An option given that ``--method shown`` does not take is an error naming its flag."""
    known = {p.name for p in takes}
    stray = [n for n in given if n not in known]
    if stray:
        every = (*registry.all_params().values(), *registry.loss_params().values())
        flags = {p.name: p.flag for p in every}
        raise SoftmaxInputError(
            f"{', '.join(flags.get(n, n) for n in stray)} does not apply to --method {shown} "
            f"(it takes {', '.join(p.flag for p in takes) or 'no parameters'})",
            param=stray[0],
        )


def resolve_loss(loss: registry.Loss, given: dict[str, Any]) -> dict[str, Any]:
    """Check the method and loss options given against ``loss``; return them.

    An option the loss does not take is an error naming its flag, as for a method.
    """
    _refuse_strays(given, loss.params, loss.shown)
    return dict(given)


def resolve_method(name: str, given: dict[str, Any]) -> tuple[registry.Mapping, dict[str, Any]]:
    """Look up ``--method`` and check the method options given against it.

    An option that the chosen method does not take is an error, not silently
    ignored: ``--alpha`` with ``--method softmax`` says so.
    """
    mapping = registry.get(name)
    _refuse_strays(given, mapping.params, mapping.name)
    return mapping, mapping.validate(given)  # a bad value names its parameter (err.param)


def method_names(given: list[str] | None, default: str = "softmax") -> list[str]:
    """The names ``--method`` was given, in order: each value split at commas.

    None given is ``[default]``. An empty name (``softmax,``) or a name given
    twice (``-m softmax -m softmax``, or an alias of one already given) is an
    error: nothing given is dropped or silently replaced.

    Examples
    --------
    >>> method_names(["softmax,sparsemax", "entmax15"])
    ['softmax', 'sparsemax', 'entmax15']
    >>> method_names(None)
    ['softmax']
    """
    if not given:
        return [default]
    names = [n.strip() for value in given for n in value.split(",")]
    if any(not n for n in names):
        raise SoftmaxInputError(
            f"{{param}} {','.join(given)!r} has an empty name; separate methods by single "
            "commas (softmax,sparsemax)",
            param="method",
        )
    seen: dict[str, str] = {}
    for n in names:
        try:
            key = registry.get(n).name
        except SoftmaxInputError:  # a loss (compare), or unknown: reported by the command
            key = n.lower()
        if key in seen:
            raise SoftmaxInputError(
                f"{{param}} names {key} twice ({seen[key]!r} and {n!r}); give each method once",
                param="method",
            )
        seen[key] = n
    return names


def one_method(given: list[str] | None, default: str = "softmax") -> str:
    """The one name ``--method`` was given, for a command that runs one method per run.

    Several (``softmax,sparsemax`` or a repeated ``--method``) are an error, never
    the last silently winning.

    Examples
    --------
    >>> one_method(["sparsemax"]), one_method(None)
    ('sparsemax', 'softmax')
    """
    names = method_names(given, default)
    if len(names) > 1:
        raise SoftmaxInputError(
            f"{{param}} takes one method in this command, got {len(names)} "
            f"({', '.join(names)}): run it once per method",
            param="method",
        )
    return names[0]


def resolve_methods(
    names: list[str], given: dict[str, Any]
) -> list[tuple[registry.Mapping, dict[str, Any]]]:
    """Look up several ``--method`` names; give each the method options it takes.

    An option that none of them takes is an error (as for one method); one that
    only some take goes to those.

    Examples
    --------
    >>> [(m.name, p) for m, p in resolve_methods(["softmax", "entmax"], {"alpha": 1.2})]
    [('softmax', {}), ('entmax', {'alpha': 1.2})]
    """
    if len(names) == 1:
        return [resolve_method(names[0], given)]
    mappings = [registry.get(n) for n in names]
    takes = tuple({p.name: p for m in mappings for p in m.params}.values())
    _refuse_strays(given, takes, ",".join(m.name for m in mappings))
    out = []
    for m in mappings:
        own = {p.name for p in m.params}
        out.append((m, m.validate({k: v for k, v in given.items() if k in own})))
    return out
