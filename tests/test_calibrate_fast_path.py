"""The fast paths of ``softmax calibrate`` (issue 17): they change the time, not the answer."""

from __future__ import annotations

import math

import mpmath
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


def test_shared_top_class_gives_the_measures_of_the_probabilities(data, monkeypatch):
    # the fast path's sums are the numpy kernel's; the compiled accelerator's softmax differs
    # from them by an ULP here and there (tests/test_rowkernel.py), so compare with numpy's
    monkeypatch.setenv("SOFTMAX_LAB_ACCEL", "0")
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


def _mp_state(x: np.ndarray, t: np.ndarray, tau: float, bins: int) -> dict:
    """NLL, Brier, accuracy, ECE/MCE (width) and ECE (mass) of softmax(x/τ) in 50-digit mpmath,
    row by row; the bins by tests/test_calibrate.py's loop on the correctly rounded p."""
    from tests.test_calibrate import _mp_binned, _mp_top

    probs, nll, brier = [], mpmath.mpf(0), mpmath.mpf(0)
    for row, lab in zip(x, t, strict=True):
        z = [mpmath.mpf(float(v)) / mpmath.mpf(tau) for v in row]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))
        p = [mpmath.exp(v - lse) for v in z]
        nll += lse - z[lab]
        brier += mpmath.fsum((q - (1 if i == lab else 0)) ** 2 for i, q in enumerate(p))
        probs.append(p)
    p_float = np.array([[float(v) for v in row] for row in probs])
    ece, mce = _mp_binned(p_float, t, bins, "width")
    ece_mass, _ = _mp_binned(p_float, t, bins, "mass")
    hits = sum(1 for row, lab in zip(probs, t, strict=True) if _mp_top(row) == lab)
    n = len(t)
    return {
        "nll": float(nll / n),
        "brier": float(brier / n),
        "accuracy": hits / n,
        "ece": float(ece),
        "mce": float(mce),
        "ece_mass": float(ece_mass),
    }


def test_the_one_pass_measures_of_softmax_against_mpmath():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(240, 5)) * 4
    t = np.argmax(x + rng.gumbel(size=x.shape), axis=1)
    # a label whose p is far below the smallest float, and top labels whose 1 − p is < 1e-20:
    # the NLL and Brier keep both (log1p of the rest; 1 − p_t as rest/Σe)
    x[:3] = [[0.0, -2000.0, -1.0, -3.0, -2.5], [0.0, -50.0, -60.0, -70.0, -55.0], [9, -40, 1, 2, 3]]
    t[:3] = [1, 0, 0]
    states = measure_states(x, t, registry.get("softmax"), {}, 2.3, 7)
    with mpmath.workdps(50):
        for state, tau in zip(states, (1.0, 2.3), strict=True):
            ref, got = _mp_state(x, t, tau, 7), state.values
            assert got["nll"] == pytest.approx(ref["nll"], rel=1e-14)
            assert got["brier"] == pytest.approx(ref["brier"], rel=1e-14)
            assert got["accuracy"] == ref["accuracy"]
            for key in ("ece", "mce", "ece_mass"):
                assert got[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15), key
    # the top label's NLL alone: log1p(e^-50 + ...) is 1.9e-22, not the 0 of log(1 + rest)
    alone = measure("b", x[1:2], t[1:2], registry.get("softmax"), {}, 1.0, 7).values["nll"]
    assert alone == pytest.approx(math.exp(-50) + math.exp(-55) + math.exp(-60), rel=1e-12)
