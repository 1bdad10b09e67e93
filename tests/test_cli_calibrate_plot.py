"""``softmax calibrate --plot``: the reliability diagram before and after (issue 17)."""

from __future__ import annotations

import builtins
import struct

import pytest

from softmax_cli import plot_calibration

from .conftest import ROOT

VAL = str(ROOT / "examples" / "val.csv")
ARGS = ["-i", VAL, "-y", "label", "--id-column", "id"]


def _csv_rows(text: str) -> dict[str, dict[str, float]]:
    lines = text.strip().splitlines()
    head = lines[0].split(",")
    return {
        ln.split(",")[0]: dict(zip(head[1:], map(float, ln.split(",")[1:]), strict=True))
        for ln in lines[1:]
    }


def test_plot_writes_a_png_of_the_asked_size_beside_the_data(cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "rel.png"
    run = cli("calibrate", *ARGS, "--plot", str(out), "--plot-size", "800x500", "-fcsv")
    assert run.code == 0 and run.err == ""
    assert set(_csv_rows(run.out)) == {"before", "after"}
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (800, 500)


def test_the_diagram_draws_the_measured_tables(cli, tmp_path, monkeypatch):
    drawn = {}

    def capture(states, path, *, size=None, title=None):
        drawn.update(states=states, path=path, size=size, title=title)
        return path

    monkeypatch.setattr(plot_calibration, "plot_reliability", capture)
    run = cli("calibrate", *ARGS, "--bins", "10", "--plot", str(tmp_path / "r.svg"), "-fcsv")
    assert run.code == 0, run.err
    rows = _csv_rows(run.out)
    (h0, t0, e0), (h1, t1, e1) = drawn["states"]
    assert h0 == "before (τ = 1)" and h1.startswith("after (τ = 2.47")
    assert (e0, e1) == (rows["before"]["ece"], rows["after"]["ece"])
    assert t0.ece == e0 and t1.ece == e1  # the ECE shown is the table's own
    assert len(t0.count) == 10 and int(t0.count.sum()) == int(t1.count.sum()) == 400
    assert drawn["size"] == plot_calibration.RELIABILITY_SIZE
    assert "softmax" in drawn["title"] and "10 equal-width bins" in drawn["title"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "r.gif"], "error: --plot r.gif: the file must end in .png, .svg or .pdf"),
        (["--plot", "r.png", "--plot-size", "9x9"], "error: --plot-size 9x9: each side"),
        (["--plot-size", "900x600"], "error: --plot-size sizes the diagram: add --plot FILE"),
        (["--plot", "r.png", "-q"], "error: --plot draws the measures, which -q leaves out"),
    ],
)
def test_plot_arguments_are_checked_before_reading(cli, args, message):
    run = cli("calibrate", *ARGS, *args)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(message), run.err


def test_plot_without_matplotlib_is_one_line_before_any_output(cli, monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    run = cli("calibrate", *ARGS, "--plot", str(tmp_path / "r.png"))
    assert run.code == 1 and run.out == ""
    assert run.err == (
        "error: --plot needs matplotlib, which is not installed: pip install 'softmax-lab[plot]'\n"
    )
