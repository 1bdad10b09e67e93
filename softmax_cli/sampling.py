"""The sampling distribution a server computes: presets, chains, and seeded draws.

A *plan* is the list of processors a server runs, in its order, with its
defaults and its rules for ties and thresholds (:data:`PRESETS`), or the
explicit order a user gives (``chain``). :func:`process` runs a plan over rows
of logits and can say what each step did; :func:`distribution` gives the
probabilities and log-probabilities of the processed logits (what a server
samples from, and the "logprobs after processing" an RL trainer recomputes);
:func:`draw` samples from them by Gumbel-max, seeded.

Each preset follows one version of the server's own code (``Preset.source``).

Examples
--------
>>> import numpy as np
>>> x = np.array([2.0, 1.0, 1.0, 0.0], dtype=np.float32)
>>> steps = plan("hf", given={"top_k": 2})
>>> [s.processor.name for s in steps]
['top_k']
>>> process(x, steps)[0].tolist()            # Hugging Face keeps the tie at the k-th logit
[2.0, 1.0, 1.0, -inf]
>>> process(x, plan("llama.cpp", given={"top_k": 2, "top_p": 1.0, "min_p": 0.0,
...                                     "temperature": 1.0}))[0].tolist()
[2.0, 1.0, -inf, -inf]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import processor_records as table
from ._torchsort import sorted_from
from .errors import SoftmaxInputError
from .exp_family import log_softmax, softmax
from .processors import _rows, owned, softmax_rows
from .records import Processor

__all__ = [
    "PRESETS",
    "Preset",
    "Step",
    "chain_label",
    "distribution",
    "draw",
    "grad",
    "linearize",
    "plan",
    "process",
]


@dataclass(frozen=True)
class Preset:
    """One server's sampling chain: its order, defaults, rules, greedy rule and source."""

    name: str
    order: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    #: temperature at or below which the server takes the first argmax instead
    #: (None: temperature must be > 0)
    greedy_at: float | None = None
    min_keep: bool = True
    source: str = ""
    #: the step whose input top-p sorts (vLLM sorts once, before its top-k), if not its own
    top_p_sorts: str | None = None


_HF_SRC = (
    "transformers 5.24.0: generation/utils.py _get_logits_processor (order, "
    "min_tokens_to_keep=1 when sampling), generation/logits_process.py (commit 00857b6c) "
    "TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper, "
    "TypicalLogitsWarper, EpsilonLogitsWarper, EtaLogitsWarper, "
    "RepetitionPenaltyLogitsProcessor, SequenceBiasLogitsProcessor; "
    "configuration_utils.py default top_k=50"
)
_VLLM_SRC = (
    "vLLM v1 (commit 3e342658): vllm/v1/sample/sampler.py Sampler.sample (bias, "
    "penalties, temperature, min_p, then top-k/top-p; greedy below 1e-5), "
    "ops/topk_topp_sampler.py apply_top_k_top_p_pytorch, "
    "logits_processor/builtin.py MinPLogitsProcessor, ops/penalties.py"
)
_LLAMA_SRC = (
    "llama.cpp (commit e19fb5f1): src/llama-sampling.cpp llama_sampler_top_k_impl, "
    "llama_sampler_top_p_apply, llama_sampler_min_p_apply, llama_sampler_typical_apply, "
    "llama_sampler_top_n_sigma_apply, llama_sampler_temp_impl, "
    "llama_sampler_penalties_apply; common/common.h default chain and values"
)

#: The order with no preset: bias and penalties, temperature, then the filters.
CANONICAL = tuple(table.names())

PRESETS: dict[str, Preset] = {
    "hf": Preset(
        "hf",
        (
            "logit_bias",
            "repetition_penalty",
            "temperature",
            "top_k",
            "top_p",
            "min_p",
            "typical_p",
            "epsilon_cutoff",
            "eta_cutoff",
        ),
        defaults={"top_k": 50},
        source=_HF_SRC,
    ),
    "vllm": Preset(
        "vllm",
        (
            "logit_bias",
            "repetition_penalty",
            "frequency_penalty",
            "presence_penalty",
            "temperature",
            "min_p",
            "top_k",
            "top_p",
        ),
        rules={"top_p": "vllm"},
        greedy_at=1e-5,
        min_keep=False,
        source=_VLLM_SRC,
        top_p_sorts="top_k",
    ),
    "llama.cpp": Preset(
        "llama.cpp",
        (
            "logit_bias",
            "repetition_penalty",
            "frequency_penalty",
            "presence_penalty",
            "top_n_sigma",
            "top_k",
            "typical_p",
            "top_p",
            "min_p",
            "temperature",
        ),
        defaults={"top_k": 40, "top_p": 0.95, "min_p": 0.05, "temperature": 0.8},
        rules={"top_k": "first", "top_p": "llama.cpp", "min_p": "logit", "typical_p": "llama.cpp"},
        greedy_at=0.0,
        source=_LLAMA_SRC,
    ),
}


@dataclass(frozen=True)
class Step:
    """One processor of a plan with its parameter values and rule."""

    processor: Processor
    values: dict[str, Any]
    rule: str | None = None
    greedy_at: float | None = None
    #: the step whose input this one's sort orders ties by (:attr:`Preset.top_p_sorts`)
    sorts: str | None = None

    @property
    def label(self) -> str:
        """``top_k=50`` etc. for display."""
        vals = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"{self.processor.name}({vals})" + (f" [{self.rule}]" if self.rule else "")


def _preset(name: str | None) -> Preset | None:
    if name is None:
        return None
    try:
        return PRESETS[str(name).lower()]
    except KeyError:
        raise SoftmaxInputError(
            f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}", param="preset"
        ) from None


def plan(
    preset: str | None = None,
    chain: Sequence[str] | str | None = None,
    *,
    given: dict[str, Any] | None = None,
) -> list[Step]:
    """The steps to run: ``preset``'s order (or ``chain``'s), with ``given`` parameter values.

    With a preset, its defaults fill the parameters not given and a processor
    the server lacks is an error; with a ``chain`` (names or ``"a,b,c"``), every
    processor in it needs a value and every value given needs a processor in it.
    A processor with no value (and no default) is left out of a preset's plan.
    ``min_tokens_to_keep`` applies to every filter that takes it.
    """
    given = dict(given or {})
    pre = _preset(preset)
    allp = table.params()
    unknown = sorted(set(given) - set(allp))
    if unknown:
        raise SoftmaxInputError(f"no processor takes {', '.join(unknown)}", param=unknown[0])
    checked = {k: allp[k].check(v) for k, v in given.items()}
    min_keep = checked.pop("min_tokens_to_keep", None)
    if min_keep is not None and pre is not None and not pre.min_keep:
        raise SoftmaxInputError(
            f"{pre.name} has no {{param}} (leave it out, or use a chain)",
            param="min_tokens_to_keep",
        )
    values = {**(pre.defaults if pre else {}), **checked}
    if chain is not None:
        names = [n for n in (chain.split(",") if isinstance(chain, str) else chain) if n.strip()]
        if not names:
            raise SoftmaxInputError("{param} names no processor", param="chain")
        order = [table.by_name(n).name for n in names]
        dup = sorted({n for n in order if order.count(n) > 1})
        if dup:
            raise SoftmaxInputError(f"{{param}} names {', '.join(dup)} twice", param="chain")
        for name in order:
            lacking = [q.name for q in table.by_name(name).params if q.name not in values]
            if lacking:
                raise SoftmaxInputError(f"the chain runs {name}: give {{param}}", param=lacking[0])
        stray = sorted(set(checked) - {q.name for n in order for q in table.by_name(n).params})
        if stray:
            raise SoftmaxInputError(
                "{param} is given, but the chain does not run it", param=stray[0]
            )
    else:
        order = list(pre.order if pre else CANONICAL)
        missing = sorted(set(checked) - {q.name for n in order for q in table.by_name(n).params})
        if missing:
            raise SoftmaxInputError(
                f"{pre.name if pre else 'this'} server has no {{param}} "
                "(leave it out, or run it with a chain)",
                param=missing[0],
            )
    steps = []
    for name in order:
        proc = table.by_name(name)
        if not all(q.name in values for q in proc.params):
            continue
        rule = (pre.rules.get(name) if pre else None) or (proc.rules[0] if proc.rules else None)
        greedy = pre.greedy_at if (pre and name == "temperature") else None
        if name == "temperature" and values["temperature"] == 0 and greedy is None:
            raise SoftmaxInputError(
                f"{{param}} 0 is greedy decoding, which {pre.name if pre else 'this chain'} "
                "does not sample (use a temperature > 0, or {preset} vllm or llama.cpp)",
                param="temperature",
                also=("preset",),
            )
        vals = {q.name: values[q.name] for q in proc.params}
        if proc.min_keep:
            vals["min_tokens_to_keep"] = min_keep or 1
        sorts = pre.top_p_sorts if (pre and name == "top_p") else None
        steps.append(Step(proc, vals, rule, greedy, sorts))
    return steps


def chain_label(steps: Sequence[Step], preset: str | None) -> str:
    """``hf: temperature=0.7, top_k=2`` (``min_tokens_to_keep`` only where not 1).

    Examples
    --------
    >>> chain_label(plan(None, given={"top_p": 0.9}), None)
    'top_p=0.9'
    """
    parts = [
        f"{k}={v}"
        for s in steps
        for k, v in s.values.items()
        if not (k == "min_tokens_to_keep" and v == 1)
    ]
    text = ", ".join(parts) or "no processor"
    return f"{preset}: {text}" if preset else text


@dataclass
class Trace:
    """What one step did, per row: tokens kept and the mass (before it) they held."""

    label: str
    kept: np.ndarray
    mass: np.ndarray


def _inputs(steps: Sequence[Step]) -> dict[str, np.ndarray | None]:
    """The steps whose input a later step sorts: :func:`_run` keeps a copy of each."""
    return {s.sorts: None for s in steps if s.sorts}


def _run(
    step: Step, a: np.ndarray, history: Any, lanes: int, inputs: dict | None = None
) -> np.ndarray:
    proc, vals = step.processor, dict(step.values)
    if inputs is not None and step.processor.name in inputs:
        inputs[step.processor.name] = a.copy()
    src = inputs.get(step.sorts) if (inputs and step.sorts) else None
    if step.greedy_at is not None and vals["temperature"] <= step.greedy_at:
        out = np.full_like(a, -np.inf)
        first = a.argmax(axis=-1)
        out[np.arange(a.shape[0]), first] = a[np.arange(a.shape[0]), first]
        return out
    mk = vals.pop("min_tokens_to_keep", 1)
    with owned(a), sorted_from(src):  # the chain's own array: changed in place
        return proc.apply(
            a, vals, rule=step.rule, min_tokens_to_keep=mk, history=history, lanes=lanes
        )


def process(
    x: ArrayLike,
    steps: Sequence[Step],
    *,
    history: Any = None,
    explain: bool = False,
    lanes: int = 16,
) -> tuple[np.ndarray, list[Trace]]:
    """Run ``steps`` over the rows of ``x`` (``(..., V)``); the processed logits and a trace.

    Removed tokens are ``-inf``. With ``explain``, one :class:`Trace` per step.
    ``lanes``: the float32 vector width of the torch whose thresholds to reproduce
    (16: a CPU with AVX-512, 8: AVX2; see :mod:`softmax_cli.torch_softmax`).
    """
    a = _rows(x)
    traces: list[Trace] = []
    inputs = _inputs(steps)
    for step in steps:
        before = softmax_rows(a) if explain else None
        a = _run(step, a, history, lanes, inputs)
        if explain:
            kept = np.isfinite(a)
            traces.append(
                Trace(step.label, kept.sum(axis=-1), np.where(kept, before, 0).sum(axis=-1))
            )
    return a.reshape(np.shape(x)), traces


def linearize(
    x: ArrayLike, steps: Sequence[Step], *, history: Any = None, lanes: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """The processed logits ``z`` (rows, ``-inf`` removed) and ``s = ∂z_j/∂x_j`` per token.

    Every processor acts on each logit alone (a filter keeps it or removes it, a
    penalty or temperature maps it), so the chain's derivative is diagonal: ``s``
    is the product of the steps' slopes (``Processor.slope``), and 1 for filters,
    biases and additive penalties. Away from ties and thresholds, that is.

    Examples
    --------
    >>> z, s = linearize([2.0, 1.0, 0.0], plan(None, given={"temperature": 0.5, "top_k": 2}))
    >>> z.tolist(), s.tolist()
    ([[4.0, 2.0, -inf]], [[2.0, 2.0, 2.0]])
    """
    a = _rows(x)
    slope = np.ones_like(a)
    inputs = _inputs(steps)
    for step in steps:
        greedy = step.greedy_at is not None and step.values["temperature"] <= step.greedy_at
        if step.processor.slope is not None and not greedy:
            slope = slope * step.processor.slope(a, step.values, history)
        a = _run(step, a, history, lanes, inputs)
    return a, slope


def grad(
    x: ArrayLike,
    steps: Sequence[Step],
    token: ArrayLike,
    *,
    history: Any = None,
    lanes: int = 16,
) -> np.ndarray:
    """The gradient of ``log p(token)`` after processing, by the logits before it, per row.

    What an RL trainer needs of "logprobs after processing": on the kept set K,
    ``∂ log p_t / ∂ x_j = (δ_tj − p_j) · s_j``, ``s_j`` the product of the steps'
    slopes on token ``j`` (``1/τ`` for temperature, ``1/θ`` or ``θ`` for the
    repetition penalty, 1 for additive penalties and biases: ``Processor.slope``);
    0 off K, as a filter's choice of tokens does not move under a small change of
    the logits (except at a tie or on a threshold, where there is no derivative).
    ``token``: one token id for every row, or one per row; it must be kept.

    Examples
    --------
    >>> x = np.array([2.0, 1.0, 0.0, -1.0])
    >>> g = grad(x, plan(None, given={"temperature": 0.5, "top_k": 2}), 0)
    >>> p = np.exp(2 * x[:2]) / np.exp(2 * x[:2]).sum()     # the kept two, at τ = 0.5
    >>> bool(np.allclose(g, [(1 - p[0]) * 2, -p[1] * 2, 0, 0]))
    True
    """
    a, slope = linearize(x, steps, history=history, lanes=lanes)
    probs, _ = distribution(a)
    rows = np.arange(a.shape[0])
    t = np.broadcast_to(np.asarray(token), (a.shape[0],))
    if t.dtype.kind not in "iu" or (t < 0).any() or (t >= a.shape[1]).any():
        raise SoftmaxInputError(
            f"{{param}} must be token ids 0..{a.shape[1] - 1}, got {np.asarray(token)!r}",
            param="token",
        )
    removed = ~np.isfinite(a[rows, t])
    if removed.any():
        r = int(np.flatnonzero(removed)[0])
        raise SoftmaxInputError(
            f"token {int(t[r])} of row {r + 1} is removed by the processors: its "
            "log-probability is -inf and has no gradient"
        )
    g = -probs * slope
    g[rows, t] += slope[rows, t]
    g[~np.isfinite(a)] = 0
    return g.reshape(np.shape(x))


def distribution(logits: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and log-probabilities of processed logits (accurate softmax).

    Examples
    --------
    >>> p, lp = distribution([0.0, -np.inf, 0.0])
    >>> p.tolist(), lp.tolist()
    ([0.5, 0.0, 0.5], [-0.6931471805599453, -inf, -0.6931471805599453])
    """
    a = np.asarray(logits)
    finite = np.isfinite(a)
    if not finite.any(axis=-1).all():
        raise SoftmaxInputError("every token was removed: nothing is left to sample")
    rows = a.reshape(-1, a.shape[-1]) if a.ndim else a.reshape(1, 1)
    count = finite.reshape(rows.shape).sum(axis=-1)
    width = int(count.max())
    if 4 * width >= rows.shape[-1]:
        return softmax(a), log_softmax(a)
    # few kept tokens (after a filter): the softmax of those alone, in id order
    r, c = np.nonzero(finite.reshape(rows.shape))
    col = np.arange(r.size) - (np.cumsum(count) - count)[r]
    packed = np.full((rows.shape[0], width), -np.inf, dtype=a.dtype)
    packed[r, col] = rows[r, c]
    p, lp = np.zeros_like(rows), np.full_like(rows, -np.inf)
    p[r, c] = softmax(packed)[r, col]
    lp[r, c] = log_softmax(packed)[r, col]
    return p.reshape(a.shape), lp.reshape(a.shape)


def draw(
    logits: ArrayLike,
    n: int,
    *,
    seed: int | np.random.Generator | None = None,
    replace: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws per row by Gumbel-max: token ids ``(rows, n)`` and their log-probabilities.

    With ``replace``, each draw is ``argmax(x + g)`` with fresh Gumbel noise ``g``
    (a draw from ``softmax(x)``), and its log-probability is that token's. Without,
    the ``n`` largest of ``x + g`` (Gumbel-top-k: distinct tokens), and the
    log-probability is the Plackett–Luce one of the sequence so far,
    ``Σ_j (x_{i_j} − LSE(x over the tokens not yet drawn))``. ``seed``: an integer,
    or a :class:`numpy.random.Generator` to go on drawing from (batch after batch).

    Examples
    --------
    >>> toks, lp = draw([0.0, -np.inf, 0.0], 3, seed=1)
    >>> set(toks[0].tolist()) <= {0, 2}, np.allclose(lp, np.log(0.5))
    (True, True)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise SoftmaxInputError(f"{{param}} must be an integer >= 1, got {n!r}", param="draws")
    a0 = _rows(logits)
    a = a0.astype(np.float64)
    rng = np.random.default_rng(seed)
    lp = log_softmax(a)
    rows = np.arange(a.shape[0])[:, None]
    if replace:
        g = rng.gumbel(size=(a.shape[0], n, a.shape[1]))
        toks = np.argmax(a[:, None, :] + g, axis=-1)
        return toks, lp[rows, toks].astype(a0.dtype)
    finite = np.isfinite(a).sum(axis=-1)
    if n > finite.min():
        raise SoftmaxInputError(
            f"{{param}} {n} without replacement, but a row keeps only {int(finite.min())} tokens",
            param="draws",
        )
    keys = a + rng.gumbel(size=a.shape)
    toks = np.argsort(-keys, axis=-1, kind="stable")[:, :n]
    out = np.empty((a.shape[0], n))
    rest = a.copy()
    total = np.zeros(a.shape[0])
    for j in range(n):
        t = toks[:, j]
        total = total + log_softmax(rest)[np.arange(a.shape[0]), t]
        rest[np.arange(a.shape[0]), t] = -np.inf
        out[:, j] = total
    return toks, out.astype(a0.dtype)
