"""Float text: the shortest text that reads back to the very same float, in any dtype.

Every float is written as the *shortest* text that reads back (through
:func:`~softmax_cli.io.readers.open_vectors` with the same dtype) to the very
same value: ``repr`` for float64, the shortest ``%g`` that round-trips for
float32/float16/bfloat16/float8, numpy's shortest repr for longdouble. Non-finite values are
``nan``, ``inf`` and ``-inf``. The sign and payload of a NaN are not kept.
Negative zero is written ``-0.0`` (``-0`` for float32/16) and reads back negative.
Every writer (:mod:`softmax_cli.io.records`, :mod:`softmax_cli.io.writers`) uses these.
Large float64/float32 arrays are formatted by the optional compiled formatter
(``softmax_cli/_floattext.c``, :func:`compiled_rows`), which writes the same text.

Examples
--------
>>> import numpy as np
>>> format_floats(np.array([0.1, 1e-300, -0.0]))
['0.1', '1e-300', '-0.0']
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .. import _accel
from ..errors import SoftmaxInputError
from ..floats import finfo, is_float_dtype

__all__ = ["compiled_rows", "format_float", "format_floats"]

# dtype -> (first %g precision to try, precision that always round-trips, unsigned view)
# (p significand bits need 1 + ceil(p·log10 2) digits: 9, 5, 4 and 3 for float8)
_SHORT = {
    "float32": (6, 9, np.uint32),
    "float16": (3, 5, np.uint16),
    "bfloat16": (3, 4, np.uint16),
    "float8_e4m3fn": (2, 3, np.uint8),
    "float8_e5m2": (2, 3, np.uint8),
}


def format_float(value: Any, dtype: Any) -> str:
    """The shortest text that reads back to ``value`` rounded to ``dtype``.

    Parameters
    ----------
    value : float
        The number; it is first rounded to ``dtype``.
    dtype : dtype
        float16, float32, float64, longdouble, bfloat16 or float8.

    Returns
    -------
    str

    Examples
    --------
    >>> format_float(0.1, "float64"), format_float(1e-300, "float64")
    ('0.1', '1e-300')
    >>> format_float(0.1, "float32"), format_float(float("-inf"), "float32")
    ('0.1', '-inf')
    >>> format_float(float("nan"), np.float16)
    'nan'
    >>> from softmax_cli.floats import parse_dtype
    >>> format_float(0.1, parse_dtype("bfloat16"))  # 0.10009765625, the bfloat16 nearest 0.1
    '0.1'
    >>> format_float(300, parse_dtype("float8_e5m2"))  # e5m2 has 256 and 320 there
    '3.2e+02'
    """
    dt = np.dtype(dtype)
    if not is_float_dtype(dt):
        raise SoftmaxInputError(f"format_float needs a float dtype, not {dt}")
    if dt.itemsize == 8:
        return repr(float(value))
    return format_floats(np.asarray([value], dtype=dt))[0]


def format_floats(values: np.ndarray) -> list[str]:
    """:func:`format_float` for every element of an array, in C (row-major) order.

    A 2-D array gives one flat list (rows one after another); its dtype decides
    the precision (integers count as float64).

    Parameters
    ----------
    values : numpy.ndarray
        Any shape; float16, float32, float64 or longdouble.

    Returns
    -------
    list of str

    Examples
    --------
    >>> format_floats(np.array([[0.5, -0.0], [np.nan, 1e-300]]))
    ['0.5', '-0.0', 'nan', '1e-300']
    >>> format_floats(np.array([0.1, 3.4028235e38, 1e-45], dtype=np.float32))
    ['0.1', '3.40282e+38', '1e-45']
    """
    a = np.asarray(values)
    if not is_float_dtype(a.dtype):
        a = a.astype(np.float64)
    flat = a.ravel()
    text = compiled_rows(flat[:, None], "\n") if flat.size >= COMPILED_MIN else None
    if text is not None:
        return text.split("\n")
    if flat.dtype.itemsize == 8:
        return list(map(repr, flat.tolist()))
    if flat.dtype.itemsize > 8:
        return [str(x) for x in flat]
    return _format_short(flat)


#: values per call from which the compiled formatter (``softmax_cli/_floattext.c``) makes
#: the text: below, ``repr`` is about as quick and the module is not even loaded (``softmax
#: compute 1 2 3`` never imports it)
COMPILED_MIN = 512
_COMPILED_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def compiled() -> Any:
    """The compiled formatter ``softmax_cli._floattext``; None where it is not built."""
    return _accel.compiled("_floattext")


def compiled_rows(
    a: np.ndarray, delim: str, threads: int = 1, ids: list[str] | None = None
) -> str | None:
    """The rows of 2-D float64 or float32 ``a`` as delimited lines, without a final newline,
    by the compiled formatter; None where it is not built, ``a`` is of another dtype, an id
    is not ASCII, or (float32) a program set a C locale whose decimal point is not ``.``.

    The text is :func:`format_floats`' (``repr`` for float64), joined by ``delim`` (one
    ASCII character) and newlines; ``ids`` (one str per row, as written) go first in their
    rows, each followed by ``delim``. ``threads`` > 1 formats that many ranges of rows at
    once (the same text); the GIL is released meanwhile.

    Examples
    --------
    >>> text = compiled_rows(np.array([[0.1, -0.0], [1e16, np.nan]]), ",")
    >>> text is None or text.splitlines() == ["0.1,-0.0", "1e+16,nan"]
    True
    >>> text = compiled_rows(np.array([[0.5], [2.0]], dtype=np.float32), ";", ids=["a", "b"])
    >>> text is None or text.splitlines() == ["a;0.5", "b;2"]
    True
    """
    if a.dtype not in _COMPILED_DTYPES or a.ndim != 2 or a.shape[1] == 0:
        return None
    mod = compiled()
    if not mod:
        return None
    a = np.ascontiguousarray(a)
    return mod.rows(a, a.dtype == np.float32, a.shape[0], a.shape[1], delim, threads, ids)


#: float32 values per call from which polars makes the text (when installed and probed)
_F32_FAST_MIN = 4096
_F32_PROBE = (  # each layout and its edges: %g positional/scientific, ".0", ties, powers of 2
    "0.1 -0.1 1.5 100 0.0001 0.00025 1e-05 1.5e-07 -3.25e-09 123456 1e+06 1234567.5 "
    "12345678 1.2e+08 1e+16 3.40282e+38 1.17549e-38 0.333333 0.33333334 16777215 7.5 "
    "0.15625 1024 0.059305287 8.4e-45 nan inf -inf 0 -0 -1.5e-05 -1e-05 9.99e-05 2e-06 "
    "-1.25e-06 7.1e-07 -9.5e-10 1.5e-10 -2.5e-38 0.5 -0.25 0.099999994 0.00123456789"
).split()
_f32_polars: Any = None  # polars once probed and found to agree, False if not usable


#: values formatted before polars is imported for them: its import (~0.1 s) costs about what
#: ``repr`` spends on this many, so a short output never pays it and a long one pays it once
IMPORT_PAYS_AFTER = 1 << 18
_formatted_by_hand = 0


def polars_pays(n: int, least: int) -> bool:
    """Whether ``n`` values (``least`` at the least) are worth formatting with polars now.

    Once polars is imported, any batch of ``least`` values is; before, only after
    :data:`IMPORT_PAYS_AFTER` values in all were formatted without it (``n`` counted).
    """
    global _formatted_by_hand
    if n < least:
        return False
    if "polars" in sys.modules:
        return True
    _formatted_by_hand += n
    return _formatted_by_hand >= IMPORT_PAYS_AFTER


def probed_polars(agrees: Any) -> Any:
    """polars, imported now, if ``agrees(polars)`` is true; False if missing or not agreeing
    (a polars whose API changed counts as not agreeing)."""
    try:
        import polars
    except ImportError:
        return False
    try:
        return polars if agrees(polars) else False
    except Exception:  # pragma: no cover - a polars that changed its API
        return False


def f32_engine() -> Any:
    """polars for :func:`f32_texts`, imported (lazily) and probed once; False if not usable."""
    global _f32_polars
    if _f32_polars is None:
        probe = np.array([float(v) for v in _F32_PROBE], dtype=np.float32)
        want = _format_bisect(probe)
        _f32_polars = probed_polars(lambda pl: f32_texts(pl, probe).to_list() == want)
    return _f32_polars


def _format_short(flat: np.ndarray) -> list[str]:
    """Shortest round-tripping text for float32/16, bfloat16, float8: ``%.{p}g`` with the
    least ``p >= 6`` that reads back, as :func:`_format_bisect` finds it (large float32
    arrays through :func:`f32_texts` when polars is installed: the same text)."""
    if flat.dtype == np.float32 and polars_pays(flat.size, _F32_FAST_MIN):
        pl = f32_engine()
        if pl:
            return f32_texts(pl, flat).to_list()
    return _format_bisect(flat)


def _f32_bits(value: float) -> int:
    """The bits of the float32 nearest ``value``."""
    return int(np.array(value, dtype=np.float32).view(np.uint32))


#: bits of the float32 nearest 10**j: ``|x| >= 10**j`` in x's shortest digits iff x's
#: magnitude bits are at least these (10**j lies in that float's rounding interval)
_TEN_BITS = {j: _f32_bits(10.0**j) for j in (-9, -6, -5, -4, 6)}
_MIN_NORMAL_BITS = 1 << 23


def _f32_table(pl: Any) -> Any:
    """:func:`_format_bisect`'s text of ``±2**E`` (zeros at ``E = 0``) as a polars Series
    indexed by ``sign << 8 | E`` (the exponent field), made once."""
    global _POW2_TEXT
    if _POW2_TEXT is None:
        powers = (np.arange(512, dtype=np.uint32) << np.uint32(23)).view(np.float32)
        with np.errstate(invalid="ignore"):
            _POW2_TEXT = pl.Series(_format_bisect(powers), dtype=pl.String)
    return _POW2_TEXT


_POW2_TEXT: Any = None


def _maybe_tie(bits: np.ndarray) -> np.ndarray:
    """Where a normal float32 (magnitude ``bits``) may be a tie of ``%.{k}g``, k = 7 ... 9.

    polars' shortest ``k`` digits are the correctly rounded ``k``-digit decimal unless two
    are equally near: then the value is ``odd·2**-n`` with a ``(k + 1)``-digit exact
    expansion, so ``n + X + 1 <= 10`` (``X`` its decimal exponent). Flagged: ``n <= 10 -
    X0`` with ``X0 <= X`` from the binary exponent; a value of ``tz`` trailing zero bits
    has ``n = 150 - E - tz`` (one more than needed, for margin). Values under 16 need
    ``tz >= 10``, so only those (and larger values) are looked at closely.
    """
    cand = np.flatnonzero(((bits & np.uint32(0x3FF)) == 0) | (bits >= np.uint32(0x41800000)))
    out = np.zeros(bits.shape, dtype=bool)
    if cand.size:
        b = bits[cand].astype(np.int64)
        e = b >> 23
        full = (b & 0x7FFFFF) | (1 << 23)
        tz = np.log2((full & -full).astype(np.float64)).astype(np.int64)  # exact: a power
        x0 = ((e - 127) * 30103) // 100000  # floor((E - 127)·log10 2) <= X
        out[cand] = 150 - e - tz <= 10 - x0
    return out


def f32_texts(pl: Any, flat: np.ndarray) -> Any:
    """:func:`_format_bisect`'s text of 1-D float32 ``flat``, as a polars String Series.

    polars writes each value's shortest round-trip digits ``D`` (``k`` of them, decimal
    exponent ``X``). ``%.{p}g`` with ``p = max(6, k)`` is the least precision that reads
    back (no text of fewer digits does), and its digits are ``D``: for ``k <= 6`` the
    float32 is closer to ``D`` than half a unit of the sixth digit, and for ``k > 6`` the
    correctly rounded ``k``-digit decimal is ``D`` unless the value lies exactly half way
    between two of them (:func:`_maybe_tie`) or its rounding interval is lopsided (a power
    of two). polars lays out positional text for ``-6 <= X <= 12`` and ``d.ddde-X``
    below, ``%g`` positional for ``-4 <= X < p``: for ``-4 <= X <= 5`` polars' text is
    ``%g``'s as it is; ``X`` of -5 and -6 move the digits (``0.0000015`` → ``1.5e-06``)
    and -7 ... -9 pad the exponent (``1.5e-7`` → ``1.5e-07``), with compiled string kernels
    on just those entries. ``X`` is read from the bits: ``D >= 10**j`` exactly when ``x``
    is at least the float32 nearest ``10**j``. Zeros and powers of two come from a table;
    possible ties, subnormals, ``|x| >= 10**6``, nan and inf are made by
    :func:`_format_bisect`. A probe of each layout checks the installed polars once
    (:func:`f32_engine`).
    """
    bits = flat.view(np.uint32)
    mag = bits & np.uint32(0x7FFFFFFF)
    text = pl.Series(flat).cast(pl.String)  # "0.00025", "-0.0000015", "1.5e-7", "100.0"
    t = {j: np.uint32(b) for j, b in _TEN_BITS.items()}
    pow2 = (mag & np.uint32(0x7FFFFF)) == 0
    slow = (mag >= t[6]) | (mag < np.uint32(_MIN_NORMAL_BITS))
    slow |= _maybe_tie(mag)
    slow &= ~pow2 | (mag >= np.uint32(0x7F800000))  # nan, inf: not in the table
    table = np.flatnonzero(pow2 & (mag < np.uint32(0x7F800000)))
    parts: list[tuple[np.ndarray, Any]] = []  # (where, their text): one scatter at the end
    small = np.flatnonzero((mag < t[-4]) & ~slow & ~pow2)
    if small.size:
        sm = mag[small]
        moved = small[sm >= t[-6]]  # 0.0000ddd -> d.ddde-05, 0.00000ddd -> d.ddde-06
        if moved.size:
            x = np.where(mag[moved] >= t[-5], 5, 6)
            parts.append((moved, move_digits(pl, text.gather(moved), flat[moved] < 0, x)))
        padded = small[(sm >= t[-9]) & (sm < t[-6])]  # d.ddde-7 -> d.ddde-07
        if padded.size:
            parts.append((padded, pad_exponent(text.gather(padded))))
    if table.size:
        at = (bits[table] >> np.uint32(23)).astype(np.int64)  # sign << 8 | exponent
        parts.append((table, _f32_table(pl).gather(at)))
    rest = np.flatnonzero(slow)
    if rest.size:
        parts.append((rest, pl.Series(_format_bisect(flat[rest]), dtype=pl.String)))
    if parts:
        where = np.concatenate([w for w, _ in parts])
        text = text.scatter(where, pl.concat([s for _, s in parts]))
    return text


def pad_exponent(text: Any) -> Any:
    """polars' ``d.ddde-X`` (one exponent digit) as ``%g``/repr's ``d.ddde-0X``."""
    return text.str.replace("e-", "e-0", literal=True)


def move_digits(pl: Any, text: Any, neg: np.ndarray, x: np.ndarray) -> Any:
    """``[-]0.0…0ddd`` (``x - 1`` zeros after the point) as ``[-]d.dde-0X`` (``de-0X``).

    The float32 (:func:`f32_texts`) and float64 (``writers._repr_texts``) texts of
    exponents -5 and -6 that polars writes positionally; a lone digit takes no point.
    """
    d = pl.col("d")
    frame = pl.DataFrame({"d": text.str.strip_chars_start("-0."), "neg": neg, "five": x == 5})
    return frame.select(
        pl.concat_str(
            pl.when(pl.col("neg")).then(pl.lit("-")).otherwise(pl.lit("")),
            d.str.slice(0, 1),
            pl.when(d.str.len_bytes() > 1).then(pl.lit(".")).otherwise(pl.lit("")),
            d.str.slice(1),
            pl.when(pl.col("five")).then(pl.lit("e-05")).otherwise(pl.lit("e-06")),
        )
    ).to_series()


def _format_bisect(flat: np.ndarray) -> list[str]:
    """Shortest round-tripping text for float32/16, bfloat16, float8 (read as float64, rounded).

    A bisection over the ``%g`` precision, one vectorised pass per step: most
    float32 values settle in two passes.
    """
    dt = flat.dtype
    p0, pmax, uint = _SHORT[dt.name]
    with np.errstate(invalid="ignore"):
        wide = flat.astype(np.float64)
    want = flat.view(uint)
    out = np.empty(len(wide), dtype=object)

    # Each entry: indices (None: all) whose shortest precision lies in [lo, hi], and whether
    # out[idx] already holds %.{hi}g. A stack, not a recursive closure: a closure that refers
    # to itself is a reference cycle, which kept every batch's text alive until a full
    # garbage collection (float32 output grew to 570 MiB over 10^6 rows).
    stack: list[tuple[np.ndarray | None, int, int, bool]] = [(None, p0, pmax, False)]
    while stack:
        idx, lo, hi, have_hi = stack.pop()
        sub = wide if idx is None else wide[idx]
        if not sub.size or (lo == hi and have_hi):
            continue
        strs = list(map(f"%.{(lo + hi) // 2 if lo < hi else hi}g".__mod__, sub.tolist()))
        if lo == hi:  # hi == pmax: always round-trips
            out[idx] = strs
            continue
        mid = (lo + hi) // 2
        with np.errstate(invalid="ignore", over="ignore"):
            back = np.array(strs, dtype=np.float64).astype(dt)
        ok = back.view(uint) == (want if idx is None else want[idx])
        ok |= np.isnan(back) & np.isnan(sub)
        if idx is None:
            idx = np.arange(len(wide))
        good = idx[ok]
        out[good] = np.array(strs, dtype=object)[ok]
        stack.append((idx[~ok], mid + 1, hi, have_hi))
        stack.append((good, lo, mid, True))
    out = out.tolist()
    # %g is shortest except where the rounding interval is lopsided (exact powers of
    # two) or wide (subnormals); numpy's Dragon4 repr handles those few exactly.
    info = finfo(dt)
    bits = want.astype(np.int64)
    mantissa = bits & ((1 << info.nmant) - 1)
    exponent = (bits >> info.nmant) & ((1 << info.nexp) - 1)
    special = (flat != 0) & np.isfinite(flat) & ((mantissa == 0) | (exponent == 0))
    for i in np.flatnonzero(special).tolist():
        candidate = str(flat[i])
        if len(candidate) < len(out[i]) and np.float64(candidate).astype(dt) == flat[i]:
            out[i] = candidate
    return out
