"""Input and output of vectors: readers (arguments, CSV/TSV/whitespace, JSON) and the writer.

Imports numpy only (no typer, rich or mpmath), so the command line starts fast.

Examples
--------
>>> import io
>>> from softmax_cli.io import open_vectors, RowWriter
>>> reader = open_vectors(io.StringIO("1,2\\n3,4\\n"))
>>> out = io.StringIO()
>>> with RowWriter(out, "csv", columns=None, id_name=None, has_ids=False,
...                dtype="float64") as writer:
...     for batch in reader:
...         writer.write(batch.values * 2)
>>> print(out.getvalue(), end="")
2.0,4.0
6.0,8.0
"""

from __future__ import annotations

from .floattext import format_float, format_floats
from .readers import Batch, InputError, Layout, VectorReader, open_vectors, parse_arguments
from .records import FORMATS, Num, RecordWriter, Text, numbers
from .writers import RowWriter

__all__ = [
    "FORMATS",
    "Batch",
    "InputError",
    "Layout",
    "Num",
    "RecordWriter",
    "RowWriter",
    "Text",
    "VectorReader",
    "format_float",
    "format_floats",
    "numbers",
    "open_vectors",
    "parse_arguments",
]
