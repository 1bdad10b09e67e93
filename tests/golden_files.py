"""Golden text files in ``tests/golden``: what renders each, and (with ``--update``) rewriting them.

The tests only compare (:func:`tests.conftest.check_golden`); nothing in a test
run writes a golden file, so a test cannot bless its own output. After a
deliberate change of the output, rewrite the files and review the diff::

    python -m tests.golden_files --update          # every file
    python -m tests.golden_files --update NAME...  # some of them
    python -m tests.golden_files                   # list them

Each entry renders its file the way the test that checks it does: a rich
renderable at 80 columns without colour (:func:`tests.conftest.render`), or
the command line run in a pipe with ``NO_COLOR=1`` and ``COLUMNS=80``.
``tests/test_golden_files.py`` checks that every file is listed here and that
each entry reproduces its file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .conftest import GOLDEN, ROOT, render, shell_env

SEED = ["1000", "2000", "3000", "4000", "5000"]
ROWS = "id,a,b,c\nr1,1,2,3\nr2,1000,2000,3000\nr3,-1000,-1001,-1002\nr4,0.1,30.3,-5\n"
X = [1.0, 2.0, 3.0, 4.0]


def plain(text: str) -> str:
    """Trailing spaces dropped, one final newline (as :func:`tests.conftest.check_golden`)."""
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def command(*args: str) -> str:
    """stdout of ``softmax ARGS`` run in a pipe (plain text, 80 columns); it must succeed."""
    proc = subprocess.run(
        [sys.executable, "-m", "softmax_cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=shell_env(),
        timeout=300,
    )
    if proc.returncode != 0 or proc.stderr:
        raise RuntimeError(f"softmax {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


# ---------------------------------------------------------------- the renderers


def compare_cli_seed() -> str:  # tests/test_cli_compare.py::test_golden_seed_table_in_a_pipe
    return command("compare", "--format", "table", *SEED)


def compare_cli_float16() -> str:  # tests/test_cli_compare.py::test_golden_float16
    return command("compare", "--format", "table", "--dtype", "float16", "10", "11", "12")


def compare_cli_rows() -> str:  # tests/test_cli_compare.py::test_golden_summary_of_a_file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "logits.csv"
        path.write_text(ROWS)
        return command("compare", "--format", "table", "--input", str(path), "--id-column", "id")


def _compare_view(*args, **kw) -> str:
    from softmax_cli.analysis import compare as an
    from softmax_cli.render import compare as rd

    explain = kw.get("explain", False)
    return render(rd.comparison(an.compare_vector(*args, **kw), explain=explain))


def compare_seed() -> str:  # tests/test_compare.py::test_golden_seed_table
    return _compare_view([float(v) for v in SEED])


def compare_float16() -> str:  # tests/test_compare.py::test_golden_float16_table
    return _compare_view([10, 11, 12], dtype="float16")


def compare_logsumexp_explain() -> str:  # tests/test_compare.py::test_golden_scalar_with_steps
    return _compare_view([0.0, -40.0], "logsumexp", explain=True)


def compare_long() -> str:  # tests/test_compare.py::test_golden_long_vector_keeps_to_80_columns
    import numpy as np

    return _compare_view(np.linspace(-50.0, 50.0, 40))


def compare_summary() -> str:  # tests/test_compare.py::test_golden_summary_of_rows
    import numpy as np

    from softmax_cli.analysis import compare as an
    from softmax_cli.render import compare as rd

    vectors = [[1.0, 2.0, 3.0], [float(v) for v in SEED], [-1000.0, -1001.0], [0.1, 30.3]]
    rows = [an.summarize(an.compare_vector(v), f"r{i}") for i, v in enumerate(vectors)]
    return render(rd.summary_view(rows, "softmax", np.dtype(np.float64), 50, "id"))


def sweep_heatmap() -> str:  # tests/test_sweep.py::test_golden_heatmap_of_the_reference_example
    from softmax_cli.analysis import sweep as sw
    from softmax_cli.render.sweep import Heatmap

    return render(Heatmap(sw.sweep(X)))


def sweep_bars() -> str:  # tests/test_sweep.py::test_golden_bars_of_the_reference_example
    from softmax_cli.analysis import sweep as sw
    from softmax_cli.render.sweep import StackedBars

    return render(StackedBars(sw.sweep(X)))


def sweep_sparsemax_heatmap() -> str:
    # tests/test_sweep.py::test_golden_sparsemax_heatmap_shows_the_support_as_non_blank_cells
    from softmax_cli.analysis import sweep as sw
    from softmax_cli.render.sweep import Heatmap

    return render(Heatmap(sw.sweep([0.3, -1.2, 2.0, 1.1, 0.9, -0.4, 1.7, 0.2], method="sparsemax")))


def sweep_report() -> str:  # tests/test_sweep.py::test_golden_full_report_fits_80_columns
    from softmax_cli.analysis import sweep as sw
    from softmax_cli.render.sweep import sweep_report as report

    return render(report(sw.sweep(X, [0.1, 1.0, 10.0]), picture="bars"))


def sweep_cli_table() -> str:
    # tests/test_cli_sweep.py::test_golden_table_and_picture_of_the_default_sweep
    return command("temperature-sweep", "1", "2", "3", "4", "--format", "table")


GOLDEN_FILES: dict[str, Callable[[], str]] = {
    "compare_cli_seed.txt": compare_cli_seed,
    "compare_cli_float16.txt": compare_cli_float16,
    "compare_cli_rows.txt": compare_cli_rows,
    "compare_seed.txt": compare_seed,
    "compare_float16.txt": compare_float16,
    "compare_logsumexp_explain.txt": compare_logsumexp_explain,
    "compare_long.txt": compare_long,
    "compare_summary.txt": compare_summary,
    "sweep_heatmap.txt": sweep_heatmap,
    "sweep_bars.txt": sweep_bars,
    "sweep_sparsemax_heatmap.txt": sweep_sparsemax_heatmap,
    "sweep_report.txt": sweep_report,
    "sweep_cli_table.txt": sweep_cli_table,
}


def rendered(name: str) -> str:
    """The text golden file ``name`` should hold, rendered now."""
    return plain(GOLDEN_FILES[name]())


def update(names: list[str]) -> None:
    unknown = sorted(set(names) - set(GOLDEN_FILES))
    if unknown:
        raise SystemExit(f"not a golden file: {', '.join(unknown)}")
    for name in names or list(GOLDEN_FILES):
        path = GOLDEN / name
        text = rendered(name)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if text != old:
            path.write_text(text, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--update"]:
        update(sys.argv[2:])
    else:
        print(__doc__)
        for name, fn in GOLDEN_FILES.items():
            print(f"  {name:32} {fn.__name__}")
