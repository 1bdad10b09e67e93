"""softmax, log_softmax, logsumexp, soft_max, sigmoid, hardmax: accuracy against the oracle,
properties, special values, dtypes, axes, errors, and the teaching twins."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmax_cli as sm
from softmax_cli import naive, oracle
from softmax_cli.errors import SoftmaxInputError

DTYPES = [np.float16, np.float32, np.float64]
# the accuracy targets of issue 2, in ULP of the working dtype
SOFTMAX_MAX_ULP = {np.float64: 3.0, np.float32: 1.0, np.float16: 1.0}
LOG_SOFTMAX_MAX_ULP = {np.float64: 2.0, np.float32: 1.0, np.float16: 1.0}


def worst_ulp(name: str, x: np.ndarray, **kw) -> float:
    fn = {"softmax": sm.softmax, "log-softmax": sm.log_softmax, "logsumexp": sm.logsumexp}[name]
    got = fn(x, **kw)
    exact = oracle.evaluate(name, x.astype(np.float64) if x.dtype != np.longdouble else x, **kw)
    return float(oracle.ulp_error(got, exact, x.dtype).max())


def families(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The input families the accuracy targets are stated over."""
    return {
        "normal-30": rng.normal(0, 30, n),
        "huge": rng.normal(0, 1e4, n),
        "tiny": rng.normal(0, 1e-8, n),
        "mixed-scale": rng.normal(0, 1, n) * 10.0 ** rng.integers(-6, 3, n),
        "offset-1e6": 1e6 + rng.normal(0, 5, n),
        "tie-heavy": rng.integers(-3, 4, n).astype(float) * 7.25,
        "unit": rng.normal(0, 1, n),
    }


# ---------------------------------------------------------------- golden values


def test_softmax_matches_reference_notes_example():
    # [mpmath.nstr(v, 20) for v in oracle.evaluate("softmax", [1, 2, 3, 4, 5])]
    golden = [
        "0.011656230956039607395",
        "0.031684920796124268912",
        "0.086128544436268704938",
        "0.23412165725273662271",
        "0.63640864655883079604",
    ]
    got = sm.softmax([1.0, 2.0, 3.0, 4.0, 5.0])
    err = oracle.ulp_error(got, [mpmath.mpf(g) for g in golden], np.float64)
    assert err.max() <= 1.0


def test_softmax_of_huge_logits_underflows_correctly_and_oracle_keeps_the_value():
    x = [1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
    # mpmath.nstr(oracle.evaluate("softmax", x)[0], 15)
    exact = oracle.evaluate("softmax", x)
    assert mpmath.nstr(exact[0], 15) == "6.63853710465567e-1738"
    assert sm.softmax(x).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert np.isnan(naive.softmax_naive(x)).all()


def test_log_softmax_keeps_the_tiny_term_peers_lose():
    # mpmath.nstr(oracle.evaluate("log-softmax", [0.0, -40.0])[0], 20)
    # == '-4.2483542552915889863e-18'
    got = sm.log_softmax([0.0, -40.0])
    assert oracle.ulp_error(got[0], mpmath.mpf("-4.2483542552915889863e-18"), np.float64) <= 0.5
    assert naive.log_softmax_shifted([0.0, -40.0])[0] == 0.0  # what numpy/scipy/torch return


@pytest.mark.parametrize(
    ("tau", "golden"),
    [
        # mpmath.nstr(oracle.evaluate("logsumexp", [1, 2, 3, 4], temperature=tau), 20)
        (1.0, "4.4401896985611953305"),
        (0.1, "4.0000045400960370485"),
        (10.0, "16.425355294551627345"),
    ],
)
def test_logsumexp_golden_at_temperatures(tau, golden):
    got = sm.logsumexp([1.0, 2.0, 3.0, 4.0], temperature=tau)
    assert oracle.ulp_error(got, mpmath.mpf(golden), np.float64) <= 1.0


# ---------------------------------------------------------------- accuracy bounds


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_and_log_softmax_meet_ulp_targets_on_every_family(dtype):
    rng = np.random.default_rng(20261121)
    for family, x in families(rng, 400).items():
        limit = float(np.finfo(dtype).max) / 2
        xd = np.clip(x, -limit, limit).astype(dtype)
        assert worst_ulp("softmax", xd) <= SOFTMAX_MAX_ULP[dtype], family
        assert worst_ulp("log-softmax", xd) <= LOG_SOFTMAX_MAX_ULP[dtype], family


@pytest.mark.parametrize("tau", [0.37, 3.0, 1e-3])
def test_temperature_keeps_the_accuracy(tau):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 3, 300)
    assert worst_ulp("softmax", x, temperature=tau) <= 3.0
    assert worst_ulp("log-softmax", x, temperature=tau) <= 2.0


def test_longdouble_is_computed_in_longdouble():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 30, 200).astype(np.longdouble)
    got = sm.softmax(x)
    assert got.dtype == np.longdouble
    exact = oracle.evaluate("softmax", x)
    assert oracle.ulp_error(got, exact).max() <= 3.0


def test_a_million_logits_stay_within_target():
    rng = np.random.default_rng(11)
    n = 1_000_000
    x = rng.normal(0, 30, n)
    m = float(x.max())
    # The exact LSE, summing in mpmath only the terms within 80 of the max: the n terms
    # left out add at most n·e^-80 < 1e-28 relative to the sum (≥ 1), far below an ULP.
    near = x[x > m - 80]
    assert n * np.exp(-80.0) < 1e-28
    with mpmath.workdps(40):
        mm = oracle.to_mpf(m)
        lse = mm + mpmath.log(mpmath.fsum(mpmath.exp(oracle.to_mpf(v) - mm) for v in near))
        idx = np.concatenate([rng.choice(n, 1500, replace=False), [int(np.argmax(x))]])
        ex_p = [mpmath.exp(oracle.to_mpf(x[i]) - lse) for i in idx]
        ex_lp = [oracle.to_mpf(x[i]) - lse for i in idx]
    assert oracle.ulp_error(sm.softmax(x)[idx], ex_p).max() <= 3.0
    assert oracle.ulp_error(sm.log_softmax(x)[idx], ex_lp).max() <= 2.0
    assert oracle.ulp_error(sm.logsumexp(x), lse) <= 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_within_one_ulp_without_cancellation(dtype):
    rng = np.random.default_rng(5)
    for _ in range(30):
        x = rng.normal(5, 2, rng.integers(1, 60)).astype(dtype)
        assert worst_ulp("logsumexp", x) <= 1.0


finite64 = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 12), elements=finite64))
def test_hypothesis_vectors_meet_targets(x):
    assert worst_ulp("softmax", x) <= 3.0
    assert worst_ulp("log-softmax", x) <= 2.0


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float32, st.integers(1, 12), elements=st.floats(-80, 80, width=32)))
def test_hypothesis_float32_within_one_ulp(x):
    assert worst_ulp("softmax", x) <= 1.0
    assert worst_ulp("log-softmax", x) <= 1.0


def test_more_accurate_than_the_shifted_formula_peers_use():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 30, 3000)
    exact = oracle.evaluate("softmax", x)
    ours = oracle.ulp_error(sm.softmax(x), exact).max()
    peer = oracle.ulp_error(naive.softmax_shifted(x), exact).max()
    assert ours <= 3.0 < 10.0 < peer


# ---------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-700, 700)))
def test_softmax_on_simplex_and_monotone(x):
    p = sm.softmax(x)
    assert (p >= 0).all()
    assert abs(p.sum() - 1.0) <= 4 * x.size * np.finfo(float).eps
    order = np.argsort(x, kind="stable")
    assert (np.diff(p[order]) >= 0).all()
    for i, j in [(0, -1)]:
        if x[i] == x[j]:
            assert p[i] == p[j]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 20), elements=st.integers(-1000, 1000).map(float)),
    st.integers(-(10**6), 10**6).map(float),
)
def test_shift_invariance(x, c):
    # integer-valued logits and shift keep x + c exact, so the outputs must agree
    np.testing.assert_allclose(sm.softmax(x + c), sm.softmax(x), rtol=4e-16, atol=0)
    np.testing.assert_allclose(sm.log_softmax(x + c), sm.log_softmax(x), rtol=4e-16, atol=1e-300)
    assert sm.logsumexp(x + c) == pytest.approx(sm.logsumexp(x) + c, rel=4e-16)


def test_temperature_limits():
    x = np.array([1.0, 4.0, 2.0, 4.0])
    np.testing.assert_array_equal(sm.softmax(x, temperature=1e-4), [0, 0.5, 0, 0.5])
    np.testing.assert_array_equal(sm.hardmax(x), [0, 0.5, 0, 0.5])
    np.testing.assert_allclose(sm.softmax(x, temperature=1e15), 0.25, rtol=1e-14)
    assert float(sm.logsumexp(x, temperature=1e-20)) == 4.0  # + τ·log 2 for the tie
    assert float(sm.logsumexp(x, temperature=1e-6)) == pytest.approx(
        4 + 1e-6 * np.log(2), rel=1e-16
    )
    assert float(sm.soft_max(x, temperature=1e-3)) == 4.0
    assert float(sm.soft_max(x)) < 4.0


def test_soft_max_never_exceeds_max_and_logsumexp_bounds():
    rng = np.random.default_rng(2)
    for _ in range(50):
        x = rng.normal(0, 10, rng.integers(1, 40))
        assert float(sm.soft_max(x)) <= x.max()
        lse = float(sm.logsumexp(x))
        assert x.max() <= lse <= x.max() + np.log(x.size) + 1e-12


def test_sigmoid_is_the_two_class_softmax():
    z = np.linspace(-50, 50, 101)
    two = sm.softmax(np.stack([z, np.zeros_like(z)], axis=-1))[:, 0]
    np.testing.assert_allclose(sm.sigmoid(z), two, rtol=4e-16)
    assert sm.sigmoid(-1000.0) == 0.0 and sm.sigmoid(1000.0) == 1.0
    exact = oracle.evaluate("sigmoid", z)
    assert oracle.ulp_error(sm.sigmoid(z), exact).max() <= 2.0


# ---------------------------------------------------------------- special values


def test_plus_inf_entries_share_the_mass():
    inf = np.inf
    assert sm.softmax([inf, 0.0]).tolist() == [1.0, 0.0]
    assert sm.softmax([inf, 5.0, inf]).tolist() == [0.5, 0.0, 0.5]
    assert sm.log_softmax([inf, 0.0]).tolist() == [0.0, -inf]
    assert float(sm.logsumexp([inf, 0.0])) == inf


def test_nan_poisons_only_its_vector():
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
    for fn in (sm.softmax, sm.log_softmax, sm.hardmax):
        out = fn(x)
        assert np.isnan(out[0]).all()
        assert np.isfinite(out[1]).all()
    assert np.isnan(sm.logsumexp(x)[0]) and np.isfinite(sm.logsumexp(x)[1])


def test_minus_inf_entries_get_zero_and_all_minus_inf_is_uniform():
    ninf = -np.inf
    assert sm.softmax([ninf, 0.0, 0.0]).tolist() == [0.0, 0.5, 0.5]
    assert sm.log_softmax([ninf, 0.0])[0] == ninf
    assert sm.softmax([ninf, ninf, ninf]).tolist() == pytest.approx([1 / 3] * 3, rel=1e-15)
    assert float(sm.logsumexp([ninf, ninf])) == ninf
    np.testing.assert_allclose(sm.log_softmax([ninf, ninf]), np.log(0.5), rtol=1e-15)


def test_oracle_follows_the_same_special_value_rules():
    for x in ([np.inf, 0.0, np.inf], [-np.inf, -np.inf], [-np.inf, 1.0]):
        exact = [float(v) for v in oracle.evaluate("softmax", x)]
        assert exact == sm.softmax(x).tolist()


def test_logsumexp_weights():
    x = np.array([0.0, 1.0, 2.0])
    b = np.array([2.0, 0.0, 0.5])
    with mpmath.workdps(40):
        want = mpmath.log(2 + mpmath.mpf(0.5) * mpmath.e**2)
    assert oracle.ulp_error(sm.logsumexp(x, b=b), want, np.float64) <= 1.0
    # a zero weight drops its entry even when it is +inf
    assert float(sm.logsumexp([np.inf, 0.0], b=[0.0, 1.0])) == 0.0
    # weights of either sign (tests/test_signed_lse.py): a negative sum has no log
    assert np.isnan(sm.logsumexp(x, b=[-1.0, 0.0, -1.0]))
    with pytest.raises(SoftmaxInputError, match="broadcast"):
        sm.logsumexp(x, b=[1.0, 1.0])


# ---------------------------------------------------------------- dtypes and axes


@pytest.mark.parametrize("dtype", [*DTYPES, np.longdouble])
@pytest.mark.parametrize("fn", [sm.softmax, sm.log_softmax, sm.sigmoid, sm.hardmax])
def test_dtype_in_is_dtype_out(dtype, fn):
    assert fn(np.array([1, 2, 3], dtype=dtype)).dtype == dtype
    assert sm.logsumexp(np.array([1, 2, 3], dtype=dtype)).dtype == dtype


def test_integers_become_float64():
    assert sm.softmax([1, 2, 3]).dtype == np.float64
    assert sm.softmax(np.array([1, 2], dtype=np.int8)).dtype == np.float64


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_every_axis_equals_the_per_vector_result(axis):
    rng = np.random.default_rng(4)
    x = rng.normal(0, 5, (3, 4, 5))
    for fn in (sm.softmax, sm.log_softmax):
        got = fn(x, axis=axis)
        moved = np.moveaxis(x, axis, -1)
        want = np.empty_like(moved)
        for idx in np.ndindex(moved.shape[:-1]):
            want[idx] = fn(moved[idx])
        np.testing.assert_array_equal(got, np.moveaxis(want, -1, axis))
    lse = sm.logsumexp(x, axis=axis, keepdims=True)
    assert lse.shape == tuple(1 if i == axis % 3 else s for i, s in enumerate(x.shape))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sm.softmax([]), "empty"),
        (lambda: sm.softmax(np.zeros((2, 0))), "empty"),
        (lambda: sm.softmax(3.0), "0-d"),
        (lambda: sm.softmax([1.0, 2.0], axis=1), "out of range"),
        (lambda: sm.log_softmax([1.0], axis=1.5), "integer"),
        (lambda: sm.softmax([1.0], temperature=0), "temperature"),
        (lambda: sm.softmax([1.0], temperature=np.inf), "temperature"),
        (lambda: sm.softmax([1.0], temperature="hot"), "temperature"),
        (lambda: sm.softmax([1 + 2j]), "complex"),
        (lambda: sm.softmax(["a", "b"]), "dtype"),
    ],
)
def test_bad_input_raises_the_library_error(call, match):
    with pytest.raises(SoftmaxInputError, match=match):
        call()


# ---------------------------------------------------------------- teaching twins


def test_naive_twins_overflow_where_the_textbook_does():
    got = naive.softmax_naive(np.array([10, 11, 12], dtype=np.float16))
    assert got[0] == 0 and got[1] == 0 and np.isnan(got[2])
    assert float(naive.logsumexp_naive([1000.0, 1000.0])) == np.inf
    assert naive.log_softmax_naive([0.0, -800.0])[1] == -np.inf
    assert np.isnan(naive.softmax_naive([-800.0, -800.0])).all()  # 0/0
    np.testing.assert_allclose(naive.softmax_naive([1.0, 2.0]), sm.softmax([1.0, 2.0]), rtol=1e-15)
    assert float(naive.logsumexp_shifted([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2))
