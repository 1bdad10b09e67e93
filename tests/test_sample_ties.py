"""Ties at the top-p cut as CPU torch's unstable sort leaves them (issue 14).

Hugging Face's ``TopPLogitsWarper`` sorts a row with ``torch.sort`` (not stable past
16 logits): of tokens tied across its cut, those it keeps are its sort's choice.
:mod:`softmax_cli._torchsort` reproduces that order. The golden values below were
printed by transformers 5.24.0 on torch 2.13.0+cpu (AVX512) with this snippet, run
by hand from the checkout (these tests need neither torch nor transformers)::

    import numpy as np, torch
    from transformers.generation import logits_process as lp

    def orders():
        rng = np.random.default_rng(5)
        for n in (17, 40, 100):
            x = rng.integers(0, 3, n).astype(np.float32)
            x[rng.random(n) < 0.2] = -np.inf
            x[rng.random(n) < 0.05] = np.nan
            print(n, torch.sort(torch.from_numpy(x[None].copy()), dim=-1)[1][0].tolist())

    def adversary100():
        import sys; sys.path.insert(0, "/work/wt-sortties/benchmarks")
        from peer_torchsort import adversary
        x = adversary(100)
        print("adv", x.astype(int).tolist())
        print("adv order", torch.sort(torch.from_numpy(x[None].copy()), dim=-1)[1][0].tolist())

    def top_p_rows():
        rng = np.random.default_rng(11)
        X = rng.integers(0, 4, (6, 40)).astype(np.float32) / np.float32(2)
        X[rng.random((6, 40)) < 0.25] = -np.inf
        for p in (0.5, 0.9):
            out = lp.TopPLogitsWarper(p)(None, torch.from_numpy(X.copy())).numpy()
            print("top_p", p, [np.flatnonzero(np.isfinite(r)).tolist() for r in out])

    def wide():
        rng = np.random.default_rng(12)
        x = rng.normal(-8, 1, (1, 151_936)).astype(np.float32)
        x[0, rng.choice(151_936, 30, replace=False)] = 2.0
        out = lp.TopPLogitsWarper(0.5)(None, torch.from_numpy(x.copy())).numpy()
        print("wide", np.flatnonzero(np.isfinite(out[0])).tolist())
        y = rng.normal(-3, 1, (2, 4096)).astype(np.float32)
        for r in range(2):
            top = rng.choice(4096, 70, replace=False)
            y[r, top[:30]], y[r, top[30:]] = 3.0, 2.0
        hf = lp.LogitsProcessorList([lp.TemperatureLogitsWarper(0.7), lp.TopKLogitsWarper(50),
                                     lp.TopPLogitsWarper(0.6)])
        out = hf(None, torch.from_numpy(y.copy())).numpy()
        print("preset", [np.flatnonzero(np.isfinite(r)).tolist() for r in out])

    orders(); adversary100(); top_p_rows(); wide()

``adversary`` is ``benchmarks/peer_torchsort.py``'s McIlroy adversary: on its row of
100 the introsort runs out of depth and heapsorts 76 of them.
"""

from __future__ import annotations

import numpy as np
import pytest

from softmax_cli import _torchsort, processors, sampling

# Golden lists as strings of numbers (``_ints``), as the snippet printed them.
# orders(): torch.sort(...)[1] of three seeded rows (levels 0..2, -inf, nan)
TORCH_ORDER = {
    17: ("14 10 16 2 15 7 9 4 6 13 11 12 8 0 1 5 3"),
    40: (
        "1 39 36 34 32 25 16 6 7 0 10 12 13 2 3 33 30 8 38 37 28 5 24 20 19 22 21 23 11 29 14 4 "
        "18 17 35 15 9 31 27 26"
    ),
    100: (
        "28 55 54 51 48 46 45 63 65 42 39 69 77 21 12 90 11 5 7 9 33 73 36 68 67 72 61 97 60 0 "
        "3 99 76 15 88 87 86 82 81 79 26 27 78 74 93 70 94 83 96 91 85 50 89 57 56 98 52 1 4 8 "
        "16 20 23 24 30 31 32 37 38 43 49 40 84 53 58 6 59 92 13 14 18 19 47 75 41 35 34 66 64 "
        "29 25 80 44 62 17 22 10 95 71 2"
    ),
}
# adversary100(): the row (100: the values the adversary never had to fix) and torch's order
ADVERSARY = (
    "100 1 100 3 100 5 100 7 100 9 100 11 100 13 100 15 100 17 100 19 100 21 100 23 100 100 100 "
    "100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 "
    "100 0 2 4 6 8 10 12 14 16 18 20 22 100 100 100 100 100 100 100 100 100 100 100 100 100 100 "
    "100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 100 "
    "100 100"
)
ADVERSARY_ORDER = (
    "50 1 51 3 52 5 53 7 54 9 55 11 56 13 57 15 58 17 59 19 60 21 61 23 62 70 46 94 78 42 66 34 "
    "74 0 90 82 16 98 32 64 44 68 28 72 48 76 36 80 4 88 84 12 92 40 96 20 99 27 63 43 65 33 67 "
    "45 69 25 71 47 73 35 75 49 77 29 79 2 81 37 83 6 87 85 10 89 39 91 14 93 31 95 18 97 41 22 "
    "24 26 30 38 8 86"
)
# top_p_rows(): the tokens TopPLogitsWarper(p) keeps on each of the six rows
TOP_P = {
    0.5: [
        ("2 5 16 18 23 26 28 31 37 38"),
        ("0 1 6 10 15 16 17 18 20 26 27"),
        ("9 10 12 23 29 31 34 38"),
        ("3 8 9 10 12 17 21 35 36"),
        ("3 5 10 12 14 18 32 33 35"),
        ("5 14 16 17 20 22 24 26"),
    ],
    0.9: [
        ("2 3 4 5 6 8 14 16 18 19 21 23 24 25 26 27 28 31 33 35 37 38 39"),
        ("0 1 4 5 6 7 9 10 14 15 16 17 18 20 21 22 26 27 28 29 32 33 36 37 39"),
        ("0 2 4 5 7 8 9 10 12 13 18 20 21 23 25 26 27 28 29 31 33 34 38"),
        ("3 8 9 10 11 12 13 15 17 20 21 22 24 26 28 29 31 32 33 34 35 36 37 39"),
        ("1 2 3 5 6 9 10 11 12 13 14 18 19 25 26 27 31 32 33 34 35 38"),
        ("2 3 4 5 6 8 10 11 12 14 15 16 17 18 19 20 22 23 24 26 33 34"),
    ],
}
# wide(): TopPLogitsWarper(0.5) on one row of 151,936 (30 tied tokens at the top hold 3/4
# of the mass), and temperature 0.7, top-k 50, top-p 0.6 on two rows of 4,096
WIDE = (
    "17971 30220 40360 40532 51969 59031 61959 69777 76814 78129 82814 83171 105385 105984 "
    "108653 109895 132543 144718 145603 147611 149216"
)
PRESET = [
    (
        "172 205 459 572 1378 1487 1488 1600 1619 1628 1641 1775 2257 2362 2524 2598 2706 2908 "
        "2984 3155 3171 3254 3699 3782"
    ),
    (
        "4 94 96 267 275 523 550 585 1285 1306 1516 1850 1914 2349 2415 2755 3137 3153 3246 "
        "3512 3651 3744 3745 3925"
    ),
]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split()]


def _orders_rows():
    rng = np.random.default_rng(5)
    for n in (17, 40, 100):
        x = rng.integers(0, 3, n).astype(np.float32)
        x[rng.random(n) < 0.2] = -np.inf
        x[rng.random(n) < 0.05] = np.nan
        yield n, x


def test_torch_order_is_torch_sorts_order_index_for_index():
    for n, x in _orders_rows():
        order = _torchsort.torch_order(x)
        assert order.tolist() == _ints(TORCH_ORDER[n])
        # not the stable order: the emulation is what makes these equal
        assert order.tolist() != np.argsort(x, kind="stable").tolist()
        for t in (0.0, 1.0, 2.0):  # one value's order, with the shortcut
            expect = [i for i in _ints(TORCH_ORDER[n]) if x[i] == t]
            assert _torchsort.tied_order(x, t).tolist() == expect


def test_torch_order_runs_the_heapsort_where_the_introsort_runs_out_of_depth(monkeypatch):
    heaps = []
    real = _torchsort._heapsort
    monkeypatch.setattr(
        _torchsort, "_heapsort", lambda p, lo, hi: (heaps.append(hi - lo), real(p, lo, hi))
    )
    x = np.array(_ints(ADVERSARY), dtype=np.float32)
    assert _torchsort.torch_order(x).tolist() == _ints(ADVERSARY_ORDER)
    assert heaps == [76]
    # float64 rows sort by value alike
    assert _torchsort.torch_order(x.astype(np.float64)).tolist() == _ints(ADVERSARY_ORDER)


def test_rows_up_to_16_are_sorted_stably():
    x = np.zeros(16, dtype=np.float32)
    assert _torchsort.torch_order(x).tolist() == list(range(16))
    # -0.0 and +0.0 are equal: a stable tie
    assert _torchsort.torch_order(np.array([0.0, -0.0, 0.0])).tolist() == [0, 1, 2]


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_top_p_keeps_the_tied_tokens_hugging_face_keeps(p):
    rng = np.random.default_rng(11)
    x = rng.integers(0, 4, (6, 40)).astype(np.float32) / np.float32(2)
    x[rng.random((6, 40)) < 0.25] = -np.inf
    out = processors.top_p(x, p)
    assert [np.flatnonzero(np.isfinite(r)).tolist() for r in out] == [_ints(r) for r in TOP_P[p]]


def _wide_rows():
    rng = np.random.default_rng(12)
    x = rng.normal(-8, 1, (1, 151_936)).astype(np.float32)
    x[0, rng.choice(151_936, 30, replace=False)] = 2.0
    y = rng.normal(-3, 1, (2, 4096)).astype(np.float32)
    for r in range(2):
        top = rng.choice(4096, 70, replace=False)
        y[r, top[:30]], y[r, top[30:]] = 3.0, 2.0
    return x, y


def test_wide_rows_keep_the_tied_tokens_hugging_face_keeps():
    x, y = _wide_rows()
    out = processors.top_p(x, 0.5)
    assert np.flatnonzero(np.isfinite(out[0])).tolist() == _ints(WIDE)
    # the hf preset: top-p after top-k (the short path over the survivors)
    steps = sampling.plan("hf", given={"temperature": 0.7, "top_k": 50, "top_p": 0.6})
    got, _ = sampling.process(y, steps)
    assert [np.flatnonzero(np.isfinite(r)).tolist() for r in got] == [_ints(r) for r in PRESET]
    # a stable sort keeps other tokens: the lower ids go first
    tied = np.flatnonzero(x[0] == 2.0)
    assert tied[-len(_ints(WIDE)) :].tolist() != _ints(WIDE)


def test_rows_without_a_tie_across_the_cut_do_not_reorder(monkeypatch):
    def refuse(*args):
        raise AssertionError("no tie across the cut: torch's order is not needed")

    monkeypatch.setattr(_torchsort, "tied_order", refuse)
    x = np.random.default_rng(3).normal(0, 2, (8, 300)).astype(np.float32)
    x[:, 7] = x[:, 8]  # a tie below the cut
    np.minimum(x, 3, out=x)
    kept = np.isfinite(processors.top_p(x, 0.9))
    order = np.argsort(x, axis=-1, kind="stable")
    # the stable pass alone decides: the kept tokens are a top set
    for k, o in zip(kept, order, strict=True):
        assert set(np.flatnonzero(k)) == set(o[-k.sum() :])


def test_typical_p_min_tokens_to_keep_keeps_the_tied_tokens_hugging_face_keeps():
    # one dominant token holds the typical mass; min_tokens_to_keep=5 keeps the first 5
    # places of torch's sort of |-log p - H|: the dominant token and 4 of 39 tied ones.
    # Golden from transformers 5.24.0, torch 2.13.0+cpu:
    #     x = np.zeros((1, 40), dtype=np.float32); x[0, 7] = 5
    #     out = lp.TypicalLogitsWarper(0.7, min_tokens_to_keep=5)(None, torch.from_numpy(x))
    #     print(np.flatnonzero(np.isfinite(out.numpy()[0])).tolist())
    x = np.zeros((1, 40), dtype=np.float32)
    x[0, 7] = 5
    out = processors.typical_p(x, 0.7, min_tokens_to_keep=5)
    assert np.flatnonzero(np.isfinite(out[0])).tolist() == [7, 21, 22, 23, 31]


# vLLM v1 (commit 3e342658) vllm/v1/sample/ops/topk_topp_sampler.py apply_top_k_top_p:
#     logits_sort, logits_idx = logits.sort(dim=-1, descending=False)   # once, before top-k
#     top_k_mask = logits_sort.gather(1, top_k_mask.unsqueeze(dim=1)) ...  # top-k by value
#     probs_sum = torch.cumsum(probs_sort, dim=-1, out=probs_sort)
#     top_p_mask = probs_sum <= 1 - p.unsqueeze(dim=1)                   # p: a float32 tensor
#     top_p_mask[:, -1] = False
# Goldens: those calls replayed with torch 2.13.0+cpu (vLLM needs a GPU build to install):
#     def vllm_top_k_top_p(x, k, p):
#         s, idx = torch.from_numpy(x.copy()).sort(dim=-1, descending=False)
#         if k is not None:
#             kth = s.gather(1, (s.size(1) - torch.tensor([k] * len(x))).unsqueeze(1))
#             s.masked_fill_(s < kth, -float("inf"))
#         cum = torch.cumsum(s.softmax(dim=-1), dim=-1)
#         mask = cum <= 1 - torch.tensor([p] * len(x), dtype=torch.float32).unsqueeze(1)
#         mask[:, -1] = False
#         s.masked_fill_(mask, -float("inf"))
#         return np.isfinite(s.scatter(-1, idx, s).numpy())
#     x = (np.random.default_rng(21).integers(0, 6, (3, 60)) / 2).astype(np.float32)
#     print([np.flatnonzero(r).tolist() for r in vllm_top_k_top_p(x, 12, 0.5)])
#     print(vllm_top_k_top_p(np.zeros((1, 5), np.float32), None, 0.8).sum())   # 5
VLLM_TIES = [
    [14, 17, 18, 37, 40, 46, 48],
    [12, 25, 30, 34, 43, 53],
    [3, 14, 16, 31, 34, 37, 40, 42, 55],
]


def test_vllm_cuts_ties_in_its_sort_of_the_rows_before_top_k():
    x = (np.random.default_rng(21).integers(0, 6, (3, 60)) / 2).astype(np.float32)
    steps = sampling.plan("vllm", given={"top_k": 12, "top_p": 0.5})
    out, _ = sampling.process(x, steps)
    assert [np.flatnonzero(np.isfinite(r)).tolist() for r in out] == VLLM_TIES
    # Hugging Face sorts the rows after its top-k: other tied tokens stay
    hf, _ = sampling.process(x, sampling.plan("hf", given={"top_k": 12, "top_p": 0.5}))
    assert [np.flatnonzero(np.isfinite(r)).tolist() for r in hf] != VLLM_TIES
    # the gradient's kept set is the same chain's
    z, _ = sampling.linearize(x, steps)
    assert np.array_equal(np.isfinite(z), np.isfinite(out))


def test_vllm_top_p_bar_is_one_minus_p_in_float32():
    # five equal logits at p = 0.8: the first place's mass 0.2f is <= fl(1 - 0.8) = 0.2f
    # (Hugging Face: that token goes) but not <= 1 - 0.8f = 0.19999999f (vLLM: it stays)
    five = np.zeros((1, 5), dtype=np.float32)
    vllm, _ = sampling.process(five, sampling.plan("vllm", given={"top_p": 0.8}))
    hf, _ = sampling.process(five, sampling.plan("hf", given={"top_p": 0.8}))
    assert int(np.isfinite(vllm).sum()) == 5
    assert int(np.isfinite(hf).sum()) == 4
