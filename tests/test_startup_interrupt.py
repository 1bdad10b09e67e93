"""Ctrl-C while ``softmax`` is still importing exits 130 with nothing on stderr (issue 21).

The interrupt is sent from inside the child right after ``import softmax_cli`` (the
package's imports, and then the command's, are where a person's Ctrl-C lands while
the command starts), with ``sys.argv`` as the console script and ``python -m`` have
it at that moment; a program that only imports the library keeps KeyboardInterrupt.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import os, signal, sys, time
sys.argv = {argv!r}
import softmax_cli
os.kill(os.getpid(), signal.SIGINT)
time.sleep(5)
print("not interrupted")
"""


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = CHILD.format(argv=argv)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.parametrize("argv0", ["-m", "/usr/local/bin/softmax-py", "C:/Scripts/softmax-py.exe"])
def test_interrupt_while_the_command_starts_is_quiet(argv0):
    run = _run([argv0, "compute", "1", "2", "3"])
    assert run.returncode == 130, run.stderr
    assert run.stderr == ""
    assert "not interrupted" not in run.stdout


def test_a_program_importing_the_library_keeps_keyboard_interrupt():
    run = _run(["my_script.py"])
    assert "KeyboardInterrupt" in run.stderr
    assert run.returncode != 0
