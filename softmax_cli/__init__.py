"""softmax-lab: softmax and its alternatives, accurate, with an arbitrary-precision oracle.

The library API. Importing it imports numpy only (not typer, rich or mpmath).

Where things are:

* here, ``softmax_cli``: the accurate mappings (``softmax``, ``log_softmax``,
  ``logsumexp``, ``sparsemax``, ``entmax_bisect``, ...), the losses, the
  derivatives by name (``jacobian``, ``jvp``, ``vjp``), the method table by name
  (:func:`method` gives a mapping's record, :func:`methods` every name), the
  error :class:`SoftmaxInputError` and ``__version__``;
* :mod:`softmax_cli.naive`: the teaching twins (``softmax_naive``,
  ``softmax_shifted``, ...: the textbook and ``x − max`` formulas in the input
  dtype), kept out of this namespace so they are not taken for the real thing;
* :mod:`softmax_cli.registry`: the method table itself (``MAPPINGS``,
  ``get``, ``names``, ``differentiable``), what the command line iterates;
* :mod:`softmax_cli.derivatives` (``linearize``, ``Derivative``),
  :mod:`softmax_cli.losses`, and :mod:`softmax_cli.oracle` (mpmath, imported
  only when asked for).

``__version__`` comes from the installed package's metadata (pyproject.toml's
version is the one source); it is looked up on first use.

Examples
--------
>>> import softmax_cli as sm
>>> sm.softmax([1.0, 2.0, 3.0]).round(4)
array([0.09  , 0.2447, 0.6652])
>>> float(sm.log_softmax([0.0, -40.0])[0])
-4.248354255291589e-18
>>> sm.method("lse").name, sm.methods()[:3]
('logsumexp', ['softmax', 'log-softmax', 'logsumexp'])
>>> from softmax_cli import naive
>>> float(naive.log_softmax_shifted([0.0, -40.0])[0])  # the x − max formula loses it
0.0
"""

from __future__ import annotations

from typing import Any

from . import _startup  # noqa: F401  (first: Ctrl-C during the imports below exits quietly)
from . import naive as naive
from . import registry as registry
from .derivatives import jacobian, jvp, vjp
from .errors import LossOfPrecisionWarning, SoftmaxInputError
from .exp_family import (
    hardmax,
    log_softmax,
    logsumexp,
    sigmoid,
    soft_max,
    softmax,
)
from .losses import am_softmax, cross_entropy, entmax_loss, neg_prob, sparsemax_loss

# The teaching twins' old import path, kept working; not listed in __all__ (use naive).
from .naive import log_softmax_naive as log_softmax_naive
from .naive import log_softmax_shifted as log_softmax_shifted
from .naive import logsumexp_naive as logsumexp_naive
from .naive import logsumexp_shifted as logsumexp_shifted
from .naive import softmax_naive as softmax_naive
from .naive import softmax_shifted as softmax_shifted
from .registry import get as method
from .registry import names as methods
from .sparse import entmax15, entmax_bisect, sparse_softmax, sparsemax
from .variants import gumbel_max_sample, gumbel_softmax, perturbmax, sigsoftmax, taylor_softmax

__all__ = [
    "LossOfPrecisionWarning",
    "SoftmaxInputError",
    "__version__",
    "am_softmax",
    "cross_entropy",
    "entmax15",
    "entmax_bisect",
    "entmax_loss",
    "gumbel_max_sample",
    "gumbel_softmax",
    "hardmax",
    "jacobian",
    "jvp",
    "log_softmax",
    "logsumexp",
    "method",
    "methods",
    "neg_prob",
    "perturbmax",
    "sigmoid",
    "sigsoftmax",
    "soft_max",
    "softmax",
    "sparse_softmax",
    "sparsemax",
    "sparsemax_loss",
    "taylor_softmax",
    "vjp",
]

_DISTRIBUTION = "softmax-lab"


def _read_version() -> str:
    """The installed distribution's version; from a never-installed source tree, pyproject's."""
    from importlib import metadata

    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    import re
    from pathlib import Path

    try:
        text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8")
    except OSError:
        return "0+unknown"
    found = re.search(r'(?ms)^\[project\]\s*$(?:(?!^\[).)*?^version\s*=\s*"([^"]+)"', text)
    return found.group(1) if found else "0+unknown"


def __getattr__(name: str) -> Any:
    # ``__version__`` on first use: importlib.metadata costs ~20 ms that ``import softmax_cli``
    # need not pay.
    if name == "__version__":
        version = _read_version()
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
