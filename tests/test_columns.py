"""Text-file conventions: the id column found without ``--id-column``, pandas' CSVs,
``-c/--columns`` and ``-d/--delimiter`` (issues 12 and 13).

Expected values are numpy's textbook softmax of the logits the test writes (a peer of
the library's kernel), never output copied from the command.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

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
