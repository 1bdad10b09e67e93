"""The public namespaces: what ``softmax_cli`` lists, ``softmax_cli.naive``, ``__version__``."""

from __future__ import annotations

import subprocess
import sys

import softmax_cli as sm
from softmax_cli import exp_family, naive, registry

TWINS = [
    "log_softmax_naive",
    "log_softmax_shifted",
    "logsumexp_naive",
    "logsumexp_shifted",
    "softmax_naive",
    "softmax_shifted",
]


def test_the_teaching_twins_have_their_own_namespace():
    assert sorted(naive.__all__) == TWINS
    for name in TWINS:
        assert name not in sm.__all__
        # the old import paths still work, and are the same functions
        assert getattr(exp_family, name) is getattr(naive, name)
        assert getattr(sm, name) is getattr(naive, name)


def test_every_listed_name_exists():
    for name in sm.__all__:
        assert getattr(sm, name) is not None
    assert sorted(naive.__all__) == sorted(set(naive.__all__))


def test_methods_by_name_from_the_top_level():
    assert sm.methods() == registry.names()
    assert sm.method("top-p") is registry.get("sparse-softmax")


def test_version_comes_from_the_package_metadata(monkeypatch):
    from importlib import metadata

    assert sm.__version__ == metadata.version("softmax-lab")
    # from a source tree that was never installed: pyproject.toml, the same one source
    monkeypatch.setattr(sm, "_DISTRIBUTION", "softmax-lab-not-installed")
    assert sm._read_version() == sm.__version__


def test_importing_the_library_does_not_look_up_the_version():
    code = "import sys, softmax_cli; print('importlib.metadata' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stdout + proc.stderr
