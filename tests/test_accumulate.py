"""``accumulate=``: the twins' sums in a wider type, and ``compare --accumulate`` (issue 16).

The bfloat16 stall: 512 equal logits, summed as a running bfloat16 sum, stop at
256 (256 + 1 is a tie between 256 and 258, and rounds to even), so the naive
softmax says 1/256; the oracle says 1/512, and so does the same formula with a
float32 sum.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

ml_dtypes = pytest.importorskip("ml_dtypes")

from softmax_cli import naive, oracle  # noqa: E402
from softmax_cli.analysis.compare import compare_vector, subject  # noqa: E402
from softmax_cli.errors import SoftmaxInputError  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
TWINS = [n for n in naive.__all__]
STALL = ["compare", "--dtype", "bfloat16", *["0"] * 512, "--format", "json"]


def test_a_running_bfloat16_sum_stalls_at_256_and_a_float32_one_does_not():
    ones = np.ones(512, dtype=BF16)
    assert float(ones.sum()) == 256.0  # numpy adds bfloat16 element after element
    x = np.zeros(512, dtype=BF16)
    truth = oracle.evaluate("softmax", x)[0]
    assert truth == mpmath.mpf(1) / 512
    for fn in (naive.softmax_naive, naive.softmax_shifted):
        assert float(fn(x)[0]) == 1 / 256
        fixed = fn(x, accumulate="float32")
        assert fixed.dtype == BF16 and np.all(fixed.astype(np.float64) == 1 / 512)
    lse = naive.logsumexp_naive(x, accumulate=np.float64)
    assert float(lse) == float(BF16.type(float(mpmath.log(512))))  # log 512 rounded once


@pytest.mark.parametrize("name", TWINS)
def test_accumulate_in_the_input_dtype_is_the_default(name):
    x = np.array([0.5, -1.25, 2.0, 3.0], dtype=np.float16)
    fn = getattr(naive, name)
    assert np.array_equal(fn(x), fn(x, accumulate=np.float16))
    assert np.array_equal(fn(x, temperature=0.7), fn(x, temperature=0.7, accumulate="float16"))


@pytest.mark.parametrize("name", TWINS)
@pytest.mark.parametrize("acc", ["float32", "float64"])
def test_a_wider_sum_is_the_same_formula_rounded_once_at_the_end(name, acc):
    """float64 terms of a bfloat16 input, summed wide: the twin's result is that, rounded."""
    x = np.array([0.5, -1.25, 2.0, 3.0, 7.5], dtype=BF16)
    got = getattr(naive, name)(x, accumulate=acc)
    assert got.dtype == BF16
    e = np.exp(x).astype(acc)  # the exponentials, rounded to bfloat16 first
    s = e.sum()
    if name == "softmax_naive":
        want = e / s
    elif name == "log_softmax_naive":
        want = np.log(e / s)
    elif name == "logsumexp_naive":
        want = np.log(s)
    else:
        m = x.max()
        d = np.exp(x - m).astype(acc)
        want = {
            "softmax_shifted": d / d.sum(),
            "log_softmax_shifted": (x - m).astype(acc) - np.log(d.sum()),
            "logsumexp_shifted": m.astype(acc) + np.log(d.sum()),
        }[name]
    assert np.array_equal(got.astype(np.float64), np.asarray(want).astype(BF16).astype(np.float64))


def test_a_bad_accumulator_is_a_clear_error():
    with pytest.raises(SoftmaxInputError, match="unknown dtype 'int8'"):
        naive.softmax_naive([1.0, 2.0], accumulate="int8")
    with pytest.raises(SoftmaxInputError, match="must be a float dtype"):
        naive.softmax_naive([1.0, 2.0], accumulate=np.int8)
    with pytest.raises(SoftmaxInputError, match="naive and x − max"):
        subject("sparsemax", accumulate="float32")


@pytest.mark.parametrize("method", ["softmax", "log-softmax", "logsumexp"])
@pytest.mark.parametrize("acc", [None, "float32", "float64"])
def test_the_traces_follow_the_twins_bit_for_bit_with_an_accumulator(method, acc):
    x = np.array([1.0, 2.0, 3.0, 0.25], dtype=BF16)
    cmp = compare_vector(x, subj=subject(method, accumulate=acc), explain=True, temperature=0.7)
    for r in cmp.results:
        last = r.trace.steps[-1]
        assert last.key != "library", (r.name, [s.key for s in r.trace.steps])
        assert np.array_equal(last.values.astype(np.float64), r.values.astype(np.float64))


def test_compare_shows_the_stall_and_its_fix(cli):
    import json

    r = cli(*STALL)
    assert r.code == 0, r.err
    rec = json.loads(r.out)[0]
    impls = rec["implementations"]

    def bf(text: str) -> float:  # the shortest text that reads back to the bfloat16 value
        return float(BF16.type(float(text)))

    assert bf(impls["naive"]["values"][0]) == 1 / 256
    assert bf(impls["accurate"]["values"][0]) == 1 / 512
    assert float(rec["oracle"][0]) == 1 / 512
    assert any("the running sum stalls at 256" in v for v in rec["verdict"])
    r = cli(*STALL, "--accumulate", "float32")
    rec = json.loads(r.out)[0]
    assert rec["accumulate"] == "float32"
    for impl in ("naive", "shifted", "accurate"):
        assert bf(rec["implementations"][impl]["values"][0]) == 1 / 512
    assert not any("stalls" in v for v in rec["verdict"])


def test_compare_accumulate_refuses_methods_without_twins(cli):
    r = cli("compare", "-m", "sparsemax", "--accumulate", "float32", "1", "2")
    assert r.code == 2 and r.out == ""
    assert (
        r.err == "error: --accumulate applies to the naive and x − max forms; sparsemax has none\n"
    )
    r = cli("compare", "-m", "cross-entropy", "--target", "0", "--accumulate", "float32", "1", "2")
    assert r.code == 2 and "not to cross-entropy" in r.err
