"""A long line is read a piece at a time, with the whole-line reader's values and errors (21).

A row of 5 million values is ~100 MB of text; it used to be held whole (twice while
decoded) and, as JSON, as a list of 5 million Python floats (1.15 GB). A file's line
longer than ``decode.LONG_LINE`` characters is now parsed piece by piece. Here the
limit is 64 characters, so rows of a few hundred values are cut into many pieces, and
each input is also read from a ``StringIO`` (no byte stream: the whole-line reader,
the peer) -- values bit for bit, layout, line numbers and error messages must agree.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from softmax_cli.io.read import decode, open_vectors
from softmax_cli.io.read.errors import InputError

_SMALL = np.random.default_rng(21).normal(size=300)
_ROW = _SMALL * np.logspace(-300, 300, 300)  # every exponent


def _read(source, **kwargs):
    try:
        with open_vectors(source, **kwargs) as reader:
            batches = list(reader)
            values = np.concatenate([b.values for b in batches])
            lines = np.concatenate([b.lines for b in batches]).tolist()
            return reader.layout, values.dtype, values.tobytes(), lines
    except InputError as err:
        return str(err)


def _both(tmp_path, monkeypatch, text: str, *, streamed: bool = True, **kwargs):
    """(what the piecewise reader gives, what the whole-line reader gives)."""
    path = tmp_path / "wide.txt"
    path.write_text(text)
    stream = io.StringIO(text)
    stream.name = str(path)  # the same name in messages and layouts
    expected = _read(stream, **kwargs)
    monkeypatch.setattr(decode, "LONG_LINE", 64)
    joins = []
    join = decode._Lines._join_long

    def spy(self):
        if self.long is not None:
            joins.append(self.next_no)
        join(self)

    monkeypatch.setattr(decode._Lines, "_join_long", spy)
    got = _read(path, **kwargs)
    assert (joins == []) == streamed, f"long lines joined whole: {joins}"
    return got, expected


def _row(delim: str = ",", values=_ROW) -> str:
    return delim.join(map(repr, values.tolist()))


@pytest.mark.parametrize("delim", [",", "\t", " "])
def test_a_long_row_read_in_pieces_is_the_whole_line_reading(tmp_path, monkeypatch, delim):
    text = _row(delim) + "\n# a comment\n\n" + _row(delim, _ROW[::-1]) + "\n"
    got, expected = _both(tmp_path, monkeypatch, text)
    assert not isinstance(got, str), got
    assert got == expected
    assert got[3] == [1, 4]  # line numbers of the two rows


@pytest.mark.parametrize(
    "odd",
    [
        "inf,-inf,nan,-0.0",
        "\u22121.5, 2.5 ,1e-320",  # a true minus sign, spaces, a subnormal
        '"1.5","-2",3',  # quoted numbers after the first piece
    ],
)
def test_odd_but_valid_tokens_in_a_long_row(tmp_path, monkeypatch, odd):
    text = _row() + "," + odd + "," + _row() + "\n"
    got, expected = _both(tmp_path, monkeypatch, text)
    assert not isinstance(got, str), got
    assert got == expected


def test_float32_from_a_long_row(tmp_path, monkeypatch):
    got, expected = _both(tmp_path, monkeypatch, _row(values=_SMALL) + "\n", dtype="float32")
    assert got[1] == np.float32 and got == expected


@pytest.mark.parametrize(
    ("odd", "dtype"),
    [
        ("abc", "float64"),  # names line 1, column 301 and the token, as the whole line does
        ("1e400", "float64"),  # overflow: write inf if you mean it
        ("1e39", "float32"),
        ("", "float64"),  # an empty field
        ('"1,5"', "float64"),  # a quoted decimal comma
    ],
)
def test_a_bad_token_in_a_long_row_is_reported_the_same(tmp_path, monkeypatch, odd, dtype):
    text = _row(values=_SMALL) + "," + odd + "," + _row() + "\n"
    got, expected = _both(tmp_path, monkeypatch, text, dtype=dtype)
    assert isinstance(expected, str) and "line 1, column 301" in expected
    assert got == expected


def test_a_long_row_of_another_width_is_reported_the_same(tmp_path, monkeypatch):
    text = _row() + "\n" + _row(values=_ROW[1:]) + "\n"
    got, expected = _both(tmp_path, monkeypatch, text)
    assert "line 2: expected 300 values (as on line 1), found 299" in expected
    assert got == expected


def test_a_long_header_is_still_read_whole(tmp_path, monkeypatch):
    names = ",".join(f"token_{i}" for i in range(300))
    text = names + "\n" + _row() + "\n"
    got, expected = _both(tmp_path, monkeypatch, text, streamed=False)
    assert got == expected and got[0].columns[:2] == ["token_0", "token_1"]


def _json(values) -> str:
    return "[" + ", ".join(map(json.dumps, values)) + "]"


def test_a_long_json_line_read_in_pieces(tmp_path, monkeypatch):
    row = _ROW.tolist()
    text = _json(row) + "\n" + _json(row[::-1]) + "\n"  # JSON lines: the rest as before
    got, expected = _both(tmp_path, monkeypatch, text)
    assert not isinstance(got, str), got
    assert got == expected and got[0].delimiter == expected[0].delimiter


def test_json_specials_and_integers_in_a_long_line(tmp_path, monkeypatch):
    text = "[" + _json(_ROW.tolist())[1:-1] + ', 1, -0, "nan", "-inf", NaN, Infinity, 7]\n'
    got, expected = _both(tmp_path, monkeypatch, text)
    assert not isinstance(got, str), got
    assert got == expected


@pytest.mark.parametrize(
    "odd",
    ['"abc"', "null", "1e400", "[2]", '"a,b\\" c"'],
)
def test_json_errors_in_a_long_line_are_the_same(tmp_path, monkeypatch, odd):
    text = "[" + _json(_ROW.tolist())[1:-1] + ", " + odd + ", 1.5]\n"
    got, expected = _both(tmp_path, monkeypatch, text)
    assert isinstance(expected, str) and "value 301" in expected, expected
    assert got == expected


def test_a_json_syntax_error_in_a_long_line_names_its_column(tmp_path, monkeypatch):
    text = _json(_ROW.tolist())[:-1] + ",, 1.5]\n"
    got, expected = _both(tmp_path, monkeypatch, text)
    assert isinstance(expected, str) and "invalid JSON" in expected, expected
    assert got == expected


@pytest.mark.parametrize(
    "rest",
    [
        ",\n 1.5, -2]\n",  # a document holding one vector, its first line long
        ",\n 1.5, -2]\n\n  \n",
        ',\n 1.5, "abc"]\n',  # its error names line 2 as the whole-document reader does
        ",\n 1.5, -2]\n[3]\n",  # extra text after the document
    ],
)
def test_a_json_vector_going_on_after_its_long_first_line(tmp_path, monkeypatch, rest):
    text = _json(_ROW.tolist())[:-1] + rest
    got, expected = _both(tmp_path, monkeypatch, text)
    assert got == expected


def test_one_long_token_is_reported_the_same(tmp_path, monkeypatch):
    text = "1 2 " + "x" * 1000 + " 3\n"  # no delimiter in many pieces: joined once, not per piece
    got, expected = _both(tmp_path, monkeypatch, text)
    assert "column 3" in expected and got == expected


def test_a_quoted_field_left_open_in_a_long_row_is_an_error(tmp_path, monkeypatch):
    text = _row() + ',"1.5\n2",' + _row() + "\n"  # the whole-line reader joins the lines
    got, expected = _both(tmp_path, monkeypatch, text)
    assert isinstance(expected, str), expected  # '1.5\n2' is not a number
    assert isinstance(got, str) and "line 1, column 301" in got and "not closed" in got
