"""Logit processors, presets and draws: golden rows from Hugging Face's own processors.

The golden values (``HF``) were produced by transformers 5.24.0 on CPU torch
2.13.0 with the snippet at the end of this docstring (run by hand; these tests
need neither). vLLM and llama.cpp rules are each covered by a test quoting the
server code it follows (file, function, commit in :mod:`softmax_cli.sampling`).

The snippet::

    import numpy as np, torch
    from transformers.generation import logits_process as lp
    X = np.array([
        [2.0, 1.0, 1.0, 0.0, -1.0, 1.0],          # ties at the k-th logit
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],           # all equal: cumulative mass lands on p
        [0.0, -np.inf, 1.5, -0.5, -np.inf, 0.25], # -inf
        [0.0, -0.6931472, -1.3862944, -2.0794415, -2.7725887, -3.465736],  # halving probs
    ], dtype=np.float32)
    cases = {
        "top_k=3": lp.TopKLogitsWarper(3),
        "top_p=0.5": lp.TopPLogitsWarper(0.5),
        "min_p=0.3": lp.MinPLogitsWarper(0.3),
        "typical_p=0.6": lp.TypicalLogitsWarper(0.6),
        "epsilon=0.1": lp.EpsilonLogitsWarper(0.1),
        "eta=0.2": lp.EtaLogitsWarper(0.2),
        "hf t=0.7,k=4,p=0.8,min_p=0.1": lp.LogitsProcessorList([lp.TemperatureLogitsWarper(0.7),
            lp.TopKLogitsWarper(4), lp.TopPLogitsWarper(0.8), lp.MinPLogitsWarper(0.1)]),
        "repetition=1.5 h=[0,3,3]": lp.RepetitionPenaltyLogitsProcessor(1.5),
    }
    ids = torch.tensor([[0, 3, 3]] * 4)
    for name, proc in cases.items():
        out = proc(ids, torch.from_numpy(X.copy()))
        probs = torch.softmax(out, -1).numpy()
        kept = np.isfinite(out.numpy()).astype(int).tolist()
        print(repr(name), ":", (kept, [[float(v) for v in r] for r in probs]), ",")
"""

from __future__ import annotations

import numpy as np
import pytest

from softmax_cli import SoftmaxInputError, _torchsort, processors, registry, sampling, torch_softmax
from softmax_cli.processors import softmax_rows

X = np.array([
    [2.0, 1.0, 1.0, 0.0, -1.0, 1.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, -np.inf, 1.5, -0.5, -np.inf, 0.25],
    [0.0, -0.6931472, -1.3862944, -2.0794415, -2.7725887, -3.465736],
], dtype=np.float32)  # fmt: skip

# Rows the snippet prints alike for several cases, each written once here (as printed):
# row 1, all six kept
_EVEN = [0.1666666716337204, 0.1666666716337204, 0.1666666716337204,
         0.1666666716337204, 0.1666666716337204, 0.1666666716337204]  # fmt: skip
# row 0 without tokens 3 and 4
_TIES = [0.4753669202327728, 0.17487771809101105, 0.17487771809101105,
         0.0, 0.0, 0.17487771809101105]  # fmt: skip
# row 3, three kept
_HALVES_3 = [0.5714285969734192, 0.2857142984867096, 0.1428571492433548, 0.0, 0.0, 0.0]  # fmt: skip
# row 2, token 2 alone
_ONLY_2 = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]  # fmt: skip
# row 2, its finite logits
_FINITE = [0.14780405163764954, 0.0, 0.6624118089675903, 0.0, 0.0, 0.18978416919708252]  # fmt: skip
# row 3, two kept
_HALVES_2 = [0.6666666865348816, 0.3333333432674408, 0.0, 0.0, 0.0, 0.0]  # fmt: skip

# name: (kept masks, probabilities), as printed by the snippet
HF = {
    "top_k=3": (
        [[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 0, 1], [1, 1, 1, 0, 0, 0]],
        [_TIES, _EVEN, _FINITE, _HALVES_3],
    ),
    "top_p=0.5": (
        [[1, 0, 0, 0, 0, 1], [0, 0, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]],
        [
            [0.7310585975646973, 0.0, 0.0, 0.0, 0.0, 0.2689414322376251],
            [0.0, 0.0, 0.0, 0.3333333432674408, 0.3333333432674408, 0.3333333432674408],
            _ONLY_2,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ],
    ),
    "min_p=0.3": (
        [[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], [0, 0, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]],
        [_TIES, _EVEN, _ONLY_2, _HALVES_2],
    ),
    "typical_p=0.6": (
        [[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], [0, 0, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]],
        [_TIES, _EVEN, _ONLY_2, _HALVES_2],
    ),
    "epsilon=0.1": (
        [[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 0, 1], [1, 1, 1, 0, 0, 0]],
        [_TIES, _EVEN, _FINITE, _HALVES_3],
    ),
    "eta=0.2": (
        [[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], [0, 0, 1, 0, 0, 1], [1, 1, 1, 0, 0, 0]],
        [
            _TIES,
            _EVEN,
            [0.0, 0.0, 0.7772998809814453, 0.0, 0.0, 0.22270014882087708],
            _HALVES_3,
        ],
    ),
    "hf t=0.7,k=4,p=0.8,min_p=0.1": (
        [[1, 0, 1, 0, 0, 1], [0, 1, 1, 1, 1, 1], [0, 0, 1, 0, 0, 1], [1, 1, 0, 0, 0, 0]],
        [
            [0.6759945154190063, 0.0, 0.1620027720928192, 0.0, 0.0, 0.1620027720928192],
            [0.0, 0.20000000298023224, 0.20000000298023224,
             0.20000000298023224, 0.20000000298023224, 0.20000000298023224],
            [0.0, 0.0, 0.8564010262489319, 0.0, 0.0, 0.1435989886522293],
            [0.729129433631897, 0.27087053656578064, 0.0, 0.0, 0.0, 0.0],
        ],
    ),
    "repetition=1.5 h=[0,3,3]": (
        [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1]],
        [
            [0.28488707542419434, 0.20413050055503845, 0.20413050055503845,
             0.07509541511535645, 0.027626056224107742, 0.20413050055503845],
            _EVEN,
            [0.1381581574678421, 0.0, 0.6191818714141846,
             0.06526128947734833, 0.0, 0.17739857733249664],
            [0.5296766757965088, 0.2648383378982544, 0.1324191689491272,
             0.023408623412251472, 0.0331047922372818, 0.0165523961186409],
        ],
    ),
}  # fmt: skip

GIVEN = {
    "top_k=3": {"top_k": 3},
    "top_p=0.5": {"top_p": 0.5},
    "min_p=0.3": {"min_p": 0.3},
    "typical_p=0.6": {"typical_p": 0.6},
    "epsilon=0.1": {"epsilon_cutoff": 0.1},
    "eta=0.2": {"eta_cutoff": 0.2},
    "hf t=0.7,k=4,p=0.8,min_p=0.1": {"temperature": 0.7, "top_k": 4, "top_p": 0.8, "min_p": 0.1},
    "repetition=1.5 h=[0,3,3]": {"repetition_penalty": 1.5},
}
F32 = float(np.finfo(np.float32).eps)


@pytest.mark.parametrize("name", list(HF))
def test_kept_sets_and_probabilities_match_hugging_face(name):
    kept, probs = HF[name]
    # the hf preset's default top_k=50 keeps all 6 logits
    out, _ = sampling.process(X, sampling.plan("hf", given=GIVEN[name]), history=[0, 3, 3])
    assert np.isfinite(out).astype(int).tolist() == kept
    # Hugging Face computes in float32: within a few float32 roundings of 1
    assert np.abs(softmax_rows(out) - np.array(probs)).max() <= 4 * F32


def test_probabilities_match_the_float64_softmax_of_the_kept_set():
    out, _ = sampling.process(X, sampling.plan("hf", given={"top_p": 0.5}))
    p, lp = sampling.distribution(out.astype(np.float64))
    kept = np.isfinite(out)
    for r in range(len(X)):  # renormalised softmax over the kept logits, by hand
        e = np.exp(X[r][kept[r]].astype(np.float64) - X[r][kept[r]].max())
        assert np.allclose(p[r][kept[r]], e / e.sum(), rtol=1e-15, atol=0)
        assert np.array_equal(lp[r][~kept[r]], np.full((~kept[r]).sum(), -np.inf))


# ---------------------------------------------------------------- server rules


def test_top_k_ties_hf_and_vllm_keep_every_tie():
    # HF TopKLogitsWarper: `scores < torch.topk(scores, top_k)[0][..., -1, None]` is removed;
    # vLLM apply_top_k_top_p_pytorch: `logits_sort < logits_sort.gather(...)` is removed.
    x = np.array([2.0, 1.0, 1.0, 0.0])
    for preset in ("hf", "vllm"):
        out, _ = sampling.process(x, sampling.plan(preset, given={"top_k": 2}))
        assert np.isfinite(out).tolist() == [True, True, True, False]


def test_top_k_llama_cpp_keeps_exactly_k():
    # llama_sampler_top_k_impl: partial sort, then `cur_p->size = k`
    given = {"top_k": 2, "top_p": 1.0, "min_p": 0.0, "temperature": 1.0}
    x = np.array([2.0, 1.0, 1.0, 0.0])
    out, _ = sampling.process(x, sampling.plan("llama.cpp", given=given))
    assert np.isfinite(out).tolist() == [True, True, False, False]


def test_top_p_token_that_reaches_p_exactly():
    # HF/vLLM: remove ascending cumulative mass `<= 1 - p`: of 4 equal tokens at p = 0.5 the two
    # lower ids go (cum 0.25, 0.5). llama.cpp llama_sampler_top_p_apply: keep through the
    # first `cum_sum >= p`: the two lower ids stay.
    x = np.zeros(4)
    hf, _ = sampling.process(x, sampling.plan("vllm", given={"top_p": 0.5}))
    given = {"top_p": 0.5, "top_k": 4, "min_p": 0.0}
    ll, _ = sampling.process(x, sampling.plan("llama.cpp", given=given))
    assert np.isfinite(hf).tolist() == [False, False, True, True]
    assert np.isfinite(ll).tolist() == [True, True, False, False]


def test_min_p_llama_cpp_compares_logits():
    # llama_sampler_min_p_apply: `min_logit = max_logit + logf(ctx->p)`; keep `logit >= min_logit`
    x = np.array([0.0, np.log(0.25) + 1e-9, np.log(0.25) - 1e-9])
    out = processors.min_p(x, 0.25, rule="logit")
    assert np.isfinite(out).tolist() == [True, True, False]


def test_vllm_orders_min_p_before_top_k_and_temperature_before_both():
    # vllm/v1/sample/sampler.py Sampler.sample: temperature, argmax-invariant processors
    # (min_p), then topk_topp_sampler
    steps = sampling.plan("vllm", given={"top_k": 5, "min_p": 0.1, "temperature": 0.5})
    assert [s.processor.name for s in steps] == ["temperature", "min_p", "top_k"]


def test_llama_cpp_default_chain_puts_temperature_last():
    # common/common.h: penalties, dry, top_n_sigma, top_k, typ_p, top_p, min_p, xtc, temperature
    steps = sampling.plan("llama.cpp")
    assert [s.processor.name for s in steps] == ["top_k", "top_p", "min_p", "temperature"]
    assert [s.values[s.processor.params[0].name] for s in steps] == [40, 0.95, 0.05, 0.8]


def test_greedy_temperatures():
    # vLLM: `temperature < _SAMPLING_EPS` (1e-5) takes the argmax; llama.cpp
    # llama_sampler_temp_impl: `temp <= 0` keeps the first maximum; HF refuses 0.
    x = np.array([1.0, 3.0, 3.0, 2.0])
    for preset in ("vllm", "llama.cpp"):
        out, _ = sampling.process(x, sampling.plan(preset, given={"temperature": 0.0}))
        assert np.isfinite(out).tolist() == [False, True, False, False]
    with pytest.raises(SoftmaxInputError) as info:
        sampling.plan("hf", given={"temperature": 0})
    assert info.value.param == "temperature"


def test_penalties_repetition_sign_aware_and_additive():
    x = np.array([2.0, -2.0, 0.0, 1.0])
    out = processors.repetition_penalty(x, 2.0, history=[0, 1, 1, 2])
    assert out.tolist() == [1.0, -4.0, 0.0, 1.0]
    out = processors.penalties(x, presence=1.0, frequency=0.5, history=[1, 1, 3])
    assert out.tolist() == [2.0, -4.0, 0.0, -0.5]


def test_per_row_histories_and_bad_ids():
    x = np.zeros((2, 3))
    out = processors.penalties(x, presence=1.0, history=[[0], [2]])
    assert out.tolist() == [[-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
    with pytest.raises(SoftmaxInputError) as info:
        processors.penalties(x, presence=1.0, history=[7])
    assert info.value.param == "history"


def test_top_n_sigma_uses_the_finite_logits_population_deviation():
    x = np.array([0.0, 1.0, 2.0, 3.0, -np.inf])
    sd = np.std([0.0, 1.0, 2.0, 3.0])
    out = processors.top_n_sigma(x, 1.0)
    assert np.isfinite(out).tolist() == [v >= 3.0 - sd for v in [0, 1, 2, 3]] + [False]


def test_batched_rows_equal_one_row_at_a_time():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2, (5, 40)).astype(np.float32)
    steps = sampling.plan("hf", given={"temperature": 0.8, "top_p": 0.7, "min_p": 0.05})
    whole, _ = sampling.process(x, steps)
    for r in range(5):
        assert np.array_equal(whole[r], sampling.process(x[r], steps)[0])


def test_nan_and_plus_inf_are_refused_and_an_all_removed_row_too():
    for bad in (np.nan, np.inf):
        with pytest.raises(SoftmaxInputError, match="token 1 of row 1"):
            processors.top_k([0.0, bad], 1)
    with pytest.raises(SoftmaxInputError, match="nothing is left"):
        sampling.distribution([-np.inf, -np.inf])


def test_explain_counts_and_mass():
    steps = sampling.plan(None, given={"top_k": 3, "top_p": 0.5})
    x = np.log([0.4, 0.3, 0.2, 0.1])
    _, trace = sampling.process(x, steps, explain=True)
    assert [int(t.kept[0]) for t in trace] == [3, 2]
    assert np.allclose([t.mass[0] for t in trace], [0.9, 7 / 9])


def test_chain_rules():
    steps = sampling.plan(None, "top_p,temperature", given={"top_p": 0.9, "temperature": 2.0})
    assert [s.processor.name for s in steps] == ["top_p", "temperature"]
    for chain, given, param in [
        ("top_k", {}, "top_k"),
        ("top_k", {"top_k": 2, "top_p": 0.5}, "top_p"),
        ("top_k,nope", {"top_k": 2}, "chain"),
        ("top_k,top-k", {"top_k": 2}, "chain"),
    ]:
        with pytest.raises(SoftmaxInputError) as info:
            sampling.plan(None, chain, given=given)
        assert info.value.param == param


def test_gumbel_draws_follow_the_distribution_and_are_seeded():
    x = np.log(np.array([0.5, 0.25, 0.25]))
    toks, lp = sampling.draw(x, 40_000, seed=0)
    freq = np.bincount(toks[0], minlength=3) / 40_000
    assert np.abs(freq - [0.5, 0.25, 0.25]).max() < 0.0125  # 5 standard deviations
    assert np.array_equal(toks, sampling.draw(x, 40_000, seed=0)[0])
    assert np.allclose(lp[0], np.log([0.5, 0.25, 0.25])[toks[0]])


def test_gumbel_top_k_plackett_luce():
    p = np.array([0.5, 0.3, 0.2])
    toks, lp = sampling.draw(np.log(p), 3, seed=4, replace=False)
    assert sorted(toks[0].tolist()) == [0, 1, 2]
    a, b, _ = toks[0]
    expect = np.cumsum([np.log(p[a]), np.log(p[b] / (1 - p[a])), 0.0])
    assert np.allclose(lp[0], expect)
    with pytest.raises(SoftmaxInputError):
        sampling.draw(np.array([0.0, -np.inf]), 2, seed=0, replace=False)


def test_processor_records_are_in_the_registry():
    assert registry.get_processor("top-p").name == "top_p"
    assert set(registry.processor_names()) >= {
        "temperature", "top_k", "top_p", "min_p", "typical_p", "top_n_sigma", "epsilon_cutoff",
        "eta_cutoff", "logit_bias", "repetition_penalty", "presence_penalty", "frequency_penalty",
    }  # fmt: skip


# Min-p at the boundary: a logit exactly fl32(log 0.1) below the top, so its exact
# probability is 0.0999999968 x the top's, just under min_p = 0.1. Hugging Face tests its
# float32 values (softmax as e * (1/sum), then `probs < min_p * max`) and keeps it on row 2.
# Golden kept masks from transformers 5.24.0, torch 2.13.0 CPU (AVX512), by hand:
#
#     import numpy as np, torch
#     from transformers.generation import logits_process as lp
#     a = np.float32(np.log(0.1))
#     X = np.array([[0, a, -1, -1, -1], [0, a, -1, -np.inf, -np.inf],
#                   [0, a, -np.inf, -np.inf, -np.inf], [0, 0, a, a, a], [0, 0, a, -1, -1]],
#                  dtype=np.float32)
#     out = lp.MinPLogitsWarper(0.1)(torch.zeros((5, 1), dtype=torch.long), torch.from_numpy(X))
#     print(np.isfinite(out.numpy()).astype(int).tolist())
_A = np.float32(np.log(0.1))
MIN_P_EDGE = np.array([
    [0, _A, -1, -1, -1], [0, _A, -1, -np.inf, -np.inf], [0, _A, -np.inf, -np.inf, -np.inf],
    [0, 0, _A, _A, _A], [0, 0, _A, -1, -1],
], dtype=np.float32)  # fmt: skip
MIN_P_EDGE_HF = [
    [1, 0, 1, 1, 1],
    [1, 1, 1, 0, 0],
    [1, 0, 0, 0, 0],
    [1, 1, 0, 0, 0],
    [1, 1, 0, 1, 1],
]


def test_min_p_at_the_boundary_keeps_what_hugging_face_keeps():
    out, _ = sampling.process(MIN_P_EDGE, sampling.plan(None, given={"min_p": 0.1}))
    assert np.isfinite(out).astype(int).tolist() == MIN_P_EDGE_HF


def test_min_p_exact_rule_removes_a_token_just_under_the_threshold():
    # exp(fl32(log 0.1)) < 0.1 exactly: the exact rule removes token 1 on every row where
    # the top is 0 and token 1 is fl32(log 0.1); only row 2 differs from Hugging Face
    exact = np.isfinite(processors.min_p(MIN_P_EDGE, 0.1, rule="exact")).astype(int).tolist()
    assert np.exp(np.float64(_A)) < 0.1
    assert [r for r in range(5) if exact[r] != MIN_P_EDGE_HF[r]] == [1]
    assert exact[1][1] == 0 and MIN_P_EDGE_HF[1][1] == 1


@pytest.mark.parametrize(
    ("n", "q", "p", "removed"), [(1000, 1e-4, 0.95, 550), (5000, 3e-5, 0.9, 3833)]
)
def test_top_p_long_runs_of_equal_tokens_cut_where_hugging_face_cuts(n, q, p, removed):
    # n equal small tokens and one large: the cut falls inside the run, where the running
    # sum decides. torch's CPU cumsum accumulates float32 in float64 (acc_type) and rounds
    # each partial sum once. Golden counts, transformers 5.24.0 / torch 2.13.0 CPU, by hand:
    #     x = np.log(np.r_[np.full(n, q), 1.0]).astype(np.float32)
    #     out = lp.TopPLogitsWarper(p)(torch.zeros((1, 1), dtype=torch.long),
    #                                  torch.from_numpy(x[None].copy()))
    #     print(int(torch.isinf(out).sum()))
    x = np.log(np.r_[np.full(n, q), 1.0]).astype(np.float32)
    assert int(np.isinf(processors.top_p(x, p)).sum()) == removed


# Rows where Hugging Face's own kept set depends on the CPU torch runs on: min_p = 0.1 on
# rows 40 and 173 of benchmarks/peer_hf.py's rows(3000, 12). Golden masks from transformers
# 5.24.0, torch 2.13.0 CPU, by hand, once per kernel set (ATEN_CPU_CAPABILITY=avx2, =avx512):
#
#     import numpy as np, torch
#     from transformers.generation import logits_process as lp
#     from peer_hf import rows                  # benchmarks/
#     x = rows(3000, 12)[[40, 173]]
#     out = lp.MinPLogitsWarper(0.1)(None, torch.from_numpy(x.copy()))
#     print(torch.backends.cpu.get_cpu_capability(), np.isfinite(out.numpy()).astype(int).tolist())
_L2, _L10, _L20 = np.float32(np.log(0.5)), np.float32(np.log(0.1)), np.float32(np.log(0.05))
CPU_DEPENDENT = np.array([
    [_L20, 0, _L2, _L20, _L10, _L20, _L2, _L2, 0, 0, _L20, _L2],
    [0, _L10, _L20, -5, 0, _L2, 0, 0, _L20, _L2, -5, -5],
], dtype=np.float32)  # fmt: skip
CPU_DEPENDENT_HF = {
    8: [[0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1], [1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0]],  # AVX2
    16: [[0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1], [1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0]],  # AVX512
}


@pytest.mark.parametrize("lanes", [8, 16])
def test_min_p_keeps_what_hugging_face_keeps_on_that_cpu(lanes):
    # the token at fl32(log 0.1) below the top is within a rounding of the threshold:
    # torch on AVX-512 keeps it, on AVX2 drops it; each width reproduces its own
    out, _ = sampling.process(CPU_DEPENDENT, sampling.plan("hf", given={"min_p": 0.1,
                              "top_k": 12}), lanes=lanes)  # fmt: skip
    assert np.isfinite(out).astype(int).tolist() == CPU_DEPENDENT_HF[lanes]
    assert CPU_DEPENDENT_HF[8] != CPU_DEPENDENT_HF[16]


def test_torch_softmax_sums_by_lanes_and_rounds_like_torch():
    # rows shorter than the vector width are summed left to right, longer ones by lanes
    # folded by halves (ATen/cpu/vec/functional_base.h reduce_all): 2^24 + fifteen 1s
    e = np.array([[2.0**24] + [1.0] * 15], dtype=np.float32)
    assert torch_softmax.lane_sum(e[:, :15], 16)[0] == 2.0**24
    assert torch_softmax.lane_sum(e, 16)[0] == 2.0**24 + 14  # lane 0: 2^24 + 1 ties to even
    assert torch_softmax.lane_sum(e, 8)[0] == 2.0**24 + 14
    # the sparse path (few finite values, as after a top-k) sums in the same order
    rng = np.random.default_rng(5)
    x = rng.normal(0, 3, (40, 300)).astype(np.float32)
    x[rng.random(x.shape) < 0.9] = -np.inf
    x[:, 3] = 0.0
    d = x - x.max(axis=-1, keepdims=True)
    e = torch_softmax.exp_sleef(np.where(np.isfinite(d), d, np.float32(-200)))
    for lanes in (8, 16):
        sparse = torch_softmax.softmax(x, lanes)
        dense = e * (np.float32(1) / torch_softmax.lane_sum(e, lanes))[:, None]
        assert np.array_equal(sparse, dense)
        assert np.array_equal(np.isfinite(x), sparse > 0)
        exact = np.exp(d.astype(np.float64))
        assert np.allclose(sparse, exact / exact.sum(axis=-1, keepdims=True), rtol=1e-6)
    # a row's tail after `offset` leading -inf: the same values as the whole row's softmax
    # (a tail of 10 after 531 is summed by lanes, as the whole row is, not left to right)
    for width in (77, 10):
        tail = rng.normal(0, 3, (200, width)).astype(np.float32)
        tail[rng.random(tail.shape) < 0.3] = -np.inf
        tail[:, -1] = 1.0
        for offset in (0, 5, 16, 531):
            whole = np.concatenate([np.full((200, offset), -np.inf, np.float32), tail], axis=1)
            for lanes in (8, 16):
                full = torch_softmax.softmax(whole, lanes)[:, offset:]
                assert np.array_equal(torch_softmax.softmax(tail, lanes, offset=offset), full)
    # SLEEF's exp is within one float32 ulp of the exact value, and not always rounded
    d = -np.abs(rng.normal(0, 10, 200_000)).astype(np.float32)
    exact = np.exp(d.astype(np.float64))
    ours = torch_softmax.exp_sleef(d).astype(np.float64)
    assert np.all(np.abs(ours - exact) <= np.spacing(ours.astype(np.float32)))
    assert (ours != exact.astype(np.float32)).any()


@pytest.mark.parametrize("lanes", [8, 16])
def test_top_p_after_top_k_sorts_only_the_survivors_with_the_same_cut(lanes):
    # rows of 600 with 5 to 60 finite logits (ties among them): top_p's short path must cut
    # exactly where Hugging Face's full ascending sort of the whole row cuts (torch's order,
    # ties too: _torchsort), torch's softmax of the sorted row (lanes by position) and a
    # float64 running sum rounded per token
    rng = np.random.default_rng(17)
    x = np.full((60, 600), -np.inf, dtype=np.float32)
    for r in range(60):
        cols = rng.choice(600, size=5 + r, replace=False)
        x[r, cols] = rng.integers(-6, 3, cols.size) / np.float32(2)
    for p in (0.3, 0.75, 0.9):
        order = np.array([_torchsort.torch_order(row) for row in x])
        probs = torch_softmax.softmax(np.take_along_axis(x, order, axis=-1), lanes)
        cum = np.cumsum(probs.astype(np.float64), axis=-1).astype(np.float32)
        remove_sorted = cum <= np.float32(1 - p)
        remove_sorted[:, -1] = False
        expect = np.empty_like(remove_sorted)
        np.put_along_axis(expect, order, remove_sorted, axis=-1)
        got = processors.top_p(x, p, lanes=lanes)
        assert np.array_equal(np.isinf(got), expect | np.isinf(x))


@pytest.mark.parametrize("preset", ["hf", "llama.cpp"])
def test_grad_of_processed_logprob_matches_finite_differences(preset):
    # central differences of log p(token) after the whole chain (penalty, temperature,
    # filters), in float64, on rows whose kept set does not move under a step of 1e-6
    rng = np.random.default_rng(23)
    x = rng.normal(0, 2, (6, 40))
    given = {"repetition_penalty": 1.3, "temperature": 0.7, "top_k": 12, "top_p": 0.9}
    if preset == "llama.cpp":
        given["min_p"] = 0.0
    steps = sampling.plan(preset, given=given)
    history = [[0, 3, 3, 7], [], [1, 2], [5], [9, 9], [0, 39]]
    logits, _ = sampling.process(x, steps, history=history)
    token = np.argmax(logits, axis=-1)
    g = sampling.grad(x, steps, token, history=history)

    def logp(y: np.ndarray) -> np.ndarray:
        out, _ = sampling.process(y, steps, history=history)
        return sampling.distribution(out)[1][np.arange(6), token]

    h = 1e-6
    fd = np.empty_like(x)
    for j in range(40):
        e = np.zeros_like(x)
        e[:, j] = h
        fd[:, j] = (logp(x + e) - logp(x - e)) / (2 * h)
    assert np.allclose(g, fd, atol=1e-7)
    assert (g == 0).sum() > 6 * 20  # the removed tokens
    assert ((g != 0) & ~np.isfinite(logits)).sum() == 0


def test_grad_refuses_a_removed_token():
    steps = sampling.plan(None, given={"top_k": 1})
    with pytest.raises(SoftmaxInputError, match="token 1 of row 1 is removed"):
        sampling.grad([2.0, 1.0], steps, 1)
