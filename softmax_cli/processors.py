"""LLM logit processors: the filters and penalties a server applies before it samples.

Each function takes logits ``x`` of shape ``(..., V)`` (a row per vector, the
vocabulary on the last axis), works vectorised over the rows and returns new
logits of the same shape and float dtype: a filter sets the tokens it removes to
``-inf`` and leaves the others' logits as they were (the next step renormalises
by its own softmax), a penalty or bias changes logits. ``-inf`` on input is an
already-removed token (probability 0); ``nan`` and ``+inf`` have no distribution
and are refused (:class:`~softmax_cli.errors.SoftmaxInputError`), as Hugging
Face's ``torch.multinomial`` refuses them.

Where a server's rule decides a tie or the token at a threshold, a ``rule``
argument names it; the rules, and the code each follows:

* ``top_k(ties="keep")``: every token ≥ the k-th largest logit stays (ties with
  it too: Hugging Face ``TopKLogitsWarper``, vLLM ``apply_top_k_top_p``);
  ``ties="first"``: exactly k tokens, ties by lower token id (llama.cpp
  ``llama_sampler_top_k_impl`` keeps exactly k; which tie it keeps is its sort's).
* ``top_p(rule="hf")``: sort ascending, drop the tokens whose cumulative
  mass is ``≤ 1 − p`` (so the token that crosses ``p`` stays), keep the last
  ``min_tokens_to_keep`` (Hugging Face ``TopPLogitsWarper``, vLLM); of tokens
  tied across the cut, those CPU ``torch.sort`` puts first go
  (:mod:`._torchsort`, only on rows with such a tie); ``rule="vllm"``: the
  same with ``1 − p`` in float32 (vLLM ``apply_top_k_top_p``, whose sort is of
  the rows before its top-k: :func:`._torchsort.sorted_from`); ``rule="llama.cpp"``:
  sort descending (stable: ties by lower id), keep through the first token where
  the running sum ``≥ p`` (``llama_sampler_top_p_apply``).
* ``min_p(rule="prob")``: drop ``p_i < min_p · max p`` (Hugging Face
  ``MinPLogitsWarper``, vLLM ``MinPLogitsProcessor``); ``rule="logit"``: keep
  ``x_i ≥ max x + log(min_p)`` (llama.cpp ``llama_sampler_min_p_apply``).
* ``typical_p(rule="hf")``: keep every token whose ``|−log p_i − H|`` is ≤ that
  of the first token where the cumulative mass reaches the target (ties kept),
  and the first ``min_tokens_to_keep`` places of torch's sort of those values
  (part of a tie: as CPU ``torch.sort`` orders it); ``rule="llama.cpp"``: keep
  through the first token where it *exceeds* it.

Examples
--------
>>> import numpy as np
>>> x = np.array([3.0, 1.0, 2.0, 2.0])
>>> top_k(x, 2).tolist()          # the tie with the 2nd largest stays
[3.0, -inf, 2.0, 2.0]
>>> top_k(x, 2, ties="first").tolist()
[3.0, -inf, 2.0, -inf]
>>> repetition_penalty(np.array([2.0, -2.0, 1.0]), 2.0, history=[0, 1]).tolist()
[1.0, -4.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import SoftmaxInputError
from .floats import is_float_dtype
from .processor_checks import (
    check_additive,
    check_bias,
    check_min_keep,
    check_min_p,
    check_penalty,
    check_sigma,
    check_temperature,
    check_top_k,
    check_unit,
)
from .torch_softmax import softmax as torch_softmax
from .torch_softmax import stable_argsort as _argsort
from .torch_softmax import typical_sorted

__all__ = [
    "epsilon_cutoff",
    "eta_cutoff",
    "logit_bias",
    "min_p",
    "penalties",
    "repetition_penalty",
    "server_probs",
    "softmax_rows",
    "temperature",
    "top_k",
    "top_n_sigma",
    "top_p",
    "typical_p",
]

# -- helpers --------------------------------------------------------------------------


#: the array a chain is running on (:func:`owned`): its steps change it in place
_OWNED: ContextVar[np.ndarray | None] = ContextVar("owned", default=None)


@contextmanager
def owned(a: np.ndarray) -> Iterator[None]:
    """Let the processors called inside change ``a`` (2-D, float) in place instead of a copy.

    For a chain's own intermediate arrays (:func:`softmax_cli.sampling.process`):
    a copy of 39 MB per step is a third of the hf preset's time on 64 × 151,936.
    """
    token = _OWNED.set(a)
    try:
        yield
    finally:
        _OWNED.reset(token)


def _rows(x: ArrayLike) -> np.ndarray:
    """``x`` as a 2-D float array (a copy, unless :func:`owned`), checked: no nan or +inf."""
    if x is _OWNED.get() and x is not None:
        a = x
    else:
        a = np.array(x, copy=True)
    if not is_float_dtype(a.dtype):  # bfloat16 and float8 logits stay as they come
        a = a.astype(np.float64)
    if a.ndim == 0 or a.shape[-1] == 0:
        raise SoftmaxInputError("cannot sample from an empty vector of logits")
    # nan propagates through max: one pass finds nan and +inf (as a Python float: float8
    # has no inf to compare with)
    if a.size and not float(a.max()) < math.inf:
        bad = np.isnan(a) | (a == np.inf)
        where = np.argwhere(bad.reshape(-1, a.shape[-1]))[0]
        what = "nan" if np.isnan(a.reshape(-1, a.shape[-1])[tuple(where)]) else "+inf"
        raise SoftmaxInputError(
            f"token {int(where[1])} of row {int(where[0]) + 1} is {what}: a sampling "
            "distribution needs finite logits (or -inf for a removed token)"
        )
    return a.reshape(-1, a.shape[-1])


def _back(a: np.ndarray, like: ArrayLike) -> np.ndarray:
    return a.reshape(np.shape(like))


def softmax_rows(a: np.ndarray) -> np.ndarray:
    """``exp(x − max) / Σ`` per row in ``a``'s dtype, as the servers compute it (0 for ``-inf``).

    A row of only ``-inf`` gives all zeros.
    """
    m = np.max(a, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(a - m)
    s = e.sum(axis=-1, keepdims=True)
    return e / np.where(s > 0, s, 1)


def server_probs(a: np.ndarray, lanes: int = 16) -> np.ndarray:
    """Softmax per row in ``a``'s dtype as torch's CPU kernel computes it (0 for ``-inf``).

    float32 rows are torch's values bit for bit (:func:`.torch_softmax.softmax`:
    SLEEF's exp, torch's summation order, ``e · (1/s)``); ``lanes`` is torch's
    float32 vector width, 16 on an AVX-512 CPU, 8 on AVX2. Hugging Face's
    thresholds (min-p, top-p, ε, η) are tested on these values: a token within a
    rounding of a threshold is kept or dropped as torch on that CPU decides.
    Other dtypes: ``exp(x − max)``, a numpy sum, then ``e · (1/s)``.

    Examples
    --------
    >>> server_probs(np.array([[0.0, -np.inf, 0.0]], dtype=np.float32)).tolist()
    [[0.5, 0.0, 0.5]]
    """
    if a.dtype == np.float32:
        return torch_softmax(a, lanes)
    m = np.max(a, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(a - m)
    s = e.sum(axis=-1, keepdims=True)
    one = a.dtype.type(1)
    return e * (one / np.where(s > 0, s, one))


def _entropy(p: np.ndarray) -> np.ndarray:
    """``−Σ p log p`` per row, 0·log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0)
    return -t.sum(axis=-1, keepdims=True)


def _first_k(a: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` largest entries per row, ties by lower index (no full sort)."""
    n = a.shape[-1]
    k = min(k, n)
    if k == 1:  # the first largest
        mask = np.zeros(a.shape, dtype=bool)
        mask[np.arange(a.shape[0]), a.argmax(axis=-1)] = True
        return mask
    kth = np.partition(a, n - k, axis=-1)[:, n - k][:, None]
    above = a > kth
    tied = a == kth
    need = k - above.sum(axis=-1, keepdims=True)
    return above | (tied & (np.cumsum(tied, axis=-1) <= need))


def _drop(a: np.ndarray, remove: np.ndarray) -> np.ndarray:
    np.putmask(a, remove, -np.inf)  # faster than a[remove] = -inf
    return a


# -- processors -----------------------------------------------------------------------


def temperature(x: ArrayLike, t: float) -> np.ndarray:
    """``x / t`` (``t > 0``; what ``t = 0`` means is a preset's rule, see :mod:`.sampling`).

    Examples
    --------
    >>> temperature([1.0, -2.0], 0.5).tolist()
    [2.0, -4.0]
    """
    t = check_temperature(t)
    a = _rows(x)  # a copy, or the chain's own array
    return _back(np.divide(a, a.dtype.type(t), out=a), x)


def top_k(x: ArrayLike, k: int, *, min_tokens_to_keep: int = 1, ties: str = "keep") -> np.ndarray:
    """Keep the ``max(k, min_tokens_to_keep)`` largest logits; ``ties``: ``keep`` or ``first``."""
    k = max(check_top_k(k), check_min_keep(min_tokens_to_keep))
    a = _rows(x)
    k = min(k, a.shape[-1])
    if ties == "first":
        return _back(_drop(a, ~_first_k(a, k)), x)
    kth = np.partition(a, a.shape[-1] - k, axis=-1)[:, a.shape[-1] - k][:, None]
    return _back(_drop(a, a < kth), x)


def top_p(
    x: ArrayLike, p: float, *, min_tokens_to_keep: int = 1, rule: str = "hf", lanes: int = 16
) -> np.ndarray:
    """Nucleus: the smallest top set with mass ≥ ``p`` (``rule``: ``hf``, ``vllm``, ``llama.cpp``).

    ``lanes``: torch's float32 vector width for the ``hf`` rule (:func:`server_probs`).
    ``hf``: where tied logits straddle the cut, the ones CPU ``torch.sort`` puts
    first go, as in Hugging Face (rows longer than 16: not the lower ids).
    ``vllm``: the same, with ``1 − p`` computed in the logits' dtype from ``p`` in
    it (vLLM's ``p`` is a float32 tensor; Hugging Face rounds ``1 − p`` once).

    Examples
    --------
    >>> top_p([0.0, 0.0, 0.0, 0.0], 0.5).tolist()     # 2 of 4 equal tokens reach 0.5
    [-inf, -inf, 0.0, 0.0]
    >>> top_p([0.0, 0.0, 0.0, 0.0], 0.5, rule="llama.cpp").tolist()
    [0.0, 0.0, -inf, -inf]
    >>> np.flatnonzero(np.isfinite(top_p(np.zeros(20, np.float32), 0.3))).tolist()  # as HF
    [1, 2, 3, 4, 5, 6]
    """
    p = check_unit("top_p")(p)
    keep = check_min_keep(min_tokens_to_keep)
    a = _rows(x)
    if p >= 1:
        return _back(a, x)
    n = a.shape[-1]
    if rule == "llama.cpp":
        order = _argsort(-a)
        ps = softmax_rows(np.take_along_axis(a, order, axis=-1))
        cum = np.cumsum(ps, axis=-1)
        hit = (cum >= a.dtype.type(p)) & (np.arange(1, n + 1) >= keep)
        last = np.where(hit.any(axis=-1), hit.argmax(axis=-1), n - 1)
        remove_sorted = np.arange(n)[None, :] > last[:, None]
    else:
        # TopPLogitsWarper: ascending sort, float32 softmax, a cumsum that torch's CPU
        # kernel accumulates in float64 and rounds to float32 at each token, `<= 1 - p`
        # with 1 - p in Python's float64, then rounded to float32 by the comparison
        finite = np.isfinite(a)
        width = int(finite.sum(axis=-1).max())
        one = a.dtype.type(1)
        bar = one - a.dtype.type(p) if rule == "vllm" else a.dtype.type(1 - p)
        if 4 * width < n:  # after a top-k: sort the few finite logits only
            return _back(_top_p_few(a, finite, width, bar, keep, lanes), x)
        order = _argsort(a)
        probs = server_probs(np.take_along_axis(a, order, axis=-1), lanes)
        cum = np.cumsum(probs.astype(np.float64), axis=-1).astype(a.dtype)
        remove_sorted = cum <= bar
        remove_sorted[:, n - min(keep, n) :] = False
    remove = np.empty_like(remove_sorted)
    np.put_along_axis(remove, order, remove_sorted, axis=-1)
    if rule != "llama.cpp":  # a prefix of the sorted row goes: does it end inside a tie?
        cut = remove_sorted.sum(axis=-1)
        rows = _cut_in_tie(cut, 0, n, lambda r, j: a[r, order[r, j]])
        sorted_rows = np.take_along_axis(a[rows], order[rows], axis=-1)
        for row, drop, stay in _split_ties(a, rows, sorted_rows, cut[rows], sorted_rows_of=True):
            remove[row, drop], remove[row, stay] = True, False
    return _back(_drop(a, remove), x)


def _cut_in_tie(cut: np.ndarray, lo, hi, at) -> np.ndarray:
    """The rows whose cut, between sorted places ``cut − 1`` and ``cut`` (``lo < cut < hi``),
    falls inside a run of equal finite values; ``at(rows, places)``: their sorted values.

    There torch's unstable sort decides which of the tied tokens are on either side
    (:func:`._torchsort.split_ties`).
    """
    r = np.flatnonzero((cut > lo) & (cut < hi))
    last = at(r, cut[r] - 1)
    return r[(last == at(r, cut[r])) & np.isfinite(last)]


def _split_ties(
    a: np.ndarray,
    rows: np.ndarray,
    sorted_rows: np.ndarray,
    cut: np.ndarray,
    *,
    sorted_rows_of: bool = False,
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """:func:`._torchsort.split_ties` on ``a`` (``sorted_rows_of``: on the rows torch
    sorted for this step, :func:`._torchsort.sorted_rows_of`); imported only when some
    row has a tie at its cut, so start-up and the tie-free rows never load it."""
    if not rows.size:
        return []
    from . import _torchsort

    src = _torchsort.sorted_rows_of(a) if sorted_rows_of else a
    return _torchsort.split_ties(src, rows, sorted_rows, cut)


def _top_p_few(
    a: np.ndarray, finite: np.ndarray, width: int, bar: np.floating, keep: int, lanes: int
) -> np.ndarray:
    """:func:`top_p`'s ``hf`` rule on rows with at most ``width`` finite logits (``bar``: 1 − p).

    Hugging Face's ascending sort puts the ``-inf`` logits first; the finite ones,
    right-aligned in rows of ``width``, are the last ``width`` places of its sorted
    rows: the same softmax (shifted lanes), cumulative sums and cut.
    """
    rows, n = a.shape
    r, c = np.nonzero(finite)
    count = finite.sum(axis=-1)
    col = (width - count)[r] + np.arange(r.size) - (np.cumsum(count) - count)[r]
    vals = np.full((rows, width), -np.inf, dtype=a.dtype)
    vals[r, col] = a[r, c]
    idx = np.full((rows, width), -1, dtype=np.int64)
    idx[r, col] = c
    order = np.argsort(vals, axis=-1, kind="stable")
    vals = np.take_along_axis(vals, order, axis=-1)
    idx = np.take_along_axis(idx, order, axis=-1)
    probs = torch_softmax(vals, lanes, offset=n - width)
    cum = np.cumsum(probs.astype(np.float64), axis=-1).astype(a.dtype)
    remove = cum <= bar
    remove[:, width - min(keep, width) :] = False
    remove &= idx >= 0
    # ties across the cut: the finite logits are the last places of the full row's sort
    cut = remove.sum(axis=-1) + (width - count)
    rows = _cut_in_tie(cut, width - count, width, lambda r, j: vals[r, j])
    fixes = _split_ties(a, rows, vals[rows], cut[rows], sorted_rows_of=True)
    a[np.nonzero(remove)[0], idx[remove]] = -np.inf
    for k, (row, drop, stay) in enumerate(fixes):
        a[row, stay] = vals[rows[k], cut[rows[k]]]
        a[row, drop] = -np.inf
    return a


def min_p(
    x: ArrayLike, p: float, *, min_tokens_to_keep: int = 1, rule: str = "prob", lanes: int = 16
) -> np.ndarray:
    """Keep tokens with probability ≥ ``p`` × the top token's.

    ``rule``: ``prob`` is Hugging Face's test, ``probs < fl(p) · max probs`` on
    torch's float32 softmax values bit for bit (:func:`server_probs`; ``lanes``: 16
    for a torch on an AVX-512 CPU, 8 on AVX2, whose kept sets differ on a token
    within a rounding of the threshold); ``exact`` decides in exact arithmetic,
    ``exp(x_i − max x) < p`` (float64, from the float32 logits exactly); ``logit``:
    llama.cpp's ``x_i < max x + log p``. ``prob`` and ``exact`` differ only on
    tokens within float32 rounding of the threshold: there Hugging Face may keep a
    token whose exact probability is just below it.

    Examples
    --------
    >>> min_p([0.0, -1.0, -3.0], 0.2).tolist()   # e^-3 < 0.2 ≤ e^-1
    [0.0, -1.0, -inf]
    >>> x = np.array([0.0, np.log(0.1), -1.0], dtype=np.float32)  # p_1 = 0.0999999968 p_0
    >>> min_p(x, 0.1)[1], min_p(x, 0.1, rule="exact")[1]   # HF keeps it (transformers 5.24)
    (np.float32(-2.3025851), np.float32(-inf))
    """
    p = check_min_p(p)
    a = _rows(x)
    keep = _first_k(a, check_min_keep(min_tokens_to_keep))
    if rule == "logit":
        if p <= 0:
            return _back(a, x)
        cut = a.max(axis=-1, keepdims=True) + a.dtype.type(math.log(p))
        return _back(_drop(a, (a < cut) & ~keep), x)
    if rule == "exact":
        d = a.astype(np.float64) - a.max(axis=-1, keepdims=True).astype(np.float64)
        return _back(_drop(a, (np.exp(d) < p) & ~keep), x)
    probs = server_probs(a, lanes)
    remove = probs < a.dtype.type(p) * probs.max(axis=-1, keepdims=True)
    return _back(_drop(a, remove & ~keep), x)


def typical_p(
    x: ArrayLike,
    mass: float,
    *,
    min_tokens_to_keep: int = 1,
    rule: str = "hf",
    lanes: int = 16,
) -> np.ndarray:
    """Locally typical sampling: the tokens whose surprise is nearest the entropy, to ``mass``.

    ``rule="hf"`` follows ``TypicalLogitsWarper`` on torch's float32 kernels
    (:func:`.torch_softmax.typical_sorted`; ``lanes`` as for :func:`min_p`): tokens
    whose scores tie in exact arithmetic are told apart, or not, by torch's roundings.
    """
    mass = check_unit("typical_p")(mass)
    keep = check_min_keep(min_tokens_to_keep)
    a = _rows(x)
    if mass >= 1:
        return _back(a, x)
    n = a.shape[-1]
    m = a.dtype.type(mass)
    if rule == "hf" and a.dtype == np.float32:
        shifted, order, cum = typical_sorted(a, mass, lanes)
    else:
        probs = softmax_rows(a)
        with np.errstate(divide="ignore"):
            shifted = np.abs(-np.log(probs) - _entropy(probs))
        order = np.argsort(shifted, axis=-1, kind="stable")
        cum = np.cumsum(np.take_along_axis(probs, order, axis=-1), axis=-1)
    s_sorted = np.take_along_axis(shifted, order, axis=-1)
    if rule == "llama.cpp":
        hit = (cum > m) & (np.arange(n) >= keep - 1)
        last = np.where(hit.any(axis=-1), hit.argmax(axis=-1), n - 1)
        remove_sorted = np.arange(n)[None, :] > last[:, None]
    else:
        last = np.minimum((cum < m).sum(axis=-1), n - 1)
        remove_sorted = s_sorted > np.take_along_axis(s_sorted, last[:, None], axis=-1)
        remove_sorted[:, :keep] = False
    remove = np.empty_like(remove_sorted)
    np.put_along_axis(remove, order, remove_sorted, axis=-1)
    if rule != "llama.cpp" and 1 < keep < n:  # the kept places end inside a tie?
        r = _cut_in_tie(np.full(a.shape[0], keep), 0, n, lambda r, j: s_sorted[r, j])
        r = r[remove_sorted[r, keep]]
        for row, stay, drop in _split_ties(shifted, r, s_sorted[r], np.full(r.size, keep)):
            remove[row, drop], remove[row, stay] = True, False
    return _back(_drop(a, remove), x)


def epsilon_cutoff(
    x: ArrayLike, epsilon: float, *, min_tokens_to_keep: int = 1, lanes: int = 16
) -> np.ndarray:
    """Drop tokens with probability < ``epsilon`` (the top ``min_tokens_to_keep`` stay).

    ``lanes``: torch's float32 vector width (:func:`server_probs`).
    """
    eps = check_unit("epsilon_cutoff", closed=False)(epsilon)
    a = _rows(x)
    keep = _kept_by_value(a, check_min_keep(min_tokens_to_keep))
    return _back(_drop(a, (server_probs(a, lanes) < a.dtype.type(eps)) & ~keep), x)


def eta_cutoff(
    x: ArrayLike, eta: float, *, min_tokens_to_keep: int = 1, lanes: int = 16
) -> np.ndarray:
    """Drop tokens with probability < ``min(η, √η · exp(−H))`` (Hewitt et al. 2022).

    ``lanes``: torch's float32 vector width (:func:`server_probs`).
    """
    eta = check_unit("eta_cutoff", closed=False)(eta)
    a = _rows(x)
    keep = _kept_by_value(a, check_min_keep(min_tokens_to_keep))
    probs = server_probs(a, lanes)
    e = a.dtype.type(eta)
    cut = np.minimum(e, np.sqrt(e) * np.exp(-_entropy(probs)))
    return _back(_drop(a, (probs < cut) & ~keep), x)


def _kept_by_value(a: np.ndarray, k: int) -> np.ndarray:
    """Hugging Face's ``scores >= topk(scores, k)[-1]``: the k largest and their ties."""
    k = min(k, a.shape[-1])
    kth = np.partition(a, a.shape[-1] - k, axis=-1)[:, a.shape[-1] - k][:, None]
    return a >= kth


def top_n_sigma(x: ArrayLike, n: float) -> np.ndarray:
    """Keep ``x_i ≥ max x − n·σ``, σ the population deviation of the finite logits.

    Examples
    --------
    >>> top_n_sigma([0.0, 1.0, 2.0, 3.0], 1.0).tolist()   # σ = 1.118
    [-inf, -inf, 2.0, 3.0]
    """
    n = check_sigma(n)
    a = _rows(x)
    finite = np.isfinite(a)
    count = np.maximum(finite.sum(axis=-1, keepdims=True), 1)
    mean = np.where(finite, a, 0).sum(axis=-1, keepdims=True) / count
    var = np.where(finite, (a - mean) ** 2, 0).sum(axis=-1, keepdims=True) / count
    cut = a.max(axis=-1, keepdims=True) - a.dtype.type(n) * np.sqrt(var)
    return _back(_drop(a, a < cut), x)


def logit_bias(x: ArrayLike, bias: dict[int, float] | str) -> np.ndarray:
    """Add ``bias[i]`` to logit ``i`` of every row (OpenAI/vLLM ``logit_bias``).

    Examples
    --------
    >>> logit_bias([1.0, 2.0, 3.0], {2: -1.0}).tolist()
    [1.0, 2.0, 2.0]
    """
    b = check_bias(bias)
    a = _rows(x)
    ids = np.fromiter(b, dtype=np.int64, count=len(b))
    _check_ids(ids, a.shape[-1], "logit_bias")
    a[:, ids] += np.fromiter(b.values(), dtype=a.dtype, count=len(b))
    return _back(a, x)


def _check_ids(ids: np.ndarray, n: int, param: str) -> None:
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        bad = int(ids[(ids < 0) | (ids >= n)][0])
        raise SoftmaxInputError(
            f"{{param}} names token {bad}, but the vectors have {n} logits (ids 0..{n - 1})",
            param=param,
        )


def _counts(history: Any, rows: int, n: int) -> np.ndarray:
    """Token counts ``(rows, n)`` from one history for every row, or one history per row."""
    if history is None:
        return np.zeros((rows, n), dtype=np.int64)
    per_row = (
        isinstance(history, Sequence)
        and len(history) > 0
        and all(isinstance(h, (Sequence, np.ndarray)) for h in history)
    ) or (isinstance(history, np.ndarray) and history.ndim == 2)
    hs = list(history) if per_row else [history] * rows
    if len(hs) != rows:
        raise SoftmaxInputError(
            f"{{param}} has {len(hs)} rows for {rows} rows of logits", param="history"
        )
    out = np.zeros((rows, n), dtype=np.int64)
    for r, h in enumerate(hs):
        ids = np.asarray(h)
        if ids.size and (ids.dtype.kind not in "iu"):
            if not np.all(np.mod(ids, 1) == 0):
                raise SoftmaxInputError("{param} must hold token ids", param="history")
            ids = ids.astype(np.int64)
        ids = ids.astype(np.int64).ravel()
        _check_ids(ids, n, "history")
        out[r] = np.bincount(ids, minlength=n)
    return out


def repetition_penalty(x: ArrayLike, penalty: float, *, history: Any) -> np.ndarray:
    """Hugging Face's multiplicative, sign-aware penalty on tokens in ``history``.

    ``x_i / θ`` where ``x_i > 0``, ``x_i · θ`` where ``x_i ≤ 0`` (both give 0 at 0), once
    per token however often it occurs. ``history``: token ids for every row, or a
    list of them per row.
    """
    theta = check_penalty(penalty)
    a = _rows(x)
    seen = _counts(history, a.shape[0], a.shape[-1]) > 0
    t = a.dtype.type(theta)
    return _back(np.where(seen, np.where(a > 0, a / t, a * t), a), x)


def penalties(
    x: ArrayLike, *, presence: float = 0.0, frequency: float = 0.0, history: Any
) -> np.ndarray:
    """OpenAI/vLLM additive penalties: ``x_i − frequency·c_i − presence·[c_i > 0]``.

    ``c_i`` is how often token ``i`` occurs in ``history``.

    Examples
    --------
    >>> penalties([1.0, 1.0, 1.0], presence=0.5, frequency=0.25, history=[0, 0, 1]).tolist()
    [0.0, 0.25, 1.0]
    """
    pres = check_additive("presence_penalty")(presence)
    freq = check_additive("frequency_penalty")(frequency)
    a = _rows(x)
    c = _counts(history, a.shape[0], a.shape[-1])
    a = a - a.dtype.type(freq) * c.astype(a.dtype) - a.dtype.type(pres) * (c > 0)
    return _back(a, x)
