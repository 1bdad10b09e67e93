"""Shared fixtures: running the real command line, in-process and as a shell pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# The same examples on every run and machine, so CI cannot turn red by chance; set
# HYPOTHESIS_PROFILE=explore to search with fresh random examples (and keep what fails).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_addoption(parser):
    parser.addoption(
        "--runslow", action="store_true", default=False, help="also run tests marked slow"
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (long fuzzing, 100 MB inputs) run only with ``--runslow``."""
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


class _XdistGroups:
    """Keep ``--dist loadgroup`` grouping on pytest >= 9.2 (pytest-xdist issue 1386).

    xdist tells its controller a test's group by appending ``@NAME`` to the node id a
    worker reports; it writes the id to ``item._nodeid``, which pytest 9.2's structured
    node ids no longer read, so every group was silently split across the workers: the
    README and help-example pty sessions (a module fixture each, about 100 s of CPU) ran
    once on each worker. This runs after xdist's hook and sets the suffix where it did
    not stick; once xdist does it itself, it finds the suffix there and does nothing.
    """

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not getattr(config.option, "loadgroup", False):  # on workers of --dist loadgroup
            return
        for item in items:
            names = sorted(
                {
                    str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")
                }
            )
            if not names:
                continue
            suffix = "@" + "_".join(names)
            if not item.nodeid.endswith(suffix):
                from _pytest.nodeid import NodeId  # pytest >= 9.2, where xdist's id is lost

                item._id = NodeId.parse(item.nodeid + suffix)
            if not item.nodeid.endswith(suffix):
                raise pytest.UsageError(f"cannot put {item.nodeid} in its xdist group")


def pytest_configure(config):
    config.pluginmanager.register(_XdistGroups(), "softmax-xdist-groups")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``softmax ARGS`` in-process through the real entry point; returns a :class:`Run`."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")

    def run(*args: str, stdin: str | bytes | None = None) -> Run:
        from softmax_cli.cli.app import main

        if stdin is not None:
            import io

            raw = stdin.encode() if isinstance(stdin, str) else stdin
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def shell_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"NO_COLOR": "1", "COLUMNS": "80", "TERM": "dumb", "PYTHONIOENCODING": "utf-8"})
    return env


def run_shell(command: str, stdin: str | None = None) -> Run:
    """Run a shell command line in the repository root with ``softmax`` bound to this checkout.

    ``softmax`` is a shell function calling ``python -m softmax_cli`` with the
    interpreter running the tests, so pipelines work without a PATH install.
    """
    prelude = f'softmax() {{ "{sys.executable}" -m softmax_cli "$@"; }}\n'
    proc = subprocess.run(
        ["bash", "-c", prelude + command],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=shell_env(),
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


GOLDEN = Path(__file__).parent / "golden"


def render(renderable, width: int = 80, **kw) -> str:
    """A rich renderable as plain text at ``width`` columns, trailing spaces dropped."""
    from rich.console import Console

    console = Console(width=width, color_system=None, **kw)
    with console.capture() as cap:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in cap.get().splitlines()) + "\n"


def check_golden(name: str, text: str) -> None:
    """``text`` equals ``tests/golden/NAME``, fits 80 columns and is plain.

    It only compares. After a deliberate change of the output, rewrite the
    files with ``python -m tests.golden_files --update`` (a separate command,
    never a test run) and review the diff before committing it.
    """
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    path = GOLDEN / name
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden text"
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\x1b" not in text
