"""``--mask FILE``: a file of 0/1 rows, one per input row, read in step with the input.

A 1 keeps the entry, a 0 masks it out: the mapping then runs with ``where=``
(MATH.md "Masks"), so a masked entry's probability is written ``0`` and its
log-probability ``-inf``, and the kept entries get the mapping of the kept
entries alone. The file is read with the input's own reader (CSV, TSV,
whitespace or JSON, a header row detected), a batch at a time, so memory stays
bounded; row ``i`` of the mask goes with row ``i`` of the input, and a
mismatch (fewer or more rows, another width, a value other than 0 or 1) is one
error line naming both files and the lines.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..errors import SoftmaxInputError
from ..io.readers import Batch, Layout, open_vectors


def _error(text: str) -> SoftmaxInputError:
    """A bad mask file: bad input data (exit status 1), naming the ``--mask`` flag."""
    return SoftmaxInputError(text, also=("mask",))


class MaskRows:
    """The rows of a mask file, handed out in step with the input's batches.

    Parameters
    ----------
    path : str
        The mask file, or ``-`` for stdin when the logits come from elsewhere.
    layout : Layout
        The input's layout: its width and name, for the checks and messages.
    """

    def __init__(self, path: str, layout: Layout) -> None:
        if path == "-" and layout.source_name == "<stdin>":
            raise SoftmaxInputError(
                "{param} - and the logits cannot both come from stdin: give one of them"
                " as a file (--input FILE or --mask FILE)",
                param="mask",
            )
        name = layout.source_name
        self.input_name = "the vector given as arguments" if name == "<arguments>" else name
        self.width = layout.width
        self.reader = open_vectors(path, dtype=np.float64)
        self.name = self.reader.layout.source_name
        if self.reader.layout.width != self.width:
            self.close()
            raise _error(
                f"{{mask}} {self.name} has {self.reader.layout.width} value(s) per row but"
                f" {self.input_name} has {self.width}: give one 0/1 per input value"
            )
        self._batches: Iterator[Batch] = iter(self.reader)
        self._values = np.empty((0, self.width))
        self._lines = np.empty(0, dtype=np.int64)
        self._rows = 0  # mask rows handed out so far
        self._last_line = 0

    def take(self, lines: np.ndarray) -> np.ndarray:
        """The boolean mask of the next ``len(lines)`` input rows (``lines``: their lines)."""
        k = len(lines)
        while self._values.shape[0] < k:
            b = next(self._batches, None)
            if b is None:
                at = int(lines[self._values.shape[0]])
                self.close()
                raise _error(
                    f"{{mask}} {self.name} ends after {self._rows + self._values.shape[0]}"
                    f" row(s) (line {self._last_line}) but {self.input_name} goes on at line"
                    f" {at}: give one mask row per input row"
                )
            self._values = np.concatenate([self._values, b.values])
            self._lines = np.concatenate([self._lines, b.lines])
            if b.lines.size:
                self._last_line = int(b.lines[-1])
        vals, self._values = self._values[:k], self._values[k:]
        at, self._lines = self._lines[:k], self._lines[k:]
        self._rows += k
        bad = (vals != 0) & (vals != 1)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            self.close()
            raise _error(
                f"{{mask}} {self.name} line {int(at[r])}, column {int(c) + 1}:"
                f" {float(vals[r, c])!r} is not 0 or 1 (1 keeps the entry, 0 masks it out)"
            )
        return vals == 1

    def whole(self, blocks: list[Batch]) -> np.ndarray:
        """The mask of every input row at once (``--axis 0``), checked to end with the input."""
        keep = [self.take(b.lines) for b in blocks]
        last = next((int(b.lines[-1]) for b in reversed(blocks) if b.lines.size), None)
        self.finish(last)
        return np.concatenate(keep) if keep else np.empty((0, self.width), dtype=bool)

    def finish(self, last_input_line: int | None) -> None:
        """Raise if the mask has rows left over once the input has ended; close the file."""
        extra = self._lines[:1]
        if not extra.size:
            b = next(self._batches, None)
            while b is not None and not b.lines.size:
                b = next(self._batches, None)
            extra = b.lines[:1] if b is not None else extra
        self.close()
        if extra.size:
            ends = f" (which ends at line {last_input_line})" if last_input_line else ""
            raise _error(
                f"{{mask}} {self.name} has more rows than {self.input_name}{ends}: its line"
                f" {int(extra[0])} has no input row; give one mask row per input row"
            )

    def close(self) -> None:
        """Close the mask file."""
        self.reader.close()
