"""Temperature sweeps: a mapping of ``x/τ`` over a grid of ``τ``, from one-hot to uniform.

:func:`sweep` runs any registry mapping whose output is a distribution over a
grid of temperatures (:func:`tau_grid`, :func:`parse_taus`) and returns a
:class:`Sweep` record holding, per ``τ``:

* the probabilities ``p`` (one row per ``τ``);
* ``max p``; the Shannon entropy ``H(p)`` in nats or bits;
* the smooth maximum ``τ·LSE(x/τ)`` and its gap to ``max x`` (the gap is
  computed directly as ``τ·log Σ exp((x − max x)/τ)``, so it keeps its digits
  long after ``τ·LSE`` itself rounds to ``max x``);
* ``1 − Σ p²``: for softmax the size of the gradient (half the entrywise L1
  norm of its Jacobian ``diag(p) − ppᵀ``; 0 at one-hot), for any map the
  Gini impurity of ``p``;
* for sparse mappings, the support size (the number of nonzero ``p_i``).

``τ·LSE`` is always the log-sum-exp of the softmax family, whichever mapping
is swept: it is the smooth maximum every temperature interpolates through.

Entropy and ``1 − Σ p²`` are computed from the entries other than the largest
(``H = −Σ_{i≠k} p_i log p_i − p_k log1p(−s)``, ``s = Σ_{i≠k} p_i``), so they
keep full relative accuracy near one-hot, where ``p_k`` rounds to 1.

Nothing here prints; :mod:`softmax_cli.render.sweep` draws the records.

Examples
--------
>>> s = sweep([1.0, 2.0, 3.0, 4.0], [0.1, 1.0, 10.0])
>>> s.p.round(4)
array([[0.    , 0.    , 0.    , 1.    ],
       [0.0321, 0.0871, 0.2369, 0.6439],
       [0.2138, 0.2363, 0.2612, 0.2887]])
>>> s.tau_lse.round(4)
array([ 4.    ,  4.4402, 16.4253])
>>> bool((np.diff(s.entropy) > 0).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import registry
from .._arrays import as_float_array, working_dtype
from ..errors import SoftmaxInputError
from ..exp_family import logsumexp

__all__ = [
    "DEFAULT_MAX",
    "DEFAULT_MIN",
    "DEFAULT_STEPS",
    "MAX_STEPS",
    "MAX_VALUES",
    "Sweep",
    "check_taus",
    "entropy",
    "gini",
    "parse_taus",
    "require_sweepable",
    "sweep",
    "sweepable",
    "sweepable_names",
    "tau_grid",
    "top_entries",
]

#: The default grid: 17 log-spaced temperatures from 0.01 to 100 (4 per decade,
#: so 0.01, 0.1, 1, 10 and 100 are on it exactly).
DEFAULT_MIN = 0.01
DEFAULT_MAX = 100.0
DEFAULT_STEPS = 17
#: At most this many temperatures in one sweep.
MAX_STEPS = 10_000
#: At most this many probabilities (temperatures × vector length) in one sweep.
MAX_VALUES = 10_000_000
_STAT_VALUES = 1 << 16  # values per block of the statistics (see _by_rows)

_OUTPUT_WORDS = {
    registry.LOG_DISTRIBUTION: "log-probabilities",
    registry.SCALAR: "one number per vector (a reduction)",
    registry.ELEMENTWISE: "one independent number per entry (elementwise)",
}


# ---------------------------------------------------------------- the grid


def _check_tau(value: Any, what: str, param: str | None = None) -> float:
    try:
        tau = float(value)
    except (TypeError, ValueError):
        raise SoftmaxInputError(f"{what} must be a number, got {value!r}", param=param) from None
    if not (math.isfinite(tau) and tau > 0):
        raise SoftmaxInputError(f"{what} must be finite and > 0, got {value!r}", param=param)
    return tau


def check_taus(taus: Iterable[Any]) -> np.ndarray:
    """Temperatures as a sorted float64 array without repeats; each finite and ``> 0``.

    Raises :class:`SoftmaxInputError` for an empty list, a bad value, or more
    than :data:`MAX_STEPS` temperatures.

    Examples
    --------
    >>> check_taus([10, 0.1, 1, 1]).tolist()
    [0.1, 1.0, 10.0]
    """
    values = [_check_tau(t, "a temperature τ") for t in taus]
    if not values:
        raise SoftmaxInputError("give at least one temperature")
    out = np.unique(np.array(values, dtype=np.float64))
    if out.size > MAX_STEPS:
        raise SoftmaxInputError(
            f"{out.size} temperatures is too many: a sweep takes at most {MAX_STEPS}"
        )
    return out


def parse_taus(text: str) -> np.ndarray:
    """Temperatures from a comma- or space-separated list such as ``"0.1,1,10"``.

    Examples
    --------
    >>> parse_taus("10, 0.1,1").tolist()
    [0.1, 1.0, 10.0]
    >>> parse_taus("1,-2")
    Traceback (most recent call last):
    ...
    softmax_cli.errors.SoftmaxInputError: a temperature τ must be finite and > 0, got '-2'
    """
    tokens = [t for t in str(text).replace(",", " ").split() if t]
    if not tokens:
        raise SoftmaxInputError(f"no temperatures in {text!r}: give them as 0.1,1,10")
    return check_taus(tokens)


def tau_grid(
    tau_min: float = DEFAULT_MIN,
    tau_max: float = DEFAULT_MAX,
    steps: int = DEFAULT_STEPS,
    *,
    linear: bool = False,
) -> np.ndarray:
    """``steps`` temperatures from ``tau_min`` to ``tau_max``, log-spaced unless ``linear``.

    The ends are exactly ``tau_min`` and ``tau_max``; a log grid whose ends are
    powers of ten hits every power of ten in between exactly when the steps
    allow it (``10**k`` is computed, not ``exp(k·log 10)``); a value within a
    few ULP of a short decimal is snapped to it (0.5 … 8 in 5 steps gives 4.0,
    not 3.999999999999999).

    Examples
    --------
    >>> tau_grid(0.01, 100, 5).tolist()
    [0.01, 0.1, 1.0, 10.0, 100.0]
    >>> tau_grid(0.5, 8, 5).tolist()
    [0.5, 1.0, 2.0, 4.0, 8.0]
    >>> tau_grid(1, 3, 3, linear=True).tolist()
    [1.0, 2.0, 3.0]
    >>> len(tau_grid())
    17
    """
    lo = _check_tau(tau_min, "{param} (the smallest τ)", "tau_min")
    hi = _check_tau(tau_max, "{param} (the largest τ)", "tau_max")
    if isinstance(steps, bool) or not float(steps).is_integer():
        raise SoftmaxInputError(f"{{param}} must be a whole number, got {steps!r}", param="steps")
    n = int(steps)
    if not 2 <= n <= MAX_STEPS:
        raise SoftmaxInputError(
            f"{{param}} must be between 2 and {MAX_STEPS}, got {n}", param="steps"
        )
    if not lo < hi:
        raise SoftmaxInputError(
            f"{{param}} must be below {{tau_max}}, got {lo:g} and {hi:g}",
            param="tau_min",
            also=("tau_max",),
        )
    if linear:
        grid = np.linspace(lo, hi, n)
    else:
        grid = 10.0 ** np.linspace(math.log10(lo), math.log10(hi), n)
    grid[0], grid[-1] = lo, hi
    return _snap(grid)


def _snap(grid: np.ndarray) -> np.ndarray:
    """Values within a few ULP of a 12-digit decimal become that decimal (3.999999999999999 → 4)."""
    short = np.array([float(f"{v:.12g}") for v in grid.tolist()])
    close = np.abs(short - grid) <= 8 * np.spacing(grid)
    return np.where(close, short, grid)


# ---------------------------------------------------------------- which methods


def sweepable(mapping: registry.Mapping) -> bool:
    """Whether ``mapping`` gives a distribution, so a sweep of it makes sense."""
    return mapping.output == registry.DISTRIBUTION


def sweepable_names() -> list[str]:
    """The registry's mappings a sweep takes, in registry order.

    Examples
    --------
    >>> sweepable_names()[:3]
    ['softmax', 'sparsemax', 'entmax15']
    """
    return [m.name for m in registry.MAPPINGS if sweepable(m)]


def require_sweepable(method: str | registry.Mapping) -> registry.Mapping:
    """The mapping, or :class:`SoftmaxInputError` naming the methods that work.

    Examples
    --------
    >>> require_sweepable("lse")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    softmax_cli.errors.SoftmaxInputError: cannot sweep logsumexp: it gives one number per ...
    """
    mapping = registry.get(method) if isinstance(method, str) else method
    if not sweepable(mapping):
        what = _OUTPUT_WORDS.get(mapping.output, mapping.output)
        raise SoftmaxInputError(
            f"cannot sweep {mapping.name}: it gives {what}, not a distribution; "
            f"a sweep takes {', '.join(sweepable_names())}"
        )
    return mapping


# ---------------------------------------------------------------- statistics


def _split_top(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Largest entry of each row, the other entries (largest set to 0) and their sum."""
    k = np.argmax(p, axis=-1)[..., None]
    top = np.take_along_axis(p, k, axis=-1)[..., 0]
    others = p.copy()
    np.put_along_axis(others, k, 0, axis=-1)
    return top, others, others.sum(axis=-1)


def entropy(p: ArrayLike, *, bits: bool = False) -> np.ndarray:
    """Shannon entropy ``−Σ p_i log p_i`` of each row (``0 log 0 = 0``), in nats or bits.

    The largest entry's term is taken as ``−p_k log1p(−s)`` with ``s`` the sum
    of the others, so near one-hot the result keeps its relative accuracy.

    Examples
    --------
    >>> float(entropy([0.5, 0.5], bits=True))
    1.0
    >>> float(entropy([1 - 1e-20, 1e-20]))  # p_k rounds to 1: log(p_k) would lose 1e-20
    4.705170185988091e-19
    """
    a = np.asarray(p)
    a = a.astype(working_dtype(a.dtype) if a.dtype.kind == "f" else np.float64)
    top, others, s = _split_top(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(others > 0, others * np.log(np.where(others > 0, others, 1)), 0)
        h = -terms.sum(axis=-1) - top * np.log1p(-s)
    h = np.maximum(h, 0)
    if bits:
        h = h / np.log(a.dtype.type(2))
    return h


def gini(p: ArrayLike) -> np.ndarray:
    """``1 − Σ p_i²`` of each row, as ``s(2 − s) − Σ_{i≠k} p_i²`` (accurate near one-hot).

    For softmax this is the gradient's size: half the entrywise L1 norm of
    the Jacobian ``diag(p) − ppᵀ``; it is 0 at one-hot and ``1 − 1/n`` at uniform.

    Examples
    --------
    >>> float(gini([0.25, 0.25, 0.25, 0.25]))
    0.75
    >>> float(gini([1 - 1e-20, 1e-20]))
    2e-20
    """
    a = np.asarray(p)
    a = a.astype(working_dtype(a.dtype) if a.dtype.kind == "f" else np.float64)
    _, others, s = _split_top(a)
    return np.maximum(s * (2 - s) - (others * others).sum(axis=-1), 0)


def _by_rows(stat: Callable[..., np.ndarray], p: np.ndarray, **kwargs: Any) -> np.ndarray:
    """``stat(p)`` a block of about 65,536 values at a time.

    The statistics make several temporaries the size of their input: at the sweep's
    cap (10^7 probabilities, 80 MB) they took 0.3 GB beside ``p`` all at once.
    """
    step = max(1, _STAT_VALUES // max(p.shape[-1], 1))
    if p.shape[0] <= step:
        return stat(p, **kwargs)
    return np.concatenate([stat(p[i : i + step], **kwargs) for i in range(0, p.shape[0], step)])


# ---------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class Sweep:
    """The result of :func:`sweep`: one row per temperature, ``taus`` ascending.

    Attributes
    ----------
    method : str
        The registry name of the mapping swept.
    params : dict
        Its parameters, validated (a stochastic map's drawn seed included).
    x : numpy.ndarray
        The logits, shape ``(n,)``, in the dtype the sweep ran in.
    taus : numpy.ndarray
        The temperatures, shape ``(steps,)``, ascending.
    p : numpy.ndarray
        ``p[j]`` is the mapping of ``x/taus[j]``, shape ``(steps, n)``, dtype of ``x``.
    max_p, entropy, tau_lse, lse_gap, gini : numpy.ndarray
        Per temperature: ``max p``; ``H(p)`` in ``unit``; ``τ·LSE(x/τ)``;
        ``τ·LSE(x/τ) − max x``; ``1 − Σ p²``.
    support : numpy.ndarray or None
        Per temperature, the number of nonzero ``p_i`` (sparse mappings only).
    unit : str
        ``"nats"`` or ``"bits"``.
    """

    method: str
    params: dict[str, Any]
    x: np.ndarray
    taus: np.ndarray
    p: np.ndarray
    max_p: np.ndarray
    entropy: np.ndarray
    tau_lse: np.ndarray
    lse_gap: np.ndarray
    gini: np.ndarray
    support: np.ndarray | None
    unit: str = "nats"
    seed_drawn: bool = field(default=False)

    @property
    def n(self) -> int:
        """Length of the vector."""
        return int(self.x.shape[0])

    @property
    def steps(self) -> int:
        """Number of temperatures."""
        return int(self.taus.shape[0])

    @property
    def n_finite(self) -> int:
        """Entries that are not ``-inf``: the support of the uniform limit."""
        return int(np.count_nonzero(~np.isneginf(self.x)))  # (no "> -inf": float8_e4m3fn)

    @property
    def max_x(self) -> float:
        """``max x``, the limit of ``τ·LSE(x/τ)`` as ``τ → 0``."""
        return float(self.x.max())

    @property
    def entropy_max(self) -> float:
        """``log n`` (over the finite entries) in ``unit``: the entropy of the uniform limit."""
        h = math.log(self.n_finite)
        return h / math.log(2) if self.unit == "bits" else h


def _check_vector(x: ArrayLike, dtype: Any) -> np.ndarray:
    a = as_float_array(x)
    if dtype is not None:
        a = a.astype(dtype)
    if a.ndim != 1:
        raise SoftmaxInputError(f"a sweep takes one vector of logits, got shape {a.shape}")
    if a.shape[0] == 0:
        raise SoftmaxInputError("cannot sweep an empty vector")
    if np.isnan(a).any():
        where = int(np.argmax(np.isnan(a)))
        raise SoftmaxInputError(f"cannot sweep a vector holding nan (entry {where})")
    if (a == np.inf).any():
        raise SoftmaxInputError(
            f"cannot sweep a vector holding +inf (entry {int(np.argmax(a == np.inf))}): "
            "it is one-hot at every temperature"
        )
    if np.isneginf(a).all():  # not "a > -inf": -inf is nan in float8_e4m3fn, which has none
        raise SoftmaxInputError("cannot sweep a vector of only -inf")
    return a


def sweep(
    x: ArrayLike,
    taus: ArrayLike | None = None,
    *,
    method: str | registry.Mapping = "softmax",
    bits: bool = False,
    dtype: Any = None,
    **params: Any,
) -> Sweep:
    """Run ``method`` on ``x/τ`` for every ``τ`` in ``taus`` and measure each result.

    Parameters
    ----------
    x : array_like
        One vector of logits (finite; ``-inf`` entries are allowed and get 0).
    taus : array_like, optional
        Temperatures (sorted and de-duplicated here); default :func:`tau_grid`.
    method : str or Mapping, optional
        A registry mapping whose output is a distribution (default ``softmax``).
    bits : bool, optional
        Entropy in bits instead of nats.
    dtype : dtype, optional
        Compute in this float dtype (default: that of ``x``; integers as float64).
    **params
        The mapping's parameters (``alpha=``, ``k=``, ``seed=`` ...). A
        stochastic mapping without a seed gets one drawn here, shared by
        every ``τ``, so the sweep follows one noise sample (it is recorded in
        ``params``).

    Returns
    -------
    Sweep

    Raises
    ------
    SoftmaxInputError
        A method that does not give a distribution, bad parameters or
        temperatures, a vector that is empty, holds ``nan`` or ``+inf``, or
        a sweep of more than :data:`MAX_VALUES` probabilities.

    Examples
    --------
    >>> s = sweep([1.0, 2.0, 2.5], [0.1, 1.0, 10.0], method="sparsemax")
    >>> s.support.tolist()
    [1, 2, 3]
    >>> s.p[1].tolist()
    [0.0, 0.25, 0.75]
    >>> float(sweep([0.0, 0.0], [1.0]).entropy[0]) == math.log(2)
    True
    """
    mapping = require_sweepable(method)
    a = _check_vector(x, dtype)
    grid = tau_grid() if taus is None else check_taus(np.atleast_1d(np.asarray(taus)).ravel())
    if grid.size * a.shape[0] > MAX_VALUES:
        raise SoftmaxInputError(
            f"a sweep of {grid.size} temperatures over {a.shape[0]} entries is "
            f"{grid.size * a.shape[0]:,} probabilities; the limit is {MAX_VALUES:,}: "
            "use fewer steps"
        )
    given = mapping.validate(params)
    drawn = False
    if mapping.stochastic and "seed" in given and given["seed"] is None:
        given["seed"] = int(np.random.SeedSequence().generate_state(1)[0])
        drawn = True
    p = np.empty((grid.size, a.shape[0]), dtype=a.dtype)
    lse = np.empty(grid.size, dtype=a.dtype)
    gap = np.empty(grid.size, dtype=a.dtype)
    with np.errstate(over="ignore"):  # -1e308 - 1e308 = -inf: a zero term of the gap's sum
        shifted = a.astype(working_dtype(a.dtype)) - a.max()
    for j, tau in enumerate(grid):
        p[j] = mapping.func(a, temperature=float(tau), **given)
        lse[j] = logsumexp(a, temperature=float(tau))
        gap[j] = logsumexp(shifted, temperature=float(tau))
    return Sweep(
        method=mapping.name,
        params=given,
        x=a,
        taus=grid,
        p=p,
        max_p=p.max(axis=-1),
        entropy=_by_rows(entropy, p, bits=bits),
        tau_lse=lse,
        lse_gap=gap,
        gini=_by_rows(gini, p),
        support=np.count_nonzero(p, axis=-1) if mapping.sparse else None,
        unit="bits" if bits else "nats",
        seed_drawn=drawn,
    )


def top_entries(s: Sweep, top: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The entries to show of a long vector: indices (ascending) and the mass of the rest.

    A vector of at most ``top`` entries is shown whole (rest ``None``);
    otherwise the ``top − 1`` entries holding the most mass over the sweep
    (for a monotone map, the largest logits), ties to the lower index, and
    per temperature the summed probability of all the others.

    Examples
    --------
    >>> s = sweep([5.0, 1.0, 4.0, 3.0, 2.0], [1.0, 10.0])
    >>> idx, rest = top_entries(s, 3)
    >>> idx.tolist(), rest.round(4).tolist()
    ([0, 2], [0.1295, 0.5393])
    >>> top_entries(s, 5)[1] is None
    True
    """
    if top < 2:
        raise SoftmaxInputError(f"{{param}} must be at least 2, got {top}", param="top")
    if s.n <= top:
        return np.arange(s.n), None
    mass = s.p.astype(np.float64).sum(axis=0)
    order = np.lexsort((np.arange(s.n), -mass))
    keep = np.sort(order[: top - 1])
    rest_mask = np.ones(s.n, dtype=bool)
    rest_mask[keep] = False
    rest = s.p[:, rest_mask].astype(working_dtype(s.p.dtype)).sum(axis=-1)
    return keep, rest
