"""The registry's record types: :class:`Param`, :class:`Mapping`, :class:`Loss`, :class:`Processor`.

A record holds everything a command needs to know of one method or loss;
:mod:`softmax_cli.registry` holds the tables of them. Functions that need
mpmath (the oracle twins, condition numbers, explain traces) are named as
``"module:function"`` strings and imported on first use by :func:`resolve`,
so that importing the registry never imports mpmath.

Examples
--------
>>> resolve("math:sqrt")(16.0)
4.0
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import SoftmaxInputError

__all__ = [
    "DISTRIBUTION",
    "ELEMENTWISE",
    "LOG_DISTRIBUTION",
    "SCALAR",
    "Loss",
    "Mapping",
    "Param",
    "Processor",
    "resolve",
]

#: Kinds of output a mapping produces.
DISTRIBUTION = "distribution"  # a probability vector on the simplex
LOG_DISTRIBUTION = "log-distribution"  # the log of one
SCALAR = "scalar"  # a reduction: one number per vector
ELEMENTWISE = "elementwise"  # one independent number per entry

#: Implementations a record may carry, in the order ``compare`` shows them.
IMPLEMENTATIONS = ("naive", "shifted", "accurate")


def resolve(ref: str) -> Any:
    """The object a ``"package.module:name"`` reference names (the module imported now).

    The one resolver of the registry's lazy references: oracle twins,
    condition numbers and explain traces.
    """
    module, sep, attr = str(ref).partition(":")
    if not sep or not attr:
        raise ValueError(f"a reference is 'module:name', got {ref!r}")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Param:
    """One parameter of a mapping or a loss.

    ``name`` is the library keyword, ``flag`` the command-line option,
    ``kind`` its Python type (``float``, ``int`` or ``str``), ``check`` the
    function from :mod:`softmax_cli.params` that validates and converts it.
    """

    name: str
    kind: type
    default: Any
    help: str
    flag: str
    check: Callable[[Any], Any]
    choices: tuple[str, ...] | None = None


def _validate(owner: str, params: tuple[Param, ...], given: dict[str, Any]) -> dict[str, Any]:
    known = {p.name: p for p in params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise SoftmaxInputError(
            f"{owner} takes no parameter {', '.join(unknown)}"
            + (f" (it takes {', '.join(known)})" if known else "")
        )
    return {name: p.check(given.get(name, p.default)) for name, p in known.items()}


@dataclass(frozen=True)
class Mapping:
    """A mapping from logits to (usually) a distribution, and everything known of it.

    Beyond the functions: ``condition`` names the exact condition number
    ``κ(xs, τ, out) -> list`` (a ``"module:function"`` reference; ``None`` with
    ``no_condition`` saying why), ``traces`` maps an implementation
    (``naive``/``shifted``/``accurate``) to ``(title, "module:function")`` of
    its explain trace, ``example`` holds parameters that tests and docs run it
    with, and ``oracle_ulp`` the largest error against the oracle, in ULPs of 1
    (``|error| / eps``), that the tests hold the library function to.
    """

    name: str
    func: Callable[..., np.ndarray]
    summary: str
    output: str = DISTRIBUTION
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    naive: Callable[..., np.ndarray] | None = None
    shifted: Callable[..., np.ndarray] | None = None
    oracle: str | None = None
    sparse: bool = False
    monotone: bool = True
    shift_invariant: bool = True
    stochastic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: Closed-form derivative: ``derivative(a, tau, **params)`` on logits ``a`` in the
    #: working dtype (vectors on the last axis) returns a structured Jacobian; used by
    #: :mod:`softmax_cli.derivatives`. ``None``: no deterministic derivative.
    derivative: Callable[..., Any] | None = None
    condition: str | None = None
    no_condition: str = ""
    traces: dict[str, tuple[str, str]] = field(default_factory=dict)
    example: dict[str, Any] = field(default_factory=dict)
    oracle_ulp: float = 4.0
    #: ``log p`` from the logits, ``log_probs(x, axis=, temperature=, **params)``: exact
    #: however small ``p`` is (``log`` of a rounded ``p = 0`` is ``-inf``); the NLL of
    #: ``calibrate`` and the ``log p_t`` of ``compute --stats`` use it where present.
    log_probs: Callable[..., np.ndarray] | None = None
    #: The Fenchel–Young loss (registry name, fixed parameters) minimised over ``β = 1/τ``
    #: to fit this mapping's temperature (:func:`softmax_cli.calibrate.fit_temperature`).
    fit_loss: tuple[str, dict[str, Any]] | None = None

    def validate(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check ``given`` parameters against this mapping's; return them converted.

        Unknown names raise :class:`SoftmaxInputError`; missing ones take their defaults.
        """
        return _validate(self.name, self.params, given)

    def __call__(
        self,
        x: Any,
        *,
        axis: int = -1,
        temperature: float = 1.0,
        where: Any = None,
        empty: str = "zero",
        **kw: Any,
    ) -> np.ndarray:
        """Run the library function with validated parameters (and a mask, if it takes one)."""
        params = self.validate(kw)
        if where is None and empty == "zero":
            return self.func(x, axis=axis, temperature=temperature, **params)
        if not self.masks:
            raise SoftmaxInputError(f"{self.name} takes no mask (where=)", param="where")
        return self.func(x, axis=axis, temperature=temperature, where=where, empty=empty, **params)

    @property
    def masks(self) -> bool:
        """Whether the library function takes ``where=`` and ``empty=`` (every built-in does)."""
        return hasattr(self.func, "__maskable__")

    def implementations(self) -> dict[str, Callable[..., Any]]:
        """``naive``, ``shifted`` (those present) and ``accurate``, in that order."""
        found = {"naive": self.naive, "shifted": self.shifted, "accurate": self.func}
        return {k: f for k, f in found.items() if f is not None}

    def oracle_twin(self) -> Callable[..., Any]:
        """The mpmath twin (imports :mod:`mpmath` on first use)."""
        if self.oracle is None:
            raise SoftmaxInputError(f"{self.name} has no oracle twin")
        return resolve(self.oracle)

    @property
    def properties(self) -> list[str]:
        """The property names that hold for this mapping, for display."""
        flags = {
            "sparse": self.sparse,
            "monotone": self.monotone,
            "shift-invariant": self.shift_invariant,
            "stochastic": self.stochastic,
        }
        return [k for k, v in flags.items() if v]


@dataclass(frozen=True)
class Loss:
    """A classification loss on logits, and everything known of it.

    ``func(x, target, axis, **params, [temperature=τ])`` returns ``(loss, grad)``;
    ``mapping`` names the registry mapping whose output ``p`` the gradient is
    built from; ``params`` its options beyond the target (shared with the
    mappings' where the name is the same, as ``alpha``); ``temperature`` whether
    it takes ``τ``. ``title`` is the name ``compare --method`` shows (it must not
    be a mapping's name). ``naive`` and ``shifted`` are its teaching twins
    ``f(x, target, temperature=τ) -> loss`` (or ``None``); ``condition`` a
    ``"module:function"`` κ ``(xs, τ, out, target) -> list`` and ``traces``
    ``(title, "module:function")`` of trace factories ``f(target) -> trace``, as
    for a :class:`Mapping`. ``relative``: accurate to a few ULP *of itself*
    however small (else of ``max(1, loss)``); ``oracle_ulp`` that tolerance.
    """

    name: str
    func: Callable[..., tuple[np.ndarray, np.ndarray]]
    mapping: str
    summary: str
    gradient: str
    oracle: str
    params: tuple[Param, ...] = ()
    temperature: bool = True
    aliases: tuple[str, ...] = ()
    title: str = ""
    naive: Callable[..., Any] | None = None
    shifted: Callable[..., Any] | None = None
    condition: str | None = None
    no_condition: str = ""
    traces: dict[str, tuple[str, str]] = field(default_factory=dict)
    example: dict[str, Any] = field(default_factory=dict)
    relative: bool = True
    oracle_ulp: float = 2.0

    @property
    def shown(self) -> str:
        """The name ``compare`` shows: ``title``, else ``name``."""
        return self.title or self.name

    @property
    def options(self) -> tuple[str, ...]:
        """The keywords ``func`` takes beyond ``(x, target, axis)``."""
        return tuple(p.name for p in self.params) + (("temperature",) if self.temperature else ())

    def validate(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check ``given`` parameters against this loss's; return them converted."""
        return _validate(self.shown, self.params, given)

    def oracle_twin(self) -> Callable[..., Any]:
        """The mpmath twin ``f(xs, t, **options) -> mpf`` (imports mpmath on first use)."""
        return resolve(self.oracle)


@dataclass(frozen=True)
class Processor:
    """An LLM logit processor (``softmax sample``): a filter, a penalty or a bias.

    ``func(x, *values, **keywords)`` takes logits ``(..., V)`` and the values of
    ``params`` in order (see :mod:`softmax_cli.processors`). ``rules`` names the
    server rules it takes for ties and thresholds, passed as the keyword
    ``rule_keyword`` (the first is the default); ``min_keep`` whether it takes
    ``min_tokens_to_keep``; ``history`` whether it needs the token history;
    ``filter`` whether it removes tokens (else it changes logits); ``lanes``
    whether it tests torch's float32 softmax values, whose last bit depends on
    torch's vector width (``lanes``: 16 on AVX-512, 8 on AVX2). ``slope(x, values,
    history)``: the derivative of each output logit by its own input logit (the
    processors act elementwise on the logits they keep), or None for 1.
    """

    name: str
    func: Callable[..., np.ndarray]
    summary: str
    params: tuple[Param, ...]
    aliases: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    rule_keyword: str = "rule"
    min_keep: bool = False
    history: bool = False
    filter: bool = True
    lanes: bool = False
    slope: Callable[..., Any] | None = None

    def validate(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check ``given`` values of this processor's parameters; return them converted."""
        return _validate(self.name, self.params, given)

    def apply(
        self,
        x: Any,
        values: dict[str, Any],
        *,
        rule: str | None = None,
        min_tokens_to_keep: int = 1,
        history: Any = None,
        lanes: int = 16,
    ) -> np.ndarray:
        """Run the processor on ``x`` with ``values`` (its parameters, by name)."""
        kw: dict[str, Any] = {}
        if self.rules:
            chosen = rule or self.rules[0]
            if chosen not in self.rules:
                raise ValueError(f"{self.name} has no rule {chosen!r} (it has {self.rules})")
            kw[self.rule_keyword] = chosen
        if self.min_keep:
            kw["min_tokens_to_keep"] = min_tokens_to_keep
        if self.history:
            kw["history"] = history
        if self.lanes:
            kw["lanes"] = lanes
        return self.func(x, *(values[p.name] for p in self.params), **kw)
