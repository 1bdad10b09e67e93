"""The warm ``softmax`` (tests/warmstart.py) shows on a terminal exactly what a fresh one shows.

The README and help-example sessions at 60 and 120 columns run ``softmax`` forked from
an interpreter that imported the program once. Here the same command lines run in a
fresh-process session and in a warm one on 60-column ptys, and every screen and exit
status must be identical: a table, an error and a usage error, a pipe into and out of
the program, a pipe closed early, a full disk, a command substitution, the help.
"""

from __future__ import annotations

import shutil

import pytest

from tests.terminal import ROOT, run_tty_batch

pytestmark = pytest.mark.xdist_group("warm")  # one worker: the sessions run once

COMMANDS = [
    "softmax compute 1 2 3",
    "softmax compute 1 abc 3",
    "softmax compute --precision x 1 2",
    "printf '1,2,3\\n4,5,6\\n' | softmax compute - --format csv",
    "softmax compute --input examples/logits.json | softmax compute - -m entmax15 --format csv",
    "softmax compare 1 2 3 --format csv | head -1",
    "softmax compute 1 2 > /dev/full",
    'softmax compute 2 1 0 --temperature "$(softmax compute -m logsumexp 0 0 --format csv)"',
    "softmax --help",
]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    out = {}
    for warm in (False, True):
        d = tmp_path_factory.mktemp("warm" if warm else "fresh")
        shutil.copytree(ROOT / "examples", d / "examples")
        out[warm] = run_tty_batch(COMMANDS, {60: d}, warm=(60,) if warm else ())[60]
    return out


@pytest.mark.parametrize("k", range(len(COMMANDS)), ids=[c[:40] for c in COMMANDS])
def test_a_warm_command_shows_what_a_fresh_one_shows(sessions, k):
    fresh, warm = sessions[False][k], sessions[True][k]
    assert (warm.status, warm.lines) == (fresh.status, fresh.lines), (fresh.text, warm.text)


def test_the_commands_cover_success_and_each_failure(sessions):
    statuses = [s.status for s in sessions[False]]
    assert statuses == [0, 1, 2, 0, 0, 0, 1, 0, 0], [s.text for s in sessions[False]]
    assert all(s.lines for s in sessions[False][:6]), "each of these shows something"


def test_the_client_survives_a_command_that_ends_before_its_last_send(tmp_path, monkeypatch):
    # The whole request fits in the first send; a quick command can then run, report and
    # close its end before the client goes on. A zero-length sendall on that closed socket
    # failed with EPIPE (seen in CI as a BrokenPipeError on the screen): the client must
    # send nothing more and read the status that is already waiting.
    import os
    import socket
    import threading

    from tests import warmstart

    path = str(tmp_path / "w.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    served = threading.Event()

    def server() -> None:
        conn, _ = listener.accept()
        request, fds = warmstart._receive(conn)
        for fd in fds:
            os.close(fd)
        assert request["argv"] == ["compute", "1"]
        conn.sendall((3).to_bytes(4, "big", signed=True))
        conn.close()
        served.set()

    thread = threading.Thread(target=server)
    thread.start()
    real_send_fds = socket.send_fds

    def send_then_wait(conn, buffers, fds):  # the command ends before the client goes on
        sent = real_send_fds(conn, buffers, fds)
        assert served.wait(10)
        return sent

    monkeypatch.setenv(warmstart.SOCKET_ENV, path)
    monkeypatch.setattr(socket, "send_fds", send_then_wait)
    try:
        assert warmstart.client(["compute", "1"]) == 3
    finally:
        thread.join(10)
        listener.close()
