"""The blocked and threaded paths of the exp-family kernel, forced on small arrays.

Big inputs take paths small ones never do: one long row cut into column blocks
(block sums added with ``math.fsum``), rows grouped into row blocks, both spread
over threads. Here the thresholds are lowered (blocks of a few elements, threads
from the first element) so those paths run on inputs the oracle can check:

* the adversarial corpus stays within the README's ULP bounds (golden values from
  the mpmath oracle, as in ``tests/test_accuracy_bounds.py``);
* a row's result does not depend on the row block it falls in, nor on threads:
  row-blocked batches equal the one-block reference bit for bit;
* a long row's result does not depend on threads (the column blocks are the same,
  whichever thread runs them): bit for bit again.
"""

from __future__ import annotations

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import _expkernel, oracle
from tests.adversarial import families
from tests.test_accuracy_bounds import BOUND, FUNCS


def _blocks(monkeypatch, block: int, row_block: int, threads: int) -> None:
    monkeypatch.setattr(_expkernel, "BLOCK", block)
    monkeypatch.setattr(_expkernel, "ROW_BLOCK", row_block)
    monkeypatch.setattr(_expkernel, "THREAD_MIN", 0)
    monkeypatch.setattr(_expkernel, "THREADS", threads)


def _reference(monkeypatch) -> None:
    """Every vector here is shorter than a block, every batch one row block, no threads."""
    _blocks(monkeypatch, 1 << 20, 1 << 22, 1)


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_column_blocks_in_threads_keep_the_bounds(monkeypatch):
    _blocks(monkeypatch, 4, 8, 3)  # a 60-entry vector: 15 column blocks on 3 threads
    worst = {name: 0.0 for name in FUNCS}
    for cases in families(size=12).values():
        for x, tau in cases:
            for name, fn in FUNCS.items():
                exact = oracle.evaluate(name, x, dps=60, temperature=tau)
                exact = exact if isinstance(exact, list) else [exact]
                got = np.atleast_1d(fn(x, temperature=tau))
                err = float(oracle.ulp_error(got, exact, np.float64).max())
                assert err <= BOUND[name], (name, x, tau, err)
                worst[name] = max(worst[name], err)
    assert worst["softmax"] > 0  # the corpus does reach the rounding error it bounds


def _batch(dtype) -> np.ndarray:
    """Rows of every kind the kernel treats apart, between ordinary ones."""
    rng = np.random.default_rng(15)
    big = float(np.finfo(dtype).max)
    x = rng.normal(0.0, 3.0, (61, 23))
    x[3, 5] = np.inf
    x[7, :] = -np.inf
    x[11, 2] = np.nan
    x[13, :4] = x[13].max() + 1.0  # a tied maximum
    x[17] = big * rng.uniform(-1.0, 1.0, 23)
    x[17, 0] = big  # x − max overflows at τ > 1: the halved route
    x[19] = -rng.uniform(700, 800, 23)  # the rest is subnormal: the rescaled sum
    x[19, 0] = 0.0
    x[23] = np.abs(x[23])  # every |x| ≥ ... and ≤ max: the cheaper error formulas
    x[29] = -np.abs(x[29])
    return x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tau", [1.0, 0.3, 7.0])
def test_row_blocks_and_threads_change_no_bit(monkeypatch, dtype, tau):
    x = _batch(dtype).astype(dtype)
    w = np.random.default_rng(3).uniform(0.0, 2.0, x.shape)
    mask = np.random.default_rng(4).uniform(size=x.shape) > 0.2

    def every_result():
        with np.errstate(all="ignore"):
            return [
                sm.softmax(x, temperature=tau),
                sm.log_softmax(x, temperature=tau),
                sm.logsumexp(x, temperature=tau),
                sm.logsumexp(x, b=w, temperature=tau),
                sm.softmax(x, temperature=tau, where=mask),
                sm.log_softmax(x.T, axis=0, temperature=tau),
                sm.softmax(x, out=np.empty_like(x), temperature=tau),
                sm.softmax(x.reshape(61, 1, 23), axis=(1, 2), temperature=tau),
                sm.logsumexp(x.reshape(61, 23, 1), axis=(1, 2), keepdims=True),
            ]

    _reference(monkeypatch)
    want = every_result()
    _blocks(monkeypatch, 1 << 20, 3 * x.shape[1], 4)  # blocks of 3 rows on 4 threads
    got = every_result()
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert _same_bits(a, b), i
    assert np.isnan(want[0][11]).all() and (want[0][7] == want[0][7][0]).all()  # odd rows arose


def test_bfloat16_rows_through_blocks_and_threads(monkeypatch):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = _batch(np.float32).astype(ml_dtypes.bfloat16)
    _reference(monkeypatch)
    want = [sm.softmax(x), sm.log_softmax(x, temperature=3.0)]
    _blocks(monkeypatch, 1 << 20, 2 * x.shape[1], 3)
    got = [sm.softmax(x), sm.log_softmax(x, temperature=3.0)]
    assert all(_same_bits(a, b) for a, b in zip(got, want, strict=True))
    assert got[0].dtype == ml_dtypes.bfloat16


@pytest.mark.parametrize("mode", ["softmax", "log_softmax", "logsumexp"])
def test_long_row_threads_change_no_bit(monkeypatch, mode):
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 5.0, 1000)
    x[[10, 500]] = -np.inf
    fn = getattr(sm, mode)
    _blocks(monkeypatch, 64, 256, 1)
    alone = fn(x, temperature=0.7)
    _blocks(monkeypatch, 64, 256, 3)
    assert _same_bits(fn(x, temperature=0.7), alone)


def test_long_row_into_out_equals_a_fresh_result(monkeypatch):
    x = np.random.default_rng(8).normal(0.0, 4.0, (3, 500))
    _blocks(monkeypatch, 64, 256, 2)
    for fn in (sm.softmax, sm.log_softmax):
        buf = np.empty_like(x)
        assert fn(x, out=buf) is buf
        assert _same_bits(buf, fn(x))


@pytest.mark.parametrize(("text", "want"), [("1", 1), ("3", 3), ("0", None), ("two", None)])
def test_thread_count_from_the_environment(monkeypatch, text, want):
    monkeypatch.setenv("SOFTMAX_LAB_THREADS", text)
    monkeypatch.setattr(_expkernel.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert _expkernel._default_threads() == (want if want is not None else 2)


@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 3)])
def test_a_batch_of_no_rows_gives_no_rows(shape):
    # scipy.special.softmax(np.zeros((0, 3))) is an empty (0, 3) array; ours raised IndexError
    x = np.zeros(shape)
    assert sm.softmax(x).shape == shape
    assert sm.log_softmax(x).shape == shape
    assert sm.logsumexp(x, axis=-1).shape == shape[:-1]
    buf = np.empty(shape)
    assert sm.softmax(x, out=buf) is buf
