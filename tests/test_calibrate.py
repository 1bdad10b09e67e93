"""softmax_cli.calibrate: the temperature fit against scipy, the measures against mpmath.

The references here are written out directly (scipy.special / scipy.optimize for the
fit, mpmath loops for ECE, MCE, Brier and the NLL), not through the library.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import optimize, special

from softmax_cli import calibrate
from softmax_cli.errors import SoftmaxInputError


def _calibrated(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels drawn from softmax(logits): calibrated by construction."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k)) * 2.0
    t = np.argmax(x + rng.gumbel(size=x.shape), axis=1)  # Gumbel-max: t ~ softmax(x)
    return x, t


def _scipy_tau(x: np.ndarray, t: np.ndarray) -> float:
    """The root in β of dNLL/dβ = mean(Σ p_i x_i − x_t), by scipy's brentq, as τ = 1/β."""
    rows = np.arange(x.shape[0])

    def dnll(beta: float) -> float:
        p = special.softmax(beta * x, axis=1)
        return float(np.mean(np.sum(p * x, axis=1) - x[rows, t]))

    lo, hi = 1e-3, 1.0
    while dnll(hi) < 0:
        hi *= 2
    beta = optimize.brentq(dnll, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    return 1.0 / beta


# ------------------------------------------------------------------------------ the fit


@pytest.mark.parametrize("factor", [0.4, 2.5])
def test_fit_recovers_a_known_scaling(factor):
    x, t = _calibrated(200_000, 10, seed=1)
    fit = calibrate.fit_temperature(factor * x, t)
    # τ = factor undoes the scaling; 200 000 rows pin it to about a percent
    assert fit.temperature == pytest.approx(factor, rel=0.02)
    assert fit.loss < fit.loss_before


@pytest.mark.parametrize(
    "seed, n, k, factor", [(2, 3000, 10, 3.0), (3, 500, 4, 0.3), (4, 50, 7, 1.7)]
)
def test_fit_agrees_with_scipy_to_1e_10(seed, n, k, factor):
    x, t = _calibrated(n, k, seed)
    fit = calibrate.fit_temperature(factor * x, t)
    assert fit.temperature == pytest.approx(_scipy_tau(factor * x, t), rel=1e-10)


def test_fit_exact_two_class_optimum():
    # rows [a, 0]: label 0 in 3 rows of 4; the optimum has p_0 = 3/4, so a/τ = log 3
    a = 2.0
    x = np.array([[a, 0.0]] * 4)
    fit = calibrate.fit_temperature(x, [0, 0, 0, 1])
    assert fit.temperature == pytest.approx(a / math.log(3), rel=4e-16)
    assert fit.loss == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)), rel=1e-15)


def test_fit_is_deterministic_and_takes_few_newton_steps():
    x, t = _calibrated(5000, 10, seed=5)
    a = calibrate.fit_temperature(3 * x, t)
    b = calibrate.fit_temperature(3 * x, t)
    assert a == b
    assert a.iterations <= 12


def test_fit_along_axis_0_and_leading_dimensions():
    x, t = _calibrated(400, 5, seed=6)
    ref = calibrate.fit_temperature(2 * x, t).temperature
    assert calibrate.fit_temperature(2 * x.T, t, axis=0).temperature == ref
    x3 = (2 * x).reshape(20, 20, 5)
    assert calibrate.fit_temperature(x3, t.reshape(20, 20)).temperature == pytest.approx(
        ref, rel=1e-13
    )


def test_fit_float32_in_float64_work():
    x, t = _calibrated(2000, 6, seed=7)
    x32 = (2 * x).astype(np.float32)
    fit = calibrate.fit_temperature(x32, t)
    assert fit.temperature == pytest.approx(_scipy_tau(x32.astype(np.float64), t), rel=1e-10)


def test_fit_masked_classes_minus_inf():
    x, t = _calibrated(1000, 6, seed=8)
    x = 2 * x
    x[:, 5] = -np.inf
    t = np.where(t == 5, 0, t)
    fit = calibrate.fit_temperature(x, t)
    assert fit.temperature == pytest.approx(_scipy_tau(x[:, :5], t), rel=1e-10)


@pytest.mark.parametrize("method, params", [("sparsemax", {}), ("entmax", {"alpha": 1.5})])
def test_fit_other_mappings_minimise_their_loss(method, params):
    from softmax_cli import registry

    x, t = _calibrated(600, 6, seed=9)
    fit = calibrate.fit_temperature(3 * x, t, method=method, **params)
    loss = registry.get_loss(method)

    def mean_loss(tau: float) -> float:
        return float(np.mean(loss.func(3 * x, t, -1, temperature=tau, **params)[0]))

    ref = optimize.minimize_scalar(
        mean_loss, bounds=(0.01, 100), method="bounded", options={"xatol": 1e-10}
    )
    assert fit.temperature == pytest.approx(ref.x, rel=1e-5)
    assert fit.loss == pytest.approx(mean_loss(fit.temperature), rel=1e-12)
    assert fit.loss <= min(mean_loss(fit.temperature * (1 + d)) for d in (-1e-4, 1e-4))


def test_fit_refuses_what_has_no_minimum():
    with pytest.raises(SoftmaxInputError, match="temperature goes to 0"):
        calibrate.fit_temperature([[2.0, 0.0], [0.0, 1.0]], [0, 1])  # every label on top
    with pytest.raises(SoftmaxInputError, match="grows without bound"):
        calibrate.fit_temperature([[2.0, 0.0], [0.0, 1.0]], [1, 0])  # every label below
    with pytest.raises(SoftmaxInputError, match="holds nan"):
        calibrate.fit_temperature([[np.nan, 0.0], [0.0, 1.0]], [1, 0])
    with pytest.raises(SoftmaxInputError, match="infinite at every temperature"):
        calibrate.fit_temperature([[1.0, -np.inf], [0.0, 1.0]], [1, 0])
    with pytest.raises(SoftmaxInputError) as err:
        calibrate.fit_temperature([[1.0, 0.0]], [0], method="logsumexp")
    assert err.value.param == "method"
    with pytest.raises(SoftmaxInputError) as err:
        calibrate.fit_temperature([[1.0, 0.0]], [2])
    assert err.value.param == "target"


# ---------------------------------------------------------------- the measures, by mpmath


@pytest.fixture(autouse=True)
def _fifty_digits():
    """50 digits for the references here; the global setting is restored after each test."""
    with mpmath.workdps(50):
        yield


def _mp_probs(x: np.ndarray) -> list[list[mpmath.mpf]]:
    out = []
    for row in x:
        e = [mpmath.exp(mpmath.mpf(float(v))) for v in row]
        s = mpmath.fsum(e)
        out.append([v / s for v in e])
    return out


def _mp_top(p_row: np.ndarray) -> int:
    best = 0
    for i in range(1, len(p_row)):
        if p_row[i] > p_row[best]:
            best = i
    return best


def _mp_binned(p: np.ndarray, t: np.ndarray, bins: int, strategy: str) -> tuple:
    """ECE and MCE by the README's definitions, row by row in mpmath."""
    conf = [mpmath.mpf(float(max(r))) for r in p]
    hit = [1 if _mp_top(r) == int(lab) else 0 for r, lab in zip(p, t, strict=True)]
    if strategy == "width":
        inner = [mpmath.mpf(float(b / bins)) for b in range(1, bins)]  # doubles nearest b/B
    else:
        ranked = sorted(conf)
        inner = [ranked[(b * len(ranked)) // bins] for b in range(1, bins)]
    members: list[list[int]] = [[] for _ in range(bins)]
    for i, c in enumerate(conf):
        b = sum(1 for e in inner if c >= e)  # an edge value falls in the bin above
        members[b].append(i)
    n = len(conf)
    ece, mce = mpmath.mpf(0), mpmath.mpf(0)
    for m in members:
        if not m:
            continue
        acc = mpmath.mpf(sum(hit[i] for i in m)) / len(m)
        cf = mpmath.fsum(conf[i] for i in m) / len(m)
        ece += mpmath.mpf(len(m)) / n * abs(acc - cf)
        mce = max(mce, abs(acc - cf))
    return ece, mce


@pytest.mark.parametrize("strategy", ["width", "mass"])
@pytest.mark.parametrize("bins", [1, 4, 15])
def test_ece_mce_against_mpmath(strategy, bins):
    x, t = _calibrated(300, 5, seed=10)
    p = special.softmax(2.5 * x, axis=1)
    ece_ref, mce_ref = _mp_binned(p, t, bins, strategy)
    assert calibrate.ece(p, t, bins=bins, strategy=strategy) == pytest.approx(
        float(ece_ref), rel=1e-12, abs=1e-15
    )
    assert calibrate.mce(p, t, bins=bins, strategy=strategy) == pytest.approx(
        float(mce_ref), rel=1e-12, abs=1e-15
    )


def test_brier_and_nll_and_accuracy_against_mpmath():
    x, t = _calibrated(200, 6, seed=11)
    x = 3 * x
    mp = _mp_probs(x)
    brier_ref = (
        mpmath.fsum(
            mpmath.fsum((mp[r][i] - (1 if i == t[r] else 0)) ** 2 for i in range(6))
            for r in range(200)
        )
        / 200
    )
    nll_ref = -mpmath.fsum(mpmath.log(mp[r][t[r]]) for r in range(200)) / 200
    acc_ref = sum(1 for r in range(200) if _mp_top(mp[r]) == t[r]) / 200
    p = special.softmax(x, axis=1)
    assert calibrate.brier(p, t) == pytest.approx(float(brier_ref), rel=1e-13)
    assert calibrate.nll(x, t) == pytest.approx(float(nll_ref), rel=1e-14)
    assert calibrate.nll(2 * x, t, temperature=2.0) == pytest.approx(float(nll_ref), rel=1e-14)
    assert calibrate.accuracy(p, t) == acc_ref
    assert calibrate.accuracy(x, t) == acc_ref  # logits: the same top class


def test_nll_keeps_a_label_far_below_the_smallest_float():
    assert calibrate.nll([[0.0, -2000.0]], [1]) == pytest.approx(2000.0, rel=1e-15)


# ------------------------------------------------------------------ bins at their edges


def test_width_bins_an_edge_value_goes_up():
    edge = 6 / 10  # the double nearest 0.6: an edge of 10 equal-width bins
    below = np.nextafter(edge, 0)
    conf = np.array([0.5, below, edge, 0.95, 1.0])
    p = np.stack([conf, 1 - conf], axis=1)
    r = calibrate.reliability(p, [0] * 5, bins=10)
    assert r.lower[6] == edge
    # 0.5 (an edge) → bin 5; just below 0.6 → 5; 0.6 → 6; 0.95 and 1 → the last
    np.testing.assert_array_equal(r.count, np.bincount([5, 5, 6, 9, 9], minlength=10))
    assert r.count.sum() == 5


def test_mass_bins_split_by_rank_and_keep_ties_together():
    conf = np.array([0.9, 0.6, 0.7, 0.8, 0.55, 0.65])
    p = np.stack([conf, 1 - conf], axis=1)
    r = calibrate.reliability(p, [0] * 6, bins=3, strategy="mass")
    assert r.count.tolist() == [2, 2, 2]  # distinct values: N/B each
    assert r.lower[1:].tolist() == [0.65, 0.8]  # the values at ranks 2 and 4 start a bin
    tied = np.array([0.6, 0.6, 0.6, 0.9])
    r = calibrate.reliability(np.stack([tied, 1 - tied], 1), [0] * 4, bins=2, strategy="mass")
    assert r.count.tolist() == [0, 4]  # the edge is 0.6 itself: all three ties go up
    assert calibrate.mce(np.stack([tied, 1 - tied], 1), [0] * 4, bins=2, strategy="mass") == (
        pytest.approx(1 - 0.675)
    )


def test_bins_are_checked():
    p = [[0.6, 0.4]]
    with pytest.raises(SoftmaxInputError) as err:
        calibrate.ece(p, [0], bins=0)
    assert err.value.param == "bins"
    with pytest.raises(SoftmaxInputError) as err:
        calibrate.ece(p, [0], strategy="quantile")
    assert err.value.param == "strategy"


def test_temperature_scaling_moves_ece():
    # netcal #61: scaling by the fitted τ must change (here: lower) the ECE
    x, t = _calibrated(20_000, 10, seed=12)
    fit = calibrate.fit_temperature(3 * x, t)
    before = calibrate.ece(special.softmax(3 * x, axis=1), t)
    after = calibrate.ece(special.softmax(3 * x / fit.temperature, axis=1), t)
    assert after < before / 3
