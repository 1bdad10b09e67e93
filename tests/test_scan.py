"""``compare --scan``: the worst error against the scale, the dtype's limits where they are.

The overflow scale s* is checked against the dtype's own ``exp`` (numpy, ml_dtypes):
``exp(max x · s)`` is finite just below s* and inf just above; the scan's data must put
the first naive failure at the step holding s*, and the chart its mark in that column.
"""

from __future__ import annotations

import csv
import io

import mpmath
import numpy as np
import pytest

from softmax_cli.analysis.compare import subject
from softmax_cli.analysis.scan import default_scales, scan, threshold_scales
from softmax_cli.floats import parse_dtype

X = np.array([1.0, 2.0, 3.0])
DTYPES = ["float64", "float32", "float16", "bfloat16"]


@pytest.mark.parametrize("name", DTYPES)
def test_the_overflow_scale_is_where_the_dtypes_own_exp_overflows(name):
    """The floats of the dtype on either side of max x · s*: exp finite below, inf above."""
    dt = parse_dtype(name)
    exact = 3 * threshold_scales(X, dt)["overflow"]  # an mpf: max x · s*, not rounded
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    near = np.array([float(exact)]).astype(dt)
    word = int(near.view(u)[0])
    lo, hi = (word, word + 1) if mpmath.mpf(float(near[0])) <= exact else (word - 1, word)
    below, above = np.array([lo, hi]).astype(u).view(dt)
    assert mpmath.mpf(float(below)) <= exact < mpmath.mpf(float(above))
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(np.array([below]))).all()
        assert np.isinf(np.exp(np.array([above]))).all()


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("method", ["softmax", "log-softmax", "logsumexp"])
def test_the_scan_data_fails_the_naive_form_from_the_overflow_step_on(name, method):
    dt = parse_dtype(name)
    sc = scan(X, subject(method), dt, default_scales(X, dt, 24, None), dps=25)
    over = next(t for t in sc.thresholds if t.name == "overflow")
    bad = np.flatnonzero(~np.isfinite(sc.worst["naive"]))
    assert bad.size and bad[0] == over.step and np.all(bad == np.arange(over.step, 24))
    assert sc.scales[over.step - 1] < over.scale <= sc.scales[over.step]
    assert np.all(sc.worst["accurate"] <= 1.0)  # the library stays within an ULP throughout


def test_absorption_is_where_the_other_terms_fall_below_half_an_ulp_of_one():
    dt = np.dtype(np.float32)
    s = float(threshold_scales(X, dt)["absorption"])
    rest = lambda v: np.exp(-v) + np.exp(-2 * v)  # noqa: E731  (x − max = −1, −2)
    assert rest(s * (1 - 1e-9)) > 2.0**-24 > rest(s * (1 + 1e-9))
    x = np.array([-5.0, -6.0])
    assert set(threshold_scales(x, dt)) == {"underflow", "absorption"}


def test_the_chart_marks_the_overflow_in_the_column_where_naive_fails(cli):
    r = cli("compare", "--scan", "--dtype", "float16", "1", "2", "3", "--format", "table")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    top = next(line for line in lines if line.strip().startswith("nan/inf"))
    marks = next(line for line in lines if line.strip() == "O" or line.strip().startswith("O "))
    assert top.index("n", top.index("│")) == marks.index("O")  # naive fails on the mark
    assert "O overflow (step" in r.out and "float16's largest" in r.out
    assert all(len(line) <= 80 for line in lines)


def test_the_scan_in_a_pipe_is_data_with_the_limits_in_their_step(cli):
    r = cli("compare", "--scan", "--dtype", "bfloat16", "--scan-steps", "16", "1", "2", "3")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [k for k in rows[0]] == [
        "scale", "naive", "shifted", "accurate", "threshold", "threshold_scale",
    ]  # fmt: skip
    k = next(i for i, row in enumerate(rows) if "overflow" in row["threshold"])
    assert [row["naive"] == "inf" for row in rows] == [i >= k for i in range(16)]
    s_star = float(rows[k]["threshold_scale"].split(",")[0])
    assert float(rows[k - 1]["scale"]) < s_star <= float(rows[k]["scale"])


def test_scan_plot_writes_a_png_and_an_svg(cli, tmp_path):
    pytest.importorskip("matplotlib")
    png, svg = tmp_path / "scan.png", tmp_path / "scan.svg"
    r = cli("compare", "--scan", "--scan-steps", "8", "1", "2", "3", "--plot", str(png))
    assert r.code == 0, r.err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    r = cli("compare", "--scan", "--scan-steps", "8", "1", "2", "3", "--plot", str(svg))
    assert r.code == 0 and "overflow s = 236.6" in svg.read_text()


def test_scan_usage_errors_are_one_line(cli):
    r = cli("compare", "--scan-to", "5", "1", "2")
    assert r.code == 2 and r.err == "error: --scan-to goes with --scan\n"
    r = cli("compare", "--scan", "-t", "2", "1", "2")
    assert r.code == 2 and r.err.startswith("error: --temperature does not combine with --scan")
    r = cli("compare", "--scan", "-", stdin="1,2\n3,4\n")
    assert r.code == 1 and "takes one vector of logits, got 2 rows" in r.err
    r = cli("compare", "--scan", "--scan-steps", "2", "1", "2")
    assert r.code == 2 and "--scan-steps must be between 4 and 2000" in r.err
