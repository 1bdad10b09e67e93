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

__all__ = ["LANES", "exp_sleef", "lane_sum", "lanes_of", "softmax"]

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
