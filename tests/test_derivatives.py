"""Jacobians, JVPs and VJPs of every registry mapping: against finite differences and the oracle,
the properties the registry claims (shift invariance ⇒ J·1 = 0), symmetry, the documented
subgradients at ties and support boundaries, dtypes, axes and errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmax_cli as sm
from softmax_cli import derivatives, oracle, registry
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.oracle import derivatives as oracle_derivatives

DIFFERENTIABLE = [m for m in registry.MAPPINGS if m.derivative is not None and not m.stochastic]


def params_for(m: registry.Mapping) -> list[dict]:
    """Parameter sets that exercise each mapping (perturb-max only has a closed form for Gumbel)."""
    return {
        "sparse-softmax": [{"k": 3}, {"p": 0.8}],
        "entmax": [{"alpha": 1.5}, {"alpha": 1.25}, {"alpha": 2.5}],
        "taylor": [{"order": 2}, {"order": 6}],
        "perturbmax": [{"noise": "gumbel"}],
    }.get(m.name, [{}])


CASES = [(m, kw) for m in DIFFERENTIABLE for kw in params_for(m)]
CASE_IDS = [m.name + "".join(f"-{k}={v}" for k, v in kw.items()) for m, kw in CASES]

# Generic points: no ties, no entry on a support boundary, entries within reach of each other.
POINTS = [
    np.array([0.5, -1.0, 1.25, 1.0, -0.3]),
    np.array([2.0, 1.7, -0.4, 1.1, 0.9]),
]


def finite_difference(m, x, kw, tau=1.0, h=1e-6) -> np.ndarray:
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        up = np.atleast_1d(m(x + e, temperature=tau, **kw))
        down = np.atleast_1d(m(x - e, temperature=tau, **kw))
        cols.append((up - down) / (2 * h))
    return np.array(cols).T


# ---------------------------------------------------------------- against finite differences


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("tau", [1.0, 0.7])
def test_jacobian_matches_finite_differences(m, kw, tau):
    for x in POINTS:
        J = derivatives.jacobian(m.name, x, temperature=tau, **kw)
        np.testing.assert_allclose(J, finite_difference(m, x, kw, tau), atol=2e-8, rtol=1e-6)


# ---------------------------------------------------------------- against the oracle


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
def test_jacobian_matches_the_oracle_to_an_ulp_of_one(m, kw):
    worst = 0.0
    for x, tau in [(POINTS[0], 1.0), (POINTS[1] * 20, 3.0)]:
        J = derivatives.jacobian(m.name, x, temperature=tau, **kw)
        exact = oracle_derivatives.jacobian(m.name, x, temperature=tau, **kw)
        worst = max(worst, float(oracle_derivatives.scaled_ulp_error(J, exact).max()))
    # measured: ≤ 1.3 ULP of 1.0 over every mapping and many inputs (see derivatives.py)
    assert worst <= 2.0


def families(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Input families the accuracy claim is stated over (no exact ties or boundaries)."""
    return {
        "unit": rng.normal(0, 1, n),
        "normal-30": rng.normal(0, 30, n),
        "huge": rng.normal(0, 1e4, n),
        "tiny": rng.normal(0, 1e-8, n),
        "offset-1e6": 1e6 + rng.normal(0, 2, n),
        "mixed-scale": rng.normal(0, 1, n) * 10.0 ** rng.integers(-6, 3, n),
    }


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
def test_jacobian_is_within_two_ulp_of_one_on_every_input_family(m, kw):
    rng = np.random.default_rng(11)
    worst = 0.0
    for tau in (1.0, 0.25):
        for x in families(rng, 6).values():
            J = derivatives.jacobian(m.name, x, temperature=tau, **kw)
            exact = oracle_derivatives.jacobian(m.name, x, temperature=tau, **kw)
            worst = max(worst, float(oracle_derivatives.scaled_ulp_error(J, exact).max()))
    assert worst <= 2.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.longdouble])
@pytest.mark.parametrize("name", ["softmax", "entmax15", "sigsoftmax", "log-softmax"])
def test_other_dtypes_are_computed_wide_and_rounded_once(dtype, name):
    x = np.array([0.5, -1.0, 1.25, 1.0], dtype=dtype)
    J = derivatives.jacobian(name, x, temperature=0.75)
    assert J.dtype == np.dtype(dtype)
    exact = oracle_derivatives.jacobian(name, x, temperature=0.75)
    assert oracle_derivatives.scaled_ulp_error(J, exact, dtype).max() <= 1.0


def test_golden_jacobians_from_the_oracle():
    # golden values: [[mpmath.nstr(v, 20) for v in row] for row in
    #   oracle_derivatives.jacobian(name, x, **kw).tolist()]
    golden = {
        ("entmax", (0.5, -1.0, 1.25, 1.0), (("alpha", 1.3),)): [
            ["0.22328486590721672285", "-0.001755335528882549659",
             "-0.12334595560351630013", "-0.098183574774817873065"],
            ["-0.001755335528882549659", "0.0085285056891186678163",
             "-0.0037712495686365290776", "-0.0030019205915995890796"],
            ["-0.12334595560351630013", "-0.0037712495686365290776",
             "0.33805964775601712651", "-0.2109424425838642973"],
            ["-0.098183574774817873065", "-0.0030019205915995890796",
             "-0.2109424425838642973", "0.31212793795028175945"],
        ],
        ("taylor", (0.5, -2.0, 1.0), (("order", 4),)): [
            ["0.22757916278851806989", "0.024979644537043859587", "-0.1998371562963508767"],
            ["-0.024940182223399240535", "-0.066020450727447673126", "-0.040409409172089908716"],
            ["-0.20263898056511882935", "0.041040806190403813539", "0.24024656546844078541"],
        ],
        ("sigsoftmax", (0.5, -2.0, 1.0), ()): [
            ["0.30856387709776250075", "-0.0033925205397696162433", "-0.28194918297255010222"],
            ["-0.0024847630124405368701", "0.0099616969192899132462", "-0.0044321102525429974277"],
            ["-0.30607911408532196388", "-0.0065691763795202970029", "0.28638129322509309965"],
        ],
        ("soft-max", (0.5, -2.0, 1.0), (("temperature", 0.5),)): [
            ["0.074981605162867869396", "-0.0085389540641976899628", "0.93355734890132982057"],
        ],
    }  # fmt: skip
    for (name, x, kw), rows in golden.items():
        J = derivatives.jacobian(name, np.array(x), **dict(kw))
        exact = np.array([[mpmath.mpf(v) for v in row] for row in rows], dtype=object)
        assert J.shape == exact.shape
        assert oracle.abs_error_in_ulps_of_one(J, exact).max() <= 1.0, name


# ---------------------------------------------------------------- properties from the registry


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
def test_shift_invariant_maps_annihilate_the_ones_vector(m, kw):
    x = POINTS[1]
    J1 = derivatives.jvp(m.name, x, np.ones_like(x), **kw)
    if m.shift_invariant:
        assert np.abs(J1).max() <= 4 * np.finfo(float).eps
    else:  # the registry says it is not shift-invariant: the derivative must agree
        assert np.abs(J1).max() > 1e-3


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
def test_the_softmax_family_has_a_symmetric_jacobian(m, kw):
    J = derivatives.jacobian(m.name, POINTS[0], **kw)
    if m.output == registry.SCALAR:
        assert J.shape == (1, 5)
        return
    family = m.output == registry.DISTRIBUTION and m.shift_invariant
    if family or m.output == registry.ELEMENTWISE:
        assert np.array_equal(J, J.T)  # exactly, not to rounding
    else:  # log-softmax, Taylor softmax, sigsoftmax
        assert np.abs(J - J.T).max() > 1e-6  # far above rounding


DISTRIBUTION_CASES = [(m, kw) for m, kw in CASES if m.output == registry.DISTRIBUTION]


@pytest.mark.parametrize(
    ("m", "kw"),
    DISTRIBUTION_CASES,
    ids=[i for (m, _), i in zip(CASES, CASE_IDS, strict=True) if m.output == registry.DISTRIBUTION],
)
def test_distributions_stay_on_the_simplex(m, kw):
    J = derivatives.jacobian(m.name, POINTS[0], **kw)
    assert np.abs(J.sum(axis=0)).max() <= 4 * np.finfo(float).eps  # 1ᵀJ = 0


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
def test_jvp_and_vjp_agree_with_the_dense_jacobian_batched_on_any_axis(m, kw):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1.5, (2, 5, 3))  # vectors along axis 1
    v = rng.normal(0, 1, x.shape)
    J = derivatives.jacobian(m.name, x, axis=1, **kw)  # (2, 3, n_out, 5)
    assert J.shape[:2] == (2, 3) and J.shape[-1] == 5
    want_jv = np.einsum("abij,ajb->aib", J, v)
    jv = derivatives.jvp(m.name, x, v, axis=1, **kw)
    if m.output == registry.SCALAR:
        assert jv.shape == (2, 3)
        np.testing.assert_allclose(jv, want_jv[:, 0, :], atol=1e-15)
        u = rng.normal(0, 1, (2, 3))
        want = np.einsum("abj,ab->ajb", J[:, :, 0, :], u)
    else:
        assert jv.shape == x.shape
        np.testing.assert_allclose(jv, want_jv, atol=1e-15)
        u = rng.normal(0, 1, x.shape)
        want = np.einsum("abij,aib->ajb", J, u)
    np.testing.assert_allclose(derivatives.vjp(m.name, x, u, axis=1, **kw), want, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        st.integers(1, 7),
        elements=st.floats(-1e6, 1e6) | st.sampled_from([0.0, 1.0, -1.0, 2.0]),
    ),
    tau=st.sampled_from([1.0, 0.5, 7.0]),
)
def test_any_finite_input_gives_a_finite_jacobian_with_zero_column_sums(x, tau):
    # ties, support boundaries and saturation included: a subgradient, never nan
    for m, kw in CASES:
        J = derivatives.jacobian(m.name, x, temperature=tau, **kw)
        assert np.isfinite(J).all(), m.name
        if m.output == registry.DISTRIBUTION:
            scale = max(1.0, float(np.abs(J).max()))
            assert np.abs(J.sum(axis=0)).max() <= 8 * np.finfo(float).eps * scale, m.name


def test_half_l1_is_one_minus_sum_of_squares_for_softmax_even_when_saturated():
    d = derivatives.linearize("softmax", [0.0, 0.0, 20.0])
    p = oracle.evaluate("softmax", [0.0, 0.0, 20.0])
    with mpmath.workdps(50):
        exact = 1 - mpmath.fsum(v * v for v in p)  # 8.2446e-9: cancels in floats
    assert oracle.ulp_error(d.half_l1(), exact).max() <= 4  # relative, not just absolute
    assert float(d.half_l1()) == pytest.approx(8.244614e-9, rel=1e-6)


@pytest.mark.parametrize(("m", "kw"), CASES, ids=CASE_IDS)
def test_half_l1_matches_the_dense_jacobian(m, kw):
    d = derivatives.linearize(m.name, POINTS[0], **kw)
    np.testing.assert_allclose(d.half_l1(), 0.5 * np.abs(d.jacobian()).sum(), rtol=1e-13)


# ---------------------------------------------------------------- subgradients, never nan


def test_sparsemax_at_a_support_boundary_excludes_the_zero_entry():
    x = np.array([0.0, 1.0, 2.0])  # z_2 − z_1 = 1 exactly: p_1 = 0 on the edge
    J = derivatives.jacobian("sparsemax", x)
    assert np.isfinite(J).all()
    np.testing.assert_array_equal(J, np.zeros((3, 3)))  # support {2}: s = e_2, J = 0
    # the documented choice is the one-sided derivative where the boundary entry stays 0
    h = 1e-7
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        step = x + e if j == 2 else x - e
        one_sided = (registry.get("sparsemax")(step) - registry.get("sparsemax")(x)) / h
        np.testing.assert_allclose(J[:, j], one_sided * (1 if j == 2 else -1), atol=1e-9)


def test_sparsemax_and_entmax_at_ties_share_the_derivative_equally():
    J = derivatives.jacobian("sparsemax", [1.0, 1.0, 1.0])
    np.testing.assert_allclose(J, np.eye(3) - 1 / 3, atol=1e-16)
    J15 = derivatives.jacobian("entmax15", [1.0, 1.0, -5.0])  # tie on top, last entry out
    assert np.isfinite(J15).all()
    assert J15[0, 0] == J15[1, 1] and J15[0, 1] == J15[1, 0]
    np.testing.assert_array_equal(J15[2], 0)


@pytest.mark.parametrize("alpha", [1.25, 1.5])
def test_entmax_at_a_support_boundary_is_finite(alpha):
    # entry 1 sits exactly on the edge: (α−1)(x_0 − x_1) = 1
    x = np.array([0.0, -1 / (alpha - 1), -50.0])
    p = registry.get("entmax")(x, alpha=alpha)
    assert p[1] == 0 and p[0] == 1
    J = derivatives.jacobian("entmax", x, alpha=alpha)
    assert np.isfinite(J).all()
    np.testing.assert_array_equal(J, 0)


def test_entmax_beyond_two_jumps_to_a_full_size_derivative_just_inside_the_support():
    # α > 2: s_i = p_i^{2−α} → ∞ as p_i → 0⁺ dominates Σs, so J tends to the
    # two-entry pattern [[1, −1], [−1, 1]]·s_0, not to 0: the map's own discontinuity
    x = np.array([0.0, -0.5 + 1e-12, -50.0])  # just inside the edge for α = 3: p_1 ≈ 1e-12
    assert 0 < sm.entmax_bisect(x, alpha=3.0)[1] < 1e-10
    J = derivatives.jacobian("entmax", x, alpha=3.0)
    assert np.isfinite(J).all()
    np.testing.assert_allclose(J[:2, :2], [[1, -1], [-1, 1]], atol=1e-6)
    np.testing.assert_array_equal(J[2], 0)


def test_argmax_has_a_zero_jacobian_even_at_ties():
    np.testing.assert_array_equal(derivatives.jacobian("argmax", [2.0, 2.0, 1.0]), 0)


def test_infinite_logits_give_the_limit_and_nan_stays_nan():
    J = derivatives.jacobian("softmax", [np.inf, 0.0, -np.inf])
    np.testing.assert_array_equal(J, 0)
    J = derivatives.jacobian("sparsemax", [[np.nan, 0.0], [0.0, 0.0]])
    assert np.isnan(J[0]).all() and np.isfinite(J[1]).all()


def test_taylor_ratio_is_right_far_out_and_under_cancellation():
    for order, x in [(2, [1e10, -1e10, 0.5]), (40, [-12.0, -9.5, -15.0]), (2, [-1e300, 3.0])]:
        J = derivatives.jacobian("taylor", x, order=order)
        exact = oracle_derivatives.jacobian("taylor", x, order=order)
        assert oracle_derivatives.scaled_ulp_error(J, exact).max() <= 1.0
    assert derivatives.taylor_ratio(np.array([np.inf, -np.inf]), 4).tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- errors


def test_stochastic_and_closed_form_free_maps_raise_clearly():
    with pytest.raises(
        SoftmaxInputError, match="gumbel-softmax is stochastic: it has no deterministic derivative"
    ):
        derivatives.jacobian("gumbel-softmax", [1.0, 2.0], seed=1)
    with pytest.raises(SoftmaxInputError, match="no closed-form derivative"):
        derivatives.jacobian("perturbmax", [1.0, 2.0])


def test_bad_inputs_raise_softmax_input_errors():
    with pytest.raises(SoftmaxInputError, match="unknown method"):
        derivatives.jacobian("nope", [1.0])
    with pytest.raises(SoftmaxInputError, match="does not broadcast"):
        derivatives.jvp("softmax", [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(SoftmaxInputError, match="alpha"):
        derivatives.jacobian("entmax", [1.0, 2.0], alpha=0.5)
    with pytest.raises(SoftmaxInputError, match="empty"):
        derivatives.jacobian("softmax", [])
    with pytest.raises(SoftmaxInputError, match="temperature"):
        derivatives.jacobian("softmax", [1.0], temperature=0)
