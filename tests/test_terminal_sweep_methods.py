"""temperature-sweep with several methods on a terminal: ONE chart, the methods side by side.

Run on a pseudo-terminal at 60, 80 and 120 columns and rendered by a terminal emulator
(tests/terminal.py): no number cut, no chart row wrapped, the panels side by side where
they fit (each τ a column of its own) and stacked, each named, where they do not; a pipe
still gets the data unchanged.
"""

from __future__ import annotations

import re

import pytest

from tests.terminal import problems

pytestmark = pytest.mark.xdist_group("sweep-methods")  # one worker: the sessions run once
WIDTHS = [60, 80, 120]
METHODS = ("softmax", "sparsemax", "entmax15")
COMMANDS = [
    "softmax temperature-sweep -m softmax,sparsemax,entmax15 1 2 2.5 --no-tables",
    "softmax temperature-sweep -m softmax,sparsemax,entmax15 0.3 -1.2 2 1.1 0.9 1.7 "
    "--min 0.1 --max 10 --steps 9 --picture bars --no-tables",
    "softmax temperature-sweep -m softmax,sparsemax 1 2 2.5 --taus 0.5,2",
    "softmax temperature-sweep -m softmax,sparsemax 1 2 2.5 --taus 0.5,2 > sweep.csv",
]
HEAT_ROW = re.compile(r"^ *(p\d x=[\d.]+|τ) ")  # an entry's row (or the axis) starts labelled
BAR_ROW = re.compile(r"^ *[\d.]+ [█▓▒░#=+:·]")


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    from tests.terminal import run_tty_batch

    cwds = {w: tmp_path_factory.mktemp(f"methods{w}") for w in WIDTHS}
    return run_tty_batch(COMMANDS, cwds, warm=(60, 120)), cwds  # fresh processes at 80


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_is_cut_or_wrapped(screens, width):
    segments, _ = screens
    for seg in segments[width]:
        assert seg.status == 0 and problems(seg.screen()) == [], (seg.command, seg.text)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_heatmap_puts_the_methods_side_by_side_or_stacks_them_at_60(screens, width):
    lines = screens[0][width][0].lines
    chart = lines[lines.index(next(x for x in lines if x.startswith("p against τ"))) + 1 :]
    heads = [x for x in chart if x.split() and x.split()[0] in METHODS]
    rows = [x for x in chart if x not in heads]
    assert all(HEAT_ROW.match(x) for x in rows), rows  # a wrapped row would lose its label
    if width == 60:  # 3 × 17 τ do not fit beside the labels: one panel under the other
        assert [h.split() for h in heads] == [[m] for m in METHODS]
        assert sum(x.lstrip().startswith("τ 0.01") for x in rows) == 3
        assert sum(x.lstrip().startswith("p0 x=1 ") for x in rows) == 3
    else:  # one header naming the three, each entry's row once, one axis line
        assert [h.split() for h in heads] == [list(METHODS)]
        assert sum(x.lstrip().startswith("p0 x=1 ") for x in rows) == 1
        (axis,) = [x for x in rows if x.lstrip().startswith("τ")]
        assert axis.split()[1:] == ["0.01", "1", "100"] * 3
        # the panels are equally wide and each τ has a column of its own in each
        cells = next(x.split(" ", 3)[-1] for x in rows if x.lstrip().startswith("p2 x=2.5"))
        widths = [len(p) for p in cells.split("  ")]
        assert len(set(widths)) == 1 and widths[0] >= 17, cells


@pytest.mark.parametrize("width", WIDTHS)
def test_the_bars_share_one_legend_and_keep_each_entry_whole(screens, width):
    text = screens[0][width][1].text
    for entry in ("p2 x=2", "p5 x=1.7", "p3 x=1.1", "p4 x=0.9", "p0 x=0.3", "p1 x=-1.2"):
        assert text.count(entry) == 1, (entry, text)  # the legend, wrapped between entries
    bars = [x for x in screens[0][width][1].lines if BAR_ROW.match(x)]
    assert len(bars) == 9  # a line per τ, every method's bar on it
    for line in bars:
        segments = line.strip().split(" ", 1)[1].split("  ")
        assert len(segments) == 3 and len({len(s) for s in segments}) == 1, line


def test_tables_come_per_method_before_the_one_chart(screens):
    text = screens[0][80][2].text
    assert "softmax, sparsemax of x/τ, x = [1, 2, 2.5]" in text
    assert text.count("p against τ") == 1 and text.count("max p") == 2


def test_a_pipe_still_gets_the_data(screens, cli):
    _, cwds = screens
    want = cli("temperature-sweep", "-m", "softmax,sparsemax", "1", "2", "2.5", "--taus", "0.5,2")
    assert want.code == 0 and want.out.startswith("method,tau,p_0")
    for width in WIDTHS:
        assert (cwds[width] / "sweep.csv").read_text() == want.out
