"""The optional orjson fast path of the CSV/TSV writer writes exactly what ``repr`` writes."""

from __future__ import annotations

import io

import numpy as np
import orjson  # noqa: F401  (a test dependency in pyproject.toml: no silent skip without it)
import pytest

from softmax_cli.io import writers


@pytest.fixture
def fast_and_slow(monkeypatch):
    """Write with the fast path on (as probed) and off; returns a function giving both."""

    def both(values, fmt="csv", ids=None, columns=None, batch=300):
        out = []
        for fast in (True, False):
            monkeypatch.setattr(writers, "_fast_json", None if fast else False)
            stream = io.StringIO()
            with writers.RowWriter(
                stream,
                fmt,
                columns=columns,
                id_name="id",
                has_ids=ids is not None,
                dtype=np.float64,
            ) as w:
                for r0 in range(0, len(values), batch):
                    w.write(values[r0 : r0 + batch], None if ids is None else ids[r0 : r0 + batch])
            out.append(stream.getvalue())
        return out

    return both


def awkward(rows: int, cols: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)) * np.exp(rng.uniform(-60, 60, (rows, cols)))
    edges = [
        1e-4,
        np.nextafter(1e-4, 0),
        1e-5,
        np.nextafter(1e-5, 0),
        1e-6,
        1e-10,
        1e16,
        np.nextafter(1e16, 0),
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        562949953421312.25,
        0.1,
        1.0,
        0.0,
        -0.0,
        np.nan,
        np.inf,
        -np.inf,
    ]
    x.ravel()[: 2 * len(edges)] = edges + [-e for e in edges]
    f = rng.random(x.shape)
    x[f < 0.03] = np.nan
    x[(f > 0.5) & (f < 0.52)] = -np.inf
    x[(f > 0.6) & (f < 0.62)] = 0.0
    return x


def test_orjson_is_probed_and_used():
    writers._fast_json = None
    assert writers._orjson() is not False


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("with_ids", [False, True])
def test_fast_text_is_byte_for_byte_repr(fast_and_slow, fmt, with_ids):
    x = awkward(900, 7, seed=1 + with_ids)
    ids = [f"r{i}" if i % 5 else f'odd,"{i}"' for i in range(len(x))] if with_ids else None
    fast, slow = fast_and_slow(x, fmt, ids, [f"c{j}" for j in range(7)])
    assert fast == slow


def test_fast_text_reads_back_exactly(fast_and_slow):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2000, 10)) * 10.0 ** rng.integers(-30, 30, (2000, 10))
    fast, _ = fast_and_slow(x)
    back = np.array([[float(v) for v in line.split(",")] for line in fast.splitlines()])
    assert np.array_equal(back.view(np.int64), x.view(np.int64))


def test_without_the_exponent_fix_up_the_text_is_the_same(fast_and_slow, monkeypatch):
    x = awkward(400, 5, seed=4)
    writers._fast_json = None
    writers._orjson()
    monkeypatch.setattr(writers, "_fast_sci", False)
    fast, slow = fast_and_slow(x)
    assert fast == slow


def test_small_batches_and_other_dtypes_take_the_repr_path():
    assert writers._fast_rows(np.ones((2, 3)), ",") is None
    assert writers._fast_rows(np.ones((100, 10), dtype=np.float32), ",") is None
