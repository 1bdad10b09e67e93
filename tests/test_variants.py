"""taylor_softmax, sigsoftmax, perturbmax, gumbel_softmax, gumbel_max_sample: accuracy against
the oracle, properties (and the properties that fail), special values, dtypes, axes, errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmax_cli as sm
from softmax_cli import oracle, variants
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.registry import get

DTYPES = [np.float16, np.float32, np.float64]
MAX_ULPS_OF_ONE = 4.0  # taylor, sigsoftmax, gumbel-softmax: |error| ≤ 4 eps(dtype)
PERTURB_TOL = variants.PERTURBMAX_TOLERANCE  # perturbmax, normal noise: |error| ≤ 1e-12


def err_of_one(name: str, got: np.ndarray, x: np.ndarray, dps: int = 40, **kw) -> float:
    """Worst absolute error of ``got`` against the oracle, in ULPs of 1.0 of got's dtype."""
    exact = oracle.evaluate(name, np.asarray(x, dtype=np.float64), dps=dps, **kw)
    return float(oracle.abs_error_in_ulps_of_one(got, exact, got.dtype).max())


def abs_err(got: np.ndarray, exact) -> float:
    return max(abs(float(mpmath.mpf(float(g)) - e)) for g, e in zip(got, exact, strict=True))


def families(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "unit": rng.normal(0, 1, n),
        "normal-10": rng.normal(0, 10, n),
        "normal-100": rng.normal(0, 100, n),
        "negative": -rng.uniform(0, 6, n),
        "huge": rng.normal(0, 1e150, n),
        "mixed-scale": rng.normal(0, 1, n) * 10.0 ** rng.integers(-6, 3, n),
        "offset-1e6": 1e6 + rng.normal(0, 5, n),
        "ties": rng.integers(-3, 4, n).astype(float) * 1.5,
    }


def as_dtype(x: np.ndarray, dtype) -> np.ndarray:
    fin = np.finfo(dtype).max
    return np.clip(x, -fin, fin).astype(dtype)


# ---------------------------------------------------------------- golden values


def test_taylor_golden():
    # [mpmath.nstr(v, 20) for v in
    #  oracle.evaluate("taylor", [-1.5, 0.25, 2.0], order=4, temperature=0.7, dps=40)]
    golden = ["0.023847498685298197201", "0.087020876797631406943", "0.88913162451707039586"]
    got = sm.taylor_softmax([-1.5, 0.25, 2.0], order=4, temperature=0.7)
    assert oracle.ulp_error(got, [mpmath.mpf(g) for g in golden], np.float64).max() <= 2.0
    # order 2 by hand: f_2(1, 2, 3) = 2.5, 5, 8.5 over 16
    assert sm.taylor_softmax([1.0, 2.0, 3.0]).tolist() == [0.15625, 0.3125, 0.53125]


def test_sigsoftmax_golden():
    # [mpmath.nstr(v, 20) for v in oracle.evaluate("sigsoftmax", [1, 2, 3, 4, 5], dps=40)]
    golden = [
        "0.0086905655657295275679",
        "0.028462052134910636668",
        "0.083672666200327762535",
        "0.23447518915747819978",
        "0.64469952694155387345",
    ]
    got = sm.sigsoftmax([1.0, 2.0, 3.0, 4.0, 5.0])
    assert oracle.ulp_error(got, [mpmath.mpf(g) for g in golden], np.float64).max() <= 2.0
    # [mpmath.nstr(v, 20) for v in
    #  oracle.evaluate("sigsoftmax", [-30.0, -29.0, 0.5], temperature=2.0, dps=40)]
    golden = ["1.2963405362910384192e-13", "3.5238182240096842715e-13", "0.99999999999951798412"]
    got = sm.sigsoftmax([-30.0, -29.0, 0.5], temperature=2.0)
    assert oracle.ulp_error(got, [mpmath.mpf(g) for g in golden], np.float64).max() <= 2.0


def test_perturbmax_golden():
    # [mpmath.nstr(v, 20) for v in oracle.evaluate("perturbmax", [1, 2, 3], dps=30)]
    golden = ["0.047150679919088443465", "0.22409830478044240956", "0.72875101530046914698"]
    got = sm.perturbmax([1.0, 2.0, 3.0])
    assert abs_err(got, [mpmath.mpf(g) for g in golden]) <= PERTURB_TOL


def test_gumbel_softmax_golden():
    # [mpmath.nstr(v, 20) for v in
    #  oracle.evaluate("gumbel-softmax", [1, 2, 3], seed=42, temperature=0.5, dps=40)]
    golden = ["0.0064121694993668046615", "0.0045869779225588541202", "0.98900085257807434122"]
    got = sm.gumbel_softmax([1.0, 2.0, 3.0], seed=42, temperature=0.5)
    assert oracle.abs_error_in_ulps_of_one(got, [mpmath.mpf(g) for g in golden]).max() <= 2.0


def test_sigsoftmax_damps_negative_logits_twice():
    # [mpmath.nstr(v, 20) for v in oracle.evaluate("sigsoftmax", [-1000, -999, -998], dps=40)]
    # = softmax([-2000, -1998, -1996]): exp(x)σ(x) ≈ exp(2x) far below 0
    golden = ["0.015876239976466766323", "0.11731042782619836253", "0.86681333219733487114"]
    got = sm.sigsoftmax([-1000.0, -999.0, -998.0])
    assert oracle.ulp_error(got, [mpmath.mpf(g) for g in golden], np.float64).max() <= 2.0
    np.testing.assert_allclose(got, sm.softmax([-2000.0, -1998.0, -1996.0]), rtol=1e-15)


# ---------------------------------------------------------------- accuracy bounds


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "fn", "kw"),
    [
        ("taylor", sm.taylor_softmax, {"order": 2}),
        ("taylor", sm.taylor_softmax, {"order": 4, "temperature": 0.37}),
        ("taylor", sm.taylor_softmax, {"order": 10, "temperature": 3.0}),
        ("sigsoftmax", sm.sigsoftmax, {}),
        ("sigsoftmax", sm.sigsoftmax, {"temperature": 0.37}),
    ],
)
def test_within_4_ulps_of_one_on_every_family(dtype, name, fn, kw):
    rng = np.random.default_rng(20261122)
    for family, x in families(rng, 16).items():
        xd = as_dtype(x, dtype)
        assert err_of_one(name, fn(xd, **kw), xd, **kw) <= MAX_ULPS_OF_ONE, family


@pytest.mark.parametrize("order", [20, 40, 60])
def test_taylor_high_orders_near_the_negative_minimum(order):
    # the alternating sum cancels most near the minimum of f_k (≈ −0.28·k)
    rng = np.random.default_rng(order)
    x = -0.28 * order + rng.normal(0, 1.5, 12)
    assert err_of_one("taylor", sm.taylor_softmax(x, order=order), x, dps=60, order=order) <= 2.0


def test_taylor_never_overflows():
    x = np.array([1e300, -3e299, 1.0, -1e-300])
    got = sm.taylor_softmax(x, order=6)
    assert np.isfinite(got).all()
    assert err_of_one("taylor", got, x, order=6) <= 1.0
    got = sm.taylor_softmax([1e300, 2.0], temperature=1e-300)  # x/τ overflows float64
    assert got.tolist() == [1.0, 0.0]
    got = sm.taylor_softmax([1e300, -1e300], order=4, temperature=1e-10)
    assert got.tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    ("name", "x", "kw"),
    [
        # found by fuzzing: a zero logit at a tiny temperature (exponent bookkeeping)
        ("taylor", [0.0], {"temperature": 1e-300}),
        ("taylor", [0.0, 1e-300, -2e-300], {"temperature": 1e-300}),
        # huge negative logits: ulp(z) ≫ 1e-16, too big for a first-order correction alone
        ("sigsoftmax", [-1e10, -1e10 + 1, -1e10 + 2.5], {"temperature": 0.3}),
        ("sigsoftmax", [-1.8e8, -1.8e8 + 3e-300], {"temperature": 1e-300}),
        ("sigsoftmax", [-1.79769313e08], {"temperature": 1e-300}),
        ("gumbel-softmax", [2.0**122, 2.0**122], {"seed": 0}),
        ("gumbel-softmax", [2.0**33, 2.0**33 + 1, 2.0**33 - 2], {"seed": 0}),
        ("gumbel-softmax", [0.0, 1.8e8, 2.4e24], {"seed": 0, "temperature": 1e-300}),
    ],
)
def test_edge_cases_found_by_fuzzing(name, x, kw):
    got = get(name)(np.array(x), **kw)
    assert np.isfinite(got).all()
    assert err_of_one(name, got, np.array(x), **kw) <= MAX_ULPS_OF_ONE


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tau", [1.0, 0.37, 3.3])
def test_gumbel_softmax_within_4_ulps_of_one_of_its_twin(dtype, tau):
    rng = np.random.default_rng(9)
    for seed in range(12):
        x = as_dtype(rng.normal(0, [1, 10, 100][seed % 3], rng.integers(1, 12)), dtype)
        got = sm.gumbel_softmax(x, seed=seed, temperature=tau)
        assert err_of_one("gumbel-softmax", got, x, seed=seed, temperature=tau) <= MAX_ULPS_OF_ONE


@pytest.mark.parametrize(
    "x",
    [
        [0.5, -0.25, 1.75, 0.0],
        [0.0, 0.0, 0.0, -8.0, -20.0],
        [5.0, -5.0],
        [0.0, 1e-3, -2e-3, 4e-4, 0.0],
        [2.0, 2.0, 7.5, -1.0],
    ],
)
def test_perturbmax_within_tolerance_of_mpmath_quad(x):
    exact = oracle.evaluate("perturbmax", x, dps=20)
    assert abs_err(sm.perturbmax(x), exact) <= PERTURB_TOL
    assert abs(mpmath.fsum(exact) - 1) < mpmath.mpf(10) ** -18  # the twin integrates to 1


def test_perturbmax_with_temperature_and_dtypes_within_tolerance():
    x = np.array([1.0, -0.5, 0.25])
    exact = oracle.evaluate("perturbmax", x, dps=20, temperature=0.6)
    assert abs_err(sm.perturbmax(x, temperature=0.6), exact) <= PERTURB_TOL
    for dtype in (np.float32, np.float16):
        got = sm.perturbmax(x.astype(dtype), temperature=0.6)
        assert got.dtype == dtype
        # the tolerance plus one rounding to the output dtype
        assert abs_err(got, exact) <= PERTURB_TOL + float(np.finfo(dtype).eps) / 2


def test_perturbmax_agrees_with_scipy_quadrature_at_moderate_n():
    from scipy import integrate, special

    rng = np.random.default_rng(12)
    z = rng.normal(0, 1.5, 60)
    got = sm.perturbmax(z)
    for i in [*rng.choice(z.size, 6, replace=False).tolist(), int(np.argmax(z))]:
        others = np.delete(z, i)

        def f(e, i=i, others=others):
            return np.exp(-0.5 * e * e + special.log_ndtr(z[i] - others + e).sum())

        want = integrate.quad(f, -12, 12, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
        want /= np.sqrt(2 * np.pi)
        assert abs(got[i] - want) <= PERTURB_TOL


def test_normal_cdf_table_is_accurate_to_a_few_ulp():
    rng = np.random.default_rng(1)
    t = np.concatenate([rng.uniform(-9, 9, 300), np.linspace(-9, 9, 73), [9.0, 12.0, np.inf]])
    got = variants._ndtr(t)
    with mpmath.workdps(30):
        exact = [mpmath.ncdf(mpmath.mpf(float(v))) for v in t]
        rel = [abs(mpmath.mpf(float(g)) / e - 1) for g, e in zip(got, exact, strict=True)]
    assert max(rel) <= 4 * np.finfo(float).eps / 2


def test_perturbmax_is_stable_under_a_finer_grid_for_large_n(monkeypatch):
    rng = np.random.default_rng(13)
    x = np.r_[0.0, rng.normal(-3, 0.5, 3000)]
    coarse = sm.perturbmax(x)
    monkeypatch.setattr(variants, "_Q_STEP", 0.025)
    fine = sm.perturbmax(x)
    assert np.abs(coarse - fine).max() <= PERTURB_TOL / 10


# ---------------------------------------------------------------- hypothesis

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
wide = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 12), elements=st.one_of(finite, wide)),
    st.sampled_from([2, 4, 6, 8]),
    st.sampled_from([1.0, 0.5, 7.0]),
)
def test_hypothesis_taylor_float64(x, order, tau):
    got = sm.taylor_softmax(x, order=order, temperature=tau)
    assert err_of_one("taylor", got, x, order=order, temperature=tau) <= MAX_ULPS_OF_ONE


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 12), elements=st.one_of(finite, wide)),
    st.sampled_from([1.0, 0.5, 7.0]),
)
def test_hypothesis_sigsoftmax_float64(x, tau):
    got = sm.sigsoftmax(x, temperature=tau)
    assert err_of_one("sigsoftmax", got, x, temperature=tau) <= MAX_ULPS_OF_ONE


@settings(max_examples=25, deadline=None)
@given(
    hnp.arrays(np.float32, st.integers(1, 10), elements=st.floats(-1e3, 1e3, width=32)),
    st.sampled_from(["taylor", "sigsoftmax"]),
)
def test_hypothesis_float32(x, name):
    got = get(name)(x)
    assert got.dtype == np.float32
    assert err_of_one(name, got, x) <= MAX_ULPS_OF_ONE


@settings(max_examples=25, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 12), elements=finite),
    st.integers(0, 2**32),
    st.sampled_from([1.0, 0.25, 4.0]),
)
def test_hypothesis_gumbel_softmax(x, seed, tau):
    got = sm.gumbel_softmax(x, seed=seed, temperature=tau)
    assert err_of_one("gumbel-softmax", got, x, seed=seed, temperature=tau) <= MAX_ULPS_OF_ONE


@settings(max_examples=4, deadline=None)
@given(hnp.arrays(np.float64, st.integers(2, 3), elements=st.floats(-4, 4)))
def test_hypothesis_perturbmax_against_quad(x):
    exact = oracle.evaluate("perturbmax", x, dps=18)
    assert abs_err(sm.perturbmax(x), exact) <= PERTURB_TOL


# ---------------------------------------------------------------- properties

MAPS = {
    "taylor": lambda x, **kw: sm.taylor_softmax(x, **kw),
    "taylor-6": lambda x, **kw: sm.taylor_softmax(x, order=6, **kw),
    "sigsoftmax": sm.sigsoftmax,
    "perturbmax": sm.perturbmax,
    "gumbel-softmax": lambda x, **kw: sm.gumbel_softmax(x, seed=3, **kw),
}


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 25), elements=st.floats(-700, 700)),
    st.sampled_from(sorted(MAPS)),
)
def test_on_the_simplex(x, name):
    p = MAPS[name](x)
    assert (p >= 0).all() and (p <= 1).all()
    assert abs(p.sum() - 1) <= 8 * x.size * np.finfo(float).eps


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(2, 20), elements=st.floats(-50, 50)),
    st.sampled_from(["sigsoftmax", "perturbmax"]),
)
def test_monotone_where_it_holds(x, name):
    p = MAPS[name](x)
    order = np.argsort(x, kind="stable")
    assert (np.diff(p[order]) >= -1e-15).all()
    assert (p[x == x.max()] >= p.max() - 1e-15).all()


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, st.integers(2, 20), elements=st.floats(0, 50)))
def test_taylor_is_monotone_on_nonnegative_logits(x):
    # f_k increases on [0, ∞) (but not below −1 for k = 2: see the test below)
    p = sm.taylor_softmax(x)
    order = np.argsort(x, kind="stable")
    assert (np.diff(p[order]) >= 0).all()


def test_taylor_is_not_monotone():
    p = sm.taylor_softmax([-3.0, -2.0])  # f_2(-3) = 2.5 > f_2(-2) = 1
    np.testing.assert_allclose(p, [2.5 / 3.5, 1 / 3.5], rtol=1e-15)
    assert p[0] > p[1]
    assert not get("taylor").monotone


def test_taylor_and_sigsoftmax_are_not_shift_invariant():
    # taylor: f_2(0, 1) = 1, 2.5 but f_2(1, 2) = 2.5, 5
    np.testing.assert_allclose(sm.taylor_softmax([0.0, 1.0]), [1 / 3.5, 2.5 / 3.5], rtol=1e-15)
    np.testing.assert_allclose(sm.taylor_softmax([1.0, 2.0]), [1 / 3, 2 / 3], rtol=1e-15)
    # sigsoftmax: ∝ exp(x)σ(x); σ(10) ≈ σ(11) ≈ 1 but σ(−10) ≪ σ(−9)
    a = sm.sigsoftmax([10.0, 11.0])
    b = sm.sigsoftmax([-10.0, -9.0])
    assert b[1] - a[1] > 0.1
    np.testing.assert_allclose(a, sm.softmax([10.0, 11.0]), rtol=1e-4)
    assert not get("taylor").shift_invariant and not get("sigsoftmax").shift_invariant


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 15), elements=st.integers(-40, 40).map(float)),
    st.integers(-(10**6), 10**6).map(float),
)
def test_perturbmax_is_shift_invariant(x, c):
    # integer logits and shift: x + c and (x − max) are exact, so the results agree exactly
    np.testing.assert_array_equal(sm.perturbmax(x + c), sm.perturbmax(x))
    np.testing.assert_array_equal(sm.perturbmax(x + c, noise="gumbel"), sm.softmax(x))


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(2, 15), elements=st.floats(-30, 30)),
    st.randoms(use_true_random=False),
    st.sampled_from(["taylor", "taylor-6", "sigsoftmax", "perturbmax"]),
)
def test_permutation_equivariance(x, random, name):
    perm = np.arange(x.size)
    random.shuffle(perm)
    np.testing.assert_allclose(MAPS[name](x[perm]), MAPS[name](x)[perm], rtol=1e-14, atol=1e-16)


def test_temperature_limits():
    x = np.array([1.0, 4.0, 2.0, 4.0, -4.0])
    for name in ("sigsoftmax", "perturbmax"):
        np.testing.assert_allclose(MAPS[name](x, temperature=1e-4), [0, 0.5, 0, 0.5, 0], atol=1e-15)
        np.testing.assert_allclose(MAPS[name](x, temperature=1e12), 0.2, rtol=1e-10)
    # taylor: τ → 0 gives |x|^k normalised (polynomial tails: no argmax limit); τ → ∞ uniform
    for k in (2, 6):
        np.testing.assert_allclose(
            sm.taylor_softmax(x, order=k, temperature=1e-9), x**k / (x**k).sum(), rtol=1e-7
        )
    np.testing.assert_allclose(sm.taylor_softmax(x, temperature=1e12), 0.2, rtol=1e-10)
    # gumbel-softmax: τ → 0 is the one-hot of argmax(x + g) for the seed's g
    g = variants.gumbel_noise(x.shape, 5)
    hot = np.zeros(5)
    hot[np.argmax(x + g)] = 1
    np.testing.assert_array_equal(sm.gumbel_softmax(x, seed=5, temperature=1e-6), hot)
    np.testing.assert_allclose(sm.gumbel_softmax(x, seed=5, temperature=1e12), 0.2, rtol=1e-10)


def test_perturbmax_gumbel_is_exactly_softmax_and_quadrature_agrees():
    x = np.array([0.3, -1.2, 2.0, 0.0])
    got = sm.perturbmax(x, noise="gumbel", temperature=0.8)
    np.testing.assert_array_equal(got, sm.softmax(x, temperature=0.8))
    # the closed form is a theorem; check it by integrating the Gumbel perturb-max integral
    # ∫ g(e) Π_{j≠i} G(z_i − z_j + e) de, g(e) = exp(−e − exp(−e)), G(e) = exp(−exp(−e))
    z = [mpmath.mpf(v) / mpmath.mpf(0.8) for v in x.tolist()]
    with mpmath.workdps(25):
        quad = []
        for i, zi in enumerate(z):

            def f(e, zi=zi, i=i):
                r = mpmath.exp(-e - mpmath.exp(-e))
                for j, zj in enumerate(z):
                    if j != i:
                        r *= mpmath.exp(-mpmath.exp(-(zi - zj + e)))
                return r

            quad.append(mpmath.quad(f, [-10, -3, 0, 3, 10, 40]))
    assert abs_err(got, quad) <= 1e-15
    # the normal-noise map is a different distribution (less spread noise → sharper)
    assert sm.perturbmax(x, temperature=0.8)[2] > got[2] + 0.05


def test_gumbel_softmax_same_seed_same_result_and_seeds_differ():
    x = np.arange(6.0).reshape(2, 3)
    a = sm.gumbel_softmax(x, seed=123)
    np.testing.assert_array_equal(a, sm.gumbel_softmax(x, seed=123))
    assert not np.array_equal(a, sm.gumbel_softmax(x, seed=124))
    assert not np.array_equal(sm.gumbel_softmax(x), sm.gumbel_softmax(x))  # fresh entropy
    assert get("gumbel-softmax").stochastic


def test_gumbel_max_frequencies_match_softmax():
    x = np.array([1.0, 2.0, 0.5, -1.0, 3.0])
    n = 200_000
    draws = sm.gumbel_max_sample(x, n, seed=0)
    assert draws.shape == (n,) and draws.dtype == np.intp
    counts = np.bincount(draws, minlength=x.size)
    p = sm.softmax(x)
    assert (np.abs(counts - n * p) <= 5 * np.sqrt(n * p * (1 - p))).all()
    np.testing.assert_array_equal(draws, sm.gumbel_max_sample(x, n, seed=0))


def test_gumbel_max_sample_shapes_axes_and_special_values():
    x = np.zeros((2, 3, 4))
    x[:, 1, :] = 30.0  # along axis 1, class 1 wins almost surely
    out = sm.gumbel_max_sample(x, 7, seed=1, axis=1)
    assert out.shape == (2, 4, 7)
    assert (out == 1).all()
    assert sm.gumbel_max_sample(x, 3, seed=1).shape == (2, 3, 3)
    assert sm.gumbel_max_sample(x, 3.0, seed=1).shape == (2, 3, 3)  # an integral float is fine
    draws = sm.gumbel_max_sample([np.inf, 0.0, np.inf, -np.inf], 4000, seed=2)
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == counts[3] == 0 and abs(counts[0] - 2000) < 5 * np.sqrt(1000)
    assert set(sm.gumbel_max_sample([-np.inf, -np.inf], 100, seed=3).tolist()) == {0, 1}
    assert (sm.gumbel_max_sample([0.0, -np.inf], 50, seed=4) == 0).all()


# ---------------------------------------------------------------- special values


def test_taylor_special_values():
    inf = np.inf
    assert sm.taylor_softmax([-inf, 0.0, inf]).tolist() == [0.5, 0.0, 0.5]
    assert sm.taylor_softmax([-inf, 3.0, 1e300]).tolist() == [1.0, 0.0, 0.0]
    assert sm.taylor_softmax([-inf, -inf]).tolist() == [0.5, 0.5]
    x = np.array([[1.0, np.nan], [1.0, 2.0]])
    out = sm.taylor_softmax(x)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


@pytest.mark.parametrize("name", ["sigsoftmax", "perturbmax"])
def test_softmax_like_special_values(name):
    fn, inf = MAPS[name], np.inf
    assert fn([inf, 0.0]).tolist() == [1.0, 0.0]
    assert fn([inf, 5.0, inf]).tolist() == [0.5, 0.0, 0.5]
    p = fn([-inf, 0.0, 1.0])
    assert p[0] == 0.0 and p[2] > p[1] > 0
    np.testing.assert_allclose(fn([-inf, -inf, -inf]), 1 / 3, rtol=1e-15)
    out = fn(np.array([[1.0, np.nan], [1.0, 2.0]]))
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_gumbel_softmax_special_values():
    inf = np.inf
    assert sm.gumbel_softmax([inf, 0.0, -inf], seed=0).tolist() == [1.0, 0.0, 0.0]
    # tied infinite maxima share by softmax(g) over them: the limit at equal speed
    g = variants.gumbel_noise((3,), 7)
    np.testing.assert_allclose(
        sm.gumbel_softmax([inf, 1.0, inf], seed=7), sm.softmax([g[0], -inf, g[2]]), rtol=1e-15
    )
    np.testing.assert_allclose(sm.gumbel_softmax([-inf, -inf, -inf], seed=7), sm.softmax(g))
    assert sm.gumbel_softmax([-inf, 2.0], seed=1).tolist() == [0.0, 1.0]
    assert np.isnan(sm.gumbel_softmax([np.nan, 1.0], seed=1)).all()


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("taylor", {"order": 4}),
        ("sigsoftmax", {}),
        ("perturbmax", {}),
        ("gumbel-softmax", {"seed": 5}),
    ],
)
def test_oracle_follows_the_same_special_value_rules(name, kw):
    for x in ([np.inf, 0.0, np.inf], [-np.inf, -np.inf], [-np.inf, 1.0], [np.nan, 1.0]):
        exact = np.array([float(v) for v in oracle.evaluate(name, x, dps=20, **kw)])
        np.testing.assert_allclose(get(name)(x, **kw), exact, rtol=1e-15, atol=1e-300)


def test_gumbel_oracle_needs_a_seed():
    with pytest.raises(SoftmaxInputError, match="seed"):
        oracle.evaluate("gumbel-softmax", [1.0, 2.0])


# ---------------------------------------------------------------- dtypes and axes

ALL = [
    sm.taylor_softmax,
    sm.sigsoftmax,
    sm.perturbmax,
    lambda x, **kw: sm.perturbmax(x, noise="gumbel", **kw),
    lambda x, **kw: sm.gumbel_softmax(x, seed=0, **kw),
]


@pytest.mark.parametrize("dtype", [*DTYPES, np.longdouble])
@pytest.mark.parametrize("fn", ALL)
def test_dtype_in_is_dtype_out(dtype, fn):
    out = fn(np.array([1, 2, 3], dtype=dtype))
    assert out.dtype == dtype
    assert abs(float(out.astype(np.float64).sum()) - 1) <= 2 * np.finfo(dtype).eps


@pytest.mark.parametrize("fn", ALL)
def test_integers_and_lists_become_float64(fn):
    assert fn([1, 2, 3]).dtype == np.float64
    assert fn(np.array([1, 2], dtype=np.int8)).dtype == np.float64


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("name", ["taylor", "taylor-6", "sigsoftmax", "perturbmax"])
def test_every_axis_equals_the_per_vector_result(axis, name):
    fn = MAPS[name]
    rng = np.random.default_rng(4)
    x = rng.normal(0, 3, (3, 4, 5))
    got = fn(x, axis=axis)
    moved = np.moveaxis(x, axis, -1)
    want = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        want[idx] = fn(moved[idx])
    np.testing.assert_array_equal(got, np.moveaxis(want, -1, axis))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_gumbel_softmax_axis_draws_noise_in_the_moved_layout(axis):
    x = np.random.default_rng(6).normal(0, 2, (3, 4, 5))
    got = sm.gumbel_softmax(x, axis=axis, seed=11)
    moved = np.moveaxis(x, axis, -1)
    want = np.moveaxis(sm.gumbel_softmax(moved, seed=11), -1, axis)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got.sum(axis=axis), 1, rtol=1e-15)


def test_registry_and_oracle_dispatch():
    x = [0.5, -1.0, 2.0]
    np.testing.assert_array_equal(get("taylor")(x, order=4), sm.taylor_softmax(x, order=4))
    exact = oracle.evaluate("taylor", x, order=4)
    assert float(oracle.abs_error_in_ulps_of_one(sm.taylor_softmax(x, order=4), exact).max()) <= 1
    assert get("perturb-max")(x, noise="gumbel").tolist() == sm.softmax(x).tolist()
    assert get("gumbel_softmax")(x, seed=2).tolist() == sm.gumbel_softmax(x, seed=2).tolist()


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sm.taylor_softmax([1.0], order=3), "order"),
        (lambda: sm.taylor_softmax([1.0], order=0), "order"),
        (lambda: sm.taylor_softmax([1.0], order=2.5), "order"),
        (lambda: sm.taylor_softmax([1.0], order=True), "order"),
        (lambda: sm.perturbmax([1.0], noise="uniform"), "noise"),
        (lambda: sm.gumbel_softmax([1.0], seed=-1), "seed"),
        (lambda: sm.gumbel_softmax([1.0], seed=1.5), "seed"),
        (lambda: sm.gumbel_max_sample([1.0], 0), "n "),
        (lambda: sm.gumbel_max_sample([1.0], 2.5), "n "),
        (lambda: sm.gumbel_max_sample([1.0], "many"), "n "),
        (lambda: sm.gumbel_max_sample([1.0], -1), "n "),
        (lambda: sm.gumbel_max_sample([1.0], True), "n "),
        (lambda: sm.gumbel_max_sample([1.0], 5, seed=-3), "seed"),
        (lambda: sm.gumbel_max_sample([np.nan, 1.0], 5), "nan"),
        (lambda: sm.gumbel_max_sample([], 5), "empty"),
        (lambda: sm.sigsoftmax([1.0], temperature=0), "temperature"),
        (lambda: sm.perturbmax([1.0], temperature=-1), "temperature"),
        (lambda: sm.taylor_softmax(3.0), "0-d"),
        (lambda: sm.sigsoftmax([1.0, 2.0], axis=2), "out of range"),
        (lambda: sm.perturbmax(["a"]), "dtype"),
    ],
)
def test_bad_input_raises_the_library_error(call, match):
    with pytest.raises(SoftmaxInputError, match=match):
        call()


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_gumbel_oracle_shares_the_noise_of_an_n_d_input(axis):
    x = np.random.default_rng(0).normal(0, 2, (3, 4, 5))
    got = sm.gumbel_softmax(x, axis=axis, seed=5)
    exact = oracle.evaluate("gumbel-softmax", x, axis=axis, seed=5)
    assert oracle.abs_error_in_ulps_of_one(got, exact).max() <= 4.0
