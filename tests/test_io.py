"""softmax_cli.io: reading vectors (arguments, CSV/TSV/whitespace, JSON, stdin, files),
odd input and its error messages, streaming, float formatting and write-then-read round trips."""

from __future__ import annotations

import gc
import io
import json
import re
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_cli.errors import SoftmaxInputError
from softmax_cli.io import (
    FORMATS,
    Batch,
    InputError,
    Layout,
    RowWriter,
    VectorReader,
    format_float,
    format_floats,
    open_vectors,
    parse_arguments,
)
from softmax_cli.io.read import reader as readers_mod

# ---------------------------------------------------------------- helpers


def stream(data: str | bytes) -> io.IOBase:
    return io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)


def read(data: str | bytes, **kw) -> tuple[Layout, np.ndarray, list[str] | None, np.ndarray]:
    """Everything a reader yields, concatenated: layout, values, ids, line numbers."""
    with open_vectors(stream(data), **kw) as reader:
        batches = list(reader)
        layout = reader.layout
    values = np.concatenate([b.values for b in batches])
    ids = None if batches[0].ids is None else [i for b in batches for i in b.ids]
    lines = np.concatenate([b.lines for b in batches])
    return layout, values, ids, lines


def read_error(data: str | bytes, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read(data, **kw)
    err = info.value
    assert "\n" not in str(err)  # always one line
    return err


def same_floats(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equal, except that any NaN matches any NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return False
    keep = ~nan_a
    return bool(
        np.array_equal(a[keep], b[keep])
        and np.array_equal(np.signbit(a[keep]), np.signbit(b[keep]))
    )


# ---------------------------------------------------------------- InputError


def test_input_error_is_one_line_with_location_and_attributes():
    err = InputError("'abc' is not a number", source="logits.csv", line=12, column=3, token="abc")
    assert str(err) == "logits.csv: line 12, column 3: 'abc' is not a number"
    assert (err.source, err.line, err.column, err.token) == ("logits.csv", 12, 3, "abc")
    assert err.reason == "'abc' is not a number"
    assert isinstance(err, SoftmaxInputError) and isinstance(err, ValueError)
    assert "\n" not in str(InputError("a\nb", source="x"))


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["1", "2", "3"], [1.0, 2.0, 3.0]),
        (["1,2,3"], [1.0, 2.0, 3.0]),
        (["1,", "2"], [1.0, 2.0]),
        (["-1000", "-2000"], [-1000.0, -2000.0]),
        (["1 2", "3"], [1.0, 2.0, 3.0]),
        (["[1, 2,", "3]"], [1.0, 2.0, 3.0]),
        (["\u22121.5", "inf", "-Infinity"], [-1.5, np.inf, -np.inf]),
    ],
)
def test_parse_arguments_forms(tokens, expected):
    got = parse_arguments(tokens)
    assert got.dtype == np.float64 and got.ndim == 1
    assert got.tolist() == expected


def test_parse_arguments_dtype_and_nan():
    got = parse_arguments(["0.1", "nan"], dtype=np.float32)
    assert got.dtype == np.float32
    assert got[0] == np.float32(0.1) and np.isnan(got[1])


@pytest.mark.parametrize(
    ("tokens", "start", "token"),
    [
        (["1", "abc"], "argument 2: 'abc' is not a number", "abc"),
        (["1,abc"], "argument 1, value 2: 'abc' is not a number", "abc"),
        (["1", "1_000"], "argument 2: '1_000' is not a number: '_' digit separators", "1_000"),
        (["１"], "argument 1: '１' is not a number: it contains '１' (U+FF11", "１"),
        (["1e400"], "argument 1: '1e400' overflows float64 (largest ≈ 1.8e308)", "1e400"),
        (["1,,2"], "argument 1: empty value between commas", "1,,2"),
        (["1", ""], "argument 2 is empty", ""),
    ],
)
def test_parse_arguments_errors(tokens, start, token):
    with pytest.raises(InputError) as info:
        parse_arguments(tokens)
    assert str(info.value).startswith(start)
    assert info.value.token == token


def test_parse_arguments_needs_values():
    with pytest.raises(InputError, match="no values given"):
        parse_arguments([])
    with pytest.raises(InputError, match="no values given"):
        parse_arguments([","])


def test_parse_arguments_float32_overflow():
    with pytest.raises(InputError, match="'1e39' overflows float32"):
        parse_arguments(["1e39"], dtype=np.float32)


# ---------------------------------------------------------------- sniffing, header, ids


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("1,2,3\n4,5,6\n", ","),
        ("1\t2\t3\n4\t5\t6\n", "\t"),
        ("1 2  3\n 4\t5 6\n", " "),
    ],
)
def test_sniffs_csv_tsv_whitespace(text, delimiter):
    layout, values, ids, lines = read(text)
    assert layout.delimiter == delimiter
    assert values.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert ids is None and lines.tolist() == [1, 2]


def test_sniffing_uses_first_non_blank_non_comment_line():
    layout, values, _, lines = read("\n# a, comment\t with both\n\n1 2\n3 4\n")
    assert layout.delimiter == " "
    assert values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert lines.tolist() == [4, 5]


def test_a_tab_wins_over_a_comma():
    err = read_error("a\tb\tc\n1\t2,5\t3\n")  # TSV with a decimal comma
    assert (err.line, err.column, err.token) == (2, 2, "2,5")
    assert "write the decimal point as '.'" in str(err)


def test_explicit_format_overrides_sniffing():
    layout, values, _, _ = read("1\t2\n3 4\n", fmt="ws")
    assert layout.delimiter == " " and values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    err = read_error("1;2\n", fmt="csv", header=False)
    assert err.token == "1;2" and "separate values with commas, tabs or spaces" in str(err)


def test_unknown_format_and_dtype_and_chunk_rows_are_errors():
    with pytest.raises(InputError, match="unknown input format 'xml'"):
        open_vectors(io.StringIO("1\n"), fmt="xml")
    with pytest.raises(InputError, match="floating type"):
        open_vectors(io.StringIO("1\n"), dtype=np.int32)
    with pytest.raises(InputError, match="chunk_rows"):
        open_vectors(io.StringIO("1\n"), chunk_rows=0)


def test_header_detected_and_layout():
    layout, values, ids, lines = read("a,b,c\n1,2,3\n")
    assert layout == Layout(
        columns=["a", "b", "c"],
        id_name=None,
        id_index=None,
        delimiter=",",
        source_name="<stream>",
        width=3,
    )
    assert values.tolist() == [[1.0, 2.0, 3.0]] and ids is None and lines.tolist() == [2]


def test_header_names_may_be_quoted_and_padded():
    layout, *_ = read('"a, b" , c\n1,2\n')
    assert layout.columns == ["a, b", "c"]


def test_no_header_when_first_row_is_numeric():
    layout, values, *_ = read("1,2\n3,4\n")
    assert layout.columns is None and values.shape == (2, 2)


def test_a_first_row_mixing_numbers_and_text_is_data_not_a_header():
    err = read_error("1,NA\n2,3\n")  # not silently dropped as a header
    assert (err.line, err.column, err.token) == (1, 2, "NA")
    assert "write nan for a missing value; if line 1 is a header, say so (header)" in str(err)
    assert err.naming({"header": "--header"}.get).endswith("say so (--header)")
    err = read_error("x,1,2\n3,4,5\n")
    assert (err.line, err.column, err.token) == (1, 1, "x")
    err = read_error('[["a", 1], [2, 3]]')
    assert err.line == 1 and "row 1, value 1" in str(err)


def test_pandas_style_header_with_an_unnamed_index():
    layout, values, ids, _ = read(",a,b\n0,1.5,2.5\n1,3.5,4.5\n", id_column=1)
    assert layout.columns == ["a", "b"] and layout.id_name == ""
    assert ids == ["0", "1"] and values.tolist() == [[1.5, 2.5], [3.5, 4.5]]


def test_header_forced_on_and_off():
    layout, values, *_ = read("1,2\n3,4\n", header=True)
    assert layout.columns == ["1", "2"] and values.tolist() == [[3.0, 4.0]]
    err = read_error("a,b\n1,2\n", header=False)
    assert (err.line, err.column, err.token) == (1, 1, "a")


def test_id_column_by_position_is_excluded_from_header_detection():
    layout, values, ids, _ = read("r1,1,2\nr2,3,4\n", id_column=1)
    assert layout.columns is None and layout.id_index == 0 and layout.width == 2
    assert ids == ["r1", "r2"] and values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_id_column_in_the_middle_and_last():
    _, values, ids, _ = read("1,x,2\n3,y,4\n", id_column=2)
    assert ids == ["x", "y"] and values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    layout, values, ids, _ = read("a\tb\tname\n1\t2\tp q\n", id_column="name")
    assert layout.id_index == 2 and layout.id_name == "name" and layout.columns == ["a", "b"]
    assert ids == ["p q"] and values.tolist() == [[1.0, 2.0]]


def test_id_column_text_is_untouched():
    text = "id,x\n  spaced  ,1\nUPPER,2\n007,3\nnaïve ☃,4\n,5\n"
    _, values, ids, _ = read(text, id_column="id")
    assert ids == ["  spaced  ", "UPPER", "007", "naïve ☃", ""]
    assert values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_whitespace_input_with_ids():
    _, values, ids, _ = read("a 1 2\nb 3 4\n", id_column=1)
    assert ids == ["a", "b"] and values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    ("text", "kw", "pattern"),
    [
        ("1,2,3\n", {"id_column": 4}, "id column 4 is out of range: the first row has 3 columns"),
        ("1,2,3\n", {"id_column": 0}, "positions count from 1"),
        ("a,b\n1,2\n", {"id_column": "c"}, "id column 'c' is not in the header \\('a', 'b'\\)"),
        ("1,2\n3,4\n", {"id_column": "name"}, "the first row holds numbers, not a header"),
        ("a,b\n1,2\n", {"id_column": "a", "header": False}, "header=False"),
        ("x\n1\n", {"id_column": "x"}, "no value columns"),
    ],
)
def test_id_column_errors(text, kw, pattern):
    with pytest.raises(InputError, match=pattern):
        read(text, **kw)


# ---------------------------------------------------------------- lines, comments, encodings


def test_blank_and_comment_lines_skipped_but_counted():
    text = "# made by hand\n\n1,2\n   \n# more\n3,4\n\n"
    _, values, _, lines = read(text)
    assert values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert lines.tolist() == [3, 6]
    err = read_error("# c\n\n1,2\n\n3,x\n")
    assert (err.line, err.column, err.token) == (5, 2, "x")


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n3,4\n",
        b"\xef\xbb\xbfa,b\n1,2\n3,4\n",  # UTF-8 BOM
        b"a,b\r\n1,2\r\n3,4\r\n",  # CRLF
        b"a,b\r1,2\r3,4\r",  # lone CR (old Mac)
        b"a,b\r\n1,2\r3,4",  # mixed, no final newline
        "a,b\n1,2\n3,4\n".encode("utf-16"),  # UTF-16 with BOM
        "a,b\r\n1,2\r\n3,4\r\n".encode("utf-16-be").join([b"\xfe\xff", b""]),
        "a,b\n1,2\n3,4\n".encode("utf-32"),
    ],
)
def test_encodings_and_line_ends(data):
    layout, values, _, lines = read(data)
    assert layout.columns == ["a", "b"]
    assert values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert lines.tolist() == [2, 3]


def test_text_stream_with_crlf_and_bom():
    _, values, _, lines = read("\ufeff1,2\r\n3,4\r5,6\n")
    assert values.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert lines.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("data", "line", "pattern"),
    [
        (b"\x93NUMPY\x01\x00v\x00{'descr'", None, "is not a valid .npy file (EOF"),
        (b"1,2\n3,4\n5,\x006\n", 3, "NUL byte"),
        (b"1,2\n\x1f\x8b\x08\x00", 2, "NUL byte"),
        (b"1,2\n3,4\n\xff\xfe\xfd\n", 3, "byte 0xff is not UTF-8 text"),
        (b"x,y\n1,caf\xe9\n", 2, "byte 0xe9 is not UTF-8 text"),
        ("1,2\n3,4\n".encode("utf-16-le"), 1, "NUL byte"),  # UTF-16 without a BOM
    ],
)
def test_binary_or_undecodable_input(data, line, pattern):
    err = read_error(data)
    assert err.line == line
    assert pattern in str(err)


def test_undecodable_bytes_deep_in_a_large_input_name_the_line():
    data = b"1,2\n" * 100_000 + b"3,\xc3\x28\n"
    err = read_error(data)
    assert err.line == 100_001 and "byte 0xc3 is not UTF-8" in str(err)


def test_files_by_path(tmp_path):
    path = tmp_path / "logits.csv"
    path.write_text("x,y\n1,2\n")
    for source in (str(path), path):
        layout, values, _, _ = read_path(source)
        assert layout.source_name == str(path) and values.tolist() == [[1.0, 2.0]]
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,zz\n")
    with pytest.raises(InputError) as info:
        read_path(str(bad))
    assert str(info.value).startswith(f"{bad}: line 2, column 2: 'zz' is not a number")


def read_path(source):
    with open_vectors(source) as reader:
        batches = list(reader)
        return reader.layout, np.concatenate([b.values for b in batches]), None, None


def test_missing_file_directory_and_unreadable_file(tmp_path, monkeypatch):
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=r"nope\.csv does not exist; check the path"):
        open_vectors(str(missing))
    with pytest.raises(InputError, match=re.escape(f"{tmp_path} is a directory, not a file")):
        open_vectors(str(tmp_path))
    locked = tmp_path / "locked.csv"
    locked.write_text("1,2\n")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(readers_mod, "open", deny, raising=False)
    with pytest.raises(InputError, match=r"locked\.csv cannot be read: permission denied"):
        open_vectors(str(locked))


def test_files_opened_here_are_closed(tmp_path, monkeypatch):
    path = tmp_path / "x.csv"
    path.write_text("1,2\n")
    handles = []

    def recording_open(*args, **kwargs):
        handles.append(open(*args, **kwargs))
        return handles[-1]

    monkeypatch.setattr(readers_mod, "open", recording_open, raising=False)
    list(open_vectors(path))  # iterated to the end
    open_vectors(path).close()  # closed before iterating
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="holds no vectors"):
        open_vectors(tmp_path / "empty.csv")  # failed while opening
    assert len(handles) == 3 and all(h.closed for h in handles)


def test_stdin_dash_reads_bytes(monkeypatch):
    raw = io.BytesIO("a\tb\r\n1\t\u22122\r\n".encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw, encoding="latin-1"))
    with open_vectors("-") as reader:
        batch = next(iter(reader))
        assert reader.layout.source_name == "<stdin>"
        assert reader.layout.columns == ["a", "b"]
    assert batch.values.tolist() == [[1.0, -2.0]]  # decoded as UTF-8 whatever the wrapper says
    assert not raw.closed  # stdin is not ours to close


def test_caller_binary_stream_is_not_closed():
    raw = io.BytesIO(b"1,2\n")
    with open_vectors(raw) as reader:
        list(reader)
    assert not raw.closed


# ---------------------------------------------------------------- numbers


def test_special_values_any_case():
    text = "inf,-inf,nan\nINF,-Infinity,NaN\n+infinity,-INFINITY,-nan\n"
    _, values, _, _ = read(text)
    assert np.isposinf(values[:, 0]).all() and np.isneginf(values[:, 1]).all()
    assert np.isnan(values[:, 2]).all()


def test_python_float_syntax_and_padding():
    _, values, _, _ = read("1, 2.5 ,.5,5.,1e3,-2E-3,+7, 0\n")
    assert values.tolist() == [[1.0, 2.5, 0.5, 5.0, 1000.0, -0.002, 7.0, 0.0]]


def test_unicode_minus_is_minus():
    _, values, _, _ = read("\u22121.5,2\n3,\u22121e\u22123\n")
    assert values.tolist() == [[-1.5, 2.0], [3.0, -0.001]]


@pytest.mark.parametrize(
    ("token", "pattern"),
    [
        ("1_000", r"'1_000' is not a number: '_' digit separators are not accepted; write 1000"),
        ("１２", r"'１２' is not a number: it contains '１' \(U\+FF11 FULLWIDTH DIGIT ONE\)"),
        ("١٢", r"'١٢' is not a number: it contains '١' \(U\+0661 ARABIC-INDIC DIGIT ONE\)"),
        ("0x10", r"'0x10' is not a number"),
        (
            "\u20132",
            r"'–2' is not a number: '–' \(U\+2013 EN DASH\) is not a minus sign; write '-'",
        ),
        ("abc", r"'abc' is not a number; .*id column"),
        ("NA", r"'NA' is not a number; write nan for a missing value"),
        ("1e400", r"'1e400' overflows float64 \(largest ≈ 1.8e308\); write inf if you mean it"),
        ("-1e400", r"'-1e400' overflows float64"),
    ],
)
def test_rejected_tokens_name_line_column_token(token, pattern):
    text = "1,2,3\n4,5,6\n7,8,9\n10,11,12\n13," + token + ",15\n"
    err = read_error(text)
    assert (err.line, err.column, err.token) == (5, 2, token)
    assert str(err).startswith("<stream>: line 5, column 2: ")
    assert re.search(pattern, str(err)), str(err)


@pytest.mark.parametrize("where", [0, 1, 4999, 9998])
@pytest.mark.parametrize("bad", ["1_000", "１", "1e400", "abc", ""])
def test_fast_path_keeps_the_rules_in_a_large_chunk(where, bad):
    rows = [f"{i}.5,{-i}e-3,7" for i in range(10_000)]
    rows[where] = f"{where}.5,{bad},7"
    err = read_error("a,b,c\n" + "\n".join(rows) + "\n", chunk_rows=20_000)
    assert (err.line, err.column) == (where + 2, 2)
    assert err.token == bad


def test_fast_path_is_used_for_clean_input(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("slow path used for clean input")

    monkeypatch.setattr(readers_mod._DelimitedParser, "_slow", refuse)
    rows = "\n".join(f"r{i},{i}.25,-inf,{i}e-3,\u22121" for i in range(3000)) + "\n"
    _, values, ids, lines = read("id,a,b,c,d\n" + rows, id_column="id", chunk_rows=1000)
    assert values.shape == (3000, 4) and ids[-1] == "r2999" and lines[-1] == 3001
    assert np.isneginf(values[:, 1]).all() and (values[:, 3] == -1).all()


def test_quoted_chunks_avoid_the_token_by_token_pass(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("slow path used for single-line quoted records")

    monkeypatch.setattr(readers_mod._DelimitedParser, "_slow", refuse)
    rows = "\n".join(f'"r,{i}",{i}.25,"-inf",\u22121' for i in range(3000)) + "\n"
    _, values, ids, lines = read('"id","a","b","c"\n' + rows, id_column="id", chunk_rows=1000)
    assert values.shape == (3000, 3) and ids[7] == "r,7" and lines[-1] == 3001
    assert np.isneginf(values[:, 1]).all() and (values[:, 2] == -1).all()


def test_float32_overflow_and_specials():
    err = read_error("1,2\n3,1e39\n", dtype=np.float32)
    assert (err.line, err.column) == (2, 2)
    assert "'1e39' overflows float32 (largest ≈ 3.4e38)" in str(err)
    _, values, _, _ = read("3.4028235e38,-inf\n1e-46,nan\n", dtype=np.float32)
    assert values.dtype == np.float32
    assert values[0, 0] == np.finfo(np.float32).max and np.isneginf(values[0, 1])
    assert values[1, 0] == 0.0 and np.isnan(values[1, 1])


def test_float16_overflow():
    err = read_error("1,2\n3,70000\n", dtype=np.float16)
    assert "'70000' overflows float16 (largest ≈ 6.6e4)" in str(err)


def test_tiny_literals_underflow_as_usual():
    _, values, _, _ = read("1e-400,-1e-400,5e-324,1e-310\n")
    assert values[0, 0] == 0.0 and not np.signbit(values[0, 0])
    assert values[0, 1] == 0.0 and np.signbit(values[0, 1])
    assert values[0, 2] == np.finfo(np.float64).smallest_subnormal
    assert values[0, 3] == 1e-310


def test_longdouble_keeps_precision_and_range():
    _, values, _, _ = read("0.1,1e400\n", dtype=np.longdouble)
    assert values.dtype == np.longdouble
    assert values[0, 0] == np.longdouble("0.1")
    if np.finfo(np.longdouble).max > 1e400:
        assert np.isfinite(values[0, 1]) and values[0, 1] == np.longdouble("1e400")
    err = read_error("0.1,1e99999\n", dtype=np.longdouble)
    assert "overflows longdouble" in str(err) and err.column == 2


# ---------------------------------------------------------------- ragged and empty


def test_ragged_rows():
    text = "\n".join(["1,2,3,4,5,6,7,8,9,10"] * 4 + ["1,2,3,4,5,6,7,8,9"]) + "\n"
    err = read_error("\n" + text)
    assert str(err).startswith("<stream>: line 6: expected 10 values (as on line 2), found 9")
    assert err.line == 6


def test_thousands_separator_makes_a_ragged_row():
    err = read_error("price,qty\n1000,2\n1,000,3\n")
    assert err.line == 3
    assert "expected 2 values (as on line 1), found 3" in str(err)
    assert "thousands separator" in str(err)


def test_ragged_with_id_column_counts_all_columns():
    err = read_error("a,1,2\nb,3\n", id_column=1)
    assert "expected 3 columns (an id and 2 values, as on line 1), found 2" in str(err)


def test_trailing_delimiter_is_an_empty_value():
    err = read_error("1,2,\n")
    assert (err.line, err.column) == (1, 3)
    assert "empty value" in str(err)


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"", "<stream> holds no vectors"),
        (b"\n\n  \n", "holds no vectors"),
        (b"# only a comment\n", "holds no vectors"),
        (b"a,b,c\n", "holds no vectors: only a header on line 1"),
        (b"# c\na,b\n\n# more\n", "holds no vectors: only a header on line 2"),
        (b"[]", "holds no vectors"),
        (b'[["a", "b"]]', "holds no vectors: only a header row"),
    ],
)
def test_empty_input(data, pattern):
    with pytest.raises(InputError, match=pattern):
        open_vectors(io.BytesIO(data))


# ---------------------------------------------------------------- quoting


def test_quoted_ids_with_delimiters_quotes_and_newlines_across_chunks():
    text = 'id,x\n"a,b",1\n"say ""hi""",2\n"two\nlines",3\n"#not a comment",4\nplain,5\n'
    for chunk_rows in (1, 2, 3, 100):
        _, values, ids, lines = read(text, id_column="id", chunk_rows=chunk_rows)
        assert ids == ["a,b", 'say "hi"', "two\nlines", "#not a comment", "plain"]
        assert values[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
        assert lines.tolist() == [2, 3, 4, 6, 7]


def test_unclosed_quote_and_stray_text_after_quotes():
    err = read_error('id,x\n"abc,1\n2,3\n', id_column="id")
    assert err.line == 2 and "never closed" in str(err)
    _, _, ids, _ = read('id,x\n"ab"c,1\n', id_column="id")  # lenient, like the csv module
    assert ids == ["abc"]


def test_quoted_numbers_are_numbers():
    _, values, _, _ = read('"1.5","2"\n3,"4"\n')
    assert values.tolist() == [[1.5, 2.0], [3.0, 4.0]]


# ---------------------------------------------------------------- JSON


def test_json_single_vector_and_pretty_single_vector():
    layout, values, ids, lines = read("[1, 2.5, -3]")
    assert layout.delimiter == "jsonl" and layout.width == 3  # one line: JSON lines
    assert values.tolist() == [[1.0, 2.5, -3.0]] and ids is None and lines.tolist() == [1]
    layout, values, _, lines = read('[\n  1,\n  2,\n  "-inf"\n]\n')
    assert layout.delimiter == "json"
    assert values.tolist() == [[1.0, 2.0, -np.inf]] and lines.tolist() == [2]


def test_json_array_of_arrays_one_line_and_pretty():
    _, values, _, _ = read("[[1, 2], [3, 4]]")
    assert values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    pretty = json.dumps([[1, 2], [3, "nan"], [5, "-inf"]], indent=2)
    _, values, _, lines = read(pretty)
    assert values[:, 0].tolist() == [1.0, 3.0, 5.0]
    assert np.isnan(values[1, 1]) and np.isneginf(values[2, 1])
    assert lines.tolist() == [2, 6, 10]


def test_json_objects_with_id_by_name():
    text = '[{"id": "a", "x": 1, "y": 2},\n {"y": "inf", "x": 3, "id": "b"}]'
    layout, values, ids, _ = read(text, id_column="id")
    assert layout.columns == ["x", "y"] and layout.id_name == "id" and layout.id_index == 0
    assert ids == ["a", "b"] and values.tolist() == [[1.0, 2.0], [3.0, np.inf]]


def test_json_objects_without_id_use_keys_as_columns():
    layout, values, ids, _ = read('[{"p": 0.5, "q": 0.5}]')
    assert layout.columns == ["p", "q"] and ids is None and values.tolist() == [[0.5, 0.5]]


def test_json_lines_arrays_and_objects():
    layout, values, _, lines = read('[1, 2]\n\n[3, 4]\n[5, "nan"]\n')
    assert layout.delimiter == "jsonl" and values.shape == (3, 2) and lines.tolist() == [1, 3, 4]
    layout, values, ids, lines = read('{"id": 7, "a": 1}\n{"id": "x", "a": 2}\n', id_column="id")
    assert ids == ["7", "x"] and values.tolist() == [[1.0], [2.0]] and lines.tolist() == [1, 2]


def test_json_array_rows_with_header_and_id_position():
    layout, values, ids, _ = read('[["name", "a", "b"], ["r1", 1, 2]]', id_column=1)
    assert layout.columns == ["a", "b"] and layout.id_name == "name"
    assert ids == ["r1"] and values.tolist() == [[1.0, 2.0]]


def test_json_negative_zero_and_big_ints():
    _, values, _, _ = read("[[-0, -0.0, 12345678901234567890]]")
    assert np.signbit(values[0, 0]) and np.signbit(values[0, 1])
    assert values[0, 2] == 12345678901234567890.0


@pytest.mark.parametrize(
    ("text", "line", "pattern"),
    [
        ('[[1, 2], [3, "abc"]]', 1, r"row 2, value 2: \"abc\" is a string, not a number"),
        ("[1, 2]\n[3, null]\n", 2, r"row 2, value 2: null is not a number; write \"nan\""),
        ("[1, 2]\n[3, true]\n", 2, "row 2, value 2: true is not a number"),
        ("[1, 2]\n[3, [4]]\n", 2, "row 2, value 2: an array is not a number"),
        ("[1, 2]\n[3]\n", 2, r"row 2: expected 2 values \(as in row 1\), found 1"),
        ("[\n[1, 2],\n[3, 1e400]\n]", 3, "row 2, value 2: '1e400' overflows float64"),
        ('[{"a": 1, "b": 2},\n{"a": 3}]', 2, "row 2: lacks key 'b'"),
        ('[{"a": 1},\n{"a": 3, "c": 4}]', 2, "row 2: has extra key 'c'"),
        (
            '[{"a": 1},\n{"a": "1.5"}]',
            2,
            "row 2, key 'a': \"1.5\" is a string, not a number; write the number without quotes",
        ),
        ("[\n[1, 2],\n[3, 4],\n", 4, "the array is never closed"),
        ("[\n[1, 2],\n[3, 4],\n]\n", 4, "trailing comma"),
        ("[\n[1, 2]\n[3, 4]\n]\n", 3, "expected ',' or ']'"),
        ("[[1, 2]]\n[[3, 4]]\n", 2, "extra text after the JSON document"),
        ("[\n[1, 2],\n[3, 4}\n]", 3, "invalid JSON"),
        ("[1, 2]\n[3, 4\n", 2, "invalid JSON line"),
        ("[1, 2]\n3\n", 2, "expected a JSON array or object on this line"),
        ("[1, [2]]", 1, "value 2: the array mixes numbers with arrays"),
    ],
)
def test_json_errors_name_the_row_and_line(text, line, pattern):
    err = read_error(text)
    assert err.line == line
    assert re.search(pattern, str(err)), str(err)


@pytest.mark.parametrize("exact", [False, True])
def test_json_large_documents_keep_rows_lines_and_rules(exact):
    dtype = np.longdouble if exact else np.float64
    rows = [f"  [{i}, {-i}.5]," for i in range(600)]
    rows[-1] = rows[-1].rstrip(",")
    rows[100] = "  [Infinity, -Infinity],"
    text = "[\n" + "\n".join(rows) + "\n]\n"
    _, values, _, lines = read(text, dtype=dtype, chunk_rows=250)
    assert values.dtype == dtype and values.shape == (600, 2) and lines[0] == 2
    assert lines[-1] == 601 and values[599, 1] == -599.5 and np.isposinf(values[100, 0])
    rows[300] = "  [300, 1e99999],"
    err = read_error("[\n" + "\n".join(rows) + "\n]\n", dtype=dtype)
    assert err.line == 302 and "row 301, value 2: '1e99999' overflows" in str(err)
    rows[300] = "  [300],"
    err = read_error("[\n" + "\n".join(rows) + "\n]\n", dtype=dtype)
    assert err.line == 302 and "row 301: expected 2 values (as in row 1), found 1" in str(err)


def test_json_float32_overflow():
    err = read_error("[[1, 2], [3, 1e39]]", dtype=np.float32)
    assert re.search(r"row 2, value 2: '1e\+?39' overflows float32 \(largest ≈ 3.4e38\)", str(err))


def test_json_format_forced_on_text():
    with pytest.raises(InputError, match="is not JSON"):
        open_vectors(io.StringIO("1,2\n"), fmt="json")


def test_json_single_vector_has_no_id_column():
    with pytest.raises(InputError, match="single JSON vector"):
        open_vectors(io.StringIO("[\n1,\n2\n]"), id_column=1)


def test_json_streams_in_batches():
    rows = ",\n".join(json.dumps([i, -i, 0.5]) for i in range(2500))
    with open_vectors(io.StringIO("[\n" + rows + "\n]\n"), chunk_rows=1000) as reader:
        batches = list(reader)
    assert [len(b.values) for b in batches] == [1000, 1000, 500]
    assert batches[-1].values[-1].tolist() == [2499.0, -2499.0, 0.5]
    assert batches[-1].lines[-1] == 2501


# ---------------------------------------------------------------- streaming


def test_streaming_200k_rows_in_batches():
    n = 200_000
    rng = np.random.default_rng(3)
    data = rng.integers(-999, 999, size=(n, 4)) / 8
    text = "a,b,c,d\n" + "\n".join(",".join(map(repr, row)) for row in data.tolist()) + "\n"
    with open_vectors(io.BytesIO(text.encode()), chunk_rows=10_000) as reader:
        sizes, total, last_line = [], np.zeros(4), 1  # the header is line 1
        for batch in reader:
            assert isinstance(batch, Batch) and batch.values.dtype == np.float64
            assert len(batch.values) <= 10_000 and batch.lines[0] == last_line + 1
            last_line = int(batch.lines[-1])
            sizes.append(len(batch.values))
            total += batch.values.sum(axis=0)
    assert len(sizes) >= 20 and sum(sizes) == n and last_line == n + 1
    assert np.array_equal(total, data.sum(axis=0))


class _Generated(io.RawIOBase):
    """A long CSV made on the fly, so the input itself never sits in memory."""

    def __init__(self, rows: int) -> None:
        self.rows, self.i, self.pending = rows, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer) and self.i < self.rows:
            block = range(self.i, min(self.i + 1000, self.rows))
            self.pending += "".join(f"{k % 97}.5,-{k % 13},1e-3\n" for k in block).encode()
            self.i = block.stop
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def test_memory_does_not_grow_with_rows():
    def peak(rows: int) -> int:
        source = io.BufferedReader(_Generated(rows))
        tracemalloc.start()
        try:
            count = 0
            with open_vectors(source, chunk_rows=2000) as reader:
                for batch in reader:
                    count += len(batch.values)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert count == rows

    small, large = peak(20_000), peak(200_000)
    assert large < 2 * small + 500_000  # ten times the rows, not ten times the memory


def test_vector_reader_is_a_context_manager_and_closes(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("1\t2\n3\t4\n")
    with open_vectors(path, chunk_rows=1) as reader:
        assert isinstance(reader, VectorReader)
        first = next(iter(reader))
    assert first.values.tolist() == [[1.0, 2.0]]


# ---------------------------------------------------------------- fast path == slow path

_CELL = st.one_of(
    st.sampled_from(
        [
            "1",
            "-2.5",
            "1e3",
            "inf",
            "-inf",
            "nan",
            "Infinity",
            " 4 ",
            "1e400",
            "1_0",
            "١",
            "\u22123",
            "",
            "x",
            "0x1",
            "1e",
            ".",
            "-0",
            "\xa05",
            "5\xa0",
            '"1.5"',
            '" 2 "',
            '"1,5"',
            '"x""y"',
            '"\n"',
        ]
    ),
    st.text(alphabet="0123456789.eE+-_ infa\t", max_size=5),
)


_ID = st.one_of(
    st.sampled_from(["r1", "inf", "x_1", "naïve", "#7", " sp ", "١", "", '"q,1"', '"a""b"']),
    st.text(alphabet="ab1 #\u2212\xa0\t,", max_size=3),
)
_EXTRA_LINE = st.sampled_from(["", "   ", "# comment, with\tdelims", "\t"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.one_of(st.tuples(_ID, st.lists(_CELL, min_size=2, max_size=3)), _EXTRA_LINE),
        min_size=1,
        max_size=6,
    ),
    delim=st.sampled_from([",", "\t", " "]),
    with_id=st.booleans(),
    chunk_rows=st.sampled_from([1, 2, 1000]),
    dtype=st.sampled_from([np.float64, np.float32, np.longdouble]),
)
def test_fast_and_slow_paths_agree(rows, delim, with_id, chunk_rows, dtype):
    """The vectorised pass accepts exactly what the token-by-token pass accepts."""
    lines = [
        row if isinstance(row, str) else delim.join(([row[0]] if with_id else []) + row[1])
        for row in rows
    ]
    text = "\n".join(lines) + "\n"
    kw = {
        "header": False,
        "id_column": 1 if with_id else None,
        "fmt": {",": "csv", "\t": "tsv", " ": "ws"}[delim],
        "chunk_rows": chunk_rows,
        "dtype": dtype,
    }

    def outcome():
        try:
            _, values, ids, numbers = read(text, **kw)
            return ("ok", values, ids, numbers.tolist())
        except (InputError, IndexError) as err:  # IndexError: all lines blank -> no batch
            return ("error", getattr(err, "line", None), getattr(err, "column", None), str(err))

    fast = outcome()
    parser = readers_mod._DelimitedParser
    original = parser._fast, parser._quoted
    parser._fast = parser._quoted = lambda self, *a: None
    try:
        slow = outcome()
    finally:
        parser._fast, parser._quoted = original
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "ok":
        assert same_floats(fast[1], slow[1]) and fast[2:] == slow[2:]
    else:
        assert fast[1:] == slow[1:]


# ---------------------------------------------------------------- format_float(s)


@pytest.mark.parametrize(
    ("value", "dtype", "text"),
    [
        (0.1, np.float64, "0.1"),
        (1e-300, np.float64, "1e-300"),
        (float("nan"), np.float64, "nan"),
        (float("inf"), np.float64, "inf"),
        (float("-inf"), np.float64, "-inf"),
        (-0.0, np.float64, "-0.0"),
        (0.1, np.float32, "0.1"),
        (1 / 3, np.float32, "0.33333334"),
        (1e-45, np.float32, "1e-45"),
        (2.0**-30, np.float32, "9.313226e-10"),
        (float("-inf"), np.float32, "-inf"),
        (0.1, np.float16, "0.1"),
        (65504.0, np.float16, "6.55e+04"),
        (float("nan"), np.float16, "nan"),
    ],
)
def test_format_float(value, dtype, text):
    assert format_float(value, dtype) == text


def test_format_float_longdouble_is_exact():
    x = np.longdouble(1) / np.longdouble(3)
    text = format_float(x, np.longdouble)
    assert np.longdouble(text) == x
    assert format_float(np.longdouble("inf"), np.longdouble) == "inf"


def test_format_floats_is_flat_row_major_and_matches_format_float():
    a = np.array([[0.5, -0.0], [np.nan, 1e-300]])
    assert format_floats(a) == ["0.5", "-0.0", "nan", "1e-300"]
    b = np.random.default_rng(0).standard_normal(50).astype(np.float32)
    assert format_floats(b) == [format_float(v, np.float32) for v in b]
    assert format_floats(np.array([1, 2])) == ["1.0", "2.0"]


def _shortest_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").strip("0")
    return len(mantissa)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_format_floats_short_and_exact(dtype):
    info = np.finfo(dtype)
    uint = np.uint16 if dtype == np.float16 else np.uint32
    if dtype == np.float16:
        values = np.arange(2**16, dtype=np.uint32).astype(uint).view(dtype)
    else:
        bits = np.random.default_rng(7).integers(0, 2**32, 20_000, dtype=np.uint64)
        extremes = np.array(
            [
                info.max,
                -info.max,
                info.smallest_subnormal,
                info.smallest_normal,
                -0.0,
                2.0**-126,
                2.0**127,
                1.0,
            ],
            dtype=dtype,
        )
        values = np.concatenate([bits.astype(np.uint32).view(dtype), extremes])
    texts = format_floats(values)
    back = np.array(texts, dtype=np.float64).astype(dtype)  # how the reader reads them
    assert same_floats(back, values)
    sample = slice(0, 4000)
    numpy_shortest = [str(v) for v in values[sample]]  # numpy's Dragon4: shortest unique
    assert all(
        _shortest_digits(t) <= _shortest_digits(r)
        for t, r in zip(texts[sample], numpy_shortest, strict=True)
        if r[-1].isdigit()
    )


# ---------------------------------------------------------------- writers


def write(
    fmt, values, ids=None, *, columns=None, id_name=None, has_ids=None, dtype=np.float64, batches=1
):
    out = io.StringIO()
    values = np.asarray(values)
    has_ids = ids is not None if has_ids is None else has_ids
    with RowWriter(
        out, fmt, columns=columns, id_name=id_name, has_ids=has_ids, dtype=dtype
    ) as writer:
        for part in np.array_split(np.arange(len(values)), batches):
            writer.write(values[part], None if ids is None else [ids[i] for i in part])
    return out.getvalue()


def test_formats_constant():
    assert FORMATS == ("csv", "tsv", "json", "jsonl")


def test_csv_and_tsv_output():
    values = np.array([[0.1, 1e-300], [np.inf, -0.0]])
    assert write("csv", values) == "0.1,1e-300\ninf,-0.0\n"
    assert write("tsv", values, columns=["a", "b"]) == "a\tb\n0.1\t1e-300\ninf\t-0.0\n"
    text = write("csv", values, ["x", "y"], columns=["a", "b"], id_name="name")
    assert text == "name,a,b\nx,0.1,1e-300\ny,inf,-0.0\n"
    text = write("csv", values, ["x", "y"], columns=["a", "b"])
    assert text.splitlines()[0] == "id,a,b"
    text = write("csv", values, ["x", "y"])  # ids but no header
    assert text == "x,0.1,1e-300\ny,inf,-0.0\n"


def test_csv_ids_are_quoted_only_when_needed():
    ids = ["a,b", 'q"uote', "two\nlines", "#hash", "  #hash", "cr\r", "plain", "tab\there"]
    text = write("csv", np.zeros((len(ids), 1)), ids)
    assert text.splitlines()[0] == '"a,b",0.0'
    assert '"q""uote",0.0' in text and '"#hash",0.0' in text and "plain,0.0" in text
    assert '"tab\there",0.0' in text  # quoted so that sniffing does not take it for TSV
    assert '"tab\there"\t0.0' in write("tsv", np.zeros((len(ids), 1)), ids)


def test_json_and_jsonl_output():
    values = np.array([[0.1, np.nan], [-np.inf, 2.0]])
    text = write("json", values, batches=2)
    assert json.loads(text) == [[0.1, "nan"], ["-inf", 2.0]]
    assert text == '[\n  [0.1, "nan"],\n  ["-inf", 2.0]\n]\n'
    text = write("json", values, ["r1", "r2"], columns=["a", "b"], id_name="name")
    assert json.loads(text) == [
        {"name": "r1", "a": 0.1, "b": "nan"},
        {"name": "r2", "a": "-inf", "b": 2.0},
    ]
    text = write("jsonl", values, ["r1", "r2"])
    assert [json.loads(line) for line in text.splitlines()] == [
        {"id": "r1", "0": 0.1, "1": "nan"},
        {"id": "r2", "0": "-inf", "1": 2.0},
    ]
    text = write("jsonl", values, columns=["a", "b"])
    assert json.loads(text.splitlines()[0]) == {"a": 0.1, "b": "nan"}


def test_empty_outputs():
    assert write("json", np.zeros((0, 2))) == "[]\n"
    assert write("jsonl", np.zeros((0, 2))) == ""
    assert write("csv", np.zeros((0, 2)), columns=["a", "b"]) == "a,b\n"


def test_writer_checks_its_input():
    with pytest.raises(SoftmaxInputError, match="unknown output format 'xml'"):
        RowWriter(io.StringIO(), "xml", columns=None, id_name=None, has_ids=False, dtype=np.float64)
    writer = RowWriter(
        io.StringIO(), "csv", columns=["a"], id_name=None, has_ids=True, dtype=np.float64
    )
    with pytest.raises(ValueError, match="one id per row"):
        writer.write(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="columns"):
        writer.write(np.zeros((1, 2)), ["x"])
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(np.zeros((1, 1)), ["x"])


def test_writer_rounds_to_its_dtype():
    assert write("csv", np.array([[0.1]]), dtype=np.float32) == "0.1\n"
    assert write("csv", np.array([[1 / 3]]), dtype=np.float32) == "0.33333334\n"


# ---------------------------------------------------------------- round trips

_IDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=8,
)


def _float_arrays(dtype):
    return hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
        elements=st.floats(
            width=np.finfo(dtype).bits, allow_nan=True, allow_infinity=True, allow_subnormal=True
        ),
    )


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    fmt=st.sampled_from(FORMATS),
    with_ids=st.booleans(),
    named=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32, np.float16]),
)
def test_round_trip_bit_for_bit(data, fmt, with_ids, named, dtype):
    values = data.draw(_float_arrays(dtype))
    rows, width = values.shape
    ids = data.draw(st.lists(_IDS, min_size=rows, max_size=rows)) if with_ids else None
    columns = [f"c{k}" for k in range(width)] if named else None
    text = write(
        fmt,
        values,
        ids,
        columns=columns,
        id_name="label" if named else None,
        dtype=dtype,
        batches=min(2, rows),
    )
    kw = {"dtype": dtype}
    if fmt in ("csv", "tsv"):
        kw["header"] = named
    if with_ids:
        kw["id_column"] = ("label" if named else "id") if fmt.startswith("json") else 1
    layout, back, back_ids, _ = read(text, chunk_rows=2, **kw)
    assert same_floats(back, values)
    assert back_ids == ids
    if named:
        assert layout.columns == columns


@settings(max_examples=40, deadline=None)
@given(values=_float_arrays(np.float64), fmt=st.sampled_from(FORMATS))
def test_round_trip_through_bytes_like_a_pipe(values, fmt):
    text = write(fmt, values)
    _, back, _, _ = read(text.encode(), header=False if fmt in ("csv", "tsv") else None)
    assert same_floats(back, values)


def test_round_trip_extremes_all_dtypes():
    for dtype in (np.float16, np.float32, np.float64, np.longdouble):
        info = np.finfo(dtype)
        values = np.array(
            [
                [
                    info.max,
                    -info.max,
                    info.smallest_subnormal,
                    -info.smallest_subnormal,
                    info.smallest_normal,
                    -0.0,
                    0.0,
                    np.inf,
                    -np.inf,
                    np.nan,
                    info.eps,
                    1 - info.epsneg,
                ]
            ],
            dtype=dtype,
        )
        for fmt in FORMATS:
            text = write(fmt, values, dtype=dtype)
            kw = {"header": False} if fmt in ("csv", "tsv") else {}
            _, back, _, _ = read(text, dtype=dtype, **kw)
            assert same_floats(back, values), (dtype, fmt, text)


@settings(max_examples=25, deadline=None)
@given(
    values=hnp.arrays(
        np.longdouble,
        st.tuples(st.integers(1, 3), st.integers(1, 3)),
        elements=st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_round_trip_longdouble(values):
    values = values * np.longdouble(1 + 2.0**-60) / 3  # use the extra precision
    text = write("csv", values, dtype=np.longdouble)
    _, back, _, _ = read(text, dtype=np.longdouble, header=False)
    assert same_floats(back, values)


def test_io_imports_no_heavy_modules():
    import subprocess

    code = (
        "import sys, softmax_cli.io; "
        "print(sorted(m for m in ('typer', 'rich', 'mpmath') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "text",
    ["[1,2]\n[3,4],[5,6]\n", "[1,2]\n[3,4],[5,1e400]\n", "[1,2]\n[3,Infinity],[5,6]\n"],
)
def test_json_line_holding_two_rows_is_one_error_line(cli, text):
    """Two JSON rows on one line of JSON-lines input: the line is named, no traceback (issue 21)."""
    r = cli("compute", "-", stdin=text)
    assert r.code == 1
    assert r.out == ""
    assert r.err.startswith("error: <stdin>: line 2: invalid JSON line: Extra data")
    assert r.err.count("\n") == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_short_float_text_leaves_no_garbage_cycle(dtype):
    """A reference cycle per call kept each batch's text alive until a full collection:
    float32 output grew to 570 MiB over 10⁶ rows. No cycle may be left behind."""
    x = np.random.default_rng(0).random((50, 10)).astype(dtype)
    gc.collect()
    gc.disable()
    try:
        format_floats(x)
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0
