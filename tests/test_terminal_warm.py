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
