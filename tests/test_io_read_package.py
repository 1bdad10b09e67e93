"""softmax_cli.io.read: the reader package behind the softmax_cli.io.readers facade."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import softmax_cli.io.read as read_pkg
from softmax_cli import io as io_pkg
from softmax_cli.io import readers


def test_facade_reexports_the_package_objects():
    for name in readers.__all__:
        if name == "open_vectors":  # the facade's sniffs the format (io/inputs.py), whose
            from softmax_cli.io import engine, inputs  # text goes through the engine (issue 12)

            assert readers.open_vectors is inputs.open_vectors is io_pkg.open_vectors
            assert inputs.engine is engine
            assert engine._exact.open_vectors is read_pkg.open_vectors
            continue
        assert getattr(readers, name) is getattr(read_pkg, name) is getattr(io_pkg, name)
    from softmax_cli.io.read.delimited import _DelimitedParser

    assert readers._DelimitedParser is _DelimitedParser


def test_every_reader_module_stays_under_600_lines():
    for info in pkgutil.iter_modules(read_pkg.__path__):
        module = importlib.import_module(f"{read_pkg.__name__}.{info.name}")
        lines = Path(module.__file__).read_text(encoding="utf-8").count("\n")
        assert lines <= 600, (info.name, lines)
