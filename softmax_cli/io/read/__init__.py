"""Read vectors from command-line arguments, CSV/TSV/whitespace text and JSON.

One vector per row. Text input is streamed in chunks of ``chunk_rows`` lines, so
memory does not grow with the number of rows, and each chunk is parsed by numpy
in one call; only a chunk that numpy refuses is walked token by token, to name
the exact line, column and token in the error.

What is accepted
----------------
* **Encodings**: UTF-8 with or without a byte-order mark; UTF-16 and UTF-32 *with*
  a byte-order mark. NUL bytes or bytes that are not UTF-8 raise
  :class:`InputError` ("looks binary", "is not UTF-8 text").
* **Lines**: ``\\n``, ``\\r\\n`` and a lone ``\\r`` all end a line. Blank lines and
  lines whose first non-blank character is ``#`` are skipped; line numbers in
  errors are real line numbers of the file (skipped lines count).
* **Layout** (``fmt="auto"``): sniffed from the first non-blank, non-comment line:
  a tab means TSV, else a comma means CSV, else values are separated by runs of
  whitespace; ``[`` or ``{`` means JSON. CSV/TSV fields may be quoted the
  ``csv``-module way (a quoted id may hold the delimiter, quotes or newlines).
* **Header**: detected (``header=None``) when every filled token of the first
  row outside the id column is text, not a number; a first row mixing numbers
  and text is data, so a typo or ``NA`` in it is reported instead of the row
  vanishing as a header. ``header=True``/``False`` forces it. Names are stripped
  of surrounding blanks; a header of numbers (``0,1,2``) is taken for data
  unless ``header=True``.
* **Ids**: the id column's text is passed through untouched (not stripped);
  the writer quotes an id that holds the delimiter, a tab, a quote or a line
  break, or starts with ``#``, ``[`` or ``{``, so it reads back as it was. A
  carriage return inside a quoted id reads back as ``\\n`` (line ends are
  normalised); NUL bytes are refused everywhere. In whitespace-separated input
  an id cannot hold blanks.
* **Numbers**: Python ``float`` syntax (``1``, ``-2.5``, ``1e-3``, ``.5``, ``inf``,
  ``-Infinity``, ``nan``, any case, surrounding whitespace) plus U+2212 MINUS
  SIGN as ``-``. Refused although ``float()`` takes them: digit separators
  (``1_000``) and non-ASCII digits (fullwidth ``１``, Arabic-Indic ``١``). A
  finite literal too large for the dtype (``1e400``; ``1e39`` in float32) is an
  error, not ``inf``; a literal too small rounds to a subnormal or to zero, as
  ``float()`` does. float16/float32 values are parsed as float64 and then
  rounded (the writer's output always reads back exactly); longdouble values
  are parsed at full precision.
* **JSON**: an array of numbers (one vector), an array of arrays (one per row),
  an array of objects ``{name: value}`` with the same keys (the keys are the
  columns; an id column may be named), or JSON lines (one array or object per
  line). The strings ``"nan"``, ``"inf"``, ``"-inf"`` (and ``"Infinity"``, any
  case) stand for those values, as do Python's ``NaN``/``Infinity`` literals;
  other strings, ``null`` and booleans are errors. A document that is not one
  row per line is parsed element by element, so memory still stays bounded.
* **Iteration**: a :class:`VectorReader` is iterated once; a file it opened is
  closed when iteration ends or on :meth:`VectorReader.close`.

Modules
-------
* :mod:`~softmax_cli.io.read.errors` -- :class:`InputError` and the token-level error.
* :mod:`~softmax_cli.io.read.records` -- :class:`Layout` and :class:`Batch`.
* :mod:`~softmax_cli.io.read.numbers` -- the token grammar: what is a number, and why not.
* :mod:`~softmax_cli.io.read.arguments` -- :func:`parse_arguments`.
* :mod:`~softmax_cli.io.read.decode` -- bytes to numbered text lines.
* :mod:`~softmax_cli.io.read.sniff` -- data lines, delimiter, header and id column.
* :mod:`~softmax_cli.io.read.delimited` -- the CSV/TSV/whitespace parser.
* :mod:`~softmax_cli.io.read.jsonvalues`, :mod:`~softmax_cli.io.read.jsonstream`,
  :mod:`~softmax_cli.io.read.jsonrows` -- JSON elements, the streamed document, the parser.
* :mod:`~softmax_cli.io.read.reader` -- :func:`open_vectors` and :class:`VectorReader`.
* :mod:`~softmax_cli.io.read.formats` -- the one list of input formats, and magic bytes.
* :mod:`~softmax_cli.io.read.compressed` -- gzip, bzip2, xz and zstd undone as input streams.
* :mod:`~softmax_cli.io.read.binary`, :mod:`~softmax_cli.io.read.tables` -- ``.npy``/``.npz``,
  and Parquet/Arrow IPC (pyarrow). :func:`softmax_cli.io.open_vectors` (``io/inputs.py``)
  chooses among them by the first bytes; this package's :func:`open_vectors` reads text.

Examples
--------
>>> import io
>>> reader = open_vectors(io.StringIO("a,b,c\\n1,2,3\\n4,5,6\\n"))
>>> reader.layout.columns, reader.layout.delimiter, reader.layout.width
(['a', 'b', 'c'], ',', 3)
>>> [batch.values.tolist() for batch in reader]
[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]
>>> parse_arguments(["-1000", "-2000"])
array([-1000., -2000.])
"""

from __future__ import annotations

from .arguments import parse_arguments
from .errors import InputError
from .reader import VectorReader, open_vectors
from .records import Batch, Layout

__all__ = [
    "Batch",
    "InputError",
    "Layout",
    "VectorReader",
    "open_vectors",
    "parse_arguments",
]
