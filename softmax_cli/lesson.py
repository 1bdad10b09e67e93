"""The lesson ``softmax lesson`` walks through: the seeds' story, one step at a time.

Each :class:`Lesson` step is a short paragraph and one live ``softmax compare``
(given as the arguments a person would type; :func:`command_line` spells them).
The order is the story's: overflow, underflow, the max trick, log-sum-exp,
log1p, cancellation and the condition number, float16, bfloat16. No rich, no
typer here: the command module renders it.

Examples
--------
>>> [s.title for s in STEPS][:3]
['Overflow', 'Underflow', 'The max trick']
>>> command_line(STEPS[0])
'softmax compare 1000 2000 3000'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["STEPS", "Lesson", "command_line"]


@dataclass(frozen=True)
class Lesson:
    """One step: a title, a paragraph, and the comparison that shows it."""

    title: str
    text: str
    values: tuple[str, ...]
    method: str = "softmax"
    dtype: str = "float64"
    accumulate: str | None = None
    explain: bool = False
    max_entries: int = 20
    shown_values: str = ""  # how the values are typed, when not one by one


def command_line(step: Lesson) -> str:
    """The ``softmax compare`` command a person types to see the step for themselves."""
    words = ["softmax", "compare"]
    if step.method != "softmax":
        words += ["--method", step.method]
    if step.dtype != "float64":
        words += ["--dtype", step.dtype]
    if step.accumulate:
        words += ["--accumulate", step.accumulate]
    if step.explain:
        words.append("--explain")
    if step.max_entries != 20:
        words += ["--max-entries", str(step.max_entries)]
    words.append(step.shown_values or " ".join(step.values))
    return " ".join(words)


_ZEROS = tuple("0" for _ in range(512))

STEPS: tuple[Lesson, ...] = (
    Lesson(
        "Overflow",
        "The textbook softmax is exp(x_i) / Σ exp(x_j). A float64 holds numbers up to about "
        "1.8e308, so exp(x) overflows to inf once x passes log(1.8e308) ≈ 709.78. Logits of "
        "1000 and more are ordinary for a model; the textbook formula then divides inf by "
        "inf, which is nan, although every true probability is a plain number.",
        ("1000", "2000", "3000"),
    ),
    Lesson(
        "Underflow",
        "The other end: exp(x) of a very negative x is below the smallest float (about "
        "5e-324 in float64) and rounds to 0. When every term underflows the sum is 0 and the "
        "textbook formula computes 0/0 = nan again — for logits that merely are all negative.",
        ("-1000", "-1001", "-1002"),
    ),
    Lesson(
        "The max trick",
        "Softmax does not change when the same number is added to every logit. Subtracting "
        "the largest, m = max x, makes every exponent ≤ 0 (no overflow) and one of them "
        "exactly 0 (the sum is at least 1: no 0/0). That is the x − max column: it survives "
        "both previous steps. The oracle still knows the values no float64 can hold.",
        ("1000", "2000", "3000", "4000", "5000"),
    ),
    Lesson(
        "Log-sum-exp",
        "log Σ exp(x) is the smooth maximum: max x ≤ LSE(x) ≤ max x + log n. Written as it "
        "reads it overflows for two logits of 1000; the same shift gives LSE = m + "
        "log Σ exp(x − m), which is exact here: log 2 added to 1000.",
        ("1000", "1000"),
        method="logsumexp",
    ),
    Lesson(
        "log1p",
        "Shifting is not the whole story. With x = [0, −40] the sum is 1 + 4.2e-18, which "
        "rounds to 1, and log 1 = 0: every digit of the answer, 4.2e-18, is lost. The "
        "accurate form leaves the max's 1 out of the sum and takes log1p of the rest. "
        "--explain shows each step against the same step done exactly; ✗ marks where the "
        "digits went.",
        ("0", "-40"),
        method="logsumexp",
        explain=True,
    ),
    Lesson(
        "Cancellation and the condition number",
        "Some problems are hard for every algorithm. Here LSE is −0.69315 + log 2 ≈ 2.3e-17: "
        "the inputs' own rounding (half an ULP of 0.69) is far larger than the answer. The "
        "condition number κ says by how much an input's last bit can move the result; a "
        "large κ means a large error is the problem's, not the algorithm's.",
        ("-0.6931471805599453", "-0.6931471805599453"),
        method="logsumexp",
    ),
    Lesson(
        "float16",
        "Half precision has 11 significant bits and a largest value of 65504: exp overflows "
        "past log(65504) ≈ 11.09. Logits of 10, 11 and 12 are enough to break the textbook "
        "formula; subtracting the max still works, and every error is counted in ULPs of "
        "float16, the spacing of its floats.",
        ("10", "11", "12"),
        dtype="float16",
    ),
    Lesson(
        "bfloat16: the sum that stalls",
        "bfloat16 keeps float32's range but only 8 significant bits: at 256 its floats are 2 "
        "apart, so 256 + 1 rounds back to 256. A running sum of 512 equal terms stops at 256, "
        "and the softmax of 512 equal logits comes out as 1/256 instead of 1/512 — with or "
        "without the max trick. The verdict names the step.",
        _ZEROS,
        dtype="bfloat16",
        max_entries=2,
        shown_values="$(printf '0 %.0s' {1..512})",
    ),
    Lesson(
        "bfloat16: accumulate wider",
        "The fix is where the sum is kept, not the formula: add the bfloat16 terms up in "
        "float32 (as fused kernels do) and round to bfloat16 once at the end. The same two "
        "formulas now give the oracle's 1/512.",
        _ZEROS,
        dtype="bfloat16",
        accumulate="float32",
        max_entries=2,
        shown_values="$(printf '0 %.0s' {1..512})",
    ),
)
