"""`softmax temperature-sweep` through the real entry point, stdout and stderr checked apart."""

from __future__ import annotations

import builtins
import json
import math
import struct

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import registry
from softmax_cli.analysis import sweep as sw
from softmax_cli.io.writers import format_float

from .test_sweep import GOLDEN

X = [1.0, 2.0, 3.0, 4.0]
HEAD = "tau,p_0,p_1,p_2,p_3,max_p,entropy_nats,tau_lse,lse_gap,one_minus_sum_p2"


def records(csv_text: str) -> tuple[list[str], list[list[str]]]:
    lines = csv_text.strip().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def column(csv_text: str, name: str) -> np.ndarray:
    head, rows = records(csv_text)
    k = head.index(name)
    return np.array([float(r[k]) for r in rows])


# ---------------------------------------------------------------- the reference example


def test_reference_example_as_exact_csv(cli):
    run = cli("temperature-sweep", "1", "2", "3", "4", "--taus", "0.1,1,10", "--format", "csv")
    assert run.code == 0 and run.err == ""
    head, rows = records(run.out)
    assert ",".join(head) == HEAD
    want = sw.sweep(X, [0.1, 1.0, 10.0])
    for j, row in enumerate(rows):
        values = [float(v) for v in row]
        assert values[0] == want.taus[j]
        assert values[1:5] == want.p[j].tolist()  # bit for bit
        assert row[1:5] == [repr(float(v)) for v in want.p[j]]  # shortest round-trip text
        assert values[5:] == [
            want.max_p[j], want.entropy[j], want.tau_lse[j], want.lse_gap[j], want.gini[j]
        ]  # fmt: skip
    assert [round(float(v), 4) for v in rows[1][1:5]] == [0.0321, 0.0871, 0.2369, 0.6439]
    assert [round(float(v), 4) for v in rows[2][1:5]] == [0.2138, 0.2363, 0.2612, 0.2887]
    assert [f"{float(v):.3g}" for v in rows[0][1:5]] == ["9.36e-14", "2.06e-09", "4.54e-05", "1"]
    tau_lse = column(run.out, "tau_lse")
    assert [round(v, 4) for v in tau_lse] == [4.0, 4.4402, 16.4254]
    assert round(tau_lse[2] / 10, 4) == 1.6425


def test_golden_table_and_picture_of_the_default_sweep(cli):
    run = cli("temperature-sweep", "1", "2", "3", "4", "--format", "table")
    assert run.code == 0 and run.err == ""
    text = "\n".join(line.rstrip() for line in run.out.splitlines()) + "\n"
    path = GOLDEN / "sweep_cli_table.txt"  # rewritten by python -m tests.golden_files --update
    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\x1b" not in text  # NO_COLOR and a pipe: plain text
    for cell in ("0.6439", "9.357e-14", "0.2887", "16.43", "4.44", "p3 x=4 ████"):
        assert cell in text


def test_no_tables_prints_the_title_and_picture_alone(cli):
    run = cli("temperature-sweep", "1", "2", "3", "4", "--no-tables", "--format", "table")
    assert run.code == 0 and run.err == ""
    lines = run.out.splitlines()
    assert lines[0] == "softmax of x/τ, x = [1, 2, 3, 4]"
    assert lines[1].startswith("p against τ") and len(lines) == 7
    assert "max p" not in run.out
    bars = cli("temperature-sweep", "1", "2", "--no-tables", "--picture", "bars", "-f", "table")
    assert len(bars.out.splitlines()) == 2 + 17 and "█ p1 x=2  ▓ p0 x=1" in bars.out


def test_auto_format_in_a_pipe_is_csv_with_the_default_grid(cli):
    run = cli("temperature-sweep", "1", "2", "3", "4")
    assert run.code == 0 and run.err == ""
    head, rows = records(run.out)
    assert ",".join(head) == HEAD and len(rows) == 17
    taus = column(run.out, "tau")
    assert taus[0] == 0.01 and taus[-1] == 100.0 and 1.0 in taus.tolist()
    assert (np.diff(column(run.out, "entropy_nats")) > 0).all()


# ---------------------------------------------------------------- grid options


def test_min_max_steps_and_linear(cli):
    log = cli("temperature-sweep", "1", "2", "--min", "0.5", "--max", "8", "--steps", "5")
    assert column(log.out, "tau").tolist() == [0.5, 1.0, 2.0, 4.0, 8.0]
    lin = cli("temperature-sweep", "1", "2", "--min", "1", "--max", "3", "--steps", "5", "--linear")
    assert column(lin.out, "tau").tolist() == [1.0, 1.5, 2.0, 2.5, 3.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "10001"], "error: --steps must be between 2 and 10000, got 10001"),
        (["--steps", "1"], "error: --steps must be between 2 and 10000, got 1"),
        (["--min", "0"], "error: --min (the smallest τ) must be finite and > 0, got 0.0"),
        (["--max", "inf"], "error: --max (the largest τ) must be finite and > 0, got inf"),
        (["--min", "5", "--max", "1"], "error: --min must be below --max, got 5 and 1"),
        (["--taus", "1,-2"], "error: --taus: a temperature τ must be finite and > 0, got '-2'"),
        (["--taus", "1,abc"], "error: --taus: a temperature τ must be a number, got 'abc'"),
        (["--taus", "1", "--steps", "3"], "error: --taus lists the temperatures: drop --steps"),
    ],
)
def test_bad_grids_are_one_line_errors(cli, args, message):
    run = cli("temperature-sweep", "1", "2", *args)
    assert run.code == 2 and run.out == ""  # a bad option value
    assert run.err == message + "\n"


# ---------------------------------------------------------------- methods


def test_sparsemax_shows_the_support_shrinking_as_tau_falls(cli):
    run = cli("temperature-sweep", "-m", "sparsemax", "0.3", "-1.2", "2", "1.1", "0.9", "1.7")
    assert run.code == 0, run.err
    head, _ = records(run.out)
    assert head[-1] == "support"
    support = column(run.out, "support")
    assert support[0] == 1 and support[-1] == 6 and (np.diff(support) >= 0).all()
    assert support.min() < support.max()


def test_method_parameters_come_from_the_registry(cli):
    run = cli("temperature-sweep", "-m", "entmax", "--alpha", "1.3", "1", "2", "3", "--taus", "2")
    assert run.code == 0, run.err
    got = [float(v) for v in records(run.out)[1][0][1:4]]
    assert got == sm.entmax_bisect([1.0, 2.0, 3.0], alpha=1.3, temperature=2.0).tolist()
    help_run = cli("temperature-sweep", "--help")
    for p in registry.all_params().values():
        assert p.flag in help_run.out


def test_a_parameter_the_method_does_not_take_is_an_error(cli):
    run = cli("temperature-sweep", "1", "2", "--alpha", "2")
    assert run.code == 2 and run.out == ""
    assert run.err == "error: --alpha does not apply to --method softmax (it takes no parameters)\n"


@pytest.mark.parametrize(
    "m", [m for m in registry.MAPPINGS if m.output != registry.DISTRIBUTION], ids=lambda m: m.name
)
def test_reductions_and_elementwise_maps_are_refused_naming_what_works(cli, m):
    run = cli("temperature-sweep", "--method", m.name, "1", "2", "3")
    assert run.code == 1 and run.out == ""
    assert run.err.startswith(f"error: cannot sweep {m.name}: it gives ")
    assert run.err.count("\n") == 1
    assert "a sweep takes " + ", ".join(sw.sweepable_names()) in run.err


def test_gumbel_softmax_with_a_seed_repeats(cli):
    args = ("temperature-sweep", "-m", "gumbel-softmax", "--seed", "5", "1", "2", "3")
    a, b = cli(*args), cli(*args)
    assert a.code == 0 and a.out == b.out
    p = [float(v) for v in records(a.out)[1][-1][1:4]]  # τ = 100
    assert p == sm.gumbel_softmax([1.0, 2.0, 3.0], seed=5, temperature=100.0).tolist()


# ---------------------------------------------------------------- formats


def test_bits(cli):
    nats = column(cli("temperature-sweep", "1", "2", "3").out, "entropy_nats")
    bits_run = cli("temperature-sweep", "1", "2", "3", "--bits")
    bits = column(bits_run.out, "entropy_bits")
    np.testing.assert_allclose(bits, nats / math.log(2), rtol=1e-15)
    assert bits[-1] == pytest.approx(math.log2(3), rel=1e-4)


def test_json_and_jsonl_hold_the_same_records(cli):
    args = ("temperature-sweep", "-1000", "-999", "--taus", "0.5,2")
    js = json.loads(cli(*args, "--format", "json").out)
    jl = [json.loads(line) for line in cli(*args, "--format", "jsonl").out.splitlines()]
    assert js == jl and len(js) == 2
    assert list(js[0]) == [
        "tau", "p", "max_p", "entropy_nats", "tau_lse", "lse_gap", "one_minus_sum_p2"
    ]  # fmt: skip
    assert js[1]["p"] == sm.softmax([-1000.0, -999.0], temperature=2.0).tolist()
    assert js[0]["tau_lse"] == float(sm.logsumexp([-1000.0, -999.0], temperature=0.5))


def test_tsv_uses_tabs(cli):
    run = cli("temperature-sweep", "1", "2", "--taus", "1", "--format", "tsv")
    head, row = run.out.splitlines()
    assert head.split("\t")[:3] == ["tau", "p_0", "p_1"]
    assert [float(v) for v in row.split("\t")[1:3]] == sm.softmax([1.0, 2.0]).tolist()


def test_float32_prints_float32_text(cli):
    run = cli("temperature-sweep", "1", "2", "--taus", "1", "--dtype", "float32")
    row = records(run.out)[1][0]
    want = sm.softmax(np.array([1, 2], dtype=np.float32))
    assert np.array(row[1:3], dtype=np.float32).tolist() == want.tolist()
    assert row[1:3] == [format_float(v, np.float32) for v in want]
    assert all(len(t) <= 10 for t in row[1:3])  # float32's shortest text, not float64's


# ---------------------------------------------------------------- input routes


def test_rows_from_stdin_give_one_sweep_each_labelled_by_line(cli):
    run = cli("temperature-sweep", "-", "--taus", "1,10", stdin="1,2,3\n\n0,0,5\n")
    assert run.code == 0, run.err
    head, rows = records(run.out)
    assert head[:2] == ["line", "tau"]
    assert [r[:2] for r in rows] == [["1", "1.0"], ["1", "10.0"], ["3", "1.0"], ["3", "10.0"]]
    assert [float(v) for v in rows[2][2:5]] == sm.softmax([0.0, 0.0, 5.0]).tolist()


def test_id_column_and_header_names_reach_the_output(cli, tmp_path):
    path = tmp_path / "logits.csv"
    path.write_text("id,cat,dog\na,1,2\nb,3,-1\n", encoding="utf-8")
    run = cli("temperature-sweep", "--input", str(path), "--id-column", "id", "--taus", "1")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0].startswith("id,tau,p_cat,p_dog,max_p")
    assert [line.split(",")[0] for line in run.out.splitlines()[1:]] == ["a", "b"]
    table = cli("temperature-sweep", "--input", str(path), "--id-column", "id", "--taus", "1",
                "--format", "table")  # fmt: skip
    assert "id a: softmax of x/τ, x = [1, 2]" in table.out
    assert "id b: softmax of x/τ, x = [3, -1]" in table.out
    assert "cat\n" not in table.out and " cat " in table.out


def test_a_bad_row_names_its_line(cli):
    run = cli("temperature-sweep", "-", "--taus", "1", stdin="1,2\n3,nan\n")
    assert run.code == 1
    assert run.err == "error: line 2: cannot sweep a vector holding nan (entry 1)\n"


def test_negative_logits_need_no_double_dash(cli):
    run = cli("temperature-sweep", "-3", "-1", "--taus", "1", "-2")
    assert run.code == 0, run.err
    got = [float(v) for v in records(run.out)[1][0][1:4]]
    assert got == sm.softmax([-3.0, -1.0, -2.0]).tolist()


def test_long_vectors_show_the_top_and_the_rest_in_tables(cli):
    values = [str(v) for v in range(20)]
    run = cli("temperature-sweep", *values, "--taus", "1,100", "--format", "table", "--top", "4")
    assert run.code == 0, run.err
    assert "rest" in run.out and "(17)" in run.out
    assert "20 entries, max 19" in run.out
    csv_run = cli("temperature-sweep", *values, "--taus", "1")
    assert len(records(csv_run.out)[0]) == 1 + 20 + 5  # data keeps every entry


# ---------------------------------------------------------------- the chart


def test_plot_writes_a_png_beside_the_data(cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "sweep.png"
    run = cli("temperature-sweep", "1", "2", "3", "4", "--plot", str(out), "--plot-size", "700x400")
    assert run.code == 0 and run.err == ""
    assert records(run.out)[0] == HEAD.split(",")
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (700, 400)


def test_plot_without_matplotlib_is_a_one_line_error_before_any_output(cli, monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    run = cli("temperature-sweep", "1", "2", "--plot", str(tmp_path / "s.png"))
    assert run.code == 1 and run.out == ""
    assert run.err == (
        "error: --plot needs matplotlib, which is not installed: pip install 'softmax-lab[plot]'\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "s.gif"], "error: --plot s.gif: the file must end in .png, .svg or .pdf"),
        (
            ["--plot", "s.png", "--plot-size", "20000x10"],
            "error: --plot-size 20000x10: each side must be between 200 and 6000 pixels",
        ),
    ],
)
def test_plot_arguments_are_checked(cli, args, message):
    run = cli("temperature-sweep", "1", "2", *args)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(message)


def test_plot_refuses_more_rows_than_it_can_draw_before_writing(cli, tmp_path):
    pytest.importorskip("matplotlib")
    stdin = "".join(f"{i},1,2\n" for i in range(1, 8))  # not 0,1,2: a pandas header
    out = tmp_path / "s.png"
    run = cli("temperature-sweep", "-", "--plot", str(out), "--taus", "1", stdin=stdin)
    assert run.code == 1 and run.out == "" and not out.exists()
    assert run.err.startswith("error: --plot draws at most 6 vectors")
