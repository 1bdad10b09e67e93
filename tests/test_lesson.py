"""``softmax lesson``: start to end in a pipe, and on an 80-column pseudo-terminal with keys.

The pty run sends the keys a teacher would press (space to go on, ``b`` to go back,
``q`` to stop), renders the screen with a terminal emulator (pyte) and checks it as
tests/test_terminal.py does: no traceback, no number cut or wrapped.
"""

from __future__ import annotations

import os
import select
import sys
import time

import pytest

from softmax_cli.lesson import STEPS, command_line
from tests.conftest import ROOT, run_shell
from tests.terminal import Screen, problems

ptyprocess = pytest.importorskip("ptyprocess")
pyte = pytest.importorskip("pyte")


def test_the_whole_lesson_runs_in_a_pipe_as_plain_text():
    r = run_shell("softmax lesson | cat")
    assert r.code == 0, r.err
    assert r.err == "" and "\x1b[" not in r.out
    for k, step in enumerate(STEPS, 1):
        assert f"Step {k} of {len(STEPS)}: {step.title}" in r.out
        assert f"$ {command_line(step)}"[:60] in r.out.replace("\n", "")
    assert "press" not in r.out and "q: quit" not in r.out  # no prompt in a pipe
    stall, fixed = r.out.split("Step 9 of")
    assert "the running sum stalls at 256" in stall and "0.00390625" in stall
    assert "sums in float32" in fixed and "0.00390625" not in fixed


def test_step_only_shows_one_step_and_a_bad_step_is_one_line(cli):
    r = cli("lesson", "--step", "5", "--only")
    assert r.code == 0, r.err
    assert "Step 5 of 9: log1p" in r.out and "Step 4" not in r.out and "Step 6" not in r.out
    assert "✗" in r.out  # --explain marks the step where the digits went
    r = cli("lesson", "--step", "0")
    assert r.code == 2 and r.err == "error: --step must be between 1 and 9, got 0\n"


def _run_with_keys(keys: str, width: int = 80, rows: int = 50) -> tuple[Screen, int]:
    """``softmax lesson`` on a pty: send one key each time the prompt shows; the screen."""
    env = dict(os.environ, COLUMNS=str(width), LINES=str(rows), TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = ptyprocess.PtyProcess.spawn(
        [sys.executable, "-m", "softmax_cli", "lesson"], dimensions=(rows, width), env=env,
        cwd=str(ROOT),
    )  # fmt: skip
    screen = pyte.HistoryScreen(width, rows, history=100_000)
    stream = pyte.ByteStream(screen)
    raw, sent, pending = b"", 0, list(keys)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.fd], [], [], 0.5)
        if ready:
            try:
                data = proc.read(65536)
            except EOFError:
                break
            raw += data
            stream.feed(data)
        prompts = raw.count(b"q: quit") + raw.count(b"any other key: quit")
        if pending and prompts > sent:
            proc.write(pending.pop(0).encode())
            sent += 1
    else:
        proc.terminate(force=True)
        raise TimeoutError("softmax lesson still running after 120 s")
    proc.wait()
    history = [
        "".join(ch.data for ch in (row[x] for x in range(width))).rstrip()
        for row in screen.history.top
    ]
    lines = history + [line.rstrip() for line in screen.display]
    return Screen(lines, raw, proc.exitstatus), sent


def test_the_lesson_runs_start_to_end_on_an_80_column_terminal():
    screen, sent = _run_with_keys(" " * len(STEPS))
    assert screen.status == 0, screen.text[-2000:]
    assert sent == len(STEPS)  # a prompt after every step, the last one included
    text = screen.text
    for k, step in enumerate(STEPS, 1):
        assert f"Step {k} of {len(STEPS)}: {step.title}" in text
    assert "end of the lesson" in text
    assert problems(screen) == []
    assert all(len(line) <= 80 for line in screen.lines)


def test_keys_go_back_and_quit():
    screen, sent = _run_with_keys(" bq")
    assert screen.status == 0 and sent == 3
    titles = [line for line in screen.lines if "Step " in line and " of 9: " in line]
    assert [t.split(":")[0].strip("─ ") for t in titles] == ["Step 1 of 9", "Step 2 of 9",
                                                             "Step 1 of 9"]  # fmt: skip
