"""`softmax calibrate` through the real entry point: the fit, the measures, splits, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import special

from softmax_cli import calibrate
from softmax_cli.cli.app import ExitStatus

from .conftest import run_shell


def _data(n: int, k: int, seed: int, factor: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k)) * 2.0
    t = np.argmax(x + rng.gumbel(size=x.shape), axis=1)  # t ~ softmax(x): calibrated
    return factor * x, t


def _write(path, x, t, *, label_first: bool = False, ids: bool = True) -> str:
    cols = [f"c{j}" for j in range(x.shape[1])]
    head = (["id"] if ids else []) + (["label", *cols] if label_first else [*cols, "label"])
    lines = [",".join(head)]
    for i, (row, lab) in enumerate(zip(x, t, strict=True)):
        vals = [repr(float(v)) for v in row]
        cells = ([f"r{i}"] if ids else []) + (
            [str(lab), *vals] if label_first else [*vals, str(lab)]
        )
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _records(text: str) -> dict[str, dict[str, str]]:
    head, *body = [line.split(",") for line in text.strip().splitlines()]
    return {row[0]: dict(zip(head, row, strict=True)) for row in body}


@pytest.fixture
def split(tmp_path):
    x, t = _data(1500, 5, seed=1, factor=2.5)
    return x, t, _write(tmp_path / "val.csv", x, t)


def test_fit_and_measures_equal_the_library(cli, split):
    x, t, path = split
    run = cli("calibrate", "--input", path, "--label-column", "label", "--id-column", "id",
              "--bins", "10", "--format", "csv")  # fmt: skip
    assert run.code == 0 and run.err == ""
    rec = _records(run.out)
    assert list(rec) == ["before", "after"]
    tau = calibrate.fit_temperature(x, t).temperature
    assert float(rec["after"]["temperature"]) == tau  # written to read back bit for bit
    assert float(rec["before"]["temperature"]) == 1.0
    for state, scale in (("before", 1.0), ("after", tau)):
        p = special.softmax(x / scale, axis=1)
        got = {k: float(v) for k, v in rec[state].items() if k != "state"}
        assert got["nll"] == pytest.approx(calibrate.nll(x, t, temperature=scale), rel=1e-14)
        assert got["ece"] == pytest.approx(calibrate.ece(p, t, bins=10), rel=1e-12)
        assert got["ece_mass"] == pytest.approx(
            calibrate.ece(p, t, bins=10, strategy="mass"), rel=1e-12
        )
        assert got["mce"] == pytest.approx(calibrate.mce(p, t, bins=10), rel=1e-12)
        assert got["brier"] == pytest.approx(calibrate.brier(p, t), rel=1e-12)
        assert got["accuracy"] == np.mean(p.argmax(1) == t)
    assert float(rec["after"]["nll"]) < float(rec["before"]["nll"])
    assert float(rec["after"]["ece"]) < float(rec["before"]["ece"])


def test_label_column_by_index_and_first(cli, tmp_path):
    x, t = _data(400, 4, seed=2, factor=0.5)
    ref = calibrate.fit_temperature(x, t).temperature
    a = _write(tmp_path / "a.csv", x, t, label_first=True)
    b = _write(tmp_path / "b.csv", x, t, ids=False)
    by_index = cli("calibrate", "-q", "--input", a, "--id-column", "1", "--label-column", "2")
    by_name = cli("calibrate", "-q", "--input", b, "-y", "label")
    bare = tmp_path / "c.csv"
    bare.write_text("".join(open(b).readlines()[1:]))  # no header: positions only
    plain = cli("calibrate", "-q", "--input", str(bare), "-y", "5")
    assert by_index.code == by_name.code == plain.code == 0, by_index.err + by_name.err
    assert float(by_index.out) == float(by_name.out) == float(plain.out) == ref


def test_fit_on_one_split_apply_to_another(cli, tmp_path):
    xv, tv = _data(800, 5, seed=3, factor=3.0)
    xt, tt = _data(600, 5, seed=4, factor=3.0)
    val = _write(tmp_path / "val.csv", xv, tv)
    test = _write(tmp_path / "test.csv", xt, tt)
    run = cli("calibrate", "--fit", val, "--apply", test, "-y", "label", "--id-column", "id",
              "-f", "jsonl")  # fmt: skip
    assert run.code == 0, run.err
    before, after = (json.loads(line) for line in run.out.splitlines())
    tau = calibrate.fit_temperature(xv, tv).temperature
    assert after["temperature"] == tau
    assert after["nll"] == pytest.approx(calibrate.nll(xt, tt, temperature=tau), rel=1e-14)
    assert before["nll"] == pytest.approx(calibrate.nll(xt, tt), rel=1e-14)


def test_stdin_and_the_tau_goes_into_compute(split):
    x, t, path = split
    run = run_shell(
        f"t=$(cat {path} | softmax calibrate - -q -y label --id-column id) && "
        f"softmax compute --input {path} --id-column id --temperature $t --format csv | head -2"
    )
    assert run.code == 0, run.err
    tau = calibrate.fit_temperature(x, t).temperature
    head, first = run.out.strip().splitlines()
    assert head.split(",")[0] == "id" and head.split(",")[-1] == "label"
    # the label column is a value column to compute: softmax over all six columns
    row = np.append(x[0], t[0]) / tau
    got = np.array([float(v) for v in first.split(",")[1:]])
    np.testing.assert_allclose(got, special.softmax(row), rtol=1e-15)


def test_sparsemax_fit(cli, split):
    x, t, path = split
    run = cli("calibrate", "-q", "--input", path, "-y", "label", "--id-column", "id",
              "--method", "sparsemax")  # fmt: skip
    assert run.code == 0, run.err
    assert float(run.out) == calibrate.fit_temperature(x, t, method="sparsemax").temperature


def test_table_on_a_terminal(cli, split):
    _, _, path = split
    run = cli("calibrate", "--input", path, "-y", "label", "--id-column", "id", "-f", "table")
    assert run.code == 0, run.err
    assert "ECE, equal-mass bins" in run.out and "reliability, 15 equal-width bins" in run.out
    assert "[0.933, 1]" in run.out  # the last bin is closed
    assert "…" not in run.out
    assert all(len(line) <= 80 for line in run.out.splitlines())


@pytest.mark.parametrize(
    "extra, code, words",
    [
        ([], ExitStatus.USAGE, "--label-column is required"),
        (["-y", "nope"], ExitStatus.USAGE, "--label-column 'nope' is not in the header"),
        (["-y", "9"], ExitStatus.USAGE, "--label-column 9 is out of range"),
        (["-y", "1"], ExitStatus.USAGE, "is the id column"),
        (["-y", "label", "--method", "logsumexp"], ExitStatus.USAGE, "--method logsumexp"),
        (["-y", "label", "--bins", "0"], ExitStatus.USAGE, "--bins must be at least 1"),
    ],
)
def test_bad_options(cli, split, extra, code, words):
    _, _, path = split
    run = cli("calibrate", "--input", path, "--id-column", "id", *extra)
    assert run.code == code
    assert words in run.err and run.err.count("\n") == 1 and run.out == ""


@pytest.mark.parametrize(
    "label, words",
    [("7", "line 3, label 'label': 7 is not a class index"), ("1.5", "1.5 is not a class")],
)
def test_bad_labels_are_bad_input(cli, label, words):
    text = "a,b,label\n1,2,0\n3,4," + label + "\n"
    run = cli("calibrate", "-", "-y", "label", stdin=text)
    assert run.code == ExitStatus.INPUT and words in run.err
    assert "0 … 1" in run.err


def test_no_minimum_is_bad_input(cli):
    run = cli("calibrate", "-", "-y", "label", stdin="a,b,label\n2,0,0\n0,2,1\n")
    assert run.code == ExitStatus.INPUT
    assert "temperature goes to 0" in run.err and run.err.count("\n") == 1
