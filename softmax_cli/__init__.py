"""softmax-lab: softmax and its alternatives, accurate, with an arbitrary-precision oracle.

The library API. Importing it imports numpy only (not typer, rich or mpmath).

Examples
--------
>>> import softmax_cli as sm
>>> sm.softmax([1.0, 2.0, 3.0]).round(4)
array([0.09  , 0.2447, 0.6652])
>>> float(sm.log_softmax([0.0, -40.0])[0])
-4.248354255291589e-18
"""

from __future__ import annotations

from .derivatives import jacobian, jvp, vjp
from .errors import SoftmaxInputError
from .exp_family import (
    hardmax,
    log_softmax,
    log_softmax_naive,
    log_softmax_shifted,
    logsumexp,
    logsumexp_naive,
    logsumexp_shifted,
    sigmoid,
    soft_max,
    softmax,
    softmax_naive,
    softmax_shifted,
)
from .losses import am_softmax, cross_entropy, entmax_loss, neg_prob, sparsemax_loss
from .sparse import entmax15, entmax_bisect, sparse_softmax, sparsemax
from .variants import gumbel_max_sample, gumbel_softmax, perturbmax, sigsoftmax, taylor_softmax

__version__ = "0.1.0"

__all__ = [
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
    "log_softmax_naive",
    "log_softmax_shifted",
    "logsumexp",
    "logsumexp_naive",
    "logsumexp_shifted",
    "neg_prob",
    "perturbmax",
    "sigmoid",
    "sigsoftmax",
    "soft_max",
    "softmax",
    "softmax_naive",
    "softmax_shifted",
    "sparse_softmax",
    "sparsemax",
    "sparsemax_loss",
    "taylor_softmax",
    "vjp",
]
