"""torch's CPU float32 softmax, bit for bit: the values Hugging Face tests its thresholds on.

Hugging Face's ``MinPLogitsWarper`` keeps a token when ``probs ≥ min_p · max probs``
with ``probs = torch.softmax(scores)`` in float32; ``TopPLogitsWarper``,
``EpsilonLogitsWarper`` and ``EtaLogitsWarper`` test float32 softmax values too.
A token whose exact probability lies within a rounding of the threshold is kept
or dropped by the last bit of those values, and torch's last bit depends on the
CPU it runs on: its kernel (``aten/src/ATen/native/cpu/SoftMaxKernel.cpp``,
``_vec_softmax_lastdim``) is compiled once per instruction set and picked at run
time (``torch.backends.cpu.get_cpu_capability()``; ``ATEN_CPU_CAPABILITY``
forces one). Per row it computes

1. ``m = max x``;
2. ``e_i = exp(x_i − m)`` with ``Vectorized<float>::exp``, which is SLEEF's
   ``expf_u10`` (``Sleef_expf16_u10`` on AVX-512, ``Sleef_expf8_u10`` on AVX2),
   not the correctly rounded exp: it differs from it on about 1 value in 100;
3. ``s = Σ e_i`` by ``vec::reduce_all`` (``ATen/cpu/vec/functional_base.h``): a
   row shorter than the vector width is summed left to right; otherwise each of
   the ``lanes`` lanes sums the entries ``i ≡ lane (mod lanes)`` in order, and
   the lanes are folded by halves (lane ``j`` plus lane ``j + lanes/2``, ...);
4. ``p_i = e_i · (1/s)``.

:func:`softmax` repeats those steps in numpy for ``lanes=16`` (AVX-512) or
``lanes=8`` (AVX2), with SLEEF's polynomial and its fused multiply-adds (the
product exact in float64, the sum rounded to float64 and then to float32).
``benchmarks/peer_hf.py`` checks it against torch 2.13 under each capability:
no value differed on 3.5 million (rows of 12, 37, 1,000 and 151,936). The
kept sets of two capabilities differ on about 1 row in 80 of the peer check's
min-p boundary rows; ``tests/test_sample.py`` holds one such row for each.

Not reproduced: torch's build without vector instructions (``DEFAULT``: glibc's
``expf`` and a sequential fold), ARM builds, and GPUs.

Examples
--------
>>> import numpy as np
>>> x = np.array([[0.0, -2.3025851, -0.6931472, 0.0]], dtype=np.float32)
>>> softmax(x).dtype, float(softmax(x).sum())
(dtype('float32'), 1.0)
>>> bool((softmax(x, lanes=8) == softmax(x, lanes=16)).all())   # a row of 4: no lanes yet
True
"""

from __future__ import annotations

import numpy as np

from .errors import SoftmaxInputError

__all__ = [
    "LANES",
    "exp_sleef",
    "lane_sum",
    "lanes_of",
    "log_sleef",
    "log_softmax",
    "nansum",
    "softmax",
    "stable_argsort",
    "typical_shifted",
    "typical_sorted",
]

#: the float32 vector width of each torch CPU build this module reproduces
LANES = {"avx512": 16, "avx2": 8}

_F32 = np.float32


def lanes_of(cpu: str) -> int:
    """The float32 vector width of torch's kernels for ``cpu`` (``avx512`` or ``avx2``).

    Examples
    --------
    >>> lanes_of("AVX2")
    8
    """
    try:
        return LANES[str(cpu).lower().replace("-", "")]
    except KeyError:
        raise SoftmaxInputError(
            f"{{param}} must be avx512 or avx2 (torch's CPU kernels), got {cpu!r}",
            param="torch_cpu",
        ) from None


# SLEEF 3.x xexpf (src/libm/sleefsimdsp.c): ln 2 split in two, 1/ln 2, the polynomial
_R_LN2 = _F32(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U = _F32(0.693145751953125)
_L2L = _F32(1.428606765330187045e-06)
_POLY = tuple(
    _F32(c)
    for c in (
        0.000198527617612853646278381,
        0.00139304355252534151077271,
        0.00833336077630519866943359,
        0.0416664853692054748535156,
        0.166666671633720397949219,
        0.5,
    )
)


def _fma(a64: np.ndarray, b: np.ndarray | np.float64, c: np.ndarray | np.float64) -> np.ndarray:
    """float32 ``a·b + c`` as one fused operation, from float64 copies of float32 values.

    The product of two float32 values is exact in float64; the sum is rounded to
    float64 and then to float32 (twice, where the fused operation rounds once: the
    two differ only when the float64 sum falls exactly halfway between two float32
    values, which no test of the peer check has met).
    """
    out = a64 * b
    out += c
    return out.astype(_F32)


#: entries per block of :func:`exp_sleef`: its float64 temporaries stay in the CPU cache
_BLOCK = 8192


def exp_sleef(d: np.ndarray) -> np.ndarray:
    """SLEEF's ``expf_u10`` with FMA, as torch's AVX2/AVX-512 ``Vectorized<float>::exp``.

    ``d`` float32 and finite (``≤ 0`` in a softmax); 0 below −104. Computed in
    blocks of :data:`_BLOCK` entries, in place, so that the float64 temporaries
    of the emulated fused operations stay in the cache (2x faster on 262,144).

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0.0, -1.0, -200.0], dtype=np.float32)
    >>> exp_sleef(d).tolist()
    [1.0, 0.3678794503211975, 0.0]
    """
    d = np.ascontiguousarray(d, _F32)
    flat = d.reshape(-1)
    out = np.empty_like(flat)
    size = min(_BLOCK, flat.size)
    buf = (np.empty(size), np.empty(size), np.empty(size), np.empty(size, _F32))
    q = np.empty(size, np.int32)
    with np.errstate(over="ignore", invalid="ignore"):  # far below −104: 0, set last
        for start in range(0, flat.size, _BLOCK):
            stop = min(start + _BLOCK, flat.size)
            n = stop - start
            _exp_block(flat[start:stop], out[start:stop], q[:n], *(b[:n] for b in buf))
    return out.reshape(d.shape)


def _exp_block(d, out, q, q64, s64, u, f32) -> None:
    """:func:`exp_sleef` of one block ``d`` into ``out``, in the buffers given (no allocation).

    Each float32 fused multiply-add ``a·b + c`` is a float64 product (exact for
    float32 operands), a float64 sum, then a rounding to float32 (see :func:`_fma`).
    """
    f64 = np.float64
    np.multiply(d, _R_LN2, out=f32)  # float32 product, as SLEEF's vmul_vf_vf_vf
    np.rint(f32, out=f32)
    q[...] = f32
    q64[...] = q
    # s = fma(q, -L2U, d); s = fma(q, -L2L, s), each rounded to float32
    np.multiply(q64, f64(-_L2U), out=s64)
    s64 += d
    f32[...] = s64
    s64[...] = f32
    np.multiply(q64, f64(-_L2L), out=u)
    s64 += u
    f32[...] = s64
    s64[...] = f32
    # the polynomial u = fma(u, s, c), from the first coefficient
    u.fill(f64(_POLY[0]))
    for c in _POLY[1:]:
        u *= s64
        u += f64(c)
        f32[...] = u
        u[...] = f32
    # u = 1 + fma(s·s rounded to float32, u, s)
    np.multiply(s64, s64, out=q64)
    f32[...] = q64
    q64[...] = f32
    u *= q64
    u += s64
    out[...] = u
    out += _F32(1)
    # the ldexp in two steps, as SLEEF's vldexp2: 2**half, then 2**(q - half), as float bits
    np.maximum(q, -200, out=q)  # below −104 the result is 0 (set last): keep the bits sane
    half = q >> 1
    out *= ((half + 127) << 23).view(_F32)
    q -= half
    out *= ((q + 127) << 23).view(_F32)
    out[d < -104] = 0


def _exp_sleef_reference(d: np.ndarray) -> np.ndarray:
    """SLEEF's ``xexpf`` transcribed plainly (the tests hold :func:`exp_sleef` to it)."""
    f64 = np.float64
    d = np.asarray(d, _F32)
    q = np.rint(d * _R_LN2).astype(np.int32)
    q64 = q.astype(f64)
    s = _fma(q64, f64(-_L2U), d.astype(f64))
    s64 = _fma(q64, f64(-_L2L), s.astype(f64)).astype(f64)
    u = np.full(d.shape, f64(_POLY[0]))
    for c in _POLY[1:]:
        u = _fma(u, s64, f64(c)).astype(f64)
    ss = (s64 * s64).astype(_F32).astype(f64)  # s·s rounded to float32, then fused
    u = _F32(1) + _fma(ss, u, s64)
    half = q >> 1  # ldexp in two steps, as SLEEF's vldexp2 does
    u *= np.ldexp(_F32(1), half).astype(_F32)
    u *= np.ldexp(_F32(1), q - half).astype(_F32)
    u[d < -104] = 0
    return u


def lane_sum(e: np.ndarray, lanes: int = 16) -> np.ndarray:
    """Row sums of ``e`` (2-D float32, entries ≥ 0) in the order of torch's ``reduce_all``.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.array([[2.0**24] + [1.0] * 15], dtype=np.float32)   # exact sum 16777231
    >>> lane_sum(e[:, :15]).tolist()   # 15 < 16 entries: left to right, each 1 rounds away
    [16777216.0]
    >>> lane_sum(e).tolist()           # 16: one per lane, folded by halves
    [16777230.0]
    """
    rows, n = e.shape
    if n < lanes:
        acc = e[:, 0].copy()
        for i in range(1, n):
            acc += e[:, i]
        return acc
    full = n - n % lanes
    acc = e[:, :full].reshape(rows, -1, lanes).sum(axis=1)  # block by block, in order
    if full < n:
        acc[:, : n - full] += e[:, full:]
    width = lanes // 2
    while width >= 1:
        acc = acc[:, :width] + acc[:, width : 2 * width]
        width //= 2
    return acc[:, 0]


def _sparse_lane_sum(
    rows: int, r: np.ndarray, pos: np.ndarray, e: np.ndarray, n: int, lanes: int
) -> np.ndarray:
    """:func:`lane_sum` of rows of width ``n`` whose only non-zero entries are ``e``.

    ``e[j]`` sits in row ``r[j]`` at position ``pos[j]``, row by row and in
    position order within a row (adding the zeros between them is exact).
    """
    acc = np.zeros((rows, lanes if n >= lanes else 1), dtype=e.dtype)
    np.add.at(acc, (r, pos % lanes if n >= lanes else 0), e)  # in order, unbuffered
    if n < lanes:
        return acc[:, 0]
    width = lanes // 2
    while width >= 1:
        acc = acc[:, :width] + acc[:, width : 2 * width]
        width //= 2
    return acc[:, 0]


def softmax(a: np.ndarray, lanes: int = 16, *, offset: int = 0) -> np.ndarray:
    """torch's CPU ``softmax(a, dim=-1)`` of float32 rows ``a`` (2-D), bit for bit.

    ``lanes``: 16 (AVX-512) or 8 (AVX2). ``offset``: the rows are the tail of rows
    whose first ``offset`` entries are ``-inf`` (their softmax is 0; they move the
    others' lanes). ``-inf`` gives 0; a row of only ``-inf`` gives zeros (torch
    gives nan there; the processors refuse such rows before).
    """
    if lanes not in LANES.values():
        raise SoftmaxInputError(f"{{param}} must be 8 or 16, got {lanes!r}", param="lanes")
    a = np.asarray(a, _F32)
    m = np.max(a, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, _F32(0))
    finite = np.isfinite(a)
    one = _F32(1)
    if offset == 0 and finite.mean() > 0.25:
        e = exp_sleef(np.where(finite, a - m, _F32(-200)))
        s = lane_sum(e, lanes)
        return e * (one / np.where(s > 0, s, one))[:, None]
    # after a top-k: the exps of the few kept tokens only
    r, c = np.nonzero(finite)  # row-major: within a row, in index order
    e = exp_sleef(a[r, c] - m[r, 0])
    s = _sparse_lane_sum(a.shape[0], r, c + offset, e, a.shape[1] + offset, lanes)
    out = np.zeros_like(a)
    out[r, c] = e * (one / np.where(s > 0, s, one))[r]
    return out


# SLEEF 3.x xlogf_u1 (src/libm/sleefsimdsp.c, with FMA): ln 2 as a float pair, the polynomial
_LN2_HI, _LN2_LO = _F32(0.69314718246459960938), _F32(-1.904654323148236017e-09)
_LOG_POLY = (_F32(0.3027294874), _F32(0.3996108174), _F32(0.6666694880))


def _fma32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """float32 ``a·b + c`` fused, from float32 operands (see :func:`_fma`)."""
    return _fma(np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64))


def log_sleef(d: np.ndarray, lanes: int = 16) -> np.ndarray:
    """SLEEF's ``logf_u10`` with FMA, as torch's ``Vectorized<float>::log``, for ``d > 0`` finite.

    ``d = m·2^e`` with ``m`` in [0.75, 1.5) (``e`` from ``d·fl(1/0.75)``; on AVX-512
    ``m`` comes from ``d``'s own bits, ``getmant``, and on AVX2 from ``d·2^-e``: the two
    differ only where that product rounds up to a power of 2); ``x = (m − 1)/(m + 1)``
    as a float pair (SLEEF's ``dfdiv``), ``log d = e·ln 2 + 2x + x³·t(x²)`` summed as
    float pairs, and the pair's two halves added last.

    Examples
    --------
    >>> import numpy as np
    >>> log_sleef(np.array([1.0, 2.0, 0.5], dtype=np.float32)).tolist()
    [0.0, 0.6931471824645996, -0.6931471824645996]
    """
    d = np.asarray(d, _F32)
    with np.errstate(over="ignore"):
        prod = d * (_F32(1) / _F32(0.75))
    _, ex = np.frexp(prod)
    ex = np.where(np.isinf(prod), 129, ex)  # SLEEF: the exponent of infinity, 128
    e = (ex - 1).astype(_F32)  # floor(log2) of the rounded product
    if lanes == 16:
        frac, _ = np.frexp(d)  # d = frac·2^k, frac in [0.5, 1)
        m = (frac * 2).astype(_F32)
        m = np.where(m >= _F32(1.5), m / _F32(2), m).astype(_F32)
    else:
        m = np.ldexp(d, -(ex - 1)).astype(_F32)
    one = _F32(1)
    nx = m - one  # dfadd2(−1, m): exact (Sterbenz), its low part 0
    dx = one + m  # dfadd2(1, m): the sum and its rounding error
    v = dx - one
    dy = (one - (dx - v)) + (m - v)
    t = one / dx  # dfdiv(n, d) with n = (nx, 0)
    qx = nx * t
    u = _fma32(t, nx, -qx)
    w = _fma32(-dx, t, np.ones_like(dx))
    w = _fma32(-dy, t, w)
    qy = _fma32(qx, w, u)
    x2 = qx * qx
    poly = _fma32(np.full_like(x2, _LOG_POLY[0]), x2, np.full_like(x2, _LOG_POLY[1]))
    poly = _fma32(poly, x2, np.full_like(x2, _LOG_POLY[2]))
    sx = _LN2_HI * e  # dfmul((ln2 hi, lo), e)
    sy = _fma32(np.full_like(e, _LN2_LO), e, _fma32(np.full_like(e, _LN2_HI), e, -sx))
    ax, ay = qx * _F32(2), qy * _F32(2)  # dfadd(s, dfscale(x, 2))
    s = sx + ax
    sy = (((sx - s) + ax) + sy) + ay
    y = (x2 * qx) * poly  # dfadd(s, x³·t)
    sx = s + y
    sy = ((s - sx) + y) + sy
    return sx + sy


def log_softmax(a: np.ndarray, lanes: int = 16) -> np.ndarray:
    """torch's CPU ``log_softmax(a, dim=-1)`` of float32 rows ``a`` (2-D), bit for bit.

    ``_vec_log_softmax_lastdim``: ``m = max``, ``s = Σ exp(x − m)`` (SLEEF's exp,
    :func:`lane_sum`), ``L = log s`` (:func:`log_sleef`), then ``(x − m) − L``.
    ``-inf`` stays ``-inf``; a row of only ``-inf`` gives ``-inf`` throughout.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([[0.0, 0.0]], dtype=np.float32)).tolist()
    [[-0.6931471824645996, -0.6931471824645996]]
    """
    a = np.asarray(a, _F32)
    m = np.max(a, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, _F32(0))
    d = a - m
    s = lane_sum(exp_sleef(np.where(np.isfinite(d), d, _F32(-200))), lanes)
    return d - log_sleef(np.where(s > 0, s, _F32(1)), lanes)[:, None]


#: float32 lanes of torch's sum kernels (``SumKernel.cpp`` is dispatched up to AVX2 only)
SUM_LANES = 8


def _cascade(v: np.ndarray) -> np.ndarray:
    """torch's ``row_sum`` along axis 1 of ``v`` (rows, n, ...): four interleaved partial
    sums (``ilp_factor``), each a cascade of levels of 16 (``multi_row_sum``)."""
    rows, n = v.shape[:2]
    size = n // 4
    groups = v[:, : size * 4].reshape(rows, size, 4, *v.shape[2:])
    power = max(4, (max(size - 1, 1).bit_length() if size > 2 else 1) // 4)
    step, mask = 1 << power, (1 << power) - 1
    acc = np.zeros((4, rows, 4, *v.shape[2:]), dtype=v.dtype)
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] += groups[:, i]
            i += 1
        for j in range(1, 4):
            acc[j] += acc[j - 1]
            acc[j - 1] = 0
            if i & (mask << (j * power)):
                break
    for k in range(i, size):
        acc[0] += groups[:, k]
    for j in range(1, 4):
        acc[0] += acc[j]
    part = acc[0]
    for k in range(size * 4, n):
        part[:, 0] += v[:, k]
    for k in range(1, 4):
        part[:, 0] += part[:, k]
    return part[:, 0]


def nansum(v: np.ndarray) -> np.ndarray:
    """torch's CPU ``v.nansum(-1)`` of float32 rows ``v`` (2-D), bit for bit (nan counts 0).

    ``cascade_sum``: rows of :data:`SUM_LANES` or more are summed by vectors of that
    many lanes (:func:`_cascade` over the vectors), then the leftover entries in order,
    then the lanes one by one; shorter rows by :func:`_cascade` over the entries.

    Examples
    --------
    >>> import numpy as np
    >>> nansum(np.array([[1.0, np.nan, 2.0]], dtype=np.float32)).tolist()
    [3.0]
    """
    v = np.asarray(v, _F32)
    v = np.where(np.isnan(v), _F32(0), v)
    rows, n = v.shape
    if n < SUM_LANES:
        return _cascade(v)
    full = n - n % SUM_LANES
    lanes = _cascade(v[:, :full].reshape(rows, -1, SUM_LANES))
    out = np.zeros(rows, dtype=_F32)
    for k in range(full, n):
        out += v[:, k]
    for k in range(SUM_LANES):
        out += lanes[:, k]
    return out


def typical_shifted(a: np.ndarray, lanes: int = 16) -> np.ndarray:
    """Hugging Face's ``TypicalLogitsWarper`` scores ``|−log p − H|`` of float32 rows ``a``.

    ``normalized = log_softmax(a)`` (:func:`log_softmax`, bit for bit),
    ``p = exp(normalized)``, ``H = −nansum(normalized·p)`` (:func:`nansum`, bit for
    bit). torch's ``exp`` here is MKL's ``vsExp`` on x86 builds, not reproduced: the
    float32 exp correctly rounded stands in for it (MKL's differs in the last bit on
    about 1% of values, which moves ``H`` by a rounding on about 0.5% of rows).
    ``-inf`` logits score ``inf``.
    """
    norm = log_softmax(a, lanes)
    with np.errstate(invalid="ignore"):
        p = np.exp(norm.astype(np.float64)).astype(_F32)
        ent = -nansum(norm * p)
    return np.abs(-norm - ent[:, None])


def stable_argsort(a: np.ndarray) -> np.ndarray:
    """Stable ascending argsort per row; float32 by unique 64-bit keys (4x faster).

    The key is the float's bits mapped to an order-preserving unsigned integer, then
    the index: keys are distinct, so numpy's (unstable, vectorised) sort gives the
    stable order. ``-0.0`` is taken as ``+0.0`` (equal, as in a comparison).

    Examples
    --------
    >>> import numpy as np
    >>> stable_argsort(np.array([[1.0, -0.0, 0.0, -2.0]], dtype=np.float32)).tolist()
    [[3, 1, 2, 0]]
    """
    if a.dtype != np.float32:
        return np.argsort(a, axis=-1, kind="stable")
    bits = (a + np.float32(0)).view(np.uint32)
    flip = (bits.view(np.int32) >> 31).view(np.uint32)  # all ones where negative
    flip |= np.uint32(0x80000000)
    bits ^= flip  # negatives: every bit flipped; others: the sign bit set
    key = bits.astype(np.uint64)
    key <<= np.uint64(32)
    key |= np.arange(a.shape[-1], dtype=np.uint64)
    key.sort(axis=-1)
    return (key & np.uint64(0xFFFFFFFF)).astype(np.intp)


def typical_sorted(
    a: np.ndarray, mass: float, lanes: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``TypicalLogitsWarper`` up to its cut: the scores, their ascending order, and the
    cumulative probabilities of the logits in that order (torch's softmax, summed in
    float64 and rounded to float32, as CPU ``cumsum`` does).

    The order is stable. CPU torch's ``sort`` is not, and where equal scores belong to
    different logits (``|−log p − H|`` ties above and below ``H``) its order moves the
    softmax's lane sums and so the cumulative sums by a few roundings. The cut keeps
    the scores up to the one where the sums reach ``mass``, equal across a tie, so a row
    is sorted again in torch's order (:func:`._torchsort.torch_order`) only where that
    score could change (:func:`_cut_may_move`).
    """
    shifted = typical_shifted(a, lanes)
    order = stable_argsort(shifted)
    s = np.take_along_axis(shifted, order, axis=-1)
    v = np.take_along_axis(a, order, axis=-1)
    cum = np.cumsum(softmax(v, lanes).astype(np.float64), axis=-1).astype(_F32)
    mixed = (s[:, 1:] == s[:, :-1]) & (v[:, 1:] != v[:, :-1]) & np.isfinite(s[:, 1:])
    rows = np.flatnonzero(mixed.any(axis=-1))
    rows = rows[_cut_may_move(s[rows], cum[rows], _F32(mass))]
    if rows.size:  # rare: _torchsort is imported only then
        from . import _torchsort

        for r in rows:  # each such tie in torch's order: only segments holding one are sorted
            tied = np.isin(shifted[r], s[r, 1:][mixed[r]])
            theirs = _torchsort.torch_order(shifted[r], only=tied)
            order[r, tied[order[r]]] = theirs[tied[theirs]]
        v = np.take_along_axis(a[rows], order[rows], axis=-1)
        cum[rows] = np.cumsum(softmax(v, lanes).astype(np.float64), axis=-1).astype(_F32)
    return shifted, order, cum


#: how far another order may move a cumulative sum at the end of a tie: the softmax's
#: lane sums round otherwise, a few roundings of 1 (2^-20: 8; measured: 0 on 216 rows
#: of 4,096 and 151,936)
_NEAR = 2.0**-20


def _cut_may_move(s: np.ndarray, cum: np.ndarray, mass: np.floating) -> np.ndarray:
    """Rows whose cut score ``s[last]`` (``last``: the first place where ``cum`` reaches
    ``mass``) could change if every sum moved by up to :data:`_NEAR`: some place the cut
    could then fall on (a sum that near ``mass``, the place after it, or ``last``)
    holds another score."""
    n = s.shape[-1]
    last = np.minimum((cum < mass).sum(axis=-1), n - 1)
    near = np.abs(cum - mass) <= _NEAR
    near[:, 1:] |= near[:, :-1]
    near[np.arange(len(s)), last] = True
    return (near & (s != np.take_along_axis(s, last[:, None], axis=-1))).any(axis=-1)
