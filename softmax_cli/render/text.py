"""The one escape for text that is not ours: ids, headers, file names, summaries, messages.

Rich reads ``[red]`` or ``[/INST]`` in a string as markup; a terminal obeys control
characters (an escape sequence in an id could clear the screen). Everything a user
typed, or a record holds, goes to rich through :func:`plain` (a :class:`~rich.text.Text`,
never parsed as markup) or :func:`escape` (a markup-safe ``str``, for the few places
that build markup around it); both spell control characters visibly first
(:func:`visible`).

Examples
--------
>>> visible("a\\x1b[2Jb\\tc")
'a\\\\x1b[2Jb\\\\tc'
>>> plain("[red]row1").plain
'[red]row1'
>>> from rich.console import Console
>>> console = Console(width=40, color_system=None)
>>> with console.capture() as cap:
...     console.print(escape("P[argmax(x + noise) = i] and [/INST]"))
>>> cap.get()
'P[argmax(x + noise) = i] and [/INST]\\n'
"""

from __future__ import annotations

import re

from rich.markup import escape as _markup_escape
from rich.text import Text

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# C0 controls, DEL, C1 controls, and the bidi overrides/isolates that reorder a line
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _spell(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every control character spelled out (``\\x1b``, ``\\n``, ``\\u202e``).

    Examples
    --------
    >>> visible("id\\n2"), visible(3)
    ('id\\\\n2', '3')
    """
    s = str(text)
    return _CONTROL.sub(_spell, s) if _CONTROL.search(s) else s


def plain(text: object, style: str = "") -> Text:
    """User or summary text as a rich :class:`~rich.text.Text`: shown verbatim, never markup.

    Examples
    --------
    >>> plain("a[/b]").plain, plain("x\\ty").plain
    ('a[/b]', 'x\\\\ty')
    """
    return Text(visible(text), style=style)


def escape(text: object) -> str:
    """User or summary text as a markup-safe ``str`` (controls spelled, ``[`` escaped).

    Examples
    --------
    >>> escape("[red]x")
    '\\\\[red]x'
    """
    return _markup_escape(visible(text))
