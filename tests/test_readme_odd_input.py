"""The README's "What happens with odd input" table, row by row, against the real command.

The table in README.md stays the one source of the documented outcomes; this
test parses it and holds, for every row, one or more *recipes*: an input that
the row describes (written to ``x.csv``, the name the table uses), the options,
and the exit code. For an error, the backticked text of the outcome cell (the
fragment the recipe names, when the cell has several) must appear in the one
``error:`` line, ``…`` standing for any text and ``line N`` for any line
number. For an accepted input, stderr is empty and, where the recipe gives it,
stdout is exactly the expected CSV.

A README row without a recipe fails the test: a new row needs a recipe here.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT, run_shell

TEXT = b"a,b\n1,2\n"
OUT = "a,b\n0.2689414213699951,0.7310585786300049\n"  # softmax of 1, 2 under its header
PAIR = "0.2689414213699951,0.7310585786300049\n"


def _npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([1.0, 2.0]))
    return buf.getvalue()


def _npz() -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, logits=np.array([1.0, 2.0]))
    return buf.getvalue()


@dataclass(frozen=True)
class Case:
    """One run of ``softmax compute --input x.csv`` (or of ``shell``) for a README row."""

    data: bytes | None = None  # the file x.csv; None: no such file
    options: tuple[str, ...] = ()
    code: int = 1
    fragment: int = 0  # which backticked fragment of the outcome cell the error shows
    expect: str | None = None  # the error text, for outcomes that do not spell it out
    stdout: str | None = None  # compute's exact output, for accepted inputs
    shell: str | None = None  # a shell line instead (stdout and disk cases)
    kind: str = "file"  # "file", "directory" or "unreadable"


RECIPES: dict[str, list[Case]] = {
    "empty file, or only blank/comment lines": [
        Case(b""),
        Case(b"\n  \n\t\n"),
        Case(b"# only\n\n# comments\n"),
    ],
    "only a header": [Case(b"a,b,c\n")],
    "`# comment` lines, blank lines": [
        Case(b"# logits\n\na,b\n# more\n\n1,2\n", code=0, stdout=OUT),
        Case(b"# logits\n\na,b\n\n1,x\n", expect="x.csv: line 5, column 2: 'x' is not a number"),
    ],
    "UTF-8 BOM, UTF-16/UTF-32 with a BOM": [
        Case(codecs.BOM_UTF8 + TEXT, code=0, stdout=OUT),
        Case(TEXT.decode().encode("utf-16"), code=0, stdout=OUT),
        Case(codecs.BOM_UTF16_BE + TEXT.decode().encode("utf-16-be"), code=0, stdout=OUT),
        Case(TEXT.decode().encode("utf-32"), code=0, stdout=OUT),
    ],
    "CRLF, lone CR, no final newline": [
        Case(b"a,b\r\n1,2\r\n", code=0, stdout=OUT),
        Case(b"a,b\r1,2\r", code=0, stdout=OUT),
        Case(b"a,b\n1,2", code=0, stdout=OUT),
    ],
    "UTF-16 without BOM, other binary": [
        Case(TEXT.decode().encode("utf-16-le")),
        Case(b"\x00\x01\x02garbage\n"),
    ],
    "gzip, bzip2, xz, zstd; `.npy`, `.npz`, Parquet, Arrow": [
        Case(gzip.compress(TEXT, mtime=0), code=0, stdout=OUT),
        Case(bz2.compress(TEXT), code=0, stdout=OUT),
        Case(lzma.compress(TEXT), code=0, stdout=OUT),
        Case(_npy(), code=0, stdout=PAIR),
        Case(_npz(), code=0, stdout=PAIR),
    ],
    "a PNG, PDF, pickle, HDF5, a ZIP that is not a `.npz`, …": [
        Case(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"),
        Case(b"%PDF-1.7\n", expect="x.csv looks like a PDF document, not logits"),
        Case(b"\x80\x04\x95", expect="x.csv looks like a Python pickle, not logits"),
    ],
    "Latin-1 or other non-UTF-8 bytes": [Case("a,b\n1,café\n".encode("latin-1"))],
    "missing file / directory / unreadable file": [
        Case(None),
        Case(kind="directory", fragment=1),
        Case(TEXT, kind="unreadable", fragment=2),
    ],
    "tab and comma on the first line": [
        Case(b"x\ty,z\n1\t2\n", code=0, stdout='x,"y,z"\n' + PAIR),
        Case(b'"a\tb",c\n1,2\n', code=0, stdout='"a\tb",c\n' + PAIR),
    ],
    "`1, 2, 3` (spaces after commas)": [
        Case(
            b"1, 2, 3\n",
            code=0,
            stdout="0.09003057317038046,0.24472847105479764,0.6652409557748218\n",
        )
    ],
    "ragged row": [  # a comment on line 1: the first row, on line 2, sets the width
        Case(b"# ten logits a row\n" + b"1,2,3,4,5,6,7,8,9,10\n" * 3 + b"1,2,3,4,5,6,7,8,9\n")
    ],
    "`1,000` in a CSV": [Case(b"a,b\n1,2\n1,000,3\n")],
    "`1,,3` or a trailing comma": [Case(b"1,,3\n"), Case(b"1,\n")],
    "`1_000`": [Case(b"1_000,2\n")],
    "fullwidth `２`, Arabic-Indic `٣`": [
        Case("２,1\n".encode()),
        Case(
            "٣,1\n".encode(),
            expect="'٣' is not a number: it contains '٣' (U+0663 ARABIC-INDIC DIGIT THREE); "
            "write plain ASCII digits 0-9",
        ),
    ],
    "U+2212 minus `−2`": [
        Case("−2,1\n".encode(), code=0, stdout="0.04742587317756679,0.9525741268224334\n")
    ],
    "en dash `–2`": [Case("–2,1\n".encode())],
    "`0x10`, `abc`": [
        Case(b"abc,1\n"),
        Case(
            b"0x10,1\n", expect="'0x10' is not a number; write numbers like 1.5, -2e-3, inf or nan"
        ),
    ],
    "`NA`, `null`, `?`, `-`": [
        Case(b"1,NA\n"),
        *(
            Case(
                b"1,%s\n" % w,
                expect=f"'{w.decode()}' is not a number; write nan for a missing value",
            )
            for w in (b"null", b"?", b"-")
        ),
    ],
    "`2,5` in TSV/whitespace input": [Case(b"2,5\t3\n"), Case(b"1 2\n2,5 3\n")],
    "`;`-separated file": [Case(b"1;2\n3;4\n")],
    "`inf`, `-Infinity`, `NaN`, `+nan` (any case)": [
        Case(b"inf,1\n", code=0, stdout="1.0,0.0\n"),
        Case(b"-Infinity,1\n", code=0, stdout="0.0,1.0\n"),
        Case(b"NaN,1\n+nan,1\n", code=0, stdout="nan,nan\nnan,nan\n"),
        Case(b"iNF,-INFINITY\n", code=0, stdout="1.0,0.0\n"),
    ],
    "`1e400`": [Case(b"1,1e400\n")],
    "`1e39` with `--dtype float32`, `70000` with float16": [
        Case(b"1,1e39\n", options=("--dtype", "float32")),
        Case(b"1,70000\n", options=("--dtype", "float16"), fragment=1),
    ],
    "`1e-400`, `1e-320`": [
        Case(b"1e-400,-1e-400\n", code=0, stdout="0.5,0.5\n"),
        Case(b"1e-320,0\n", code=0, stdout="0.5,0.5\n"),
    ],
    "a first row mixing numbers and text": [Case(b"1,abc\n2,3\n")],
    "a label column without `--id-column`": [
        Case(b"id,a,b\nr1,1,2\n", code=0, stdout="id,a,b\nr1," + PAIR),
        Case(b"id,a,b\nr1,1,2\n7,1,2\n"),
        Case(b"r1,1,2\n", fragment=1),
    ],
    "pandas' `df.to_csv()`: `,a,b` or `,0,1` over an index": [
        Case(b",a,b\n0,1,2\n", code=0, stdout=",a,b\n0," + PAIR),
        Case(b",0,1\n7,1,2\n", code=0, stdout=",0,1\n7," + PAIR),
    ],
    "pandas' default names `0,1,2` (or `id,0,1,2`) on line 1, more rows after": [
        Case(b"0,1,2\n1,2,3\n"),
        Case(b"id,0,1,2\nr1,1,2,3\n", expect="'id,0,1,2' may be pandas' default column names"),
        Case(
            b"0,1\n1,2\n",
            options=("--no-header",),
            code=0,
            stdout="0.2689414213699951,0.7310585786300049\n" + PAIR,
        ),
    ],
    'quoted numbers `"1.5"`': [Case(b'"1.5","2.5"\n', code=0, stdout=PAIR)],
    'a quoted id holding `,`, `"` or a newline': [
        Case(
            b'id,a,b\n"x,""y""\nz",1,2\n',
            options=("--id-column", "id"),
            code=0,
            stdout='id,a,b\n"x,""y""\nz",' + PAIR,
        )
    ],
    "an unclosed quote": [Case(b'a,b\n"1,2\n')],
    "id column out of range / unknown name": [
        Case(TEXT, options=("--id-column", "3")),
        Case(TEXT, options=("--id-column", "c"), fragment=1),
    ],
    "JSON vector, rows, objects, JSON lines": [
        Case(b"[1, 2]\n", code=0, stdout=PAIR),
        Case(
            b"[[1, 2], [2, 1]]\n", code=0, stdout=PAIR + "0.7310585786300049,0.2689414213699951\n"
        ),
        Case(b'[{"a": 1, "b": 2}]\n', code=0, stdout=OUT),
        Case(b'{"a": 1, "b": 2}\n{"a": 1, "b": 2}\n', code=0, stdout=OUT + PAIR),
    ],
    'JSON `"nan"`, `"inf"`, `"-inf"`, or `NaN`/`Infinity` literals': [
        Case(b'[["nan", 1], [NaN, 1]]\n', code=0, stdout="nan,nan\nnan,nan\n"),
        Case(b'[["inf", 1], [1, "-inf"], [Infinity, -Infinity]]\n', code=0, stdout="1.0,0.0\n" * 3),
    ],
    'JSON `"abc"` / `null` / `true`': [
        Case(b'[[1, 2], [1, "abc"]]\n'),
        Case(b"[[1, null]]\n", fragment=1),
        Case(b"[[1, true]]\n", expect="row 1, value 2: true is not a number"),
    ],
    "JSON objects with different keys, ragged JSON rows": [
        Case(b'[{"a": 1}, {"b": 2}]\n'),
        Case(b"[[1, 2], [3]]\n", fragment=1),
    ],
    "JSON syntax errors": [
        Case(b"[\n[1, 2],\n[3 4]\n]\n"),
        Case(b"[[1, 2], [3, 4],]\n", fragment=1),
        Case(b"[[1, 2],\n[3, 4]\n", fragment=2),
    ],
    "stdout closed early (`\\| head -1`)": [
        Case(
            shell="seq 1 200000 | sed 's/$/,1,2/' > x.csv; "
            'softmax compute --input x.csv | head -1 > /dev/null; echo "exit ${PIPESTATUS[0]}"',
            code=141,
        )
    ],
    "a full disk (`> /dev/full`)": [Case(shell="softmax compute --input x.csv > /dev/full")],
    # rows proposed for the README (issue 8); tested as soon as they are in the table
    "`1 000` with a no-break, thin or zero-width space": [
        Case("1\u00a0000,2\n".encode()),
        Case(
            "1 2\n1\u2009000 3\n".encode(),
            expect="x.csv: line 2, column 1: '1\\u2009000' is not a number: it contains "
            "'\\u2009' (U+2009 THIN SPACE); write 1000",
        ),
        Case(
            "1\u200b,2\n".encode(),
            expect="it contains '\\u200b' (U+200B ZERO WIDTH SPACE); write 1",
        ),
    ],
    '`"1,000"` (a quoted thousands separator)': [Case(b'"1,000",2\n')],
    "`-inf`, `-Infinity`, `-nan` as arguments": [
        Case(shell="softmax compute -inf 1 -Infinity", code=0, stdout="0.0,1.0,0.0\n"),
        Case(shell="softmax compute 1 -nan", code=0, stdout="nan,nan\n"),
    ],
    "JSON nested thousands of levels deep": [Case(b"[" * 5000 + b"]" * 5000 + b"\n")],
    "stdin closed (`<&-`), a read error half way (a failing disk or network file system)": [
        Case(shell="softmax compute - <&-")
    ],
    "`[red]row1` or `[/INST]` in an id or a header, in a table": [
        Case(
            shell="printf 'id,[/INST],b\\n[red]row1,1,2\\n' > m.csv; softmax compute --input "
            "m.csv --id-column id --format table | grep -o '\\[red\\]row1\\|\\[/INST\\]'",
            code=0,
            stdout="[/INST]\n[red]row1\n",
        )
    ],
    # issue 21 and 18 (reliability)
    "a first row of malformed numbers (`1.5e,1.5D+00`, `0x10,0x20`)": [
        Case(b"1.5e,1.5D+00\n1,2\n"),
        Case(b"0x10,0x20\n1,2\n", expect="x.csv: line 1, column 1: '0x10' is not a number"),
    ],
    "numeric JSON ids (`1.10`, `1e2`) with `--id-column`": [
        Case(
            b"[1.10, 1, 2]\n[1e2, 1, 2]\n",
            options=("--id-column", "1"),
            code=0,
            stdout="1.10," + PAIR + "1e2," + PAIR,
        ),
    ],
    "a quoted field longer than 131 072 characters (a vocabulary-wide id)": [
        Case(
            b'"' + b"v" * 140_000 + b'",1,2\n',
            options=("--id-column", "1"),
            code=0,
            stdout="v" * 140_000 + "," + PAIR,
        ),
    ],
    "an unknown option (`--input-fmt`)": [
        Case(shell="softmax compute --input-fmt tsv --input x.csv", code=2),
    ],
    "a newline or ESC in an id, header or file name": [
        Case(shell="softmax compute --input \"$(printf 'a\\nb.csv')\"", fragment=0),
    ],
    "`-o` naming the input file; Ctrl-C, an error or a full disk while writing `-o`": [
        Case(shell="softmax compute --input x.csv -o x.csv && cat x.csv", code=0, stdout=OUT),
    ],
    "Ctrl-C while writing to stdout": [
        Case(shell="softmax compute 1 2", code=0, stdout=PAIR),  # see test_hostile's SIGINT test
    ],
    "stdout closed (`>&-`)": [Case(shell="softmax compute 1 2 >&-")],
    # issue 18 and 21, second pass: time, memory, start-up (see test_linear_time,
    # test_bounded_memory and test_startup_interrupt for the bounds)
    'a stray `"` then many lines; a JSON syntax error deep in a 1 MB file': [
        Case(b'"a,b\n' + b"1,2\n" * 160_000),
        Case(
            b"[\n" + b"[1, 2],\n" * 4_000 + b"[1 2],\n" + b"[1, 2],\n" * 40_000 + b"[1, 2]\n]\n",
            fragment=1,
            expect="x.csv: line 4002: invalid JSON: Expecting ',' delimiter",
        ),
    ],
    "JSON all on one line, two JSON rows a line, one row over many lines": [
        Case(b"[[1, 2], [1, 2], [1, 2]]", code=0, stdout=PAIR * 3),
        Case(b"[\n[1, 2], [1, 2],\n[1, 2], [1, 2]\n]\n", code=0, stdout=PAIR * 4),
        Case(b"[\n [\n  1,\n  2\n ]\n]\n", code=0, stdout=PAIR),
    ],
    "wide JSON rows (70,000 × 100 as JSON lines or one document)": [
        Case(b"[1, 2]\n" * 70_000, code=0, stdout=PAIR * 70_000),
    ],
    "Ctrl-C while the command is still starting (importing)": [
        Case(shell="softmax compute 1 2", code=0, stdout=PAIR),  # see test_startup_interrupt
    ],
    "standard input that is a directory (`softmax compute - < /`)": [
        # the installed launcher (scripts/softmax): python -m softmax_cli cannot answer this
        Case(shell=f'"{Path(sys.executable).parent / "softmax"}" compute - < /'),
    ],
    # issue 18 and 21, third pass: the slow analyses' caps, wide rows, the sweep at its cap
    # (tests/test_row_caps.py and tests/test_bounded_memory.py hold the bounds)
    "a vector too slow to compare at its precision (`compare --dps 9990` with 1,000 entries)": [
        Case(shell="softmax compare --dps 9990 $(seq 1 1000)"),
    ],
    "`grad --check` on a row whose oracle check would take over a minute (Taylor of order 1000"
    " at 256 logits: ~15 min)": [
        Case(shell="softmax grad --method taylor --order 1000 --check $(seq 0 0.01 2.55)"),
    ],
    "many rows into `compare` or `grad --check` (a 10⁶-row file would take hours)": [
        Case(
            shell="printf '1,2\\n3,4\\n5,6\\n' | softmax compare - --max-rows 2 2>&1 >/dev/null",
            code=0,
            stdout="note: compare stopped after 2 rows (--max-rows); the input has more\n",
        ),
    ],
    "one row of 5 million values (CSV, TSV, whitespace or one-line JSON)": [
        Case(b",".join([b"1.5", b"-2"] * 50_000) + b"\n", code=0),
        Case(b" ".join([b"1.5", b"-2"] * 50_000) + b"\n", code=0),
        Case(b"[" + b", ".join([b"1.5", b"-2"] * 50_000) + b"]\n", code=0),
    ],
    "a JSON vector whose first line is over 1 MB and goes on over more lines": [
        Case(b"[" + b", ".join([b"1.5"] * 300_000) + b",\n -2]\n", code=0),  # 1.5 MB
    ],
    "1,000 rows × 256,000 values; JSON, JSONL, `--dtype float32` at 10⁵–4·10⁶ rows": [
        Case(b"".join(b",".join([str(r).encode()] * 70_000) + b"\n" for r in range(3)), code=0),
    ],
    "a temperature sweep at its cap (1,000 logits × 10,000 temperatures)": [
        Case(shell="softmax temperature-sweep --steps 3 1 2 > /dev/null", code=0, stdout=""),
    ],
    "stdout that cannot encode a character (`PYTHONIOENCODING=ascii`)": [
        Case(
            shell="printf 'id,a,b\\nr\\xc3\\xbc,1,2\\n' > y.csv; "
            "PYTHONIOENCODING=ascii softmax compute --input y.csv --id-column id"
        )
    ],
}

#: Rows with a recipe that the README table does not list yet (none: every recipe is shown).
PROPOSED: set[str] = set()


def readme_rows() -> dict[str, str]:
    """odd input -> outcome, from the README table (``\\|`` is a literal bar)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What happens with odd input", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| odd input", "|---")):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        assert len(cells) == 2, line
        rows[cells[0]] = cells[1]
    return rows


ROWS = readme_rows()


def test_every_readme_row_has_a_recipe_and_every_recipe_a_row():
    assert len(ROWS) >= 30
    assert set(ROWS) <= set(RECIPES), set(ROWS) - set(RECIPES)
    assert set(RECIPES) - set(ROWS) <= PROPOSED


def pattern(fragment: str) -> str:
    """A regex for a README fragment: ``…`` is any text, ``line N`` any line number."""
    pieces = [re.escape(p.strip()) for p in fragment.split("…") if p.strip()]
    return ".*".join(p.replace(r"line\ N", r"line\ \d+") for p in pieces)


CASES = [
    pytest.param(row, case, id=f"{row[:40]}-{i}")
    for row, cases in RECIPES.items()
    if row in ROWS
    for i, case in enumerate(cases)
]


@pytest.mark.parametrize(("row", "case"), CASES)
def test_readme_odd_input_row(row, case, cli, tmp_path, monkeypatch):
    outcome = ROWS[row]
    fragments = re.findall(r"`([^`]*)`", outcome)
    monkeypatch.chdir(tmp_path)
    if case.shell is not None:
        (tmp_path / "x.csv").write_bytes(TEXT)
        script = f'cd "{tmp_path}"; {case.shell}'
        run = run_shell(script)
        if case.code == 141:  # the pipeline's status is printed, the pipeline itself exits 0
            assert "exit 141" in outcome
            assert (run.out, run.err) == ("exit 141\n", "")
            return
        assert run.code == case.code, run.err
        if case.code == 0:
            assert (run.out, run.err) == (case.stdout, "")
            return
        assert re.search(pattern(fragments[case.fragment]), run.err), run.err
        assert run.err.startswith("error: ") and run.err.count("\n") == 1
        return
    if case.kind == "directory":
        (tmp_path / "x.csv").mkdir()
    elif case.data is not None:
        (tmp_path / "x.csv").write_bytes(case.data)
    if case.kind == "unreadable":
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        os.chmod(tmp_path / "x.csv", 0)
    # CSV out whatever came in (auto would follow a TSV or JSON input): the cases hold CSV
    run = cli("compute", *case.options, "--input", "x.csv", "--format", "csv")
    assert "Traceback" not in run.err
    assert run.code == case.code, run.err
    if case.code == 0:
        assert run.err == ""
        if case.stdout is not None:
            assert run.out == case.stdout
        return
    assert run.err.startswith("error: ") and run.err.count("\n") == 1
    assert run.out == ""
    if case.expect is not None:
        assert case.expect in run.err
    else:
        assert re.search(pattern(fragments[case.fragment]), run.err), (fragments, run.err)
