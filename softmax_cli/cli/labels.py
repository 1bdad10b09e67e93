"""Vectors with a label column (``--label-column NAME|INDEX``): read whole, labels split off.

The label column is read like the others (a number per row) and taken out of the
vectors: labels are class indices counting from 0 over the remaining columns. A
header name, or a position counting from 1 over all input columns (like
``--id-column`` and ``cut -f``), names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SoftmaxInputError
from ..io.readers import Layout
from .source import open_source


@dataclass
class Labelled:
    """Every row of an input: its vectors, labels, ids and the line each came from."""

    values: np.ndarray
    labels: np.ndarray
    ids: list[str] | None
    lines: np.ndarray
    columns: list[str] | None
    layout: Layout


def label_index(layout: Layout, label_column: str) -> int:
    """The label column's position among the value columns the reader gives."""
    where = f"{layout.source_name}: " if layout.source_name != "<arguments>" else ""
    if label_column.isdigit():
        pos = int(label_column) - 1
        total = layout.row_width()
        if pos < 0 or pos >= total:
            raise SoftmaxInputError(
                f"{where}{{param}} {label_column} is out of range: the input has {total} "
                "columns (count from 1)",
                param="label_column",
            )
        index = layout.value_index(pos)
        if index is None:
            raise SoftmaxInputError(
                f"{{param}} {label_column} is the id column; name another", param="label_column"
            )
        return index
    names = layout.columns or []
    if label_column not in names:
        shown = ", ".join(repr(n) for n in names) if names else "none: the input has no header"
        raise SoftmaxInputError(
            f"{where}{{param}} {label_column!r} is not in the header ({shown}); give a "
            "header name or a position counting from 1",
            param="label_column",
        )
    return names.index(label_column)


def read_labelled(
    values: list[str] | None,
    input_path: str | None,
    *,
    label_column: str,
    dtype: np.dtype,
    advance=None,
    **given: Any,
) -> Labelled:
    """Read all rows of the source and split the label column off (checked: 0 … n−1).

    The reading options are the command's, or ``given`` (as for
    :func:`~softmax_cli.cli.source.open_source`).
    """
    with open_source(values, input_path, dtype=dtype, **given) as rd:
        layout = rd.layout
        col = label_index(layout, label_column)
        if layout.width < 3:
            raise SoftmaxInputError(
                f"{layout.source_name}: a label column and at least 2 classes are needed, "
                f"found {layout.width} columns in all"
            )
        blocks, ids, lines = [], [], []
        for b in rd:
            blocks.append(b.values)
            ids.extend(b.ids or [])
            lines.append(b.lines)
            if advance is not None:
                advance(b.values.shape[0])
    full = np.concatenate(blocks) if blocks else np.empty((0, layout.width), dtype=dtype)
    line_no = np.concatenate(lines) if lines else np.empty(0, dtype=np.int64)
    raw = full[:, col]
    x = np.delete(full, col, axis=1)
    n = x.shape[1]
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(raw) | (raw != np.floor(raw)) | (raw < 0) | (raw >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        name = (layout.columns or [None] * layout.width)[col] or f"column {label_column}"
        raise SoftmaxInputError(
            f"{layout.source_name}: line {int(line_no[i])}, label {name!r}: {raw[i]:g} is not "
            f"a class index; labels count from 0 over the other {n} columns (0 … {n - 1})"
        )
    columns = (
        None if layout.columns is None else [c for j, c in enumerate(layout.columns) if j != col]
    )
    return Labelled(
        x,
        raw.astype(np.intp),
        ids if layout.id_index is not None else None,
        line_no,
        columns,
        layout,
    )
