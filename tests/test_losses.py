"""Losses and their gradients: against the oracle (exact loss, numerical gradient), against finite
differences, the closed forms ``p − onehot(t)``, extreme probabilities, targets and errors."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import losses, oracle, registry
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.oracle import losses as oracle_losses
from softmax_cli.oracle.derivatives import scaled_ulp_error

# (loss name, options) pairs run by the generic tests; cosines for am-softmax stay in [−1, 1]
KINDS = [
    ("ce", {}),
    ("ce", {"label_smoothing": 0.1, "temperature": 0.5}),
    ("neg-prob", {"temperature": 2.0}),
    ("am-softmax", {}),
    ("am-softmax", {"scale": 8.0, "margin": 0.2}),
    ("sparsemax", {}),
    ("sparsemax", {"temperature": 0.5}),
    ("entmax", {}),
    ("entmax", {"alpha": 1.3}),
    ("entmax", {"alpha": 2.5, "temperature": 1.5}),
]
KIND_IDS = [n + "".join(f"-{k}={v}" for k, v in kw.items()) for n, kw in KINDS]
X = np.array([0.3, -0.2, 0.9, 0.1, 0.75])


def finite_difference(fn, x, t, kw, h=1e-6) -> np.ndarray:
    out = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        out[j] = (fn(x + e, t, **kw)[0] - fn(x - e, t, **kw)[0]) / (2 * h)
    return out


@pytest.mark.parametrize(("name", "kw"), KINDS, ids=KIND_IDS)
def test_finite_differences_of_each_loss_match_its_gradient(name, kw):
    fn = registry.get_loss(name).func
    for t in (0, 2, 3):
        _, grad = fn(X, t, **kw)
        np.testing.assert_allclose(grad, finite_difference(fn, X, t, kw), atol=3e-8)


@pytest.mark.parametrize(("name", "kw"), KINDS, ids=KIND_IDS)
def test_loss_and_gradient_match_the_oracle(name, kw):
    record = registry.get_loss(name)
    x = X.reshape(1, -1)
    loss, grad = record.func(x, [2], **kw)
    exact_loss, exact_grad = oracle_losses.evaluate(name, x, [2], **kw)
    tolerance = record.oracle_ulp  # the record's: 2 ULP
    if record.relative:  # cross-entropy-like: to a few ULP of the loss itself
        assert oracle.ulp_error(loss, exact_loss).max() <= tolerance
    else:  # Fenchel–Young losses: to a few ULP of max(1, L)
        assert scaled_ulp_error(loss, exact_loss).max() <= tolerance
    assert scaled_ulp_error(grad, exact_grad).max() <= tolerance


def test_golden_losses_from_the_oracle():
    # mpmath.nstr(oracle_losses.evaluate(name, x, t, **kw)[0][()], 20)
    golden = [
        ("ce", [3.25, 0.0, -37.5], 0, {}, "0.038041371687783130493"),
        ("ce", [1.0, 2.0, 3.0], 1, {"label_smoothing": 0.1}, "1.4076059644443803045"),
        ("am-softmax", [0.8, 0.1, -0.3], 0, {}, "0.000027536239413818950466"),
        ("neg-prob", [0.3, -0.2, 0.9], 2, {}, "-0.53143922165075898058"),
        ("sparsemax", [0.3, -0.2, 0.9, 0.1], 1, {}, "1.1400000000000000266"),
        ("entmax", [0.3, -0.2, 0.9, 0.1], 0, {"alpha": 1.3}, "0.97506379540678422104"),
    ]
    for name, x, t, kw, want in golden:
        loss, _ = registry.get_loss(name).func(np.array(x), t, **kw)
        tol = 1.0 if registry.get_loss(name).relative else 2.0
        assert oracle.ulp_error(loss, mpmath.mpf(want)) <= tol, name


# ---------------------------------------------------------------- cross-entropy at the extremes


@pytest.mark.parametrize(
    "x",
    [
        [0.0, 690.7755, 1.5, -3.0],  # p_t ≈ 1e-300
        [0.0, 690.7755, 689.5, 688.25],  # p_t ≈ 1e-300, and LSE − x_t has digits to get right
        [-1e6, 1e6 - 0.5, 1e6 - 700.25],  # p_t = e^{-2e6}: far below any float
        [0.1, -40.3, -41.7],  # 1 − p_t ≈ 4e-18: below eps, the loss is that small
        [1e6 + 0.1, 1e6 - 39.9, 1e6 - 41.6],  # the same, shifted: LSE − x_t cancels entirely
    ],
)
def test_cross_entropy_is_within_two_ulp_whatever_p_t_is(x):
    x = np.array(x)
    loss, grad = losses.cross_entropy(x, 0)
    exact_loss, exact_grad = oracle_losses.evaluate("ce", x, 0)
    assert oracle.ulp_error(loss, exact_loss) <= 2.0
    assert scaled_ulp_error(grad, exact_grad).max() <= 1.0
    assert np.isfinite(loss) and loss > 0


def test_the_naive_twin_loses_what_the_accurate_one_keeps():
    x = np.array([0.0, 800.0])
    assert losses.cross_entropy_naive(x, 0) == np.inf  # exp(800) = inf, so p_t = 1/inf = 0
    assert float(losses.cross_entropy(x, 0)[0]) == 800.0
    x = np.array([0.0, 745.5])  # p_t underflows to 0 in the textbook form
    assert losses.cross_entropy_naive(x, 0) == np.inf
    assert float(losses.cross_entropy(x, 0)[0]) == 745.5
    x32 = np.array([1.0, 2.0, 3.0], dtype=np.float32)  # where it works, it agrees
    assert losses.cross_entropy_naive(x32, 2).dtype == np.float32
    assert abs(float(losses.cross_entropy_naive(x32, 2)) - 0.40760596) < 1e-6


# ---------------------------------------------------------------- the closed forms


@pytest.mark.parametrize("tau", [1.0, 0.4])
def test_gradients_are_p_minus_onehot_where_the_maths_says(tau):
    onehot = np.eye(X.size)[3]
    for loss_fn, mapping, kw in [
        (losses.cross_entropy, sm.softmax, {}),
        (losses.sparsemax_loss, sm.sparsemax, {}),
        (losses.entmax_loss, sm.entmax15, {}),
        (losses.entmax_loss, lambda x, **k: sm.entmax_bisect(x, alpha=1.7, **k), {"alpha": 1.7}),
    ]:
        _, grad = loss_fn(X, 3, temperature=tau, **kw)
        np.testing.assert_allclose(grad, (mapping(X, temperature=tau) - onehot) / tau, atol=1e-15)
    p = sm.softmax(X, temperature=tau)
    _, grad = losses.neg_prob(X, 3, temperature=tau)
    np.testing.assert_allclose(grad, -p[3] * (onehot - p) / tau, atol=1e-16)
    c = np.tanh(X)
    _, grad = losses.am_softmax(c, 3, scale=16.0, margin=0.25)
    q = sm.softmax(16.0 * (c - 0.25 * onehot))
    np.testing.assert_allclose(grad, 16.0 * (q - onehot), atol=1e-14)


def test_label_smoothing_moves_the_target_towards_uniform():
    loss, grad = losses.cross_entropy(X, 1, label_smoothing=1.0)
    p = sm.softmax(X)
    np.testing.assert_allclose(grad, p - 1 / X.size, atol=1e-16)
    assert float(loss) == pytest.approx(float(sm.logsumexp(X) - X.mean()), rel=1e-15)


def test_am_softmax_without_margin_at_unit_scale_is_cross_entropy():
    c = np.array([0.5, -0.25, 0.75])
    got = losses.am_softmax(c, 2, scale=1.0, margin=0.0)
    want = losses.cross_entropy(c, 2)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], atol=1e-16)
    assert float(losses.am_softmax([0.5, 0.5], 0, margin=0.0)[0]) == math.log(2)


def test_fenchel_young_losses_are_zero_exactly_at_a_confident_right_answer():
    for fn, x, t in [
        (losses.sparsemax_loss, [1.0, 2.0, 3.5], 2),
        (losses.entmax_loss, [0.0, 3.0], 1),
        (losses.entmax_loss, [0.0, 1.0, 10.0], 2),
    ]:
        loss, grad = fn(np.array(x), t)
        assert float(loss) == 0.0 and np.all(grad == 0)
    # and positive otherwise, never negative through rounding
    rng = np.random.default_rng(3)
    for _ in range(50):
        x = rng.normal(0, 2, 6)
        t = int(rng.integers(0, 6))
        for fn in (losses.sparsemax_loss, losses.entmax_loss):
            loss, grad = fn(x, t)
            assert loss >= 0
            assert (loss == 0) == (grad[t] == 0)
    assert float(losses.sparsemax_loss([1.0, 2.0, 3.5], 0)[0]) == 2.5  # ½ − 1 + ½(3.5² − 2.5²)


def test_entmax_loss_at_alpha_one_and_two_is_cross_entropy_and_sparsemax_loss():
    for t in range(X.size):
        a1, ce = losses.entmax_loss(X, t, alpha=1.0), losses.cross_entropy(X, t)
        np.testing.assert_array_equal(a1[0], ce[0])
        a2, sp = losses.entmax_loss(X, t, alpha=2.0), losses.sparsemax_loss(X, t)
        np.testing.assert_array_equal(a2[0], sp[0])
        np.testing.assert_array_equal(a2[1], sp[1])


# ---------------------------------------------------------------- batches, dtypes, targets


@pytest.mark.parametrize(("name", "kw"), KINDS, ids=KIND_IDS)
def test_batches_axes_and_dtypes(name, kw):
    fn = registry.get_loss(name).func
    x = np.tanh(np.random.default_rng(1).normal(0, 1, (4, 3))).astype(np.float32)  # columns
    loss, grad = fn(x, [0, 2, 1], axis=0, **kw)
    assert loss.shape == (3,) and grad.shape == x.shape
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    for j, t in enumerate([0, 2, 1]):
        lj, gj = fn(x[:, j].astype(np.float64), t, **kw)
        assert float(loss[j]) == np.float32(lj)
        np.testing.assert_array_equal(grad[:, j], gj.astype(np.float32))


def test_targets_are_validated_and_named_in_the_message():
    with pytest.raises(SoftmaxInputError, match=r"target 3 is out of range for vectors of 3 cl"):
        losses.cross_entropy([1.0, 2.0, 3.0], 3)
    with pytest.raises(SoftmaxInputError, match="target -1 is out of range"):
        losses.sparsemax_loss([1.0, 2.0], -1)
    with pytest.raises(SoftmaxInputError, match=r"target 1\.5 is not an integer"):
        losses.neg_prob([1.0, 2.0], 1.5)
    with pytest.raises(SoftmaxInputError, match="integer class index"):
        losses.entmax_loss([1.0, 2.0], True)
    with pytest.raises(SoftmaxInputError, match="does not match"):
        losses.cross_entropy(np.zeros((2, 3)), [0, 1, 2])
    assert losses.cross_entropy(np.zeros((2, 3)), np.array([0.0, 2.0]))[0].shape == (2,)


def test_option_errors():
    with pytest.raises(SoftmaxInputError, match="cosines in \\[-1, 1\\], got 2"):
        losses.am_softmax([0.5, 2.0], 0)
    with pytest.raises(SoftmaxInputError, match="scale must be > 0"):
        losses.am_softmax([0.5, 0.2], 0, scale=0)
    with pytest.raises(SoftmaxInputError, match="label smoothing must be in"):
        losses.cross_entropy([0.5, 0.2], 0, label_smoothing=1.5)
    with pytest.raises(SoftmaxInputError, match="alpha"):
        losses.entmax_loss([0.5, 0.2], 0, alpha=0.9)
    with pytest.raises(SoftmaxInputError, match="unknown loss 'hinge'"):
        registry.get_loss("hinge")
