"""Every cap on work and memory, at its real value, through the command line (issue 8).

Each bound answers at once with one line naming the limit, instead of hours of
work or gigabytes: the oracle's precision and vector length (compare), the
oracle's numerical derivative (grad --check), dense Jacobians (grad), the sweep's
grid and size, the chart's size and rows, and the Taylor order. (A table too big for
a terminal is not refused: it shows head … tail, tests/test_terminal.py.)
"""

from __future__ import annotations

import pytest

from softmax_cli import params
from softmax_cli.analysis import compare as an
from softmax_cli.analysis import sweep as sw
from softmax_cli.cli import grad as cli_grad
from softmax_cli.plot import MAX_PLOT_ROWS, MAX_SIDE, MIN_SIDE


def zeros(n: int, rows: int = 1) -> str:
    return ("0," * (n - 1) + "0\n") * rows


BOUNDS = [
    # (arguments, stdin or None, exit code, the message)
    (["compare", "--dps", str(an.MAX_DPS + 1), "1", "2"], None, 2,
     f"error: --dps must be between {an.MIN_DPS} and {an.MAX_DPS}, got {an.MAX_DPS + 1}"),
    (["compare", "-"], zeros(an.MAX_ENTRIES + 1), 1,
     f"error: a vector of {an.MAX_ENTRIES + 1} entries is past compare's cap of {an.MAX_ENTRIES}"),
    (["grad", "-"], zeros(cli_grad.MAX_JACOBIAN_N + 1), 1,
     f"grad computes it for at most {cli_grad.MAX_JACOBIAN_N:,} logits: ask for J·v (--vector)"),
    (["grad", "--check", "-"], zeros(cli_grad.MAX_CHECK_N + 1), 1,
     f"error: --check takes at most {cli_grad.MAX_CHECK_N} logits, got {cli_grad.MAX_CHECK_N + 1}"),
    (["grad", "--check", "--loss", "ce", "--target", "0", "-"], zeros(cli_grad.MAX_CHECK_N + 1), 1,
     f"error: --check takes at most {cli_grad.MAX_CHECK_N} logits"),
    (["temperature-sweep", "--steps", str(sw.MAX_STEPS + 1), "1", "2"], None, 2,
     f"error: --steps must be between 2 and {sw.MAX_STEPS}, got {sw.MAX_STEPS + 1}"),
    (["temperature-sweep", "--taus", ",".join(map(str, range(1, sw.MAX_STEPS + 2))), "1", "2"],
     None, 2, f"error: --taus: {sw.MAX_STEPS + 1} temperatures is too many"),
    (["temperature-sweep", "--steps", "10000", "-"], zeros(sw.MAX_VALUES // 10_000 + 1), 1,
     f"probabilities; the limit is {sw.MAX_VALUES:,}: use fewer steps"),
    (["temperature-sweep", "1", "2", "--plot", "s.png", "--plot-size", f"{MAX_SIDE + 1}x600"],
     None, 2, f"each side must be between {MIN_SIDE} and {MAX_SIDE} pixels"),
    (["temperature-sweep", "1", "2", "--plot", "s.png", "--plot-size", f"600x{MIN_SIDE - 1}"],
     None, 2, f"each side must be between {MIN_SIDE} and {MAX_SIDE} pixels"),
    (["compute", "--method", "taylor", "--order", str(params.MAX_ORDER + 2), "1", "2"], None, 2,
     f"error: --order must be at most {params.MAX_ORDER}"),
    (["compute", "--precision", "41", "1", "2"], None, 2, "error: Invalid value for '--precision'"),
    (["temperature-sweep", "--top", "51", "1", "2"], None, 2, "error: Invalid value for '--top'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    BOUNDS,
    ids=[" ".join(a for a in b[0] if len(a) < 20) for b in BOUNDS],
)
def test_each_cap_answers_with_one_line(cli, tmp_path, monkeypatch, args, stdin, code, message):
    monkeypatch.chdir(tmp_path)
    run = cli(*args, stdin=stdin)
    assert run.code == code, run.err
    assert message in run.err
    assert run.err.startswith("error: ") and run.err.count("\n") == 1
    assert run.out == ""
    assert not list(tmp_path.iterdir())  # no chart was started


def test_plot_rows_are_capped(cli, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i},1,2\n" for i in range(1, MAX_PLOT_ROWS + 2))  # 0,1,2 is a pandas header
    run = cli("temperature-sweep", "-", "--plot", "s.png", stdin=rows)
    assert run.code == 1
    assert run.err == (
        f"error: --plot draws at most {MAX_PLOT_ROWS} vectors (one row of panels each), and the "
        f"input has more; plot a few rows at a time (e.g. head -n {MAX_PLOT_ROWS})\n"
    )
    assert run.out == "" and not (tmp_path / "s.png").exists()


def test_the_caps_leave_room_for_real_work(cli):
    # below the caps the work is done: a checked Jacobian, a table of 3000 cells, order 1000
    run = cli("grad", "--check", "--format", "csv", "-", stdin=zeros(8))
    assert run.code == 0 and "ok" in run.err
    run = cli("compute", "--format", "table", "-", stdin=zeros(3, 1000))
    assert run.code == 0 and run.out.count("0.333333") == 3000
    assert params.check_order(params.MAX_ORDER) == params.MAX_ORDER


def test_the_library_refuses_bad_orders_with_softmax_input_error():
    from softmax_cli.errors import SoftmaxInputError

    for bad in (params.MAX_ORDER + 2, 10**30, 1e308, "4", None, 3, True):
        with pytest.raises(SoftmaxInputError, match="order must be"):
            params.check_order(bad)
