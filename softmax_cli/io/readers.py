"""Readers of vectors: a facade over :mod:`softmax_cli.io.read`, where the code lives.

Kept so that ``from softmax_cli.io.readers import open_vectors`` (and the other
names imported from here before the split) keeps working. Its :func:`open_vectors` is
the engine's (:mod:`softmax_cli.io.engine`): the exact reader, with large CSV/TSV
parsed in compiled code.

Examples
--------
>>> parse_arguments(["1,2", "3"]).tolist()
[1.0, 2.0, 3.0]
"""

from __future__ import annotations

from .inputs import open_vectors
from .read import Batch, InputError, Layout, VectorReader, parse_arguments
from .read.delimited import _DelimitedParser as _DelimitedParser  # tests patch its methods

__all__ = [
    "Batch",
    "InputError",
    "Layout",
    "VectorReader",
    "open_vectors",
    "parse_arguments",
]
