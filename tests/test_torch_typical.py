"""Hugging Face's typical-p on torch's float32 kernels, bit for bit (issue 14).

``TypicalLogitsWarper`` scores each token by ``|−log p − H|`` from
``log_softmax`` (SLEEF's ``logf_u10`` of the lane sum), ``exp`` and ``nansum``
(``SumKernel.cpp``'s cascade, dispatched up to AVX2: 8 lanes). Two tokens whose
scores tie in exact arithmetic are told apart by those roundings, and the kept
set follows. The golden values were printed by torch 2.13.0+cpu (AVX512) and
transformers 5.24.0, by hand from the checkout, with the snippet beside each
test (these tests need neither torch nor transformers).
"""

from __future__ import annotations

import numpy as np
import pytest

from softmax_cli import processors, torch_softmax

F = np.float32


@pytest.mark.parametrize(
    ("row", "excess"),
    [
        # 7 < 8 entries: four interleaved partial sums, then folded: each +1 ties to even
        ([2.0**24] + [1.0] * 6, 0.0),
        # 12: one 8-lane vector (lane 0 holds 2^24), the 4 left over summed first (to 4),
        # then 2^24, then the lanes' seven 1s: each 2^24 + 5 ties back to 2^24 + 4
        ([2.0**24] + [1.0] * 11, 4.0),
        # 17 with a nan: two vectors summed lane by lane (lanes 1..7 hold 2), nan counts 0
        ([2.0**24] + [1.0] * 15 + [float("nan")], 14.0),
        # 201: 25 vectors in four partial sums, then the leftover entry, then the lanes
        ([2.0**24] + [1.0] * 200, 188.0),
    ],
)
def test_nansum_adds_in_torchs_order(row: list[float], excess: float) -> None:
    # derived by hand from SumKernel.cpp and confirmed with torch:
    #     torch.tensor([row], dtype=torch.float32).nansum(-1).item() - 2**24
    got = torch_softmax.nansum(np.array([row], dtype=F))
    assert float(got[0]) - 2.0**24 == excess
    left_to_right = F(0)
    for v in np.nan_to_num(np.array(row, dtype=F)):
        left_to_right += v
    assert left_to_right == F(2.0**24)  # every 1 rounds away: the order is what counts


# rows whose log-sum-exp rounds differently in SLEEF's logf_u10 than correctly rounded:
#     rng = np.random.default_rng(5); x = rng.normal(0, 3, (4000, 12)).astype(np.float32)
#     n = torch.nn.functional.log_softmax(torch.from_numpy(x), -1).numpy()
#     rows 162, 383, 421, 426: x[r], -n[r, x[r].argmax()]
_LSE_ROWS = [
    (
        [-3.332946, -0.15731716, -2.608445, -1.7362971, 1.2711155, -1.4056576,
         5.4416947, 0.17856129, -1.5969727, -3.3904665, -1.5935138, 3.3061383],
        0.13689296,
    ),
    (
        [2.8619292, -0.6875985, 4.038797, 3.7408786, -0.7933226, -1.1988684,
         -3.826642, -1.173855, 0.31812096, -0.41243383, 2.0760777, 0.4245565],
        0.824996,
    ),
    (
        [-1.8596174, 5.156911, -6.621211, -3.1714272, 1.9579675, -6.7235804,
         -1.3301401, -3.944264, 1.0346005, 0.02910568, -0.29433137, -0.029119588],
        0.0728922,
    ),
    (
        [-1.9522072, -4.9793944, 2.6995242, -1.2685943, 3.9926295, -0.23729181,
         -4.5050592, -1.2652669, 3.1758752, -0.96045196, 0.25465548, -4.773868],
        0.5739128,
    ),
]  # fmt: skip


def test_log_softmax_is_torchs_where_correct_rounding_is_not() -> None:
    x = np.array([r for r, _ in _LSE_ROWS], dtype=F)
    lse = np.array([v for _, v in _LSE_ROWS], dtype=F)
    got = torch_softmax.log_softmax(x, 16)  # the goldens' CPU: AVX512
    top = x.argmax(axis=-1)
    assert np.array_equal(-got[np.arange(len(x)), top], lse)
    # the rest of each row is (x − max) − lse, in float32
    assert np.array_equal(got, (x - x.max(axis=-1, keepdims=True)) - lse[:, None])
    # correctly rounded logs give other bits on every one of these rows
    d = x - x.max(axis=-1, keepdims=True)
    s = torch_softmax.lane_sum(torch_softmax.exp_sleef(d), 16)
    assert (np.log(s.astype(np.float64)).astype(F) != lse).all()


def test_log_sleef_is_within_one_ulp_of_the_true_log() -> None:
    rng = np.random.default_rng(0)
    d = np.exp(rng.uniform(-20, 80, 20_000)).astype(F)
    d = np.concatenate([d, np.array([1.0, 2.0, 0.75, 1.5, 1.4999999, 3e-38, 3e38], dtype=F)])
    got = torch_softmax.log_sleef(d).astype(np.float64)
    exact = np.log(d.astype(np.float64))
    assert (np.abs(got - exact) <= np.spacing(np.abs(exact).astype(F)).astype(np.float64)).all()
    assert (torch_softmax.log_sleef(d, 8) == torch_softmax.log_sleef(d, 16)).mean() > 0.999


def test_typical_p_tells_exactly_tied_scores_apart_as_hugging_face_does() -> None:
    # p ∝ 1, 1/2 (x7), 1/4 (x3), 1/8: H = log 5.375 + log 2 exactly, so token 6 (p = 1/5.375)
    # and the three 1/4 tokens score exactly ln 2 each; torch's roundings put token 6 at
    # 0.69314754 and the others at 0.69314671, and the cut falls between them.
    # benchmarks/peer_hf.py rows(3000, 12)[2405] ("powers of 2"); golden from
    #     lp.TypicalLogitsWarper(0.7)(None, torch.from_numpy(x[None].copy()))
    x = np.array([3, 4, 3, 3, 3, 3, 2, 4, 5, 3, 3, 4], dtype=F) * -F(np.log(2.0))
    hf_kept = [1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1]
    for lanes in (16, 8):
        out = processors.typical_p(x[None], 0.7, lanes=lanes)
        assert np.isfinite(out[0]).astype(int).tolist() == hf_kept
    shifted = torch_softmax.typical_shifted(x[None])[0]
    assert shifted[6] > shifted[1] == shifted[7] == shifted[11]
    # llama.cpp's rule computes in its own float order and keeps token 6
    assert np.isfinite(processors.typical_p(x[None], 0.7, rule="llama.cpp")[0, 6])
