"""Binary and compressed input, --input-format, and binary output (issue 12's file formats).

Values are compared bit for bit with what numpy (``np.load``/``np.save``), pyarrow and the
standard library's decompressors see in the same files: the formats are theirs, so they
are the peers. The mapping's output is compared with the library's own ``softmax`` on the
same array (the CLI must not change a number on the way in or out).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import re
import subprocess
import sys
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import softmax_cli as sm
from softmax_cli.io.read.formats import INPUT_FORMATS, canonical_format, sniff_bytes
from softmax_cli.io.readers import InputError, open_vectors

from .conftest import ROOT

TEXT = b"a,b\n1,2\n3,4\n"
PAIRS = [[1.0, 2.0], [3.0, 4.0]]


def npy_bytes(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def read_all(source, **kw):
    with open_vectors(source, **kw) as reader:
        batches = list(reader)
        layout = reader.layout
    values = np.concatenate([b.values for b in batches])
    ids = [i for b in batches for i in (b.ids or [])]
    return layout, values, ids


def zstd_compress(data: bytes) -> bytes:
    from softmax_cli.io.read.compressed import _zstd

    return _zstd().compress(data)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# -- the one list of formats ------------------------------------------------------------


def test_the_format_list_is_one_list_with_aliases():
    assert INPUT_FORMATS[0] == "auto"
    assert {"csv", "tsv", "json", "jsonl", "npy", "npz", "parquet", "arrow"} <= set(INPUT_FORMATS)
    assert canonical_format("Feather") == "arrow" and canonical_format("NDJSON") == "jsonl"
    assert canonical_format("xlsx") is None


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (npy_bytes(np.zeros(2)), "npy"),
        (gzip.compress(TEXT, mtime=0), "gzip"),
        (bz2.compress(TEXT), "bzip2"),
        (lzma.compress(TEXT), "xz"),
        (b"PAR1\x15\x04", "parquet"),
        (b"ARROW1\x00\x00", "arrow"),
        (pickle.dumps([1.0]), "other"),
    ],
)
def test_magic_bytes_name_the_kind(head, kind):
    assert sniff_bytes(head[:16]).kind == kind


@pytest.mark.parametrize("text", [b"BZh,x\n1,2\n", b"PK,x\n", b"ARROW,1\n", b"1,2\n"])
def test_text_that_starts_like_a_signature_is_text(text):
    assert sniff_bytes(text) is None


# -- .npy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_npy_keeps_its_dtype_and_its_bits(tmp_path, dtype):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal((7, 5)) * 30).astype(dtype)
    a[0, 0], a[1, 1], a[2, 2] = np.nan, np.inf, -0.0
    path = tmp_path / "x.npy"
    np.save(path, a)
    layout, values, _ = read_all(str(path), dtype=None, chunk_rows=3)  # memory-mapped
    assert layout.dtype == np.dtype(dtype) and same_bits(values, a)
    layout, values, _ = read_all(io.BytesIO(path.read_bytes()), dtype=None, chunk_rows=2)
    assert same_bits(values, a)


def test_npy_shapes(tmp_path):
    _, v, _ = read_all(io.BytesIO(npy_bytes(np.array([1.0, 2.0, 3.0]))))
    assert v.tolist() == [[1.0, 2.0, 3.0]]
    _, v, _ = read_all(io.BytesIO(npy_bytes(np.float64(5))))
    assert v.tolist() == [[5.0]]
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.save(tmp_path / "f.npy", f)
    for source in (str(tmp_path / "f.npy"), io.BytesIO(npy_bytes(f))):
        assert read_all(source)[1].tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize(
    ("array", "needle"),
    [
        (np.zeros((2, 3, 4)), "3 dimensions (2×3×4)"),
        (np.zeros((0, 3)), "0 rows"),
        (np.array([True, False]), "holds an array of booleans"),
        (np.array([1 + 2j]), "complex numbers"),
        (np.array(["a"]), "strings"),
    ],
)
def test_npy_that_holds_no_logits_is_refused(array, needle):
    with pytest.raises(InputError, match=re.escape(needle)):
        read_all(io.BytesIO(npy_bytes(array)))


def test_object_arrays_are_refused_without_unpickling():
    data = npy_bytes(np.array([1.0, None], dtype=object))
    with pytest.raises(InputError, match="pickle, which is never loaded"):
        read_all(io.BytesIO(data))


def test_a_truncated_npy_says_so(tmp_path):
    data = npy_bytes(np.arange(100.0).reshape(10, 10))[:-16]
    (tmp_path / "t.npy").write_bytes(data)
    with pytest.raises(InputError, match="truncated"):
        read_all(str(tmp_path / "t.npy"))
    with pytest.raises(InputError, match="truncated"):
        read_all(io.BytesIO(data))


def test_integers_convert_only_when_exact():
    small = np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32)
    _, v, _ = read_all(io.BytesIO(npy_bytes(small)), dtype=None)
    assert v.dtype == np.float64 and v.tolist() == small.tolist()
    big = np.array([[1, 2], [3, 2**53 + 1]], dtype=np.int64)
    with pytest.raises(InputError) as err:
        read_all(io.BytesIO(npy_bytes(big)))
    assert "row 2, column 2: the integer 9007199254740993 is not exactly a float64" in str(
        err.value
    )
    _, v, _ = read_all(io.BytesIO(npy_bytes(big)), dtype=np.longdouble)
    assert int(v[1, 1]) == 2**53 + 1
    with pytest.raises(InputError, match="row 1, column 1: the integer 16777217"):
        read_all(io.BytesIO(npy_bytes(np.array([2**24 + 1]))), dtype=np.float32)


def test_rounding_to_a_narrower_dtype_refuses_overflow():
    data = npy_bytes(np.array([[1.0, 1e39]]))
    with pytest.raises(InputError, match=r"row 1, column 2: .*1e\+39.* too large for float32"):
        read_all(io.BytesIO(data), dtype=np.float32)
    _, v, _ = read_all(io.BytesIO(npy_bytes(np.array([0.1]))), dtype=np.float32)
    assert v[0, 0] == np.float32(0.1)


# -- .npz ------------------------------------------------------------------------------


def test_npz_one_array_needs_no_name(tmp_path):
    np.savez_compressed(tmp_path / "one.npz", logits=np.array(PAIRS))
    assert read_all(str(tmp_path / "one.npz"))[1].tolist() == PAIRS


def test_npz_several_arrays_need_array(tmp_path):
    path = tmp_path / "two.npz"
    np.savez(path, logits=np.array(PAIRS), labels=np.array([0, 1]))
    with pytest.raises(InputError, match=r"holds 2 arrays \(logits, labels\); choose one"):
        read_all(str(path))
    assert read_all(str(path), array="logits")[1].tolist() == PAIRS
    assert read_all(io.BytesIO(path.read_bytes()), array="labels.npy")[1].tolist() == [[0, 1]]
    with pytest.raises(InputError, match="holds no array 'x'; it holds logits, labels"):
        read_all(str(path), array="x")


def test_a_zip_that_is_not_an_npz_says_so():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("data.csv", "1,2\n")
    with pytest.raises(InputError, match=r"ZIP archive that holds no .npy arrays \(data.csv\)"):
        read_all(io.BytesIO(buf.getvalue()))


# -- compressed ------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress, zstd_compress])
def test_compressed_text_and_npy_by_magic_not_by_name(tmp_path, compress):
    path = tmp_path / "plain.csv"  # the name says nothing
    path.write_bytes(compress(TEXT))
    layout, values, _ = read_all(str(path))
    assert layout.columns == ["a", "b"] and values.tolist() == PAIRS
    assert read_all(io.BytesIO(compress(TEXT)))[1].tolist() == PAIRS
    a = np.array(PAIRS, dtype=np.float32)
    assert same_bits(read_all(io.BytesIO(compress(npy_bytes(a))), dtype=None)[1], a)


def test_corrupt_compressed_data_is_one_error(tmp_path):
    data = bytearray(gzip.compress(TEXT * 1000))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(InputError, match="is not valid gzip data"):
        read_all(io.BytesIO(bytes(data)))
    with pytest.raises(InputError, match="is not valid xz data"):
        read_all(io.BytesIO(lzma.compress(TEXT)[:-8]))


def test_compressed_stdin_through_the_command(tmp_path):
    """A real pipe: gzip'd CSV and a bz2'd .npy on stdin, by magic bytes."""
    for data in (gzip.compress(TEXT), bz2.compress(npy_bytes(np.array(PAIRS)))):
        done = subprocess.run(
            [sys.executable, "-m", "softmax_cli", "compute", "-", "--format", "csv"],
            input=data,
            capture_output=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        rows = [line.split(",")[-2:] for line in done.stdout.decode().splitlines()[-2:]]
        assert rows == [["0.2689414213699951", "0.7310585786300049"]] * 2


# -- Parquet and Arrow -----------------------------------------------------------------


def table_with_ids(dtype=np.float32) -> pa.Table:
    return pa.table(
        {
            "id": ["r1", "r,2"],
            "x": np.array([1.0, 3.0], dtype=dtype),
            "y": np.array([2.0, -np.inf], dtype=dtype),
        }
    )


def write_kind(table: pa.Table, kind: str) -> bytes:
    sink = io.BytesIO()
    if kind == "parquet":
        pq.write_table(table, sink, row_group_size=1)
    elif kind == "arrow":
        with ipc.new_file(sink, table.schema) as w:
            w.write_table(table, max_chunksize=1)
    else:
        with ipc.new_stream(sink, table.schema) as w:
            w.write_table(table, max_chunksize=1)
    return sink.getvalue()


@pytest.mark.parametrize("kind", ["parquet", "arrow", "stream"])
def test_columnar_files_with_ids(tmp_path, kind):
    data = write_kind(table_with_ids(), kind)
    path = tmp_path / "t.bin"
    path.write_bytes(data)
    for source in (str(path), io.BytesIO(data)):
        layout, values, ids = read_all(source, id_column="id", dtype=None)
        assert layout.columns == ["x", "y"] and layout.id_name == "id"
        assert layout.dtype == np.float32 and values.dtype == np.float32
        assert values.tolist() == [[1.0, 2.0], [3.0, -np.inf]] and ids == ["r1", "r,2"]


def test_list_column_with_field_and_alone(tmp_path):
    t = pa.table({"id": ["a", "b"], "logits": [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]})
    path = tmp_path / "t.parquet"
    pq.write_table(t, path)
    _, values, ids = read_all(str(path), field="logits", id_column="id")
    assert values.tolist() == [[1, 2, 3], [3, 2, 1]] and ids == ["a", "b"]
    _, values, _ = read_all(str(path), id_column="id")  # the lone list column
    assert values.shape == (2, 3)


@pytest.mark.parametrize(
    ("table", "kw", "needle"),
    [
        (pa.table({"x": [1.0, None]}), {}, "row 2, column 'x': null is not a number"),
        (pa.table({"id": ["a"], "x": [1.0]}), {}, "column 'id' holds string, not numbers"),
        (pa.table({"v": [[1.0, 2.0], [1.0]]}), {"field": "v"}, "row 2 has 1 values"),
        (pa.table({"x": [1.0]}), {"field": "nope"}, "has no column 'nope'"),
    ],
)
def test_columnar_errors(tmp_path, table, kw, needle):
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError, match=needle):
        read_all(str(path), **kw)


# -- --input-format and what cannot be read --------------------------------------------


def test_input_format_overrides_sniffing(cli, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("[CLS],1,2\n[SEP],2,1\n")
    run = cli("compute", "--input", str(path), "--input-format", "csv", "--id-column", "1")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0].startswith('"[CLS]",0.2689414213699951')
    run = cli("compute", "--input", str(path), "--input-format", "npy")
    assert run.code == 1 and "is not a .npy file: it starts with b'[CLS],1,'" in run.err
    np.save(tmp_path / "a.npy", np.zeros(2))
    run = cli("compute", "--input", str(tmp_path / "a.npy"), "--input-format", "csv")
    assert run.code == 1
    assert "looks like a NumPy .npy file, not CSV text; check --input-format" in run.err


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a PNG image, not logits"),
        (pickle.dumps([1.0, 2.0]), "looks like a Python pickle, not logits; save it with np.save"),
        (b"\x89HDF\r\n\x1a\n\x00\x00", "looks like an HDF5 file"),
    ],
)
def test_unreadable_binary_names_what_it_looks_like(cli, tmp_path, data, needle):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    run = cli("compute", "--input", str(path))
    assert run.code == 1 and needle in run.err and "NUL byte" not in run.err


def test_format_options_with_arguments_are_usage_errors(cli):
    run = cli("compute", "1", "2", "--input-format", "csv")
    assert run.code == 2 and "--input-format applies to file or stdin input" in run.err


def test_array_and_field_in_the_wrong_place(cli, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(2))
    run = cli("compute", "--input", str(tmp_path / "a.npy"), "--array", "x")
    assert run.code == 2 and "--array chooses one array of a .npz, and" in run.err
    (tmp_path / "x.csv").write_bytes(TEXT)
    run = cli("compute", "--input", str(tmp_path / "x.csv"), "--field", "v")
    assert run.code == 2 and "--field names the key of JSON objects" in run.err


# -- the command: dtype kept, rows in = rows out, binary out -----------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_npy_in_npy_out_keeps_the_dtype_and_matches_the_library(cli, tmp_path, dtype):
    a = np.random.default_rng(1).standard_normal((50, 9)).astype(dtype)
    np.save(tmp_path / "in.npy", a)
    out = tmp_path / "out.npy"
    run = cli("compute", "-i", str(tmp_path / "in.npy"), "-f", "npy", "-o", str(out))
    assert run.code == 0, run.err
    assert same_bits(np.load(out), sm.softmax(a, axis=-1))


def test_dtype_given_rounds_a_binary_array_once(cli, tmp_path):
    a = np.array([[0.1, 0.2, 0.7]])
    np.save(tmp_path / "in.npy", a)
    out = tmp_path / "out.npy"
    run = cli("compute", "-i", str(tmp_path / "in.npy"), "--dtype", "float32", "-f", "npy",
              "-o", str(out))  # fmt: skip
    assert run.code == 0, run.err
    assert same_bits(np.load(out), sm.softmax(a.astype(np.float32), axis=-1))


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_columnar_output_keeps_ids_and_names(cli, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    csv = str(ROOT / "examples" / "logits.csv")
    run = cli("compute", "-i", csv, "--id-column", "id", "-f", fmt, "-o", str(out))
    assert run.code == 0, run.err
    table = pq.read_table(out) if fmt == "parquet" else ipc.open_file(str(out)).read_all()
    assert table.column_names == ["id", "cat", "dog", "bird", "fish"]
    assert table.column("id").to_pylist() == ["img-001", "img-002", "img-003", "img-004"]
    text = cli("compute", "-i", csv, "--id-column", "id", "-f", "csv").out.splitlines()[1:]
    got = np.column_stack([table.column(c).to_numpy() for c in ["cat", "dog", "bird", "fish"]])
    assert [",".join(map(repr, row.tolist())) for row in got] == [t.split(",", 1)[1] for t in text]


def test_unnamed_columns_write_one_vector_column(cli, tmp_path):
    np.save(tmp_path / "in.npy", np.array(PAIRS))
    out = tmp_path / "out.parquet"
    assert cli("compute", "-i", str(tmp_path / "in.npy"), "-f", "parquet", "-o", str(out)).code == 0
    table = pq.read_table(out)
    assert table.column_names == ["values"] and table.num_rows == 2
    _, values, _ = read_all(str(out))
    assert same_bits(values, sm.softmax(np.array(PAIRS), axis=-1))


def test_npy_through_a_pipe_reads_back():
    """``-f npy`` to a pipe: the next command reads it; so does numpy from a buffer."""
    cmd = (
        f"{sys.executable} -m softmax_cli compute 1 2 3 -f npy | "
        f"{sys.executable} -m softmax_cli compute - -f npy | "
        f"{sys.executable} -c 'import io, sys, numpy as np; "
        f"print(repr(np.load(io.BytesIO(sys.stdin.buffer.read())).tolist()))'"
    )
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    once = sm.softmax(np.array([1.0, 2.0, 3.0]))
    assert done.stdout.strip() == repr([sm.softmax(once).tolist()])


def test_binary_output_is_refused_on_a_terminal(monkeypatch):
    from softmax_cli.cli import output

    monkeypatch.setattr(output, "_stdout_is_terminal", lambda: True)
    with pytest.raises(sm.SoftmaxInputError, match="npy writes binary data, which a terminal"):
        output.deliver("npy", table=lambda: None, records=lambda w: None)


def test_the_text_path_imports_no_format_library():
    code = (
        "import sys; from softmax_cli.cli.app import main\n"
        "try:\n    main(['compute', '1', '2', '3'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pyarrow', 'backports.zstd', 'zipfile', 'polars')"
        " if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"


# -- JSON objects whose vector sits in a field ------------------------------------------

NDJSON = (
    b'{"id": "req-1", "logits": [1, 2, 3], "model": "m"}\n'
    b'{"id": "req-2", "logits": [3, 2, 1], "model": "m"}\n'
)


@pytest.mark.parametrize(
    "data",
    [NDJSON, b"[" + NDJSON.replace(b"}\n{", b"}, {").rstrip() + b"]"],
    ids=["lines", "array"],
)
def test_json_field_with_ids(data):
    layout, values, ids = read_all(io.BytesIO(data), field="logits", id_column="id")
    assert values.tolist() == [[1, 2, 3], [3, 2, 1]] and ids == ["req-1", "req-2"]
    assert layout.id_name == "id" and layout.width == 3


def test_json_field_through_the_command(cli):
    run = cli("compute", "-", "--field", "logits", "--id-column", "id", "-f", "csv", stdin=NDJSON)
    assert run.code == 0, run.err
    expect = sm.softmax(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), axis=-1)
    rows = [line.split(",") for line in run.out.splitlines()]
    assert [r[0] for r in rows] == ["req-1", "req-2"]
    assert np.array([[float(v) for v in r[1:]] for r in rows]).tobytes() == expect.tobytes()


@pytest.mark.parametrize(
    ("data", "kw", "needle"),
    [
        (NDJSON, {"field": "nope"}, "line 1: row 1: has no key 'nope' (its keys: 'id', 'logits'"),
        (b'{"v": "abc"}\n', {"field": "v"}, "row 1: key 'v' holds string, not an array of numbers"),
        (b'{"v": [1, 2]}\n{"v": [1]}\n', {"field": "v"}, "key 'v' holds 1 values, and row 1's"),
        (
            b'{"v": [1, "x"]}\n',
            {"field": "v"},
            "row 1, key 'v', value 2: \"x\" is a string, not a number",
        ),
        (b'{"v": [1]}\n', {"field": "v", "id_column": "id"}, "row 1: has no id key 'id'"),
        (b"1,2\n", {"field": "v"}, "field names the key of JSON objects that holds the vector"),
    ],
)
def test_json_field_errors(data, kw, needle):
    with pytest.raises(sm.SoftmaxInputError) as err:
        read_all(io.BytesIO(data), **kw)
    assert needle in str(err.value)


def test_compressed_csv_goes_through_the_engine_with_the_same_bits(monkeypatch):
    from softmax_cli.io import engine
    from softmax_cli.io.read import open_vectors as exact_open

    monkeypatch.setattr(engine, "MIN_BYTES", 400)
    monkeypatch.setattr(engine, "HEAD_BYTES", 400)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 700)
    taken = []
    real = engine._Engine._fast
    monkeypatch.setattr(engine._Engine, "_fast", lambda self, b: taken.append(1) or real(self, b))
    rng = np.random.default_rng(5)
    text = "x,y,z\n" + "".join(
        ",".join(repr(float(v)) for v in row) + "\n" for row in rng.standard_normal((300, 3))
    )
    text += "1,nan,2\n"  # a block the engine hands to the exact reader
    _, fast, _ = read_all(io.BytesIO(gzip.compress(text.encode())))
    with exact_open(io.StringIO(text)) as reader:
        exact = np.concatenate([b.values for b in reader])
    assert taken and same_bits(fast, exact)


SIGNATURES = [
    b"\x93NUMPY\x01\x00",
    b"\x93NUMPY\x02\x00",
    b"PK\x03\x04",
    b"PAR1",
    b"ARROW1\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x1f\x8b",
    b"BZh91AY&SY",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
]


@settings(max_examples=60, deadline=None)
@given(sig=st.sampled_from(SIGNATURES), tail=st.binary(max_size=300))
def test_damaged_binary_input_is_one_input_error(sig, tail):
    """A signature followed by anything: values or one SoftmaxInputError, never a crash."""
    for data in (sig + tail, npy_bytes(np.arange(6.0).reshape(2, 3))[: len(tail)] + tail):
        try:
            read_all(io.BytesIO(data))
        except sm.SoftmaxInputError:
            pass


def test_npy_and_arrow_streams_on_a_real_pipe(tmp_path):
    """stdin as a pipe (peeked, never re-read): a .npy and an Arrow IPC stream; the .npy
    route imports no pyarrow, the Arrow one reads the stream as it comes."""
    np.save(tmp_path / "a.npy", np.array(PAIRS, dtype=np.float32))
    (tmp_path / "t.arrows").write_bytes(write_kind(table_with_ids(np.float64), "stream"))
    probe = (
        "import sys; from softmax_cli.cli.app import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('pyarrow' in sys.modules, file=sys.stderr)"
    )
    for name, extra, imported in (
        ("a.npy", [], "False"),
        ("t.arrows", ["--id-column", "id"], "True"),
    ):
        done = subprocess.run(
            f"cat {name} | {sys.executable} -c \"{probe}\" compute - -f csv {' '.join(extra)}",
            shell=True, capture_output=True, text=True, cwd=tmp_path, check=False,
            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert done.stderr.strip() == imported, done.stderr
        lines = done.stdout.splitlines()
        if name == "a.npy":
            assert lines == ["0.26894143,0.7310586"] * 2  # float32 kept: float32 text
        else:
            assert lines == ["id,x,y", "r1,0.2689414213699951,0.7310585786300049", '"r,2",1.0,0.0']


def test_grad_writes_npy_too(cli, tmp_path):
    out = tmp_path / "j.npy"
    assert cli("grad", "1", "2", "3", "-f", "npy", "-o", str(out)).code == 0
    text = cli("grad", "1", "2", "3", "-f", "csv").out.splitlines()[-1]
    assert np.load(out).tolist() == [[float(v) for v in text.split(",")]]


def test_a_large_npy_is_read_a_bounded_batch_at_a_time(tmp_path, monkeypatch):
    """No batch holds more than BATCH_BYTES of values (a wide row is one batch by itself)."""
    from softmax_cli.io.read import binary

    monkeypatch.setattr(binary, "BATCH_BYTES", 4096)
    a = np.random.default_rng(2).standard_normal((300, 50))
    np.save(tmp_path / "a.npy", a)
    with open_vectors(str(tmp_path / "a.npy")) as reader:
        sizes = [b.values.nbytes for b in reader]
    assert max(sizes) <= 4096 and sum(sizes) == a.nbytes
    np.save(tmp_path / "w.npy", np.zeros((3, 1000)))
    with open_vectors(str(tmp_path / "w.npy")) as reader:
        assert [b.values.shape for b in reader] == [(1, 1000)] * 3


def test_arrow_to_a_pipe_is_an_ipc_stream():
    cmd = (
        f"{sys.executable} -m softmax_cli compute --input examples/logits.csv --id-column id "
        f"-f arrow | {sys.executable} -c 'import sys, pyarrow.ipc as ipc; "
        f"t = ipc.open_stream(sys.stdin.buffer).read_all(); print(t.column_names, t.num_rows)'"
    )
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['id', 'cat', 'dog', 'bird', 'fish'] 4"


def test_zstd_without_its_module_says_how_to_get_it(monkeypatch):
    from softmax_cli.io.read import compressed

    data = zstd_compress(TEXT)
    monkeypatch.setattr(compressed, "_zstd", lambda: None)
    with pytest.raises(InputError, match=r"zstd needs the backports.zstd package .*zstd -d"):
        read_all(io.BytesIO(data))


def test_columns_and_delimiter_reach_compressed_text_and_are_refused_for_arrays(tmp_path):
    """-c and -d apply to text however it arrives (here gzip'd on stdin); an array has no
    delimiter, so ``-d`` on a .npy is a usage error naming the option, not a silent no-op."""
    text = b"id;split;cat;dog\na;t;1;2\nb;v;3;1\n"
    cmd = [sys.executable, "-m", "softmax_cli", "compute", "-", "-d", ";", "-c", "cat-dog"]
    done = subprocess.run(
        [*cmd, "--format", "csv"], input=gzip.compress(text), capture_output=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.decode().splitlines()
    assert rows[0] == "id,split,cat,dog"
    expect = sm.softmax(np.array([[1.0, 2.0], [3.0, 1.0]]))
    for row, want in zip(rows[1:], expect, strict=True):
        assert [float(v) for v in row.split(",")[2:]] == want.tolist()
    path = tmp_path / "x.npy"
    np.save(path, np.ones((2, 3)))
    done = subprocess.run(
        [sys.executable, "-m", "softmax_cli", "compute", "--input", str(path), "-d", ";"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--delimiter" in done.stderr
