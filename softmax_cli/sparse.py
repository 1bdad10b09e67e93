"""Sparse mappings: sparsemax, entmax-1.5, α-entmax, top-k / top-p sparse softmax.

(Being written: signatures are final, bodies are not.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def sparsemax(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def entmax15(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def entmax_bisect(x: ArrayLike, alpha: float = 1.5, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def sparse_softmax(
    x: ArrayLike, axis: int = -1, *, k: int | None = None, p: float | None = None, temperature: float = 1.0
) -> np.ndarray:
    raise NotImplementedError
