"""Axis tuples on every mapping, reduction and loss; ``keepdims`` on every reduction; ``out=`` on
the exponential family (issue 15). An axis tuple is the same vectors as a reshape: the results
are compared bit for bit with the single-axis call on the reshaped array."""

from __future__ import annotations

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import registry
from softmax_cli.errors import SoftmaxInputError

RNG = np.random.default_rng(11)
X = RNG.normal(0, 3, (2, 3, 4, 2))


def kwargs(m: registry.Mapping) -> dict:
    return {**m.example, **({"seed": 5} if m.stochastic else {})}


def merged(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """``a`` with ``axes`` moved last and merged into one; and the moved shape."""
    moved = np.moveaxis(a, axes, range(a.ndim - len(axes), a.ndim))
    return moved.reshape(*moved.shape[: a.ndim - len(axes)], -1), moved.shape


@pytest.mark.parametrize("axes", [(1, 2), (0, 3), (0, 1, 2, 3), (-1, 1)], ids=str)
@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_an_axis_tuple_is_the_reshaped_call_bit_for_bit(m, axes):
    got = m(X, axis=axes, **kwargs(m))
    norm = tuple(sorted(a % X.ndim for a in axes))
    flat, moved_shape = merged(X, norm)
    want = m(flat, axis=-1, **kwargs(m))
    if m.output == registry.SCALAR:
        assert got.shape == moved_shape[: X.ndim - len(norm)]
        np.testing.assert_array_equal(got, want)
        kept = m.func(X, axis=axes, keepdims=True, **kwargs(m))
        assert kept.shape == tuple(1 if i in norm else s for i, s in enumerate(X.shape))
        np.testing.assert_array_equal(kept.reshape(got.shape), got)
    else:
        back = np.moveaxis(want.reshape(moved_shape), range(X.ndim - len(norm), X.ndim), norm)
        assert got.shape == X.shape
        np.testing.assert_array_equal(got, back)


def test_softmax_over_two_axes_sums_to_one_over_both():
    p = sm.softmax(X, axis=(1, 3))
    np.testing.assert_allclose(p.sum(axis=(1, 3)), 1, rtol=1e-14)
    np.testing.assert_allclose(np.exp(sm.log_softmax(X, axis=(1, 3))), p, rtol=1e-13)


@pytest.mark.parametrize(
    "loss", [sm.cross_entropy, sm.neg_prob, sm.sparsemax_loss], ids=lambda f: f.__name__
)
def test_a_loss_over_an_axis_tuple_counts_its_target_in_c_order(loss):
    target = np.array([[5, 0], [11, 7]])  # flat indices into each 3×4 block
    x = np.moveaxis(X, 3, 1)  # (2, 2, 3, 4): vectors over axes (2, 3)
    value, grad = loss(x, target, axis=(2, 3))
    flat_value, flat_grad = loss(x.reshape(2, 2, 12), target, axis=-1)
    np.testing.assert_array_equal(value, flat_value)
    np.testing.assert_array_equal(grad, flat_grad.reshape(x.shape))


@pytest.mark.parametrize(
    "fn", [sm.softmax, sm.log_softmax, sm.sigmoid, sm.hardmax], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)], ids=str)
def test_out_is_written_and_returned(fn, axis):
    x = X[..., 0].copy()
    buf = np.full_like(x, np.nan)
    got = fn(x, axis=axis, out=buf)
    assert got is buf
    np.testing.assert_array_equal(buf, fn(x, axis=axis))
    masked = np.full_like(x, np.nan)
    keep = x > -1
    assert fn(x, axis=axis, where=keep, out=masked) is masked
    np.testing.assert_array_equal(masked, fn(x, axis=axis, where=keep))


def test_out_in_place_and_for_the_reductions():
    x = RNG.normal(0, 2, (4, 5))
    want = sm.softmax(x)
    y = x.copy()
    assert sm.softmax(y, out=y) is y  # shares memory with the input: computed, then copied
    np.testing.assert_array_equal(y, want)
    for fn in (sm.logsumexp, sm.soft_max):
        buf = np.empty(4)
        assert fn(x, out=buf) is buf
        np.testing.assert_array_equal(buf, fn(x))
        col = np.empty((4, 1))
        assert fn(x, keepdims=True, out=col) is col


def test_a_long_vector_into_out_matches_the_plain_call():
    v = RNG.normal(0, 30, 3 * 2**15 + 7)  # column blocks and threads
    for tau in (1.0, 3.0):
        buf = np.empty_like(v)
        sm.softmax(v, temperature=tau, out=buf)
        np.testing.assert_array_equal(buf, sm.softmax(v, temperature=tau))
        sm.log_softmax(v, temperature=tau, out=buf)
        np.testing.assert_array_equal(buf, sm.log_softmax(v, temperature=tau))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"axis": (1, 1)}, r"axis \(1, 1\) names an axis twice"),
        ({"axis": ()}, "axis must name at least one axis"),
        ({"axis": (0, 4)}, r"axis 4 in \(0, 4\) is out of range for an array of 4 dimension"),
        ({"axis": (0, 1.5)}, "axis must hold integers"),
        ({"out": np.empty((2, 3))}, r"out has shape \(2, 3\) and dtype float64; the result needs"),
        ({"out": np.empty(X.shape, np.float32)}, "dtype float32"),
        ({"out": [0.0]}, "out must be a numpy array, got list"),
    ],
    ids=["twice", "empty", "range", "float", "out shape", "out dtype", "out list"],
)
def test_bad_axes_and_out_are_one_clear_error(kw, message):
    with pytest.raises(SoftmaxInputError, match=message) as err:
        sm.softmax(X, **kw)
    assert err.value.param in ("axis", "out")


@pytest.mark.parametrize("name", ["softmax", "log-softmax", "logsumexp", "sparsemax", "taylor"])
def test_derivatives_over_an_axis_tuple_are_the_reshaped_ones(name):
    from softmax_cli import jacobian, jvp, vjp

    x = X[..., 0]  # (2, 3, 4): vectors over axes (0, 2), 8 entries in C order
    v = RNG.normal(size=x.shape)
    keep = x > -2
    flat, moved_shape = merged(x, (0, 2))
    vf, _ = merged(v, (0, 2))
    kf, _ = merged(keep, (0, 2))
    scalar = sm.method(name).output == registry.SCALAR
    u = RNG.normal(size=3) if scalar else v
    uf = u if scalar else vf

    def back(a: np.ndarray) -> np.ndarray:
        return np.moveaxis(a.reshape(moved_shape), (1, 2), (0, 2))

    for where, wf in ((None, None), (keep, kf)):
        J = jacobian(name, x, axis=(0, 2), where=where)
        np.testing.assert_array_equal(J, jacobian(name, flat, where=wf))
        got = jvp(name, x, v, axis=(0, 2), where=where)
        want = jvp(name, flat, vf, where=wf)
        np.testing.assert_array_equal(got, want if scalar else back(want))
        got = vjp(name, x, u, axis=(2, 0), where=where)
        np.testing.assert_array_equal(got, back(vjp(name, flat, uf, where=wf)))


def test_gumbel_max_sample_over_an_axis_tuple_draws_flat_indices():
    x = X[..., 0]  # (2, 3, 4)
    got = sm.gumbel_max_sample(x, 5, seed=3, axis=(0, 2))
    flat, _ = merged(x, (0, 2))
    assert got.shape == (3, 5)
    np.testing.assert_array_equal(got, sm.gumbel_max_sample(flat, 5, seed=3))


@pytest.mark.parametrize("loss", [sm.cross_entropy, sm.entmax_loss], ids=lambda f: f.__name__)
def test_a_loss_keeps_its_vector_axes_with_keepdims(loss):
    x = X[..., 0]  # (2, 3, 4)
    t = np.zeros((2, 4), dtype=int)
    value, _ = loss(x, t, axis=1)
    kept, grad = loss(x, t, axis=1, keepdims=True)
    assert kept.shape == (2, 1, 4) and grad.shape == x.shape
    np.testing.assert_array_equal(kept[:, 0], value)
    both, _ = loss(x, np.zeros(3, dtype=int), axis=(0, 2), keepdims=True)
    assert both.shape == (1, 3, 1)
    assert "keepdims" in __import__("inspect").signature(loss).parameters
