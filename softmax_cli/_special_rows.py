"""The special rows of a mapping: ``nan`` in it, or an infinite maximum; equal shares.

:func:`special_rows` finds them and gives the array with both made harmless, so the
finite-case code runs on every row without warnings; :func:`equal_share` gives the
limit of the mass when several entries tie at ``+inf``. Used by
:mod:`softmax_cli.variants` and :mod:`softmax_cli.taylor`.
"""

from __future__ import annotations

import numpy as np


def special_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows holding nan, rows whose maximum is infinite, and ``a`` with both made harmless.

    The returned array has those rows set to 0 so the finite-case code can run
    on every row without warnings; callers overwrite them afterwards.
    """
    nan_rows = np.isnan(a).any(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        m = np.where(nan_rows, 0, a).max(axis=-1, keepdims=True)
    inf_rows = ~np.isfinite(m) & ~nan_rows
    clean = np.where(nan_rows | inf_rows, 0, a)
    return nan_rows, inf_rows, clean


def equal_share(hit: np.ndarray) -> np.ndarray:
    """Mass shared equally by the ``True`` entries of each row (rows without any: nan)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return hit / hit.sum(axis=-1, keepdims=True)
