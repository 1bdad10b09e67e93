"""Binary arrays in: NumPy ``.npy`` and ``.npz``, read in bounded memory.

A ``.npy`` file by path is memory-mapped; a pipe (or a member of a ``.npz``) is read a
block of rows at a time, so memory never holds more than one batch. A 1-D array is one
vector, a 2-D array one vector per row (a 0-d array is a vector of one value); more
dimensions are refused with the reshape that would fit.

Numbers are never changed:

* float16, float32, float64 and longdouble arrays are read as they are; with
  ``dtype=None`` (the command line without ``--dtype``) the batches keep the array's
  dtype, else they are rounded to ``dtype`` once (a finite value too large for it is an
  error, as ``1e39`` is in float32 text);
* integer arrays are converted to the float dtype (float64 without one) only when every
  value converts exactly: 2**53 + 1 in float64 is an error naming the row and column,
  whose fix is a wider dtype (longdouble) or converting it yourself;
* booleans, complex numbers, strings, structured and object arrays are refused (an
  object array would need pickle, which is never loaded);
* nan and ±inf pass through, as the text readers accept them.

Examples
--------
>>> import io, numpy as np
>>> buf = io.BytesIO()
>>> np.save(buf, np.array([[1, 2], [3, 4]], dtype=np.int16))
>>> _ = buf.seek(0)
>>> reader = read_npy(buf, "<stream>", dtype=None, chunk_rows=1)
>>> reader.layout.width, reader.layout.dtype
(2, dtype('float64'))
>>> [b.values.tolist() for b in reader]
[[[1.0, 2.0]], [[3.0, 4.0]]]
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .errors import InputError
from .reader import VectorReader
from .records import Batch, Layout

__all__ = ["convert_block", "read_npy", "read_npz", "target_dtype"]

#: Bytes of values read per batch at most (a wide row is still one whole batch).
BATCH_BYTES = 8 << 20
#: Bytes one row may take (a 256,000-logit float64 row is 2 MB): a larger header is damaged.
MAX_ROW_BYTES = 1 << 31
_FLOATS = tuple(np.dtype(t) for t in (np.float16, np.float32, np.float64, np.longdouble))


def target_dtype(source: np.dtype, want: np.dtype | None, name: str, what: str) -> np.dtype:
    """The float dtype the values of a ``source`` array are read in (``want`` if given).

    Refuses what holds no logits: booleans, complex, strings, records, objects.
    """
    kind = source.kind
    if kind in "fiu" and (kind != "f" or source.newbyteorder("=") in _FLOATS):
        if want is not None:
            return want
        return source.newbyteorder("=") if kind == "f" else np.dtype(np.float64)
    why = {
        "b": "booleans",
        "c": "complex numbers",
        "U": "strings",
        "S": "bytes",
        "O": "Python objects (they need pickle, which is never loaded)",
        "V": "records or an unknown type (bfloat16 is saved so: cast it to float32 first)",
        "M": "dates",
        "m": "time spans",
    }.get(kind, f"values of type {source}")
    raise InputError(
        f"holds {what} of {why}, not real numbers; give an array of floats or integers",
        source=name,
    )


def convert_block(
    block: np.ndarray, dt: np.dtype, name: str, first_row: int, *, fresh: bool = False
) -> np.ndarray:
    """``block`` (rows × width) as ``dt``, refusing any value the conversion would change
    beyond rounding a float: an integer that is not exactly a ``dt``, and a finite float
    that overflows to infinity.

    Examples
    --------
    >>> convert_block(np.array([[2**53, 1]]), np.dtype(np.float64), "x.npy", 1).tolist()
    [[9007199254740992.0, 1.0]]
    >>> try:
    ...     convert_block(np.array([[1, 2**53 + 1]]), np.dtype(np.float64), "x.npy", 1)
    ... except InputError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    x.npy row 1, column 2: the integer 9007199254740993 is not exactly a float64 ...
    """
    if block.dtype == dt:  # ``fresh``: ours already; else a copy (never a memory map's view)
        return block if fresh and block.flags.c_contiguous else np.array(block, order="C")
    with np.errstate(over="ignore", invalid="ignore"):
        out = block.astype(dt, order="C")
    kind = block.dtype.kind
    if kind in "iu":
        bits = np.finfo(dt).nmant + 1
        if block.dtype.itemsize * 8 - (kind == "i") > bits:
            with np.errstate(over="ignore", invalid="ignore"):
                bad = out.astype(block.dtype) != block
                bad |= ~np.isfinite(out)
            if bad.any():
                r, c = (int(i) for i in np.argwhere(bad)[0])
                value = int(block[r, c])
                raise InputError(
                    f"row {first_row + r}, column {c + 1}: the integer {value} is not exactly "
                    f"a {dt.name} (it would change); give {{dtype}} longdouble or a wider "
                    f"type, or convert it yourself",
                    source=name,
                    also=("dtype",),
                )
    elif kind == "f" and out.dtype.itemsize < block.dtype.itemsize:
        bad = np.isinf(out) & np.isfinite(block)
        if bad.any():
            r, c = (int(i) for i in np.argwhere(bad)[0])
            raise InputError(
                f"row {first_row + r}, column {c + 1}: {block[r, c]!r} is too large for "
                f"{dt.name} (it would become inf); give a wider {{dtype}}",
                source=name,
                also=("dtype",),
            )
    return out


def _as_rows(shape: tuple[int, ...], name: str, what: str) -> tuple[int, int]:
    """(rows, width) of an array of ``shape``: 1-D is one row, 2-D rows; else refused."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        rows, width = 1, shape[0]
    elif len(shape) == 2:
        rows, width = shape
    else:
        dims = "×".join(map(str, shape))
        raise InputError(
            f"holds {what} of {len(shape)} dimensions ({dims}); give one vector "
            f"(1-D) or one vector per row (2-D), e.g. a.reshape(-1, {shape[-1]})",
            source=name,
        )
    if rows == 0:
        raise InputError(f"holds no vectors: {what} of 0 rows", source=name)
    if width == 0:
        raise InputError(f"holds vectors of no values: {what} of 0 columns", source=name)
    return rows, width


def _rows_per_batch(width: int, itemsize: int, chunk_rows: int) -> int:
    return max(1, min(int(chunk_rows), BATCH_BYTES // max(1, width * itemsize)))


def _header(stream: Any, name: str, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a ``.npy`` header (the stream is left after it)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dt = fmt.read_array_header_1_0(stream)
        else:
            shape, fortran, dt = fmt.read_array_header_2_0(stream)
        if any(n < 0 for n in shape):
            raise ValueError(f"negative shape {shape}")
        if dt.itemsize == 0 and dt.kind not in "OUSV":
            raise ValueError(f"dtype {dt} has no size")
        return shape, fortran, dt
    except (ValueError, EOFError, SyntaxError, TypeError, MemoryError) as err:
        where = (
            "is not a valid .npy file"
            if what == "an array"
            else f"holds {what} that is not a valid .npy"
        )
        raise InputError(
            f"{where} ({err}); check that it was written by np.save",
            source=name,
        ) from None


def _closing(batches: Iterator[Batch], closer: Callable[[], None]) -> Iterator[Batch]:
    try:
        yield from batches
    finally:
        closer()


def _layout(name: str, width: int, dt: np.dtype, kind: str) -> Layout:
    return Layout(
        columns=None,
        id_name=None,
        id_index=None,
        delimiter=kind,
        source_name=name,
        width=width,
        dtype=dt,
    )


def read_npy(
    source: Any,
    name: str,
    *,
    dtype: np.dtype | None,
    chunk_rows: int = 65536,
    closer: Callable[[], None] = lambda: None,
    what: str = "an array",
) -> VectorReader:
    """Read a ``.npy`` from a path or a binary stream, a batch of rows at a time.

    A file is read with plain reads into each batch (its resident memory stays one batch,
    however large the file); a Fortran-ordered array by path is memory-mapped instead, a
    column-major array from a pipe is read whole. ``dtype=None`` keeps a float array's own
    dtype (integers become float64).
    """
    size = None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        fh = open(path, "rb")  # closed by the reader
        outer = closer

        def closer() -> None:
            try:
                fh.close()
            finally:
                outer()

        size = os.fstat(fh.fileno()).st_size
        source = fh
    try:
        shape, fortran, src_dt = _header(source, name, what)
        dt = target_dtype(src_dt, dtype, name, what)
        rows, width = _as_rows(shape, name, what)
        offset = source.tell() if size is not None else 0
        row_bytes = width * src_dt.itemsize
        if row_bytes > MAX_ROW_BYTES:
            raise InputError(
                f"holds rows of {width:,} values ({row_bytes:,} bytes), more than one row "
                f"may take ({MAX_ROW_BYTES:,} bytes); check the array's shape",
                source=name,
            )
        if size is not None and size < offset + rows * row_bytes:
            raise InputError(
                f"ends early: it holds {size} bytes, and its header promises "
                f"{offset + rows * row_bytes}; the file is truncated",
                source=name,
            )
    except BaseException:
        closer()
        raise
    fresh = True
    if fortran and len(shape) == 2 and size is not None:
        mm = np.memmap(source, dtype=src_dt, mode="r", offset=offset, shape=shape, order="F")
        fresh = False

        def take(r0: int, r1: int) -> np.ndarray:
            return mm[r0:r1]

    elif fortran and len(shape) == 2:  # columns first, from a pipe: read it whole
        whole = _read_whole(source, rows * row_bytes, name, src_dt).reshape(shape, order="F")
        fresh = False

        def take(r0: int, r1: int) -> np.ndarray:
            return whole[r0:r1]

    else:

        def take(r0: int, r1: int) -> np.ndarray:
            block = np.empty((r1 - r0, width), dtype=src_dt)
            _read_into(source, block, name, r0 + 1, rows)
            return block

    step = _rows_per_batch(width, src_dt.itemsize, chunk_rows)
    done = [0]

    def sized() -> tuple[int, int]:
        return offset + done[0] * row_bytes, int(size or 0)

    def counting() -> Iterator[Batch]:
        for r0 in range(0, rows, step):
            r1 = min(rows, r0 + step)
            values = convert_block(take(r0, r1), dt, name, r0 + 1, fresh=fresh)
            done[0] = r1
            yield Batch(values=values, ids=None, lines=np.arange(r0 + 1, r1 + 1, dtype=np.int64))

    layout = _layout(name, width, dt, "npy")
    return VectorReader(layout, _closing(counting(), closer), closer, sized if size else None)


def _read_whole(stream: Any, nbytes: int, name: str, dt: np.dtype) -> np.ndarray:
    """All ``nbytes`` of values (memory grows with what comes, not with what is promised)."""
    parts: list[bytes] = []
    got = 0
    while got < nbytes:
        more = stream.read(min(nbytes - got, 1 << 24))
        if not more:
            raise InputError(
                f"ends early: it holds {got:,} bytes of values, and its header promises "
                f"{nbytes:,}; the file is truncated",
                source=name,
            )
        parts.append(more)
        got += len(more)
    return np.frombuffer(b"".join(parts), dtype=dt)


def _read_into(stream: Any, block: np.ndarray, name: str, first: int, rows: int) -> None:
    """Fill ``block`` (rows ``first``... of ``rows``) from ``stream``; short means truncated."""
    view = memoryview(block).cast("B")
    got, want = 0, len(view)
    reader = getattr(stream, "readinto", None)
    while got < want:
        if reader is not None:
            n = reader(view[got:])
        else:
            data = stream.read(want - got)
            n = len(data)
            view[got : got + n] = data
        if not n:
            row = first + got // max(1, block.nbytes // max(1, len(block)))
            raise InputError(
                f"ends early: its header promises {rows:,} rows, and row {row:,} is cut "
                f"short or missing; the file is truncated",
                source=name,
            )
        got += n


def read_npz(
    source: Any,
    name: str,
    *,
    array: str | None,
    dtype: np.dtype | None,
    chunk_rows: int = 65536,
    closer: Callable[[], None] = lambda: None,
) -> VectorReader:
    """Read one array of a ``.npz`` (a path, or a seekable binary stream).

    ``array`` names it (with or without ``.npy``); a file of one array needs no name.
    """
    import zipfile  # (it imports bz2 and lzma: only for a .npz)

    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise InputError(f"is not a valid .npz/ZIP file ({err})", source=name) from None
    members = [m for m in archive.namelist() if m.endswith(".npy")]
    names = [m[: -len(".npy")] for m in members]
    try:
        if not members:
            listed = ", ".join(archive.namelist()[:5]) or "nothing"
            raise InputError(
                f"is a ZIP archive that holds no .npy arrays ({listed}), so not a .npz; "
                f"extract the file you want first",
                source=name,
            )
        if array is None:
            if len(members) > 1:
                raise InputError(
                    f"holds {len(members)} arrays ({', '.join(names[:20])}); choose one with "
                    f"{{array}}",
                    source=name,
                    also=("array",),
                )
            member = members[0]
        else:
            key = array[: -len(".npy")] if array.endswith(".npy") else array
            if key not in names:
                raise InputError(
                    f"holds no array {array!r}; it holds {', '.join(names[:20])}",
                    source=name,
                )
            member = members[names.index(key)]
        stream = archive.open(member)
    except BaseException:
        archive.close()
        raise

    def close_all() -> None:
        try:
            stream.close()
            archive.close()
        finally:
            closer()

    what = f"an array {member[: -len('.npy')]!r}"
    try:
        return read_npy(
            io.BufferedReader(stream, 1 << 16),  # type: ignore[arg-type]
            name,
            dtype=dtype,
            chunk_rows=chunk_rows,
            closer=close_all,
            what=what,
        )
    except BaseException:
        close_all()
        raise
