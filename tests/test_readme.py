"""Every transcript in README.md is re-run: the docs cannot drift from the program.

A transcript is a fenced ```console block: lines starting with ``$ `` are run
in bash from the repository root (``softmax`` bound to this checkout), and the
lines after each, up to the next ``$ `` line, must be exactly what it prints
(stdout, then stderr), trailing spaces ignored. A block whose first line is
``$ # no-check`` is shown but not run (install commands).
"""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT, run_shell


def transcripts() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    pairs = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        lines = block.splitlines()
        if lines and lines[0].startswith("$ # no-check"):
            continue
        command, expected = None, []
        for line in [*lines, "$ "]:
            if line.startswith("$ "):
                if command:
                    pairs.append((command, "\n".join(expected)))
                command, expected = line[2:], []
            else:
                expected.append(line)
    return pairs


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def test_readme_has_transcripts():
    assert len(transcripts()) >= 5


@pytest.mark.parametrize(("command", "expected"), transcripts(), ids=lambda v: v[:60])
def test_readme_transcript(command, expected):
    run = run_shell(command)
    shown = run.out + run.err
    assert normalise(shown) == normalise(expected), f"README transcript drifted: $ {command}"
