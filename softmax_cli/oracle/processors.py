"""mpmath twins of the LLM logit processors: the same chain, every threshold decided exactly.

Written apart from :mod:`softmax_cli.processors` (no code shared): the values are
exact mpf, sorts are Python's (stable, so ties go by token id), and every test of
a threshold is done in the caller's working precision, not on float32 values.
Where a server decides on rounded numbers (Hugging Face's min-p and top-p on
torch's float32 softmax), the two may keep different tokens within a rounding of
the threshold: that is what ``softmax compare`` with processors shows.

A chain is a sequence of steps with ``processor.name``, ``values`` (the
parameters by name, ``min_tokens_to_keep`` among them for the filters),
``rule`` and ``greedy_at`` (:class:`softmax_cli.sampling.Step` has them). A
removed token is ``-inf``.

Examples
--------
>>> from types import SimpleNamespace as S
>>> step = S(processor=S(name="top_p"), values={"top_p": 0.5, "min_tokens_to_keep": 1},
...          rule="llama.cpp", greedy_at=None)
>>> [float(v) for v in process([mpf(0)] * 4, [step])]
[0.0, 0.0, -inf, -inf]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
from mpmath import mpf

__all__ = ["process"]

NEG_INF = mpf("-inf")


def _probs(xs: list) -> list:
    """Exact softmax of ``xs``; ``-inf`` gives 0."""
    m = max(xs)
    e = [mpmath.exp(v - m) if v != NEG_INF else mpf(0) for v in xs]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _cut(xs: list, keep: Callable[[int], bool]) -> list:
    return [v if keep(i) else NEG_INF for i, v in enumerate(xs)]


def _largest(xs: list, k: int) -> set[int]:
    """The ``k`` largest, ties by lower id."""
    return set(sorted(range(len(xs)), key=lambda i: (-xs[i], i))[:k])


def _at_least(xs: list, k: int) -> set[int]:
    """The ``k`` largest and every token tied with the ``k``-th."""
    kth = sorted(xs, reverse=True)[min(k, len(xs)) - 1]
    return {i for i, v in enumerate(xs) if v >= kth}


def _top_k(xs: list, v: dict, rule: str | None) -> list:
    k = min(max(int(v["top_k"]), int(v.get("min_tokens_to_keep", 1))), len(xs))
    kept = _largest(xs, k) if rule == "first" else _at_least(xs, k)
    return _cut(xs, kept.__contains__)


def _top_p(xs: list, v: dict, rule: str | None) -> list:
    p, keep = mpf(v["top_p"]), int(v.get("min_tokens_to_keep", 1))
    if p >= 1:
        return xs
    probs, n = _probs(xs), len(xs)
    if rule == "llama.cpp":  # descending, through the first running sum >= p
        order = sorted(range(n), key=lambda i: (-xs[i], i))
        total, kept = mpf(0), set()
        for pos, i in enumerate(order):
            kept.add(i)
            total += probs[i]
            if total >= p and pos + 1 >= keep:
                break
        return _cut(xs, kept.__contains__)
    order = sorted(range(n), key=lambda i: (xs[i], i))  # ascending, ties: lower id first
    total, gone = mpf(0), set()
    for pos, i in enumerate(order):
        total += probs[i]
        if total <= 1 - p and pos < n - keep:
            gone.add(i)
    return _cut(xs, lambda i: i not in gone)


def _min_p(xs: list, v: dict, rule: str | None) -> list:
    p = mpf(v["min_p"])
    keep = _largest(xs, int(v.get("min_tokens_to_keep", 1)))
    m = max(xs)
    if rule == "logit":
        if p <= 0:
            return xs
        return _cut(xs, lambda i: xs[i] >= m + mpmath.log(p) or i in keep)
    return _cut(xs, lambda i: mpmath.exp(xs[i] - m) >= p or i in keep)


def _entropy(probs: list) -> mpf:
    return -mpmath.fsum(q * mpmath.log(q) for q in probs if q > 0)


def _typical_p(xs: list, v: dict, rule: str | None) -> list:
    mass, keep = mpf(v["typical_p"]), int(v.get("min_tokens_to_keep", 1))
    if mass >= 1:
        return xs
    probs, n = _probs(xs), len(xs)
    h = _entropy(probs)
    shift = [abs(-mpmath.log(q) - h) if q > 0 else mpf("inf") for q in probs]
    order = sorted(range(n), key=lambda i: (shift[i], i))
    cum, total = [], mpf(0)
    for i in order:
        total += probs[i]
        cum.append(total)
    if rule == "llama.cpp":  # through the first running sum > mass
        last = next((j for j in range(n) if cum[j] > mass and j >= keep - 1), n - 1)
        kept = set(order[: last + 1])
    else:  # every token no farther than the one where the mass is reached
        last = min(sum(1 for c in cum if c < mass), n - 1)
        kept = {i for i in range(n) if shift[i] <= shift[order[last]]} | set(order[:keep])
    return _cut(xs, kept.__contains__)


def _epsilon(xs: list, v: dict, rule: str | None) -> list:
    eps, probs = mpf(v["epsilon_cutoff"]), _probs(xs)
    keep = _at_least(xs, int(v.get("min_tokens_to_keep", 1)))
    return _cut(xs, lambda i: probs[i] >= eps or i in keep)


def _eta(xs: list, v: dict, rule: str | None) -> list:
    eta, probs = mpf(v["eta_cutoff"]), _probs(xs)
    cut = min(eta, mpmath.sqrt(eta) * mpmath.exp(-_entropy(probs)))
    keep = _at_least(xs, int(v.get("min_tokens_to_keep", 1)))
    return _cut(xs, lambda i: probs[i] >= cut or i in keep)


def _top_n_sigma(xs: list, v: dict, rule: str | None) -> list:
    finite = [x for x in xs if x != NEG_INF]
    mean = mpmath.fsum(finite) / len(finite)
    sigma = mpmath.sqrt(mpmath.fsum((x - mean) ** 2 for x in finite) / len(finite))
    cut = max(xs) - mpf(v["top_n_sigma"]) * sigma
    return _cut(xs, lambda i: xs[i] >= cut)


def _counts(history: Any) -> Counter:
    return Counter(int(t) for t in (history or ()))


def _changed(xs: list, fn: Callable[[int, mpf], mpf]) -> list:
    return [fn(i, x) if x != NEG_INF else x for i, x in enumerate(xs)]


def _bias(xs: list, v: dict, history: Any) -> list:
    bias = {int(k): mpf(b) for k, b in v["logit_bias"].items()}
    return _changed(xs, lambda i, x: x + bias.get(i, 0))


def _repetition(xs: list, v: dict, history: Any) -> list:
    theta, seen = mpf(v["repetition_penalty"]), _counts(history)
    return _changed(xs, lambda i, x: (x / theta if x > 0 else x * theta) if seen[i] else x)


def _frequency(xs: list, v: dict, history: Any) -> list:
    phi, c = mpf(v["frequency_penalty"]), _counts(history)
    return _changed(xs, lambda i, x: x - phi * c[i])


def _presence(xs: list, v: dict, history: Any) -> list:
    pi, c = mpf(v["presence_penalty"]), _counts(history)
    return _changed(xs, lambda i, x: x - pi if c[i] else x)


def _temperature(xs: list, v: dict, history: Any) -> list:
    tau = mpf(v["temperature"])
    return _changed(xs, lambda i, x: x / tau)


_FILTERS = {
    "top_k": _top_k,
    "top_p": _top_p,
    "min_p": _min_p,
    "typical_p": _typical_p,
    "epsilon_cutoff": _epsilon,
    "eta_cutoff": _eta,
    "top_n_sigma": _top_n_sigma,
}
_CHANGES = {
    "logit_bias": _bias,
    "repetition_penalty": _repetition,
    "frequency_penalty": _frequency,
    "presence_penalty": _presence,
    "temperature": _temperature,
}


def process(xs: Sequence[Any], steps: Sequence[Any], *, history: Any = None) -> list:
    """Run the chain ``steps`` over one row of logits ``xs``, exactly (a list of mpf).

    ``history``: the token ids seen so far (for the penalties). A temperature at or
    below a step's ``greedy_at`` keeps the first largest logit alone.
    """
    out = [mpf(x) for x in xs]
    for step in steps:
        name, values = step.processor.name, step.values
        if name == "temperature" and step.greedy_at is not None:
            if values["temperature"] <= step.greedy_at:
                first = _largest(out, 1)
                out = _cut(out, first.__contains__)
                continue
        if name in _CHANGES:
            out = _CHANGES[name](out, values, history)
        else:
            out = _FILTERS[name](out, values, step.rule)
    return out
