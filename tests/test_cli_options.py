"""One meaning per option name across commands, and the output format a pipe gets (issue 13,
item 8): ``--precision`` is significant digits everywhere; ``--max-entries`` (the old
``--top`` kept as a hidden alias; compare's old ``--max-rows`` is now a row cap);
``compare --method`` completes losses;
``--picture``/``--no-tables`` act in a pipe or are refused; auto follows the input's format.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli.cli.app import _register_commands, app

COMMANDS = ["compute", "compare", "grad", "temperature-sweep", "sample"]


def _command(name: str):
    from typer.main import get_command

    _register_commands()
    return get_command(app).commands[name]


def _option(command: str, flag: str):
    return next(p for p in _command(command).params if flag in getattr(p, "opts", ()))


@pytest.mark.parametrize("command", COMMANDS)
def test_precision_means_significant_digits_in_every_command(command):
    assert _option(command, "--precision").help.startswith("Significant digits")


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "1", "2", "3"],
        ["compare", "1", "2", "3"],
        ["grad", "1", "2", "3", "--loss", "ce", "--target", "0"],
    ],
)
def test_three_digits_are_three_significant_digits(cli, args):
    p = sm.softmax(np.array([1.0, 2.0, 3.0]))
    run = cli(*args, "--format", "table", "--precision", "3")
    assert run.code == 0, run.err
    # p = [0.0900306, 0.244728, 0.665241]: to 3 significant digits 0.245 and 0.665
    assert f"{p[1]:.3g}" in run.out and f"{p[2]:.3g}" in run.out
    shown = re.sub(r"\d\.\d{15,}", "", run.out)  # compare's oracle column keeps 17 digits
    assert f"{p[1]:.4g}" not in shown and f"{p[2]:.4g}" not in shown


def test_compare_precision_counts_significant_not_decimal_digits(cli):
    # 8 digits after the point would print 0.09003057; 8 significant digits 0.090030573
    p = sm.softmax(np.array([1.0, 2.0, 3.0]))
    run = cli("compare", "1", "2", "3", "--format", "table", "--precision", "8")
    assert np.format_float_positional(p[0], precision=8, fractional=False) in run.out


@pytest.mark.parametrize(
    ("command", "old", "args"),
    [
        # compare's old --max-rows is now the row cap of issue 18 (tests/test_row_caps.py)
        ("temperature-sweep", "--top", ["temperature-sweep", *map(str, range(9)), "-f", "table"]),
    ],
)
def test_max_entries_is_the_one_name_and_the_old_one_a_hidden_alias(cli, command, old, args):
    assert not _option(command, "--max-entries").hidden
    assert _option(command, old).hidden
    new = cli(*args, "--max-entries", "4")
    assert new.code == 0, new.err
    assert cli(*args, old, "4").out == new.out
    assert cli(*args).out != new.out  # it does something


def test_compare_method_completes_losses_too():
    param = _option("compare", "--method")
    ctx = _command("compare").make_context("compare", ["1"], resilient_parsing=True)
    offered = [c.value for c in param.shell_complete(ctx, "")]
    assert {"softmax", "sparsemax", "cross-entropy", "neg-prob", "entmax-loss"} <= set(offered)
    assert [c.value for c in param.shell_complete(ctx, "cross")] == ["cross-entropy"]


def test_picture_in_a_pipe_draws_it(cli):
    run = cli("temperature-sweep", "--method", "sparsemax", "1", "2", "2.5",
              "--picture", "bars", "--no-tables")  # fmt: skip
    assert run.code == 0, run.err
    assert "▏" in run.out or "█" in run.out  # bars, not CSV
    assert "tau," not in run.out and "max p" not in run.out  # no CSV header, no tables
    table = cli("temperature-sweep", "--method", "sparsemax", "1", "2", "2.5", "--format", "table",
                "--picture", "bars", "--no-tables")  # fmt: skip
    assert run.out == table.out


@pytest.mark.parametrize("extra", [["--picture", "bars"], ["--no-tables"], ["--tables"]])
def test_picture_with_a_machine_format_is_a_usage_error(cli, extra):
    run = cli("temperature-sweep", "1", "2", "--format", "csv", *extra)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"error: {extra[0]} ") and "--format table" in run.err


@pytest.fixture
def inputs(tmp_path):
    rows = [[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]
    tsv = tmp_path / "x.tsv"
    tsv.write_text("a\tb\tc\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    js = tmp_path / "x.json"
    js.write_text(json.dumps(rows, indent=1))
    csv = tmp_path / "x.csv"
    csv.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    return {"tsv": tsv, "jsonl": jsonl, "json": js, "csv": csv}, np.array(rows)


def _read(fmt: str, text: str) -> np.ndarray:
    if fmt == "tsv":
        lines = text.splitlines()
        assert "," not in text and "\t" in lines[0]
        return np.array([line.split("\t") for line in lines[1:]], dtype=float)
    if fmt == "jsonl":
        return np.array([json.loads(line) for line in text.splitlines()], dtype=float)
    if fmt == "json":
        return np.array(json.loads(text), dtype=float)
    return np.array([line.split(",") for line in text.splitlines()], dtype=float)


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "json", "csv"])
def test_auto_in_a_pipe_follows_the_input_format(cli, inputs, fmt):
    files, rows = inputs
    run = cli("compute", "--input", str(files[fmt]))
    assert run.code == 0, run.err
    np.testing.assert_array_equal(_read(fmt, run.out), sm.softmax(rows))
    assert cli("compute", "--input", str(files[fmt]), "--format", "csv").out.count("\t") == 0


@pytest.mark.parametrize("command", ["compare", "temperature-sweep", "grad"])
def test_every_command_follows_a_tsv_input(cli, inputs, command):
    files, _ = inputs
    run = cli(command, "--input", str(files["tsv"]))
    assert run.code == 0, run.err
    first = run.out.splitlines()[0]
    assert "\t" in first and "," not in first


def test_arguments_give_csv(cli):
    assert cli("compute", "1", "2").out.count(",") == 1


READING = ["compute", "compare", "grad", "temperature-sweep", "sample", "calibrate"]


@pytest.mark.parametrize("command", READING)
def test_reading_options_follow_input_and_the_input_panel_comes_last(command):
    """The shared decorator places them where each command used to list them itself."""
    names = [p.name for p in _command(command).params]
    after = names[names.index("input") + 1 : names.index("input") + 5]
    wanted = ["header", "id_column", "columns", "delimiter"]
    if command == "sample":  # sample takes no --columns
        wanted.remove("columns")
    assert after[: len(wanted)] == wanted
    assert names[-3:] == ["input_format", "array", "field"]


def test_open_source_takes_a_reading_option_by_name_and_refuses_others(tmp_path):
    from softmax_cli.cli.source import open_source

    path = tmp_path / "x.csv"
    path.write_text("a,1,2\nb,3,4\n")
    with open_source(None, str(path), dtype=np.dtype("float64"), id_column="1") as reader:
        rows = [(b.ids, b.values.tolist()) for b in reader]
    assert rows == [(["a", "b"], [[1.0, 2.0], [3.0, 4.0]])]
    with pytest.raises(TypeError, match="delimter"):
        open_source(None, str(path), dtype=np.dtype("float64"), delimter=";")


def test_a_reading_option_with_arguments_is_named(cli):
    res = cli("compute", "1", "2", "--delimiter", ";")
    assert res.code == 2
    assert "--delimiter applies to file or stdin input" in res.err
