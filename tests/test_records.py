"""Every registry record is complete, and a new record reaches every command with no other edit.

The second half is the proof of the design: a tiny dummy mapping and a tiny
dummy loss, registered by this file's fixtures (and removed after), appear in
``methods``, ``compute``, ``compare``, ``grad`` and ``temperature-sweep`` (the
mapping) and in ``grad --loss`` and ``compare --method`` (the loss).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from softmax_cli import SoftmaxInputError, exp_family, registry
from softmax_cli.analysis import compare as an
from softmax_cli.records import IMPLEMENTATIONS, resolve

LOSSES = list(registry.LOSSES.values())
RECORDS = [*registry.MAPPINGS, *LOSSES]


def _id(r) -> str:
    return f"{type(r).__name__.lower()}-{r.name}"


# ---------------------------------------------------------------- completeness


@pytest.mark.parametrize("r", RECORDS, ids=_id)
def test_a_record_with_twins_has_a_trace_for_each_and_a_condition_number(r):
    if r.naive is None and r.shifted is None:
        return
    for impl in ("naive", "shifted", "accurate"):
        if impl != "accurate" and getattr(r, impl) is None:
            continue
        assert impl in r.traces, f"{r.name}: no explain trace for its {impl} implementation"
        title, ref = r.traces[impl]
        assert title and callable(resolve(ref))
    assert r.condition or r.no_condition, f"{r.name}: no condition number and no reason why"


@pytest.mark.parametrize("r", RECORDS, ids=_id)
def test_every_reference_resolves(r):
    refs = [r.oracle, r.condition, *(ref for _, ref in r.traces.values())]
    for ref in refs:
        if ref is not None:
            assert callable(resolve(ref)), ref
    assert set(r.traces) <= set(IMPLEMENTATIONS)


@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_every_mapping_has_an_oracle_examples_and_a_tolerance(m):
    assert m.oracle is not None and m.summary
    assert m.oracle_ulp > 0
    assert m.validate(m.example) == {**m.validate({}), **m.example}
    if m.stochastic:
        assert m.example.get("seed") is not None, "a stochastic mapping's example fixes its seed"


@pytest.mark.parametrize("loss", LOSSES, ids=lambda r: r.name)
def test_every_loss_is_complete(loss):
    assert loss.summary and loss.gradient
    assert callable(loss.oracle_twin()) and loss.oracle_ulp > 0
    assert registry.get(loss.mapping).name == loss.mapping
    for p in loss.params:
        assert p.flag.startswith("--") and p.help and callable(p.check)
        assert p.check(p.default) == p.default
    assert loss.validate(loss.example) == {**loss.validate({}), **loss.example}
    # compare reaches it by its shown name: no mapping may take that name
    assert loss.shown.lower() in an.loss_names()
    with pytest.raises(Exception, match="unknown method"):
        registry.get(loss.shown)


def test_loss_flags_are_unique_and_agree_with_the_mappings():
    flags: dict[str, str] = {}
    for p in [*registry.all_params().values(), *registry.loss_params().values()]:
        assert flags.setdefault(p.flag, p.name) == p.name
    for loss in LOSSES:
        for p in loss.params:
            assert flags[p.flag] == p.name


@pytest.mark.parametrize("r", [r for r in RECORDS if r.traces], ids=_id)
def test_every_trace_ends_in_the_function_it_explains(r):
    kw = {"target": 1} if isinstance(r, registry.Loss) else {}
    sj = an.subject(r.shown if isinstance(r, registry.Loss) else r.name, **kw)
    rng = np.random.default_rng(3)
    for dt in (np.float32, np.float64):
        x = rng.normal(0, 30, 4).astype(dt)
        for name, (title, fn) in sj.traces.items():
            _, out = an._float_trace(name, title, fn, x, 0.5, np.dtype(dt))
            assert an._same(out, sj.implementations[name](x, 0.5)), (r.name, name, dt)


def test_loss_aliases_answer():
    assert registry.get_loss("ce") is registry.get_loss("cross-entropy")
    assert an.LOSS_NAMES["xent"] == "cross-entropy"


# ---------------------------------------------------------------- dummy records


def _dummy_softmax(x, axis=-1, *, temperature=1.0):
    """A mapping the registry did not know: softmax under another name."""
    return exp_family.softmax(x, axis, temperature=temperature)


def _linear_loss(x, target, axis=-1, *, temperature=1.0):
    """``L = −x_t/τ``, ``∇L = −onehot(t)/τ``: a loss the registry did not know."""
    a = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    t = np.broadcast_to(np.asarray(target, dtype=np.intp), a.shape[:-1])[..., None]
    loss = -np.take_along_axis(a, t, axis=-1)[..., 0] / temperature
    grad = np.zeros_like(a)
    np.put_along_axis(grad, t, -1.0 / temperature, axis=-1)
    return loss, np.moveaxis(grad, -1, axis)


def linear_loss_oracle(xs, t, *, temperature=1):
    """The dummy loss's exact twin (mpf in, mpf out)."""
    return -xs[t] / temperature


DUMMY_MAPPING = registry.Mapping(
    "dummy-softmax",
    _dummy_softmax,
    "a test fixture's softmax",
    oracle="softmax_cli.oracle.exp_family:softmax",
    derivative=registry.get("softmax").derivative,
)
DUMMY_LOSS = registry.Loss(
    "dummy-linear",
    _linear_loss,
    "softmax",
    "−x_t/τ, a test fixture's loss",
    "−onehot(t)/τ",
    f"{__name__}:linear_loss_oracle",
)


@pytest.fixture
def dummies():
    with registry.registered(DUMMY_MAPPING, DUMMY_LOSS):
        yield
    assert "dummy-softmax" not in registry.names()
    assert "dummy-linear" not in registry.loss_names()


def test_register_refuses_a_name_taken(dummies):
    with pytest.raises(ValueError, match="already"):
        registry.register(DUMMY_MAPPING)


def test_a_dummy_mapping_appears_in_every_command(dummies, cli):
    run = cli("methods", "--format", "csv")
    assert run.code == 0 and "dummy-softmax" in run.out

    run = cli("compute", "--method", "dummy-softmax", "1", "2", "3", "--format", "csv")
    want = cli("compute", "--method", "softmax", "1", "2", "3", "--format", "csv")
    assert run.code == 0 and run.out == want.out

    run = cli("compare", "--method", "dummy-softmax", "1", "2", "3", "--format", "json")
    assert run.code == 0, run.err
    record = json.loads(run.out)[0]
    assert record["method"] == "dummy-softmax" and list(record["implementations"]) == ["accurate"]

    run = cli("grad", "--method", "dummy-softmax", "1", "2", "3", "--format", "csv")
    want = cli("grad", "--method", "softmax", "1", "2", "3", "--format", "csv")
    assert run.code == 0 and run.out.splitlines()[1:] == want.out.splitlines()[1:]

    run = cli("temperature-sweep", "--method", "dummy-softmax", "1", "2", "3", "--format", "csv")
    want = cli("temperature-sweep", "--method", "softmax", "1", "2", "3", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.replace("dummy-softmax", "softmax") == want.out


def test_a_dummy_loss_appears_in_grad_and_compare(dummies, cli):
    run = cli("grad", "--loss", "dummy-linear", "--target", "1", "1", "2", "3", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["loss,grad_0,grad_1,grad_2", "-2.0,0.0,-1.0,0.0"]

    run = cli("compare", "--method", "dummy-linear", "--target", "1", "1", "2", "3", "-f", "json")
    assert run.code == 0, run.err
    record = json.loads(run.out)[0]
    assert record["method"] == "dummy-linear" and record["oracle"] == ["-2.0"]
    assert list(record["implementations"]) == ["accurate"]

    run = cli("compare", "--method", "dummy-linear", "1", "2")
    assert run.code == 2 and "needs --target" in run.err


def test_an_unknown_loss_is_a_usage_error_listing_the_registered_ones(dummies, cli):
    run = cli("grad", "--loss", "hinge", "--target", "0", "1", "2")
    assert run.code == 2 and run.out == ""
    assert "'dummy-linear'" in run.err and "'ce'" in run.err


# ---------------------------------------------------------------- processors


@pytest.mark.parametrize("proc", registry.PROCESSORS, ids=lambda p: p.name)
def test_every_processor_is_complete_and_checks_its_values(proc):
    assert registry.get_processor(proc.name) is proc
    for alias in proc.aliases:
        assert registry.get_processor(alias) is proc
    assert proc.summary and proc.params
    for p in proc.params:
        assert p.flag == "--" + p.name.replace("_", "-") and p.help
        with pytest.raises(SoftmaxInputError) as info:
            p.check("not a number")
        assert info.value.param == p.name
    assert (not proc.rules) or proc.rule_keyword in ("rule", "ties")


def test_processor_flags_are_unique_and_apply_runs_each():
    from softmax_cli.processor_records import params

    flags = [p.flag for p in params().values()]
    assert len(flags) == len(set(flags))
    x = np.array([[2.0, 1.0, 0.5, -1.0]])
    good = {"logit_bias": "1:1", "repetition_penalty": 2.0, "frequency_penalty": 1.0,
            "presence_penalty": 1.0, "temperature": 2.0, "top_n_sigma": 0.5, "top_k": 2,
            "top_p": 0.5, "min_p": 0.5, "typical_p": 0.5, "epsilon_cutoff": 0.2,
            "eta_cutoff": 0.2}  # fmt: skip
    for proc in registry.PROCESSORS:
        values = proc.validate({q.name: good[q.name] for q in proc.params})
        out = proc.apply(x, values, history=[0])
        assert out.shape == x.shape and not np.array_equal(out, x), proc.name
