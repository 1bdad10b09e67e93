"""The registry: names, parameters, and the properties each record claims, checked on every map.

The property tests iterate the registry, so a new mapping is held to what its
record says (simplex, monotone, shift-invariant) without a test of its own here.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_cli import oracle, registry
from softmax_cli.errors import SoftmaxInputError

DISTRIBUTIONS = [m for m in registry.MAPPINGS if m.output == registry.DISTRIBUTION]
DETERMINISTIC = [m for m in DISTRIBUTIONS if not m.stochastic]


def default_params(m: registry.Mapping) -> dict:
    """Parameters that make every mapping runnable (sparse-softmax needs k or p): its record's
    example, but the seed of a stochastic one, which each test gives itself."""
    return {k: v for k, v in m.example.items() if k != "seed"}


def test_names_and_aliases_are_unique_and_resolve():
    keys = [k.lower() for m in registry.MAPPINGS for k in (m.name, *m.aliases)]
    assert len(keys) == len(set(keys))
    for m in registry.MAPPINGS:
        for key in (m.name, *m.aliases):
            assert registry.get(key.upper()) is m


def test_the_issue_names_are_all_there():
    wanted = {
        "softmax", "log-softmax", "logsumexp", "sparsemax", "entmax15", "entmax",
        "sparse-softmax", "taylor", "sigsoftmax", "perturbmax", "gumbel-softmax",
        "sigmoid", "argmax",
    }  # fmt: skip
    assert wanted <= set(registry.names())


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(SoftmaxInputError, match=r"unknown method 'softmaxx'.*sparsemax"):
        registry.get("softmaxx")


def test_validate_fills_defaults_and_rejects_strays():
    assert registry.get("entmax").validate({}) == {"alpha": 1.5}
    assert registry.get("taylor").validate({"order": 4}) == {"order": 4}
    with pytest.raises(SoftmaxInputError, match="takes no parameter alpha"):
        registry.get("softmax").validate({"alpha": 2})
    with pytest.raises(SoftmaxInputError, match="alpha"):
        registry.get("entmax").validate({"alpha": 0.5})
    with pytest.raises(SoftmaxInputError, match="even"):
        registry.get("taylor").validate({"order": 3})


def test_flags_are_unique_per_parameter():
    flags = {}
    for m in registry.MAPPINGS:
        for p in m.params:
            assert flags.setdefault(p.flag, p.name) == p.name


@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_every_mapping_runs_keeps_shape_and_dtype(m):
    x = np.array([[0.5, -1.0, 2.0, 2.0], [3.0, 1.0, -2.0, 0.0]], dtype=np.float32)
    out = m(x, **default_params(m), **({"seed": 1} if m.stochastic else {}))
    assert out.dtype == np.float32
    want_shape = (2,) if m.output == registry.SCALAR else x.shape
    assert out.shape == want_shape


@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_every_mapping_has_a_matching_oracle_twin(m):
    x = np.array([0.25, -1.5, 2.0, 1.0])
    kw = {**default_params(m), **({"seed": 3} if m.stochastic else {})}
    got = m(x, **kw)
    exact = oracle.evaluate(m.name, x, dps=30, **kw)
    exact = exact if isinstance(exact, list) else [exact]
    err = oracle.abs_error_in_ulps_of_one(np.atleast_1d(got), exact)
    tolerance = m.oracle_ulp  # the record's: 4, perturbmax 1e6 (quadrature)
    assert err.max() <= tolerance


vectors = hnp.arrays(
    np.float64, st.integers(1, 12), elements=st.floats(-30, 30, allow_subnormal=False)
)


@pytest.mark.parametrize("m", DISTRIBUTIONS, ids=lambda m: m.name)
@settings(max_examples=25, deadline=None)
@given(x=vectors)
def test_distribution_maps_land_on_the_simplex(m, x):
    p = m(x, **default_params(m), **({"seed": 0} if m.stochastic else {}))
    assert (p >= 0).all()
    assert abs(p.sum() - 1) <= 1e-13


@pytest.mark.parametrize("m", [m for m in DETERMINISTIC if m.monotone], ids=lambda m: m.name)
@settings(max_examples=25, deadline=None)
@given(x=vectors)
def test_monotone_maps_keep_the_order(m, x):
    p = m(x, **default_params(m))
    for i in range(x.size):
        for j in range(x.size):
            if x[i] > x[j]:
                assert p[i] >= p[j]
            elif x[i] == x[j]:
                assert p[i] == p[j]


@pytest.mark.parametrize("m", DETERMINISTIC, ids=lambda m: m.name)
def test_shift_invariance_is_as_claimed(m):
    x = np.array([0.5, -1.0, 2.0, 1.25, -3.0])
    c = 4.0  # exact shift: x + c is exact
    a, b = m(x, **default_params(m)), m(x + c, **default_params(m))
    if m.shift_invariant:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)
    else:
        assert np.abs(a - b).max() > 1e-3, f"{m.name} claims no shift invariance"
