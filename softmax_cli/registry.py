"""The one list of mappings every command iterates.

A :class:`Mapping` record holds what the commands need to know of a method:
its command-line name and aliases, a one-line summary, its parameters (with
defaults, checks and CLI flags), the library function, the naive twin (or
``None``), the mpmath twin (named as ``"module:function"`` and imported only
when asked for, so start-up never pays for mpmath), the closed-form derivative
(a form from :mod:`softmax_cli.derivative_forms`, or ``None``) and its properties.
No command has an if/elif per method: add a record here and every command
knows the new mapping.

Examples
--------
>>> from softmax_cli.registry import get
>>> get("sparsemax")([1.0, 2.0, 2.5]).tolist()
[0.0, 0.25, 0.75]
>>> get("entmax").validate({"alpha": 1.3})
{'alpha': 1.3}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import derivative_forms as derivatives  # the closed-form Jacobians (no registry import)
from . import exp_family, params, sparse, variants
from .errors import SoftmaxInputError

#: Kinds of output a mapping produces.
DISTRIBUTION = "distribution"  # a probability vector on the simplex
LOG_DISTRIBUTION = "log-distribution"  # the log of one
SCALAR = "scalar"  # a reduction: one number per vector
ELEMENTWISE = "elementwise"  # one independent number per entry


@dataclass(frozen=True)
class Param:
    """One parameter of a mapping.

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


@dataclass(frozen=True)
class Mapping:
    """A mapping from logits to (usually) a distribution, and everything known of it."""

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

    def validate(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check ``given`` parameters against this mapping's; return them converted.

        Unknown names raise :class:`SoftmaxInputError`; missing ones take their defaults.
        """
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise SoftmaxInputError(
                f"{self.name} takes no parameter {', '.join(unknown)}"
                + (f" (it takes {', '.join(known)})" if known else "")
            )
        return {name: p.check(given.get(name, p.default)) for name, p in known.items()}

    def __call__(
        self, x: Any, *, axis: int = -1, temperature: float = 1.0, **kw: Any
    ) -> np.ndarray:
        """Run the library function with validated parameters."""
        return self.func(x, axis=axis, temperature=temperature, **self.validate(kw))

    def oracle_twin(self) -> Callable[..., Any]:
        """The mpmath twin (imports :mod:`mpmath` on first use)."""
        if self.oracle is None:
            raise SoftmaxInputError(f"{self.name} has no oracle twin")
        module, _, attr = self.oracle.partition(":")
        return getattr(importlib.import_module(module), attr)

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


_ALPHA = Param(
    "alpha", float, 1.5, "entmax α ≥ 1 (1 = softmax, 2 = sparsemax)", "--alpha", params.check_alpha
)
_TOP_K = Param("k", int, None, "keep the k largest logits", "--top-k", params.check_top_k)
_TOP_P = Param(
    "p", float, None, "keep the smallest set with softmax mass ≥ p", "--top-p", params.check_top_p
)
_ORDER = Param("order", int, 2, "even Taylor order k ≥ 2", "--order", params.check_order)
_NOISE = Param(
    "noise",
    str,
    "normal",
    "perturbation noise",
    "--noise",
    params.check_noise,
    choices=params.NOISES,
)
_SEED = Param(
    "seed", int, None, "random seed (omit for fresh randomness)", "--seed", params.check_seed
)

_EXP = "softmax_cli.oracle.exp_family"
_SPARSE = "softmax_cli.oracle.sparse"
_VARIANTS = "softmax_cli.oracle.variants"

MAPPINGS: tuple[Mapping, ...] = (
    Mapping(
        "softmax",
        exp_family.softmax,
        "exp(x/τ) normalised; accurate to a few ULP",
        naive=exp_family.softmax_naive,
        shifted=exp_family.softmax_shifted,
        oracle=f"{_EXP}:softmax",
        derivative=derivatives.softmax_form,
    ),
    Mapping(
        "log-softmax",
        exp_family.log_softmax,
        "log of softmax, x/τ − LSE(x/τ), with log1p",
        output=LOG_DISTRIBUTION,
        aliases=("log_softmax", "logsoftmax"),
        naive=exp_family.log_softmax_naive,
        shifted=exp_family.log_softmax_shifted,
        oracle=f"{_EXP}:log_softmax",
        derivative=derivatives.log_softmax_form,
    ),
    Mapping(
        "logsumexp",
        exp_family.logsumexp,
        "τ·log Σ exp(x/τ): the smooth maximum",
        output=SCALAR,
        aliases=("lse",),
        naive=exp_family.logsumexp_naive,
        shifted=exp_family.logsumexp_shifted,
        oracle=f"{_EXP}:logsumexp",
        shift_invariant=False,
        derivative=derivatives.logsumexp_form,
    ),
    Mapping(
        "soft-max",
        exp_family.soft_max,
        "softmax(x/τ)ᵀx: a smooth maximum ≤ max x",
        output=SCALAR,
        aliases=("soft_max",),
        oracle=f"{_EXP}:soft_max",
        shift_invariant=False,
        derivative=derivatives.soft_max_form,
    ),
    Mapping(
        "sparsemax",
        sparse.sparsemax,
        "Euclidean projection onto the simplex: exact zeros",
        oracle=f"{_SPARSE}:sparsemax",
        sparse=True,
        derivative=derivatives.sparsemax_form,
    ),
    Mapping(
        "entmax15",
        sparse.entmax15,
        "1.5-entmax, exact sort-based solution",
        aliases=("entmax-1.5",),
        oracle=f"{_SPARSE}:entmax15",
        sparse=True,
        derivative=derivatives.entmax15_form,
    ),
    Mapping(
        "entmax",
        sparse.entmax_bisect,
        "α-entmax by bisection to the dtype's precision",
        params=(_ALPHA,),
        aliases=("entmax-alpha", "entmax_bisect"),
        oracle=f"{_SPARSE}:entmax",
        sparse=True,
        derivative=derivatives.entmax_form,
    ),
    Mapping(
        "sparse-softmax",
        sparse.sparse_softmax,
        "softmax over the top-k logits or the top-p nucleus, 0 elsewhere",
        params=(_TOP_K, _TOP_P),
        aliases=("sparse_softmax", "top-k", "top-p"),
        oracle=f"{_SPARSE}:sparse_softmax",
        sparse=True,
        derivative=derivatives.sparse_softmax_form,
    ),
    Mapping(
        "taylor",
        variants.taylor_softmax,
        "Taylor softmax: Σ_{m≤k} x^m/m! normalised; heavier tails",
        params=(_ORDER,),
        aliases=("taylor-softmax", "taylor_softmax"),
        oracle=f"{_VARIANTS}:taylor_softmax",
        shift_invariant=False,
        monotone=False,
        derivative=derivatives.taylor_form,
    ),
    Mapping(
        "sigsoftmax",
        variants.sigsoftmax,
        "exp(x)·σ(x) normalised (Kanai et al. 2018)",
        oracle=f"{_VARIANTS}:sigsoftmax",
        shift_invariant=False,
        derivative=derivatives.sigsoftmax_form,
    ),
    Mapping(
        "perturbmax",
        variants.perturbmax,
        "P[argmax(x + noise) = i], by deterministic quadrature",
        params=(_NOISE,),
        aliases=("perturb-max",),
        oracle=f"{_VARIANTS}:perturbmax",
        derivative=derivatives.perturbmax_form,
    ),
    Mapping(
        "gumbel-softmax",
        variants.gumbel_softmax,
        "softmax((x + Gumbel noise)/τ): a seeded random relaxation",
        params=(_SEED,),
        aliases=("gumbel_softmax",),
        oracle=f"{_VARIANTS}:gumbel_softmax",
        monotone=False,
        stochastic=True,
    ),
    Mapping(
        "sigmoid",
        exp_family.sigmoid,
        "logistic function, elementwise: softmax([z, 0])[0]",
        output=ELEMENTWISE,
        aliases=("logistic",),
        oracle=f"{_EXP}:sigmoid",
        shift_invariant=False,
        derivative=derivatives.sigmoid_form,
    ),
    Mapping(
        "argmax",
        exp_family.hardmax,
        "one-hot of the maximum, ties shared: the τ → 0 limit",
        aliases=("hardmax", "onehot"),
        oracle=f"{_EXP}:hardmax",
        sparse=True,
        derivative=derivatives.hardmax_form,
    ),
)

_BY_NAME: dict[str, Mapping] = {}
for _m in MAPPINGS:
    for _key in (_m.name, *_m.aliases):
        _BY_NAME[_key.lower()] = _m


def names() -> list[str]:
    """Every mapping's primary name, in registry order.

    Examples
    --------
    >>> names()[:3]
    ['softmax', 'log-softmax', 'logsumexp']
    """
    return [m.name for m in MAPPINGS]


def get(name: str) -> Mapping:
    """The mapping called ``name`` (or one of its aliases), case-insensitively.

    Raises :class:`SoftmaxInputError` listing the known names otherwise.

    Examples
    --------
    >>> get("log_softmax").name
    'log-softmax'
    """
    try:
        return _BY_NAME[str(name).lower()]
    except KeyError:
        raise SoftmaxInputError(
            f"unknown method {name!r}: choose one of {', '.join(names())}"
        ) from None


def differentiable(name: str | Mapping) -> Mapping:
    """The mapping called ``name`` (or the record itself) if it has a closed-form derivative.

    Raises :class:`SoftmaxInputError` for an unknown name, a stochastic mapping
    (no deterministic derivative) or one without a derivative form. Used by
    :mod:`softmax_cli.derivatives` and the oracle's Jacobians.

    Examples
    --------
    >>> differentiable("lse").name
    'logsumexp'
    >>> differentiable("gumbel-softmax")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    softmax_cli.errors.SoftmaxInputError: gumbel-softmax is stochastic: ...
    """
    m = name if isinstance(name, Mapping) else get(name)
    if m.stochastic:
        raise SoftmaxInputError(f"{m.name} is stochastic: it has no deterministic derivative")
    if m.derivative is None:
        raise SoftmaxInputError(f"{m.name} has no derivative")
    return m


def all_params() -> dict[str, Param]:
    """Every parameter any mapping takes, by name (the command line's method options).

    Two mappings that share a parameter name share its meaning and flag.
    """
    out: dict[str, Param] = {}
    for m in MAPPINGS:
        for p in m.params:
            out.setdefault(p.name, p)
    return out
