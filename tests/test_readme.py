"""Every transcript in README.md is re-run: the docs cannot drift from the program."""

from __future__ import annotations

import pytest

from .readme_transcripts import normalise, shown, transcripts


def test_readme_has_transcripts():
    assert len(transcripts()) >= 10


@pytest.mark.parametrize(("command", "expected"), transcripts(), ids=lambda v: v[:60])
def test_readme_transcript(command, expected):
    assert shown(command) == normalise(expected), (
        f"README transcript drifted: $ {command}\n"
        "(after a deliberate change: python -m tests.readme_transcripts --update)"
    )


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
