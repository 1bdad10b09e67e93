"""The fast paths of ``softmax calibrate`` (issue 17): they change the time, not the answer."""

from __future__ import annotations

import numpy as np
import pytest

from softmax_cli import calibrate, registry
from softmax_cli._calibrate_fit import SoftmaxNLL, solve
from softmax_cli.analysis.calibration import measure, measure_states


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(140_000, 6)) * 3  # ≥ 4 × 32 768 rows: the fit is warm-started
    t = np.argmax(x + rng.gumbel(size=x.shape), axis=1)
    x = 2.5 * x
    x[::7, 5] = -np.inf  # masked classes take the careful path through the blocks
    t[::7] = np.where(t[::7] == 5, 0, t[::7])
    return x, t


def test_the_warm_start_finds_the_cold_starts_temperature_in_fewer_full_passes(data):
    x, t = data
    fit = calibrate.fit_temperature(x, t)
    beta, _, passes = solve(SoftmaxNLL(x, t, x.max(axis=1), False), np.finfo(float).eps, True)
    assert abs(fit.beta - beta) <= 2 * np.spacing(beta)
    assert fit.iterations < passes


def test_blocks_and_threads_give_the_same_sums_as_one_pass(data, monkeypatch):
    x, t = data
    import softmax_cli._calibrate_fit as fitmod

    whole = SoftmaxNLL(x[:5000], t[:5000], x[:5000].max(axis=1), False)(0.7)
    monkeypatch.setattr(fitmod, "CHUNK_VALUES", 6 * 37)  # blocks of 37 rows
    blocks = SoftmaxNLL(x[:5000], t[:5000], x[:5000].max(axis=1), False)(0.7)
    assert blocks == whole  # each row's sums are the same however the rows are cut
    monkeypatch.setattr(fitmod, "THREAD_MIN", 1)
    monkeypatch.setattr(fitmod, "THREADS", 3)
    f = SoftmaxNLL(x[:5000], t[:5000], x[:5000].max(axis=1), False)
    assert len(f.ranges) == 3 and f(0.7) == whole


def test_shared_top_class_gives_the_measures_of_the_probabilities(data):
    x, t = data
    x, t = x[:20000], t[:20000]
    for name in ("softmax", "sparsemax"):
        m = registry.get(name)
        shared = measure_states(x if name == "softmax" else np.where(np.isinf(x), -50, x), t, m,
                                {}, 1.7, 12)  # fmt: skip
        xs = x if name == "softmax" else np.where(np.isinf(x), -50, x)
        own = [measure("before", xs, t, m, {}, 1.0, 12), measure("after", xs, t, m, {}, 1.7, 12)]
        for a, b in zip(shared, own, strict=True):
            assert a.values == b.values
            p = m.func(xs, axis=-1, temperature=a.values["temperature"])
            assert a.values["accuracy"] == calibrate.accuracy(p, t)
            assert a.values["brier"] == pytest.approx(calibrate.brier(p, t), rel=1e-15)
            assert a.values["ece"] == calibrate.ece(p, t, bins=12)
