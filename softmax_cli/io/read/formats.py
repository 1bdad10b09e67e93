"""The input formats, in one place, and what a file's first bytes say it is.

:data:`INPUT_FORMATS` is the list every part of the tool takes its input formats from
(the ``--input-format`` choices, the readers, the fuzzers); :func:`canonical_format`
maps an alias (``jsonl``, ``feather``, ...) to its name. :func:`sniff_bytes` reads
the magic bytes at the start of an input: the binary formats the tool reads (``.npy``,
``.npz``, Parquet, Arrow IPC), the compressions it undoes (gzip, bzip2, xz, zstd), and
the files it cannot read, named so that the message can say what the input looks like.

Examples
--------
>>> sniff_bytes(b"\\x93NUMPY\\x01\\x00v\\x00{'descr'").kind
'npy'
>>> sniff_bytes(b"\\x1f\\x8b\\x08\\x00").kind
'gzip'
>>> sniff_bytes(b"\\x89PNG\\r\\n\\x1a\\n").what
'a PNG image'
>>> sniff_bytes(b"id,x,y\\n") is None
True
>>> canonical_format("feather"), canonical_format("ndjson")
('arrow', 'jsonl')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BINARY_FORMATS",
    "COMPRESSIONS",
    "INPUT_FORMATS",
    "OUTPUT_BINARY_FORMATS",
    "TEXT_FORMATS",
    "Magic",
    "canonical_format",
    "sniff_bytes",
]

#: Text layouts, parsed by :mod:`softmax_cli.io.read.reader` (``ws``: whitespace-separated).
TEXT_FORMATS = ("csv", "tsv", "ws", "json", "jsonl")
#: Binary containers, read by :mod:`softmax_cli.io.read.binary`.
BINARY_FORMATS = ("npy", "npz", "parquet", "arrow")
#: Every input format a reader takes (``auto``: sniffed from the first bytes, then the text).
INPUT_FORMATS = ("auto", *TEXT_FORMATS, *BINARY_FORMATS)
#: Binary formats the row writers write (to a file, or to a pipe; never to a terminal).
OUTPUT_BINARY_FORMATS = ("npy", "parquet", "arrow")
#: Compressions undone on input, found by magic bytes (never by the file name).
COMPRESSIONS = ("gzip", "bzip2", "xz", "zstd")

_ALIASES = {
    "whitespace": "ws",
    "space": "ws",
    "ndjson": "jsonl",
    "feather": "arrow",
    "ipc": "arrow",
    "pq": "parquet",
}


def canonical_format(name: str) -> str | None:
    """The input format ``name`` stands for (case-insensitive), or None if it is none."""
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    return key if key in INPUT_FORMATS else None


@dataclass(frozen=True)
class Magic:
    """What an input's first bytes say.

    Attributes
    ----------
    kind : str
        A format of :data:`BINARY_FORMATS` (``"zip"`` for a ZIP archive, which is a
        ``.npz`` when it holds ``.npy`` members), a compression of :data:`COMPRESSIONS`,
        or ``"other"`` for a file the tool cannot read.
    what : str
        How a message names it (``"a PNG image"``).
    hint : str
        How to turn it into something the tool reads ('' when it is read as it is).
    """

    kind: str
    what: str
    hint: str = ""


_EXPORT = "export the logits to CSV, .npy or Parquet"
_TABLE: tuple[tuple[bytes | re.Pattern[bytes], Magic], ...] = (
    (b"\x93NUMPY", Magic("npy", "a NumPy .npy file")),
    (b"PK\x03\x04", Magic("zip", "a ZIP archive")),
    (b"PK\x05\x06", Magic("zip", "an empty ZIP archive")),
    (b"PAR1", Magic("parquet", "a Parquet file")),
    (b"ARROW1", Magic("arrow", "an Arrow IPC (Feather v2) file")),
    (b"\xff\xff\xff\xff", Magic("arrow", "an Arrow IPC stream")),
    (b"\x1f\x8b", Magic("gzip", "gzip-compressed data")),
    (re.compile(rb"BZh[1-9]1AY&SY"), Magic("bzip2", "bzip2-compressed data")),
    (b"\xfd7zXZ\x00", Magic("xz", "xz-compressed data")),
    (b"\x28\xb5\x2f\xfd", Magic("zstd", "zstd-compressed data")),
    # what the tool cannot read: named, with a way out
    (b"FEA1", Magic("other", "a Feather v1 file", "rewrite it as Feather v2 (Arrow IPC)")),
    (b"\x04\x22\x4d\x18", Magic("other", "lz4-compressed data", "decompress it (lz4 -d)")),
    (b"7z\xbc\xaf\x27\x1c", Magic("other", "a 7-Zip archive", "extract it first")),
    (b"Rar!\x1a\x07", Magic("other", "a RAR archive", "extract it first")),
    (b"\x89HDF\r\n\x1a\n", Magic("other", "an HDF5 file", "save the dataset with np.save")),
    (b"\x89PNG\r\n\x1a\n", Magic("other", "a PNG image", "")),
    (b"\xff\xd8\xff", Magic("other", "a JPEG image", "")),
    (b"GIF8", Magic("other", "a GIF image", "")),
    (b"%PDF-", Magic("other", "a PDF document", "")),
    (b"SQLite format 3\x00", Magic("other", "an SQLite database", _EXPORT)),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Magic("other", "an old Office (.xls) file", _EXPORT)),
    (b"\x7fELF", Magic("other", "an executable (ELF)", "")),
    (b"Obj\x01", Magic("other", "an Avro file", _EXPORT)),
    (re.compile(rb"\x80[\x02-\x05]"), Magic("other", "a Python pickle", "save it with np.save")),
)

#: Bytes :func:`sniff_bytes` needs to see every signature above.
MAGIC_BYTES = 16


def sniff_bytes(head: bytes) -> Magic | None:
    """What the first bytes ``head`` say the input is; None for text (or unknown bytes).

    Examples
    --------
    >>> import bz2
    >>> sniff_bytes(bz2.compress(b"1,2\\n")).kind, sniff_bytes(b"BZh,x\\n1,2\\n")
    ('bzip2', None)
    """
    for sig, magic in _TABLE:
        if isinstance(sig, bytes):
            if head.startswith(sig):
                return magic
        elif sig.match(head):
            return magic
    return None
