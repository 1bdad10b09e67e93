"""`softmax compare` through the real entry point: stdout and stderr checked apart.

Regenerate the golden files after an intended change of the output with
    python -m tests.golden_files --update
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import oracle
from softmax_cli.analysis import compare as an
from softmax_cli.cli import compare as cli_compare

from .conftest import ROOT, check_golden

GOLDEN = Path(__file__).parent / "golden"
SEED = ["1000", "2000", "3000", "4000", "5000"]
ROWS = "id,a,b,c\nr1,1,2,3\nr2,1000,2000,3000\nr3,-1000,-1001,-1002\nr4,0.1,30.3,-5\n"


# ---------------------------------------------------------------- the teaching examples


def test_golden_seed_table_in_a_pipe(cli):
    run = cli("compare", "--format", "table", *SEED)
    assert run.code == 0 and run.err == ""
    check_golden("compare_cli_seed.txt", run.out)
    assert "6.6385371046556735e-1738" in run.out
    assert "exp(1000) overflows float64 (largest finite exp argument ≈ 709.78)" in run.out
    assert "subtracting the max (5000) makes every exponent ≤ 0" in run.out


def test_seed_example_reproduces(cli):
    run = cli("compare", "--format", "table", "1", "2", "3", "4", "5")
    assert run.code == 0 and run.err == ""
    for cell in ("0.01165623", "0.03168492", "0.08612854", "0.23412166", "0.63640865"):
        assert run.out.count(cell) >= 3  # naive, x − max and accurate agree here


def test_golden_float16(cli):
    run = cli("compare", "--format", "table", "--dtype", "float16", "10", "11", "12")
    assert run.code == 0 and run.err == ""
    check_golden("compare_cli_float16.txt", run.out)
    row2 = next(line for line in run.out.splitlines() if line.split()[:2] == ["2", "12."])
    assert row2.split()[2] == "nan"
    assert "≈ 11.09" in run.out


def test_negative_logits_need_no_double_dash(cli):
    run = cli("compare", "--format", "table", "-1000", "-1001", "--format", "json")
    assert run.code == 0 and run.err == ""
    rec = json.loads(run.out)[0]
    assert rec["x"] == [-1000.0, -1001.0]
    assert rec["implementations"]["naive"]["flags"] == [["nan", "underflow"]] * 2


def test_explain_shows_steps_and_marks_the_first_failure(cli):
    run = cli("compare", "--format", "table", "--method", "logsumexp", "--explain", "0", "-40")
    assert run.code == 0 and run.err == ""
    lines = run.out.splitlines()
    marked = [line for line in lines if line.lstrip().startswith("✗")]
    assert len(marked) == 2 and all("log s" in line for line in marked)  # naive and x − max
    assert run.out.count("lost digits: off by 5.5e+15 ULP (exact 4.2484e-18)") == 2
    assert "absorbed: Σ = 1 + 4.248e-18 rounds to 1" in run.out


# ---------------------------------------------------------------- machine formats


def test_json_has_every_value_bit_exact_and_the_oracle_as_strings(cli):
    run = cli("compare", "--format", "table", "--format", "json", *SEED)
    assert run.code == 0 and run.err == ""
    (rec,) = json.loads(run.out)
    x = np.array(SEED, dtype=float)
    assert rec["method"] == "softmax" and rec["dtype"] == "float64" and rec["dps"] == 50
    assert rec["oracle"][0] == "6.6385371046556735e-1738"
    impl = rec["implementations"]
    assert impl["naive"]["values"] == ["nan"] * 5 and impl["naive"]["ulp"] == ["inf"] * 5
    assert impl["naive"]["wrong"] is True and impl["accurate"]["wrong"] is False
    assert np.array_equal(np.array(impl["accurate"]["values"]), sm.softmax(x))
    assert impl["shifted"]["flags"][0] == ["underflow"]
    assert rec["condition"] == [6000.0, 7000.0, 8000.0, 9000.0, 0.0]
    assert rec["verdict"][0].startswith("naive: exp(1000) overflows float64")


def test_json_explain_carries_the_steps(cli):
    run = cli(
        "compare",
        "--format",
        "table",
        "--format",
        "json",
        "--explain",
        "--dtype",
        "float32",
        "100",
        "0",
    )
    assert run.code == 0 and run.err == ""
    steps = json.loads(run.out)[0]["implementations"]["naive"]["steps"]
    assert [s["step"] for s in steps] == ["exp", "sum", "normalize"]
    assert steps[0]["event"] == "overflow" and steps[0]["values"][0] == "inf"
    assert steps[0]["note"].startswith("exp(100) overflows float32 (largest finite exp argument")


def test_csv_reads_back_bit_for_bit(cli):
    run = cli(
        "compare", "--format", "table", "--format", "csv", "--dtype", "float32", "0.1", "0.2", "0.7"
    )
    assert run.code == 0 and run.err == ""
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert [r["i"] for r in rows] == ["0", "1", "2"]
    x = np.array([0.1, 0.2, 0.7], dtype=np.float32)
    got = np.array([r["accurate"] for r in rows], dtype=np.float32)
    assert np.array_equal(got, sm.softmax(x))
    assert [r["naive"] for r in rows] == [str(v) for v in sm.exp_family.softmax_naive(x)]
    want = oracle.ulp_error(got, oracle.evaluate("softmax", x, dps=60), np.float32)
    assert np.array([float(r["accurate_ulp"]) for r in rows]) == pytest.approx(want, abs=1e-9)


def test_jsonl_from_stdin_one_record_per_row(cli):
    run = cli(
        "compare",
        "-",
        "--format",
        "jsonl",
        "--method",
        "logsumexp",
        "--id-column",
        "id",
        stdin=ROWS,
    )
    assert run.code == 0 and run.err == ""
    recs = [json.loads(line) for line in run.out.splitlines()]
    assert [r["row"] for r in recs] == ["r1", "r2", "r3", "r4"]
    assert recs[1]["implementations"]["naive"]["values"] == ["inf"]
    assert recs[1]["implementations"]["naive"]["flags"] == [["inf", "overflow"]]
    assert recs[2]["implementations"]["naive"]["flags"] == [["-inf", "underflow"]]
    assert recs[1]["oracle"] == ["3000.0"]


# ---------------------------------------------------------------- many rows


def test_golden_summary_of_a_file(cli, tmp_path):
    path = tmp_path / "logits.csv"
    path.write_text(ROWS)
    run = cli("compare", "--format", "table", "--input", str(path), "--id-column", "id")
    assert run.code == 0 and run.err == ""  # no progress bar: stderr is not a terminal
    check_golden("compare_cli_rows.txt", run.out)
    assert "naive: wrong on 2 of 4 rows (first: row r2: nan, overflow)." in run.out


def test_explain_with_many_rows_says_it_shows_the_summary(cli):
    run = cli("compare", "--format", "table", "-", "--explain", stdin="1,2\n3,4\n")
    assert run.code == 0
    assert run.err.startswith("note: --explain shows its steps for a single vector")
    assert "worst error per row" in run.out


# ---------------------------------------------------------------- --check, errors, limits


def test_check_passes_and_fails_with_exit_status_3(cli):
    ok = cli("compare", "--format", "table", "--check", "--max-ulp", "1", "--format", "csv", *SEED)
    assert ok.code == 0 and ok.err == ""
    half = str(np.log(0.5))
    bad = cli(
        "compare",
        "--format",
        "table",
        "--check",
        "--max-ulp",
        "1",
        "--method",
        "logsumexp",
        half,
        half,
    )
    assert bad.code == 3
    assert "ill-conditioned" in bad.out  # the report is still printed
    assert bad.err == (
        "check failed: accurate logsumexp is off by 3.7e+12 ULP > --max-ulp 1 "
        "(row 1; 1 of 1 rows over)\n"
    )


def test_check_counts_rows_over_the_limit(cli):
    half = str(np.log(0.5))
    run = cli(
        "compare",
        "-",
        "--check",
        "--method",
        "logsumexp",
        "--format",
        "csv",
        stdin=f"1,2\n{half},{half}\n3,4\n",
    )
    assert run.code == 3
    assert "(row 2; 1 of 3 rows over)" in run.err


@pytest.mark.parametrize("dps", ["10", "24", "9991", "10000", "10001"])
def test_dps_out_of_bounds_is_a_usage_error(cli, dps):
    run = cli("compare", "--format", "table", "--dps", dps, "1", "2")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("error: --dps must be between 25 and 9990, got ")
    assert run.err.count("\n") == 1


def test_dps_changes_the_oracle_precision(cli):
    run = cli("compare", "--format", "table", "--dps", "200", "--format", "json", "1", "2")
    assert run.code == 0 and json.loads(run.out)[0]["dps"] == 200


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--target", "1", "1", "2"], 2, "error: --target applies to cross-entropy"),
        (["--alpha", "1.5", "1", "2"], 2, "error: --alpha does not apply to --method softmax"),
        (["--method", "gumbel-softmax", "1", "2"], 2, "give --seed"),
        (["--method", "nosuch", "1", "2"], 2, "error: unknown method 'nosuch'"),
        (["1", "x"], 1, "'x' is not a number"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_bad_options_exit_2(cli, args, code, message):
    run = cli("compare", "--format", "table", *args)
    assert run.code == code and run.out == ""
    assert message in run.err and run.err.count("\n") == 1


def test_long_vectors_warn_and_the_cap_refuses(cli, monkeypatch):
    monkeypatch.setattr(an, "WARN_ENTRIES", 3)
    run = cli("compare", "--format", "table", "--format", "csv", "1", "2", "3", "4")
    assert run.code == 0
    assert run.err.startswith("warning: the oracle evaluates 4 entries at 50 digits")
    monkeypatch.setattr(an, "MAX_ENTRIES", 3)
    run = cli("compare", "--format", "table", "1", "2", "3", "4")
    assert run.code == 1 and run.out == ""
    assert "past compare's cap of 3" in run.err


def test_cross_entropy_needs_a_target_in_range(cli):
    run = cli(
        "compare", "--format", "table", "--method", "cross-entropy", "--target", "0", "-800", "0"
    )
    assert run.code == 0 and run.err == ""
    assert "cross-entropy of 2 logits in float64, target 0" in run.out
    assert "then log(0) = -inf." in run.out
    run = cli(
        "compare", "--format", "table", "--method", "cross-entropy", "--target", "2", "-800", "0"
    )
    assert run.code == 2 and run.err == "error: --target must be a class index in 0..1, got 2\n"
    run = cli("compare", "--format", "table", "--method", "cross-entropy", "1", "2")
    assert run.code == 2 and "needs --target" in run.err


def test_gumbel_softmax_with_a_seed_compares_the_same_noise(cli):
    run = cli(
        "compare",
        "--format",
        "table",
        "--method",
        "gumbel-softmax",
        "--seed",
        "3",
        "--format",
        "json",
        "1",
        "2",
    )
    assert run.code == 0 and run.err == ""
    rec = json.loads(run.out)[0]
    assert list(rec["implementations"]) == ["accurate"]
    assert rec["implementations"]["accurate"]["worst_ulp"] <= 4


def test_progress_counter_runs_only_when_asked(capsys):
    from softmax_cli.cli.source import RowProgress

    with RowProgress("compare", enabled=False) as bar:
        bar.advance()
    assert capsys.readouterr() == ("", "")  # disabled: nothing at all
    with RowProgress("compare", enabled=True) as bar:  # stderr is not a terminal here
        for _ in range(3):
            bar.advance(2)
    assert bar.rows == 6
    assert capsys.readouterr().out == ""


def test_help_defaults_match_the_oracle():
    assert cli_compare.DEFAULT_DPS == oracle.DEFAULT_DPS
    assert (cli_compare.MIN_DPS, cli_compare.MAX_DPS) == (an.MIN_DPS, an.MAX_DPS)


def test_the_command_line_starts_without_mpmath():
    code = (
        "import sys; from softmax_cli.cli import app; app._register_commands(); "
        "print('mpmath' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
