"""Several methods in one run: ``--method a,b,c`` and a repeated ``--method`` (issue 17)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from softmax_cli import registry

X = ["0.5", "-1", "2", "1.25"]


def _csv(text: str) -> tuple[list[str], np.ndarray]:
    lines = text.strip().splitlines()
    return lines[0].split(","), np.array([r.split(",") for r in lines[1:]], dtype=float)


def test_a_comma_list_and_a_repeated_method_give_one_column_block_per_method(cli):
    listed = cli("compute", "-m", "softmax,sparsemax,entmax15", *X, "--format", "csv")
    repeated = cli(
        "compute", "-m", "softmax", "--method", "sparsemax", "-m", "entmax15", *X, "-f", "csv"
    )
    assert listed.code == repeated.code == 0, listed.err + repeated.err
    assert listed.out == repeated.out
    header, values = _csv(listed.out)
    assert header == [f"{m}:{j}" for m in ("softmax", "sparsemax", "entmax15") for j in range(4)]
    x = np.array(X, dtype=float)
    for k, name in enumerate(("softmax", "sparsemax", "entmax15")):
        np.testing.assert_array_equal(values[0, 4 * k : 4 * k + 4], registry.get(name)(x))


def test_columns_take_the_input_header_and_ids_pass_through(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("id,a,b\nr1,1,2\nr2,3,-1\n")
    run = cli("compute", "-i", str(f), "--id-column", "id", "-m", "sparsemax,logsumexp", "-fcsv")
    assert run.code == 0, run.err
    lines = run.out.strip().splitlines()
    assert lines[0] == "id,sparsemax:a,sparsemax:b,logsumexp"
    assert [ln.split(",")[0] for ln in lines[1:]] == ["r1", "r2"]
    got = np.array([ln.split(",")[1:] for ln in lines[1:]], dtype=float)
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_array_equal(got[:, :2], registry.get("sparsemax")(x))
    np.testing.assert_array_equal(got[:, 2], registry.get("logsumexp")(x))


def test_json_rows_name_every_column(cli):
    run = cli("compute", "-m", "softmax,argmax", "1", "3", "--format", "json")
    assert run.code == 0, run.err
    row = json.loads(run.out)[0]
    assert list(row) == ["softmax:0", "softmax:1", "argmax:0", "argmax:1"]
    assert [row["argmax:0"], row["argmax:1"]] == [0.0, 1.0]


def test_a_parameter_goes_to_the_methods_that_take_it(cli):
    run = cli("compute", "-m", "softmax,entmax", "--alpha", "1.2", *X, "-f", "csv")
    assert run.code == 0, run.err
    _, values = _csv("h\n" + run.out.strip().splitlines()[1])
    x = np.array(X, dtype=float)
    np.testing.assert_array_equal(values[0, :4], registry.get("softmax")(x))
    np.testing.assert_array_equal(values[0, 4:], registry.get("entmax")(x, alpha=1.2))
    assert not np.array_equal(values[0, 4:], registry.get("entmax")(x))  # α = 1.5 differs


def test_a_parameter_no_chosen_method_takes_is_an_error(cli):
    run = cli("compute", "-m", "softmax,sparsemax", "--alpha", "1.2", "1", "2")
    assert run.code == 2 and run.out == ""
    assert "--alpha does not apply to --method softmax,sparsemax" in run.err
    assert len(run.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, says",
    [
        (["-m", "softmax", "-m", "softmax"], "names softmax twice"),
        (["-m", "log_softmax,log-softmax"], "names log-softmax twice"),
        (["-m", "softmax,"], "empty name"),
        (["-m", "softmax,nosuch"], "unknown method 'nosuch'"),
    ],
)
def test_bad_method_lists_are_refused(cli, args, says):
    run = cli("compute", *args, "1", "2")
    assert run.code == 2 and run.out == "", run.out
    assert says in run.err and "Traceback" not in run.err


def test_calibrate_refuses_two_methods_instead_of_keeping_the_last(cli):
    run = cli("calibrate", "-m", "softmax", "-m", "sparsemax", "-y", "2", "-")
    assert run.code == 2 and run.out == ""
    assert "--method takes one method in this command, got 2 (softmax, sparsemax)" in run.err


def test_seeded_stochastic_methods_match_their_single_runs(cli):
    both = cli("compute", "-m", "gumbel-softmax,softmax", "--seed", "3", *X, "-f", "csv")
    one = cli("compute", "-m", "gumbel-softmax", "--seed", "3", *X, "-f", "csv")
    assert both.code == one.code == 0, both.err
    assert both.out.strip().splitlines()[1].split(",")[:4] == one.out.strip().split(",")


def test_axis_0_stacks_methods_of_one_kind_and_refuses_mixed(cli, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("a,b\n1,2\n3,4\n")
    run = cli("compute", "-i", str(f), "--axis", "0", "-m", "logsumexp", "-f", "csv")
    assert run.code == 0, run.err  # one value per input column, under the input's header
    head, values = _csv(run.out)
    assert head == ["a", "b"]
    np.testing.assert_allclose(values[0], [np.logaddexp(1, 3), np.logaddexp(2, 4)], rtol=1e-15)
    run = cli("compute", "-i", str(f), "--axis", "0", "-m", "softmax,sparsemax", "-f", "csv")
    assert run.code == 0, run.err
    assert _csv(run.out)[0] == ["softmax:a", "softmax:b", "sparsemax:a", "sparsemax:b"]
    run = cli("compute", "-i", str(f), "--axis", "0", "-m", "softmax,logsumexp", "-f", "csv")
    assert run.code == 2 and "--axis 0 cannot put a reduction" in run.err


def test_the_table_of_one_vector_has_a_column_per_method(cli):
    run = cli("compute", "-m", "softmax,sparsemax", "1", "2", "3", "--format", "table")
    assert run.code == 0, run.err
    head = next(ln for ln in run.out.splitlines() if " x " in ln)
    assert head.split() == ["i", "x", "softmax", "sparsemax"]
    run = cli("compute", "-m", "logsumexp,soft-max", "1", "2", "--format", "table")
    assert "logsumexp" in run.out and "soft-max" in run.out


# ---------------------------------------------------------------- temperature-sweep


def _records(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


def test_sweep_of_several_methods_is_each_single_sweep_with_a_method_column(cli):
    args = ["1", "2", "2.5", "--taus", "0.5,1,4", "--format", "csv"]
    both = _records(cli("temperature-sweep", "-m", "softmax,sparsemax", *args).out)
    soft = _records(cli("temperature-sweep", "-m", "softmax", *args).out)
    sparse = _records(cli("temperature-sweep", "-m", "sparsemax", *args).out)
    assert both[0] == ["method", *sparse[0]]  # support for every method: one is sparse
    assert [r[0] for r in both[1:]] == ["softmax"] * 3 + ["sparsemax"] * 3
    assert [r[1:] for r in both[4:]] == sparse[1:]
    for got, want in zip(both[1:4], soft[1:], strict=True):
        assert got[1:-1] == want  # softmax's own columns, then its support: every p > 0
        assert got[-1] == "3"


def test_sweep_shows_each_methods_tables_and_one_chart_side_by_side(cli):
    run = cli("temperature-sweep", "-m", "softmax,entmax15", "1", "2", "--taus", "1", "-ftable")
    assert run.code == 0, run.err
    assert run.out.startswith("softmax, entmax15 of x/τ, x = [1, 2]\n")
    assert run.out.count("p against τ") == 1 and run.out.count("max p") == 2
    lines = run.out.splitlines()
    head = lines.index("        softmax   entmax15")  # panels as wide as the longer name
    assert lines[head + 1 : head + 4] == [
        # softmax: 1/(1 + e) = 0.2689 and 0.7311, in eighths 2 and 6; entmax15: with
        # u = (1 + √7)/4, p = (u − ½)² = 0.1693 and u² = 0.8307, in eighths 1 and 7
        " p0 x=1 ▂▂▂▂      ▁▁▁▁",
        " p1 x=2 ▆▆▆▆      ▇▇▇▇",
        "      τ 1         1",
    ]


def test_sweep_plot_puts_the_methods_side_by_side(cli, tmp_path):
    pytest.importorskip("matplotlib")
    import struct

    from softmax_cli.plot_methods import auto_size_methods

    out = tmp_path / "s.png"
    stdin = "a,b,c\n1,2,3\n0,0,1\n"
    run = cli("temperature-sweep", "-", "-m", "softmax,sparsemax,entmax15", "--plot", str(out),
              "-fcsv", stdin=stdin)  # fmt: skip
    assert run.code == 0, run.err
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == auto_size_methods(2, 3) == (1600, 940)


def test_sweep_plot_counts_vectors_not_sweeps(cli, tmp_path):
    pytest.importorskip("matplotlib")
    stdin = "".join(f"{i},1,2\n" for i in range(1, 8))  # not 0,1,2: pandas-like
    out = tmp_path / "s.png"
    run = cli("temperature-sweep", "-", "-m", "softmax,sparsemax", "--plot", str(out),
              "--taus", "1", stdin=stdin)  # fmt: skip
    assert run.code == 1 and not out.exists()
    assert run.err.startswith("error: --plot draws at most 6 vectors")


# ---------------------------------------------------------------- compare


def test_compare_writes_a_block_per_method_under_one_header(cli):
    both = _records(cli("compare", "-m", "softmax,sparsemax", "1", "2", "3", "-fcsv").out)
    soft = _records(cli("compare", "-m", "softmax", "1", "2", "3", "-fcsv").out)
    sparse = _records(cli("compare", "-m", "sparsemax", "1", "2", "3", "-fcsv").out)
    assert both[0] == ["row", "method", *soft[0][1:]]
    assert [r[1:2] + r[2:] for r in both[1:4]] == [["softmax", *r[1:]] for r in soft[1:]]
    head = dict(zip(sparse[0], range(len(sparse[0])), strict=True))
    for got, want in zip(both[4:], sparse[1:], strict=True):
        rec = dict(zip(both[0], got, strict=True))
        assert rec["method"] == "sparsemax" and rec["naive"] == rec["shifted"] == ""
        assert [rec[c] for c in sparse[0][1:]] == want[1:]
        assert rec["row"] == want[head["row"]]


def test_compare_table_shows_each_method_and_json_names_it(cli):
    run = cli("compare", "-m", "logsumexp,sparsemax", "1", "2", "--format", "table")
    assert run.code == 0, run.err
    assert run.out.index("logsumexp of 2 logits") < run.out.index("sparsemax of 2 logits")
    run = cli("compare", "-m", "softmax,cross-entropy", "--target", "1", "0", "2", "-fjson")
    records = json.loads(run.out)
    assert [r["method"] for r in records] == ["softmax", "cross-entropy"]
    assert "target" not in records[0] and records[1]["target"] == 1


def test_compare_options_go_to_the_methods_that_take_them(cli):
    run = cli("compare", "-m", "softmax,entmax", "--alpha", "1.3", "1", "2", "-fjson")
    assert run.code == 0, run.err
    alone = cli("compare", "-m", "entmax", "--alpha", "1.3", "1", "2", "-fjson")
    assert json.loads(run.out)[1] == json.loads(alone.out)[0]
    run = cli("compare", "-m", "softmax,sparsemax", "--alpha", "1.3", "1", "2")
    assert (
        run.code == 2 and "--alpha does not apply to any of --method softmax,sparsemax" in run.err
    )
    run = cli("compare", "-m", "softmax,sparsemax", "--target", "1", "1", "2")
    assert run.code == 2 and "none of the methods is one" in run.err


def test_compare_check_names_every_method_over_the_limit(cli):
    run = cli("compare", "-m", "softmax,log-softmax", "--check", "--max-ulp", "0", "1", "2", "3")
    assert run.code == 3
    lines = run.err.strip().splitlines()
    assert [ln.split(" is off")[0] for ln in lines] == [
        "check failed: accurate softmax",
        "check failed: accurate log-softmax",
    ]


# ---------------------------------------------------------------- grad


@pytest.mark.parametrize("mode", [[], ["--vector", "1,-2,0.5"]], ids=["jacobian", "jvp"])
def test_grad_puts_each_methods_columns_side_by_side(cli, mode, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("id,a,b,c\nr1,1,2,3\nr2,0.5,0.5,-1\n")
    args = ["-i", str(f), "--id-column", "id", *mode, "-fcsv"]
    both = _records(cli("grad", "-m", "softmax,entmax15", *args).out)
    soft = _records(cli("grad", "-m", "softmax", *args).out)
    ent = _records(cli("grad", "-m", "entmax15", *args).out)
    k = len(soft[0]) - 1
    assert both[0] == ["id", *(f"softmax:{c}" for c in soft[0][1:]),
                       *(f"entmax15:{c}" for c in ent[0][1:])]  # fmt: skip
    for b, s_, e in zip(both[1:], soft[1:], ent[1:], strict=True):
        assert b[0] == s_[0] == e[0] and b[1 : 1 + k] == s_[1:] and b[1 + k :] == e[1:]


def test_grad_check_reports_each_method(cli):
    run = cli("grad", "-m", "softmax,logsumexp", "1", "2", "--check", "-fcsv")
    assert run.code == 0, run.err
    lines = run.err.strip().splitlines()
    assert [ln.split(": check")[0] for ln in lines] == ["softmax", "logsumexp"]
    assert all(ln.endswith(": ok") for ln in lines)


def test_grad_with_a_loss_takes_one_method(cli):
    run = cli("grad", "-m", "softmax,sparsemax", "--loss", "ce", "--target", "0", "1", "2")
    assert run.code == 2 and "--loss differentiates its own method" in run.err
    run = cli("grad", "-m", "softmax,sparsemax", "--alpha", "1.2", "1", "2")
    assert run.code == 2 and "--alpha does not apply to --method softmax,sparsemax" in run.err
