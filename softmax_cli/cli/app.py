"""The typer application, its one error handler and the ``softmax`` entry point.

Exit statuses are :class:`ExitStatus`: 0 success; 1 bad input data (one line on
stderr); 2 bad usage or option value; 3 a ``--check`` failed; 130 interrupted;
141 the reader of stdout went away (``softmax compute big.csv | head -1``:
quietly, as ``yes | head -1`` does). Commands return a status or raise; only
:func:`main` turns an exception into a status and a line (:func:`_status`).
A library error about a parameter (``SoftmaxInputError.param``) is a bad option
value when the command has an option of that name: its message then names the
option's flag. ``--traceback`` anywhere on the command line shows the Python
traceback instead of the one-line message.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import re
import signal
import sys
import threading
from typing import Annotated, Optional

import typer

try:  # typer >= 0.20 vendors its own copy of click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc

from ..errors import OracleUnsure, SoftmaxInputError
from ..render.text import visible as escape_controls  # the one escape of user text

app = typer.Typer(
    name="softmax",
    help=(
        "Softmax and its alternatives, accurate, checked against an mpmath oracle.\n\n"
        "Examples:\n\n"
        "  softmax compute 1 2 3\n\n"
        "  cat examples/logits.csv | softmax compute - --method sparsemax > probs.csv\n\n"
        "  softmax methods\n\n"
        "Add --traceback anywhere to see a Python traceback on errors."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_NO_ARGS = getattr(click_exc, "NoArgsIsHelpError", click_exc.UsageError)


class ExitStatus(enum.IntEnum):
    """What ``softmax`` exits with (the README's table)."""

    OK = 0
    INPUT = 1  # bad input data
    USAGE = 2  # bad usage or option value
    CHECK = 3  # a --check failed
    INTERRUPTED = 130  # Ctrl-C
    PIPE = 141  # what a process killed by SIGPIPE reports, like `yes | head -1`


class OutputClosed(Exception):
    """The reader of stdout went away (``| head``); raised instead of BrokenPipeError.

    Not an OSError, so neither typer nor rich intercepts it on the way to :func:`main`.
    """


class _PipeGuard:
    """A proxy of stdout: a broken pipe becomes :class:`OutputClosed`, and Ctrl-C waits
    for the end of the row being written.

    SIGINT is blocked while a write is under way (a signal arriving inside a
    write can make the io stack drop bytes), so the write completes; the handler
    (:meth:`on_interrupt`) then only marks the interrupt as pending, and
    :class:`KeyboardInterrupt` is raised once the text written ends a line: stdout
    only ever holds whole rows. (A write blocked on a reader that never reads
    waits for it; SIGTERM still ends the process.)
    """

    def __init__(self, stream) -> None:
        self._stream = stream
        self.writing = False
        self.pending = False

    def _guarded(self, action, *args):
        if self._stream is None:  # stdout closed before we started (`softmax ... >&-`)
            raise OSError(errno.EBADF, "standard output is closed")
        self.writing = True
        masked = _block_sigint(True)
        try:
            return action(*args)
        except BrokenPipeError:
            raise OutputClosed from None
        finally:
            if masked:
                _block_sigint(False)  # a Ctrl-C that came meanwhile runs on_interrupt here
            self.writing = False

    def write(self, text: str) -> int:
        written = self._guarded(getattr(self._stream, "write", None), text)
        if self.pending and text.endswith("\n"):
            self.pending = False
            raise KeyboardInterrupt
        return written

    def flush(self) -> None:
        if self._stream is not None:
            self._guarded(self._stream.flush)

    def on_interrupt(self, signum, frame) -> None:
        """The SIGINT handler while :func:`main` runs."""
        if self.writing and not self.pending:
            self.pending = True
            return
        raise KeyboardInterrupt

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _version(value: bool) -> None:
    if value:
        from .. import __version__  # package metadata: read only when asked for

        typer.echo(f"softmax (softmax-lab) {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Softmax and its alternatives."""


#: command name -> the module that registers it (importing a module registers its command)
COMMAND_MODULES = {
    "calibrate": "calibrate",
    "compare": "compare",
    "compute": "compute",
    "grad": "grad",
    "lesson": "lesson",
    "methods": "methods",
    "sample": "sample",
    "temperature-sweep": "temperature_sweep",
}


def _register_commands(args: list[str] | None = None) -> None:
    """Import the command modules, each of which registers its command on :data:`app`.

    With ``args`` naming a command (its first word not starting with ``-``), only
    that command's module is imported: ``softmax compute 1 2 3`` does not pay for
    ``grad``'s or ``compare``'s imports. Anything else (no command, ``--help``, an
    unknown or misspelt command) imports them all, so help and suggestions list
    every command.
    """
    import importlib

    word = next((a for a in args or () if not a.startswith("-")), None)
    names = [COMMAND_MODULES[word]] if word in COMMAND_MODULES else COMMAND_MODULES.values()
    for name in names:
        importlib.import_module(f"{__package__}.{name}")
    order = [f"{__package__}.{name}" for name in COMMAND_MODULES.values()]

    def rank(info: typer.models.CommandInfo) -> int:
        module = getattr(info.callback, "__module__", None)
        return order.index(module) if module in order else len(order)

    app.registered_commands.sort(key=rank)  # the same order whatever was imported first


_NEGATIVE_WORD = re.compile(r"-(inf|infinity|nan)", re.IGNORECASE)


def _shield_negative_words(args: list[str]) -> list[str]:
    """Keep ``-inf``, ``-Infinity``, ``-nan`` (any case) as values, like ``-1000``.

    click reads ``-inf`` as ``-i nf`` (``--input nf``) and ``-Infinity`` as
    ``-f inity``; where such a word is not an option's argument it gets the
    U+2212 minus sign instead, which the readers take for ``-``.
    """
    if not any(_NEGATIVE_WORD.fullmatch(a.split(",")[0]) for a in args):
        return args
    from typer.main import get_command

    k = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    command = getattr(get_command(app), "commands", {}).get(args[k]) if k is not None else None
    if command is None:
        return args
    takes_value = {
        opt
        for p in command.params
        if p.param_type_name == "option" and not p.is_flag and not p.count
        for opt in p.opts
    }
    out = args[: k + 1]
    after_option = False
    for i in range(k + 1, len(args)):
        a = args[i]
        if a == "--":
            return out + args[i:]
        if not after_option and _NEGATIVE_WORD.fullmatch(a.split(",")[0]):
            a = "\u2212" + a[1:]
        after_option = not after_option and a in takes_value
        out.append(a)
    return out


def _command_of(args: list[str]):
    """The click command named in ``args`` and the position of its name, or (None, None)."""
    from typer.main import get_command

    k = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    command = getattr(get_command(app), "commands", {}).get(args[k]) if k is not None else None
    return command, k


def _reject_unknown_options(args: list[str]) -> None:
    """Raise a usage error for an unknown ``--word`` (or ``-x``) given to a command.

    The commands that take numbers let unknown options through as values, so that
    ``-1000`` and ``-1e-3`` stay numbers; a word that cannot be a number
    (``--input-format``, ``-x``) is an option the command lacks, and must not
    become data. Close matches are suggested.
    """
    command, k = _command_of(args)
    if command is None or not command.context_settings.get("ignore_unknown_options"):
        return
    known: set[str] = {"--help", "-h"}
    takes_value: set[str] = set()
    for p in command.params:
        if p.param_type_name != "option":
            continue
        names = [*p.opts, *getattr(p, "secondary_opts", [])]
        known.update(names)
        if not p.is_flag and not p.count:
            takes_value.update(names)
    after_option = False
    for a in args[k + 1 :]:
        if a == "--":
            return
        if after_option:
            after_option = False
            continue
        name = a.split("=", 1)[0] if a.startswith("--") else a
        if name in known:
            after_option = name in takes_value and "=" not in a
            continue
        if a.startswith("-") and not a.startswith("--") and a[:2] in takes_value:
            continue  # -ifile.csv: a short option with its value attached
        if _option_like(a):
            import difflib

            longs = sorted(o for o in known if o.startswith("--"))
            close = difflib.get_close_matches(name, longs, n=3, cutoff=0.6)
            if not close:
                close = [o for o in longs if o.startswith(name[:4])][:3] if len(name) > 3 else []
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise click_exc.UsageError(
                f"no such option {name} for '{args[k]}'{hint} (see 'softmax {args[k]} --help'; "
                f"put -- before values that start with a dash)"
            )


def _option_like(word: str) -> bool:
    """``--word`` or ``-x...`` that cannot be read as a number (``-inf``, ``-1e-3``, ``-.5``).

    Examples
    --------
    >>> [_option_like(w) for w in ("--input-format", "-x", "-1000", "-inf", "-1e-3", "-")]
    [True, True, False, False, False, False]
    """
    if word.startswith("--"):
        return len(word) > 2 and word[2].isalpha()
    return (
        word.startswith("-")
        and len(word) > 1
        and word[1].isalpha()
        and not _NEGATIVE_WORD.fullmatch(word.split(",")[0])
    )


def _error(message: str) -> None:
    sys.stderr.write(f"error: {escape_controls(message)}\n")
    sys.stderr.flush()


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def option_flags(args: list[str]) -> dict[str, str]:
    """The options of the command in ``args``: parameter name -> its long flag.

    Examples
    --------
    >>> _register_commands(["temperature-sweep"])
    >>> flags = option_flags(["temperature-sweep", "1", "2"])
    >>> flags["tau_min"], flags["k"], flags["id_column"]
    ('--min', '--top-k', '--id-column')
    """
    from typer.main import get_command

    word = next((a for a in args if not a.startswith("-")), None)
    command = getattr(get_command(app), "commands", {}).get(word)
    flags: dict[str, str] = {}
    for p in getattr(command, "params", ()):
        if p.param_type_name == "option" and p.name:
            long = [o for o in p.opts if o.startswith("--")]
            flags[p.name] = long[0] if long else p.opts[0]
            for off in getattr(p, "secondary_opts", ()):  # --no-header: "no_header"
                flags.setdefault(off.lstrip("-").replace("-", "_"), off)
    return flags


def _status(err: BaseException, args: list[str]) -> ExitStatus:
    """The one place an exception becomes an exit status (and, for most, one stderr line)."""
    if isinstance(err, OutputClosed):
        _quiet_stdout()
        return ExitStatus.PIPE
    if isinstance(err, _NO_ARGS):
        typer.echo(err.ctx.get_help() if err.ctx else str(err))
        return ExitStatus.OK
    if isinstance(err, click_exc.UsageError):
        hint = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
        _error(f"{err.format_message()}{hint}")
        return ExitStatus.USAGE
    if isinstance(err, (typer.Abort, KeyboardInterrupt)):
        return ExitStatus.INTERRUPTED
    if isinstance(err, SoftmaxInputError):
        flags = option_flags(args) if (err.param or err.also) else {}
        _error(err.naming(flags.get))
        return ExitStatus.USAGE if err.param in flags else ExitStatus.INPUT
    if isinstance(err, OracleUnsure):
        _error(f"the oracle cannot check this input: {err}; check a smaller slice or order")
        return ExitStatus.INPUT
    if isinstance(err, UnicodeEncodeError):  # stdout's encoding (PYTHONIOENCODING=ascii) lacks it
        bad = err.object[err.start : err.end] if isinstance(err.object, str) else "?"
        _error(
            f"cannot write output: {bad!r} has no {err.encoding} encoding; "
            "use a UTF-8 locale or PYTHONIOENCODING=utf-8"
        )
        return ExitStatus.INPUT
    if isinstance(err, MemoryError):
        _error("out of memory: the input is too big to hold at once; give fewer values per row")
        return ExitStatus.INPUT
    if isinstance(err, OSError):
        if err.errno == errno.EPIPE:
            _quiet_stdout()
            return ExitStatus.PIPE
        what = f"cannot read or write {err.filename}" if err.filename else "cannot write output"
        _error(f"{what}: {err.strerror or err}")
        return ExitStatus.INPUT
    raise err  # a programming error: its traceback is the report


#: Exceptions :func:`_status` reports; ``--traceback`` shows these as tracebacks instead
#: (all but the quiet ones: a closed pipe, Ctrl-C, a bare ``softmax``).
_REPORTED = (
    click_exc.UsageError,
    SoftmaxInputError,
    OracleUnsure,
    UnicodeEncodeError,
    MemoryError,
    OSError,
)
_QUIET = (OutputClosed, _NO_ARGS, typer.Abort, KeyboardInterrupt)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``softmax`` and ``python -m softmax_cli``; exits with the status code."""
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    show_traceback = "--traceback" in args[:cut]
    if show_traceback:
        args = [a for i, a in enumerate(args) if not (a == "--traceback" and i < cut)]
    _register_commands(args)
    real_stdout = sys.stdout
    guard = _PipeGuard(real_stdout)
    sys.stdout = guard  # type: ignore[assignment]
    handler = _install_sigint(guard.on_interrupt)
    code: int | None = None
    try:
        _reject_unknown_options(args)
        args = _shield_negative_words(args)
        code = app(args=args, prog_name="softmax", standalone_mode=False)
        guard.flush()
        if guard.pending:  # Ctrl-C during the last write: all of it is out, whole
            code = ExitStatus.INTERRUPTED
    except _QUIET as err:
        code = _status(err, args)
    except _REPORTED as err:
        if show_traceback and not (isinstance(err, OSError) and err.errno == errno.EPIPE):
            raise
        code = _status(err, args)
    finally:
        if code == ExitStatus.INTERRUPTED:  # the buffered rows are whole: let them out
            with contextlib.suppress(Exception, KeyboardInterrupt):
                guard.flush()
        sys.stdout = real_stdout
        _install_sigint(handler)
    sys.exit(int(code or 0))


def _block_sigint(block: bool) -> bool:
    """Block (or unblock) SIGINT in this thread; False where that is not possible."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        return False
    how = signal.SIG_BLOCK if block else signal.SIG_UNBLOCK
    signal.pthread_sigmask(how, {signal.SIGINT})
    return True


def _install_sigint(handler):
    """Set the SIGINT handler (main thread only); returns the previous one, or None."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, handler)
