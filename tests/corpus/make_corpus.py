"""Write the hostile-input corpus: ``python tests/corpus/make_corpus.py``.

Every file here is small and committed; what each one should do to every
command is in ``MANIFEST.json`` beside it (read by ``tests/test_hostile.py``).
Inputs too big to commit (a line of a million values, a 100 MB line) are made
at test time by ``tests/test_hostile.py``. Rerunning this script rewrites the
files byte for byte (the random bytes are seeded; gzip has no timestamp).
"""

from __future__ import annotations

import codecs
import gzip
import io
import random
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

TEXT = "a,b\n1,2\n"  # the plain file that the encodings below spell differently


def _npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([[1.0, 2.0], [3.0, 4.0]]))
    return buf.getvalue()


def _garbage() -> bytes:
    rng = random.Random(8)
    return b"\xff" + bytes(rng.randrange(256) for _ in range(511))


FILES: dict[str, bytes] = {
    # -- structure
    "empty.csv": b"",
    "header_only.csv": b"a,b,c\n",
    "blank_lines.csv": b"\n\n   \n\t\n",
    "comments_only.csv": b"# logits\n\n# none yet\n",
    "ragged.csv": b"1,2,3\n4,5\n",
    "non_numeric.csv": b"a,b,c\n1,2,3\n4,abc,6\n",
    "label_column.csv": b"r1,1,2\nr2,3,4\n",
    "mixed_first_row.csv": b"1,abc\n2,3\n",
    "empty_field.csv": b"1,,3\n",
    "unclosed_quote.csv": b'a,b\n"1,2\n',
    "only_id_column.csv": b"id\nr1\n",
    "single_value.csv": b"5\n",
    # -- encodings and line ends
    "bom.csv": codecs.BOM_UTF8 + TEXT.encode(),
    "utf16_bom.csv": TEXT.encode("utf-16"),
    "utf16be_bom.csv": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    "utf32_bom.csv": TEXT.encode("utf-32"),
    "utf16_no_bom.csv": TEXT.encode("utf-16-le"),
    "crlf.csv": TEXT.replace("\n", "\r\n").encode(),
    "cr.csv": TEXT.replace("\n", "\r").encode(),
    "no_final_newline.csv": TEXT.rstrip("\n").encode(),
    "latin1.csv": "a,b\n1,café\n".encode("latin-1"),
    "nul_byte.csv": b"a,b\n1,\x002\n",
    "binary_garbage.bin": _garbage(),
    "gzip.csv.gz": gzip.compress(TEXT.encode(), mtime=0),
    "numpy.npy": _npy(),
    # -- numbers that look right and are not
    "unicode_minus.csv": "−1,2\n".encode(),
    "en_dash.csv": "–1,2\n".encode(),
    "fullwidth_digit.csv": "１,2\n".encode(),
    "arabic_indic_digit.csv": "٣,2\n".encode(),
    "superscript_digit.csv": "²,2\n".encode(),
    "no_break_space_thousands.csv": "1\u00a0000,2\n".encode(),
    "zero_width_space.csv": "1\u200b,2\n".encode(),
    "thousands_separator.csv": b"a,b\n1,2\n1,000,3\n",
    "thousands_quoted.csv": b'"1,000",2\n',
    "underscore_digits.csv": b"1_000,2\n",
    "decimal_comma.tsv": b"2,5\t3\n",
    "semicolons.csv": b"1;2;3\n",
    "missing_na.csv": b"1,NA\n",
    "hex.csv": b"0x10,1\n",
    # -- special values
    "inf.csv": b"inf,1\n",
    "neg_inf.csv": b"-inf,1\n",
    "all_neg_inf.csv": b"-inf,-inf\n",
    "nan.csv": b"nan,1\n",
    "specials_spelled.csv": b"-Infinity,+nan,INF\n",
    "overflow.csv": b"1,1e400\n",
    "overflow_float32.csv": b"1,1e39\n",
    "neg_zero.csv": b"-0,0\n",
    "subnormal.csv": b"5e-324,-1e-310,2.2250738585072014e-308\n",
    "underflow.csv": b"1e-400,1\n",
    "huge_finite.csv": b"1e308,-1e308,0\n",
    # -- JSON
    "json_string.json": b'[[1, "abc"]]\n',
    "json_null.json": b"[[1, null]]\n",
    "json_ragged.json": b"[[1, 2], [3]]\n",
    "json_keys.json": b'[{"a": 1, "b": 2}, {"a": 1, "c": 2}]\n',
    "json_unclosed.json": b"[[1, 2],\n[3, 4]\n",
    "json_trailing_comma.json": b"[[1, 2], [3, 4],]\n",
    "json_deep.json": b"[" * 3000 + b"]" * 3000 + b"\n",
    "json_specials.json": b'[["nan", "inf", "-inf"], [NaN, Infinity, -Infinity]]\n',
}


def main() -> None:
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(FILES)} files to {HERE}")


if __name__ == "__main__":
    main()
