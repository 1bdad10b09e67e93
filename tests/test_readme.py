"""Every transcript in README.md is re-run: the docs cannot drift from the program.

Each transcript runs on a pseudo-terminal at 80 columns (the README shows that screen,
matched exactly, run from the repository root) and at 60 and 120 columns, where the
screen must show what a person expects: the same exit status, no traceback, no number
cut or wrapped mid-exponent, no progress bar left, and every exponent the 80-column
screen shows. The three widths run as one batched session each, concurrently
(``tests/terminal.py`` :func:`run_tty_batch`), each in a scratch directory that holds a
copy of ``examples/`` and links to the rest of the checkout (a transcript that writes a
file never meets another session's). At 80 columns each ``softmax`` is a fresh
``python -m softmax_cli``; at 60 and 120 it is forked from an interpreter that imported
the program once (``tests/warmstart.py``: the same program on the same terminal, a
third of the CPU). The module is one xdist group: one worker runs the sessions once.
"""

from __future__ import annotations

import re
import shutil

import pytest

from .readme_transcripts import normalise, transcripts
from .terminal import ROOT, problems, run_tty_batch

pytestmark = pytest.mark.xdist_group("readme")  # one worker: the sessions run once

TRANSCRIPTS = transcripts()
IDS = [command[:60] for command, _ in TRANSCRIPTS]
_EXPONENT = re.compile(r"(?<=\d)[eE][-+]?\d+")


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    """What each transcript shows at 60, 80 and 120 columns (one session per width)."""
    cwds = {}
    for width in (80, 60, 120):  # scratch directories: transcripts make and remove files
        d = tmp_path_factory.mktemp(f"readme{width}")
        for entry in ROOT.iterdir():
            if entry.name == "examples":
                shutil.copytree(entry, d / entry.name)  # transcripts may write beside them
            elif not entry.name.startswith("."):
                (d / entry.name).symlink_to(entry)
        cwds[width] = d
    return run_tty_batch([command for command, _ in TRANSCRIPTS], cwds, warm=(60, 120))


def test_readme_has_transcripts():
    assert len(TRANSCRIPTS) >= 10


@pytest.mark.parametrize("k", range(len(TRANSCRIPTS)), ids=IDS)
def test_readme_transcript(screens, k):
    command, expected = TRANSCRIPTS[k]
    assert normalise(screens[80][k].text) == normalise(expected), (
        f"README transcript drifted: $ {command}\n"
        "(after a deliberate change: python -m tests.readme_transcripts --update)"
    )


@pytest.mark.parametrize("width", [60, 120])
@pytest.mark.parametrize("k", range(len(TRANSCRIPTS)), ids=IDS)
def test_readme_transcript_at_other_widths(screens, k, width):
    seen, at80 = screens[width][k], screens[80][k]
    assert seen.status == at80.status, (seen.command, seen.text)
    assert problems(seen.screen()) == [], (seen.command, problems(seen.screen()), seen.text)
    lost = set(_EXPONENT.findall(at80.text)) - set(_EXPONENT.findall(seen.text))
    assert not lost, (seen.command, lost, seen.text)


def test_readme_python_examples_run():
    import doctest

    from .readme_transcripts import README

    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted >= 5
    assert result.failed == 0
