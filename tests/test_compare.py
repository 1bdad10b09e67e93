"""`softmax compare`'s analysis and rendering: flags, ULPs, verdicts, condition numbers,
step traces and the tables, checked against the oracle and against golden text.

Regenerate the golden files after an intended change of the output with
    python -m tests.golden_files --update
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest

from softmax_cli import exp_family, oracle
from softmax_cli.analysis import compare as an
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.render import compare as rd

from .conftest import check_golden
from .conftest import render as rendered

GOLDEN = Path(__file__).parent / "golden"
SEED = [1000.0, 2000.0, 3000.0, 4000.0, 5000.0]


def exact_digits(v: mpmath.mpf, digits: int = 17) -> str:
    """``v`` rounded half-even to ``digits`` significant digits, by exact decimal arithmetic."""
    sign, man, exp, _ = v._mpf_
    frac = Fraction(man) * (Fraction(2) ** exp)
    with localcontext() as ctx:
        ctx.prec = 5000
        d = Decimal(frac.numerator) / Decimal(frac.denominator)
        ctx.prec = digits
        d = +d  # round half even to `digits`
    return ("-" if sign else "") + f"{d:.{digits - 1}e}"


def same_number(text: str, reference: str) -> bool:
    return Decimal(text) == Decimal(reference)


# ---------------------------------------------------------------- the seeds' examples


def test_seed_example_values_and_the_oracle_to_17_digits():
    cmp = an.compare_vector([1.0, 2.0, 3.0, 4.0, 5.0])
    seeds = [0.01165623, 0.03168492, 0.08612854, 0.23412166, 0.63640865]
    for r in cmp.results:
        assert np.round(r.values, 8).tolist() == seeds
        assert all(f in ((), ("exact",)) for f in r.flags)
    assert cmp.accurate.worst <= 2.0
    with mpmath.workdps(80):
        exact = oracle.evaluate("softmax", [1.0, 2.0, 3.0, 4.0, 5.0], dps=80)
        for text, v in zip(cmp.oracle_text, exact, strict=True):
            assert same_number(text, exact_digits(v))
    assert cmp.oracle_text[0] == "0.011656230956039607"


def test_huge_logits_naive_nan_shifted_underflow_and_the_oracle_beyond_float_range():
    cmp = an.compare_vector(SEED)
    assert cmp.oracle_text[0] == "6.6385371046556735e-1738"
    with mpmath.workdps(80):
        exact = oracle.evaluate("softmax", SEED, dps=80)
    for text, v in zip(cmp.oracle_text, exact, strict=True):
        assert same_number(text, exact_digits(v))
    naive = cmp.result("naive")
    assert np.isnan(naive.values).all()
    assert naive.flags == (("nan", "overflow"),) * 5
    assert np.isinf(naive.ulp).all() and naive.failed
    for name in ("shifted", "accurate"):
        r = cmp.result(name)
        assert r.values.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
        assert r.flags[:4] == (("underflow",),) * 4  # right: below 4.9e-324
        assert r.worst < 1.0 and not r.failed
    assert cmp.verdict[0] == (
        "naive: exp(1000) overflows float64 (largest finite exp argument ≈ 709.78); "
        "then inf/inf = nan."
    )
    assert cmp.verdict[1].startswith("x − max: subtracting the max (5000) makes every exponent ≤ 0")
    assert "below float64's smallest positive number, 5e-324" in cmp.verdict[1]


def test_float16_overflow_at_eleven():
    cmp = an.compare_vector([10, 11, 12], dtype="float16")
    naive = cmp.result("naive")
    assert naive.values.dtype == np.float16
    assert naive.values[:2].tolist() == [0.0, 0.0] and np.isnan(naive.values[2])
    assert naive.flags == (("overflow",), ("overflow",), ("nan", "overflow"))
    # |0 − p| / ulp(p): ulp of 0.0900 in float16 is 2**-14, of 0.2447 is 2**-13
    p = [mpmath.mpf(v) for v in oracle.evaluate("softmax", [10.0, 11.0, 12.0])]
    assert naive.ulp[0] == pytest.approx(float(p[0] * 2**14), rel=1e-12)
    assert naive.ulp[1] == pytest.approx(float(p[1] * 2**13), rel=1e-12)
    assert "largest finite exp argument ≈ 11.09" in cmp.verdict[0]
    assert "exp(12) overflows float16" in cmp.verdict[0]
    assert cmp.accurate.worst <= 0.5 and cmp.result("shifted").worst <= 1.0


def test_every_exponent_underflows_to_zero_over_zero():
    cmp = an.compare_vector([-1000.0, -1001.0])
    assert cmp.result("naive").flags == (("nan", "underflow"),) * 2
    assert cmp.verdict[0] == (
        "naive: every exp(x_i) underflows to 0 in float64 (exp(x) rounds to 0 below x ≈ "
        "-745.13); then 0/0 = nan."
    )
    assert cmp.accurate.worst <= 0.5


def test_log_softmax_naive_minus_inf_and_the_benign_underflow():
    cmp = an.compare_vector([0.0, -800.0], "log-softmax")
    naive = cmp.result("naive")
    assert naive.values[1] == -np.inf and naive.flags[1] == ("-inf", "underflow")
    assert naive.flags[0] == ("underflow",)  # true value -3.7e-348: 0 is the best float
    assert cmp.oracle_text[0] == "-3.6678745841776872e-348"
    assert "then log(0) = -inf" in cmp.verdict[0]


def test_temperature_moves_the_overflow():
    cmp = an.compare_vector([80.0, 90.0], temperature=0.1)
    assert "exp(800) overflows float64" in cmp.verdict[0]
    shifted = cmp.result("shifted")
    assert 4 < shifted.worst < cmp.condition[0]  # magnified rounding, within κ
    assert not shifted.failed and "within what the conditioning allows" in cmp.verdict[1]
    assert cmp.accurate.worst <= 1.0


# ---------------------------------------------------------------- conditioning vs stability


def test_absorbed_sum_is_the_algorithm_not_the_problem():
    cmp = an.compare_vector([0.0, -40.0], "logsumexp")
    assert cmp.scalar and cmp.oracle_text == ("4.248354255291589e-18",)
    assert cmp.condition[0] == pytest.approx(40.0, rel=1e-12)
    for name in ("naive", "shifted"):
        r = cmp.result(name)
        assert r.values[0] == 0.0 and r.failed
        assert r.ulp[0] > 1e15  # every digit of 4.2e-18 lost
    assert "1 + 4.248e-18 rounds to 1" in cmp.verdict[1]
    assert "more than the conditioning explains (κ ≈ 40)" in cmp.verdict[1]
    assert cmp.accurate.worst <= 0.5 and not cmp.accurate.failed


def test_ill_conditioned_input_is_told_apart_from_an_unstable_algorithm():
    half = np.log(0.5)
    cmp = an.compare_vector([half, half], "logsumexp")
    lse = mpmath.mpf(cmp.oracle_text[0])
    assert abs(lse - mpmath.mpf("2.3190468138462996e-17")) < 1e-32
    # κ = Σ p|x| / |LSE| = |ln ½| / LSE
    assert cmp.condition[0] == pytest.approx(float(-mpmath.mpf(half) / lse), rel=1e-12)
    assert cmp.condition[0] > 1e16
    for r in cmp.results:
        # huge errors (the accurate one finishes in longdouble: 3.7e12), all explained by κ
        assert r.ulp[0] > 1e12 and not r.failed
    assert "ill-conditioned" in cmp.verdict[-1]
    assert "the problem's, not the algorithm's" in cmp.verdict[-1]


def _numerical_condition(name: str, x: list[float], tau: float) -> list[float]:
    """κ_i = Σ_j |∂f_i/∂x_j| |x_j| / |f_i|, differentiating the oracle's twin numerically."""
    from softmax_cli.oracle import exp_family as ef

    twin = {"softmax": ef.softmax, "log-softmax": ef.log_softmax, "logsumexp": ef.logsumexp}
    with mpmath.workdps(60):
        xs = [mpmath.mpf(v) for v in x]
        t = mpmath.mpf(tau)

        def value(ys: list, i: int):
            out = twin[name](ys, temperature=t)
            return out[i] if isinstance(out, list) else out

        kappa = []
        for i in range(1 if name == "logsumexp" else len(xs)):
            total = mpmath.mpf(0)
            for j in range(len(xs)):

                def along(h, i=i, j=j):
                    ys = list(xs)
                    ys[j] += h
                    return value(ys, i)

                total += abs(mpmath.diff(along, 0)) * abs(xs[j])
            kappa.append(float(total / abs(value(xs, i))))
        return kappa


@pytest.mark.parametrize("name", ["softmax", "log-softmax", "logsumexp"])
def test_condition_numbers_match_numerical_derivatives_of_the_oracle(name):
    x, tau = [0.3, -1.7, 2.5, 0.9], 0.7
    cmp = an.compare_vector(x, name, temperature=tau)
    want = _numerical_condition(name, x, tau)
    assert cmp.condition.tolist() == pytest.approx(want, rel=1e-9)


def test_softmax_condition_is_at_least_the_simple_bound():
    x = np.array([3.0, -2.0, 7.5, 0.25])
    cmp = an.compare_vector(x)
    p = exp_family.softmax(x)
    assert (cmp.condition >= np.abs(x - p @ x) * (1 - 1e-12)).all()


# ---------------------------------------------------------------- digits of the oracle


@pytest.mark.parametrize(
    "value",
    [
        "6.63853710465567349937e-1738",
        "0.66666666666666666666666666666666",
        "-123456789.98765432123456789",
        "1e-320",
        "9.99999999999999995e+40",
        "100000000000000005",  # an exact tie at 17 digits: half to even
        "100000000000000015",
        "0.000123456789012345678901",
    ],
)
def test_round_significant_is_correctly_rounded(value):
    with mpmath.workdps(60):
        v = mpmath.mpf(value)
    got = an.round_significant(v)
    assert same_number(got, exact_digits(v))
    assert len(got.replace("-", "").replace(".", "").split("e")[0].lstrip("0")) <= 17


def test_round_significant_ties_go_to_even_and_carries_bump_the_exponent():
    assert an.round_significant(mpmath.mpf("100000000000000005")) == "1e+17"
    assert an.round_significant(mpmath.mpf("100000000000000015")) == "1.0000000000000002e+17"
    assert an.round_significant(mpmath.mpf(2.5), 1) == "2.0"
    assert an.round_significant(mpmath.mpf(3.5), 1) == "4.0"
    with mpmath.workdps(40):
        assert an.round_significant(mpmath.mpf("9.9999999999999999999"), 17) == "10.0"


def test_digits_where_two_precisions_disagree_are_not_printed():
    lo = mpmath.mpf("0.12345678901234567")
    with mpmath.workdps(40):
        hi = mpmath.mpf("0.1234567890123999")
    assert an._agreed_digits(lo, hi) == "0.123456789012"


# ---------------------------------------------------------------- traces


@pytest.mark.parametrize("method", ["softmax", "log-softmax", "logsumexp"])
def test_traces_end_in_the_functions_they_explain(method):
    """Bit for bit, so the steps shown cannot drift from the code that runs."""
    rng = np.random.default_rng(7)
    sj = an.subject(method)
    for dt in (np.float16, np.float32, np.float64, np.longdouble):
        for tau in (1.0, 0.3):
            for n, scale in ((1, 1), (5, 30), (7, 1000), (3, 1)):
                x = rng.normal(0, scale, n).astype(dt)
                for name, (title, fn) in sj.traces.items():
                    _, out = an._float_trace(name, title, fn, x, tau, np.dtype(dt))
                    assert an._same(out, sj.implementations[name](x, tau)), (name, dt, tau, x)


def test_cross_entropy_traces_end_in_the_functions_they_explain():
    rng = np.random.default_rng(11)
    for dt in (np.float16, np.float32, np.float64):
        for tau in (1.0, 0.3):
            x = rng.normal(0, 20, 5).astype(dt)
            sj = an.subject("cross-entropy", target=3)
            for name, (title, fn) in sj.traces.items():
                _, out = an._float_trace(name, title, fn, x, tau, np.dtype(dt))
                assert an._same(out, sj.implementations[name](x, tau)), (name, dt, tau, x)


def test_explain_marks_the_first_failing_step():
    cmp = an.compare_vector(SEED, explain=True)
    naive = cmp.result("naive").trace
    assert naive.first_failure == 0 and naive.steps[0].event == "overflow"
    assert naive.steps[0].values.tolist() == [np.inf] * 5
    assert naive.steps[-1].event == "nan" and naive.steps[-1].note == "inf/inf = nan"
    shifted = cmp.result("shifted").trace
    assert shifted.first_failure is None
    assert [s.key for s in shifted.steps] == ["max", "shift", "exp", "sum", "normalize"]
    assert shifted.steps[2].event == "underflow"
    assert all(s.ulp is not None and s.exact is not None for s in shifted.steps)


def test_explain_finds_the_lost_digits_after_the_absorbed_sum():
    cmp = an.compare_vector([0.0, -40.0], "logsumexp", explain=True)
    plain = an.compare_vector([0.0, -40.0], "logsumexp")
    assert cmp.verdict == plain.verdict  # --explain adds detail, never changes the verdict
    shifted = cmp.result("shifted").trace
    keys = [s.key for s in shifted.steps]
    assert shifted.steps[keys.index("sum")].event == "absorbed"
    assert shifted.first_failure == keys.index("log")
    assert shifted.steps[keys.index("log")].event == "lost digits"
    assert shifted.steps[keys.index("log")].ulp[0] > 1e15
    accurate = cmp.accurate.trace
    assert accurate.first_failure is None
    assert max(float(s.ulp.max()) for s in accurate.steps) <= 1.0


def test_accurate_trace_in_float64_is_rounded_once_to_float16():
    cmp = an.compare_vector([10, 11, 12], dtype="float16", explain=True)
    steps = cmp.accurate.trace.steps
    assert steps[0].dtype == np.float64 and steps[-1].key == "round"
    assert steps[-1].dtype == np.float16
    assert np.array_equal(steps[-1].values, cmp.accurate.values)


# ---------------------------------------------------------------- other methods, errors


def test_a_mapping_without_twins_compares_the_library_with_the_oracle():
    cmp = an.compare_vector([1.0, 2.0, 2.5], "sparsemax")
    assert [r.name for r in cmp.results] == ["accurate"]
    assert cmp.accurate.values.tolist() == [0.0, 0.25, 0.75]
    assert cmp.accurate.flags == (("exact",),) * 3 and cmp.condition is None
    assert cmp.verdict == ("accurate: worst error 0 ULP.",)


def test_nan_input_is_nan_everywhere_and_said_so():
    cmp = an.compare_vector([np.nan, 1.0])
    assert all(np.isnan(r.values).all() and r.worst == 0 for r in cmp.results)
    assert cmp.verdict[0].startswith("x holds a nan")


@pytest.mark.parametrize(
    ("kwargs", "param", "message"),
    [
        ({"method": "softmax", "target": 1}, "target", "^target applies to cross-entropy"),
        ({"method": "cross-entropy"}, "target", "needs target"),
        ({"method": "gumbel-softmax"}, "seed", "give seed"),
        ({"method": "nosuch"}, "method", "unknown method"),
        ({"method": "entmax", "params": {"alpha": 0.5}}, "alpha", "^alpha must be"),
    ],
)
def test_subject_refuses_what_it_cannot_compare(kwargs, param, message):
    """The library names the parameter as it does (no CLI flag) and says which it is."""
    with pytest.raises(SoftmaxInputError, match=message) as info:
        an.subject(**kwargs)
    assert info.value.param == param and "--" not in str(info.value)


def test_dps_bounds_and_the_size_cap(monkeypatch):
    assert an.check_dps(an.MIN_DPS) == an.MIN_DPS
    # the oracle also runs at dps + GUARD_DPS: the largest dps leaves room for them (issue 21)
    assert an.MAX_DPS + an.GUARD_DPS == oracle.MAX_DPS
    for bad in (an.MIN_DPS - 1, an.MAX_DPS + 1, oracle.MAX_DPS, 30.5):
        with pytest.raises(SoftmaxInputError, match="between 25 and 9990"):
            an.check_dps(bad)
    assert an.check_size(10, 50) is None
    assert "10001 entries" in an.check_size(10_001, 50)
    assert an.check_size(100, 10_000) is not None  # slow at high precision
    with pytest.raises(SoftmaxInputError, match="cap of 100000"):
        an.check_size(100_001, 50)
    monkeypatch.setattr(an, "MAX_ENTRIES", 3)
    with pytest.raises(SoftmaxInputError, match="cap of 3"):
        an.compare_vector([1.0, 2.0, 3.0, 4.0])


def test_cross_entropy_naive_against_logits():
    cmp = an.compare_vector([-800.0, 0.0], "cross-entropy", target=0)
    assert cmp.scalar and cmp.oracle_text == ("800.0",)
    naive = cmp.result("naive")
    assert naive.values[0] == np.inf and naive.flags[0] == ("inf", "underflow")
    assert cmp.verdict[0] == (
        "naive: exp(-800) underflows to 0 in float64 (exp(x) rounds to 0 below x ≈ -745.13); "
        "then log(0) = -inf."
    )
    assert cmp.accurate.worst == 0 and cmp.condition[0] == pytest.approx(1.0)
    hot = an.compare_vector([80.0, 90.0], "cross-entropy", target=1, temperature=0.1)
    assert hot.oracle_text == ("3.7200759760208566e-44",)
    assert hot.result("shifted").failed and not hot.accurate.failed
    # κ = (p_0·80 + (1 − p_1)·90) / (τ·L) and L ≈ p_0: 170/0.1
    assert hot.condition[0] == pytest.approx(1700.0, rel=1e-9)


def test_summaries_over_rows():
    rows = [an.summarize(an.compare_vector(v), str(i)) for i, v in enumerate([[1, 2], SEED])]
    assert rows[1].flags["naive"] == ("nan", "overflow")
    assert rows[1].flags["shifted"] == ("underflow",)
    assert rows[0].failed == {"naive": False, "shifted": False, "accurate": False}
    lines = an.summary_verdict(rows)
    assert lines[0] == "naive: wrong on 1 of 2 rows (first: row 1: nan, overflow)."
    assert lines[2].startswith("accurate: right on all 2 rows")


# ---------------------------------------------------------------- rendering, golden text


def test_numpy_column_gives_significant_digits_in_numpy_notation():
    p = exp_family.softmax([1.0, 2.0, 3.0, 4.0, 5.0])
    # --precision is significant digits in every command (issue 13 item 8); numpy's
    # precision counts digits after the point, so each entry is held to numpy's own
    # positional text at that many significant digits
    want = [np.format_float_positional(v, precision=8, fractional=False, trim=".") for v in p]
    assert rd.numpy_column(p, 8) == want
    assert [len(t.strip("0.").replace(".", "")) for t in want] == [8] * 5  # all significant
    # scientific when numpy would print the array so: the mantissa has 8 digits
    tiny = np.array([1e-300, 0.25])
    assert rd.numpy_column(tiny, 8) == np.array2string(tiny, precision=7)[1:-1].split()


def test_golden_seed_table():
    text = rendered(rd.comparison(an.compare_vector(SEED)))
    check_golden("compare_seed.txt", text)
    assert "6.6385371046556735e-1738" in text and "∞ nan, overflow" in text


def test_golden_float16_table():
    text = rendered(rd.comparison(an.compare_vector([10, 11, 12], dtype="float16")))
    check_golden("compare_float16.txt", text)
    assert "0.09003" not in text.split("oracle")[0]  # float16 shows its own digits


def test_golden_scalar_with_steps():
    cmp = an.compare_vector([0.0, -40.0], "logsumexp", explain=True)
    text = rendered(rd.comparison(cmp, explain=True))
    check_golden("compare_logsumexp_explain.txt", text)
    assert "✗" in text and "lost digits" in text


def test_golden_long_vector_keeps_to_80_columns():
    x = np.linspace(-50.0, 50.0, 40)
    text = rendered(rd.comparison(an.compare_vector(x)))
    check_golden("compare_long.txt", text)
    assert "⋮" in text and "…" not in text  # summarised, never truncated mid-number
    assert "39" in text  # the tail is shown


def test_golden_summary_of_rows():
    rows = [
        an.summarize(an.compare_vector(v), f"r{i}")
        for i, v in enumerate([[1.0, 2.0, 3.0], SEED, [-1000.0, -1001.0], [0.1, 30.3]])
    ]
    text = rendered(rd.summary_view(rows, "softmax", np.dtype(np.float64), 50, "id"))
    check_golden("compare_summary.txt", text)
