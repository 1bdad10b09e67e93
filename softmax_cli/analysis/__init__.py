"""Pure analyses behind the commands: functions returning result records, no printing."""

from __future__ import annotations

__all__ = ["duration_text"]


def duration_text(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.1 h``: a rough duration for people (estimates, caps).

    Examples
    --------
    >>> duration_text(45.2), duration_text(700), duration_text(11_000)
    ('45 s', '12 min', '3.1 h')
    """
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
