"""Bytes to text lines: encodings (BOM-aware), line ends, binary input, numbered lines.

A byte stream is decoded as UTF-8, or as UTF-16/UTF-32 after a byte-order mark;
a NUL byte or a byte that is not UTF-8 is an :class:`InputError` naming its line.
:class:`_Lines` hands the lines out with their 1-based numbers and takes lines
back (the sniffers look ahead).

Examples
--------
>>> import io
>>> list(_binary_lines(io.BytesIO(b"1,2\\r\\n3,4"), "<stream>"))
['1,2\\n', '3,4']
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from .errors import InputError

_SURROGATE_RE = re.compile("[\udc80-\udcff]")


class _PrefixedRaw(io.RawIOBase):
    """Raw reader that serves ``prefix`` and then the rest of ``stream``.

    The end of ``stream`` is final: once a read returns nothing (or ``ended`` says the
    prefix already met it), it is never read again. A terminal's Ctrl-D ends only the
    read under way, so reading on would wait for a second Ctrl-D.
    """

    def __init__(self, prefix: bytes, stream: Any, *, ended: bool = False) -> None:
        self._prefix = prefix
        self._read = getattr(stream, "read1", None) or stream.read
        self._ended = ended

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._ended:
            return 0
        data = self._read(len(buffer))
        if not data:
            self._ended = True
            return 0
        n = len(data)
        buffer[:n] = data
        return n


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _binary_error(name: str, line: int) -> InputError:
    return InputError(
        "NUL byte: the input looks binary, not text (UTF-16 needs a byte-order mark); "
        "give UTF-8 text",
        source=name,
        line=line,
    )


def _not_utf8_error(name: str, line: int, byte: int) -> InputError:
    return InputError(
        f"byte 0x{byte:02x} is not UTF-8 text: the input looks binary (compressed?) or "
        f"uses another encoding; give UTF-8 text",
        source=name,
        line=line,
    )


def _check_text(text: str, start: int, name: str) -> None:
    """Raise on NUL bytes or undecodable bytes (surrogate escapes) in ``text``."""
    pos = text.find("\x00")
    if pos >= 0:
        raise _binary_error(name, start + text.count("\n", 0, pos))
    if not text.isascii():
        m = _SURROGATE_RE.search(text)
        if m:
            line = start + text.count("\n", 0, m.start())
            raise _not_utf8_error(name, line, ord(m.group()) - 0xDC00)


def _binary_lines(stream: Any, name: str, *, owned: bool = False) -> Iterator[str]:
    """Decode a byte stream (BOM-aware) into lines ending in ``\\n``.

    ``owned``: the stream is a file opened here (seekable; closing it is ours).
    """
    head = b""
    ended = False
    read = getattr(stream, "read1", None) or stream.read
    while len(head) < 4:
        try:
            more = read(65536)
        except OSError as err:  # EIO, ESTALE (a file gone from a network disk), EISDIR
            raise InputError(f"cannot be read ({err.strerror or err})", source=name) from None
        if not more:
            ended = True  # a terminal's Ctrl-D: never read again (it would wait for another)
            break
        head += more
    encoding = "utf-8"
    for bom, enc in _BOMS:
        if head.startswith(bom):
            encoding = enc
            break
    if encoding in ("utf-8", "utf-8-sig"):
        pos = head.find(b"\x00")
        if pos >= 0:
            raise _binary_error(name, head.count(b"\n", 0, pos) + 1)
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError as err:
            line = head.count(b"\n", 0, err.start) + 1
            raise _not_utf8_error(name, line, head[err.start]) from None
    if owned:
        stream.seek(0)
        buffered = stream
    else:  # never closes the caller's stream
        buffered = io.BufferedReader(_PrefixedRaw(head, stream, ended=ended), buffer_size=1 << 16)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="surrogateescape", newline=None)
    text._CHUNK_SIZE = 1 << 16  # fewer, larger reads
    return iter(text)


_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def _text_lines(stream: Any) -> Iterator[str]:
    """Lines of a text stream, with ``\\r\\n`` and lone ``\\r`` ending lines too."""
    first = True
    for line in stream:
        if first:
            first = False
            if line.startswith("\ufeff"):
                line = line[1:]
        if "\r" in line:
            pieces = _LINE_BREAK_RE.split(line)
            for piece in pieces[:-1]:
                yield piece + "\n"
            if pieces[-1]:
                yield pieces[-1]
        else:
            yield line


#: A line longer than this many characters may be read a piece at a time
#: (:meth:`_Lines.long_head`): a row of 5 million values is ~100 MB of text.
LONG_LINE = 1 << 20


class _Lines:
    """The input's text lines with their 1-based numbers, and a push-back buffer.

    A reader that can take a long line in pieces asks :meth:`long_head` first; every
    other method hands out whole lines (a pending long line is then joined).
    """

    def __init__(self, it: Iterator[str], name: str) -> None:
        self.it = it
        self.name = name
        self.next_no = 1  # number of the next line handed out
        self.pushback: list[str] = []  # handed out before ``it``; the first is line next_no
        # a decoded byte stream can be read a piece of a line at a time
        self.stream = it if isinstance(it, io.TextIOWrapper) else None
        self.long: str | None = None  # the first piece of line next_no, the rest unread
        self.limit = LONG_LINE  # characters per piece of a long line
        self.chars = 0  # characters handed out (the input read ahead of them is not counted)

    def long_head(self, limit: int | None = None) -> str | None:
        """The first ``limit`` characters of the next line if it is longer, else None.

        The line stays the next one: :meth:`take_long` hands out its pieces, any other
        method the whole line.
        """
        if self.long is not None:
            return self.long
        if self.pushback or self.stream is None:
            return None
        limit = limit or LONG_LINE
        self.limit = limit
        stream = self.stream
        piece = self._guard(lambda: stream.readline(limit))
        if not piece:
            return None
        if piece.endswith("\n") or len(piece) < limit:
            self.pushback.append(piece)
            return None
        _check_text(piece, self.next_no, self.name)
        self.long = piece
        return piece

    def take_long(self) -> Iterator[str]:
        """The pieces of the pending long line (see :meth:`long_head`), checked as text."""
        head, self.long = self.long, None
        if head is None or self.stream is None:
            raise ValueError("no long line is pending")
        number = self.next_no
        self.next_no += 1
        return self._pieces(head, number, self.stream, self.limit)

    def _pieces(self, head: str, number: int, stream: Any, limit: int) -> Iterator[str]:
        self.chars += len(head)
        yield head
        while True:
            piece = self._guard(lambda: stream.readline(limit))
            if not piece:
                return
            _check_text(piece, number, self.name)
            self.chars += len(piece)
            yield piece
            if piece.endswith("\n"):
                return

    def _join_long(self) -> None:
        """The pending long line as a whole line at the front of the push-back buffer."""
        if self.long is not None:
            no = self.next_no
            line = "".join(self.take_long())
            self.next_no = no
            self.pushback.insert(0, line)

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except UnicodeError as err:
            raise InputError(
                f"is not valid text ({err}); give UTF-8 text", source=self.name
            ) from None
        except OSError as err:
            raise InputError(f"cannot be read ({err.strerror or err})", source=self.name) from None

    def take(self, n: int) -> tuple[list[str], int]:
        """Up to ``n`` lines and the number of the first one."""
        self._join_long()
        start = self.next_no
        lines = self.pushback[:n]
        del self.pushback[:n]
        if len(lines) < n:
            lines.extend(self._guard(lambda: list(islice(self.it, n - len(lines)))))
        self.next_no += len(lines)
        self.chars += sum(map(len, lines))
        return lines, start

    def take_checked(self, n: int) -> tuple[list[str], int, str]:
        """Up to ``n`` lines, the number of the first one and their text, checked as text.

        Raises InputError on a NUL byte or a byte that is not UTF-8 (see ``_check_text``).
        """
        lines, start = self.take(n)
        text = "".join(lines)
        _check_text(text, start, self.name)
        return lines, start, text

    def take_one_checked(self) -> str | None:
        """The next line checked as text (like :meth:`take_checked`), or None at the end."""
        line = self.take_one()
        if line is not None:
            _check_text(line, self.next_no - 1, self.name)
        return line

    def take_one(self) -> str | None:
        """The next line (its number is then ``next_no - 1``), or None at the end."""
        self._join_long()
        if self.pushback:
            line = self.pushback.pop(0)
        else:
            line = self._guard(lambda: next(self.it, None))
        if line is not None:
            self.next_no += 1
            self.chars += len(line)
        return line

    def unread(self, lines: list[str]) -> None:
        """Give back the lines most recently handed out, in their order."""
        if not lines:
            return
        self._join_long()
        self.pushback[:0] = lines
        self.chars -= sum(map(len, lines))
        self.next_no -= len(lines)
