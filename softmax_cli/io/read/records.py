"""The records a reader hands out: the input's :class:`Layout` and its :class:`Batch` of rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Layout:
    """The shape of the input, known as soon as :func:`open_vectors` returns.

    Attributes
    ----------
    columns : list of str or None
        Header names of the value columns; None without a header.
    id_name : str or None
        Header name of the id column (None without a header or id column).
    id_index : int or None
        0-based position of the id column in an input row, None if none.
    delimiter : str
        ``","``, ``"\\t"``, ``" "`` (whitespace-separated), ``"json"`` or ``"jsonl"``
        (JSON lines).
    source_name : str
        ``"<stdin>"``, ``"<arguments>"`` or the path as given.
    width : int
        Number of value columns.
    dtype : numpy.dtype or None
        The dtype of the batches' values when a binary reader chose it (a float array's
        own dtype, see :mod:`softmax_cli.io.read.binary`); None for text.
    passed : list of str or None
        Names of the pass-through columns when ``columns`` leaves more than one (the id
        column first); :attr:`id_name` then joins them with spaces. None otherwise.
    positions : tuple of int or None
        With a column selection, the 0-based input position of each value column (see
        :meth:`value_index`); None otherwise.

    Examples
    --------
    >>> Layout(columns=None, id_name=None, id_index=None, delimiter=",",
    ...        source_name="<stdin>", width=3).width
    3
    """

    columns: list[str] | None
    id_name: str | None
    id_index: int | None
    delimiter: str
    source_name: str
    width: int
    dtype: np.dtype | None = field(default=None, repr=False)
    passed: list[str] | None = field(default=None, repr=False)
    positions: tuple[int, ...] | None = field(default=None, repr=False)

    def row_width(self) -> int:
        """Fields in an input row: the value columns and the pass-through ones.

        Examples
        --------
        >>> Layout(["a"], "id", 0, ",", "<stdin>", 1).row_width()
        2
        """
        passed = len(self.passed) if self.passed else int(self.id_index is not None)
        return self.width + passed

    def value_index(self, pos: int) -> int | None:
        """The value column at 0-based input position ``pos``; None for a pass-through one.

        Examples
        --------
        >>> layout = Layout(["a", "b"], "id", 1, ",", "<stdin>", 2)
        >>> [layout.value_index(p) for p in range(3)]
        [0, None, 1]
        """
        if self.positions is not None:
            return self.positions.index(pos) if pos in self.positions else None
        if self.id_index is None:
            return pos
        if pos == self.id_index:
            return None
        return pos - (pos > self.id_index)


@dataclass
class Batch:
    """A block of consecutive rows.

    Attributes
    ----------
    values : numpy.ndarray
        Shape ``(rows, width)``, in the requested dtype.
    ids : list of str or None
        The id column text of each row, untouched; None without an id column.
    lines : numpy.ndarray
        1-based source line number of each row (int64).
    passed : list of tuple of str or None
        With several pass-through columns (:attr:`Layout.passed`), their text per row;
        :attr:`ids` then holds it joined with spaces (a label). None otherwise.

    Examples
    --------
    >>> b = Batch(values=np.zeros((2, 3)), ids=None, lines=np.array([1, 2]))
    >>> b.values.shape
    (2, 3)
    """

    values: np.ndarray
    ids: list[str] | None
    lines: np.ndarray
    passed: list[tuple[str, ...]] | None = field(default=None, repr=False)


def _layout_of(
    names: list[str] | None, id_index: int | None, width: int, delimiter: str, source_name: str
) -> Layout:
    """The :class:`Layout` of a first row's header ``names`` (None without a header).

    Examples
    --------
    >>> _layout_of(["id", "x", "y"], 0, 2, ",", "<stdin>").columns
    ['x', 'y']
    """
    columns = id_name = None
    if names is not None:
        columns = [n for i, n in enumerate(names) if i != id_index]
        id_name = names[id_index] if id_index is not None else None
    return Layout(
        columns=columns,
        id_name=id_name,
        id_index=id_index,
        delimiter=delimiter,
        source_name=source_name,
        width=width,
    )
