"""Issue 19: every stated accuracy bound of the exp family holds on the adversarial corpus.

Golden values come from the mpmath oracle (``softmax_cli.oracle.exp_family``) at
60 digits; the snippet that produced each one is beside it. The bounds are the
README's (section Accuracy), in ULPs of the value, float64.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import oracle
from tests.adversarial import FAMILIES, families

#: the README's worst-case bounds on the adversarial corpus (float64, ULPs of the value)
BOUND = {"softmax": 6.5, "log-softmax": 3.0, "logsumexp": 2.5}
FUNCS = {"softmax": sm.softmax, "log-softmax": sm.log_softmax, "logsumexp": sm.logsumexp}


def ulps(got, golden: str) -> float:
    return float(oracle.ulp_error(np.float64(got), mpmath.mpf(golden), np.float64))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_within_the_stated_bounds(family):
    for x, tau in families(size=60)[family]:
        for name, fn in FUNCS.items():
            exact = oracle.evaluate(name, x, dps=60, temperature=tau)
            exact = exact if isinstance(exact, list) else [exact]
            got = np.atleast_1d(fn(x, temperature=tau))
            assert oracle.ulp_error(got, exact, np.float64).max() <= BOUND[name], (name, x, tau)


def test_reproducer_1_softmax_short_vector():
    x = [-1.3464837374933682, -0.01597315200456143, -1.7522270066928842, 0.3178044509804236,
         0.1793664755451196, -0.1827314022865766, -2.09710640069, -0.3438457989055987]  # fmt: skip
    # ef.softmax([mpf(v) for v in x])[2] at mp.dps = 60
    assert (
        ulps(sm.softmax(x)[2], "0.0306711889536615443467974871112934589852964891")
        <= BOUND["softmax"]
    )


def test_reproducer_2_log_softmax_spread():
    # ef.log_softmax([mpf(0.0), mpf(-3.46149), mpf(-17.361483), mpf(-9.0)])[0] at mp.dps = 60
    golden = "-0.0310202630967983335042811531684488043482838260383681474758435"
    got = sm.log_softmax([0.0, -3.46149, -17.361483, -9.0])[0]
    assert ulps(got, golden) <= BOUND["log-softmax"]


def test_reproducer_3_logsumexp_many_ties_within_one_ulp():
    # was 1.94 ULP: log1p(rest), ×τ and +m are now finished in longdouble and rounded once
    # ef.logsumexp([mpf(0.627)] + [mpf(0)] * 21) at mp.dps = 60
    golden = "3.12991285115183439930154536598986597670850327322321795361822"
    assert ulps(sm.logsumexp([0.627] + [0.0] * 21), golden) <= 1.0


@pytest.mark.parametrize(
    ("w", "golden"),
    [  # ef.logsumexp([mpf(0)], b=[mpf(w)]) at mp.dps = 40
        (1e-300, "-690.7755278982137051803383445701005029086"),
        (1e-10, "-23.0258509299404568037477172313459011605"),
    ],
)
def test_reproducer_4_small_weight_on_the_max(w, golden):
    assert ulps(sm.logsumexp([0.0], b=[w]), golden) <= 1.0


def test_small_weight_on_the_max_beside_others():
    # log(1e-10·e⁰ + 1·e¹ + 1e-300·e²): mpmath.log(mpf(1e-10) + e + mpf(1e-300)·e**2), dps 40
    got = sm.logsumexp([0.0, 1.0, 2.0], b=[1e-10, 1.0, 1e-300])
    assert ulps(got, "1.000000000036787944116467557083651548104") <= 1.0


def test_reproducer_5_huge_temperature():
    x, tau = [1.7e308, -1.7e308], 1e308
    # ef.softmax / ef.log_softmax / ef.logsumexp([mpf(1.7e308), mpf(-1.7e308)],
    # temperature=mpf(1e308)) at mp.dps = 40
    p = [
        "0.9677045353015494852712296008739363474968523",
        "0.03229546469845051472877039912606365250314557",
    ]
    lp = [
        "-0.03282847042486534690376635518649558410402473",
        "-3.432828470424865187236541592408912404590866",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_p, got_lp = sm.softmax(x, temperature=tau), sm.log_softmax(x, temperature=tau)
        got_lse = sm.logsumexp(x, temperature=tau)
        both_max = sm.logsumexp([1.7e308, 1.7e308], temperature=1e308)  # no RuntimeWarning
    assert max(ulps(g, v) for g, v in zip(got_p, p, strict=True)) <= 2.0
    assert max(ulps(g, v) for g, v in zip(got_lp, lp, strict=True)) <= 2.0
    assert ulps(got_lse, "1.732828470424865286094988009498278112495e+308") <= 1.0
    assert both_max == np.inf  # 1.7e308 + 1e308·log 2 = 2.39e308 is past float64's range


def test_huge_temperature_keeps_the_product_error():
    # Veltkamp's split of τ ≈ 1.3e305 overflowed: 250 ULP; now τ is scaled near 1 first
    x = [
        9.575296559912343e307,
        -1.058917579178264e308,
        -1.765203943823328e307,
        1.8231102333921876e306,
    ]
    # ef.log_softmax([mpf(v) for v in x], temperature=mpf(2.6518755958453194e305))[0], dps 60
    golden = "-1.48663309640115181469868866463177547039538762747916847550996e-154"
    assert ulps(sm.log_softmax(x, temperature=2.6518755958453194e305)[0], golden) <= 2.0


def test_huge_temperature_rows_beside_ordinary_rows():
    x = np.array([[1.7e308, -1.7e308], [1.0, 2.0]])
    got = sm.softmax(x, temperature=1e308)
    assert np.array_equal(got[1], sm.softmax(x[1], temperature=1e308))
    assert np.array_equal(got[0], sm.softmax(x[0], temperature=1e308))
    assert abs(got[0, 0] - 0.9677045353015495) < 1e-15


def test_reproducer_6_subnormal_temperature():
    x, tau = [0.0, -2.5e-310], 1e-310
    # ef.softmax / ef.log_softmax([mpf(0), mpf(-2.5e-310)], temperature=mpf(1e-310)), dps 40
    p = [
        "0.9241418199787581805985933598680191320772421",
        "0.07585818002124181940140664013198086792277085",
    ]
    lp = [
        "-0.07888973429254774939800868987118579785645435",
        "-2.578889734292572452680300752273864814986944",
    ]
    got_p, got_lp = sm.softmax(x, temperature=tau), sm.log_softmax(x, temperature=tau)
    assert max(ulps(g, v) for g, v in zip(got_p, p, strict=True)) <= 2.0  # was 249
    assert max(ulps(g, v) for g, v in zip(got_lp, lp, strict=True)) <= 2.0  # was 269
