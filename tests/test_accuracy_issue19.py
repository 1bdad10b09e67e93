"""Issue 19, items 7–11 and the "also" items: each reproducer, and the families around it.

Golden values come from mpmath or exact fractions (the snippet beside each), never
from the code under test. The bounds are the README's (section Accuracy).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import derivatives, losses, oracle
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.oracle import derivatives as oracle_derivatives
from softmax_cli.oracle import losses as oracle_losses
from softmax_cli.oracle import variants as oracle_variants
from softmax_cli.oracle.derivatives import scaled_ulp_error
from tests.adversarial import issue19_families

EPS = 2.0**-52


def off(got, golden) -> float:
    """Absolute error in ULPs of 1.0 (float64) against decimal strings."""
    return float(
        oracle.abs_error_in_ulps_of_one(
            np.asarray(got, dtype=np.float64), [mpmath.mpf(g) for g in golden]
        ).max()
    )


# ---------------------------------------------------------------- item 7: sparse maps


@pytest.mark.parametrize(
    ("ties", "top", "rest"),
    [  # λ = mpmath.findroot(lambda l: (mpf(0.5) - l)**2 + n*l**2 - 1, -0.01) at dps 40;
        # top = (0.5 − λ)², rest = λ²
        (10**4, "0.258684101961636503097121220705", "0.0000741315898038363496902878779295"),
        (10**5, "0.252741076298083487117043288107", "0.00000747258923701916512882956711893"),
    ],
)
def test_entmax15_with_many_ties_below_the_max(ties, top, rest):
    p = sm.entmax15(np.r_[np.zeros(ties), 1.0])  # was 4.7 and 7.9 ULP of 1.0
    assert off([p[-1], p[0]], [top, rest]) <= 1.0
    assert np.all(p[:-1] == p[0])


@pytest.mark.parametrize(
    ("alpha", "x", "golden"),
    [  # oracle.evaluate("entmax", np.array(x), dps=40, alpha=alpha), precision following α
        (20, [0.0, -0.049], ["0.996244123556558720190299631741", "0.00375587644344127980970036825917"]),  # noqa: E501
        (5, [0.0, -0.2499999999], ["0.999999999899999991710962897605", "1.0000000828903710239474858514e-10"]),  # noqa: E501
        (10, [0.0, -0.049], ["0.913047089959667383369261578552", "0.0869529100403326166307384214483"]),  # noqa: E501
    ],
)  # fmt: skip
def test_entmax_bisect_at_large_alpha(alpha, x, golden):
    # was [0.97815, 0.021855] at α = 20 (0.018 off), 1.5e-8 for 1e-10 at α = 5
    assert off(sm.entmax_bisect(x, alpha), golden) <= 1.0


def test_entmax_bisect_exactly_on_the_edge_of_the_support():
    # z = 4·(−0.25) = −1 = max z − 1: the entry is on the edge, p = 0 exactly
    assert sm.entmax_bisect([0.0, -0.25], 5).tolist() == [1.0, 0.0]
    assert sm.entmax_bisect([0.0, -1 / 9], 10)[1] < 1e-300


def test_the_entmax_oracle_is_sure_at_large_alpha():
    # its precision follows α: 12 and 24 digits agree on the edge entry to 12 digits
    # (with a fixed 64 guard bits, 12 digits gave an edge entry 1e−3 off here)
    x = np.array([0.0, -0.098, -0.1042])
    a = oracle.evaluate("entmax", x, dps=12, alpha=10)
    b = oracle.evaluate("entmax", x, dps=24, alpha=10)
    assert all(abs(u - v) <= mpmath.mpf(10) ** -12 for u, v in zip(a, b, strict=True))


def test_entmax15_ties_family_within_one_ulp_of_one():
    for x, _ in issue19_families(size=6)["entmax15 ties"]:
        n, v = x.size - 1, mpmath.mpf(x[-1])
        with mpmath.workdps(40):
            # z = (x − v)/2: top 0, n ties at −a (a = v/2); λ² + n(a + λ)² = 1, the root below −a:
            # (1 + n)λ² + 2naλ + na² − 1 = 0
            a = v / 2
            disc = n + 1 - n * a**2
            lam = (-n * a - mpmath.sqrt(disc)) / (1 + n) if disc > 0 else mpmath.mpf(0)
            golden = [lam**2, (a + lam) ** 2] if -a > lam else [1, 0]  # else: the top alone
        p = sm.entmax15(x)
        assert oracle.abs_error_in_ulps_of_one([p[-1], p[0]], golden).max() <= 1.0, (n, v)


@pytest.mark.parametrize("family", ["entmax edge α", "entmax N(0,1) α"])
def test_sparse_families_within_one_ulp_of_one(family):
    for x, params in issue19_families(size=5)[family]:
        exact = oracle.evaluate("entmax", x, dps=16, **params)
        got = sm.entmax_bisect(x, params["alpha"])
        assert oracle.abs_error_in_ulps_of_one(got, exact).max() <= 1.0, (x, params)


# ---------------------------------------------------------------- item 8: Taylor softmax


def taylor_exact(x, k):
    """Σ x^m/m! in exact fractions, normalised."""
    f = [sum(Fraction(Fraction(v) ** m, math.factorial(m)) for m in range(k + 1)) for v in x]
    return [str(float(v / sum(f))) for v in f]


@pytest.mark.parametrize("order", [120, 200, 1000])
def test_taylor_softmax_at_high_order(order):
    x = [-56.0, -55.5, 0.0]  # order 200 gave [−6.99e−11, −1.35e−09, 1.0000000014]
    p = sm.taylor_softmax(x, order=order)
    assert np.all(p >= 0)
    assert off(p, taylor_exact(x, order)) <= 1.0


def test_the_taylor_oracle_follows_the_cancellation():
    # at a fixed 50 digits the alternating sum gave [−0.944, 1.944, 4e−69] at order 1000
    x = np.array([-56.0, -55.5, 0.0])
    got = oracle.evaluate("taylor", x, dps=20, order=1000)
    want = taylor_exact(x, 1000)
    assert all(abs(g / mpmath.mpf(w) - 1) < 1e-15 for g, w in zip(got, want, strict=True))


def test_the_taylor_oracle_says_when_it_is_unsure(monkeypatch):
    monkeypatch.setattr(oracle_variants, "MAX_BITS", 200)
    with pytest.raises(oracle_variants.OracleUnsure, match="cancellation"):
        oracle.evaluate("taylor", np.array([-56.0, 0.0]), dps=20, order=200)


def test_taylor_family_within_one_ulp_of_one():
    for x, params in issue19_families(size=6)["taylor high order"]:
        exact = oracle.evaluate("taylor", x, dps=30, **params)
        got = sm.taylor_softmax(x, **params)
        assert oracle.abs_error_in_ulps_of_one(got, exact).max() <= 1.0, (x, params)


# ---------------------------------------------------------------- item 9: Jacobians


def test_log_softmax_jacobian_reproducer():
    x = np.array([0.3381274883247684, 1.555714107282002, -1.7011664176461365,
                  1.2087065880279848, -2.0314783169527413, -1.3953776283195858])  # fmt: skip
    J = derivatives.jacobian("log-softmax", x)  # J[4, 4] was 1.54 ULP of 1.0 off
    assert scaled_ulp_error(J, oracle_derivatives.jacobian("log-softmax", x)).max() <= 1.0


@pytest.mark.parametrize(("name", "tau"), [("log-softmax", 1.0), ("entmax15", 0.1)])
def test_jacobian_family_bounds(name, tau):
    # at τ < 1 every entry is (·)/τ: the bound is in ULPs of 1/τ (τ·J against τ·J exact)
    for x, _ in issue19_families(size=8)["jacobian"]:
        J = derivatives.jacobian(name, x, temperature=tau)
        exact = oracle_derivatives.jacobian(name, x, temperature=tau)
        assert (tau * scaled_ulp_error(J, exact)).max() <= 1.0, x


# ---------------------------------------------------------------- item 10: cross-entropy


def test_label_smoothing_gradient_has_no_cancellation():
    # ε = 1 at τ = 0.1: the target entry was −(1 − p_t) − ε/n + ε, 12.8 ULP of 1.0 off
    for x, _ in issue19_families(size=10)["cross-entropy"]:
        for t in range(x.size):
            _, g = losses.cross_entropy(x, t, label_smoothing=1.0, temperature=0.1)
            _, exact = oracle_losses.evaluate(
                "ce", x.reshape(1, -1), [t], label_smoothing=1.0, temperature=0.1
            )
            assert (0.1 * scaled_ulp_error(g, exact[0])).max() <= 0.5, (x, t)


def test_cross_entropy_loss_within_the_log_softmax_bound():
    for x, _ in issue19_families(size=10)["cross-entropy"]:
        loss, _ = losses.cross_entropy(x, 0)
        exact, _ = oracle_losses.evaluate("ce", x.reshape(1, -1), [0])
        assert oracle.ulp_error(loss, exact[0]) <= 2.0, x


# ---------------------------------------------------------------- item 11: soft max


def test_soft_max_bound_is_absolute_in_the_scale_of_p_abs_x():
    # soft_max([0.0374, −0.040427]) ≈ −3.4e−9 from terms ≈ ±0.019: 9e6 ULP of the value,
    # but within an ULP or two of Σ p|x|; the stated bound is that one
    for x, _ in issue19_families(size=20)["soft-max cancellation"]:
        exact = oracle.evaluate("soft-max", x, dps=40)
        exact = exact[0] if isinstance(exact, list) else exact
        p = oracle.evaluate("softmax", x, dps=40)
        scale = mpmath.fsum(pi * abs(mpmath.mpf(v)) for pi, v in zip(p, x, strict=True))
        err = abs(mpmath.mpf(float(sm.soft_max(x))) - exact) / (scale * EPS)
        assert err <= 1.5, x


# ---------------------------------------------------------------- also: parameters


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: sm.softmax([1.0, 2.0], temperature=True), "temperature"),
        (lambda: sm.sparse_softmax([1.0, 2.0], k=True), "k"),
        (lambda: sm.sparse_softmax([1.0, 2.0], p=True), "p"),
        (lambda: sm.entmax_bisect([1.0, 2.0], alpha=np.True_), "alpha"),
        (lambda: sm.taylor_softmax([1.0, 2.0], order=True), "order"),
        (lambda: losses.cross_entropy([1.0, 2.0], 0, label_smoothing=True), "label_smoothing"),
        (lambda: losses.am_softmax([0.1, 0.2], 0, scale=True), "scale"),
    ],
)
def test_bools_are_refused_everywhere(call, param):
    with pytest.raises(SoftmaxInputError) as err:
        call()
    assert err.value.param == param and "True" in str(err.value)


def test_a_longdouble_temperature_float64_cannot_hold_is_refused():
    third = np.longdouble(1) / 3
    if np.longdouble(float(third)) == third:
        pytest.skip("longdouble is float64 here")
    with pytest.raises(SoftmaxInputError, match="float64 holds exactly"):
        sm.softmax([1.0, 2.0], temperature=third)
    exact = sm.softmax(np.array([1.0, 2.0], dtype=np.longdouble), temperature=np.longdouble(0.5))
    assert exact.dtype == np.longdouble  # one float64 holds is taken as it is


@pytest.mark.parametrize("name", ["sigsoftmax", "perturbmax"])
def test_huge_temperature_divides_before_the_shift_overflows(name):
    """Item 5 for the maps of z = x/τ that kept x − max: with x = ±1.7e308 and τ = 1e308,
    x − max overflows before the division; the result must be the map of z = x/τ
    (the oracle at mpmath precision, x/τ formed exactly), within 4 ULP of 1.0."""
    x = [1.7e308, 1.6e308, -1.7e308]
    tau = 1e308
    twin = getattr(oracle_variants, name)
    with mpmath.workdps(60):
        want = twin([mpmath.mpf(v) for v in x], temperature=mpmath.mpf(tau))
    got = getattr(sm, name)(x, temperature=tau)
    assert got[2] > 1e-3  # was exactly 0: the third entry's mass was lost
    assert oracle.abs_error_in_ulps_of_one(got, want).max() <= 4.0, (got, want)
