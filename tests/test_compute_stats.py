"""``softmax compute --stats`` (issue 17): per-row statistics against the mpmath oracle."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from softmax_cli.analysis.stats import Summary, row_stats
from softmax_cli.oracle import exp_family as oracle
from softmax_cli.oracle import sparse as oracle_sparse

ROWS = [
    [1.0, 2.0, 3.0, 0.5],
    [30.0, 0.0, -5.0, 2.0],  # confident: 1 − p_top ≈ 7e-13, H is tiny
    [1000.0, 0.0, -1000.0, 999.0],  # entries far below the smallest float
    [2.0, 2.0, -1.0, 0.0],  # a tie at the top
    [-3.0, 0.25, 0.25, 7.5],
]
LABELS = [0, 0, 1, 1, 3]


def _exact(name: str, row: list[float], t: int, tau: float = 1.0) -> dict[str, float]:
    """The statistics at 50 digits from the oracle's distribution (mpmath)."""
    with mpmath.workdps(50):
        xs = [mpmath.mpf(v) for v in row]
        if name == "softmax":
            p = oracle.softmax(xs, temperature=mpmath.mpf(tau))
            log_pt = oracle.log_softmax(xs, temperature=mpmath.mpf(tau))[t]
        else:
            p = oracle_sparse.sparsemax(xs, temperature=mpmath.mpf(tau))
            log_pt = mpmath.log(p[t]) if p[t] > 0 else -mpmath.inf
        h = -mpmath.fsum(v * mpmath.log(v) for v in p if v > 0)
        ranked = sorted(p, reverse=True)
        pf = [float(v) for v in p]
        return {
            "entropy": float(h),
            "perplexity": float(mpmath.exp(h)),
            "max_p": float(ranked[0]),
            "margin": float(ranked[0] - ranked[1]),
            "support": sum(v > 0 for v in pf),  # the floats the command writes
            "nll": float(-log_pt),
            "correct": float(pf.index(max(pf)) == t),
            "rank": 1 + sum(v > pf[t] or (v == pf[t] and i < t) for i, v in enumerate(pf)),
        }


def _table(out: str) -> tuple[list[str], np.ndarray]:
    lines = out.strip().splitlines()
    return lines[0].split(","), np.array([ln.split(",") for ln in lines[1:]], dtype=float)


@pytest.fixture
def labelled(tmp_path):
    f = tmp_path / "rows.csv"
    f.write_text(
        "a,b,c,d,label\n"
        + "".join(",".join(map(repr, r)) + f",{t}\n" for r, t in zip(ROWS, LABELS, strict=True))
    )
    return f


@pytest.mark.parametrize("tau", [1.0, 0.7])
def test_stats_agree_with_the_oracle(cli, labelled, tau):
    run = cli(
        "compute",
        "--stats",
        "-m",
        "softmax,sparsemax",
        "-i",
        str(labelled),
        "-y",
        "label",
        "-t",
        str(tau),
        "--format",
        "csv",
    )
    assert run.code == 0, run.err
    head, got = _table(run.out)
    names = ["entropy", "perplexity", "max_p", "margin", "support", "nll", "correct", "rank"]
    assert head == [f"{m}:{n}" for m in ("softmax", "sparsemax") for n in names]
    for i, (row, t) in enumerate(zip(ROWS, LABELS, strict=True)):
        for k, method in enumerate(("softmax", "sparsemax")):
            want = _exact(method, row, t, tau)
            for j, n in enumerate(names):
                g, w = got[i, 8 * k + j], want[n]
                if math.isinf(w) or w == 0:
                    assert g == w, (method, i, n, g, w)
                else:  # a few ULP: rounded p, then a sum of n terms
                    assert g == pytest.approx(w, rel=1e-14, abs=0), (method, i, n, g, w)


def test_bits_divide_entropy_and_nll_by_log_2(cli, labelled):
    nats = _table(cli("compute", "--stats", "-i", str(labelled), "-y", "label", "-fcsv").out)[1]
    bits = cli("compute", "--stats", "--bits", "-i", str(labelled), "-y", "label", "-fcsv")
    got = _table(bits.out)[1]
    np.testing.assert_allclose(got[:, [0, 5]], nats[:, [0, 5]] / math.log(2), rtol=1e-15)
    np.testing.assert_array_equal(got[:, [1, 2, 3, 4, 6, 7]], nats[:, [1, 2, 3, 4, 6, 7]])
    assert "bits" in bits.err and "nats" not in bits.err


def test_summary_perplexity_is_exp_of_the_mean_nll(cli, labelled):
    run = cli(
        "compute", "--stats", "-i", str(labelled), "-y", "label", "--precision", "17", "-fcsv"
    )
    _, got = _table(run.out)
    line = run.err.strip()
    assert line.startswith("softmax, 5 rows: mean entropy")
    fields = dict(
        part.rsplit(" ", 1) for part in line.split(": ", 1)[1].replace(";", ",").split(", ")
    )
    mean_nll = math.fsum(got[:, 5]) / 5
    assert float(fields["perplexity exp(mean NLL)"]) == pytest.approx(math.exp(mean_nll), 1e-15)
    assert float(fields["accuracy"]) == got[:, 6].mean() == 0.4
    # not the mean of the rows' perplexities exp(NLL_i): that is larger (Jensen)
    with np.errstate(over="ignore"):
        assert math.exp(mean_nll) < np.exp(got[:, 5]).mean()


def test_summary_accumulates_over_batches_as_over_one():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(6), size=1000)
    t = rng.integers(0, 6, size=1000)
    one, parts = Summary(True, False), Summary(True, False)
    one.add(row_stats(p, t))
    for a in range(0, 1000, 128):
        parts.add(row_stats(p[a : a + 128], t[a : a + 128]))
    a, b = one.result(), parts.result()  # per-block exact sums, added: a rounding apart at most
    assert a.keys() == b.keys() and a["rows"] == b["rows"] == 1000
    for k in a:
        assert b[k] == pytest.approx(a[k], rel=4e-16), k
    assert one.result()["perplexity"] == pytest.approx(math.exp(row_stats(p, t)[:, 5].mean()))


def test_stats_of_rows_without_labels_stream_and_keep_ids(cli, tmp_path):
    f = tmp_path / "ids.csv"
    f.write_text("id,a,b\nr1,0,0\nr2,1,-1\n")
    run = cli("compute", "--stats", "-i", str(f), "--id-column", "id", "-fcsv")
    assert run.code == 0, run.err
    lines = run.out.strip().splitlines()
    assert lines[0] == "id,entropy,perplexity,max_p,margin,support"
    first = [float(v) for v in lines[1].split(",")[1:]]
    assert lines[1].startswith("r1,") and first == [math.log(2), 2.0, 0.5, 0.0, 2.0]
    assert run.err.startswith("softmax, 2 rows: mean entropy")


def test_the_table_shows_the_summary_under_the_rows(cli, labelled):
    run = cli("compute", "--stats", "-i", str(labelled), "-y", "label", "--format", "table")
    assert run.code == 0 and run.err == ""
    assert "summary of 5 rows" in run.out and "perplexity exp(mean NLL)" in run.out


@pytest.mark.parametrize(
    "args, says",
    [
        (["--bits", "1", "2"], "--bits applies to the statistics: add --stats"),
        (["-y", "label", "1", "2"], "--label-column applies to the statistics"),
        (["--stats", "-m", "log-softmax", "1", "2"], "use --method softmax"),
        (["--stats", "-m", "logsumexp", "1", "2"], "gives a scalar"),
        (["--stats", "--axis", "0", "1", "2"], "drop --axis 0"),
    ],
)
def test_stats_option_errors(cli, args, says):
    run = cli("compute", *args)
    assert run.code == 2 and run.out == "" and says in run.err, run.err


def test_a_bad_label_is_bad_input(cli, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("a,b,label\n1,2,0\n1,2,5\n")
    run = cli("compute", "--stats", "-i", str(f), "-y", "label")
    assert run.code == 1 and "line 3" in run.err and "not a class index" in run.err
