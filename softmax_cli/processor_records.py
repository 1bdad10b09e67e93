"""The table of LLM logit processors (:class:`~softmax_cli.records.Processor` records).

:mod:`softmax_cli.registry` re-exports it (``PROCESSORS``, ``get_processor``);
``softmax sample`` generates one option per parameter from it, and the presets
of :mod:`softmax_cli.sampling` name processors by their ``name`` here.

Examples
--------
>>> [p.name for p in PROCESSORS][:4]
['logit_bias', 'repetition_penalty', 'frequency_penalty', 'presence_penalty']
>>> by_name("top-k").apply([3.0, 1.0, 2.0], {"top_k": 2}).tolist()
[3.0, -inf, 2.0]
"""

from __future__ import annotations

import numpy as np

from . import processor_checks as C
from . import processors as P
from .errors import SoftmaxInputError
from .records import Param, Processor

__all__ = ["MIN_KEEP", "PROCESSORS", "by_name", "names", "params"]


def _param(name: str, kind: type, help: str, check) -> Param:
    return Param(name, kind, None, help, "--" + name.replace("_", "-"), check)


MIN_KEEP = Param(
    "min_tokens_to_keep",
    int,
    1,
    "every filter keeps at least this many tokens",
    "--min-tokens-to-keep",
    C.check_min_keep,
)

_FREQ = _param("frequency_penalty", float, "subtract φ·count from seen tokens",
               C.check_additive("frequency_penalty"))  # fmt: skip
_PRES = _param("presence_penalty", float, "subtract π from every seen token",
               C.check_additive("presence_penalty"))  # fmt: skip


def _frequency(x, value, *, history):
    return P.penalties(x, frequency=value, history=history)


def _presence(x, value, *, history):
    return P.penalties(x, presence=value, history=history)


def _repetition_slope(x, values, history):
    """``1/θ`` on seen tokens with ``x > 0``, ``θ`` on seen tokens with ``x ≤ 0``, else 1."""
    a = P._rows(x)
    t = a.dtype.type(values["repetition_penalty"])
    seen = P._counts(history, a.shape[0], a.shape[-1]) > 0
    one = a.dtype.type(1)
    return np.where(seen, np.where(a > 0, one / t, t), one)


PROCESSORS: tuple[Processor, ...] = (
    Processor(
        "logit_bias",
        P.logit_bias,
        "add a bias to chosen token ids ('id:bias,id:bias')",
        (_param("logit_bias", str, "biases 'id:bias,id:bias'", C.check_bias),),
        aliases=("bias",),
        filter=False,
    ),
    Processor(
        "repetition_penalty",
        lambda x, theta, *, history: P.repetition_penalty(x, theta, history=history),
        "seen tokens: x/θ if x > 0 else x·θ (Hugging Face, CTRL)",
        (_param("repetition_penalty", float, "θ > 0 on seen tokens", C.check_penalty),),
        aliases=("repetition",),
        history=True,
        filter=False,
        slope=_repetition_slope,
    ),
    Processor(
        "frequency_penalty",
        _frequency,
        "x − φ·count (OpenAI, vLLM, llama.cpp)",
        (_FREQ,),
        aliases=("frequency",),
        history=True,
        filter=False,
    ),
    Processor(
        "presence_penalty",
        _presence,
        "x − π·[count > 0] (OpenAI, vLLM, llama.cpp)",
        (_PRES,),
        aliases=("presence",),
        history=True,
        filter=False,
    ),
    Processor(
        "temperature",
        P.temperature,
        "x/τ",
        (
            _param(
                "temperature",
                float,
                "τ: the logits are divided by it (0: greedy)",
                C.check_temperature_setting,
            ),
        ),
        aliases=("temp",),
        filter=False,
        slope=lambda x, values, history: 1 / values["temperature"],
    ),
    Processor(
        "top_n_sigma",
        P.top_n_sigma,
        "keep x ≥ max x − n·σ(x) (llama.cpp)",
        (_param("top_n_sigma", float, "n > 0 deviations below the max", C.check_sigma),),
        aliases=("top-n-sigma", "top_nsigma"),
    ),
    Processor(
        "top_k",
        lambda x, k, *, ties, min_tokens_to_keep: P.top_k(
            x, k, ties=ties, min_tokens_to_keep=min_tokens_to_keep
        ),
        "keep the k largest logits",
        (_param("top_k", int, "keep the k largest logits", C.check_top_k),),
        aliases=("top-k",),
        rules=("keep", "first"),
        rule_keyword="ties",
        min_keep=True,
    ),
    Processor(
        "top_p",
        P.top_p,
        "keep the smallest top set with mass ≥ p (nucleus)",
        (_param("top_p", float, "nucleus mass in (0, 1]", C.check_unit("top_p")),),
        aliases=("top-p", "nucleus"),
        rules=("hf", "llama.cpp", "vllm"),
        min_keep=True,
        lanes=True,
    ),
    Processor(
        "min_p",
        P.min_p,
        "keep p_i ≥ min_p · max p",
        (_param("min_p", float, "fraction in [0, 1] of the top probability", C.check_min_p),),
        aliases=("min-p",),
        rules=("prob", "logit", "exact"),
        min_keep=True,
        lanes=True,
    ),
    Processor(
        "typical_p",
        P.typical_p,
        "locally typical: surprise nearest the entropy, to mass p",
        (_param("typical_p", float, "typical mass in (0, 1]", C.check_unit("typical_p")),),
        aliases=("typical-p", "typical"),
        rules=("hf", "llama.cpp"),
        min_keep=True,
        lanes=True,
    ),
    Processor(
        "epsilon_cutoff",
        P.epsilon_cutoff,
        "keep p_i ≥ ε",
        (
            _param(
                "epsilon_cutoff", float, "ε in (0, 1)", C.check_unit("epsilon_cutoff", closed=False)
            ),
        ),
        aliases=("epsilon", "epsilon-cutoff"),
        min_keep=True,
        lanes=True,
    ),
    Processor(
        "eta_cutoff",
        P.eta_cutoff,
        "keep p_i ≥ min(η, √η·exp(−H))",
        (_param("eta_cutoff", float, "η in (0, 1)", C.check_unit("eta_cutoff", closed=False)),),
        aliases=("eta", "eta-cutoff"),
        min_keep=True,
        lanes=True,
    ),
)

_BY_NAME = {k.lower(): p for p in PROCESSORS for k in (p.name, *p.aliases)}


def names() -> list[str]:
    """Every processor's name, in table order."""
    return [p.name for p in PROCESSORS]


def by_name(name: str) -> Processor:
    """The processor called ``name`` (or an alias), case-insensitively; ``-`` and ``_`` alike."""
    key = str(name).strip().lower()
    found = _BY_NAME.get(key) or _BY_NAME.get(key.replace("-", "_"))
    if found is None:
        raise SoftmaxInputError(
            f"unknown processor {name!r}: choose from {', '.join(names())}", param="chain"
        )
    return found


def params() -> dict[str, Param]:
    """Every processor parameter by name, ``min_tokens_to_keep`` last (the sample options)."""
    out = {q.name: q for p in PROCESSORS for q in p.params}
    out[MIN_KEEP.name] = MIN_KEEP
    return out
