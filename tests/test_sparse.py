"""Sparse mappings (sparsemax, entmax-1.5, α-entmax, top-k / top-p softmax) against their twins.

Accuracy is measured against the mpmath oracle (:mod:`softmax_cli.oracle.sparse`)
as absolute error in ULPs of 1.0 of the output dtype; the bound is 4.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from softmax_cli import oracle, sparse
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.exp_family import softmax
from softmax_cli.oracle import sparse as twins
from softmax_cli.oracle.exp_family import softmax as softmax_twin
from softmax_cli.registry import get
from softmax_cli.sparse import entmax15, entmax_bisect, sparse_softmax, sparsemax

ULPS = 4  # accuracy bound: absolute error in ULPs of 1.0

# no floating-point warning may leak out of the library
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# name -> (library function, registry name, parameters)
MAPPINGS: dict[str, tuple[Callable[..., np.ndarray], str, dict[str, Any]]] = {
    "sparsemax": (sparsemax, "sparsemax", {}),
    "entmax15": (entmax15, "entmax15", {}),
    "entmax-1.05": (entmax_bisect, "entmax", {"alpha": 1.05}),
    "entmax-1.3": (entmax_bisect, "entmax", {"alpha": 1.3}),
    "entmax-1.5": (entmax_bisect, "entmax", {"alpha": 1.5}),
    "entmax-1.8": (entmax_bisect, "entmax", {"alpha": 1.8}),
    "entmax-3": (entmax_bisect, "entmax", {"alpha": 3.0}),
    "top-k": (sparse_softmax, "sparse-softmax", {"k": 3}),
    "top-p": (sparse_softmax, "sparse-softmax", {"p": 0.8}),
}
NAMES = list(MAPPINGS)
DTYPES = [np.float64, np.float32, np.float16]


def run(name: str, x: Any, **kw: Any) -> np.ndarray:
    f, _, params = MAPPINGS[name]
    return f(x, **params, **kw)


def exact(name: str, x: Any, **kw: Any) -> Any:
    _, reg, params = MAPPINGS[name]
    return oracle.evaluate(reg, x, **params, **kw)


def error(name: str, x: np.ndarray, temperature: float = 1.0) -> float:
    """Largest absolute error of ``name`` at ``x``, in ULPs of 1.0 of x's dtype."""
    y = run(name, x, temperature=temperature)
    assert y.dtype == x.dtype
    ex = exact(name, x, temperature=temperature)
    return float(oracle.abs_error_in_ulps_of_one(y, ex).max())


def near_nucleus_cut(name: str, x: np.ndarray, temperature: float) -> bool:
    """True when top-p's exact cumulative mass comes within 1e-12 of p (a discontinuity)."""
    if name != "top-p":
        return False
    p = mpmath.mpf(MAPPINGS[name][2]["p"])
    xs = sorted((oracle.to_mpf(v) for v in x), reverse=True)
    with mpmath.workdps(40):
        cum = mpmath.mpf(0)
        for w in softmax_twin(xs, temperature=oracle.to_mpf(np.float64(temperature))):
            cum += w
            if abs(cum - p) < mpmath.mpf("1e-12"):
                return True
    return False


def eps(dtype: Any) -> float:
    return float(np.finfo(dtype).eps)


def exact_sum(p: np.ndarray) -> mpmath.mpf:
    return mpmath.fsum(oracle.to_mpf(v) for v in p.ravel())


finite = st.floats(min_value=-60, max_value=60, allow_nan=False, allow_infinity=False)
vectors = st.lists(finite, min_size=1, max_size=30)
scales = st.sampled_from([1e-3, 0.1, 1.0, 10.0])
temperatures = st.sampled_from([1.0, 0.2, 5.0])


def as_input(values: list[float], scale: float, dtype: Any) -> np.ndarray:
    return (np.array(values, dtype=np.float64) * scale).astype(dtype)


# ---------------------------------------------------------------------------
# Golden values, from the oracle at 30 digits. Produced by:
#   from softmax_cli import oracle; import mpmath
#   [mpmath.nstr(v, 25) for v in oracle.evaluate(NAME, X, temperature=T, dps=30, **PARAMS)]
# ---------------------------------------------------------------------------

GOLDEN = [
    ("sparsemax", [1.0, 2.0, 2.5], 1.0, {}, ["0.0", "0.25", "0.75"]),
    (
        "sparsemax",
        [0.1, 0.7, 0.4, -3.0],
        0.5,
        {},
        ["0.0", "0.7999999999999999333866185", "0.2000000000000000666133815", "0.0"],
    ),
    (
        "entmax15",
        [1.0, 2.0, 3.0],
        1.0,
        {},
        ["0.0", "0.169281086116926176187298", "0.830718913883073823812702"],
    ),
    (
        "entmax15",
        [-1.0, 0.0, 0.5, 0.25],
        1.0,
        {},
        [
            "0.0",
            "0.1964772739897306677837646",
            "0.4806060593436026655495687",
            "0.3229166666666666666666667",
        ],
    ),
    (
        "entmax",
        [0.3, -0.2, 1.1, 0.9],
        1.0,
        {"alpha": 1.3},
        [
            "0.1381407446578156301293301",
            "0.04802575206223657645740624",
            "0.4600267736682259855143374",
            "0.3538067296117218078989263",
        ],
    ),
    (
        "entmax",
        [0.3, -0.2, 1.1, 0.9],
        1.0,
        {"alpha": 3.0},
        ["0.0", "0.0", "0.7000000000000000666133815", "0.2999999999999999333866185"],
    ),
    (
        "sparse-softmax",
        [1.0, 2.0, 3.0, 4.0],
        1.0,
        {"k": 2},
        ["0.0", "0.0", "0.2689414213699951207488408", "0.7310585786300048792511592"],
    ),
    (
        "sparse-softmax",
        [0.5, 2.0, -1.0, 1.5],
        1.0,
        {"p": 0.8},
        ["0.0", "0.6224593312018545646389006", "0.0", "0.3775406687981454353610994"],
    ),
]


@pytest.mark.parametrize("name, x, tau, params, golden", GOLDEN)
def test_golden_values(
    name: str, x: list[float], tau: float, params: dict, golden: list[str]
) -> None:
    with mpmath.workdps(40):
        truth = [mpmath.mpf(g) for g in golden]
        # the twin reproduces its own golden values
        again = oracle.evaluate(name, x, temperature=tau, dps=30, **params)
        assert max(abs(a - b) for a, b in zip(again, truth, strict=True)) < mpmath.mpf("1e-24")
    got = get(name)(np.array(x), temperature=tau, **params)
    assert oracle.abs_error_in_ulps_of_one(got, truth).max() <= ULPS


def test_golden_exact_zeros_and_support() -> None:
    # zeros are exact, not tiny: the support is exactly the golden one
    assert sparsemax([1.0, 2.0, 3.5]).tolist() == [0.0, 0.0, 1.0]
    assert sparsemax([1.0, 2.0, 2.5]).tolist() == [0.0, 0.25, 0.75]
    assert entmax15([0.0, 3.0]).tolist() == [0.0, 1.0]  # gap 3 > 2τ: only the max survives


# ---------------------------------------------------------------------------
# Accuracy against the oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=12, deadline=None)
@given(values=vectors, scale=scales, tau=temperatures)
def test_matches_oracle(
    name: str, dtype: Any, values: list[float], scale: float, tau: float
) -> None:
    x = as_input(values, scale, dtype)
    assume(not near_nucleus_cut(name, x, tau))
    assert error(name, x, tau) <= ULPS


@pytest.mark.parametrize(
    "name", ["sparsemax", "entmax15", "entmax-1.3", "entmax-3", "top-k", "top-p"]
)
@settings(max_examples=8, deadline=None)
@given(values=vectors, scale=scales, tau=temperatures)
def test_matches_oracle_longdouble(
    name: str, values: list[float], scale: float, tau: float
) -> None:
    x = as_input(values, scale, np.longdouble)
    assume(not near_nucleus_cut(name, x, tau))
    assert error(name, x, tau) <= ULPS


@pytest.mark.parametrize("name", ["sparsemax", "entmax15", "entmax-1.3", "entmax-3", "top-k"])
@settings(max_examples=6, deadline=None)
@given(values=st.lists(st.floats(-1000, 1000), min_size=40, max_size=150))
def test_matches_oracle_long_spread_vectors(name: str, values: list[float]) -> None:
    # most entries fall outside the candidate window: exercises the gathered layout
    assert error(name, np.array(values)) <= ULPS


@pytest.mark.parametrize("name", ["sparsemax", "entmax15", "entmax-1.3", "entmax-1.8", "entmax-3"])
@pytest.mark.parametrize("top", [1.3, 1.9, 2.7, 3.6])
def test_many_ties_at_the_edge_of_the_support(name: str, top: float) -> None:
    # one large entry and 60 tied small ones: a plain sum would lose half an ULP per term
    x = np.array([top] + [1.0] * 60 + [0.5, 0.25])
    assert error(name, x) <= ULPS
    assert error(name, x, temperature=2.5) <= ULPS


@pytest.mark.parametrize("alpha", [1.0001, 1.01, 1.999, 2.001, 6.0])
def test_entmax_extreme_alpha_matches_oracle(alpha: float) -> None:
    rng = np.random.default_rng(7)
    for _ in range(4):
        x = rng.standard_normal(rng.integers(1, 25)) * rng.choice([0.1, 1.0, 10.0])
        ex = oracle.evaluate("entmax", x, alpha=alpha)
        assert oracle.abs_error_in_ulps_of_one(entmax_bisect(x, alpha=alpha), ex).max() <= ULPS


def test_large_alpha_edge_entry_below_working_precision() -> None:
    # α = 10: p = t^(1/9), so p ≈ 0.018 at the edge needs t = z − λ ≈ 2.4e-16 exactly:
    # λ has to be found to well below one ULP (double-word polish)
    x = np.array([1.5506337257288532, 0.5110357920342684, -1.9554469448654344, -0.6696092209678296])
    x = np.concatenate([x, [0.41991245065609256, -1.7385999727158628, 0.10796462553490634]])
    x = np.append(x, 0.8928626394698385)  # the edge entry
    got = entmax_bisect(x, alpha=10, temperature=7)
    ex = oracle.evaluate("entmax", x, alpha=10, temperature=7)
    assert 0.018 < float(ex[-1]) < 0.019
    assert oracle.abs_error_in_ulps_of_one(got, ex).max() <= ULPS


def test_near_one_alpha_tends_to_softmax() -> None:
    x = np.array([0.5, -1.0, 2.0, 1.5])
    assert np.abs(entmax_bisect(x, alpha=1 + 1e-9) - softmax(x)).max() < 1e-7


# ---------------------------------------------------------------------------
# α-entmax against its special cases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*DTYPES, np.longdouble], ids=lambda d: np.dtype(d).name)
@settings(max_examples=20, deadline=None)
@given(values=vectors, scale=scales, tau=temperatures)
def test_entmax_bisect_special_alphas(
    dtype: Any, values: list[float], scale: float, tau: float
) -> None:
    x = as_input(values, scale, dtype)
    a15 = entmax_bisect(x, alpha=1.5, temperature=tau)
    assert np.abs(a15 - entmax15(x, temperature=tau)).max() <= ULPS * eps(dtype)
    assert np.array_equal(entmax_bisect(x, alpha=2, temperature=tau), sparsemax(x, temperature=tau))
    assert np.array_equal(entmax_bisect(x, alpha=1, temperature=tau), softmax(x, temperature=tau))


def test_twins_agree_on_special_alphas() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        xs = [mpmath.mpf(float(v)) for v in rng.standard_normal(rng.integers(1, 12)) * 2]
        with mpmath.workdps(50):
            a = twins.entmax(xs, alpha=1.5)
            b = twins.entmax15(xs)
            assert max(abs(u - v) for u, v in zip(a, b, strict=True)) < mpmath.mpf("1e-45")
            assert twins.entmax(xs, alpha=2.0) == twins.sparsemax(xs)
            assert twins.entmax(xs, alpha=1.0) == softmax_twin(xs)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*DTYPES, np.longdouble], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(values=st.lists(finite, min_size=1, max_size=60), scale=scales, tau=temperatures)
def test_on_the_simplex_and_monotone(
    name: str, dtype: Any, values: list[float], scale: float, tau: float
) -> None:
    x = as_input(values, scale, dtype)
    p = run(name, x, temperature=tau)
    assert p.dtype == x.dtype
    assert (p >= 0).all()
    assert abs(exact_sum(p) - 1) <= ULPS * eps(dtype)
    order = np.argsort(x, kind="stable")
    xs, ps = x[order], p[order]
    assert (np.diff(ps) >= 0).all()  # x_i > x_j ⇒ p_i ≥ p_j
    assert (ps[1:][np.diff(xs) == 0] == ps[:-1][np.diff(xs) == 0]).all()  # ties share equally


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(-40, 40), min_size=1, max_size=40), c=st.integers(-(10**6), 10**6)
)
def test_shift_invariant_exactly(name: str, values: list[int], c: int) -> None:
    x = np.array(values, dtype=np.float64) / 4  # dyadic: x + c is exact
    assert np.array_equal(run(name, x + c), run(name, x))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None)
@given(values=vectors, c=st.sampled_from([-1e6, -3.5e3, 1e4, 2.5e8]))
def test_large_offsets_stay_accurate(name: str, values: list[float], c: float) -> None:
    x = np.array(values) + c  # rounded: compared with the exact map of the rounded input
    assume(not near_nucleus_cut(name, x, 1.0))
    assert error(name, x) <= ULPS


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(values=vectors, data=st.data())
def test_permutation_equivariant(name: str, values: list[float], data: st.DataObject) -> None:
    x = np.array(values)
    perm = np.array(data.draw(st.permutations(range(x.size))))
    assert np.abs(run(name, x[perm]) - run(name, x)[perm]).max() <= ULPS * eps(np.float64)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.integers(-50, 50), min_size=1, max_size=30))
def test_zero_temperature_limit_is_argmax(name: str, values: list[int]) -> None:
    x = np.array(values, dtype=np.float64)
    top = x == x.max()
    p = run(name, x, temperature=1e-9)
    assert (p[~top] == 0).all()
    assert np.abs(p[top] - 1 / top.sum()).max() <= eps(np.float64)  # tied maxima share equally


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(values=vectors)
def test_infinite_temperature_limit_is_uniform(name: str, values: list[float]) -> None:
    x = np.array(values)
    p = run(name, x, temperature=1e15)
    kept = p > 0
    # uniform on what is kept; the entmax family keeps everything, top-k / top-p the largest
    assert np.abs(p[kept] - 1 / kept.sum()).max() < 1e-9
    if name.startswith(("sparsemax", "entmax")):
        assert kept.all()
    else:
        assert x[kept].min() >= x[~kept].max(initial=-np.inf)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_every_axis_of_a_3d_input(name: str, axis: int) -> None:
    x = np.random.default_rng(5).standard_normal((3, 4, 5)) * 2
    got = run(name, x, axis=axis)
    assert got.shape == x.shape
    moved = np.moveaxis(x, axis, -1)
    want = np.moveaxis(np.array([[run(name, v) for v in m] for m in moved]), -1, axis)
    assert np.abs(got - want).max() <= ULPS * eps(np.float64)
    assert np.allclose(got.sum(axis=axis), 1, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "longdouble"])
def test_dtype_in_is_dtype_out(name: str, dtype: str) -> None:
    x = np.array([[0.5, 1.0, -2.0, 0.75], [3.0, 3.0, 0.0, 1.0]], dtype=dtype)
    assert run(name, x).dtype == np.dtype(dtype)


@pytest.mark.parametrize("name", NAMES)
def test_integers_and_lists_give_float64(name: str) -> None:
    assert run(name, np.array([1, 2, 3], dtype=np.int32)).dtype == np.float64
    assert run(name, [True, False]).dtype == np.float64
    assert np.array_equal(run(name, [1, 2, 3]), run(name, np.array([1.0, 2.0, 3.0])))


@pytest.mark.parametrize("name", NAMES)
def test_empty_batch_keeps_its_shape(name: str) -> None:
    # no vectors at all is fine (only an empty vector is an error)
    assert run(name, np.zeros((0, 5), dtype=np.float32)).shape == (0, 5)
    assert run(name, np.zeros((2, 0, 5)), axis=-1).shape == (2, 0, 5)


# ---------------------------------------------------------------------------
# Special values
# ---------------------------------------------------------------------------

INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float16", "float64", "longdouble"])
def test_special_values(name: str, dtype: str) -> None:
    def f(v: list[float]) -> list[float]:
        out = run(name, np.array(v, dtype=dtype))
        assert out.dtype == np.dtype(dtype)
        return out.astype(np.float64).tolist()

    assert all(math.isnan(v) for v in f([NAN, 1.0, 2.0]))
    assert all(math.isnan(v) for v in f([INF, NAN]))
    assert f([INF, 0.0, INF]) == [0.5, 0.0, 0.5]  # +inf entries share the mass
    assert f([INF, -INF]) == [1.0, 0.0]
    assert f([-INF, -INF, -INF, -INF]) == [0.25] * 4  # all -inf: uniform, no crash
    assert f([0.0, -INF, 0.0]) == [0.5, 0.0, 0.5]  # -inf among finite entries gets 0
    assert f([7.0]) == [1.0]
    assert f([2.0, 2.0, 2.0, 2.0]) == [0.25] * 4
    ties = f([1.0, 3.0, 1.0, 3.0, 2.0])
    assert ties[0] == ties[2] and ties[1] == ties[3] > 0


@pytest.mark.parametrize("name", NAMES)
def test_special_rows_inside_a_batch(name: str) -> None:
    x = np.array([[NAN, 0.0, 1.0], [INF, 2.0, INF], [-INF, -INF, -INF], [0.0, 1.0, 0.5]])
    got = run(name, x)
    assert np.isnan(got[0]).all()
    assert got[1].tolist() == [0.5, 0.0, 0.5]
    assert got[2].tolist() == [1 / 3] * 3
    assert np.abs(got[3] - run(name, x[3])).max() <= 2 * eps(np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_huge_logits_and_extreme_temperatures(name: str) -> None:
    big = np.finfo(np.float64).max
    assert run(name, [big, -big, big]).tolist() == [0.5, 0.0, 0.5]
    assert run(name, [big, big / 2]).tolist() == [1.0, 0.0]
    assert run(name, [1.0, 2.0], temperature=1e-300).tolist() == [0.0, 1.0]
    p = run(name, [1e300, -1e300], temperature=1e300)
    assert np.isfinite(p).all() and abs(p.sum() - 1) < 1e-15


@pytest.mark.parametrize("name", NAMES)
def test_a_million_entries(name: str) -> None:
    x = np.random.default_rng(11).standard_normal(1_000_000)
    p = run(name, x)
    assert p.shape == x.shape and (p >= 0).all()
    assert abs(math.fsum(p) - 1) < 1e-13
    assert p.argmax() == x.argmax()
    flat = run(name, np.zeros(1_000_000))
    assert np.abs(flat - 1e-6).max() < 1e-18


# ---------------------------------------------------------------------------
# Internal layouts: gathered candidates vs whole rows, partial sorting
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, deadline=None)
@given(
    values=st.lists(st.lists(finite, min_size=8, max_size=8), min_size=1, max_size=6), scale=scales
)
def test_layouts_agree(name: str, values: list[list[float]], scale: float) -> None:
    x = np.array(values) * scale
    default = run(name, x)
    for dense, width in [(0.0, 1), (1.0, 1), (1.0, 2), (0.0, 1000)]:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sparse, "_DENSE", dense)  # 0: always whole rows, 1: always gathered
            mp.setattr(sparse, "_FIRST_WIDTH", width)  # forces the widening of sorted columns
            assert np.abs(run(name, x) - default).max() <= 2 * eps(np.float64)


# ---------------------------------------------------------------------------
# Sparse softmax: ties at the cut, k > n, nucleus definition
# ---------------------------------------------------------------------------


def test_top_k_keeps_all_ties_at_the_cut() -> None:
    p = sparse_softmax([1.0, 3.0, 2.0, 3.0, 2.0], k=2)
    assert (p > 0).tolist() == [False, True, False, True, False]
    p = sparse_softmax([1.0, 3.0, 2.0, 2.0, 0.0], k=2)  # the 2nd largest value is tied
    assert (p > 0).tolist() == [False, True, True, True, False]
    assert p[2] == p[3]


def test_top_k_larger_than_n_is_softmax() -> None:
    x = np.array([0.3, -1.0, 2.5])
    assert np.array_equal(sparse_softmax(x, k=3), softmax(x))
    assert np.array_equal(sparse_softmax(x, k=100), softmax(x))


def test_top_p_is_the_smallest_nucleus() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])  # softmax: .032, .087, .237, .644
    assert (sparse_softmax(x, p=0.6) > 0).tolist() == [False, False, False, True]
    assert (sparse_softmax(x, p=0.7) > 0).tolist() == [False, False, True, True]
    assert (sparse_softmax(x, p=0.95) > 0).tolist() == [False, True, True, True]
    assert np.array_equal(sparse_softmax(x, p=1.0), softmax(x))
    # the nucleus is taken at the temperature: colder, fewer entries
    assert (sparse_softmax(x, p=0.7, temperature=0.5) > 0).sum() == 1


def test_top_p_ties_at_the_cut_are_kept() -> None:
    assert sparse_softmax([0.0, 0.0], p=0.5).tolist() == [0.5, 0.5]
    # masses .964, .018, .018, .0003: p = .97 is reached by one of the tied 1s; both stay
    q = sparse_softmax([5.0, 1.0, 1.0, -3.0], p=0.97)
    assert q[1] == q[2] > 0 and q[3] == 0
    assert np.array_equal(q, sparse_softmax([5.0, 1.0, 1.0, -3.0], k=3))


def test_registry_and_oracle_dispatch() -> None:
    x = [0.2, 1.5, 1.0, -0.5]
    assert np.array_equal(get("sparsemax")(x), sparsemax(x))
    assert np.array_equal(get("entmax-1.5")(x), entmax15(x))
    assert np.array_equal(get("entmax")(x, alpha=1.7), entmax_bisect(x, alpha=1.7))
    assert np.array_equal(get("top-k")(x, k=2), sparse_softmax(x, k=2))
    assert np.array_equal(get("top-p")(x, p=0.5), sparse_softmax(x, p=0.5))
    assert abs(sum(oracle.evaluate("sparsemax", x)) - 1) < mpmath.mpf("1e-45")
    obj = oracle.evaluate("entmax15", np.array([x, x]), axis=1)
    assert obj.shape == (2, 4) and obj[0, 1] == obj[1, 1]


def test_twins_special_values() -> None:
    inf = mpmath.mpf("inf")
    for f in (twins.sparsemax, twins.entmax15, lambda v: twins.entmax(v, alpha=1.3)):
        assert f([inf, mpmath.mpf(0), inf]) == [0.5, 0, 0.5]
        assert f([-inf, -inf]) == [0.5, 0.5]
        assert all(mpmath.isnan(v) for v in f([mpmath.mpf("nan"), mpmath.mpf(1)]))
        assert f([mpmath.mpf(0), -inf])[1] == 0
    assert twins.sparse_softmax([-inf, -inf], k=1) == [0.5, 0.5]
    with pytest.raises(SoftmaxInputError):
        twins.sparse_softmax([mpmath.mpf(1)])


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises(name: str) -> None:
    for bad in ([], np.zeros((2, 0)), 3.0, np.float64(1.0)):
        with pytest.raises(SoftmaxInputError):
            run(name, bad)
    with pytest.raises(SoftmaxInputError):
        run(name, [1.0, 2.0], axis=1)
    with pytest.raises(SoftmaxInputError):
        run(name, [[1.0, 2.0]], axis=-3)
    for tau in (0, -1.0, np.inf, np.nan, "hot"):
        with pytest.raises(SoftmaxInputError):
            run(name, [1.0, 2.0], temperature=tau)
    with pytest.raises(SoftmaxInputError):
        run(name, ["a", "b"])


@pytest.mark.parametrize("alpha", [0.5, 0.999, -1, np.nan, np.inf, "x"])
def test_bad_alpha_raises(alpha: Any) -> None:
    with pytest.raises(SoftmaxInputError, match="alpha"):
        entmax_bisect([1.0, 2.0], alpha=alpha)


@pytest.mark.parametrize(
    "kw",
    [
        {"k": 0},
        {"k": -2},
        {"k": 2.5},
        {"k": True},
        {"p": 0},
        {"p": 1.5},
        {"p": -0.1},
        {"p": np.nan},
    ],
)
def test_bad_k_or_p_raises(kw: dict) -> None:
    with pytest.raises(SoftmaxInputError):
        sparse_softmax([1.0, 2.0], **kw)


def test_exactly_one_of_k_and_p() -> None:
    with pytest.raises(SoftmaxInputError, match="exactly one of k"):
        sparse_softmax([1.0, 2.0])
    with pytest.raises(SoftmaxInputError, match="got both"):
        sparse_softmax([1.0, 2.0], k=1, p=0.5)
