"""Result records: a :class:`Result` per implementation, gathered in a :class:`Comparison`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import registry
from .tracer import Trace

IMPLEMENTATIONS = ("naive", "shifted", "accurate")
LABELS = {"naive": "naive", "shifted": "x − max", "accurate": "accurate"}


@dataclass(frozen=True)
class Result:
    """One implementation's output on a vector, measured against the oracle."""

    name: str
    values: np.ndarray
    ulp: np.ndarray
    flags: tuple[tuple[str, ...], ...]
    wrong: np.ndarray
    trace: Trace | None = None

    @property
    def label(self) -> str:
        """The column heading: ``naive``, ``x − max`` or ``accurate``."""
        return LABELS[self.name]

    @property
    def worst(self) -> float:
        """The largest error in ULPs (0 for an empty vector)."""
        return float(self.ulp.max()) if self.ulp.size else 0.0

    @property
    def worst_index(self) -> int:
        """Where the largest error is."""
        return int(np.argmax(self.ulp)) if self.ulp.size else 0

    @property
    def failed(self) -> bool:
        """Whether some entry is off by more than the conditioning explains."""
        return bool(self.wrong.any())


@dataclass(frozen=True)
class Comparison:
    """Everything ``softmax compare`` shows about one vector."""

    method: str
    output: str
    dtype: np.dtype
    dps: int
    temperature: float
    x: np.ndarray
    exact: tuple
    oracle_text: tuple[str, ...]
    results: tuple[Result, ...]
    condition: np.ndarray | None
    verdict: tuple[str, ...]
    target: int | None = None
    #: the dtype the naive and x − max sums were added in (None: the input dtype)
    accumulate: np.dtype | None = None

    def result(self, name: str) -> Result:
        """The result of implementation ``name`` (``naive``, ``shifted`` or ``accurate``)."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    @property
    def accurate(self) -> Result:
        """The library's result."""
        return self.result("accurate")

    @property
    def scalar(self) -> bool:
        """Whether the method reduces the vector to one number."""
        return self.output == registry.SCALAR
