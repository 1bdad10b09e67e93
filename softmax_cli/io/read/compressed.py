"""Compressed input, undone as it streams: gzip, bzip2, xz (standard library) and zstd.

:func:`decompressing` wraps a binary stream in the decompressor its magic bytes name
(see :func:`~softmax_cli.io.read.formats.sniff_bytes`); memory stays bounded, and the
wrapped stream is read as the input itself is (a pipe or a file). Corrupt or truncated
data is an :class:`~softmax_cli.io.read.errors.InputError` naming the compression.

zstd comes from the standard library's ``compression.zstd`` (Python 3.14) or its
backport ``backports.zstd`` (one small wheel, the ``formats`` extra); it is imported
only for zstd input.

Examples
--------
>>> import gzip, io
>>> stream = decompressing(io.BytesIO(gzip.compress(b"1,2\\n3,4\\n")), "gzip", "x.gz")
>>> stream.read()
b'1,2\\n3,4\\n'
>>> try:
...     decompressing(io.BytesIO(gzip.compress(b"1,2\\n")[:-6]), "gzip", "x.gz").read()
... except InputError as err:
...     print(err)  # doctest: +ELLIPSIS
x.gz is not valid gzip data (Compressed file ended before the end-of-stream marker ...
"""

from __future__ import annotations

import io
import zlib
from typing import Any

from .errors import InputError

__all__ = ["decompressing"]


def _zstd() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
    except ImportError:
        try:
            from backports import zstd  # type: ignore[import-not-found,no-redef]
        except ImportError:
            return None
    return zstd


def _opener(kind: str, name: str) -> Any:
    """The file class that decompresses ``kind`` (bz2/lzma are imported only when needed)."""
    if kind == "gzip":
        import gzip

        return gzip.GzipFile
    if kind == "bzip2":
        import bz2

        return bz2.BZ2File
    if kind == "xz":
        import lzma

        return lzma.LZMAFile
    if kind == "zstd":
        zstd = _zstd()
        if zstd is None:
            raise InputError(
                "is zstd-compressed, and zstd needs the backports.zstd package "
                "(pip install 'softmax-lab[formats]'); or decompress it first (zstd -d)",
                source=name,
            )
        return zstd.ZstdFile
    raise ValueError(f"unknown compression {kind!r}")  # pragma: no cover - callers check


def _errors() -> tuple[type[BaseException], ...]:
    """The exceptions a decompressor raises on bad data (those of modules loaded)."""
    import sys

    found: list[type[BaseException]] = [zlib.error, EOFError, OSError]
    lzma = sys.modules.get("lzma")
    if lzma is not None:
        found.append(lzma.LZMAError)
    zstd = _zstd() if ("backports.zstd" in sys.modules or "compression" in sys.modules) else None
    if zstd is not None:
        found.append(zstd.ZstdError)
    return tuple(found)


class _Decompressed(io.RawIOBase):
    """A raw stream over a decompressor whose errors become :class:`InputError`."""

    def __init__(self, inner: Any, kind: str, name: str) -> None:
        self._inner = inner
        self._kind = kind
        self.name = name
        self._bad = _errors()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._inner.readinto(buffer)
        except self._bad as err:
            text = getattr(err, "strerror", None) or str(err) or type(err).__name__
            raise InputError(
                f"is not valid {self._kind} data ({text}); check the file, or decompress "
                f"it yourself",
                source=self.name,
            ) from None

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def decompressing(stream: Any, kind: str, name: str) -> io.BufferedReader:
    """A buffered binary stream of ``stream``'s bytes decompressed as ``kind``.

    ``stream`` is not closed by the result (the caller owns it).
    """
    opener = _opener(kind, name)
    raw = _Unclosed(stream)
    inner = opener(fileobj=raw, mode="rb") if kind == "gzip" else opener(raw, mode="rb")
    return io.BufferedReader(_Decompressed(inner, kind, name), buffer_size=1 << 16)


class _Unclosed(io.RawIOBase):
    """``stream`` seen by a decompressor that must not close it."""

    def __init__(self, stream: Any) -> None:
        self._read = getattr(stream, "read1", None) or stream.read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n
