"""The golden-file list agrees with tests/golden, and each entry reproduces its file."""

from __future__ import annotations

import pytest

from .conftest import GOLDEN
from .golden_files import GOLDEN_FILES, rendered


def test_every_golden_file_is_listed_and_exists():
    on_disk = {p.name for p in GOLDEN.iterdir() if p.is_file()}
    assert on_disk == set(GOLDEN_FILES)


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_the_update_command_renders_what_the_tests_expect(name):
    assert rendered(name) == (GOLDEN / name).read_text(encoding="utf-8")
