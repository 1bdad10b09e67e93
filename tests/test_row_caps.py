"""The slow analyses are bounded in time, per row and in total (issues 18 and 21).

``compare`` and ``grad --check`` evaluate every row in arbitrary precision. Each row's
cost is capped before it is spent (compare: estimated from the digits and entries;
grad --check: the oracle's numerical Jacobian timed on its first column), ``--max-rows N``
stops after N rows with a note, and on a terminal the progress bar counts rows with
the time left and a note when the whole run looks longer than a minute.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import softmax_cli as sm
from softmax_cli.analysis import grad as an_grad
from softmax_cli.analysis.compare import limits
from softmax_cli.cli import source
from softmax_cli.io.readers import open_vectors

ROWS = "".join(f"{i},{i + 1},{i + 3}\n" for i in range(5))


@pytest.mark.parametrize("command", [["compare"], ["grad", "--check"]])
def test_max_rows_stops_after_n_rows_and_says_so(cli, command):
    run = cli(*command, "-", "--max-rows", "2", "--format", "csv", stdin=ROWS)
    assert run.code == 0, run.err
    body = run.out.splitlines()[1:]
    if command == ["compare"]:  # one line per entry, labelled by the input line
        assert sorted({line.split(",")[0] for line in body}) == ["1", "2"]
    else:
        assert len(body) == 2
    assert f"note: {command[0]} stopped after 2 rows (--max-rows); the input has more\n" in run.err


@pytest.mark.parametrize("command", [["compare"], ["grad", "--check"]])
def test_max_rows_at_or_past_the_input_is_silent(cli, command):
    for n in ("5", "6"):
        run = cli(*command, "-", "--max-rows", n, "--format", "csv", stdin=ROWS)
        assert run.code == 0, run.err
        assert "note:" not in run.err


@pytest.mark.parametrize("command", ["compare", "grad"])
def test_max_rows_must_be_positive(cli, command):
    run = cli(command, "-", "--max-rows", "0", stdin=ROWS)
    assert run.code == 2 and run.out == ""
    assert run.err == "error: --max-rows must be 1 or more, got 0\n"


def test_compare_max_rows_is_rows_and_max_entries_is_entries(cli):
    # --max-rows used to be a hidden alias of --max-entries; now each says what it counts
    args = ["compare", *map(str, range(30)), "--format", "table"]
    assert cli(*args, "--max-rows", "4").out == cli(*args).out
    assert cli(*args, "--max-entries", "4").out != cli(*args).out


def test_grad_max_rows_keeps_the_rows_bits(cli):
    run = cli("grad", "-", "--loss", "ce", "--target", "1", "--max-rows", "3", "--format", "json",
              stdin=ROWS)  # fmt: skip
    assert run.code == 0, run.err
    got = np.array([list(r.values()) for r in json.loads(run.out)], dtype=np.float64)
    x = np.loadtxt(io.StringIO(ROWS), delimiter=",")[:3]
    loss, grad = sm.losses.cross_entropy(x, np.ones(3, dtype=np.intp))
    assert np.array_equal(got, np.column_stack([loss, grad]))


def test_compare_refuses_a_vector_too_slow_at_its_precision(cli):
    per = limits.estimated_seconds(1, 9990)
    fits = int(limits.MAX_ROW_SECONDS / per)
    run = cli("compare", "--dps", "9990", *map(str, range(fits + 1)))
    assert run.code == 1 and run.out == ""
    assert run.err.startswith(f"error: a vector of {fits + 1} entries at 9990 digits would take")
    assert f"at most {fits} entries at 9990 digits" in run.err and run.err.count("\n") == 1


def test_the_estimate_is_an_upper_bound_at_high_precision():
    # the cap must not refuse work it could do: the estimate stays above a measurement
    # (the measured ratios live in limits.py; here only that the model grows with dps)
    assert limits.estimated_seconds(10, 9990) > limits.estimated_seconds(10, 1000) > 0
    assert limits.estimated_seconds(10, 25) == limits.estimated_seconds(10, 50)


def test_grad_check_refuses_a_row_predicted_too_slow(cli, monkeypatch):
    monkeypatch.setattr(an_grad, "MAX_CHECK_SECONDS", 1e-6)
    run = cli("grad", "--check", "--method", "taylor", "--order", "20", "-", "--format", "csv",
              stdin="1,2,3,4\n")  # fmt: skip
    assert run.code == 1
    assert run.err.startswith("error: checking a row of 4 logits against the oracle would take")
    assert "the cap is 1e-06 s a row" in run.err and run.err.count("\n") == 1


def test_grad_check_under_the_cap_is_unchanged(cli):
    run = cli("grad", "--check", "--method", "taylor", "--order", "20", "1", "2", "3", "-f", "csv")
    assert run.code == 0, run.err
    assert "check vs the mpmath oracle: Jacobian" in run.err


def test_the_oracle_budget_stops_after_the_first_column():
    import mpmath

    from softmax_cli.oracle import derivatives as od

    calls = []

    def fun(v):
        calls.append(1)
        return [mpmath.fsum(v)] * 3

    with od.time_budget(0.0), pytest.raises(od.OracleTooSlow) as err:
        od.numerical_jacobian(fun, [mpmath.mpf(i) for i in range(50)])
    assert len(calls) < 10  # the first evaluation and one column, not 100 evaluations
    assert err.value.seconds > 0
    assert len(od.numerical_jacobian(fun, [mpmath.mpf(1), mpmath.mpf(2)])) == 3  # no budget


class _Reader:
    """A reader part-way through a file: ``read`` rows from ``pos`` of ``size`` bytes."""

    def __init__(self, read: int, pos: int, size: int, max_rows: int | None = None):
        self.read, self._pos, self._size, self.max_rows = read, pos, size, max_rows

    def bytes_read(self):
        return self._pos, self._size


def test_rows_total_is_estimated_from_the_bytes_read():
    bar = source.RowProgress("compare", _Reader(10, 250, 1000), enabled=False, by_rows=True)
    assert bar._rows_total() == 40
    bar = source.RowProgress("compare", _Reader(10, 1000, 1000), enabled=False, by_rows=True)
    assert bar._rows_total() == 10  # all read: exact
    bar = source.RowProgress("compare", _Reader(10, 250, 1000, 25), enabled=False, by_rows=True)
    assert bar._rows_total() == 25  # --max-rows


def test_a_long_run_says_so_once_above_the_bar(monkeypatch, capsys):
    monkeypatch.setattr(source, "ESTIMATE_NOTE_SECONDS", 0.0)
    monkeypatch.setenv("COLUMNS", "40")  # one line whatever the width
    with source.RowProgress("compare", _Reader(10, 100, 1000), enabled=True, by_rows=True) as bar:
        bar.advance(1)
        bar.advance(1)
    err = capsys.readouterr().err
    assert err.count("note: compare of about 100 rows at ") == 1
    assert "--max-rows N stops after N rows" in err and err.strip().count("\n") == 0


def test_row_limit_cuts_inside_a_batch_and_at_its_end():
    text = "".join(f"{i} {i}\n" for i in range(10))
    for cap, rows, cut in [(3, 3, True), (10, 10, False), (12, 10, False)]:
        limit = source.RowLimit(open_vectors(io.StringIO(text), chunk_rows=5), cap)
        got = np.concatenate([b.values for b in limit])
        assert got[:, 0].tolist() == list(range(rows)) and limit.cut is cut
    limit = source.RowLimit(open_vectors(io.StringIO(text), chunk_rows=5), 5)  # a batch's end
    assert sum(len(b.values) for b in limit) == 5 and limit.cut
