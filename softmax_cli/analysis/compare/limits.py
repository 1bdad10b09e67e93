"""Limits and costs of a comparison: oracle precision, vector length, the "wrong" threshold."""

from __future__ import annotations

import sys

from ... import oracle
from ...errors import SoftmaxInputError
from .. import duration_text

#: An error above this many ULP (two bits) times the condition number is "wrong".
LOST_ULP = 4.0
#: The oracle is evaluated again at ``dps + GUARD_DPS`` digits to check the printed digits.
GUARD_DPS = 10
#: Below 25 digits the oracle is barely more precise than longdouble (~19.3 digits)
#: plus the margin needed to round 17 digits correctly.
MIN_DPS = 25
#: The oracle's own limit less the guard digits (it also runs at ``dps + GUARD_DPS``);
#: one ``exp`` already takes ~40 ms there.
MAX_DPS = oracle.MAX_DPS - GUARD_DPS
#: Digits of the oracle value shown.
ORACLE_DIGITS = 17
#: Vectors longer than this get a cost warning; longer than MAX_ENTRIES are refused.
WARN_ENTRIES = 10_000
#: About 25 s of work at 50 digits (measured: ~2.5 s per 10 000 entries, on one core).
MAX_ENTRIES = 100_000
#: Seconds of work per entry at 50 digits (measured: two oracle runs, three ULP measures,
#: flags, condition numbers and correctly rounded digits; about 3x the time on a quiet
#: machine, 0.9e-4, so that the estimate is an upper bound on a loaded one).
_SECONDS_PER_ENTRY = 2.5e-4
#: How that grows with the digits: (dps / 50) ** _DPS_EXPONENT. Measured per entry on a
#: quiet machine: 0.7 ms at 1000 digits, 15 ms at 5000, 56 ms at 9990 (exponents 0.7,
#: 1.1, 1.2 over 50 digits); 1.25 keeps the estimate above each.
_DPS_EXPONENT = 1.25
#: Longest estimated time for one vector: a longer one is refused (at 50 digits
#: MAX_ENTRIES binds first; at 9990 digits about 600 entries pass).
MAX_ROW_SECONDS = 120.0


def check_dps(dps: int) -> int:
    """Return ``dps`` if the oracle can work at it, else raise :class:`SoftmaxInputError`.

    Examples
    --------
    >>> check_dps(50)
    50
    """
    if isinstance(dps, bool) or not float(dps).is_integer() or not MIN_DPS <= dps <= MAX_DPS:
        raise SoftmaxInputError(
            f"{{param}} must be between {MIN_DPS} and {MAX_DPS}, got {dps}: with fewer digits "
            f"the oracle is not clearly more precise than longdouble (~19 digits); {MAX_DPS} "
            "is the oracle's limit (one exp takes ~40 ms there)",
            param="dps",
        )
    return int(dps)


def estimated_seconds(n: int, dps: int) -> float:
    """Rough oracle time for a vector of ``n`` entries at ``dps`` digits (measured at 50).

    Examples
    --------
    >>> round(estimated_seconds(10_000, 50), 1)
    2.5
    """
    return n * _SECONDS_PER_ENTRY * max(1.0, dps / 50) ** _DPS_EXPONENT


def check_size(n: int, dps: int) -> str | None:
    """A one-line cost warning for a long vector, None for a short one; refuse past the cap.

    Examples
    --------
    >>> check_size(5, 50) is None
    True
    >>> check_size(20_000, 50).startswith("warning:")
    True
    >>> try:
    ...     check_size(10_000, 9990)
    ... except SoftmaxInputError as err:
    ...     print(str(err)[:58])
    a vector of 10000 entries at 9990 digits would take about
    """
    cap, warn = _size_limit("MAX_ENTRIES"), _size_limit("WARN_ENTRIES")
    if n > cap:
        raise SoftmaxInputError(
            f"a vector of {n} entries is past compare's cap of {cap} (every entry is "
            f"evaluated in arbitrary precision, about {estimated_seconds(cap, 50):.0f} s "
            f"at the cap); compare a slice, or use 'softmax compute' for the values alone"
        )
    sec = estimated_seconds(n, dps)
    if sec > MAX_ROW_SECONDS:
        per = estimated_seconds(1, dps)
        raise SoftmaxInputError(
            f"a vector of {n} entries at {dps} digits would take about {duration_text(sec)} "
            f"({per:.2g} s an entry; compare's cap is {MAX_ROW_SECONDS:.0f} s a vector, at "
            f"most {int(MAX_ROW_SECONDS / per)} entries at {dps} digits): lower the precision "
            "or compare a slice"
        )
    if n > warn or sec > 10:
        return (
            f"warning: the oracle evaluates {n} entries at {dps} digits: about "
            f"{sec:.0f} s per vector"
        )
    return None


def _size_limit(name: str) -> int:
    """``WARN_ENTRIES``/``MAX_ENTRIES`` as the package facade holds them now.

    ``softmax_cli.analysis.compare.MAX_ENTRIES`` is the documented knob (tests
    lower it); the facade's value wins over this module's.
    """
    facade = sys.modules.get(__package__ or "")
    return int(getattr(facade, name, globals()[name]))
