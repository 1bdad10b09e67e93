"""README transcripts: find them, run them, and (with ``--update``) rewrite their output.

A transcript is a fenced ```console block: lines starting with ``$ `` are run in
bash from the repository root with ``softmax`` bound to this checkout, on an
80-column pseudo-terminal (``tests/terminal.py``), and the lines after each, up to
the next ``$ `` line, are what the terminal shows: a table where stdout is the
terminal, long lines wrapped as a terminal wraps them. A block whose first line is
``$ # no-check`` is shown, never run.

    python -m tests.readme_transcripts --update   # after a deliberate change; review the diff
"""

from __future__ import annotations

import re
import sys

from .conftest import ROOT
from .terminal import run_tty_shell

README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", flags=re.S)


def parse_block(block: str) -> list[tuple[str, str]]:
    """The (command, expected output) pairs of one console block."""
    pairs: list[tuple[str, str]] = []
    command, expected = None, []
    for line in [*block.splitlines(), "$ "]:
        if line.startswith("$ "):
            if command:
                pairs.append((command, "\n".join(expected)))
            command, expected = line[2:], []
        else:
            expected.append(line)
    return pairs


def checked_blocks(text: str) -> list[re.Match]:
    return [m for m in BLOCK.finditer(text) if not m.group(1).startswith("$ # no-check")]


def transcripts() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    return [pair for m in checked_blocks(text) for pair in parse_block(m.group(1))]


def normalise(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def shown(command: str) -> str:
    return normalise(run_tty_shell(command, 80).text)


def _entry(command: str) -> str:
    output = shown(command)
    return f"$ {command}\n" + (output + "\n" if output else "")


def update() -> None:
    text = README.read_text(encoding="utf-8")
    out, last = [], 0
    for m in checked_blocks(text):
        body = "".join(_entry(cmd) for cmd, _ in parse_block(m.group(1)))
        out.append(text[last : m.start(1)] + body)
        last = m.end(1)
    out.append(text[last:])
    README.write_text("".join(out), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    else:
        print(__doc__)
