"""Columnar files in: Parquet and Arrow IPC (Feather v2, file or stream), through pyarrow.

pyarrow (the ``formats`` extra) is imported only here, only for such an input. A
Parquet file is read a row group at a time and an Arrow IPC file a record batch at a
time (memory-mapped by path), so memory stays bounded; a pipe is read whole first when
the format needs random access (Parquet; an Arrow IPC *stream* streams).

Which columns are the logits:

* ``field`` names one list column (``list<float>``, fixed-size or not): each row's list
  is that row's vector (all of one length);
* else every numeric column, in order, is one value column, except the id column; a
  lone list column with no numeric column is taken as with ``field``;
* ``id_column`` (a name, or a position counting from 1) is passed through as text; any
  other column that holds neither numbers nor the vectors is an error naming it.

Values follow :mod:`softmax_cli.io.read.binary`: float columns keep their dtype when
``dtype`` is None (all float32 stays float32; a mix is read as float64, exactly),
integers become floats only when exact, a null is an error (write nan for a missing
value).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

import numpy as np

from .binary import BATCH_BYTES, _closing, convert_block, target_dtype
from .errors import InputError
from .reader import VectorReader
from .records import Batch, Layout

__all__ = ["read_table"]


def _pyarrow(name: str) -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise InputError(
            "is Parquet or Arrow, which needs pyarrow (pip install 'softmax-lab[formats]'); "
            "or convert it to CSV or .npy first",
            source=name,
        ) from None
    return pa


def _is_list(pa: Any, t: Any) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _is_number(pa: Any, t: Any) -> bool:
    return pa.types.is_floating(t) or pa.types.is_integer(t)


class _Plan:
    """Which columns of a schema are the vectors and the id, and the dtype read in."""

    def __init__(
        self,
        pa: Any,
        schema: Any,
        name: str,
        field: str | None,
        id_column: str | int | None,
        dtype: np.dtype | None,
    ) -> None:
        self.pa = pa
        self.name = name
        names = list(schema.names)
        self.id_index = self._id_index(names, id_column)
        self.id_name = names[self.id_index] if self.id_index is not None else None
        rest = [i for i in range(len(names)) if i != self.id_index]
        if field is not None:
            if field not in names:
                raise InputError(
                    f"has no column {field!r}; its columns are {', '.join(names[:20])}",
                    source=name,
                )
            self.list_index: int | None = names.index(field)
            others = []
        else:
            numeric = [i for i in rest if _is_number(pa, schema.field(i).type)]
            lists = [i for i in rest if _is_list(pa, schema.field(i).type)]
            self.list_index = lists[0] if not numeric and len(lists) == 1 else None
            others = [i for i in rest if i not in numeric and i != self.list_index]
            self.value_indices = numeric
        if others:
            col = names[others[0]]
            raise InputError(
                f"column {col!r} holds {schema.field(others[0]).type}, not numbers; "
                f"make it the {{id_column}}, or drop it",
                source=name,
            )
        if self.list_index is not None:
            t = schema.field(self.list_index).type
            if not _is_list(pa, t) or not _is_number(pa, t.value_type):
                raise InputError(
                    f"column {names[self.list_index]!r} holds {t}, not lists of numbers",
                    source=name,
                )
            types = [t.value_type]
            self.columns = None
            self.width = t.list_size if pa.types.is_fixed_size_list(t) else None
        else:
            if not self.value_indices:
                raise InputError(
                    f"has no numeric column (columns: {', '.join(names[:20])}); name the "
                    f"list column of the vectors with {{field}}",
                    source=name,
                    also=("field",),
                )
            types = [schema.field(i).type for i in self.value_indices]
            self.columns = [names[i] for i in self.value_indices]
            self.width = len(self.value_indices)
        dts = {np.dtype(t.to_pandas_dtype()) for t in types}
        floats = {d for d in dts if d.kind == "f"}
        if dtype is not None:
            self.dt = dtype
        elif len(dts) == 1:
            self.dt = target_dtype(next(iter(dts)), None, name, "a table")
        else:
            self.dt = max(floats, key=lambda d: d.itemsize) if floats else np.dtype(np.float64)
            if any(d.kind in "iu" for d in dts) or len(floats) > 1:
                self.dt = np.dtype(np.float64) if self.dt.itemsize <= 8 else self.dt

    def _id_index(self, names: list[str], id_column: str | int | None) -> int | None:
        if id_column is None:
            return None
        if isinstance(id_column, str) and id_column in names:
            return names.index(id_column)
        if isinstance(id_column, str) and not id_column.strip().isdigit():
            raise InputError(
                f"id column {id_column!r} is not a column ({', '.join(names[:20])}); "
                f"names must match exactly, or give a position counting from 1",
                source=self.name,
            )
        k = int(id_column)
        if not 1 <= k <= len(names):
            raise InputError(
                f"id column {k} is out of range: it has {len(names)} columns "
                f"(positions count from 1)",
                source=self.name,
            )
        return k - 1

    def batch(self, rb: Any, first_row: int) -> Batch:
        """One record batch as a :class:`Batch` (rows numbered from ``first_row``)."""
        n = rb.num_rows
        if self.list_index is not None:
            col = rb.column(self.list_index)
            block = self._list_block(col, first_row)
        else:
            cols = []
            for i in self.value_indices:
                col = rb.column(i)
                if col.null_count:
                    self._null(col, first_row, rb.schema.names[i])
                cols.append(col.to_numpy(zero_copy_only=False))
            common = np.result_type(*cols) if cols else np.dtype(np.float64)
            block = np.empty((n, len(cols)), dtype=common)
            for j, c in enumerate(cols):
                block[:, j] = c
        values = convert_block(block, self.dt, self.name, first_row)
        ids = None
        if self.id_index is not None:
            ids = ["" if v is None else str(v) for v in rb.column(self.id_index).to_pylist()]
        return Batch(
            values=values, ids=ids, lines=np.arange(first_row, first_row + n, dtype=np.int64)
        )

    def _null(self, col: Any, first_row: int, colname: str) -> None:
        row = first_row + int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(
            f"row {row}, column {colname!r}: null is not a number; write nan for a missing value",
            source=self.name,
        )

    def _list_block(self, col: Any, first_row: int) -> np.ndarray:
        pa = self.pa
        if col.null_count:
            row = first_row + int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise InputError(f"row {row}: the vector is null", source=self.name)
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        if pa.types.is_fixed_size_list(col.type):
            lengths = np.full(len(col), col.type.list_size)
        else:
            offsets = col.offsets.to_numpy()
            lengths = np.diff(offsets)
        flat = col.flatten()
        if flat.null_count:
            raise InputError(
                "a value in a vector is null; write nan for a missing value", source=self.name
            )
        if self.width is None and len(lengths):
            self.width = int(lengths[0])
        bad = np.flatnonzero(lengths != self.width)
        if bad.size:
            r = int(bad[0])
            raise InputError(
                f"row {first_row + r} has {int(lengths[r])} values, but the first row has "
                f"{self.width}; every vector must have the same length",
                source=self.name,
            )
        if self.width == 0:
            raise InputError("holds vectors of no values", source=self.name)
        return flat.to_numpy(zero_copy_only=False).reshape(len(col), self.width)


def read_table(
    kind: str,
    source: Any,
    name: str,
    *,
    field: str | None,
    id_column: str | int | None,
    dtype: np.dtype | None,
    chunk_rows: int = 65536,
    closer: Callable[[], None] = lambda: None,
) -> VectorReader:
    """Read a Parquet (``kind="parquet"``) or Arrow IPC (``"arrow"``) input.

    ``source`` is a path or a binary stream (read whole when the format must seek). The
    first batch is read here: the width of a list column is that of its first row.
    """
    pa = _pyarrow(name)
    what = "Parquet" if kind == "parquet" else "Arrow IPC"
    try:
        schema, batches = _open(pa, kind, source, chunk_rows)
        plan = _Plan(pa, schema, name, field, id_column, dtype)
    except InputError:
        raise
    except (OSError, ValueError, pa.ArrowException) as err:
        raise InputError(f"is not a valid {what} file ({err})", source=name) from None

    def gen() -> Iterator[Batch]:
        row = 1
        try:
            for rb in batches:
                # a batch as written may be large: rows of at most BATCH_BYTES at a time
                step = max(1, min(int(chunk_rows), BATCH_BYTES * rb.num_rows // max(rb.nbytes, 1)))
                for r0 in range(0, rb.num_rows, step):
                    part = rb.slice(r0, step)
                    yield plan.batch(part, row)
                    row += part.num_rows
        except (OSError, pa.ArrowException) as err:
            raise InputError(f"cannot be read as {what} ({err})", source=name) from None

    it = gen()
    first = next(it, None)
    if first is None:
        raise InputError("holds no vectors: it has no rows", source=name)
    layout = Layout(
        columns=plan.columns,
        id_name=plan.id_name,
        id_index=plan.id_index,
        delimiter=kind,
        source_name=name,
        width=int(first.values.shape[1]),
        dtype=plan.dt,
    )
    return VectorReader(layout, _closing(chain([first], it), closer), closer)


def _open(pa: Any, kind: str, source: Any, chunk_rows: int) -> tuple[Any, Iterator[Any]]:
    """The schema and the record batches of a path or a binary stream."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as fh:
            head = fh.read(6)
        src: Any = pa.memory_map(path, "r")
    else:
        head = source.peek(8)[:6] if hasattr(source, "peek") else b""
        if kind == "parquet" or head == b"ARROW1" or not hasattr(source, "peek"):
            src = pa.BufferReader(source.read())  # a pipe: these formats need to seek
            head = bytes(src.read_at(6, 0)) if src.size() >= 6 else b""
        else:
            src = source  # an Arrow IPC stream streams
    if kind == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(src)
        numeric = sum(
            pa.types.is_floating(t) or pa.types.is_integer(t) for t in pf.schema_arrow.types
        )
        rows = max(1, min(int(chunk_rows), BATCH_BYTES // (8 * max(numeric, 1))))
        return pf.schema_arrow, pf.iter_batches(batch_size=rows)
    import pyarrow.ipc as ipc

    if head == b"ARROW1":
        f = ipc.open_file(src)
        return f.schema, (f.get_batch(i) for i in range(f.num_record_batches))
    s = ipc.open_stream(src)
    return s.schema, iter(s)
