"""Ctrl-C while the ``softmax`` command is still importing: exit 130, no traceback.

Imported first by the package, before numpy, typer and rich. When this process is
the command (the ``softmax-py`` console script that the ``softmax`` launcher runs, or
``python -m softmax_cli`` while the package is being located, when ``sys.argv[0]`` is
``"-m"``), SIGINT ends the process with
status 130 at once until the command installs its own handler. Raising instead
would not do: an exception raised inside an extension module's import comes out
as numpy's ImportError essay. A program that merely imports the library keeps
Python's ``KeyboardInterrupt``.

Examples
--------
>>> _is_command(["-m"]), _is_command(["/usr/bin/softmax-py", "compute"]), _is_command(["x.py"])
(True, True, False)
"""

from __future__ import annotations

import os
import signal
import sys

_INTERRUPTED = 130


def _is_command(argv: list[str]) -> bool:
    """Whether ``argv`` is that of the ``softmax`` command (or ``-m`` being located)."""
    if not argv:
        return False
    name = os.path.basename(argv[0]).lower()
    return argv[0] == "-m" or name.removesuffix(".exe").removesuffix("-script.py") in (
        "softmax",
        "softmax-py",
    )


def _quiet_exit(signum: int, frame: object) -> None:
    for stream in (sys.stdout, sys.stderr):  # nothing is written while starting; be safe
        try:
            stream.flush()
        except Exception:  # exiting anyway
            pass
    os._exit(_INTERRUPTED)


def quiet_interrupt_while_starting() -> None:
    """Make SIGINT exit 130 quietly if this process is the command (main thread only)."""
    if (
        not _is_command(sys.argv)
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        return
    try:
        signal.signal(signal.SIGINT, _quiet_exit)
    except ValueError:  # not the main thread
        return


quiet_interrupt_while_starting()
