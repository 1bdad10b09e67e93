"""The ``softmax`` command line (typer + rich) over the library."""
