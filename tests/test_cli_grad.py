"""`softmax grad` through the real entry point: stdout and stderr apart, exit codes, every route."""

from __future__ import annotations

import json

import numpy as np
import pytest

from softmax_cli import derivatives, losses, registry

from .conftest import run_shell


def csv_rows(text: str) -> tuple[list[str], np.ndarray]:
    lines = text.strip().splitlines()
    return lines[0].split(","), np.array([line.split(",") for line in lines[1:]], dtype=float)


# ---------------------------------------------------------------- the Jacobian view


def test_saturated_softmax_shows_a_vanishing_jacobian(cli):
    run = cli("grad", "0", "0", "20", "--format", "table")
    assert run.code == 0 and run.err == ""
    assert "Jacobian of softmax" in run.out
    assert "8.24461e-09" in run.out  # ½Σ|J| = 1 − Σp², printed twice
    assert run.out.count("8.24461e-09") == 2
    assert "meaning: ≈ 0: saturated" in run.out and "vanish" in run.out


def test_spread_out_softmax_reads_healthy(cli):
    run = cli("grad", "1", "2", "3", "--format", "table")
    assert run.code == 0 and "0.489457" in run.out and "meaning: healthy" in run.out
    assert "-0.162803" in run.out  # ∂p_1/∂x_2


def test_long_vectors_show_the_diagonal_and_a_summary(cli):
    xs = [str(v) for v in np.linspace(-2, 2, 20)]
    run = cli("grad", *xs, "--format", "table")
    assert run.code == 0
    assert "n = 20, so its diagonal" in run.out and "largest |off-diagonal entry|" in run.out
    assert "∂/∂x19" not in run.out


def test_machine_output_is_the_flattened_jacobian_bit_for_bit(cli):
    run = cli("grad", "-1", "0.5", "2", "--method", "entmax", "--alpha", "1.3", "--format", "csv")
    assert run.code == 0 and run.err == ""
    header, rows = csv_rows(run.out)
    assert header[:2] == ["d0/d0", "d0/d1"] and len(header) == 9
    want = derivatives.jacobian("entmax", [-1.0, 0.5, 2.0], alpha=1.3)
    assert rows[0].tolist() == want.ravel().tolist()


def test_reductions_give_a_gradient_row(cli):
    run = cli("grad", "--method", "logsumexp", "1000", "1000", "--format", "json")
    assert run.code == 0
    assert json.loads(run.out) == [{"dlogsumexp/d0": 0.5, "dlogsumexp/d1": 0.5}]


def test_float32_output_reads_back_exactly(cli):
    run = cli("grad", "0.1", "0.2", "--dtype", "float32", "--format", "csv")
    got = np.array(run.out.strip().splitlines()[1].split(","), dtype=np.float32)
    want = derivatives.jacobian("softmax", np.array([0.1, 0.2], dtype=np.float32)).ravel()
    np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- JVP


def test_vector_gives_the_jvp(cli):
    run = cli("grad", "1", "2", "3", "--vector", "1,0,-1", "--format", "jsonl")
    assert run.code == 0
    got = json.loads(run.out)
    want = derivatives.jvp("softmax", [1.0, 2.0, 3.0], [1.0, 0.0, -1.0])
    assert [got[f"jvp_{j}"] for j in range(3)] == want.tolist()


def test_vector_of_the_wrong_length_is_one_clear_error(cli):
    run = cli("grad", "1", "2", "3", "--vector", "1,0")
    assert run.code == 2 and run.out == ""
    assert run.err == "error: --vector has 2 values but the logits have 3\n"


# ---------------------------------------------------------------- losses


@pytest.mark.parametrize(
    ("args", "name", "kw"),
    [
        (["--loss", "ce"], "ce", {}),
        (["--loss", "ce", "--label-smoothing", "0.1", "-t", "2"], "ce",
         {"label_smoothing": 0.1, "temperature": 2.0}),
        (["--loss", "neg-prob"], "neg-prob", {}),
        (["--loss", "am-softmax", "--scale", "10", "--margin", "0.2"], "am-softmax",
         {"scale": 10.0, "margin": 0.2}),
        (["--loss", "sparsemax"], "sparsemax", {}),
        (["--loss", "entmax", "--alpha", "1.3"], "entmax", {"alpha": 1.3}),
    ],
)  # fmt: skip
def test_each_loss_prints_loss_and_gradient(cli, args, name, kw):
    x = [0.5, -0.25, 0.75]
    run = cli("grad", *args, "--target", "2", "0.5", "-0.25", "0.75", "--format", "csv")
    assert run.code == 0, run.err
    header, rows = csv_rows(run.out)
    assert header == ["loss", "grad_0", "grad_1", "grad_2"]
    loss, grad = registry.get_loss(name).func(np.array(x), 2, **kw)
    assert rows[0].tolist() == [float(loss), *grad.tolist()]


def test_negative_logits_need_no_double_dash_and_tiny_probabilities_are_exact(cli):
    run = cli("grad", "-1000", "-2000", "-3000", "--loss", "ce", "--target", "2", "-f", "csv")
    assert run.code == 0, run.err
    _, rows = csv_rows(run.out)
    assert rows[0].tolist() == [2000.0, 1.0, 0.0, -1.0]


def test_loss_table_shows_the_gradient_formula(cli):
    run = cli("grad", "1", "2", "3", "--loss", "ce", "--target", "0", "--format", "table")
    assert run.code == 0
    assert "ce loss  (target class 0)" in run.out and "2.40761" in run.out
    assert "gradient ∂L/∂x = (p − y)/τ" in run.out


def test_option_mismatches_are_usage_errors_and_bad_data_input_errors(cli):
    cases = [
        (["--loss", "ce", "1", "2"], "--loss ce needs the target class"),
        (["--loss", "ce", "--target", "3", "1", "2"], "target 3 is out of range for vectors of 2"),
        (["--loss", "ce", "--target", "0", "--alpha", "1.3", "1", "2"], "--alpha does not apply"),
        (["--loss", "ce", "--target", "0", "--scale", "3", "1", "2"],
         "--scale does not apply to --loss ce"),
        (["--loss", "am-softmax", "--target", "0", "-t", "2", "0.1", "0.2"],
         "--temperature does not apply to --loss am-softmax"),
        (["--loss", "entmax", "--method", "softmax", "--target", "0", "1", "2"],
         "--loss entmax is the loss of --method entmax"),
        (["--target", "1", "1", "2"], "--target applies only with --loss"),
        (["--loss", "ce", "--vector", "1,0", "--target", "0", "1", "2"], "separate modes"),
        (["--method", "gumbel-softmax", "--seed", "1", "1", "2"], "no deterministic derivative"),
        (["--method", "perturbmax", "1", "2"], "no closed-form derivative"),
        (["--loss", "ce", "--target-column", "2", "--target", "0", "1", "2"], "not both"),
        (["--loss", "ce", "--target-column", "2", "1", "2"], "applies to file or stdin input"),
        (["1", "abc"], "'abc' is not a number"),
    ]  # fmt: skip
    for args, message in cases:
        run = cli("grad", *args)
        assert run.code == (1 if "is not a number" in message else 2), (args, run.err)
        assert run.out == ""
        assert run.err.startswith("error: ") and message in run.err, (args, run.err)
        assert run.err.count("\n") == 1  # one line, no traceback


def test_usage_errors_exit_2(cli):
    run = cli("grad", "--loss", "hinge", "--target", "0", "1", "2")
    assert run.code == 2 and run.out == "" and "hinge" in run.err
    run = cli("grad", "--max-ulp", "-1", "1", "2")
    assert run.code == 2 and "max-ulp" in run.err


def test_help_has_examples_and_the_generated_method_options(cli):
    run = cli("grad", "--help")
    assert run.code == 0
    for text in ("softmax grad 0 0 20", "--loss", "--target-column", "--check", "--alpha"):
        assert text in run.out


# ---------------------------------------------------------------- --check


def test_check_reports_the_worst_error_on_stdout_for_tables(cli):
    run = cli("grad", "--method", "sparsemax", "1", "2", "2.5", "--check", "--format", "table")
    assert run.code == 0 and run.err == ""
    assert "check vs the mpmath oracle: Jacobian 0 ULP of 1.0 (max 4): ok" in run.out


def test_check_goes_to_stderr_next_to_machine_output(cli):
    run = cli("grad", "1", "2", "3", "--loss", "ce", "--target", "1", "--check", "-f", "csv")
    assert run.code == 0
    assert run.out.startswith("loss,grad_0")
    assert "check vs the mpmath oracle: loss" in run.err and "ok" in run.err


def test_check_exits_3_past_max_ulp(cli):
    # softmax(1, 2, 3)'s Jacobian is 0.04 ULP of 1.0 off the oracle: more than 0
    run = cli("grad", "1", "2", "3", "--check", "--max-ulp", "0", "-f", "csv")
    assert run.code == 3
    assert run.out.startswith("d0/d0")  # the result is still written
    assert "FAILED" in run.err
    run = cli("grad", "1", "2", "3", "--vector", "1,0,0", "--check", "-f", "table")
    assert run.code == 0 and "J·v" in run.out and "ok" in run.out


# ---------------------------------------------------------------- files and stdin


CSV = "id,a,b,c,label\nr1,1,2,3,2\nr2,-1000,0,5,0\n"


@pytest.mark.parametrize("column", ["label", "5"])
def test_rows_with_a_target_column_give_per_row_loss_and_gradient(cli, tmp_path, column):
    path = tmp_path / "batch.csv"
    path.write_text(CSV)
    run = cli("grad", "--input", str(path), "--id-column", "id", "--loss", "ce",
              "--target-column", column, "--check")  # fmt: skip
    assert run.code == 0, run.err
    lines = run.out.strip().splitlines()
    assert lines[0] == "id,loss,grad_a,grad_b,grad_c"
    assert [ln.split(",")[0] for ln in lines[1:]] == ["r1", "r2"]
    x = np.array([[1.0, 2.0, 3.0], [-1000.0, 0.0, 5.0]])
    loss, grad = losses.cross_entropy(x, [2, 0])
    got = np.array([ln.split(",")[1:] for ln in lines[1:]], dtype=float)
    assert got.tolist() == np.column_stack([loss, grad]).tolist()
    assert "ok" in run.err


def test_stdin_rows_without_header_and_a_target_for_all(cli):
    run = cli("grad", "-", "--loss", "sparsemax", "--target", "1", stdin="1 2 3\n0 0 0\n")
    assert run.code == 0, run.err
    header, rows = csv_rows(run.out)
    assert header == ["loss", "grad_0", "grad_1", "grad_2"]
    want = losses.sparsemax_loss(np.array([[1.0, 2, 3], [0, 0, 0]]), 1)
    assert rows[:, 0].tolist() == want[0].tolist()


def test_stdin_rows_give_per_row_jacobians_and_jvps(cli):
    run = cli("grad", "-", "--format", "csv", stdin="a,b\n0,0\n1,-1\n")
    header, rows = csv_rows(run.out)
    assert header == ["da/da", "da/db", "db/da", "db/db"]
    assert rows[0].tolist() == [0.25, -0.25, -0.25, 0.25]
    run = cli("grad", "-", "--vector", "1,1", "--format", "csv", stdin="a,b\n0,0\n1,-1\n")
    assert run.out.splitlines()[0] == "jvp_a,jvp_b" and run.code == 0


def test_a_bad_target_in_a_row_names_its_line(cli):
    run = cli("grad", "-", "--loss", "ce", "--target-column", "t",
              stdin="a,b,t\n1,2,0\n3,4,2\n")  # fmt: skip
    assert run.code == 1
    assert "line 3: target 2 is out of range for vectors of 2 classes" in run.err
    run = cli("grad", "-", "--loss", "ce", "--target-column", "zz", stdin="a,b,t\n1,2,0\n")
    assert run.code == 2 and "--target-column 'zz' is not in the header" in run.err


def test_table_of_rows_with_ids(cli):
    run = cli("grad", "-", "--id-column", "1", "--loss", "neg-prob", "--target-column", "4",
              "--format", "table", stdin="k,a,b,t\nfirst,1,2,1\nsecond,2,1,1\n")  # fmt: skip
    assert run.code == 0, run.err
    assert "neg-prob loss and gradient" in run.out and "first" in run.out and "second" in run.out


def test_the_installed_entry_point_in_a_pipeline():
    run = run_shell("printf '1,2,3\\n0,0,20\\n' | softmax grad - --loss ce --target 2")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == "loss,grad_0,grad_1,grad_2"
    assert len(run.out.splitlines()) == 3


def test_jacobian_rows_are_computed_in_bounded_blocks_in_order(cli, monkeypatch):
    from softmax_cli.cli import grad as grad_module

    text = "k,a,b,c\n" + "".join(f"r{i},{i % 3},{-i / 7},{i / 5}\n" for i in range(10))
    whole = cli("grad", "-", "--id-column", "k", "-f", "csv", stdin=text)
    monkeypatch.setattr(grad_module, "_BLOCK_NUMBERS", 20)  # two rows of 3×3 per block
    blocked = cli("grad", "-", "--id-column", "k", "-f", "csv", stdin=text)
    assert whole.code == blocked.code == 0
    assert blocked.out == whole.out
    assert [ln.split(",")[0] for ln in blocked.out.splitlines()[1:]] == [f"r{i}" for i in range(10)]
