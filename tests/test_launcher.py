"""The installed ``softmax`` command: the shell launcher in front of ``softmax-py`` (issue 18).

CPython refuses to start when standard input is a directory (``init_sys_streams``),
before any of the project's code runs; the launcher answers that case with one line
and passes everything else to the Python entry point unchanged. These tests run the
launcher that ``pip install`` put beside the interpreter, as a person's shell would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
LAUNCHER = BIN / "softmax"
ROOT = Path(__file__).resolve().parent.parent


def _run(argv: list[str], stdin=None, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        argv, stdin=stdin, capture_output=True, env=env, timeout=120, cwd=cwd, check=False
    )


def test_the_launcher_is_installed_beside_the_interpreter():
    # the README's install command puts both there; a missing one is an install bug
    assert LAUNCHER.is_file() and os.access(LAUNCHER, os.X_OK)
    assert (BIN / "softmax-py").is_file()
    assert LAUNCHER.read_bytes().startswith(b"#!/bin/sh\n")


@pytest.mark.parametrize("path", ["/", "/tmp"])
def test_standard_input_a_directory_is_one_line_exit_1(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        run = _run([str(LAUNCHER), "compute", "-"], stdin=fd)
    finally:
        os.close(fd)
    assert run.returncode == 1
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: standard input ({path}) is a directory")
    assert "--input" in lines[0]
    assert run.stdout == b""


def test_python_itself_would_have_stopped_there():
    # what the launcher is for: the interpreter's own multi-line fatal error
    fd = os.open("/", os.O_RDONLY)
    try:
        run = _run([sys.executable, "-m", "softmax_cli", "compute", "-"], stdin=fd)
    finally:
        os.close(fd)
    assert b"Fatal Python error" in run.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["compute", "1", "2", "3"],
        ["compute", "-1000", "-inf", "-1e-3"],
        ["compute", "--method", "sparsemax", "--", "-1", "2 ", "3"],
        ["compute", "--bogus", "1"],
        ["compute", "1", "x"],
    ],
)
def test_arguments_output_and_status_pass_through_unchanged(argv):
    via_launcher = _run([str(LAUNCHER), *argv], stdin=subprocess.DEVNULL)
    direct = _run([sys.executable, "-m", "softmax_cli", *argv], stdin=subprocess.DEVNULL)
    assert via_launcher.returncode == direct.returncode
    assert via_launcher.stdout == direct.stdout
    assert via_launcher.stderr == direct.stderr


def test_stdin_passes_through(tmp_path):
    data = tmp_path / "in.csv"
    data.write_text("1,2,3\n4,5,6\n")
    with data.open("rb") as f:
        run = _run([str(LAUNCHER), "compute", "-"], stdin=f)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 2


def test_a_symbolic_link_to_the_launcher_finds_softmax_py(tmp_path):
    link = tmp_path / "softmax"
    link.symlink_to(LAUNCHER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [str(link), "compute", "1", "2"], capture_output=True, env=env, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().strip().count(",") == 1
