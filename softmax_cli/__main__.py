"""``python -m softmax_cli``: the same as the ``softmax`` command."""

from softmax_cli.cli.app import main

if __name__ == "__main__":
    main()
