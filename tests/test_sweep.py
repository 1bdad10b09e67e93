"""Temperature sweeps: the analysis (against the oracle), the terminal pictures, the chart.

Golden pictures live in tests/golden/sweep_*.txt, rendered with
``Console(width=80, color_system=None)``. After an intended change of the
drawing, regenerate them with::

    python -m tests.golden_files --update

and read the diff before committing.
"""

from __future__ import annotations

import builtins
import math
import re
import struct
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from rich.console import Console

import softmax_cli as sm
from softmax_cli import oracle, registry
from softmax_cli.analysis import sweep as sw
from softmax_cli.errors import SoftmaxInputError
from softmax_cli.render.sweep import Heatmap, StackedBars, sweep_report

from .conftest import ROOT, check_golden, render

GOLDEN = Path(__file__).parent / "golden"
X = [1.0, 2.0, 3.0, 4.0]

# [mpmath.nstr(v, 20) for v in oracle.evaluate("softmax", [1, 2, 3, 4], temperature=tau)]
# mpmath.nstr(oracle.evaluate("logsumexp", [1, 2, 3, 4], temperature=tau), 20)  # = τ·LSE(x/τ)
REFERENCE = {
    0.1: (
        ["9.3571981334146610684e-14", "2.0610600462088717232e-9",
         "0.00004539786860886243837", "0.99995460007023751937"],
        "4.0000045400960370485",
    ),
    1.0: (
        ["0.032058603280084988451", "0.087144318742032567489",
         "0.2368828180899101323", "0.64391425988797231176"],
        "4.4401896985611953305",
    ),
    10.0: (
        ["0.21383822036598442976", "0.23632778232153766168",
         "0.26118259215507558414", "0.28865140515740232442"],
        "16.425355294551627345",
    ),
}  # fmt: skip


# ---------------------------------------------------------------- the reference example


def test_reference_example_matches_the_oracle():
    s = sw.sweep(X, list(REFERENCE))
    assert s.taus.tolist() == [0.1, 1.0, 10.0]
    for j, (probs, lse) in enumerate(REFERENCE.values()):
        exact = [mpmath.mpf(v) for v in probs]
        assert oracle.ulp_error(s.p[j], exact, np.float64).max() <= 2
        assert oracle.ulp_error(s.tau_lse[j], mpmath.mpf(lse), np.float64) <= 2
        assert s.max_p[j] == s.p[j, 3]
    # the numbers of the issue, as printed to 4 digits
    assert s.p[1].round(4).tolist() == [0.0321, 0.0871, 0.2369, 0.6439]
    assert s.p[2].round(4).tolist() == [0.2138, 0.2363, 0.2612, 0.2887]
    assert [f"{v:.3g}" for v in s.p[0]] == ["9.36e-14", "2.06e-09", "4.54e-05", "1"]
    assert [round(float(s.tau_lse[j] / s.taus[j]), 4) for j in (1, 2)] == [4.4402, 1.6425]
    assert round(float(s.tau_lse[0]), 4) == 4.0


def test_the_default_grid_holds_the_reference_temperatures():
    s = sw.sweep(X)
    assert s.steps == sw.DEFAULT_STEPS == 17
    assert {0.01, 0.1, 1.0, 10.0, 100.0} <= set(s.taus.tolist())
    np.testing.assert_array_equal(s.p[s.taus.tolist().index(1.0)], sm.softmax(X))


def test_gap_to_max_keeps_its_digits_where_tau_lse_rounds_to_max():
    s = sw.sweep(X, [0.01])
    assert s.tau_lse[0] == 4.0  # τ·LSE has rounded to max x ...
    # ... but the gap is exact: mpmath.nstr(oracle.evaluate("logsumexp", [1, 2, 3, 4],
    #     temperature=0.01, dps=80) - 4, 20)
    exact = mpmath.mpf("3.7200759760208435565e-46")
    assert oracle.ulp_error(s.lse_gap[0], exact, np.float64) <= 4


# ---------------------------------------------------------------- limits and monotonicity


@pytest.mark.parametrize("seed", range(5))
def test_softmax_entropy_increases_with_tau(seed):
    x = np.random.default_rng(seed).normal(0, 3, 7)
    s = sw.sweep(x, sw.tau_grid(0.05, 50, 60))
    assert (np.diff(s.entropy) > 0).all()
    assert (np.diff(s.max_p) <= 0).all()  # max p rounds to 1 at small τ; H and 1 − Σp² do not
    assert (np.diff(s.gini) > 0).all()
    assert 0 < s.entropy[0] < s.entropy[-1] < s.entropy_max


def test_limits_one_hot_and_uniform():
    s = sw.sweep(X, [1e-3, 1e6])
    assert s.p[0].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert s.entropy[0] == 0 and s.gini[0] == 0
    np.testing.assert_allclose(s.p[-1], 0.25, rtol=1e-5)
    assert s.entropy[-1] == pytest.approx(math.log(4), rel=1e-9)
    assert s.gini[-1] == pytest.approx(0.75, rel=1e-9)
    assert s.lse_gap[-1] == pytest.approx(1e6 * math.log(4) - 1.5, rel=1e-9)


@pytest.mark.parametrize("method", ["sparsemax", "entmax15", "entmax"])
def test_sparse_support_grows_with_tau(method):
    x = np.array([0.3, -1.2, 2.0, 1.1, 0.9, -0.4, 1.7])
    s = sw.sweep(x, sw.tau_grid(0.01, 100, 80), method=method)
    assert s.support is not None
    assert (np.diff(s.support) >= 0).all()
    assert s.support[0] == 1 and s.support[-1] == x.size
    np.testing.assert_array_equal(s.support, np.count_nonzero(s.p, axis=1))


def test_non_sparse_maps_report_no_support():
    assert sw.sweep(X, [1.0]).support is None
    assert sw.sweep(X, [1.0], method="taylor").support is None


@pytest.mark.parametrize("seed", range(4))
def test_entropy_and_gini_keep_relative_accuracy_near_one_hot(seed):
    x = np.random.default_rng(seed).normal(0, 3, 6)
    taus = [0.02, 0.05, 1.0, 50.0]
    s = sw.sweep(x, taus)
    for j, tau in enumerate(taus):
        # near one-hot 1 − Σp² cancels ~90 digits at τ = 0.02: the oracle works at 400
        p = oracle.evaluate("softmax", x, temperature=tau, dps=400)
        with mpmath.workdps(400):
            exact_h = -sum(v * mpmath.log(v) for v in p)
            exact_g = 1 - sum(v * v for v in p)
        # the naive formulas lose these: p_max rounds to 1, so log(p_max), 1 − p_max² are 0
        assert oracle.ulp_error(s.entropy[j], exact_h, np.float64) <= 4
        assert oracle.ulp_error(s.gini[j], exact_g, np.float64) <= 4


def test_bits_are_nats_over_log_2():
    nats, bits = sw.sweep(X, [0.5, 2.0]), sw.sweep(X, [0.5, 2.0], bits=True)
    np.testing.assert_allclose(bits.entropy, nats.entropy / math.log(2), rtol=1e-15)
    assert bits.unit == "bits" and bits.entropy_max == pytest.approx(2.0)


def test_minus_inf_entries_are_allowed_and_left_out_of_the_uniform_limit():
    s = sw.sweep([0.0, -np.inf, 1.0], [1.0, 1e9])
    assert (s.p[:, 1] == 0).all()
    assert s.n_finite == 2 and s.entropy_max == pytest.approx(math.log(2))
    assert s.entropy[-1] == pytest.approx(math.log(2), rel=1e-9)


def test_float32_sweep_stays_float32():
    s = sw.sweep(np.array(X, dtype=np.float32), [1.0])
    assert s.p.dtype == np.float32 and s.tau_lse.dtype == np.float32
    np.testing.assert_array_equal(s.p[0], sm.softmax(np.array(X, dtype=np.float32)))


def test_stochastic_maps_share_one_drawn_seed_across_tau():
    s = sw.sweep(X, [0.01, 1.0], method="gumbel-softmax")
    seed = s.params["seed"]
    assert s.seed_drawn and isinstance(seed, int)
    again = sw.sweep(X, [0.01, 1.0], method="gumbel-softmax", seed=seed)
    np.testing.assert_array_equal(s.p, again.p)
    assert not again.seed_drawn
    g = sm.variants.gumbel_noise((4,), seed)
    assert int(np.argmax(s.p[0])) == int(np.argmax(np.array(X) + g))  # the τ → 0 sample


# ---------------------------------------------------------------- the grid and the checks


def test_tau_grid_is_exact_at_the_ends_and_at_powers_of_ten():
    assert sw.tau_grid(0.01, 100, 9).tolist()[::2] == [0.01, 0.1, 1.0, 10.0, 100.0]
    g = sw.tau_grid(0.3, 7, 11)
    assert g[0] == 0.3 and g[-1] == 7 and (np.diff(np.log(g)) > 0).all()
    np.testing.assert_allclose(np.diff(np.log(g)), np.log(7 / 0.3) / 10, rtol=1e-12)
    assert sw.tau_grid(1, 2, 5, linear=True).tolist() == [1.0, 1.25, 1.5, 1.75, 2.0]


@pytest.mark.parametrize(
    ("args", "param", "message"),
    [
        ((0.0, 1, 5), "tau_min", r"^tau_min .*> 0"),
        ((1, float("inf"), 5), "tau_max", r"^tau_max .*finite"),
        ((2, 1, 5), "tau_min", "^tau_min must be below tau_max"),
        ((1, 2, 1), "steps", "^steps must be between 2 and 10000"),
        ((1, 2, sw.MAX_STEPS + 1), "steps", "^steps must be between 2 and 10000, got 10001"),
        ((1, 2, 2.5), "steps", "whole number"),
    ],
)
def test_tau_grid_rejects_bad_bounds(args, param, message):
    with pytest.raises(SoftmaxInputError, match=message) as info:
        sw.tau_grid(*args)
    assert info.value.param == param


def test_parse_taus_sorts_dedupes_and_checks():
    assert sw.parse_taus("10 0.1,1,,1").tolist() == [0.1, 1.0, 10.0]
    for bad, message in [("", "no temperatures"), ("1,x", "must be a number"),
                         ("nan", "finite"), ("-1", "> 0")]:  # fmt: skip
        with pytest.raises(SoftmaxInputError, match=message):
            sw.parse_taus(bad)
    with pytest.raises(SoftmaxInputError, match="at most 10000"):
        sw.check_taus(np.arange(1, sw.MAX_STEPS + 2))


@pytest.mark.parametrize("m", registry.MAPPINGS, ids=lambda m: m.name)
def test_only_distributions_are_swept_and_the_error_names_them(m):
    if m.output == registry.DISTRIBUTION:
        assert sw.require_sweepable(m.name) is m
        return
    with pytest.raises(SoftmaxInputError) as err:
        sw.require_sweepable(m.name)
    message = str(err.value)
    assert message.startswith(f"cannot sweep {m.name}: it gives ")
    for name in sw.sweepable_names():
        assert name in message
    assert sw.sweepable_names() == [
        q.name for q in registry.MAPPINGS if q.output == registry.DISTRIBUTION
    ]


@pytest.mark.parametrize(
    ("x", "message"),
    [
        ([1.0, np.nan], r"nan \(entry 1\)"),
        ([np.inf, 1.0], r"\+inf \(entry 0\)"),
        ([-np.inf, -np.inf], "only -inf"),
        ([], "empty"),
        ([[1.0, 2.0]], "one vector"),
    ],
)
def test_sweep_rejects_vectors_it_cannot_sweep(x, message):
    with pytest.raises(SoftmaxInputError, match=message):
        sw.sweep(x, [1.0])


def test_sweep_size_is_capped():
    with pytest.raises(SoftmaxInputError, match="limit is 10,000,000"):
        sw.sweep(np.zeros(sw.MAX_VALUES // 100 + 1), np.arange(1, 101))


def test_top_entries_keeps_the_most_massive_and_sums_the_rest():
    x = np.array([0.5, 3.0, -1.0, 2.0, 2.5, 0.0, 1.0, -2.0])
    s = sw.sweep(x, [0.5, 1.0, 5.0])
    idx, rest = sw.top_entries(s, 4)
    assert idx.tolist() == [1, 3, 4]  # the three largest logits, in index order
    np.testing.assert_allclose(rest + s.p[:, idx].sum(axis=1), 1.0, rtol=1e-15)
    with pytest.raises(SoftmaxInputError, match=r"^top must be at least 2"):
        sw.top_entries(s, 1)


# ---------------------------------------------------------------- terminal pictures


def test_golden_heatmap_of_the_reference_example():
    text = render(Heatmap(sw.sweep(X)))
    check_golden("sweep_heatmap.txt", text)
    lines = text.splitlines()
    assert lines[4].split()[2].startswith("█")  # p3 is one-hot at small τ
    assert all(line.endswith("▂") for line in lines[1:5])  # ... and all are ≈ 1/4 at τ = 100


def test_golden_bars_of_the_reference_example():
    text = render(StackedBars(sw.sweep(X)))
    check_golden("sweep_bars.txt", text)
    bars = [line.split(maxsplit=1)[1] for line in text.splitlines()[1:]]
    assert set(bars[0]) == {"█"} and len({len(b) for b in bars}) == 1
    assert [bars[-1].count(c) for c in "█▓▒░"] == [16, 16, 16, 16]


def test_golden_sparsemax_heatmap_shows_the_support_as_non_blank_cells():
    s = sw.sweep([0.3, -1.2, 2.0, 1.1, 0.9, -0.4, 1.7, 0.2], method="sparsemax")
    text = render(Heatmap(s))
    check_golden("sweep_sparsemax_heatmap.txt", text)
    lines = text.splitlines()
    rows, start = lines[1:-1], lines[-1].index("0.01")  # the grid starts under the first τ
    assert [r.split()[0] for r in rows] == ["p0", "p2", "p3", "p4", "p6", "rest"]
    cell = (80 - start) // s.steps
    cells = [r.ljust(80)[start : start + s.steps * cell : cell] for r in rows]
    drawn = [sum(c[j] != " " for c in cells[:-1]) for j in range(s.steps)]
    assert drawn[0] == 1 and drawn == sorted(drawn)  # the support widens with τ


def test_golden_full_report_fits_80_columns():
    text = render(sweep_report(sw.sweep(X, [0.1, 1.0, 10.0]), picture="bars"))
    check_golden("sweep_report.txt", text)
    assert max(len(line) for line in text.splitlines()) <= 80
    for cell in ("9.357e-14", "0.6439", "0.2887", "16.43", "4.44", "0.0004994"):
        assert cell in text


@pytest.mark.parametrize("width", [40, 80, 120])
def test_pictures_fit_the_console_width(width):
    s = sw.sweep(np.arange(12.0), sw.tau_grid(0.01, 100, 500))
    for picture in (Heatmap(s), StackedBars(s)):
        lines = render(picture, width=width).splitlines()
        assert max(len(line) for line in lines[1:]) <= width


def test_colour_only_repeats_what_the_characters_say():
    s = sw.sweep(X, [0.1, 1.0, 10.0])
    plain = render(Heatmap(s))
    assert "\x1b" not in plain
    console = Console(width=80, color_system="truecolor", force_terminal=True)
    with console.capture() as cap:
        console.print(Heatmap(s))
    coloured = cap.get()
    assert "\x1b[" in coloured
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in stripped.splitlines()] == plain.splitlines()


# ---------------------------------------------------------------- the chart


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_plot_writes_a_png_of_the_asked_size(tmp_path):
    pytest.importorskip("matplotlib")
    from softmax_cli.plot import plot_sweeps

    out = plot_sweeps(
        [sw.sweep(X), sw.sweep(X, method="sparsemax")],
        tmp_path / "sweep.png",
        size=(640, 480),
        labels=["line 1", "line 2"],
    )
    assert out.stat().st_size > 5000
    assert png_size(out) == (640, 480)


def test_plot_writes_svg(tmp_path):
    pytest.importorskip("matplotlib")
    from softmax_cli.plot import plot_sweeps

    out = plot_sweeps([sw.sweep(np.arange(20.0), method="entmax15")], tmp_path / "s.svg")
    text = out.read_text(encoding="utf-8")
    assert "<svg" in text and "rest (15)" in text


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    from softmax_cli.plot import plot_sweeps

    with pytest.raises(SoftmaxInputError, match=r"pip install 'softmax-lab\[plot\]'"):
        plot_sweeps([sw.sweep(X, [1.0])], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_checks_its_arguments_before_importing_matplotlib(tmp_path):
    from softmax_cli.plot import MAX_PLOT_ROWS, check_plot_path, parse_size, plot_sweeps

    with pytest.raises(SoftmaxInputError, match=r"\.png, \.svg or \.pdf"):
        check_plot_path("chart.jpeg")
    for bad in ("800", "axb", "100x600", "800x7000"):
        with pytest.raises(SoftmaxInputError, match=r"^plot size") as info:
            parse_size(bad)
        assert info.value.param == "plot_size"
    with pytest.raises(SoftmaxInputError, match="at most 6 vectors"):
        plot_sweeps([sw.sweep(X, [1.0])] * (MAX_PLOT_ROWS + 1), tmp_path / "x.png")


def test_matplotlib_is_not_imported_without_plot():
    code = (
        "import sys\n"
        "from softmax_cli.cli.app import main\n"
        "try:\n"
        "    main(['temperature-sweep', '1', '2', '--format', 'table'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import softmax_cli.plot\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
