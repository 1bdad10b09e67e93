"""The order CPU torch's ``torch.sort(x, stable=False)`` leaves a float row in.

Hugging Face's ``TopPLogitsWarper`` and ``TypicalLogitsWarper`` (and vLLM's
top-p on CPU) sort a row with ``torch.sort(..., descending=False)``, which is not
stable: of tokens with equal logits, which ones land first (and are removed first
at a top-p cut) is that sort's choice. To keep exactly the tokens they keep, we
reproduce the order.

What runs (torch 2.13.0+cpu wheel, ``aten/src/ATen/native/cpu/SortingKernel.cpp``
``sort_kernel`` → ``sort_kernel_impl``): ``std::sort`` of libstdc++ (the wheel is
built with GCC 13) over a composite (value, index) iterator with the comparator
``KeyValueCompAsc``, ``(!isnan(a) && isnan(b)) || a < b``. The source can route
float32/float64 rows to x86-simd-sort (``USE_X86_SIMD_SORT``) or, for 1-D integer
tensors, to fbgemm's radix sort; the wheel we run does neither for float rows:
its output equals this emulation index for index on every row we tried
(``benchmarks/peer_torchsort.py``). libstdc++'s ``std::sort`` is introsort:

* while a segment has more than 16 elements: if its depth budget
  (``2·⌊log2 n⌋`` at the top, one less per level) is spent, heapsort it;
  otherwise move the median of (second, middle, last) to its first place and run
  an unguarded Hoare partition of the rest around it; do the same to both parts;
* then one insertion sort over the whole row.

The partition is done here for every segment of a level at once: the k-th swap
pairs the k-th element ≥ the pivot from the left with the k-th element ≤ it from
the right, both as the segment was before the partition, for as long as the left
one lies before the right one. The final insertion sort moves an element only
past strictly greater ones, so it is a stable sort of the partitioned row.

Examples
--------
>>> import numpy as np
>>> torch_order(np.zeros(17, dtype=np.float32)).tolist()   # torch.sort(torch.zeros(17))
[8, 16, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1]
>>> torch_order(np.array([2.0, 1.0, 1.0])).tolist()         # ≤ 16: stable
[1, 2, 0]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

__all__ = ["sorted_from", "sorted_rows_of", "split_ties", "tied_order", "torch_order"]

#: libstdc++'s ``_S_threshold``: segments this short are left to the insertion sort
THRESHOLD = 16


_LOW = np.uint64(0xFFFFFFFF)


def _keys(row: np.ndarray) -> np.ndarray:
    """Order-preserving uint32 keys (as uint64): equal floats, and only they, get equal keys.

    ``-0.0`` is ``+0.0``; nan, equal to nan, is above ``+inf`` (torch's comparator).
    float32 by its bits; other dtypes by the rank of the value.
    """
    a = np.asarray(row)
    nan = np.isnan(a)
    if a.dtype == np.float32:
        bits = (a + np.float32(0)).view(np.uint32)  # -0.0 + 0.0 is +0.0
        flip = (bits.view(np.int32) >> 31).view(np.uint32) | np.uint32(0x80000000)
        key = bits ^ flip  # negatives: every bit flipped; others: the sign bit set
    else:
        k = np.asarray(a, dtype=np.float64)
        key = np.unique(k[~nan]).searchsorted(k).astype(np.uint32)
    key[nan] = 0xFFFFFFFF
    return key.astype(np.uint64)


def torch_order(row: np.ndarray, only: np.ndarray | None = None) -> np.ndarray:
    """The indices ``torch.sort(torch.from_numpy(row), stable=False)`` returns for a 1-D row.

    ``only``: a mask of the elements whose order the caller needs; segments
    holding none of them are not sorted further (the other elements' places in
    the result are then not torch's).
    """
    n = np.shape(row)[-1]
    # one array: the key in the high half, the token in the low half (one gather per move)
    packed = (_keys(row) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
    if n > THRESHOLD:
        _introsort(packed, 2 * (n.bit_length() - 1), only)
    # the final insertion sort: stable by key over the partitioned row
    place = (packed >> np.uint64(32) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
    place.sort()
    return (packed[(place & _LOW).astype(np.intp)] & _LOW).astype(np.intp)


def tied_order(row: np.ndarray, value: float) -> np.ndarray:
    """The tokens of ``row`` equal to ``value``, in the order ``torch.sort`` puts them.

    Examples
    --------
    >>> import numpy as np
    >>> tied_order(np.array([1.0] * 20 + [0.0]), 1.0)[:5].tolist()
    [10, 19, 18, 17, 16]
    """
    tied = np.asarray(row) == value
    order = torch_order(row, only=tied)
    return order[tied[order]]


def _introsort(packed: np.ndarray, depth: int, only: np.ndarray | None) -> None:
    """Partition ``packed`` in place as libstdc++'s ``__introsort_loop``, level by level."""
    lo = np.array([0], dtype=np.intp)
    hi = np.array([packed.size], dtype=np.intp)
    while lo.size:
        big = hi - lo > THRESHOLD
        lo, hi = lo[big], hi[big]
        if only is not None and lo.size:
            lo, hi = _holding(only[(packed & _LOW).astype(np.intp)], lo, hi)
        if depth == 0:
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                _heapsort(packed, a, b)
            return
        if not lo.size:
            return
        cut = _partition(packed, lo, hi)
        lo, hi = np.concatenate([lo, cut]), np.concatenate([cut, hi])
        depth -= 1


def _holding(wanted: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The segments that hold a wanted element."""
    hit = np.concatenate([[0], np.cumsum(wanted)])
    has = hit[hi] > hit[lo]
    return lo[has], hi[has]


def _spans(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Every position in ``[lo, hi)`` of each segment, segment after segment."""
    size = hi - lo
    start = np.cumsum(size) - size
    return np.arange(size.sum()) + np.repeat(lo - start, size)


def _partition(packed: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``__unguarded_partition_pivot`` on every segment ``[lo, hi)`` at once; the cuts."""
    a, b, c = lo + 1, lo + (hi - lo) // 2, hi - 1
    ka, kb, kc = packed[a] >> np.uint64(32), packed[b] >> np.uint64(32), packed[c] >> np.uint64(32)
    # __move_median_to_first(lo, a, b, c)
    med = np.where(
        ka < kb,
        np.where(kb < kc, b, np.where(ka < kc, c, a)),
        np.where(ka < kc, a, np.where(kb < kc, c, b)),
    )
    _swap(packed, lo, med)
    pos = _spans(lo + 1, hi)
    size = hi - lo - 1
    v = packed[pos]
    floor = packed[lo] >> np.uint64(32) << np.uint64(32)  # the pivot's key, any token
    ge = v >= np.repeat(floor, size)
    le = v <= np.repeat(floor | _LOW, size)
    left, right = pos[ge], pos[le]  # the two scans' stops, ascending per segment
    n_left, n_right = _counts(ge, size), _counts(le, size)
    l0 = np.cumsum(n_left) - n_left
    r_end = np.cumsum(n_right) - 1  # the right scan starts at a segment's last stop
    pairs = np.minimum(n_left, n_right)
    k = _spans(np.zeros_like(pairs), pairs)
    k_seg = np.repeat(np.arange(lo.size), pairs)
    li, ri = left[l0[k_seg] + k], right[r_end[k_seg] - k]
    swap = li < ri  # true on a prefix of each segment's pairs
    _swap(packed, li[swap], ri[swap])
    done = _counts(swap, pairs)
    # the next left stop: the (done)-th left stop, or the last right stop's place,
    # which now holds an element ≥ the pivot
    nxt = np.where(done < n_left, left[np.minimum(l0 + done, left.size - 1)], hi)
    last_right = right[np.minimum(r_end - done + 1, right.size - 1)]
    return np.where(done > 0, np.minimum(nxt, last_right), nxt)


def _counts(mask: np.ndarray, size: np.ndarray) -> np.ndarray:
    """How many of each segment's ``size`` consecutive entries of ``mask`` are true."""
    total = np.concatenate([[0], np.cumsum(mask)])
    end = np.cumsum(size)
    return total[end] - total[end - size]


def _swap(packed: np.ndarray, i: np.ndarray, j: np.ndarray) -> None:
    packed[i], packed[j] = packed[j], packed[i].copy()


def _heapsort(packed: np.ndarray, lo: int, hi: int) -> None:
    """libstdc++'s ``__partial_sort(first, last, last)``: ``make_heap``, then ``sort_heap``."""
    p = packed[lo:hi].tolist()
    k = [x >> 32 for x in p]
    n = len(k)
    for parent in range((n - 2) // 2, -1, -1):
        _adjust(k, p, parent, n, k[parent], p[parent])
    for last in range(n - 1, 0, -1):  # __pop_heap(first, last, last)
        kk, pp = k[last], p[last]
        k[last], p[last] = k[0], p[0]
        _adjust(k, p, 0, last, kk, pp)
    packed[lo:hi] = p


def _adjust(k: list, v: list, hole: int, n: int, key: int, val: int) -> None:
    """``__adjust_heap``: sift the hole at ``hole`` down to a leaf, then push (key, val) up."""
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if k[child] < k[child - 1]:
            child -= 1
        k[hole], v[hole] = k[child], v[child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        k[hole], v[hole] = k[child - 1], v[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and k[parent] < key:  # __push_heap
        k[hole], v[hole] = k[parent], v[parent]
        hole = parent
        parent = (hole - 1) // 2
    k[hole], v[hole] = key, val


# -- ties at a cut in a sorted row (top-p, typical-p) ----------------------------------


#: the rows torch sorted for a top-p step when not the rows it filters (:func:`sorted_from`)
_SORTED: ContextVar[np.ndarray | None] = ContextVar("sorted", default=None)


@contextmanager
def sorted_from(rows: np.ndarray | None) -> Iterator[None]:
    """Let a top-p step inside take its tie order from ``rows`` (2-D), torch's sort of them.

    vLLM's ``apply_top_k_top_p`` sorts the rows once, before its top-k, and cuts
    top-p in that order: of tokens tied across the cut, those its sort of the
    rows before top-k puts first go (the tied tokens are the same in both rows).
    """
    token = _SORTED.set(rows)
    try:
        yield
    finally:
        _SORTED.reset(token)


def sorted_rows_of(a: np.ndarray) -> np.ndarray:
    """The rows whose torch sort orders a top-p cut's ties: ``a``, or :func:`sorted_from`'s."""
    rows = _SORTED.get()
    return a if rows is None else rows.reshape(a.shape)


def split_ties(
    a: np.ndarray, rows: np.ndarray, sorted_rows: np.ndarray, cut: np.ndarray
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Which of the tokens tied across a cut in a sorted row torch's unstable sort puts first.

    ``sorted_rows[i]``: row ``rows[i]`` of ``a`` sorted ascending; its first
    ``cut[i]`` places are on one side of a cut (top-p: removed; typical-p's
    ``min_tokens_to_keep``: kept), the last of them tied with the next. As many of
    the tied tokens are in torch's order (:mod:`._torchsort`). Per row: the row,
    the tied tokens before the cut in torch's order, those after it.
    """
    out = []
    for row, s, c in zip(rows.tolist(), sorted_rows, cut.tolist(), strict=True):
        t = s[c]
        tied = tied_order(a[row], t)
        gone = c - int(np.searchsorted(s, t))  # the tied places before the cut
        out.append((row, tied[:gone], tied[gone:]))
    return out
