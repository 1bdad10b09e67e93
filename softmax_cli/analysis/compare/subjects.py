"""What is compared: a :class:`Subject` built from a registry record, mapping or loss alike.

Every fact comes from the record: its implementations (naive, ``x − max``,
accurate), its oracle twin, its condition number and its explain traces. No
method is named here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ... import oracle, registry
from ...errors import SoftmaxInputError
from ...records import resolve
from .tracer import TraceFn

Impl = Callable[[np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class Subject:
    """One method made comparable: its implementations, oracle, condition number and traces.

    ``implementations`` maps ``naive``/``shifted``/``accurate`` (those present,
    in that order) to ``f(x, temperature) -> 1-D array`` in the dtype of ``x``;
    ``exact(x, dps, temperature)`` is the oracle as a list of mpf;
    ``condition(xs, temperature, exact)`` gives one κ per output entry (or is None);
    ``traces`` maps an implementation to ``(title, trace function)``;
    ``accumulate`` is the dtype the naive and ``x − max`` sums are added in (None:
    the input dtype).
    """

    name: str
    output: str
    implementations: dict[str, Impl]
    exact: Callable[[np.ndarray, int, float], list]
    condition: Callable[[list, Any, list], list] | None
    traces: dict[str, tuple[str, TraceFn]]
    accumulate: np.dtype | None = None

    @property
    def scalar(self) -> bool:
        """Whether the method reduces a vector to one number."""
        return self.output == registry.SCALAR


def _twins_accumulating(
    impls: dict[str, Callable[..., Any]], accumulate: Any, name: str
) -> dict[str, Callable[..., Any]]:
    """The naive and ``x − max`` twins adding their sums up in ``accumulate``."""
    twins = [k for k in ("naive", "shifted") if k in impls]
    if not twins:
        raise SoftmaxInputError(
            f"{{param}} applies to the naive and x − max forms; {name} has none", param="accumulate"
        )
    return {k: (functools.partial(f, accumulate=accumulate) if k in twins else f)
            for k, f in impls.items()}  # fmt: skip


def _impl(fn: Callable[..., Any], params: dict[str, Any]) -> Impl:
    def run(x: np.ndarray, tau: float) -> np.ndarray:
        return np.atleast_1d(np.asarray(fn(x, temperature=tau, **params)))

    return run


def _as_list(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def loss_names() -> dict[str, str]:
    """Every name ``compare`` knows a loss by (those no mapping takes), to the name it shows.

    Examples
    --------
    >>> loss_names()["xent"], loss_names()["ce"], "sparsemax" in loss_names()
    ('cross-entropy', 'cross-entropy', False)
    """
    mapping_keys = {k.lower() for m in registry.MAPPINGS for k in (m.name, *m.aliases)}
    out: dict[str, str] = {}
    for loss in registry.LOSSES.values():
        for key in (loss.shown, loss.name, *loss.aliases):
            if key.lower() not in mapping_keys:
                out.setdefault(key.lower(), loss.shown)
    return out


def _find(method: str) -> registry.Mapping | registry.Loss:
    """The mapping ``method`` names; else the loss; else the unknown-method error."""
    try:
        return registry.get(method)
    except SoftmaxInputError:
        loss = registry.find_loss(method)
        if loss is None:
            raise
        return loss


def subject(
    method: str = "softmax",
    params: dict[str, Any] | None = None,
    target: int | None = None,
    accumulate: Any = None,
) -> Subject:
    """The :class:`Subject` for ``method``: a registry mapping, or a loss (with ``target``).

    ``accumulate`` (a float dtype) makes the naive and ``x − max`` twins add their
    sums up in it (see :mod:`softmax_cli.naive`); methods without twins refuse it.

    Raises :class:`SoftmaxInputError` for an unknown method, bad parameters, a
    ``target`` given to a mapping, a missing one for a loss, or a stochastic
    mapping without a ``seed`` (the oracle must see the same noise).

    Examples
    --------
    >>> list(subject("softmax").implementations)
    ['naive', 'shifted', 'accurate']
    >>> list(subject("sparsemax").implementations)
    ['accurate']
    >>> list(subject("xent", target=0).implementations), subject("neg-prob", target=0).name
    (['naive', 'shifted', 'accurate'], 'neg-prob')
    """
    params = dict(params or {})
    record = _find(method)
    if isinstance(record, registry.Loss):
        if accumulate is not None:
            raise SoftmaxInputError(
                f"{{param}} applies to softmax, log-softmax and logsumexp, not to {record.shown}",
                param="accumulate",
            )
        return loss_subject(record, params, target)
    if target is not None:
        raise SoftmaxInputError(
            f"{{param}} applies to cross-entropy and the other losses, not to {method}",
            param="target",
        )
    m = record
    p = m.validate(params)
    if m.stochastic and p.get("seed") is None:
        raise SoftmaxInputError(
            f"{m.name} is random: give {{param}} so that the library and the oracle see the "
            "same noise",
            param="seed",
        )
    found = m.implementations()
    acc = None
    if accumulate is not None:
        acc = np.dtype(accumulate)
        found = _twins_accumulating(found, acc, m.name)
    impls = {name: _impl(fn, p) for name, fn in found.items()}
    traces = {
        name: (title, resolve(ref)) for name, (title, ref) in m.traces.items() if name in impls
    }

    def exact(x: np.ndarray, dps: int, tau: float) -> list:
        return _as_list(oracle.evaluate(m.name, x, dps=dps, temperature=tau, **p))

    condition = resolve(m.condition) if m.condition else None
    return Subject(m.name, m.output, impls, exact, condition, traces, acc)


def _check_target(target: Any, n: int) -> int:
    if isinstance(target, bool) or not float(target).is_integer() or not 0 <= int(target) < n:
        raise SoftmaxInputError(
            f"{{param}} must be a class index in 0..{n - 1}, got {target!r}", param="target"
        )
    return int(target)


def loss_subject(
    loss: registry.Loss, params: dict[str, Any] | None = None, target: int | None = None
) -> Subject:
    """A loss on logits against its textbook and ``x − max`` twins, where it has them.

    The twins, the condition number and the traces of a record hold at its
    default parameters; with others, the accurate column alone is compared.

    Examples
    --------
    >>> sj = loss_subject(registry.get_loss("ce"), target=1)
    >>> float(sj.implementations["accurate"](np.array([0.0, 0.0]), 1.0)[0])
    0.6931471805599453
    """
    name = loss.shown
    params = dict(params or {})
    if params and not loss.params:
        raise SoftmaxInputError(f"{name} takes no method parameters, got {', '.join(params)}")
    p = loss.validate(params)
    if target is None:
        raise SoftmaxInputError(
            f"{name} needs {{param}}: the index of the true class", param="target"
        )
    plain = all(p[q.name] == q.default for q in loss.params)

    def tau_kw(tau: float) -> dict[str, Any]:
        if loss.temperature:
            return {"temperature": tau}
        if tau != 1.0:
            raise SoftmaxInputError(
                f"{name} takes no {{param}}: its scale plays that role, got {tau:g}",
                param="temperature",
            )
        return {}

    def accurate(x: np.ndarray, tau: float) -> np.ndarray:
        t = _check_target(target, x.shape[-1])
        return np.atleast_1d(np.asarray(loss.func(x, t, **p, **tau_kw(tau))[0]))

    def twin(fn: Callable[..., Any]) -> Impl:
        def run(x: np.ndarray, tau: float) -> np.ndarray:
            t = _check_target(target, x.shape[-1])
            return np.atleast_1d(np.asarray(fn(x, t, **tau_kw(tau))))

        return run

    impls: dict[str, Impl] = {}
    for impl, fn in (("naive", loss.naive), ("shifted", loss.shifted)):
        if fn is not None and plain:
            impls[impl] = twin(fn)
    impls["accurate"] = accurate

    def exact(x: np.ndarray, dps: int, tau: float) -> list:
        t = _check_target(target, x.shape[-1])
        kw = {**p, **tau_kw(tau)}
        with mpmath.workdps(dps):
            if "temperature" in kw:
                kw["temperature"] = oracle.to_mpf(kw["temperature"])
            xs = [oracle.to_mpf(a) for a in x]
            return [loss.oracle_twin()(xs, t, **kw)]

    condition = None
    if loss.condition and plain:
        kappa = resolve(loss.condition)

        def condition(xs: list, tau: Any, out: list) -> list:
            return kappa(xs, tau, out, target)

    traces = {}
    if plain:
        traces = {
            impl: (title, resolve(ref)(target))
            for impl, (title, ref) in loss.traces.items()
            if impl in impls
        }
    return Subject(name, registry.SCALAR, impls, exact, condition, traces)
