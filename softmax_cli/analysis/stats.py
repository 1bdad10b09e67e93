"""Per-row statistics of distributions: what ``softmax compute --stats`` writes.

For each row of probabilities ``p`` (one distribution per row):

* ``entropy``: ``H = −Σ p_i log p_i`` (``0·log 0 = 0``), in nats (bits with ``bits=True``);
  the top class of a confident row takes ``log p = log1p(−Σ others)``, which keeps
  the digits ``log`` of a rounded ``p ≈ 1`` loses;
* ``perplexity``: ``exp(H)`` in nats, the same number as ``2^H`` in bits;
* ``max_p``: the largest probability;
* ``margin``: ``p(1) − p(2)``, the largest less the second largest (``p(2) = 0`` for
  a single class; 0 when the top two tie);
* ``support``: how many ``p_i > 0``.

With labels ``t`` (class indices from 0):

* ``nll``: ``−log p_t`` (nats, or bits); the caller may give ``log p_t`` computed
  from the logits (softmax: exact however small ``p_t``);
* ``correct``: 1 when the top class is ``t``, else 0. The top class is the first
  of tied maxima (as :func:`numpy.argmax`);
* ``rank``: the label's place when the classes are sorted by ``p`` descending,
  ties in index order: ``1 + #{p_i > p_t} + #{i < t: p_i = p_t}``. So
  ``rank = 1`` exactly when ``correct = 1``.

:class:`Summary` adds the rows up: the mean of every column, the accuracy (the
mean of ``correct``) and the perplexity of the whole set, ``exp(mean NLL)`` —
not the mean of the rows' perplexities.

Examples
--------
>>> import numpy as np
>>> p = np.array([[0.5, 0.5, 0.0], [0.7, 0.2, 0.1]])
>>> s = row_stats(p, np.array([1, 0]))
>>> [round(float(v), 6) for v in s[0]]
[0.693147, 2.0, 0.5, 0.0, 2.0, 0.693147, 0.0, 2.0]
>>> s[1, 6:].tolist()   # correct, rank
[1.0, 1.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["LABEL_STATS", "STATS", "Summary", "row_stats", "stat_columns"]

#: The columns of every row, in order.
STATS = ("entropy", "perplexity", "max_p", "margin", "support")
#: The columns added with labels, in order.
LABEL_STATS = ("nll", "correct", "rank")

_LN2 = math.log(2.0)


def stat_columns(labelled: bool) -> tuple[str, ...]:
    """The names of :func:`row_stats`' columns.

    Examples
    --------
    >>> stat_columns(False)
    ('entropy', 'perplexity', 'max_p', 'margin', 'support')
    """
    return STATS + (LABEL_STATS if labelled else ())


def row_stats(
    p: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    log_p_label: np.ndarray | None = None,
    bits: bool = False,
) -> np.ndarray:
    """The statistics of each row of ``p`` (2-D, rows × classes), one column each.

    Parameters
    ----------
    p : numpy.ndarray
        Probabilities, one distribution per row.
    labels : numpy.ndarray of int, optional
        Each row's class; adds the columns ``nll``, ``correct``, ``rank``.
    log_p_label : numpy.ndarray, optional
        ``log p_t`` per row when the caller has it more exactly than ``log`` of
        the rounded ``p_t`` (softmax: from the logits).
    bits : bool
        Entropy and NLL in bits instead of nats.

    Returns
    -------
    numpy.ndarray
        float64 (or longdouble for longdouble ``p``), rows × :func:`stat_columns`.

    Examples
    --------
    >>> row_stats(np.array([[0.25, 0.25, 0.25, 0.25]]), bits=True).tolist()
    [[2.0, 4.0, 0.25, 0.0, 4.0]]
    """
    wd = np.result_type(p.dtype, np.float64)
    q = np.asarray(p, dtype=wd)
    rows, n = q.shape
    r = np.arange(rows)
    top = q.argmax(axis=1) if n else np.zeros(rows, dtype=np.intp)
    log_top = np.zeros(rows, dtype=wd)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0)
        if n:
            # log p_top of a confident row: log1p(−Σ others) keeps the digits log(1 − ε) loses
            others = q.copy()
            others[r, top] = 0
            rest = others.sum(axis=1)
            p_top = q[r, top]
            log_top = np.where(p_top >= 0.5, np.log1p(-rest), np.log(p_top))
            plogp[r, top] = np.where(p_top > 0, p_top * log_top, 0)
    h = 0.0 - plogp.sum(axis=1)  # 0.0, not -0.0, for a one-hot row
    out = np.empty((rows, len(stat_columns(labels is not None))), dtype=wd)
    out[:, 0] = h / _LN2 if bits else h
    out[:, 1] = np.exp(h)
    if n >= 2:
        top2 = np.partition(q, n - 2, axis=1)[:, n - 2 :]
        out[:, 2] = top2[:, 1]
        out[:, 3] = top2[:, 1] - top2[:, 0]
    else:
        out[:, 2] = out[:, 3] = q[:, 0] if n else np.nan
    out[:, 4] = np.count_nonzero(q > 0, axis=1)
    if labels is not None:
        pt = q[r, labels]
        if log_p_label is None:
            with np.errstate(divide="ignore"):
                log_p_label = np.where(labels == top, log_top, np.log(pt))
        nll = 0.0 - np.asarray(log_p_label, dtype=wd)
        out[:, 5] = nll / _LN2 if bits else nll
        out[:, 6] = top == labels
        before = np.arange(n)[None, :] < labels[:, None]
        ahead = (q > pt[:, None]) | ((q == pt[:, None]) & before)
        out[:, 7] = 1 + np.count_nonzero(ahead, axis=1)
    return out


class Summary:
    """Running sums of :func:`row_stats` blocks: the means, the accuracy, the perplexity.

    Examples
    --------
    >>> s = Summary(labelled=True, bits=False)
    >>> s.add(row_stats(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0])))
    >>> r = s.result()
    >>> r["rows"], r["accuracy"], round(r["perplexity"], 6)  # exp(mean(log 2, −log 0.9)) = √(2/0.9)
    (2, 1.0, 1.490712)
    """

    def __init__(self, labelled: bool, bits: bool) -> None:
        self.columns = stat_columns(labelled)
        self.bits = bits
        self.sums = [0.0] * len(self.columns)
        self.rows = 0

    def add(self, block: np.ndarray) -> None:
        """Take the statistics of some rows (a block from :func:`row_stats`)."""
        self.rows += block.shape[0]
        for j in range(len(self.columns)):
            self.sums[j] += math.fsum(block[:, j].tolist())

    def result(self) -> dict[str, Any]:
        """``rows``, ``mean_<column>`` for every column, and with labels ``accuracy``
        and ``perplexity = exp(mean NLL in nats)`` (nan for no rows)."""
        n = self.rows
        out: dict[str, Any] = {"rows": n}
        for name, total in zip(self.columns, self.sums, strict=True):
            out[f"mean_{name}"] = total / n if n else math.nan
        if "nll" in self.columns:
            out["accuracy"] = out["mean_correct"]
            nats = out["mean_nll"] * (_LN2 if self.bits else 1.0)
            out["perplexity"] = math.exp(nats) if nats < 709.78 else math.inf
        return out
