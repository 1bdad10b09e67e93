"""`compare` and `grad` after the logit processors, and the oracle's own chain.

Golden values come from mpmath in the tests themselves (the snippet beside each),
never from the code under test.
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest

from softmax_cli import processors, sampling
from softmax_cli.cli.app import ExitStatus
from softmax_cli.oracle import processors as exact_chain


def exact_kept(x, steps, history=None) -> list[bool]:
    with mpmath.workdps(40):
        z = exact_chain.process([mpmath.mpf(float(v)) for v in x], steps, history=history)
    return [v != exact_chain.NEG_INF for v in z]


# ------------------------------------------------------------ the oracle's chain


CHAINS = [
    ("hf", {"top_k": 3}),
    ("llama.cpp", {"top_k": 3, "top_p": 0.8, "min_p": 0.05, "temperature": 0.7}),
    ("vllm", {"temperature": 0.6, "min_p": 0.1, "top_k": 4, "top_p": 0.7}),
    (None, {"typical_p": 0.6}),
    (None, {"epsilon_cutoff": 0.05, "eta_cutoff": 0.02}),
    (None, {"top_n_sigma": 1.0}),
    ("llama.cpp", {"typical_p": 0.6, "top_k": 6, "top_p": 1.0, "min_p": 0.0}),
    (None, {"repetition_penalty": 1.5, "presence_penalty": 0.3, "frequency_penalty": 0.2,
            "logit_bias": "1:2.5,3:-1", "top_k": 4}),
]  # fmt: skip


@pytest.mark.parametrize(("preset", "given"), CHAINS)
def test_the_oracle_chain_keeps_what_the_library_keeps_away_from_thresholds(preset, given):
    """Random float64 rows (no ties, no token within rounding of a cut): same kept sets."""
    steps = sampling.plan(preset, given=given)
    rng = np.random.default_rng(3)
    history = [0, 0, 3]
    for _ in range(25):
        x = rng.normal(0, 2, 9)
        z, _ = sampling.process(x, steps, history=history)
        assert exact_kept(x, steps, history) == np.isfinite(z).tolist()


def test_the_oracle_decides_the_server_rules_at_the_cut():
    four = [0.0, 0.0, 0.0, 0.0]  # top-p 0.5: the mass lands exactly on p
    hf = sampling.plan("vllm", given={"top_p": 0.5})
    llama = sampling.plan("llama.cpp", given={"top_p": 0.5, "top_k": 4, "min_p": 0.0})
    assert exact_kept(four, hf) == [False, False, True, True]  # mass <= 1 - p removed
    assert exact_kept(four, llama) == [True, True, False, False]  # through cum >= p
    ties = [2.0, 1.0, 1.0, 0.0]
    assert exact_kept(ties, sampling.plan("hf", given={"top_k": 2})) == [True, True, True, False]
    assert exact_kept(ties, sampling.plan("llama.cpp", given={"top_k": 2, "top_p": 1.0,
                                                             "min_p": 0.0})) == [
        True, True, False, False,
    ]  # fmt: skip


def test_the_oracle_decides_min_p_exactly_where_torch_rounds():
    # float32(log 0.1) = -2.30258512...: exp of it is 0.0999999968 < 0.1 (mpmath below);
    # Hugging Face's float32 test keeps it on AVX-512 (tests/test_sample.py), the oracle not
    x = np.array([0.0, np.log(0.1), -1.0], dtype=np.float32)
    with mpmath.workdps(30):
        assert mpmath.exp(mpmath.mpf(float(x[1]))) < mpmath.mpf("0.1")
    steps = sampling.plan(None, given={"min_p": 0.1})
    assert exact_kept(x, steps) == [True, False, True]
    assert np.isfinite(processors.min_p(x[None], 0.1)).tolist() == [[True, True, True]]


# ------------------------------------------------------------ compare


def test_compare_after_top_k_reports_the_kept_set_against_the_oracle(cli):
    run = cli("compare", "1", "2", "3", "50", "--preset", "hf", "--top-k", "2", "-f", "json")
    assert run.code == 0 and run.err == ""
    rec = json.loads(run.out)[0]
    assert rec["dtype"] == "float32"  # as the servers compute, unless --dtype
    # mpmath: exp(3 - 50) / (1 + exp(3 - 50)) = 3.8739976286871871e-21 (17 digits)
    with mpmath.workdps(30):
        small = mpmath.exp(-47) / (1 + mpmath.exp(-47))
    assert rec["oracle"][:2] == ["0.0", "0.0"]
    assert mpmath.almosteq(mpmath.mpf(rec["oracle"][2]), small, rel_eps=1e-16)
    acc = rec["implementations"]["accurate"]
    assert acc["values"][:2] == [0, 0] and max(acc["ulp"]) < 1
    assert rec["verdict"][-1] == "kept: 2 of 4 tokens (hf: top_k=2); the oracle keeps the same 2."


def test_compare_names_a_token_the_float_chain_keeps_and_the_oracle_removes(cli):
    args = ("compare", "0", "-2.3025851", "-1", "--min-p", "0.1")
    run = cli(*args, "-f", "json")
    line = json.loads(run.out)[0]["verdict"][-1]
    assert "the oracle keeps 2: the float chain keeps token 1 the oracle removes" in line
    assert cli(*args, "--check").code == ExitStatus.CHECK
    # in float64 the logit is -2.3025851 itself, exp of it < 0.1: both remove token 1
    f64 = cli(*args, "--dtype", "float64", "-f", "json")
    assert json.loads(f64.out)[0]["verdict"][-1].endswith("the oracle keeps the same 2.")


def test_compare_log_softmax_after_a_preset_and_temperature(cli):
    run = cli("compare", "2", "1.5", "1", "0.5", "0", "--preset", "llama.cpp", "--temperature",
              "0.7", "--top-k", "3", "--top-p", "0.85", "--min-p", "0", "-m", "log-softmax",
              "--check", "-f", "json")  # fmt: skip
    assert run.code == 0
    rec = json.loads(run.out)[0]
    # llama.cpp cuts at temperature 1 and divides last: tokens 0..2 kept, log p of token 0 is
    # 2/0.7 − log Σ_{i<3} exp(x_i/0.7) (mpmath)
    with mpmath.workdps(30):
        z = [mpmath.mpf(v) / mpmath.mpf(0.7) for v in (2, 1.5, 1)]
        lp0 = z[0] - mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))
    assert mpmath.almosteq(mpmath.mpf(rec["oracle"][0]), lp0, rel_eps=1e-15)
    assert rec["oracle"][3:] == ["-inf", "-inf"]


@pytest.mark.parametrize("name", ["sparse-softmax", "top-k"])
def test_compare_top_k_still_belongs_to_sparse_softmax(cli, name):
    run = cli("compare", "1", "2", "3", "--top-k", "2", "-m", name, "-f", "json")
    assert run.code == 0
    rec = json.loads(run.out)[0]
    assert rec["method"] == "sparse-softmax" and rec["dtype"] == "float64"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--top-k", "2", "--scan"), "--scan"),
        (("--top-k", "2", "-m", "sparsemax"), "--method"),
        (("--top-p", "0.9", "-m", "softmax,log-softmax"), "--method"),
        (("--history", "1"), "--history"),
        (("--top-k", "0"), "--top-k"),
        (("--preset", "hf", "--explain"), "--explain"),
    ],
)
def test_compare_refuses_what_makes_no_sense_after_processors(cli, args, flag):
    run = cli("compare", "1", "2", "3", *args)
    assert run.code == ExitStatus.USAGE and run.out == ""
    assert run.err.count("\n") == 1 and flag in run.err and "Traceback" not in run.err


# ------------------------------------------------------------ grad


def numeric_jacobian(x, steps, history=None) -> list[list]:
    """∂ log p_i/∂x_j through the oracle's chain by central differences (mpmath, 40 digits)."""
    with mpmath.workdps(40):
        h = mpmath.mpf(10) ** -15

        def logp(v):
            z = exact_chain.process(v, steps, history=history)
            kept = [a for a in z if a != exact_chain.NEG_INF]
            lse = mpmath.log(mpmath.fsum(mpmath.exp(a) for a in kept))
            return [a - lse for a in z]

        base = [mpmath.mpf(float(v)) for v in x]
        cols = []
        for j in range(len(base)):
            up = logp([b + (h if i == j else 0) for i, b in enumerate(base)])
            dn = logp([b - (h if i == j else 0) for i, b in enumerate(base)])
            cols.append([0 if u == exact_chain.NEG_INF else (u - d) / (2 * h)
                         for u, d in zip(up, dn, strict=True)])  # fmt: skip
        return [[float(cols[j][i]) for j in range(len(base))] for i in range(len(base))]


def test_grad_jacobian_of_the_processed_log_probs(cli):
    x = ["1", "2", "-3", "0.5"]
    run = cli("grad", *x, "--preset", "vllm", "--history", "0,0,2", "--repetition-penalty",
              "1.3", "--temperature", "0.7", "--top-k", "3", "--dtype", "float64", "-f", "csv",
              "--check")  # fmt: skip
    assert run.code == 0 and "Jacobian" in run.err and ": ok" in run.err
    got = np.array([float(v) for v in run.out.splitlines()[1].split(",")]).reshape(4, 4)
    steps = sampling.plan("vllm", given={"repetition_penalty": 1.3, "temperature": 0.7,
                                         "top_k": 3})  # fmt: skip
    want = numeric_jacobian([1, 2, -3, 0.5], steps, history=[0, 0, 2])
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14)
    assert (got[2] == 0).all() and (got[:, 2] == 0).all()  # token 2 removed (lowest)


def test_grad_cross_entropy_after_processing(cli):
    run = cli("grad", "1", "2", "3", "0", "--top-p", "0.9", "--temperature", "0.5", "--loss",
              "ce", "--target", "1", "--dtype", "float64", "-f", "csv", "--check")  # fmt: skip
    assert run.code == 0 and ": ok" in run.err
    loss, *g = (float(v) for v in run.out.splitlines()[1].split(","))
    # mpmath: τ = 0.5 keeps tokens 2, 1 (mass 0.982 ≥ 0.9); L = −log p_1 over them
    with mpmath.workdps(30):
        lse = mpmath.log(mpmath.exp(4) + mpmath.exp(6))
        p1 = mpmath.exp(4 - lse)
    assert loss == pytest.approx(float(lse - 4), rel=1e-15)
    assert g == pytest.approx([0, 2 * float(p1 - 1), 2 * float(1 - p1), 0], rel=1e-14)


def test_grad_jvp_after_processing_is_zero_along_a_removed_token(cli):
    run = cli("grad", "1", "2", "3", "0", "--top-k", "2", "--vector", "1,0,0,0", "-f", "csv")
    assert run.code == 0
    assert [float(v) for v in run.out.splitlines()[1].split(",")] == [0, 0, 0, 0]


def test_grad_check_at_a_tie_says_there_is_no_derivative(cli):
    run = cli("grad", "2", "1", "1", "0", "--top-k", "2", "--check", "-f", "csv")
    assert run.code == ExitStatus.INPUT
    assert "no derivative" in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--top-k", "2", "--target", "0"), "--target"),
        (("--top-k", "2", "--loss", "ce", "--target", "3"), "--target"),  # removed token
        (("--top-k", "2", "-m", "sparsemax"), "--method"),
        (("--top-k", "2", "--loss", "sparsemax-loss", "--target", "0"), "--loss"),
        (("--top-k", "2", "--loss", "ce", "--target", "0", "--label-smoothing", "0.1"),
         "--label-smoothing"),
    ],
)  # fmt: skip
def test_grad_refuses_what_makes_no_sense_after_processors(cli, args, flag):
    run = cli("grad", "2", "1", "1", "0", *args)
    assert run.code == ExitStatus.USAGE and run.out == ""
    assert run.err.count("\n") == 1 and flag in run.err
