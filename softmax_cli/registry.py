"""The one table of mappings and losses every command iterates.

A :class:`Mapping` record holds what the commands need to know of a method:
its command-line name and aliases, a one-line summary, its parameters (with
defaults, checks and CLI flags), the library function, the naive and ``x − max``
twins (or ``None``), the mpmath twin, the closed-form derivative (a form from
:mod:`softmax_cli.derivative_forms`, or ``None``), its condition number and explain
traces, example parameters, the oracle tolerance and its properties. A
:class:`Loss` record does the same for a loss (``grad --loss``, ``compare``).
Functions that need mpmath are named as ``"module:function"`` and imported only
when asked for (:func:`resolve`), so start-up never pays for mpmath.
:data:`PROCESSORS` (LLM logit processors, :class:`Processor` records, from
:mod:`softmax_cli.processor_records`) are looked up by :func:`get_processor`.
No command has an if/elif per method: add a record here and every command
knows the new mapping or loss; :func:`register` and :func:`registered` add one
at run time (the tests' dummy records).

Examples
--------
>>> from softmax_cli.registry import get
>>> get("sparsemax")([1.0, 2.0, 2.5]).tolist()
[0.0, 0.25, 0.75]
>>> get("entmax").validate({"alpha": 1.3})
{'alpha': 1.3}
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import derivative_forms, exp_family, losses, params, sparse, variants
from .errors import SoftmaxInputError
from .processor_records import PROCESSORS
from .processor_records import by_name as get_processor
from .processor_records import names as processor_names
from .records import (
    DISTRIBUTION,
    ELEMENTWISE,
    LOG_DISTRIBUTION,
    SCALAR,
    Loss,
    Mapping,
    Param,
    Processor,
    resolve,
)

__all__ = [
    "DISTRIBUTION",
    "ELEMENTWISE",
    "LOG_DISTRIBUTION",
    "LOSSES",
    "MAPPINGS",
    "PROCESSORS",
    "SCALAR",
    "Loss",
    "Mapping",
    "Param",
    "Processor",
    "all_params",
    "get",
    "get_loss",
    "get_processor",
    "loss_names",
    "loss_params",
    "names",
    "processor_names",
    "register",
    "registered",
    "resolve",
    "unregister",
]

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
_COND = "softmax_cli.analysis.compare.conditioning"
_TRACE = "softmax_cli.analysis.compare.traces"
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
        derivative=derivative_forms.softmax_form,
        condition=f"{_COND}:softmax",
        traces={
            "naive": ("exp(x) / Σ exp(x)", f"{_TRACE}:softmax_naive"),
            "shifted": ("exp(x − m) / Σ exp(x − m), m = max x", f"{_TRACE}:softmax_shifted"),
            "accurate": ("t / (1 + r), r = Σ t but the max's 1", f"{_TRACE}:softmax_accurate"),
        },
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
        derivative=derivative_forms.log_softmax_form,
        condition=f"{_COND}:log_softmax",
        traces={
            "naive": ("log(exp(x) / Σ exp(x))", f"{_TRACE}:log_softmax_naive"),
            "shifted": ("(x − m) − log Σ exp(x − m)", f"{_TRACE}:log_softmax_shifted"),
            "accurate": (
                "(q − log1p(r)) + e, r = Σ t but the max's 1",
                f"{_TRACE}:log_softmax_accurate",
            ),
        },
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
        derivative=derivative_forms.logsumexp_form,
        condition=f"{_COND}:logsumexp",
        traces={
            "naive": ("log Σ exp(x)", f"{_TRACE}:logsumexp_naive"),
            "shifted": ("m + log Σ exp(x − m)", f"{_TRACE}:logsumexp_shifted"),
            "accurate": ("m + log1p(r), r = Σ t but the max's 1", f"{_TRACE}:logsumexp_accurate"),
        },
    ),
    Mapping(
        "soft-max",
        exp_family.soft_max,
        "softmax(x/τ)ᵀx: a smooth maximum ≤ max x",
        output=SCALAR,
        aliases=("soft_max",),
        oracle=f"{_EXP}:soft_max",
        shift_invariant=False,
        derivative=derivative_forms.soft_max_form,
    ),
    Mapping(
        "sparsemax",
        sparse.sparsemax,
        "Euclidean projection onto the simplex: exact zeros",
        oracle=f"{_SPARSE}:sparsemax",
        sparse=True,
        derivative=derivative_forms.sparsemax_form,
    ),
    Mapping(
        "entmax15",
        sparse.entmax15,
        "1.5-entmax, exact sort-based solution",
        aliases=("entmax-1.5",),
        oracle=f"{_SPARSE}:entmax15",
        sparse=True,
        derivative=derivative_forms.entmax15_form,
    ),
    Mapping(
        "entmax",
        sparse.entmax_bisect,
        "α-entmax by bisection to the dtype's precision",
        params=(_ALPHA,),
        aliases=("entmax-alpha", "entmax_bisect"),
        oracle=f"{_SPARSE}:entmax",
        sparse=True,
        derivative=derivative_forms.entmax_form,
        example={"alpha": 1.3},
    ),
    Mapping(
        "sparse-softmax",
        sparse.sparse_softmax,
        "softmax over the top-k logits or the top-p nucleus, 0 elsewhere",
        params=(_TOP_K, _TOP_P),
        aliases=("sparse_softmax", "top-k", "top-p"),
        oracle=f"{_SPARSE}:sparse_softmax",
        sparse=True,
        derivative=derivative_forms.sparse_softmax_form,
        example={"k": 2},
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
        derivative=derivative_forms.taylor_form,
    ),
    Mapping(
        "sigsoftmax",
        variants.sigsoftmax,
        "exp(x)·σ(x) normalised (Kanai et al. 2018)",
        oracle=f"{_VARIANTS}:sigsoftmax",
        shift_invariant=False,
        derivative=derivative_forms.sigsoftmax_form,
    ),
    Mapping(
        "perturbmax",
        variants.perturbmax,
        "P[argmax(x + noise) = i], by deterministic quadrature",
        params=(_NOISE,),
        aliases=("perturb-max",),
        oracle=f"{_VARIANTS}:perturbmax",
        derivative=derivative_forms.perturbmax_form,
        oracle_ulp=1e6,  # quadrature to |error| ≤ 1e-12 (variants.PERTURBMAX_TOLERANCE)
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
        example={"seed": 0},
    ),
    Mapping(
        "sigmoid",
        exp_family.sigmoid,
        "logistic function, elementwise: softmax([z, 0])[0]",
        output=ELEMENTWISE,
        aliases=("logistic",),
        oracle=f"{_EXP}:sigmoid",
        shift_invariant=False,
        derivative=derivative_forms.sigmoid_form,
    ),
    Mapping(
        "argmax",
        exp_family.hardmax,
        "one-hot of the maximum, ties shared: the τ → 0 limit",
        aliases=("hardmax", "onehot"),
        oracle=f"{_EXP}:hardmax",
        sparse=True,
        derivative=derivative_forms.hardmax_form,
    ),
)

_SMOOTHING = Param(
    "label_smoothing",
    float,
    0.0,
    "ε in [0, 1]: target (1−ε)·onehot + ε/n",
    "--label-smoothing",
    losses.check_smoothing,
)
_SCALE = Param("scale", float, 30.0, "s > 0: the logits are s·(c − m·onehot)", "--scale",
               losses.check_scale)  # fmt: skip
_MARGIN = Param("margin", float, 0.35, "the additive margin m", "--margin", losses.check_margin)

_LOSS_ORACLE = "softmax_cli.oracle.losses"

LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "ce",
            losses.cross_entropy,
            "softmax",
            "cross-entropy LSE(x/τ) − x_t/τ",
            "(p − y)/τ, y = (1−ε)·onehot(t) + ε/n",
            f"{_LOSS_ORACLE}:cross_entropy",
            params=(_SMOOTHING,),
            aliases=("cross-entropy", "cross_entropy", "crossentropy", "xent"),
            title="cross-entropy",
            naive=losses.cross_entropy_naive,
            shifted=losses.cross_entropy_shifted,
            condition=f"{_COND}:cross_entropy",
            traces={
                "naive": ("−log(exp(x_t) / Σ exp(x))", f"{_TRACE}:cross_entropy_naive"),
                "shifted": (
                    "−((x_t − m) − log Σ exp(x − m))",
                    f"{_TRACE}:cross_entropy_shifted",
                ),
                "accurate": (
                    "−((q_t − log1p(r)) + e_t), r = Σ t but the max's 1",
                    f"{_TRACE}:cross_entropy_accurate",
                ),
            },
            example={"label_smoothing": 0.1},
        ),
        Loss(
            "neg-prob",
            losses.neg_prob,
            "softmax",
            "−p_t, a smooth accuracy",
            "−p_t·(onehot(t) − p)/τ",
            f"{_LOSS_ORACLE}:neg_prob",
            aliases=("neg_prob",),
        ),
        Loss(
            "am-softmax",
            losses.am_softmax,
            "softmax",
            "additive-margin softmax on cosines: CE of s·(c − m·onehot(t))",
            "s·(p − onehot(t))",
            f"{_LOSS_ORACLE}:am_softmax",
            params=(_SCALE, _MARGIN),
            temperature=False,
            aliases=("am_softmax",),
            example={"scale": 8.0, "margin": 0.2},
        ),
        Loss(
            "sparsemax",
            losses.sparsemax_loss,
            "sparsemax",
            "sparsemax loss ½ − z_t + Σ_S ½(z_i² − λ²)",
            "(p − onehot(t))/τ",
            f"{_LOSS_ORACLE}:sparsemax_loss",
            aliases=("sparsemax_loss",),
            title="sparsemax-loss",
            relative=False,
        ),
        Loss(
            "entmax",
            losses.entmax_loss,
            "entmax",
            "entmax Fenchel–Young loss (p − onehot)ᵀz + H_α(p)",
            "(p − onehot(t))/τ",
            f"{_LOSS_ORACLE}:entmax_loss",
            params=(_ALPHA,),
            aliases=("entmax_loss",),
            title="entmax-loss",
            example={"alpha": 1.3},
            relative=False,
        ),
    )
}

_BY_NAME: dict[str, Mapping] = {}
_LOSS_BY_NAME: dict[str, Loss] = {}


def _keys(record: Mapping | Loss) -> list[str]:
    names = [record.name, *record.aliases]
    if isinstance(record, Loss) and record.title:
        names.append(record.title)
    return list(dict.fromkeys(k.lower() for k in names))


def _index() -> None:
    """Rebuild the by-name lookups from :data:`MAPPINGS` and :data:`LOSSES`."""
    _BY_NAME.clear()
    _LOSS_BY_NAME.clear()
    for m in MAPPINGS:
        for key in _keys(m):
            _BY_NAME[key] = m
    for loss in LOSSES.values():
        for key in _keys(loss):
            _LOSS_BY_NAME[key] = loss


_index()


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
            f"unknown method {name!r}: choose one of {', '.join(names())}", param="method"
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


def loss_names() -> list[str]:
    """Every loss's primary name, in registry order (the values of ``grad --loss``).

    Examples
    --------
    >>> loss_names()
    ['ce', 'neg-prob', 'am-softmax', 'sparsemax', 'entmax']
    """
    return list(LOSSES)


def get_loss(name: str) -> Loss:
    """The loss called ``name`` (or one of its aliases, or its title), case-insensitively.

    Examples
    --------
    >>> get_loss("xent").name, get_loss("ce").title, get_loss("ce").mapping
    ('ce', 'cross-entropy', 'softmax')
    """
    try:
        return _LOSS_BY_NAME[str(name).lower()]
    except KeyError:
        raise SoftmaxInputError(
            f"unknown loss {name!r}: choose one of {', '.join(loss_names())}", param="loss"
        ) from None


def find_loss(name: str) -> Loss | None:
    """The loss ``name`` names, or ``None``: for a command that takes mappings and losses.

    Examples
    --------
    >>> find_loss("cross_entropy").title, find_loss("softmax")
    ('cross-entropy', None)
    """
    return _LOSS_BY_NAME.get(str(name).lower())


def loss_params() -> dict[str, Param]:
    """The parameters losses take that no mapping takes, by name (the loss options).

    Examples
    --------
    >>> list(loss_params())
    ['label_smoothing', 'scale', 'margin']
    """
    shared = all_params()
    out: dict[str, Param] = {}
    for loss in LOSSES.values():
        for p in loss.params:
            if p.name not in shared:
                out.setdefault(p.name, p)
    return out


def register(record: Mapping | Loss) -> None:
    """Add a mapping or a loss to the registry: every command offers it from now on.

    Its name and aliases must be new (among mappings, or among losses).
    Command-line options are generated when a command module is imported, so
    a record registered later must use parameters (flags) that already exist.

    Examples
    --------
    >>> import numpy as np
    >>> double = Mapping("double", lambda x, axis=-1, temperature=1.0: 2 * np.asarray(x),
    ...                  "twice x", output=ELEMENTWISE, shift_invariant=False)
    >>> register(double)
    >>> get("double")([1.0, 2.0]).tolist()
    [2.0, 4.0]
    >>> unregister(double)
    >>> "double" in names()
    False
    """
    global MAPPINGS
    taken = _BY_NAME if isinstance(record, Mapping) else _LOSS_BY_NAME
    clash = [k for k in _keys(record) if k in taken]
    if clash:
        raise ValueError(f"{', '.join(clash)} already names a registered record")
    if isinstance(record, Mapping):
        MAPPINGS = (*MAPPINGS, record)
    elif isinstance(record, Loss):
        LOSSES[record.name] = record
    else:
        raise TypeError(f"register takes a Mapping or a Loss, got {type(record).__name__}")
    _index()


def unregister(record: Mapping | Loss) -> None:
    """Remove a record added by :func:`register` (a no-op if it is not there)."""
    global MAPPINGS
    if isinstance(record, Mapping):
        MAPPINGS = tuple(m for m in MAPPINGS if m is not record)
    elif LOSSES.get(record.name) is record:
        del LOSSES[record.name]
    _index()


@contextlib.contextmanager
def registered(*records: Mapping | Loss) -> Iterator[None]:
    """Register ``records`` for the duration of a ``with`` block (tests' dummy records).

    Examples
    --------
    >>> import numpy as np
    >>> half = Mapping("half", lambda x, axis=-1, temperature=1.0: np.asarray(x) / 2,
    ...                "x/2", output=ELEMENTWISE, shift_invariant=False)
    >>> with registered(half):
    ...     get("half")([1.0]).tolist()
    [0.5]
    >>> "half" in names()
    False
    """
    done: list[Mapping | Loss] = []
    try:
        for r in records:
            register(r)
            done.append(r)
        yield
    finally:
        for r in reversed(done):
            unregister(r)
