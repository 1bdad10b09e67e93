"""The elements of a top-level JSON array, read incrementally: :class:`_JsonStream`.

The document is buffered a block of lines at a time, so a large array does not
have to fit in memory; the writer's layout (one element per line) is decoded
many lines at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .decode import _Lines
from .errors import InputError
from .jsonvalues import _DECODER, _FAST_DECODER, _exact_infinities, _has_inf

_JSON_BLOCK_LINES = 4096
_WS_RE = re.compile(r"[ \t\n\r]*")


class _JsonStream:
    """Elements of a top-level JSON array (or a lone object), read incrementally."""

    def __init__(self, src: _Lines, first_line: str, first_no: int, exact: bool) -> None:
        self.src = src
        self.decoder = _DECODER if exact else _FAST_DECODER
        self.name = src.name
        self.buf = first_line
        self.pos = 0
        self.base = first_no  # line number of buf[0]
        self.cpos = 0  # cached position ...
        self.cline = first_no  # ... and its line number
        self.eof = False
        self.no_bulk_before = 0  # bulk() looked up to here and failed: element by element
        self.block = _JSON_BLOCK_LINES  # lines per fill; doubles while one element goes on

    def line_of(self, pos: int) -> int:
        if pos < self.cpos:
            return self.base + self.buf.count("\n", 0, pos)
        self.cline += self.buf.count("\n", self.cpos, pos)
        self.cpos = pos
        return self.cline

    def fill(self, grow: bool = False) -> bool:
        """Append more lines to the buffer (dropping the consumed part); False at EOF.

        ``grow``: the element at ``pos`` is still incomplete, so read twice as many lines
        as last time; an element spread over many lines is then decoded a bounded number
        of times per byte (linear), not once per block (quadratic).
        """
        if self.eof:
            return False
        self.block = self.block * 2 if grow else _JSON_BLOCK_LINES
        lines, _, text = self.src.take_checked(self.block)
        if not lines:
            self.eof = True
            return False
        if self.pos > 0:
            self.base = self.line_of(self.pos)
            self.buf = self.buf[self.pos :]
            self.no_bulk_before = max(0, self.no_bulk_before - self.pos)
            self.pos = 0
            self.cpos, self.cline = 0, self.base
        self.buf += text
        return True

    def peek(self) -> str:
        """Skip whitespace; the next character, or '' at the end of input."""
        while True:
            self.pos = _WS_RE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def error(self, reason: str, pos: int | None = None) -> InputError:
        return InputError(
            reason, source=self.name, line=self.line_of(self.pos if pos is None else pos)
        )

    def value(self) -> Any:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as err:
                incomplete = _WS_RE.match(self.buf, err.pos).end() >= len(self.buf)
                if incomplete and self.fill(grow=True):
                    continue
                raise self.error(
                    f"invalid JSON: {err.msg} (column {err.colno}); check the syntax there",
                    min(err.pos, len(self.buf)),
                ) from None
            if _has_inf(value):  # Infinity literal or overflow: keep the number's text
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            self.pos = end
            return value

    def bulk(self) -> list[tuple[Any, int]] | None:
        """Many elements at once when each sits on its own line followed by a comma.

        That is the writer's layout; anything else returns None (element by element).
        A stretch that fails is not tried again (``no_bulk_before``): each byte is looked
        at by bulk() once, so a long line or an error in the block stays linear.
        """
        start = self.pos
        if start < self.no_bulk_before:
            return None
        if start and self.buf[start - 1] not in "\n \t\r[":
            return None
        end = self.buf.rfind("\n", start)
        self.no_bulk_before = max(end, start + 1)
        if end - start < 256:
            return None
        lines = self.buf[start:end].split("\n")
        used = 0
        for line in lines:
            body = line.strip()
            if not body or body[0] not in "[{" or body[-1] != ",":
                break
            used += 1
        if used < 2:
            return None
        texts = [line.strip()[:-1] for line in lines[:used]]
        try:
            values = self.decoder.decode("[" + ",".join(texts) + "]")
        except ValueError:
            return None
        if len(values) != used:
            return None
        if self.decoder is not _DECODER:
            _exact_infinities(values, texts)
        first = self.line_of(start)
        self.no_bulk_before = 0  # it worked: try again from the next element
        self.pos = start + sum(map(len, lines[:used])) + used  # past the last line's newline
        return list(zip(values, range(first, first + used), strict=True))

    def rows(self) -> Iterator[tuple[Any, int]]:
        c = self.peek()
        if c == "{":
            number = self.line_of(self.pos)
            yield self.value(), number
            self.expect_end()
            return
        if c != "[":
            raise self.error("is not a JSON array or object; give one vector per row")
        self.pos += 1
        if self.peek() == "]":
            self.pos += 1
            self.expect_end()
            return
        while True:
            bulk = self.bulk()
            if bulk:
                yield from bulk
                self.expect_element()
                continue
            number = self.line_of(self.pos)
            yield self.value(), number
            c = self.peek()
            if c == ",":
                self.pos += 1
                self.expect_element()
                continue
            if c == "]":
                self.pos += 1
                break
            if c == "":
                raise self.error("invalid JSON: the array is never closed; add the final ']'")
            raise self.error(f"invalid JSON: expected ',' or ']' but found {c!r}")
        self.expect_end()

    def expect_element(self) -> None:
        """After a comma: another element must follow, not ']' or the end of the input."""
        c = self.peek()
        if c == "]":
            raise self.error("invalid JSON: trailing comma before ']'; remove it")
        if c == "":
            raise self.error("invalid JSON: the array is never closed; add the final ']'")

    def expect_end(self) -> None:
        if self.peek() != "":
            raise self.error(
                "extra text after the JSON document; give one document "
                "(or one array/object per line)"
            )
        # release the buffer
        self.buf = ""
        self.pos = 0
