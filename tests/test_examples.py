"""examples/: the sample files and the pipelines script, run as a user would run them."""

from __future__ import annotations

import json

import numpy as np

import softmax_cli as sm

from .conftest import ROOT, run_shell


def sections(output: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    key = None
    for line in output.splitlines():
        if line.startswith("## "):
            key = line[3:]
            out[key] = []
        elif key is not None:
            out[key].append(line)
    return out


def test_pipelines_script_runs_and_each_step_is_right():
    run = run_shell("bash examples/pipelines.sh")
    assert run.code == 0, run.err
    assert run.err == ""
    got = sections(run.out)
    assert len(got) == 5
    csv_rows = got["softmax over every row, the id column passed through"]
    assert csv_rows[0] == "id,cat,dog,bird,fish"
    assert [r.split(",")[0] for r in csv_rows[1:]] == ["img-001", "img-002", "img-003", "img-004"]
    logits = np.loadtxt(
        ROOT / "examples/logits.csv", delimiter=",", skiprows=1, usecols=(1, 2, 3, 4)
    )
    probs = np.array([r.split(",")[1:] for r in csv_rows[1:]], dtype=float)
    np.testing.assert_array_equal(probs, sm.softmax(logits))
    sparse = got["sparsemax from a pipe: exact zeros"]
    assert (np.array([r.split(",")[1:] for r in sparse[1:]], dtype=float) == 0).any()
    jsonl = [json.loads(line) for line in got["log-softmax of a TSV file, as JSON lines"]]
    assert list(jsonl[0]) == ["cat", "dog", "bird"]
    lse = np.array(got["JSON in, one logsumexp per row out"], dtype=float)
    vectors = np.array(json.loads((ROOT / "examples/logits.json").read_text()))
    np.testing.assert_array_equal(lse, sm.logsumexp(vectors))
    # JSON in, JSON out at each step (auto format in a pipe follows the input's)
    chained = np.array(json.loads("\n".join(got[next(k for k in got if k.startswith("two"))])))
    np.testing.assert_array_equal(chained, sm.entmax15(sm.softmax(vectors)))


def dask_example():
    """examples/dask_many_files.py, imported as a module (dask is a test dependency)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "dask_many_files", EXAMPLES / "dask_many_files.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLES = ROOT / "examples"


def write_shards(tmp_path):
    """Three small CSV shards (hard floats among them) and the same rows as .npy shards."""
    rng = np.random.default_rng(5)
    rows = []
    for k, n in enumerate((3, 5, 4)):
        x = rng.standard_normal((n, 4)) * 10.0 ** rng.integers(-8, 8, (n, 4))
        x[0, 0] = 1.0000000000000002  # 1 + ulp: a value any loose parser would move
        np.save(tmp_path / f"shard{k}.npy", x)
        lines = [f"r{k}-{i}," + ",".join(repr(float(v)) for v in r) for i, r in enumerate(x)]
        (tmp_path / f"shard{k}.csv").write_text("id,a,b,c,d\n" + "\n".join(lines) + "\n")
        rows += lines
    (tmp_path / "all.csv").write_text("id,a,b,c,d\n" + "\n".join(rows) + "\n")


def test_the_dask_example_gives_the_librarys_bits_on_many_files(tmp_path, cli):
    """map_partitions over CSV shards, map_blocks over .npy shards: bits of the whole."""
    write_shards(tmp_path)
    example = dask_example()
    out_csv, out_npy = tmp_path / "out.csv", tmp_path / "out.npy"
    shards = str(tmp_path / "shard*.csv")
    assert (
        example.main([shards, "--id-column", "id", "--output", str(out_csv), "--scheduler", "sync"])
        == 0
    )
    whole = cli("compute", "--input", str(tmp_path / "all.csv"), "--id-column", "id", "-f", "csv")
    assert whole.code == 0 and out_csv.read_text() == whole.out  # the same bytes
    npys = str(tmp_path / "shard*.npy")
    assert (
        example.main(
            [npys, "--method", "sparsemax", "--output", str(out_npy), "--scheduler", "sync"]
        )
        == 0
    )
    logits = np.concatenate([np.load(tmp_path / f"shard{k}.npy") for k in range(3)])
    want = sm.sparsemax(logits, axis=-1)
    assert np.load(out_npy).tobytes() == want.tobytes()
    assert example.main([str(tmp_path / "none*.csv"), "--output", str(out_csv)]) == 1
