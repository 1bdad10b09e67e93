"""The oracle checks the library without sharing its method.

* ``entmax_bisect`` runs its own bisection at α = 2 (past the sparsemax shortcut,
  through the private ``_sparsemax_at_2`` switch) and at α = 1.5, and must agree
  with the closed forms (:func:`sparsemax`, :func:`entmax15`) and with the oracle;
* the sparse twins find ``λ`` by bisection, so they agree with the library's
  sort-based closed forms only if both are right (checked on hand-made cases
  whose exact answer is known in closed form here);
* the gumbel-softmax twin draws its noise itself: a fault in the library's
  noise transform shows against it.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softmax_cli import oracle, variants
from softmax_cli.oracle import sparse as twins
from softmax_cli.oracle import variants as variant_twins
from softmax_cli.sparse import entmax15, entmax_bisect, sparsemax

ULPS = 4  # the library's accuracy bound: absolute error in ULPs of 1.0
DTYPES = [np.float64, np.float32, np.float16, np.longdouble]

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

finite = st.floats(min_value=-60, max_value=60, allow_nan=False, allow_infinity=False)
vectors = st.lists(finite, min_size=1, max_size=30)
scales = st.sampled_from([1e-3, 0.1, 1.0, 10.0])
temperatures = st.sampled_from([1.0, 0.2, 5.0])


def eps(dtype: Any) -> float:
    return float(np.finfo(dtype).eps)


def ulps_of_one(got: np.ndarray, exact: Any) -> float:
    return float(oracle.abs_error_in_ulps_of_one(got, exact).max())


def bisection_at_2(x: np.ndarray, **kw: Any) -> np.ndarray:
    return entmax_bisect(x, alpha=2, _sparsemax_at_2=False, **kw)


# ---------------------------------------------------------------- entmax_bisect, no shortcut


def test_the_switch_really_bypasses_sparsemax(monkeypatch: pytest.MonkeyPatch) -> None:
    from softmax_cli import sparse

    def boom(*_a: Any, **_k: Any) -> np.ndarray:
        raise AssertionError("sparsemax called")

    monkeypatch.setattr(sparse, "sparsemax", boom)
    monkeypatch.setattr(sparse, "entmax15", boom)
    x = np.array([0.1, 0.7, 0.4, -3.0])
    assert bisection_at_2(x).shape == (4,)
    assert entmax_bisect(x, alpha=1.5).shape == (4,)
    with pytest.raises(AssertionError, match="sparsemax called"):
        entmax_bisect(x, alpha=2)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@settings(max_examples=20, deadline=None)
@given(values=vectors, scale=scales, tau=temperatures)
def test_bisection_at_alpha_2_is_sparsemax(
    dtype: Any, values: list[float], scale: float, tau: float
) -> None:
    x = (np.array(values) * scale).astype(dtype)
    got = bisection_at_2(x, temperature=tau)
    assert got.dtype == x.dtype
    assert np.abs(got - sparsemax(x, temperature=tau)).max() <= ULPS * eps(dtype)
    assert ulps_of_one(got, oracle.evaluate("sparsemax", x, temperature=tau)) <= ULPS


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@settings(max_examples=20, deadline=None)
@given(values=vectors, scale=scales, tau=temperatures)
def test_bisection_at_alpha_1_5_is_entmax15(
    dtype: Any, values: list[float], scale: float, tau: float
) -> None:
    x = (np.array(values) * scale).astype(dtype)
    got = entmax_bisect(x, alpha=1.5, temperature=tau)
    assert np.abs(got - entmax15(x, temperature=tau)).max() <= ULPS * eps(dtype)
    assert ulps_of_one(got, oracle.evaluate("entmax15", x, temperature=tau)) <= ULPS


@pytest.mark.parametrize("top", [1.3, 1.9, 2.7])
def test_bisection_at_alpha_2_with_ties_at_the_edge(top: float) -> None:
    x = np.array([top] + [1.0] * 60 + [0.5, 0.25])
    for tau in (1.0, 2.5):
        got = bisection_at_2(x, temperature=tau)
        assert ulps_of_one(got, oracle.evaluate("sparsemax", x, temperature=tau)) <= ULPS
        assert np.abs(got - sparsemax(x, temperature=tau)).max() <= ULPS * eps(np.float64)


@pytest.mark.parametrize("alpha", [2.0, 1.5])
@pytest.mark.parametrize("side", [-1, 1])
def test_alpha_next_to_the_closed_forms_is_continuous(alpha: float, side: int) -> None:
    # entmax is smooth in α: a step of 1e-9 moves p by far less than 1e-6
    closed = {2.0: sparsemax, 1.5: entmax15}[alpha]
    rng = np.random.default_rng(11)
    for _ in range(5):
        x = rng.standard_normal(rng.integers(2, 20)) * rng.choice([0.3, 1.0, 3.0])
        near = entmax_bisect(x, alpha=alpha + side * 1e-9)
        assert np.abs(near - closed(x)).max() < 1e-6


# ---------------------------------------------------------------- the twins, on known answers


def test_sparse_twins_on_answers_known_in_closed_form() -> None:
    with mpmath.workdps(60):
        # n equal entries: λ = max − 1/n (sparsemax), uniform output for every α
        for n in (1, 2, 7, 64):
            xs = [mpmath.mpf(3)] * n
            for p in (twins.sparsemax(xs), twins.entmax15(xs), twins.entmax(xs, alpha=3.7)):
                assert max(abs(v - mpmath.mpf(1) / n) for v in p) < mpmath.mpf("1e-58")
        # two entries a gap d < 1 apart: sparsemax gives (1 ± d)/2
        d = mpmath.mpf("0.3")
        p = twins.sparsemax([mpmath.mpf(0), d])
        assert abs(p[0] - (1 - d) / 2) < mpmath.mpf("1e-58")
        # 1.5-entmax of two entries, z = x/2: (z1 − λ)² + (z2 − λ)² = 1 solved by hand
        x1, x2 = mpmath.mpf(0), mpmath.mpf("0.8")
        z1, z2 = x1 / 2, x2 / 2
        lam = ((z1 + z2) - mpmath.sqrt(2 - (z1 - z2) ** 2)) / 2
        p = twins.entmax15([x1, x2])
        assert abs(p[0] - (z1 - lam) ** 2) < mpmath.mpf("1e-58")
        # α = 3 (power 1/2), z = 2x a gap e < 1 apart: √a + √(a + e) = 1 with a = z1 − λ
        # gives √a = (1 − e)/2, so p = ((1 − e)/2, (1 + e)/2)
        x2 = mpmath.mpf("0.3")
        e = 2 * (x2 - x1)
        p = twins.entmax([x1, x2], alpha=3)
        assert abs(p[0] - (1 - e) / 2) < mpmath.mpf("1e-58")
        assert abs(p[1] - (1 + e) / 2) < mpmath.mpf("1e-58")
        assert abs(mpmath.fsum(p) - 1) < mpmath.mpf("1e-58")


def test_sparse_twins_do_not_call_the_library() -> None:
    import softmax_cli.oracle.sparse as mod

    names = set(vars(mod))
    assert not names & {"sparse", "entmax_bisect", "_sparsemax_prefix", "_entmax15_prefix"}


# ---------------------------------------------------------------- gumbel-softmax twin


def test_gumbel_twin_noise_is_the_documented_protocol() -> None:
    u = np.random.default_rng(5).random((2, 3))
    with mpmath.workdps(40):
        g = variant_twins.gumbel_noise((2, 3), 5)
        want = [-mpmath.log(-mpmath.log(mpmath.mpf(float(v)))) for v in u.ravel()]
        assert max(abs(a - b) for a, b in zip(g, want, strict=True)) < mpmath.mpf("1e-38")
    # and the library's float64 noise is that noise, rounded
    lib = variants.gumbel_noise((2, 3), 5).ravel()
    assert np.abs(lib - np.array([float(v) for v in g])).max() <= 4 * eps(np.float64) * 5


def test_a_fault_in_the_library_noise_shows_against_the_twin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    x = np.array([0.5, -1.0, 2.0, 1.5])
    exact = oracle.evaluate("gumbel-softmax", x, seed=7)
    assert ulps_of_one(variants.gumbel_softmax(x, seed=7), exact) <= ULPS

    def wrong_noise(shape: tuple[int, ...], seed: Any = None) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return -np.log(rng.random(shape))  # exponential, not Gumbel: a plausible slip

    monkeypatch.setattr(variants, "gumbel_noise", wrong_noise)
    again = oracle.evaluate("gumbel-softmax", x, seed=7)
    assert [mpmath.mpf(v) for v in again] == [mpmath.mpf(v) for v in exact]
    assert ulps_of_one(variants.gumbel_softmax(x, seed=7), exact) > 1e6


def test_gumbel_twin_slices_an_nd_input_row_by_row() -> None:
    x = np.arange(12.0).reshape(3, 4) / 7
    got = variants.gumbel_softmax(x, seed=2, axis=0)
    exact = oracle.evaluate("gumbel-softmax", x, seed=2, axis=0)
    assert ulps_of_one(got, exact) <= ULPS


# ---------------------------------------------------------------- the precision asked for


@pytest.mark.parametrize(
    ("args", "dps"), [((), 50), (("--dps", "200"), 200), (("--dps", "25"), 25)]
)
def test_compare_runs_the_oracle_at_the_dps_asked_for(cli, monkeypatch, args, dps):
    # test_dps_changes_the_oracle_precision only reads back the echoed "dps" field;
    # here the twin itself reports the precision it ran at
    from softmax_cli.oracle import exp_family

    seen: list[int] = []
    twin = exp_family.softmax

    def spy(xs: Any, **kw: Any) -> Any:
        seen.append(mpmath.mp.dps)
        return twin(xs, **kw)

    monkeypatch.setattr(exp_family, "softmax", spy)
    run = cli("compare", "--format", "json", *args, "1", "2")
    assert run.code == 0
    assert seen[0] == dps  # the oracle column (the condition numbers run a little higher)
    assert min(seen) == dps
