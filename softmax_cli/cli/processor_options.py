"""The logit processors' options, in one place for ``sample``, ``compare`` and ``grad``.

:func:`with_processor_params` adds one option per processor parameter of the
registry (``--top-k``, ``--top-p``, ``--min-p``, ...), collected into
``proc_params``; ``--preset``, ``--chain``, ``--history`` and ``--torch-cpu`` are
defined here once. :func:`processing` decides, for ``compare`` and ``grad``,
whether the processors take part and with which plan: those commands already
have ``--temperature`` and the sparse-softmax method's ``--top-k``/``--top-p``,
which then feed the chain.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from .. import processor_records, registry, sampling, torch_softmax
from ..errors import SoftmaxInputError
from .options import _with_params
from .source import _option_given

PresetOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--preset",
        help="Server: hf, vllm or llama.cpp (its order, defaults, tie rules). "
        "Default: none (no defaults; the hf order and rules).",
    ),
]
ChainOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--chain", help="Explicit order, e.g. top_k,temperature,top_p."),
]
HistoryOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--history", help="Token ids seen so far, for the penalties: '5,9,9'."),
]
TorchCpuOpt = Annotated[
    str,
    typer.Option(
        "--torch-cpu",
        help="avx512 or avx2: the CPU of the torch whose float32 thresholds (min-p, top-p, "
        "ε, η) to reproduce bit for bit; they differ only within a rounding of a threshold.",
    ),
]

#: the processor parameters whose flags compare and grad already have
SHARED_WITH_METHODS = {"temperature": None, "top_k": "k", "top_p": "p"}


def parse_history(text: str | None) -> list[int] | None:
    """``--history '5,9 9'`` as token ids (None if not given).

    Examples
    --------
    >>> parse_history("5,9 9"), parse_history(None)
    ([5, 9, 9], None)
    """
    if text is None:
        return None
    out = []
    for tok in text.replace(",", " ").split():
        try:
            out.append(int(tok))
        except ValueError:
            raise SoftmaxInputError(
                f"{{param}} must be token ids like '5,9,9', got {tok!r}", param="history"
            ) from None
    return out


@dataclass(frozen=True)
class Settings:
    """``--preset``, ``--chain``, ``--history`` and ``--torch-cpu`` as given."""

    preset: str | None = None
    chain: str | None = None
    history: str | None = None
    torch_cpu: str = "avx512"


_SETTINGS = {
    "preset": PresetOpt,
    "chain": ChainOpt,
    "history": HistoryOpt,
    "torch_cpu": TorchCpuOpt,
}


def with_processor_params(
    func: Callable[..., Any] | None = None, *, exclude: tuple[str, ...] = ()
) -> Any:
    """Give ``func`` the processors' options: one per parameter (but ``exclude``) into
    ``proc_params``, and ``--preset``, ``--chain``, ``--history``, ``--torch-cpu`` into
    ``proc_settings`` (a :class:`Settings`).
    """

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        def users(p) -> list[str]:
            return [q.name for q in processor_records.PROCESSORS if p in q.params] or ["filters"]

        params = {k: v for k, v in processor_records.params().items() if k not in exclude}
        return _with_settings(_with_params(f, "proc_params", params, users, "Processors"))

    return wrap(func) if func is not None else wrap


def _with_settings(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (taking ``proc_settings``) with the four settings as options instead."""
    sig = inspect.signature(func)
    base = [p for name, p in sig.parameters.items() if name != "proc_settings"]
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=getattr(Settings, name),
                          annotation=opt)
        for name, opt in _SETTINGS.items()
    ]  # fmt: skip

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        settings = Settings(**{name: kwargs.pop(name) for name in _SETTINGS if name in kwargs})
        return func(proc_settings=settings, **kwargs)

    params = base + extra
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must see the generated signature
    return wrapper


def _names_mapping(method: str | None, name: str) -> bool:
    """Whether ``method`` (a name or alias; a loss, or None) is the mapping ``name``."""
    if method is None:
        return False
    try:
        return registry.get(method).name == name
    except SoftmaxInputError:  # a loss, or unknown: the command says so
        return False


@dataclass(frozen=True)
class Processing:
    """What ``compare`` or ``grad`` runs before the mapping: the plan and its settings."""

    steps: list[sampling.Step]
    preset: str | None
    history: list[int] | None
    lanes: int


def processing(
    proc_params: dict[str, Any],
    method_params: dict[str, Any],
    settings: Settings,
    *,
    temperature: float,
    method: str | None,
) -> Processing | None:
    """The processors ``compare``/``grad`` run, or None when no option asks for them.

    They run when ``--preset``, ``--chain`` or a processor's own option is given,
    or ``--top-k``/``--top-p`` without ``--method sparse-softmax`` (whose
    parameters they are otherwise). Then ``--temperature``, when given, is the
    chain's temperature, and ``--top-k``/``--top-p`` its top-k and top-p.
    ``method_params`` loses the two it hands over.
    """
    sparse = _names_mapping(method, "sparse-softmax")
    shared = (
        {}
        if sparse
        else {
            k: method_params[m] for k, m in SHARED_WITH_METHODS.items() if m and m in method_params
        }
    )
    preset, chain = settings.preset, settings.chain
    wanted = bool(proc_params or shared or preset or chain)
    if not wanted:
        for name in ("history", "torch_cpu"):
            if _option_given(name):
                raise SoftmaxInputError(
                    "{param} applies with logit processors (--preset, --chain, --top-k, ...)",
                    param=name,
                )
        return None
    for k, m in SHARED_WITH_METHODS.items():
        if m and k in shared:
            del method_params[m]
    given = {**proc_params, **shared}
    if _option_given("temperature"):
        given["temperature"] = temperature
    try:
        steps = sampling.plan(preset, chain, given=given)
    except SoftmaxInputError as err:  # --top-k is the option `k` here
        own = SHARED_WITH_METHODS.get(err.param or "")
        if not own:
            raise
        raise SoftmaxInputError(err.template, param=own, also=err.also) from None
    history = parse_history(settings.history)
    return Processing(steps, preset, history, torch_softmax.lanes_of(settings.torch_cpu))
