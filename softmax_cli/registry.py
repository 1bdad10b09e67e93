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
at run time (the tests' dummy records). The records themselves are in
:mod:`softmax_cli.method_records`.

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

from .errors import SoftmaxInputError
from .method_records import LOSSES, MAPPINGS
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
