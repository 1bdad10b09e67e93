"""Run the installed ``softmax`` in a pseudo-terminal and render what a person sees.

:func:`run_tty` starts ``python -m softmax_cli`` (the installed entry point) on a pty of
a given width, optionally with stdin redirected from a file or a pipe, feeds everything
it writes to a terminal emulator (pyte), and returns the final screen, the scrollback,
the raw bytes and the exit status. :func:`problems` lists what a person would call
broken on that screen: a traceback, a number cut by an ellipsis or wrapped across lines,
a number glued to other text, a progress bar left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from .warmstart import WarmServer
from .warmstart import shell_function as warm_function

ptyprocess = __import__("pytest").importorskip("ptyprocess")
pyte = __import__("pytest").importorskip("pyte")

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Screen:
    lines: list[str]  #: scrollback and screen, trailing blanks stripped
    raw: bytes
    status: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def run_tty(
    args: list[str],
    width: int,
    *,
    stdin_file: str | None = None,
    pipe_from: str | None = None,
    stdout_file: str | None = None,
    rows: int = 50,
) -> Screen:
    """``softmax ARGS`` on a ``width``-column pty; stdin from a file (``<``) or ``cat | ``,
    stdout to the terminal or (``stdout_file``) redirected to a file (``>``)."""
    env = dict(os.environ, COLUMNS=str(width), LINES=str(rows), TERM="xterm-256color")
    for name in ("NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "softmax_cli", *args]
    if stdin_file is not None or pipe_from is not None or stdout_file is not None:
        import shlex

        line = " ".join(shlex.quote(a) for a in cmd)
        if stdin_file is not None:
            line += f" < {shlex.quote(stdin_file)}"
        elif pipe_from is not None:
            line = f"cat {shlex.quote(pipe_from)} | {line}"
        if stdout_file is not None:
            line += f" > {shlex.quote(stdout_file)}"
        cmd = ["/bin/sh", "-c", line]
    return _screen(cmd, width, rows, env, ROOT)


def run_tty_shell(
    command: str, width: int = 80, *, rows: int = 50, cwd: str | Path = ROOT
) -> Screen:
    """A bash command line on a ``width``-column pty, as a person types it in a terminal.

    ``softmax`` is a shell function running this checkout (as in the README tests); stdin,
    stdout and stderr are the terminal unless the line redirects them.
    """
    env = dict(os.environ, COLUMNS=str(width), LINES=str(rows), TERM="xterm-256color")
    for name in ("NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    prelude = f'softmax() {{ "{sys.executable}" -m softmax_cli "$@"; }}\n'
    return _screen(["bash", "-c", prelude + command], width, rows, env, cwd)


def _screen(cmd: list[str], width: int, rows: int, env: dict[str, str], cwd) -> Screen:
    """Run ``cmd`` on a pty and render everything it writes; killed after two minutes."""
    proc = ptyprocess.PtyProcess.spawn(cmd, dimensions=(rows, width), env=env, cwd=str(cwd))
    screen = pyte.HistoryScreen(width, rows, history=100_000)
    stream = pyte.ByteStream(screen)
    raw = b""
    deadline = time.monotonic() + 120
    while True:
        if time.monotonic() > deadline:
            proc.terminate(force=True)
            raise TimeoutError(f"{cmd!r} still running after 120 s (waiting for input?)")
        ready, _, _ = select.select([proc.fd], [], [], 1.0)
        if not ready:
            continue
        try:
            data = proc.read(65536)
        except EOFError:
            break
        raw += data
        stream.feed(data)
    proc.wait()
    history = [
        "".join(ch.data for ch in (row[x] for x in range(width))).rstrip()
        for row in screen.history.top
    ]
    lines = history + [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return Screen(lines, raw, proc.exitstatus if proc.exitstatus is not None else -1)


# a number whose tail was cut off: digits then an ellipsis ("4.90645…", "0…")
_CUT = re.compile(r"\d[.\d]*…")
# a line that ends inside a number's exponent or right after its "e"
_WRAPPED_EXP = re.compile(r"\d[eE][-+]?$")
_BAR = re.compile(r"━━|\d+%|\d+/\? rows|rows\w")


def problems(screen: Screen) -> list[str]:
    """What a person would see as broken: each a short description with the line."""
    out = []
    if "Traceback" in screen.text:
        out.append("a traceback")
    for line in screen.lines:
        if _CUT.search(line):
            out.append(f"a number cut: {line!r}")
        if _WRAPPED_EXP.search(line):
            out.append(f"a number wrapped mid-exponent: {line!r}")
        if _BAR.search(line):
            out.append(f"a progress bar left on screen: {line!r}")
    return out


MARK = "@@softmax-tty-mark"


@dataclass
class Segment:
    """One command's share of a batched session: what it put on the screen, its status."""

    command: str
    lines: list[str]
    status: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def screen(self) -> Screen:
        return Screen(self.lines, b"", self.status)


def run_tty_batch(
    commands: list[str], cwds: dict[int, Path], *, rows: int = 50, warm: Collection[int] = ()
) -> dict[int, list[Segment]]:
    """Every command, in order, on one pty per width; the widths' sessions run at once.

    Each width (a key of ``cwds``, run in that directory: one per width, so that
    commands writing files do not race) gets one bash session (``softmax`` bound to
    this checkout, as in :func:`run_tty_shell`) that runs the commands one after
    another, a marker line with the exit status after each; the sessions of the widths
    run concurrently (one process each, so two cores share the work). Returns, per
    width, one :class:`Segment` per command, cut from the rendered scrollback at the
    markers. Python's start-up dominates a run: batching saves the pty and shell
    start-up, concurrency the rest.

    In the sessions of the widths in ``warm``, ``softmax`` runs in a child forked from
    an interpreter that imported the program once (``tests/warmstart.py``): the same
    program writing to the same terminal, without the 0.4 s start-up per command.
    """
    body = "".join(f"{c}\nprintf '\\n{MARK} %d %d\\n' {k} $? \n" for k, c in enumerate(commands))
    with contextlib.ExitStack() as stack:
        spawned = {}
        for width, cwd in cwds.items():
            env = dict(os.environ, COLUMNS=str(width), LINES=str(rows), TERM="xterm-256color")
            for name in ("NO_COLOR", "FORCE_COLOR"):
                env.pop(name, None)
            env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
            prelude = f'softmax() {{ "{sys.executable}" -m softmax_cli "$@"; }}\n'
            if width in warm:
                # a short directory: a Unix socket's path holds at most 107 bytes
                short = "/tmp" if os.path.isdir("/tmp") else None
                sockets = stack.enter_context(tempfile.TemporaryDirectory(dir=short))
                stack.enter_context(WarmServer(env, cwd, sockets))
                prelude = warm_function()
            proc = ptyprocess.PtyProcess.spawn(
                ["bash", "-c", prelude + body], dimensions=(rows, width), env=env, cwd=str(cwd)
            )
            screen = pyte.HistoryScreen(width, rows, history=1_000_000)
            spawned[proc.fd] = (width, proc, screen, pyte.ByteStream(screen))
        _render_all(spawned, len(commands))
    return _segments(spawned, commands)


def _render_all(spawned: dict, count: int) -> None:
    """Feed each session's output to its screen until every session has ended."""
    deadline = time.monotonic() + 60 + 10 * count
    open_fds = set(spawned)
    while open_fds:
        if time.monotonic() > deadline:
            for _, proc, _, _ in spawned.values():
                proc.terminate(force=True)
            raise TimeoutError(f"a batch of {count} commands is still running")
        ready, _, _ = select.select(list(open_fds), [], [], 1.0)
        for fd in ready:
            _, proc, _, stream = spawned[fd]
            try:
                stream.feed(proc.read(65536))
            except EOFError:
                open_fds.discard(fd)


def _segments(spawned: dict, commands: list[str]) -> dict[int, list[Segment]]:
    """Each session's rendered scrollback cut at the markers: a segment per command."""
    out: dict[int, list[Segment]] = {}
    for width, proc, screen, _ in spawned.values():
        proc.wait()
        lines = [
            "".join(ch.data for ch in (row[x] for x in range(width))).rstrip()
            for row in screen.history.top
        ] + [line.rstrip() for line in screen.display]
        segments, current = [], []
        for line in lines:
            if line.startswith(MARK):
                k, status = map(int, line[len(MARK) :].split())
                while current and not current[-1]:
                    current.pop()
                segments.append(Segment(commands[k], current, status))
                current = []
            else:
                current.append(line)
        if len(segments) != len(commands):
            raise AssertionError(f"{len(segments)} of {len(commands)} commands ran at {width}")
        out[width] = segments
    return out
