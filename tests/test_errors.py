"""Structured errors: the library names parameters, the command line names flags.

The library never spells a command-line flag; an error about a parameter says which
(``err.param``), and the entry point turns it into the flag of the command being run and
exit status 2 (a bad option value). Bad data is status 1. Only ``cli/app.py`` exits.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from softmax_cli import (
    SoftmaxInputError,
    losses,
    params,
    processors,
    registry,
    sampling,
    softmax,
)
from softmax_cli.analysis import sweep
from softmax_cli.cli.app import ExitStatus

PACKAGE = Path(__file__).resolve().parent.parent / "softmax_cli"
FLAG = re.compile(r"(?<![\w-])--[a-z]")
ERRORS = {"SoftmaxInputError", "InputError", "_TokenError"}


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _library_messages() -> list[tuple[str, int, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in ERRORS:
                    for arg in node.args:
                        out += [(rel, node.lineno, s) for s in _strings(arg)]
            elif isinstance(node, ast.Assign) and any(
                getattr(t, "id", "").endswith("_HINT") for t in node.targets
            ):
                out += [(rel, node.lineno, s) for s in _strings(node.value)]
    return out


def test_the_scan_sees_the_library_messages():
    found = _library_messages()
    assert len(found) > 100
    assert any("{param}" in s for _, _, s in found)


def test_no_library_message_names_a_command_line_flag():
    bad = [f"{f}:{line}: {s!r}" for f, line, s in _library_messages() if FLAG.search(s)]
    assert not bad, "library messages that name a flag (write {param} and pass param=):\n" + (
        "\n".join(bad)
    )


def test_only_the_entry_point_exits():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel != "cli/app.py" and re.search(r"typer\.Exit|sys\.exit\(|raise SystemExit", text):
            offenders.append(rel)
    assert not offenders


@pytest.mark.parametrize(
    ("call", "param", "text"),
    [
        (lambda: params.check_alpha(0.5), "alpha", "alpha must be a finite number >= 1"),
        (lambda: params.check_top_k(0), "k", "k (top-k) must be an integer >= 1, got 0"),
        (lambda: losses.check_smoothing(2), "label_smoothing", "label smoothing must be in"),
        (lambda: sweep.tau_grid(2, 1, 5), "tau_min", "tau_min must be below tau_max"),
        (lambda: registry.get("nope"), "method", "unknown method 'nope'"),
        (lambda: registry.get_loss("nope"), "loss", "unknown loss 'nope'"),
        (lambda: processors.top_p([1.0, 2.0], 1.5), "top_p", "top_p must be a number in (0, 1]"),
        (lambda: sampling.plan("tgi"), "preset", "unknown preset 'tgi'"),
        (lambda: sampling.plan(None, "top_k"), "top_k", "the chain runs top_k: give top_k"),
    ],
)
def test_library_errors_carry_their_parameter(call, param, text):
    with pytest.raises(SoftmaxInputError) as info:
        call()
    assert info.value.param == param
    assert str(info.value).startswith(text)


def test_the_command_line_names_the_flag_the_library_names_the_parameter():
    err = SoftmaxInputError(
        "{param} 'a{param}{format}.png' is bad; see {format}", param="plot", also=("format",)
    )
    assert str(err) == "plot 'a{param}{format}.png' is bad; see format"
    flags = {"plot": "--plot", "format": "--format"}.get
    # user text between the names (here a path holding braces) is never rewritten
    assert err.naming(flags) == "--plot 'a{param}{format}.png' is bad; see --format"


@pytest.mark.parametrize(
    ("args", "stdin", "status", "first"),
    [
        (["compute", "1", "x"], None, ExitStatus.INPUT, "error: argument 2: 'x' is not a number"),
        (["compute", "-"], "a,b\n1,z\n", ExitStatus.INPUT, "error: <stdin>: line 2"),
        (["compute", "-t", "0", "1"], None, ExitStatus.USAGE, "error: --temperature must be"),
        (["compute", "--top-p", "1.5", "-m", "top-p", "1"], None, ExitStatus.USAGE, "--top-p"),
        (["compute", "-m", "entmax", "--alpha", "0.5", "1"], None, ExitStatus.USAGE, "--alpha"),
        (["compute", "--method", "nope", "1"], None, ExitStatus.USAGE, "error: unknown method"),
        (["compute", "--axis", "2", "1"], None, ExitStatus.USAGE, "error: --axis must be -1"),
        (["compute", "--precision", "0", "1"], None, ExitStatus.USAGE, "error: Invalid value"),
        (["compare", "--dps", "5", "1", "2"], None, ExitStatus.USAGE, "error: --dps must be"),
        (["compare", "--target", "9", "-m", "ce", "1", "2"], None, ExitStatus.USAGE,
         "error: --target must be a class index"),
        (["compare", "--check", "--max-ulp", "0", "-m", "lse", "-0.6931471805599453",
          "-0.6931471805599453"], None, ExitStatus.CHECK, "check failed"),
        (["grad", "--loss", "hinge", "--target", "0", "1"], None, ExitStatus.USAGE,
         "'hinge' is not one of 'ce'"),
        (["grad", "--vector", "1", "1", "2"], None, ExitStatus.USAGE, "error: --vector has 1"),
        (["grad", "1", "2", "3", "--check", "--max-ulp", "0"], None, ExitStatus.CHECK, ""),
        (["temperature-sweep", "--steps", "1", "1", "2"], None, ExitStatus.USAGE,
         "error: --steps must be"),
        (["temperature-sweep", "--top", "1", "1", "2"], None, ExitStatus.USAGE, "error: "),
        # issue 21: option values that exited 1, or raised
        (["compute", "-m", "taylor", "--order", "3", "1", "2"], None, ExitStatus.USAGE,
         "error: --order must be"),
        (["compute", "-m", "top-k", "--top-k", "-1", "1", "2"], None, ExitStatus.USAGE,
         "error: --top-k must be"),
        (["temperature-sweep", "--steps", "1000000000", "1", "2"], None, ExitStatus.USAGE,
         "error: --steps must be between 2 and 10000"),
        (["temperature-sweep", "--plot-size", "0x0", "--plot", "x.png", "1", "2"], None,
         ExitStatus.USAGE, "error: --plot-size 0x0"),
        (["compare", "--dps", "10000", "1", "2", "3"], None, ExitStatus.USAGE,
         "error: --dps must be between 25 and 9990"),
        # issue 18: an unknown option is a usage error with close matches, never data
        (["compute", "-", "--input-fmt", "tsv"], "1\t2\n", ExitStatus.USAGE,
         "no such option --input-fmt for 'compute'; did you mean --input-format or --input?"),
        (["compute", "--methd", "sparsemax", "1", "2"], None, ExitStatus.USAGE,
         "did you mean --method"),
        (["grad", "-x", "1", "2"], None, ExitStatus.USAGE, "error: no such option -x"),
        (["temperature-sweep", "--bogus=3", "1", "2"], None, ExitStatus.USAGE,
         "error: no such option --bogus"),
        (["sample", "--top-p", "2", "1", "2"], None, ExitStatus.USAGE, "error: --top-p must be"),
        (["sample", "1", "nan"], None, ExitStatus.INPUT, "error: token 1 of row 1 is nan"),
    ],
)  # fmt: skip
def test_exit_status_by_kind_of_error(cli, args, stdin, status, first):
    run = cli(*args, stdin=stdin)
    assert run.code == status, run.err
    if status != ExitStatus.CHECK:
        assert run.out == "" and run.err.count("\n") == 1
    assert first in run.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-1000", "-2000"], [-1000.0, -2000.0]),
        (["-inf", "0"], [float("-inf"), 0.0]),
        (["-1e-3", "-.5"], [-1e-3, -0.5]),
        (["-Infinity,-1,2"], [float("-inf"), -1.0, 2.0]),
        (["--", "-x"], None),  # after --, a value: reported as not a number (exit 1)
    ],
)
def test_negative_numbers_stay_numbers_beside_the_unknown_option_check(cli, args, expected):
    run = cli("compute", "--format", "json", *args)
    if expected is None:
        assert run.code == ExitStatus.INPUT and "'-x' is not a number" in run.err
        return
    assert run.code == 0, run.err
    got = [r if isinstance(r, list) else list(r.values()) for r in json.loads(run.out)]
    assert got == [softmax(np.array(expected)).tolist()]


def test_an_unsure_oracle_is_one_line_not_a_traceback(cli, monkeypatch):
    """The oracle raises OracleUnsure rather than answer past its precision cap (issue 19,
    Taylor at high order); the CLI says so in one line, exit status 1."""
    from softmax_cli.errors import OracleUnsure
    from softmax_cli.oracle import variants

    def unsure(*args, **kwargs):
        raise OracleUnsure("Taylor polynomial of order 1000 at -56: cancellation beyond the cap")

    monkeypatch.setattr(variants, "taylor_softmax", unsure)
    run = cli("compare", "--method", "taylor", "--order", "1000", "-56", "-55.5", "0")
    assert run.code == 1, run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert run.err.startswith("error: the oracle cannot check this input: Taylor polynomial")
