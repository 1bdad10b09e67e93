"""`softmax compute` and `softmax methods` through the real entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli import registry

from .conftest import ROOT, run_shell


def floats(csv_text: str) -> np.ndarray:
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    return np.array(rows, dtype=float)


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("args", [["1", "2", "3"], ["1,2,3"], ["1,", "2", "3"], ["1", "2,3"]])
def test_argument_forms_give_the_same_vector(cli, args):
    run = cli("compute", *args, "--format", "csv")
    assert run.code == 0 and run.err == ""
    got = floats(run.out)[0]
    np.testing.assert_array_equal(got, sm.softmax([1.0, 2.0, 3.0]))


def test_negative_numbers_need_no_double_dash(cli):
    run = cli("compute", "-1000", "-2000", "-3000", "--format", "csv")
    assert run.code == 0, run.err
    assert floats(run.out)[0].tolist() == sm.softmax([-1000.0, -2000.0, -3000.0]).tolist()


def test_machine_output_reads_back_bit_for_bit(cli):
    run = cli("compute", "0.1", "0.2", "0.7", "--format", "csv")
    want = sm.softmax([0.1, 0.2, 0.7])
    assert [float(t) for t in run.out.strip().split(",")] == want.tolist()
    assert run.out.strip() == ",".join(repr(float(v)) for v in want)


@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_every_registry_method_runs_from_the_command_line(cli, m):
    extra = {"sparse-softmax": ["--top-k", "2"], "gumbel-softmax": ["--seed", "7"]}.get(m.name, [])
    run = cli("compute", "--method", m.name, *extra, "0.5", "-1", "2", "--format", "json")
    assert run.code == 0, run.err
    got = np.array(json.loads(run.out)[0], dtype=float)
    params = {"k": 2} if m.name == "sparse-softmax" else ({"seed": 7} if m.stochastic else {})
    want = np.atleast_1d(m(np.array([0.5, -1.0, 2.0]), **params))
    np.testing.assert_array_equal(got, want)


def test_method_parameters_are_generated_from_the_registry(cli):
    run = cli("compute", "--help")
    for p in registry.all_params().values():
        assert p.flag in run.out
    a = cli("compute", "--method", "entmax", "--alpha", "1.3", "1", "2", "3", "--format", "csv")
    np.testing.assert_array_equal(floats(a.out)[0], sm.entmax_bisect([1.0, 2.0, 3.0], alpha=1.3))
    t = cli("compute", "--method", "taylor", "--order", "4", "1", "2", "--format", "csv")
    np.testing.assert_array_equal(floats(t.out)[0], sm.taylor_softmax([1.0, 2.0], order=4))


def test_temperature_and_dtype(cli):
    run = cli("compute", "-t", "0.5", "--dtype", "float32", "1", "2", "--format", "csv")
    want = sm.softmax(np.array([1, 2], dtype=np.float32), temperature=0.5)
    got = np.array(run.out.strip().split(","), dtype=np.float32)
    np.testing.assert_array_equal(got, want)
    # shortest float32 text, not the float64 expansion of the float32 value
    assert all(len(t) <= 12 for t in run.out.strip().split(","))


def test_reduction_gives_one_value_per_row(cli):
    run = cli("compute", "--method", "logsumexp", "1000", "1000", "--format", "csv")
    assert float(run.out) == float(sm.logsumexp([1000.0, 1000.0]))


def test_table_format_shows_every_element(cli):
    run = cli("compute", "1", "2", "3", "--format", "table", "--precision", "4")
    assert run.code == 0
    for v in ("0.09003", "0.2447", "0.6652"):
        assert v in run.out
    assert "\x1b[" not in run.out  # plain under NO_COLOR / a pipe


def test_auto_format_is_csv_in_a_pipe(cli):
    run = cli("compute", "1", "2")
    assert floats(run.out).shape == (1, 2)


# ---------------------------------------------------------------- files and stdin


CSV = "id,a,b,c\nr1,1,2,3\nr2,-1,0,1000\nr3,5,5,5\n"


def test_file_with_header_and_id_column(cli, tmp_path):
    path = tmp_path / "logits.csv"
    path.write_text(CSV)
    run = cli("compute", "--input", str(path), "--id-column", "id", "--format", "csv")
    assert run.code == 0, run.err
    lines = run.out.strip().splitlines()
    assert lines[0] == "id,a,b,c"
    assert [ln.split(",")[0] for ln in lines[1:]] == ["r1", "r2", "r3"]
    got = np.array([ln.split(",")[1:] for ln in lines[1:]], dtype=float)
    want = sm.softmax(np.array([[1, 2, 3], [-1, 0, 1000], [5, 5, 5]], dtype=float))
    np.testing.assert_array_equal(got, want)


def test_id_column_by_index(cli, tmp_path):
    path = tmp_path / "logits.csv"
    path.write_text(CSV)
    run = cli("compute", "--input", str(path), "--id-column", "1", "--format", "json")
    rows = json.loads(run.out)
    assert [r["id"] for r in rows] == ["r1", "r2", "r3"]


def test_stdin_dash_and_tsv(cli):
    run = cli(
        "compute", "-", "--method", "sparsemax", "--format", "tsv", stdin="1\t2\t2.5\n0\t0\t0\n"
    )
    assert run.code == 0, run.err
    rows = [line.split("\t") for line in run.out.strip().splitlines()]
    assert np.array(rows, dtype=float).tolist() == [[0.0, 0.25, 0.75], [1 / 3] * 3]


def test_rows_out_equal_rows_in_across_chunks(cli, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (150_000, 4))
    path = tmp_path / "big.csv"
    np.savetxt(path, x, delimiter=",", fmt="%.17g")
    run = cli("compute", "--input", str(path), "--format", "csv")
    assert run.code == 0, run.err
    out = np.loadtxt(run.out.splitlines(), delimiter=",")
    assert out.shape == x.shape
    np.testing.assert_array_equal(out, sm.softmax(x))


def test_axis_zero_normalises_columns(cli):
    run = cli("compute", "-", "--axis", "0", "--format", "csv", stdin="1,2\n3,4\n")
    got = floats(run.out)
    np.testing.assert_array_equal(got, sm.softmax(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "stdin", "code", "needle"),
    [
        (["compute", "1", "abc", "3"], None, 1, "argument 2: 'abc' is not a number"),
        (["compute", "-"], "1,2\n3,x\n", 1, "line 2"),
        (["compute", "-"], "1,2\n3\n", 1, "line 2"),
        (["compute", "-"], "", 1, "no vectors"),
        (["compute", "--input", "/nonexistent/file.csv"], None, 1, "/nonexistent/file.csv"),
        (["compute", "--method", "nope", "1"], None, 2, "unknown method 'nope'"),
        (["compute", "--alpha", "1.3", "1", "2"], None, 2, "--alpha does not apply"),
        (["compute", "--method", "entmax", "--alpha", "0.5", "1"], None, 2, "--alpha must be"),
        (["compute", "--method", "sparse-softmax", "1", "2"], None, 1, "k"),
        (["compute", "-t", "0", "1", "2"], None, 2, "--temperature must be"),
        (["compute", "--format", "xml", "1"], None, 2, "xml"),
        (["compute", "--dtype", "float8", "1"], None, 2, "float8"),
        (["nonsense"], None, 2, "nonsense"),
    ],
)
def test_bad_input_is_one_line_on_stderr(cli, args, stdin, code, needle):
    run = cli(*args, stdin=stdin)
    assert run.code == code
    assert run.out == ""
    assert needle in run.err
    assert run.err.count("\n") == 1 and run.err.startswith("error: ")
    assert "Traceback" not in run.err


def test_full_disk_is_one_clear_line():
    run = run_shell("softmax compute 1 2 > /dev/full")
    assert run.code == 1
    assert run.err == "error: cannot write output: No space left on device\n"


def test_directory_input(cli, tmp_path):
    run = cli("compute", "--input", str(tmp_path))
    assert run.code == 1 and str(tmp_path) in run.err and "Traceback" not in run.err


def test_traceback_flag_shows_one(cli):
    with pytest.raises(Exception, match="not a number"):
        from softmax_cli.cli.app import main

        main(["compute", "1", "x", "--traceback"])


# ---------------------------------------------------------------- methods, version, help


def test_methods_lists_every_mapping(cli):
    run = cli("methods", "--format", "json")
    records = json.loads(run.out)
    assert [r["name"] for r in records] == registry.names()
    entmax = next(r for r in records if r["name"] == "entmax")
    assert entmax["parameters"] == {"--alpha": 1.5}
    assert "sparse" in entmax["properties"]
    table = cli("methods", "--format", "table")
    for name in registry.names():
        assert name in table.out


def test_version_and_help(cli):
    assert sm.__version__ in cli("--version").out
    for cmd in ("compute", "methods"):
        run = cli(cmd, "--help")
        assert run.code == 0 and "Examples" in run.out


# ---------------------------------------------------------------- real processes


def test_python_m_entry_point_reads_a_pipe():
    run = run_shell("printf '1,2,3\\n4,5,6\\n' | softmax compute - --format csv")
    assert run.code == 0, run.err
    np.testing.assert_array_equal(floats(run.out), sm.softmax([[1.0, 2, 3], [4, 5, 6]]))


@pytest.mark.skipif(shutil.which("softmax") is None, reason="entry point not installed")
def test_installed_softmax_script_reads_a_pipe():
    proc = subprocess.run(
        [shutil.which("softmax"), "compute", "-", "--method", "sparsemax"],
        input="1 2 2.5\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert floats(proc.stdout)[0].tolist() == [0.0, 0.25, 0.75]


def test_broken_pipe_exits_quietly():
    run = run_shell(
        "seq 1 200000 | awk '{print $1\",\"$1+1}' | softmax compute - | head -1; "
        'echo "status=${PIPESTATUS[2]}"'
    )
    assert "status=141" in run.out  # as a process killed by SIGPIPE, quietly
    assert "Traceback" not in run.err and "Error" not in run.err


def test_start_up_does_not_import_mpmath():
    code = (
        "import sys; from softmax_cli.cli.app import main\n"
        "try:\n    main(['compute', '1', '2', '3', '--format', 'csv'])\n"
        "except SystemExit:\n    pass\n"
        "print('mpmath' in sys.modules, 'matplotlib' in sys.modules, 'scipy' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().endswith("False False False"), proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux script not installed")
def test_progress_bar_on_a_terminal_leaves_stdout_data_intact(tmp_path):
    # stderr (and stdin) on a pseudo-terminal, stdout to a file: the bar is drawn on stderr
    # and must neither reroute nor hold up the CSV on stdout
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (150_000, 4))
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    np.savetxt(src, x, delimiter=",", fmt="%.17g")
    inner = f"{sys.executable} -m softmax_cli compute --input {src} > {dst}"
    proc = subprocess.run(
        ["script", "-qec", inner, "/dev/null"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0
    assert b"rows" in proc.stdout  # the terminal saw the progress bar
    out = np.loadtxt(dst, delimiter=",")
    np.testing.assert_array_equal(out, sm.softmax(x))
