"""Numeric rows out as binary files: ``.npy``, Parquet and Arrow IPC (Feather v2).

:class:`ArrayWriter` takes the same calls as :class:`~softmax_cli.io.writers.RowWriter`
(``write(values, ids)`` per batch, then ``close``) and writes the values in their dtype,
bit for bit:

* ``npy``: one 2-D array (rows × width). Row ids are not written (an array has none;
  use Parquet or Arrow to keep them). To a file, the rows stream to disk and the header's
  row count is filled in at the end; to a pipe, whose start cannot be rewritten, the rows
  wait in a temporary file (memory stays flat) and follow the header at the end;
* ``parquet`` and ``arrow``: the id column (text) first when the input had one, then one
  float column per named input column, or, when the columns have no names, one column
  ``values`` holding each row's vector (a fixed-size list); a batch at a time, so memory
  stays bounded, to a file or to a pipe (``arrow`` to a file is the IPC file format,
  Feather v2; to a pipe the IPC stream format, read as it comes). pyarrow is imported only
  here (the ``formats`` extra). longdouble has no Arrow type and is refused.

Examples
--------
>>> import io, numpy as np
>>> out = io.BytesIO()
>>> with ArrayWriter(out, "npy", columns=None, id_name=None, has_ids=False,
...                  dtype=np.float32) as w:
...     w.write(np.array([[0.25, 0.75]], dtype=np.float32))
...     w.write(np.array([[0.5, 0.5]], dtype=np.float32))
>>> _ = out.seek(0)
>>> np.load(out)
array([[0.25, 0.75],
       [0.5 , 0.5 ]], dtype=float32)
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np

from ..errors import SoftmaxInputError
from .read.formats import OUTPUT_BINARY_FORMATS
from .writers import as_rows

__all__ = ["ArrayWriter"]

_NPY_HEADER = 128  # bytes reserved for the .npy header: any 2-D shape fits


def _npy_header(dt: np.dtype, rows: int, width: int) -> bytes:
    """A version 1.0 ``.npy`` header of exactly :data:`_NPY_HEADER` bytes."""
    text = repr(
        {"descr": np.lib.format.dtype_to_descr(dt), "fortran_order": False, "shape": (rows, width)}
    )
    room = _NPY_HEADER - 10 - 1  # magic + version + length, and the final newline
    body = text.ljust(room) + "\n"
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body.encode("latin1")


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class ArrayWriter:
    """Write batches of rows to a binary stream as ``npy``, ``parquet`` or ``arrow``.

    Parameters are those of :class:`~softmax_cli.io.writers.RowWriter`; ``stream`` is
    a binary stream (not closed by the writer).
    """

    def __init__(
        self,
        stream: BinaryIO,
        fmt: str,
        *,
        columns: list[str] | None,
        id_name: str | None,
        has_ids: bool,
        dtype: Any,
    ) -> None:
        if fmt not in OUTPUT_BINARY_FORMATS:
            raise SoftmaxInputError(
                f"unknown binary format {fmt!r}; choose one of {', '.join(OUTPUT_BINARY_FORMATS)}"
            )
        self._stream = stream
        self._fmt = fmt
        self._columns = list(columns) if columns is not None else None
        self._id_name = id_name if id_name is not None else "id"
        self._has_ids = bool(has_ids)
        self._dt = np.dtype(dtype)
        if fmt != "npy" and self._dt.kind == "f" and self._dt.itemsize > 8:
            raise SoftmaxInputError(
                f"{{param}} {fmt} has no {self._dt.name} type; give {{dtype}} float64 or "
                f"narrower, or write npy",
                param="format",
                also=("dtype",),
            )
        self._width: int | None = None
        self._rows = 0
        self._spool: Any = None  # npy to a pipe: the rows, on disk until the end
        self._seekable = False
        self._start = 0
        self._pa: Any = None
        self._sink: Any = None
        self._closed = False

    # -- npy ---------------------------------------------------------------------------

    def _npy_begin(self) -> None:
        self._seekable = _seekable(self._stream)
        self._start = self._stream.tell() if self._seekable else 0
        if self._seekable:
            self._stream.write(_npy_header(self._dt, 0, self._width or 0))

    def _npy_end(self) -> None:
        header = _npy_header(self._dt, self._rows, self._width or 0)
        if self._seekable:
            end = self._stream.tell()
            self._stream.seek(self._start)
            self._stream.write(header)
            self._stream.seek(end)
            return
        self._stream.write(header)
        if self._spool is not None:
            import shutil

            self._spool.seek(0)
            shutil.copyfileobj(self._spool, self._stream, 1 << 20)
            self._spool.close()
            self._spool = None

    # -- Arrow / Parquet ---------------------------------------------------------------

    def _schema(self, width: int) -> Any:
        pa = self._pa
        value_type = pa.from_numpy_dtype(self._dt)
        fields = [pa.field(self._id_name, pa.string())] if self._has_ids else []
        if self._columns is not None:
            fields += [pa.field(name, value_type) for name in self._columns]
        else:
            fields.append(pa.field("values", pa.list_(value_type, width)))
        return pa.schema(fields)

    def _table_begin(self, width: int) -> None:
        import pyarrow as pa

        self._pa = pa
        schema = self._schema(width)
        if self._fmt == "parquet":
            import pyarrow.parquet as pq

            self._sink = pq.ParquetWriter(self._stream, schema)
        else:
            import pyarrow.ipc as ipc

            if _seekable(self._stream):  # a file: the IPC file format (Feather v2)
                self._sink = ipc.new_file(self._stream, schema)
            else:  # a pipe: the IPC stream format, which the reader can take as it comes
                self._sink = ipc.new_stream(self._stream, schema)
        self._schema_now = schema

    def _table_write(self, a: np.ndarray, ids: list[str] | None) -> None:
        pa = self._pa
        arrays = [pa.array(ids, type=pa.string())] if self._has_ids else []
        if self._columns is not None:
            arrays += [pa.array(np.ascontiguousarray(a[:, j])) for j in range(a.shape[1])]
        else:
            flat = pa.array(np.ascontiguousarray(a).ravel())
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, a.shape[1]))
        batch = pa.RecordBatch.from_arrays(arrays, schema=self._schema_now)
        if self._fmt == "parquet":
            self._sink.write_batch(batch)
        else:
            self._sink.write_batch(batch)

    # -- API ---------------------------------------------------------------------------

    def write(self, values: np.ndarray, ids: list[str] | None = None) -> None:
        """Write rows: ``values`` of shape ``(rows, width)`` (a 1-D array is one row)."""
        if self._closed:
            raise ValueError("write to a closed ArrayWriter")
        a = np.ascontiguousarray(as_rows(values, self._dt))
        if self._has_ids and (ids is None or len(ids) != a.shape[0]):
            raise ValueError(f"has_ids=True needs one id per row ({a.shape[0]} rows)")
        if self._width is None:
            self._width = a.shape[1]
            if self._fmt == "npy":
                self._npy_begin()
            else:
                self._table_begin(a.shape[1])
        elif a.shape[1] != self._width:
            raise ValueError(f"rows have {a.shape[1]} values, but the writer has {self._width}")
        self._rows += a.shape[0]
        if self._fmt != "npy":
            self._table_write(a, [str(i) for i in ids] if self._has_ids and ids else None)
        elif self._seekable:
            self._stream.write(memoryview(a).cast("B"))
        else:
            if self._spool is None:
                import tempfile

                self._spool = tempfile.TemporaryFile(prefix="softmax-npy-")
            self._spool.write(memoryview(a).cast("B"))

    def close(self) -> None:
        """Finish the file (the ``.npy`` header's row count; Parquet's or Arrow's footer)."""
        if self._closed:
            return
        self._closed = True
        if self._width is None:  # no rows at all: an empty array of the known width
            self._width = len(self._columns) if self._columns is not None else 0
            if self._fmt == "npy":
                self._npy_begin()
            else:
                self._table_begin(self._width)
        if self._fmt == "npy":
            self._npy_end()
        else:
            self._sink.close()

    def __enter__(self) -> ArrayWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self._closed = True
            if self._spool is not None:
                self._spool.close()
