"""Other mappings: Taylor softmax, sigsoftmax, perturb-max, Gumbel-softmax.

(Being written: signatures are final, bodies are not.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def taylor_softmax(x: ArrayLike, axis: int = -1, *, order: int = 2, temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def sigsoftmax(x: ArrayLike, axis: int = -1, *, temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def perturbmax(x: ArrayLike, axis: int = -1, *, noise: str = "normal", temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def gumbel_softmax(x: ArrayLike, axis: int = -1, *, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
    raise NotImplementedError


def gumbel_max_sample(x: ArrayLike, n: int, *, seed: int | None = None, axis: int = -1) -> np.ndarray:
    raise NotImplementedError
