"""bfloat16 and float8 (ml_dtypes): accepted and returned by every function, rounded once.

The reference for "computed wide, rounded once" is the same function on the
float64 copy of the input (exact: every bfloat16/float8 value is a float64),
rounded to the dtype by ml_dtypes' own cast. The ULP measure and the float text
are checked against bit patterns (the next float up is the bit pattern + 1).
"""

from __future__ import annotations

import subprocess
import sys

import mpmath
import numpy as np
import pytest

ml_dtypes = pytest.importorskip("ml_dtypes")

import softmax_cli as sm  # noqa: E402
from softmax_cli import calibrate, naive, oracle, processors, registry  # noqa: E402
from softmax_cli.floats import (  # noqa: E402
    ML_DTYPE_NAMES,
    exp_overflow_threshold,
    finfo,
    is_float_dtype,
    parse_dtype,
)
from softmax_cli.io.floattext import format_floats  # noqa: E402

ML = [np.dtype(getattr(ml_dtypes, n)) for n in ML_DTYPE_NAMES]
UINT = {1: np.uint8, 2: np.uint16}
X64 = np.array([[0.5, -1.25, 2.0, 3.0, 0.0], [1.0, 1.0, -2.0, 0.25, -0.75]])


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit, nan matching nan."""
    a, b = np.asarray(a), np.asarray(b)
    u = UINT[a.dtype.itemsize]
    return a.dtype == b.dtype and bool(
        np.all((a.view(u) == b.view(u)) | (np.isnan(a) & np.isnan(b)))
    )


@pytest.mark.parametrize("dt", ML, ids=str)
@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_every_mapping_takes_and_returns_the_dtype_computed_wide_and_rounded_once(m, dt):
    x = X64.astype(dt)
    kw = dict(m.example)
    if m.stochastic:
        kw["seed"] = 3
    got = m.func(x, **kw)
    wide = m.func(x.astype(np.float64), **kw)
    assert got.dtype == dt
    with np.errstate(over="ignore", invalid="ignore"):
        assert same_bits(got, np.asarray(wide).astype(dt))


@pytest.mark.parametrize("dt", ML, ids=str)
@pytest.mark.parametrize(
    "m", [m for m in registry.MAPPINGS if not m.stochastic], ids=lambda m: m.name
)
def test_masked_mappings_round_the_wide_masked_result_once(m, dt):
    """float8_e4m3fn cannot hold the -inf a mask fills in: the fill happens in float64."""
    x = X64.astype(dt)
    where = np.array([[True, False, True, True, True], [False, True, True, False, True]])
    got = m.func(x, where=where, **m.example)
    wide = m.func(x.astype(np.float64), where=where, **m.example)
    assert got.dtype == dt
    with np.errstate(over="ignore", invalid="ignore"):
        assert same_bits(got, np.asarray(wide).astype(dt))


@pytest.mark.parametrize("dt", ML, ids=str)
def test_derivatives_losses_and_twins_keep_the_dtype(dt):
    x = X64.astype(dt)
    t = np.array([1, 2])
    assert sm.jacobian("softmax", x).dtype == dt
    assert sm.jvp("entmax", x, x).dtype == dt
    assert sm.vjp("sparsemax", x, x).dtype == dt
    for loss in (sm.cross_entropy, sm.sparsemax_loss, sm.entmax_loss, sm.neg_prob):
        value, grad = loss(x, t)
        assert value.dtype == dt and grad.dtype == dt
    for name in naive.__all__:
        assert getattr(naive, name)(x).dtype == dt
    if dt.name != "float8_e4m3fn":  # e4m3fn has no -inf: a removed token cannot be written
        assert processors.top_p(x, 0.8).dtype == dt
    mistakes = np.array([[0.5, 2.0, 1.0], [1.0, 0.0, 2.0], [0.0, 1.0, 2.0]], dtype=dt)
    fit = calibrate.fit_temperature(mistakes, [0, 0, 2])
    wide = calibrate.fit_temperature(mistakes.astype(np.float64), [0, 0, 2])
    assert fit.temperature == pytest.approx(wide.temperature)


def test_the_bfloat16_stall_is_the_naive_formula_not_ours():
    """512 equal logits: a bfloat16 running sum stops at 256 (256 + 1 rounds to 256)."""
    x = np.zeros(512, dtype=ml_dtypes.bfloat16)
    exact = oracle.evaluate("softmax", x.astype(np.float64))
    assert exact[0] == mpmath.mpf(1) / 512
    assert float(naive.softmax_naive(x)[0]) == 1 / 256  # what the textbook formula gives
    assert np.all(sm.softmax(x).astype(np.float64) == 1 / 512)


@pytest.mark.parametrize("dt", ML, ids=str)
def test_ulp_is_the_gap_to_the_next_float_by_bit_pattern(dt):
    u = UINT[dt.itemsize]
    bits = np.arange(1, 1 << (8 * dt.itemsize - 1), dtype=np.int64).astype(u)  # positive
    v = bits.view(dt)
    up = (bits + 1).view(dt)
    ok = np.isfinite(v) & np.isfinite(up)
    picks = np.flatnonzero(ok)[:: max(1, ok.sum() // 300)]
    for i in picks:
        gap = mpmath.mpf(float(up[i])) - mpmath.mpf(float(v[i]))
        assert oracle.ulp(mpmath.mpf(float(v[i])), dt) == gap, float(v[i])
    info = finfo(dt)
    assert oracle.ulp(mpmath.mpf(1), dt) == mpmath.mpf(float(info.eps))
    # the smallest subnormal is bit pattern 1; below the normal range the spacing is that
    assert oracle.ulp(mpmath.mpf(0), dt) == mpmath.mpf(float(np.array(1, u).view(dt)))


@pytest.mark.parametrize("dt", ML, ids=str)
def test_every_value_of_the_dtype_is_written_as_text_that_reads_back_bit_for_bit(dt):
    u = UINT[dt.itemsize]
    bits = np.arange(1 << (8 * dt.itemsize), dtype=np.int64).astype(u)
    values = bits.view(dt)
    text = format_floats(values)
    back = np.array([float(s) for s in text]).astype(dt)
    assert same_bits(back, values)
    p = finfo(dt).nmant + 1
    digits = 1 + int(np.ceil(p * np.log10(2)))  # enough significant digits for p bits
    with np.errstate(invalid="ignore"):
        wide = values.astype(np.float64).tolist()
    for s, w in zip(text, wide, strict=True):  # at most that many digits, or shorter text than %g's
        if not np.isfinite(w):
            continue
        significant = s.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
        assert len(significant) <= digits or len(s) < len(f"%.{digits}g" % w), s


def test_dtype_names_and_facts():
    assert [parse_dtype(n).name for n in ML_DTYPE_NAMES] == list(ML_DTYPE_NAMES)
    assert all(is_float_dtype(d) for d in ML) and not is_float_dtype(np.int8)
    # log(max): bfloat16 max = (2 − 2⁻⁷)·2¹²⁷, e4m3fn 448, e5m2 57344
    assert exp_overflow_threshold(ML[0]) == pytest.approx(float(mpmath.log((2 - 2**-7) * 2**127)))
    assert exp_overflow_threshold(ML[1]) == pytest.approx(float(mpmath.log(448)))
    assert exp_overflow_threshold(ML[2]) == pytest.approx(float(mpmath.log(57344)))


def test_the_library_does_not_import_ml_dtypes_until_asked():
    code = (
        "import sys, numpy as np, softmax_cli as sm; sm.softmax([1.0, 2.0]); "
        "a = 'ml_dtypes' in sys.modules; "
        "from softmax_cli.floats import parse_dtype; parse_dtype('bfloat16'); "
        "print(a, 'ml_dtypes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True"], out.stderr
    code = (
        "import sys; from softmax_cli.cli.app import main\n"
        "try:\n    main(['compute', '1', '2', '3', '--format', 'csv'])\n"
        "except SystemExit:\n    pass\n"
        "print('ml_dtypes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("False"), out.stdout + out.stderr


@pytest.mark.parametrize("name", ML_DTYPE_NAMES)
def test_cli_compute_prints_text_that_reads_back_to_the_library_result(cli, name):
    dt = parse_dtype(name)
    r = cli("compute", "1", "2", "3", "0.1", "--dtype", name, "--format", "csv")
    assert r.code == 0, r.err
    back = np.array([float(s) for s in r.out.strip().split(",")]).astype(dt)
    assert same_bits(back, sm.softmax(np.array([1, 2, 3, 0.1]).astype(dt)))
    r = cli("compute", "-m", "log-softmax", "-", "--dtype", name, "--format", "csv",
            stdin="0.5,-3,1\n")  # fmt: skip
    back = np.array([float(s) for s in r.out.strip().split(",")]).astype(dt)
    assert same_bits(back, sm.log_softmax(np.array([0.5, -3, 1]).astype(dt)))


def test_cli_float8_e4m3fn_overflow_and_inf_are_one_clear_error(cli):
    for token in ("500", "inf"):
        r = cli("compute", "1", token, "--dtype", "float8_e4m3fn")
        assert r.code == 1 and r.out == ""
        assert r.err.startswith(f"error: argument 2: '{token}' is beyond float8_e4m3fn")
        assert "no infinity" in r.err and r.err.count("\n") == 1
    r = cli("compute", "-", "--dtype", "float8_e4m3fn", stdin="1,2\n3,1e3\n")
    assert r.code == 1 and "line 2" in r.err and "'1e3' is beyond float8_e4m3fn" in r.err
    r = cli("compute", "1", "500", "--dtype", "float8_e5m2", "--format", "csv")
    assert r.code == 0  # 500 is an e5m2 number's neighbourhood (512)


@pytest.mark.parametrize("name", ML_DTYPE_NAMES)
def test_every_command_takes_the_dtype(cli, name):
    """grad, temperature-sweep, sample, calibrate, compare: no error, values in the dtype."""
    dt = parse_dtype(name)
    for args in (
        ("grad", "1", "2", "3", "--check"),
        ("temperature-sweep", "1", "2", "3"),
        ("sample", "1", "2", "3", "--seed", "1"),
        ("compare", "1", "2", "3"),
        ("calibrate", "--input", "examples/val.csv", "--id-column", "id",
         "--label-column", "label"),
    ):  # fmt: skip
        r = cli(*args, "--dtype", name, "--format", "csv")
        assert r.code == 0 and "error" not in r.err, (args, r.err)
    r = cli("temperature-sweep", "1", "2", "3", "--dtype", name, "--format", "csv")
    row = r.out.splitlines()[1].split(",")
    p = np.array([float(v) for v in row[1:4]])
    assert np.array_equal(p.astype(dt).astype(np.float64), p)  # text of the dtype's values
