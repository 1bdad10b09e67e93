"""``where=`` masks (MATH.md "Masks"): every mapping, reduction, derivative and loss gives the
result of the kept entries alone, 0 (or -inf) at masked entries, never nan, and a vector with
nothing kept follows the ``empty`` policy."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import softmax_cli as sm
from softmax_cli import derivatives, oracle, registry
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.oracle import derivatives as oracle_derivatives
from softmax_cli.oracle import losses as oracle_losses

DETERMINISTIC = [m for m in registry.MAPPINGS if not m.stochastic]
DTYPES = [np.float16, np.float32, np.float64]
#: axis forms: (the shape of x, the axis of its vectors, or a tuple of axes taken together)
FORMS = {
    "1d": ((6,), -1),
    "last": ((3, 6), -1),
    "first": ((6, 3), 0),
    "middle": ((2, 6, 2), 1),
    "tuple": ((2, 3, 2), (1, 2)),
    "tuple-apart": ((3, 2, 2), (0, -1)),
}


def kwargs(m: registry.Mapping) -> dict:
    return {**m.example, **({"seed": 0} if m.stochastic else {})}


def vectors(a: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """The vectors of ``a`` along ``axis`` (or several axes, in C order), as rows."""
    axes = [ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,))]
    moved = np.moveaxis(a, sorted(axes), range(a.ndim - len(axes), a.ndim))
    n = int(np.prod([a.shape[ax] for ax in axes]))
    return moved.reshape(-1, n)


@st.composite
def masked_inputs(draw, shape: tuple[int, ...], axis: int, dtype):
    size = int(np.prod(shape))
    xs = draw(st.lists(st.floats(-30, 30, width=16), min_size=size, max_size=size))
    keep = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    x = np.array(xs, dtype=dtype).reshape(shape)
    mask = np.array(keep).reshape(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    first = [slice(None)] * len(shape)
    for ax in axes:
        first[ax] = 0
    mask[tuple(first)] |= ~mask.any(axis=axes)  # something kept in every vector
    return x, mask


@pytest.mark.parametrize("form", FORMS, ids=list(FORMS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("m", DETERMINISTIC, ids=lambda m: m.name)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_masked_result_is_the_mapping_of_the_kept_entries_alone(m, dtype, form, data):
    shape, axis = FORMS[form]
    x, mask = data.draw(masked_inputs(shape, axis, dtype))
    x[~mask] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e4, 0.0]))  # ignored
    got = m(x, axis=axis, where=mask, **kwargs(m))
    assert got.dtype == x.dtype
    assert not np.isnan(got).any()
    rows_x, rows_m = vectors(x, axis), vectors(mask, axis)
    if m.output == registry.SCALAR:
        rows_got = got.reshape(-1, 1)
    else:
        rows_got = vectors(got, axis)
        masked_value = -np.inf if m.output == registry.LOG_DISTRIBUTION else 0
        assert (rows_got[~rows_m] == masked_value).all()
    eps = np.finfo(dtype).eps
    for xv, mv, gv in zip(rows_x, rows_m, rows_got, strict=True):
        alone = np.atleast_1d(m(xv[mv], **kwargs(m)))
        kept = gv if m.output == registry.SCALAR else gv[mv]
        if m.name == "taylor":  # compressed: the very same call
            np.testing.assert_array_equal(kept, alone)
        else:  # both within the record's bound of the truth
            with np.errstate(invalid="ignore"):
                diff = np.where(kept == alone, 0, np.abs(kept.astype(float) - alone) / eps)
            assert diff.max() <= 2 * m.oracle_ulp, (xv, mv, kept, alone)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("m", DETERMINISTIC, ids=lambda m: m.name)
def test_masked_result_matches_the_oracle_on_the_kept_entries(m, dtype):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 4, (3, 7)).astype(dtype)
    mask = rng.random((3, 7)) < 0.6
    mask[:, 2] = True
    got = m(x, where=mask, **kwargs(m))
    for r in range(3):
        exact = oracle.evaluate(m.name, x[r][mask[r]].astype(np.float64), dps=30, **kwargs(m))
        kept = got[r] if m.output == registry.SCALAR else got[r][mask[r]]
        exact = exact if isinstance(exact, list) else [exact]
        err = oracle.abs_error_in_ulps_of_one(np.atleast_1d(kept), exact, dtype)
        assert err.max() <= m.oracle_ulp


def test_gumbel_softmax_gives_masked_entries_zero_and_stays_on_the_simplex():
    x = np.array([[1.0, 2.0, 3.0, 4.0]] * 5)
    mask = np.array([True, False, True, False])
    p = sm.gumbel_softmax(x, where=mask, seed=3)
    assert (p[:, ~mask] == 0).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=1e-14)


def test_sigmoid_is_elementwise_and_zero_where_masked():
    got = sm.sigmoid([[-1.0, 0.0, 2.0]], where=[[True, False, True]])
    np.testing.assert_array_equal(got, [[sm.sigmoid(-1.0), 0.0, sm.sigmoid(2.0)]])


def test_logsumexp_weights_are_masked_with_x_and_keepdims_is_kept():
    x = np.array([[0.0, 50.0, 0.0], [1.0, 1.0, 1.0]])
    b = np.array([2.0, 5.0, 1.0])
    got = sm.logsumexp(x, b=b, where=[True, False, True], keepdims=True)
    assert got.shape == (2, 1)
    exact = [mpmath.log(3), 1 + mpmath.log(3)]  # log(2·e⁰ + 1·e⁰), log(2e + e)
    assert oracle.ulp_error(got[:, 0], [exact[0], exact[1]]).max() <= 2.0


# ---------------------------------------------------------------- nothing kept


@pytest.mark.parametrize(
    ("fn", "zero"),
    [
        (sm.softmax, 0.0),
        (sm.sparsemax, 0.0),
        (sm.taylor_softmax, 0.0),
        (sm.log_softmax, -np.inf),
        (sm.logsumexp, -np.inf),
        (sm.soft_max, 0.0),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_a_vector_with_nothing_kept_follows_the_empty_policy(fn, zero):
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = np.array([[True, False, True], [False, False, False]])
    default = fn(x, where=mask)
    assert (np.atleast_2d(default.T).T[1] == zero).all()
    assert np.isnan(fn(x, where=mask, empty="nan")[1]).all()
    assert not np.isnan(fn(x, where=mask, empty="nan")[0]).any()
    with pytest.raises(SoftmaxInputError, match="keeps no entry of 1 vector"):
        fn(x, where=mask, empty="raise")


def test_a_loss_over_a_padded_row_is_zero_with_zero_gradient():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = np.array([[True, True, True], [False, False, False]])
    loss, grad = sm.cross_entropy(x, [2, 0], where=mask)
    assert loss[1] == 0 and (grad[1] == 0).all()
    full_loss, full_grad = sm.cross_entropy(x[0], 2)
    assert loss[0] == full_loss and (grad[0] == full_grad).all()
    nan_loss, nan_grad = sm.cross_entropy(x, [2, 0], where=mask, empty="nan")
    assert np.isnan(nan_loss[1]) and np.isnan(nan_grad[1]).all()


def test_bad_masks_and_policies_are_clear_errors():
    with pytest.raises(SoftmaxInputError, match="where must be a boolean mask"):
        sm.softmax([1.0, 2.0], where=[0.5, 1.0])
    with pytest.raises(SoftmaxInputError, match="where must be boolean"):
        sm.softmax([1.0, 2.0], where=[2, 1])
    with pytest.raises(SoftmaxInputError, match="does not broadcast"):
        sm.softmax([1.0, 2.0], where=[True, False, True])
    with pytest.raises(SoftmaxInputError, match="empty must be one of zero, nan, raise"):
        sm.softmax([1.0, 2.0], empty="uniform")
    with pytest.raises(SoftmaxInputError, match="target 1 of vector 0 is masked out"):
        sm.cross_entropy([1.0, 2.0, 3.0], 1, where=[True, False, True])


def test_a_0_1_integer_mask_is_taken_as_boolean():
    np.testing.assert_array_equal(
        sm.softmax([1.0, 2.0, 3.0], where=[1, 0, 1]),
        sm.softmax([1.0, 2.0, 3.0], where=[True, False, True]),
    )


# ---------------------------------------------------------------- losses


LOSS_CASES = [
    ("ce", sm.cross_entropy, {}),
    ("neg-prob", sm.neg_prob, {}),
    ("sparsemax", sm.sparsemax_loss, {}),
    ("entmax", sm.entmax_loss, {"alpha": 1.3}),
    ("am-softmax", sm.am_softmax, {"scale": 8.0, "margin": 0.2}),
]


@pytest.mark.parametrize(("name", "fn", "kw"), LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_masked_loss_is_the_loss_of_the_kept_entries_against_the_oracle(name, fn, kw):
    rng = np.random.default_rng(3)
    x = rng.uniform(-0.9, 0.9, (4, 6))
    mask = rng.random((4, 6)) < 0.6
    target = np.array([1, 4, 0, 5])
    mask[np.arange(4), target] = True
    loss, grad = fn(x, target, where=mask, **kw)
    assert (grad[~mask] == 0).all()
    for r in range(4):
        kept = x[r][mask[r]]
        t = int(np.count_nonzero(mask[r][: target[r]]))
        exact_loss, exact_grad = oracle_losses.evaluate(name, kept, t, **kw)
        assert oracle.abs_error_in_ulps_of_one(np.atleast_1d(loss[r]), [exact_loss[()]]) <= 4
        assert oracle.abs_error_in_ulps_of_one(grad[r][mask[r]], list(exact_grad)).max() <= 4
        alone_loss, alone_grad = fn(kept, t, **kw)
        assert loss[r] == alone_loss
        np.testing.assert_array_equal(grad[r][mask[r]], alone_grad)


# ---------------------------------------------------------------- derivatives


DIFFERENTIABLE = [m for m in DETERMINISTIC if m.derivative is not None]


@pytest.mark.parametrize("axis_form", ["last", "first"])
@pytest.mark.parametrize("m", DIFFERENTIABLE, ids=lambda m: m.name)
def test_masked_jacobian_matches_the_oracle_of_the_kept_entries_and_is_zero_elsewhere(m, axis_form):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 2, (2, 5))
    mask = np.array([[True, False, True, True, False], [False, True, True, False, True]])
    kw = {"noise": "gumbel"} if m.name == "perturbmax" else m.example
    if axis_form == "first":
        J = derivatives.jacobian(m.name, x.T, axis=0, where=mask.T, **kw)
    else:
        J = derivatives.jacobian(m.name, x, where=mask, **kw)
    for r in range(2):
        keep = np.flatnonzero(mask[r])
        exact = oracle_derivatives.jacobian(m.name, x[r][keep], **kw)
        assert (
            oracle_derivatives.scaled_ulp_error(
                J[r][:, keep][keep if J.shape[1] > 1 else [0]], exact
            ).max()
            <= 2.0
        )
        gone = np.flatnonzero(~mask[r])
        assert (J[r][:, gone] == 0).all()
        if J.shape[1] > 1:
            assert (J[r][gone] == 0).all()


@pytest.mark.parametrize("name", ["softmax", "log-softmax", "logsumexp", "entmax15", "taylor"])
def test_masked_jvp_and_vjp_agree_with_the_masked_jacobian(name):
    rng = np.random.default_rng(5)
    x = rng.normal(0, 3, (3, 6))
    mask = rng.random((3, 6)) < 0.7
    mask[:, 0] = True
    mask[2] = False
    J = derivatives.jacobian(name, x, where=mask)
    v = rng.normal(size=(3, 6))
    u = rng.normal(size=(3,) if J.shape[1] == 1 else (3, 6))
    jv = derivatives.jvp(name, x, v, where=mask)
    uj = derivatives.vjp(name, x, u, where=mask)
    want_jv = np.einsum("rij,rj->ri", J, v)
    want_uj = np.einsum("ri,rij->rj", u.reshape(3, -1), J)
    np.testing.assert_allclose(
        jv, want_jv[:, 0] if J.shape[1] == 1 else want_jv, rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(uj, want_uj, rtol=1e-12, atol=1e-15)
    assert (uj[~mask] == 0).all() and (J[2] == 0).all()
    assert np.isnan(derivatives.vjp(name, x, u, where=mask, empty="nan")[2]).all()
