"""Text-file conventions: the id column found without ``--id-column``, pandas' CSVs,
``-c/--columns`` and ``-d/--delimiter`` (issues 12 and 13).

Expected values are numpy's textbook softmax of the logits the test writes (a peer of
the library's kernel), never output copied from the command.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softmax_cli.io.read import InputError, open_vectors

from .conftest import run_shell


def textbook(rows: list[list[float]]) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def read(text: str, **kwargs):
    with open_vectors(io.StringIO(text), **kwargs) as reader:
        batches = list(reader)
        return reader.layout, batches


def parse_csv(out: str) -> tuple[list[str], list[list[str]]]:
    lines = out.splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


# -- the id column found by itself ---------------------------------------------------


def test_help_example_runs_on_the_shipped_file():
    """``cat examples/logits.csv | softmax compute - --method sparsemax`` (compute --help)."""
    run = run_shell("cat examples/logits.csv | softmax compute - --method sparsemax")
    assert run.code == 0, run.err
    header, rows = parse_csv(run.out)
    assert header == ["id", "cat", "dog", "bird", "fish"]
    assert [r[0] for r in rows] == ["img-001", "img-002", "img-003", "img-004"]
    # sparsemax of img-004 (four ties) is uniform; of img-003 one-hot on fish
    assert [float(v) for v in rows[3][1:]] == [0.25] * 4
    assert [float(v) for v in rows[2][1:]] == [0.0, 0.0, 0.0, 1.0]


def test_a_named_leading_text_column_is_the_id_column():
    layout, batches = read("name,a,b\nr1,1,2\nr2,3,-1\n")
    assert (layout.id_name, layout.id_index, layout.columns) == ("name", 0, ["a", "b"])
    assert batches[0].ids == ["r1", "r2"]
    assert batches[0].values.tolist() == [[1.0, 2.0], [3.0, -1.0]]


def test_a_sniffed_id_column_must_hold_text_in_every_row():
    """A number under a sniffed id column stops the reader: no row is computed shifted."""
    with pytest.raises(InputError) as err:
        read("id,a,b\nr1,1,2\n42,3,4\n")
    assert (err.value.line, err.value.column, err.value.token) == (3, 1, "42")
    assert "id_column" in str(err.value) and "line 2" in str(err.value)
    # on the exact reader's record-by-record path too (a quoted field sends it there)
    with pytest.raises(InputError) as err:
        read('id,a,b\n"r,1",1,2\n1e5,3,4\n')
    assert (err.value.line, err.value.token) == (3, "1e5")
    # given by name, the same column passes any text through, numbers included
    _, batches = read("id,a,b\nr1,1,2\n42,3,4\n", id_column="id")
    assert batches[0].ids == ["r1", "42"]


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\nNA,1,2\n",  # a missing value, not a label
        "a,b,c\n1.5e,1,2\n",  # a cut exponent
        "a,b,c\n,1,2\n",  # an empty value
    ],
)
def test_a_leading_value_that_is_a_broken_number_is_not_taken_for_a_label(text):
    with pytest.raises(InputError) as err:
        read(text)
    assert (err.value.line, err.value.column) == (2, 1)


def test_without_a_header_a_label_column_is_refused_naming_id_column():
    with pytest.raises(InputError) as err:
        read("r1,1,2\nr2,3,4\n")
    assert (err.value.line, err.value.column, err.value.token) == (1, 1, "r1")
    assert "id_column" in str(err.value)


def test_a_number_in_the_first_row_then_text_is_an_error_naming_id_column():
    with pytest.raises(InputError) as err:
        read("id,a,b\n7,1,2\nx,1,2\n")
    assert (err.value.line, err.value.token) == (3, "x") and "id_column" in str(err.value)


# -- pandas ----------------------------------------------------------------------------

# What pandas writes (pandas 2.x, by hand here: pandas is not a test dependency):
#   pd.DataFrame([[1.5, 2.0], [0.25, -1.0]]).to_csv()            -> PANDAS_INDEX
#   pd.DataFrame([[1.5, 2.0]], columns=["a", "b"]).to_csv()      -> ",a,b\n0,1.5,2.0\n"
#   pd.DataFrame([[1.5, 2.0], [0.25, -1.0]]).to_csv(index=False) -> PANDAS_NO_INDEX
PANDAS_INDEX = ",0,1\n0,1.5,2.0\n1,0.25,-1.0\n"
PANDAS_NO_INDEX = "0,1\n1.5,2.0\n0.25,-1.0\n"


def test_pandas_index_and_integer_header_pass_through(cli, tmp_path):
    path = tmp_path / "df.csv"
    path.write_text(PANDAS_INDEX)
    run = cli("compute", "--input", str(path))
    assert run.code == 0, run.err
    header, rows = parse_csv(run.out)
    assert header == ["", "0", "1"]  # reads back with pd.read_csv(index_col=0)
    assert [r[0] for r in rows] == ["0", "1"]
    got = np.array([[float(v) for v in r[1:]] for r in rows])
    np.testing.assert_allclose(got, textbook([[1.5, 2.0], [0.25, -1.0]]), rtol=1e-15)


def test_pandas_named_columns_over_an_index():
    layout, batches = read(",a,b\n0,1.5,2.0\n")
    assert (layout.id_name, layout.id_index, layout.columns) == ("", 0, ["a", "b"])
    assert batches[0].ids == ["0"] and batches[0].values.tolist() == [[1.5, 2.0]]


def test_pandas_default_names_without_an_index_are_never_computed_silently():
    with pytest.raises(InputError) as err:
        read(PANDAS_NO_INDEX)
    assert err.value.line == 1
    message = str(err.value)
    assert "'0,1'" in message and "no_header" in message and "header" in message
    layout, batches = read(PANDAS_NO_INDEX, header=True)
    assert layout.columns == ["0", "1"]
    assert batches[0].values.tolist() == [[1.5, 2.0], [0.25, -1.0]]
    _, batches = read(PANDAS_NO_INDEX, header=False)
    assert batches[0].values.tolist() == [[0.0, 1.0], [1.5, 2.0], [0.25, -1.0]]


def test_pandas_default_names_cli_message_names_both_flags(cli):
    run = cli("compute", "-", stdin=PANDAS_NO_INDEX)
    assert run.code == 1 and run.out == ""
    assert run.err.startswith("error: <stdin>: line 1: '0,1' may be pandas' default column")
    assert "(--header or --no-header)" in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize(
    "text, ok",
    [
        ("0,1,2\n", True),  # one row: it can only be data
        ("0\n1.5\n", False),  # Series.to_csv(index=False): header 0
        ("id,0,1\nr1,1,2\n", False),  # a named index over default names
        ("0,2,1\n1,2,3\n", True),  # not pandas' sequence: data
    ],
)
def test_which_first_rows_are_ambiguous(text, ok):
    if ok:
        _, batches = read(text)
        assert batches[0].values[0].tolist() == [float(t) for t in text.split("\n")[0].split(",")]
    else:
        with pytest.raises(InputError) as err:
            read(text)
        assert err.value.line == 1


# -- -c/--columns --------------------------------------------------------------------

WIDE = "id,split,a,b,c\nr1,train,1,2,3\nr2,test,4,5,-1\n"


@pytest.mark.parametrize(
    "spec, names",
    [
        ("3-5", ["a", "b", "c"]),
        ("a,b,c", ["a", "b", "c"]),
        ("a-c", ["a", "b", "c"]),
        ("!id,!split", ["a", "b", "c"]),
        ("3-", ["a", "b", "c"]),
        ("c,a", ["c", "a"]),
        ("2-5,!split", ["a", "b", "c"]),
        (["a", 4], ["a", "b"]),
    ],
)
def test_columns_choose_the_logits_by_name_position_range_or_negation(spec, names):
    layout, batches = read(WIDE, columns=spec)
    assert layout.columns == names
    src = {"a": [1.0, 4.0], "b": [2.0, 5.0], "c": [3.0, -1.0]}
    want = np.array([src[n] for n in names]).T
    assert np.array_equal(batches[0].values, want)
    kept = [n for n in ["id", "split", "a", "b", "c"] if n not in names]
    assert layout.passed == (kept if len(kept) > 1 else None)


def test_columns_pass_the_rest_through_cli(cli, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(WIDE)
    run = cli("compute", "--input", str(path), "-c", "3-5")
    assert run.code == 0, run.err
    header, rows = parse_csv(run.out)
    assert header == ["id", "split", "a", "b", "c"]
    assert [r[:2] for r in rows] == [["r1", "train"], ["r2", "test"]]
    got = np.array([[float(v) for v in r[2:]] for r in rows])
    np.testing.assert_allclose(got, textbook([[1, 2, 3], [4, 5, -1]]), rtol=1e-15)
    run = cli("compute", "--input", str(path), "-c", "c,a", "--format", "jsonl")
    assert run.code == 0, run.err
    first = run.out.splitlines()[0]
    assert first.startswith('{"id": "r1", "split": "train", "b": "2", "c": ')


def test_columns_keep_quoted_pass_through_text_and_position_without_header():
    layout, batches = read('"r,1",x,1,2\nr2,y,3,4\n', columns="3-4")
    assert layout.columns is None and layout.passed == ["id1", "id2"]
    assert batches[0].passed == [("r,1", "x"), ("r2", "y")]
    assert batches[0].values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("zz", "column 'zz' (columns) is not in the header"),
        ("9", "column '9' (columns) is out of range: the first row has 5 columns"),
        ("a,a", "column 3 is chosen twice"),
        ("!a,!b,!c,!id,!split", "holds no logit columns"),
        ("c-a", "column 'c-a' (columns) is not in the header"),
    ],
)
def test_bad_selections_name_the_column(spec, fragment):
    with pytest.raises(InputError) as err:
        read(WIDE, columns=spec)
    assert fragment in str(err.value)


def test_a_name_needs_a_header_and_the_id_cannot_be_a_logit():
    with pytest.raises(InputError, match="is a name, but the first row holds values"):
        read("1,2,3\n4,5,6\n", columns="a")
    with pytest.raises(InputError, match="also chosen as a logit column"):
        read(WIDE, columns="1,3", id_column="id")
    layout, batches = read(WIDE, columns="a-c", id_column="split")
    assert layout.passed == ["split", "id"] and batches[0].ids == ["train r1", "test r2"]


def test_bad_columns_and_delimiter_values_are_usage_errors(cli):
    for args in (["-c", ""], ["-c", "0"], ["-d", "xx"], ["-d", "1"], ["-d", '"']):
        run = cli("compute", "-", *args, stdin="1,2\n")
        assert run.code == 2 and run.out == "", (args, run.err)
        assert run.err.startswith("error: --") and run.err.count("\n") == 1
    run = cli("compute", "-c", "1", "1", "2")
    assert run.code == 2 and "--columns applies to file or stdin input" in run.err


def test_a_row_with_too_few_fields_is_reported_with_a_selection():
    with pytest.raises(InputError) as err:
        read(WIDE + "r3,x,1,2\n", columns="3-5")
    assert err.value.line == 4 and "expected 5 columns" in str(err.value)


# -- -d/--delimiter ------------------------------------------------------------------


@pytest.mark.parametrize("d, sep", [(";", ";"), ("|", "|"), ("tab", "\t"), ("\\t", "\t")])
def test_delimiter_reads_the_file_it_names(d, sep):
    text = f"id{sep}a{sep}b\nr1{sep}1.5{sep}-2\n"
    layout, batches = read(text, delimiter=d)
    assert (layout.delimiter, layout.columns, batches[0].ids) == (sep, ["a", "b"], ["r1"])
    assert batches[0].values.tolist() == [[1.5, -2.0]]


def test_semicolon_file_cli_and_its_hint(cli):
    run = cli("compute", "-", "-d", ";", stdin="a;b\n1;2\n")
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == "a,b"  # CSV out (TSV in gives TSV, JSON gives JSON)
    got = [float(v) for v in run.out.splitlines()[1].split(",")]
    np.testing.assert_allclose(got, textbook([[1, 2]])[0], rtol=1e-15)
    run = cli("compute", "-", stdin="1;2\n3;4\n")
    assert run.code == 1 and "not ';'" in run.err
    run = cli("compute", "-", "-d", ";", stdin="a;b\n1,5;2\n")
    assert run.code == 1 and "'1,5' is not a number; write the decimal point as '.'" in run.err


def test_delimiter_reads_a_bracketed_first_field_as_text():
    """A CSV whose first field starts with ``[`` is JSON to the sniffer, CSV when told."""
    layout, batches = read("[id],a\nr1,2\n", delimiter=",")
    assert (layout.id_name, batches[0].ids) == ("[id]", ["r1"])


# -- the engine: the same bits or the exact reader -------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"columns": "2-4"}, {"columns": "!1"}, {"delimiter": ","}, {"delimiter": ";"}, {}],
)
def test_engine_honours_or_falls_back_for_the_options(tmp_path, monkeypatch, kwargs):
    from softmax_cli.io import engine
    from softmax_cli.io.readers import open_vectors as engine_open

    monkeypatch.setattr(engine, "MIN_BYTES", 400)
    monkeypatch.setattr(engine, "HEAD_BYTES", 400)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 700)
    taken = []
    real = engine._Engine._fast
    monkeypatch.setattr(engine._Engine, "_fast", lambda self, b: taken.append(1) or real(self, b))
    sep = kwargs.get("delimiter", ",")
    rng = np.random.default_rng(5)
    rows = [sep.join(repr(float(v)) for v in rng.normal(size=4) * 10) for _ in range(400)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n")

    def outcome(opener):
        with opener(path, **kwargs) as reader:
            batches = list(reader)
        values = np.concatenate([b.values for b in batches])
        ids = [i for b in batches for i in (b.ids or [])]
        return values.tobytes(), ids, reader.layout

    fast, exact = outcome(engine_open), outcome(open_vectors)
    assert fast == exact
    if "columns" in kwargs:
        assert len(fast[1]) == 400  # the column left out passed through
    # polars reads -d , like a sniffed comma; a selection or ';' keeps the exact reader
    assert bool(taken) == (kwargs in ({}, {"delimiter": ","}))


@pytest.mark.parametrize(
    "args",
    [
        ["compute"],
        ["compare"],
        ["temperature-sweep", "--taus", "1"],
        ["grad"],
        ["sample", "--seed", "1"],
    ],
)
def test_every_command_reading_files_takes_delimiter(cli, args):
    run = cli(*args, "-", "-d", "|", "--format", "csv", stdin="a|b|c\n1|2|3\n")
    assert run.code == 0, run.err
    plain = cli(*args, "-", "--format", "csv", stdin="a,b,c\n1,2,3\n")
    assert run.out == plain.out


def test_calibrate_takes_delimiter(cli):
    text = "a,b,label\n2,1,0\n1,2,0\n0,3,1\n"
    run = cli("calibrate", "-", "-d", ";", "-y", "label", "-q", stdin=text.replace(",", ";"))
    assert run.code == 0, run.err
    assert run.out == cli("calibrate", "-", "-y", "label", "-q", stdin=text).out


@pytest.mark.parametrize("command", ["compute", "compare", "temperature-sweep", "grad"])
def test_columns_on_every_vector_command(cli, command):
    run = cli(command, "-", "-c", "2-3", "--format", "csv", stdin="id,a,b\nr1,1,2\n")
    plain = cli(command, "-", "--id-column", "id", "--format", "csv", stdin="id,a,b\nr1,1,2\n")
    assert run.code == 0 and run.out == plain.out, run.err


GRAD = "id,split,a,b,label\nr1,x,1,2,0\nr2,y,-1,3,1\n"


@pytest.mark.parametrize("target", ["label", "5"])
def test_grad_target_column_counts_over_the_whole_row_with_a_selection(cli, target):
    """``--target-column 5`` is input column 5 however ``-c`` orders the logits."""
    run = cli("grad", "-", "-c", "b,a,label", "--loss", "ce", "--target-column", target,
              "--format", "csv", stdin=GRAD)  # fmt: skip
    assert run.code == 0, run.err
    header, rows = parse_csv(run.out)
    assert header == ["id", "split", "loss", "grad_b", "grad_a"]
    assert [r[:2] for r in rows] == [["r1", "x"], ["r2", "y"]]
    # cross-entropy gradient p - onehot(t); the targets 0, 1 count over the logit columns
    # in the order -c gives them: (b, a)
    p = textbook([[2, 1], [3, -1]])
    want = p - np.array([[1, 0], [0, 1]])
    got = np.array([[float(v) for v in r[3:]] for r in rows])
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=1e-17)
    run = cli("grad", "-", "-c", "3-5", "--loss", "ce", "--target-column", "2", stdin=GRAD)
    assert run.code == 2 and "--target-column 2 is the id column" in run.err


def test_calibrate_label_column_with_a_selection(cli):
    text = "id,note,a,b,c,label\nr1,x,2,1,0,0\nr2,y,1,2,0,1\nr3,z,0,1,2,0\n"
    run = cli("calibrate", "-", "-c", "3-", "-y", "label", "-q", stdin=text)
    plain = cli("calibrate", "-", "--id-column", "id", "-c", "!note", "-y", "6", "-q", stdin=text)
    bare = cli(
        "calibrate",
        "-",
        "-y",
        "label",
        "-q",
        stdin=text.replace(",x,", ",").replace(",y,", ",").replace(",z,", ",").replace("note,", ""),
    )
    assert run.code == 0 and plain.code == 0, (run.err, plain.err)
    assert run.out == plain.out == bare.out


@settings(max_examples=150, deadline=None)
@given(
    ncol=st.integers(2, 8),
    picks=st.lists(
        st.tuples(st.sampled_from(["pos", "name", "range"]), st.integers(0, 7)),
        min_size=0,
        max_size=4,
    ),
    leave=st.lists(st.integers(0, 7), max_size=3),
)
def test_a_selection_takes_what_a_plain_model_takes(ncol, picks, leave):
    """Reading with ``columns`` equals slicing the full matrix as the selection says."""
    names = [f"n{i}" for i in range(ncol)]
    items, model = [], []
    for kind, i in picks:
        i %= ncol
        if kind == "pos":
            items.append(str(i + 1))
            model.append(i)
        elif kind == "name":
            items.append(names[i])
            model.append(i)
        else:
            items.append(f"{i + 1}-")
            model.extend(range(i, ncol))
    out = {j % ncol for j in leave}
    items += [f"!{names[j]}" for j in sorted(out)]
    base = model if picks else list(range(ncol))
    want = [j for j in base if j not in out]
    text = ",".join(names) + "\n" + ",".join(str(j + 0.5) for j in range(ncol)) + "\n"
    if not items:
        return
    if len(set(base)) != len(base) or not want:
        with pytest.raises(InputError):
            read(text, columns=",".join(items))
        return
    layout, batches = read(text, columns=",".join(items))
    assert batches[0].values[0].tolist() == [j + 0.5 for j in want]
    assert layout.columns == [names[j] for j in want]
    kept = [j for j in range(ncol) if j not in want]  # passed through, in input order
    texts = tuple(str(j + 0.5) for j in kept)
    if len(kept) > 1:
        assert batches[0].passed == [texts]
        assert layout.passed == [names[j] for j in kept]
    else:
        assert batches[0].passed is None and batches[0].ids == (list(texts) or None)
