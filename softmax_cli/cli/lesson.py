"""``softmax lesson``: the seeds' story, one step at a time, each with a live ``compare``.

On a terminal it waits for a key after each step (Enter or space: next, ``b``:
back, ``q``: quit); in a pipe, or with ``--no-pause``, it prints the steps one
after another as plain text. ``--step N`` begins at step N.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text

from ..errors import SoftmaxInputError
from ..lesson import STEPS, Lesson, command_line
from .app import app

LESSON_HELP = (
    "A walk through where softmax breaks and how it is fixed, for a class: "
    + ", ".join(f"{i} {s.title}" for i, s in enumerate(STEPS, 1))
    + ". Each step is a short paragraph and a live softmax compare. On a terminal it waits "
    "for a key after each step (Enter or space: next, b: back, q: quit); in a pipe it is "
    "plain text, every step in turn."
)

StepOpt = Annotated[int, typer.Option("--step", help=f"Begin at this step (1..{len(STEPS)}).")]
NoPauseOpt = Annotated[
    bool, typer.Option("--no-pause", help="Do not wait for a key between steps.")
]
OnlyOpt = Annotated[bool, typer.Option("--only", help="Show the step --step names, and no other.")]


def _view(step: Lesson, k: int, width: int) -> Group:
    """The step's heading, paragraph, command line and the comparison it runs."""
    import numpy as np

    from ..analysis.compare import compare_vector, subject
    from ..floats import parse_dtype
    from ..render.compare import comparison

    dt = parse_dtype(step.dtype)
    cmp = compare_vector(
        np.array([float(v) for v in step.values]).astype(dt),
        dtype=dt,
        explain=step.explain,
        subj=subject(step.method, accumulate=step.accumulate),
    )
    return Group(
        Rule(Text(f"Step {k} of {len(STEPS)}: {step.title}", style="bold")),
        Text(""),
        Padding(Text(step.text), (0, 2)),
        Text(""),
        Text(f"  $ {command_line(step)}", style="bold cyan"),
        comparison(cmp, 8, step.max_entries, step.explain, width=width),
        Text(""),
    )


def _key() -> str:
    """One key press from the terminal, without echo (Ctrl-C raises KeyboardInterrupt)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        ch = sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    if ch == "\x03":
        raise KeyboardInterrupt
    return ch


@app.command(help=LESSON_HELP)
def lesson(step: StepOpt = 1, no_pause: NoPauseOpt = False, only: OnlyOpt = False) -> int:
    if not 1 <= step <= len(STEPS):
        raise SoftmaxInputError(
            f"{{param}} must be between 1 and {len(STEPS)}, got {step}", param="step"
        )
    console = Console()
    paced = not no_pause and sys.stdin.isatty() and sys.stdout.isatty()
    k = step
    while 1 <= k <= len(STEPS):
        console.print(_view(STEPS[k - 1], k, console.width))
        if only:
            break
        if not paced:
            k += 1
            continue
        last = k == len(STEPS)
        prompt = "Enter or space: next · b: back · q: quit"
        if last:
            prompt = "end of the lesson · b: back · any other key: quit"
        console.print(Text(prompt, style="dim"))
        key = _key()
        if key in ("q", "Q") or (last and key not in ("b", "B")):
            break
        k = max(1, k - 1) if key in ("b", "B") else k + 1
    return 0
