"""Fuzzing: hypothesis bytes and text into the readers and the command line, and vectors
through every mapping, derivative and loss in every dtype (issue 8).

The properties: the readers raise nothing but :class:`SoftmaxInputError` (one line);
the command line answers bad bytes with exit 1 and one ``error:`` line; finite input
gives finite, valid output (distributions on the simplex within a few ULP) and no
warning on stderr; bad parameters raise :class:`SoftmaxInputError` and nothing else.

Each property runs a few hundred cases in the default suite and thousands in a test
marked ``slow`` (``python -m pytest --runslow tests/test_fuzz.py``).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_cli import derivatives, losses, registry
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.io.readers import open_vectors, parse_arguments

DTYPES = [np.float16, np.float32, np.float64, np.longdouble]
QUICK = settings(deadline=None, suppress_health_check=list(HealthCheck))
ALL_HEALTH = list(HealthCheck)


def fast(n: int):
    return settings(QUICK, max_examples=n)


# ---------------------------------------------------------------- readers

TOKENS = [
    "1", "2.5", "-3", "1e-3", "inf", "-Infinity", "nan", "1e400", "5e-324", "-0", "\u22122",
    "\u20132", "\uff11", "1_0", "0x10", "NA", "-", ",", ";", "\t", " ", "\n", "\r\n", "\r",
    '"', '"a,b"', "#", "[", "]", "{", "}", ":", '"x"', "null", "true", "\u00a0", "\ufeff",
    "\x00", "\xe9", "abc",
]  # fmt: skip
ALPHABET = '0123456789.,-+eE \t\n\r"#;[]{}:naifNIF_x\x00\u2212\u00a0\ufeff\xe9'
TEXT = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=ALPHABET, max_size=120),
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
)


@st.composite
def reader_inputs(draw):
    kind = draw(st.sampled_from(["bytes", "text", "utf-8", "utf-16", "utf-32"]))
    if kind == "bytes":
        data: bytes | str = draw(st.binary(max_size=200))
    else:
        text = draw(TEXT)
        data = text if kind == "text" else text.encode(kind, "surrogatepass")
    options = {
        "header": draw(st.sampled_from([None, True, False])),
        "id_column": draw(st.sampled_from([None, 1, 2, "a", "id"])),
        "fmt": draw(st.sampled_from(["auto", "csv", "tsv", "ws", "json"])),
        "chunk_rows": draw(st.sampled_from([1, 2, 65536])),
        "dtype": draw(st.sampled_from(DTYPES)),
    }
    return data, options


def check_reader(data: bytes | str, options: dict) -> None:
    source = io.StringIO(data) if isinstance(data, str) else io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with open_vectors(source, **options) as reader:
                layout = reader.layout
                last = 0
                for batch in reader:
                    assert batch.values.dtype == np.dtype(options["dtype"])
                    assert batch.values.shape == (len(batch.lines), layout.width)
                    assert (batch.ids is None) == (layout.id_index is None)
                    assert batch.lines[0] > last and np.all(np.diff(batch.lines) > 0)
                    last = batch.lines[-1]
    except SoftmaxInputError as err:
        assert "\n" not in str(err) and "\r" not in str(err)
        assert len(str(err)) < 500


@fast(300)
@given(reader_inputs())
def test_readers_raise_nothing_but_input_errors(case):
    check_reader(*case)


@pytest.mark.slow
@settings(QUICK, max_examples=20_000)
@given(reader_inputs())
def test_readers_raise_nothing_but_input_errors_slow(case):
    check_reader(*case)


def check_arguments(tokens: list[str], dtype) -> None:
    try:
        values = parse_arguments(tokens, dtype=dtype)
    except SoftmaxInputError as err:
        assert "\n" not in str(err)
        return
    assert values.ndim == 1 and values.size >= 1 and values.dtype == np.dtype(dtype)


ARGUMENTS = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=6)


@fast(200)
@given(ARGUMENTS, st.sampled_from(DTYPES))
def test_arguments_raise_nothing_but_input_errors(tokens, dtype):
    check_arguments(tokens, dtype)


@pytest.mark.slow
@settings(QUICK, max_examples=5_000)
@given(ARGUMENTS, st.sampled_from(DTYPES))
def test_arguments_raise_nothing_but_input_errors_slow(tokens, dtype):
    check_arguments(tokens, dtype)


# ---------------------------------------------------------------- the command line

CLI_COMMANDS = [
    ("compute",),
    ("grad",),
    ("grad", "--loss", "ce", "--target", "0"),
    ("temperature-sweep", "--taus", "0.5,2"),
]


def check_cli(cli, command: tuple[str, ...], data: bytes) -> None:
    run = cli(*command, "-", stdin=data)
    assert "Traceback" not in run.err
    if run.code == 0:
        assert run.err == ""
        return
    assert run.code == 1, run.err
    assert run.err.startswith("error: ") and run.err.count("\n") == 1 and run.err.endswith("\n")
    assert run.out == "" or run.out.endswith("\n")  # rows before the bad one, each whole


CLI_INPUT = st.one_of(
    st.binary(max_size=100),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@settings(QUICK, max_examples=150)
@given(st.sampled_from(CLI_COMMANDS), CLI_INPUT)
def test_the_command_line_answers_any_bytes_with_one_line(cli, command, data):
    check_cli(cli, command, data)


@pytest.mark.slow
@settings(QUICK, max_examples=3_000)
@given(st.sampled_from(CLI_COMMANDS), CLI_INPUT)
def test_the_command_line_answers_any_bytes_with_one_line_slow(cli, command, data):
    check_cli(cli, command, data)


# ---------------------------------------------------------------- mappings

TAUS = [0.25, 1.0, 3.0]


@st.composite
def logits(draw, dtype, scale: float = 1.0, rows: int | None = None, n: int | None = None):
    """Finite logits of ``dtype`` anywhere in its range (times ``scale``), shape (rows, n)."""
    dt = np.dtype(dtype)
    rows = rows or draw(st.integers(1, 3))
    n = n or draw(st.integers(1, 7))
    if dt.itemsize > 8 and draw(st.booleans()):  # beyond float64's range
        mantissa = draw(hnp.arrays(np.float64, (rows, n), elements=st.floats(-1, 1)))
        power = np.ldexp(np.longdouble(1), draw(st.integers(-16000, 16000)))
        return mantissa.astype(dt) * power * dt.type(scale)
    big = float(dt.type(float(np.finfo(dt).max) * scale))
    width = 64 if dt.itemsize >= 8 else 8 * dt.itemsize
    elements = st.floats(-big, big, width=width, allow_nan=False, allow_infinity=False)
    return draw(hnp.arrays(dt, (rows, n), elements=elements))


def valid_params(draw, mapping: registry.Mapping, n: int) -> dict:
    out = {}
    for p in mapping.params:
        if p.name == "alpha":
            out["alpha"] = draw(st.sampled_from([1.0, 1.25, 1.5, 2.0, 3.0]))
        elif p.name == "k":  # sparse softmax takes exactly one of k and p
            if draw(st.booleans()):
                out["k"] = draw(st.integers(1, n))
            else:
                out["p"] = draw(st.sampled_from([0.1, 0.5, 0.9, 1.0]))
        elif p.name == "order":
            out["order"] = draw(st.sampled_from([2, 4, 6, 10]))
        elif p.name == "noise":
            out["noise"] = draw(st.sampled_from(["normal", "gumbel"]))
        elif p.name == "seed":
            out["seed"] = draw(st.integers(0, 2**32 - 1))
    return out


def ulps(dtype) -> float:
    return float(np.finfo(dtype).eps)


def check_mapping(mapping: registry.Mapping, x: np.ndarray, tau: float, params: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would reach the user's stderr
        y = mapping.func(x, axis=-1, temperature=tau, **params)
    assert y.dtype == x.dtype
    n = x.shape[-1]
    assert y.shape == (x.shape[:-1] if mapping.output == registry.SCALAR else x.shape)
    assert np.all(np.isfinite(y)), (x, tau, params, y)
    tol = (n + 4) * ulps(x.dtype)
    wide = y.astype(np.longdouble)
    if mapping.output == registry.DISTRIBUTION:
        assert np.all((y >= 0) & (y <= 1))
        assert np.all(np.abs(wide.sum(axis=-1) - 1) <= tol), (x, tau, params, y)
    elif mapping.output == registry.LOG_DISTRIBUTION:
        assert np.all(y <= 0)
        assert np.all(np.abs(np.exp(wide).sum(axis=-1) - 1) <= tol), (x, tau, y)
    elif mapping.output == registry.ELEMENTWISE:
        assert np.all((y >= 0) & (y <= 1))


@st.composite
def mapping_cases(draw, mapping: registry.Mapping, dtype):
    tau = draw(st.sampled_from(TAUS))
    # log-probabilities reach -(max x - min x)/τ: keep the exact result inside the range
    scale = tau / 4 if mapping.output == registry.LOG_DISTRIBUTION else 1.0
    x = draw(logits(dtype, scale))
    return x, tau, valid_params(draw, mapping, x.shape[-1])


MAPPING_GRID = [
    pytest.param(m, dt, id=f"{m.name}-{np.dtype(dt).name}")
    for m in registry.MAPPINGS
    for dt in DTYPES
]


@pytest.mark.parametrize(("mapping", "dtype"), MAPPING_GRID)
def test_every_mapping_gives_valid_output_for_finite_input(mapping, dtype):
    @fast(8)
    @given(mapping_cases(mapping, dtype))
    def prop(case):
        check_mapping(mapping, *case)

    prop()


@pytest.mark.slow
@pytest.mark.parametrize(("mapping", "dtype"), MAPPING_GRID)
def test_every_mapping_gives_valid_output_for_finite_input_slow(mapping, dtype):
    @fast(300)
    @given(mapping_cases(mapping, dtype))
    def prop(case):
        check_mapping(mapping, *case)

    prop()


# ---------------------------------------------------------------- derivatives

DIFFERENTIABLE = [m for m in registry.MAPPINGS if m.derivative is not None and not m.stochastic]


def check_derivatives(mapping, x: np.ndarray, v: np.ndarray, tau: float, params: dict) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            J = derivatives.jacobian(mapping, x, temperature=tau, **params)
            jv = derivatives.jvp(mapping, x, v, temperature=tau, **params)
            u = np.ones(jv.shape, dtype=x.dtype)
            uj = derivatives.vjp(mapping, x, u, temperature=tau, **params)
    except SoftmaxInputError as err:  # documented: perturb-max with normal noise
        assert "no closed-form derivative" in str(err)
        return
    r, n = x.shape
    n_out = 1 if mapping.output == registry.SCALAR else n
    assert J.shape == (r, n_out, n) and J.dtype == x.dtype
    assert uj.shape == x.shape
    for out in (J, jv, uj):
        assert np.all(np.isfinite(out)), (x, tau, params)
    if mapping.output == registry.DISTRIBUTION:  # Σ_i ∂p_i/∂x_j = 0: p stays on the simplex
        wide = J.astype(np.longdouble)
        scale = max(1.0, float(np.abs(wide).max()))
        assert np.all(np.abs(wide.sum(axis=-2)) <= 8 * n * ulps(x.dtype) * scale)


@st.composite
def derivative_cases(draw, mapping, dtype):
    tau = draw(st.sampled_from(TAUS))
    x = draw(logits(dtype))
    v = draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-1, 1))).astype(x.dtype)
    return x, v, tau, valid_params(draw, mapping, x.shape[-1])


DERIVATIVE_GRID = [
    pytest.param(m, dt, id=f"{m.name}-{np.dtype(dt).name}") for m in DIFFERENTIABLE for dt in DTYPES
]


@pytest.mark.parametrize(("mapping", "dtype"), DERIVATIVE_GRID)
def test_every_derivative_is_finite_for_finite_input(mapping, dtype):
    @fast(6)
    @given(derivative_cases(mapping, dtype))
    def prop(case):
        check_derivatives(mapping, *case)

    prop()


@pytest.mark.slow
@pytest.mark.parametrize(("mapping", "dtype"), DERIVATIVE_GRID)
def test_every_derivative_is_finite_for_finite_input_slow(mapping, dtype):
    @fast(200)
    @given(derivative_cases(mapping, dtype))
    def prop(case):
        check_derivatives(mapping, *case)

    prop()


# ---------------------------------------------------------------- losses


@st.composite
def loss_cases(draw, loss: losses.Loss, dtype):
    tau = draw(st.sampled_from(TAUS))
    kw: dict = {}
    if "scale" in loss.options:  # AM-softmax takes cosines
        shape = (draw(st.integers(1, 3)), draw(st.integers(1, 7)))
        x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1))).astype(dtype)
        kw["scale"] = draw(st.sampled_from([1.0, 30.0, 64.0]))
        kw["margin"] = draw(st.sampled_from([0.0, 0.35, 1.0]))
    else:  # the loss reaches (max x - x_t)/τ: keep the exact value inside the range
        x = draw(logits(dtype, min(tau, 1.0) / 4))
    if "temperature" in loss.options:
        kw["temperature"] = tau
    if "label_smoothing" in loss.options:
        kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 1.0]))
    if "alpha" in loss.options:
        kw["alpha"] = draw(st.sampled_from([1.0, 1.25, 1.5, 2.0, 3.0]))
    t = draw(hnp.arrays(np.intp, x.shape[:-1], elements=st.integers(0, x.shape[-1] - 1)))
    return x, t, kw


def check_loss(loss: losses.Loss, x: np.ndarray, t: np.ndarray, kw: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = loss.func(x, t, **kw)
    assert value.shape == x.shape[:-1] and grad.shape == x.shape
    assert value.dtype == grad.dtype == x.dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad)), (x, t, kw)
    if loss.name == "neg-prob":
        assert np.all((value >= -1) & (value <= 0))
    else:
        assert np.all(value >= 0)  # cross-entropy and the Fenchel-Young losses
    wide = grad.astype(np.longdouble)  # every gradient is (p - y)·c with Σp = Σy
    scale = max(1.0, float(np.abs(wide).max()))
    assert np.all(np.abs(wide.sum(axis=-1)) <= (x.shape[-1] + 4) * 4 * ulps(x.dtype) * scale)


LOSS_GRID = [
    pytest.param(loss, dt, id=f"{loss.name}-{np.dtype(dt).name}")
    for loss in registry.LOSSES.values()
    for dt in DTYPES
]


@pytest.mark.parametrize(("loss", "dtype"), LOSS_GRID)
def test_every_loss_is_finite_and_valid_for_finite_input(loss, dtype):
    @fast(10)
    @given(loss_cases(loss, dtype))
    def prop(case):
        check_loss(loss, *case)

    prop()


@pytest.mark.slow
@pytest.mark.parametrize(("loss", "dtype"), LOSS_GRID)
def test_every_loss_is_finite_and_valid_for_finite_input_slow(loss, dtype):
    @fast(300)
    @given(loss_cases(loss, dtype))
    def prop(case):
        check_loss(loss, *case)

    prop()


# ---------------------------------------------------------------- bad parameters

HOSTILE = [
    0, -1, 0.5, 1.5, 2.5, 3, 1e308, -1e308, float("nan"), float("inf"), -float("inf"), 5e-324,
    10**30, 2**64, "x", "2", None, True, [1], "cauchy", np.float32(1.5), np.int64(-3),
]  # fmt: skip


def _call(kind: str, name: str, params: dict):
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    if kind == "map":
        return [registry.get(name).func(x, **params)]
    if kind == "jacobian":
        return [derivatives.jacobian(name, x, **params)]
    target = params.pop("target", 0)
    return list(registry.get_loss(name).func(x, target, **params))


def _targets():
    for m in registry.MAPPINGS:
        names = [p.name for p in m.params] + ["temperature"]
        yield "map", m.name, names
        if m in DIFFERENTIABLE:
            yield "jacobian", m.name, names
    for loss in registry.LOSSES.values():
        yield "loss", loss.name, [*loss.options, "target"]


BAD_PARAMS = st.sampled_from(list(_targets())).flatmap(
    lambda t: st.tuples(
        st.just(t[0]),
        st.just(t[1]),
        st.dictionaries(st.sampled_from(t[2]), st.sampled_from(HOSTILE), max_size=2),
    )
)


def check_bad_params(kind: str, name: str, params: dict) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            outputs = _call(kind, name, dict(params))
    except SoftmaxInputError as err:
        assert "\n" not in str(err)
        return
    for out in outputs:  # accepted: a valid answer (inf only where the exact value overflows)
        assert not np.isnan(out).any(), (kind, name, params)


@fast(300)
@given(BAD_PARAMS)
def test_bad_parameters_raise_softmax_input_error_only(case):
    check_bad_params(*case)


@pytest.mark.slow
@settings(QUICK, max_examples=5_000)
@given(BAD_PARAMS)
def test_bad_parameters_raise_softmax_input_error_only_slow(case):
    check_bad_params(*case)


def test_the_fuzz_tests_see_every_mapping_and_loss():
    assert {m.name for m in registry.MAPPINGS} == {p.values[0].name for p in MAPPING_GRID}
    assert set(registry.LOSSES) == {p.values[0].name for p in LOSS_GRID}
    assert {m.name for m in DIFFERENTIABLE} >= {"softmax", "sparsemax", "entmax15"}
