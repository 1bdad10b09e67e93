"""A warm ``softmax`` for pty sessions: one interpreter imports the program once, each
command line runs in a child forked from it.

A pty session of a hundred command lines spends nearly all its CPU starting Python
and importing numpy, typer, rich and the package (about 0.4 s a command).
:class:`WarmServer` does those imports once (:func:`preload`) and listens on a Unix
socket. In the session, ``softmax`` is a shell
function running this file as a client (``python -I -S``: no site, about 20 ms), which
hands the server its stdin, stdout and stderr (the terminal, a pipe or a file, as the
command line set them up), its argument list, working directory and environment. The
server forks; the child takes those as its own, rebuilds ``sys.stdin/stdout/stderr``
as a fresh interpreter builds them (line-buffered on a terminal), runs
``softmax_cli.__main__`` as ``python -m`` does, flushes as interpreter exit does,
closes the three descriptors and sends the client its exit status, which the client
exits with. What the program writes goes straight to the terminal, as from a fresh
process; only the start-up is shared.

Use it where a test is about what the screen shows, not about start-up: the README
and help-example sessions at 60 and 120 columns (the 80-column session still starts a
fresh ``python -m softmax_cli`` per command). Start-up itself (lazy imports, the
launcher) is tested by tests/test_launcher.py and tests/test_startup_interrupt.py.
"""

from __future__ import annotations

import json
import os
import socket
import sys

CLIENT = os.path.abspath(__file__)  # the client runs this file: few imports, no pathlib
SOCKET_ENV = "SOFTMAX_TEST_WARM_SOCKET"
_LEN = 8  # the request's length prefix, in bytes


def shell_function(python: str = sys.executable) -> str:
    """The bash definition of ``softmax`` that runs a command in the warm server."""
    return f'softmax() {{ "{python}" -I -S "{CLIENT}" run "$@"; }}\n'


class WarmServer:
    """A server process for one session (its environment is the session's), listening
    on ``warm.sock`` in ``socket_dir`` (a directory of its own); a context manager that
    stops it. ``env`` gets :data:`SOCKET_ENV` for the session to pass on."""

    def __init__(self, env: dict[str, str], cwd, socket_dir) -> None:
        import subprocess

        path = os.path.join(socket_dir, "warm.sock")
        env[SOCKET_ENV] = path
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.warmstart", "serve", path],
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if ready.strip() != "ready":
            self.close()
            raise RuntimeError(f"the warm softmax server did not start: {ready!r}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> WarmServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def preload() -> list[str]:
    """Import every module of the package but the command modules (each registers its
    command on the app when imported: a child imports the one it runs, as
    ``python -m softmax_cli`` does) and ``__main__``; returns their names.

    Their third-party imports come along (numpy, typer, rich, mpmath): all single-
    threaded at import, so a fork copies them whole. polars, pyarrow and matplotlib,
    which start threads or read the environment when first used, stay lazy.
    """
    import importlib
    import pkgutil

    import softmax_cli
    from softmax_cli.cli.app import COMMAND_MODULES

    skip = {f"softmax_cli.cli.{name}" for name in COMMAND_MODULES.values()}
    skip.add("softmax_cli.__main__")
    names = [
        m.name
        for m in pkgutil.walk_packages(softmax_cli.__path__, "softmax_cli.")
        if m.name not in skip
    ]
    for name in names:
        importlib.import_module(name)
    stray = sorted(m for m in (*skip, "polars", "pyarrow", "matplotlib") if m in sys.modules)
    if stray:  # a command registered, or a threaded library loaded, before any command ran
        raise RuntimeError(f"preloading the package imported {stray}")
    return names


def serve(path: str) -> None:
    """Import the program, listen on ``path``, fork a child per connection; on SIGTERM
    wait for the children still running, then exit."""
    import signal

    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    try:
        while True:
            conn, _ = listener.accept()
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a fresh process
                listener.close()
                _child(conn)  # never returns
            conn.close()
            _reap(os.WNOHANG)
    finally:
        _reap(0)


def _reap(flags: int) -> None:
    """Collect ended children (``flags=0``: wait for all of them)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, flags)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    size = int.from_bytes(data[:_LEN], "big")
    data = data[_LEN:]
    while len(data) < size:
        more = conn.recv(1 << 16)
        if not more:
            raise EOFError("the client hung up mid-request")
        data += more
    return json.loads(data), fds


def _stdio(fd: int, mode: str, like):
    """A text stream on ``fd`` as the interpreter makes one at start-up (CPython's
    ``create_stdio``): the encoding and errors of the server's own stream ``like``
    (same environment), unbuffered writes under ``-u``/``PYTHONUNBUFFERED``, else
    line-buffered on a terminal and for stderr; newlines untranslated."""
    import io

    unbuffered = mode == "w" and bool(getattr(like, "write_through", False))
    raw = io.open(fd, mode + "b", buffering=0 if unbuffered else -1, closefd=False)  # noqa: UP020
    return io.TextIOWrapper(
        raw,
        encoding=like.encoding,
        errors=like.errors,
        newline="\n",
        line_buffering=mode == "w" and not unbuffered and (os.isatty(fd) or fd == 2),
        write_through=unbuffered,
    )


def _child(conn: socket.socket) -> None:
    """Become the command: its descriptors, directory, environment, argv; run; report."""
    import atexit
    import runpy
    import threading

    code = 1
    try:
        request, fds = _receive(conn)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        like = sys.stdin, sys.stdout, sys.stderr
        sys.stdin = sys.__stdin__ = _stdio(0, "r", like[0])
        sys.stdout = sys.__stdout__ = _stdio(1, "w", like[1])
        sys.stderr = sys.__stderr__ = _stdio(2, "w", like[2])
        sys.argv = ["-m", *request["argv"]]
        try:
            runpy.run_module("softmax_cli", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, (int, type(None))):
                print(exc.code, file=sys.stderr)
        threading._shutdown()  # as at interpreter exit: wait for non-daemon threads
        atexit._run_exitfuncs()
        for name in ("stdout", "stderr"):
            try:
                getattr(sys, name).flush()
            except Exception as exc:  # as Python reports a failed flush at exit
                code = 120 if code == 0 else code
                print(f"Exception ignored on flushing sys.{name}:\n{exc!r}", file=sys.stderr)
    except BaseException as exc:  # a fault of this harness, not of the program
        code = 70
        print(f"warm softmax: {exc!r}", file=sys.__stderr__ or sys.stderr)
    finally:
        for fd in (0, 1, 2):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            conn.sendall(int(code).to_bytes(4, "big", signed=True))
        finally:
            os._exit(code & 0xFF)


def client(argv: list[str]) -> int:
    """Send this process's stdin/stdout/stderr and command line; return the status."""
    payload = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(os.environ[SOCKET_ENV])
        message = len(payload).to_bytes(_LEN, "big") + payload
        sent = socket.send_fds(conn, [message], [0, 1, 2])
        if sent < len(message):  # never sendall(b""): a quick command may have ended and
            conn.sendall(message[sent:])  # closed its end, and an empty send then fails EPIPE
        status = b""
        while len(status) < 4:
            more = conn.recv(4 - len(status))
            if not more:
                os.write(2, b"warm softmax: the command ended without a status\n")
                return 70
            status += more
    return int.from_bytes(status, "big", signed=True) & 0xFF


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:  # the client: python -I -S tests/warmstart.py run ARGS
        sys.exit(client(sys.argv[2:]))
    if sys.argv[1:2] == ["serve"] and len(sys.argv) == 3:
        serve(sys.argv[2])
    else:
        sys.exit(__doc__)
