"""The fast paths of the sampling chain give the same bits as the plain ones.

``exp_sleef`` works in cache-sized blocks in place; ``sampling.process`` lets each
step change the chain's own array instead of copying it (``processors.owned``).
"""

from __future__ import annotations

import numpy as np

from softmax_cli import processors, sampling, torch_softmax


def test_blocked_exp_sleef_is_the_plain_transcription_bit_for_bit():
    rng = np.random.default_rng(11)
    n = 3 * torch_softmax._BLOCK + 123  # blocks and a ragged end
    d = np.concatenate([
        rng.uniform(-110, 0, n),
        -np.abs(rng.normal(0, 1e-3, 1000)),
        [0.0, -0.0, -104.0, -103.99, -104.01, -1e-30, -87.3, -88.8, -1e30],
    ]).astype(np.float32)  # fmt: skip
    with np.errstate(all="ignore"):  # the plain one warns far below -104 (both give 0 there)
        plain = torch_softmax._exp_sleef_reference(d)
    fast = torch_softmax.exp_sleef(d)
    assert np.array_equal(fast.view(np.uint32), plain.view(np.uint32))
    two_d = d[: 5 * 777].reshape(5, 777)
    assert np.array_equal(torch_softmax.exp_sleef(two_d), fast[: 5 * 777].reshape(5, 777))


def test_a_chain_changes_its_own_array_only_and_matches_its_steps_one_by_one():
    rng = np.random.default_rng(12)
    x = rng.normal(0, 3, (6, 5000)).astype(np.float32)
    keep = x.copy()
    given = {"temperature": 0.7, "top_k": 50, "top_p": 0.9, "min_p": 0.05}
    out, _ = sampling.process(x, sampling.plan("hf", given=given))
    assert np.array_equal(x, keep)  # the input is never changed
    by_hand = processors.temperature(x, 0.7)
    by_hand = processors.top_k(by_hand, 50)
    by_hand = processors.top_p(by_hand, 0.9)
    by_hand = processors.min_p(by_hand, 0.05)
    assert np.array_equal(out, by_hand)
    assert np.isfinite(out).sum(axis=-1).max() <= 50


def test_a_nan_or_inf_is_still_found_on_the_fast_check():
    x = np.zeros((3, 70), dtype=np.float32)
    x[2, 41] = np.nan
    for bad, what in ((np.nan, "nan"), (np.inf, "+inf")):
        x[2, 41] = bad
        try:
            processors.top_k(x, 2)
        except processors.SoftmaxInputError as err:
            assert str(err).startswith(f"token 41 of row 3 is {what}")
        else:
            raise AssertionError("not refused")
