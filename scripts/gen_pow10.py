"""Write ``softmax_cli/_pow10.h``: 128-bit truncated mantissas of 10^k, k = -350 … 350.

``python scripts/gen_pow10.py`` (the header is committed; run this only to change it).

For each k the header holds ``M = floor(10^k · 2^-e)`` with ``2^127 <= M < 2^128``, as two
64-bit halves ``{hi, lo}``, and the binary exponent ``e``, so that ``10^k = (M + f) · 2^e``
with ``0 <= f < 1``; ``f == 0`` (the entry is exact) exactly when ``0 <= k <= 55``. Python's
integers compute it exactly: for ``k >= 0`` the power is shifted, for ``k < 0`` the floor
of ``2^s / 10^-k`` is an integer division. The C kernels that parse and format float text
derive what their algorithm needs (a ceiling is ``M + 1`` when the entry is inexact).
"""

from __future__ import annotations

from pathlib import Path

K_MIN, K_MAX = -350, 350


def mantissa(k: int) -> tuple[int, int]:
    """(M, e) with 2^127 <= M < 2^128 and M = floor(10^k / 2^e)."""
    if k >= 0:
        p = 10**k
        e = p.bit_length() - 128
        m = p >> e if e >= 0 else p << -e
        return m, e
    q = 10**-k
    # 2^s / q has 128 bits when s = 127 + bit_length(q) (or one less)
    s = 127 + q.bit_length()
    m = (1 << s) // q
    if m.bit_length() == 127:
        s += 1
        m = (1 << s) // q
    assert m.bit_length() == 128
    return m, -s


def main() -> None:
    lines = [
        "/* 10^k = (M + f) 2^e, 0 <= f < 1, 2^127 <= M < 2^128, for k = POW10_MIN ... POW10_MAX.",
        " * Made by scripts/gen_pow10.py (exact integer arithmetic); do not edit. f == 0 exactly",
        " * when 0 <= k <= 55. Row k - POW10_MIN: {M >> 64, M mod 2^64}; POW10_EXP[...] = e. */",
        "#ifndef SOFTMAX_POW10_H",
        "#define SOFTMAX_POW10_H",
        "#include <stdint.h>",
        f"#define POW10_MIN ({K_MIN})",
        f"#define POW10_MAX {K_MAX}",
        "static const uint64_t POW10_M[][2] = {",
    ]
    exps = []
    for k in range(K_MIN, K_MAX + 1):
        m, e = mantissa(k)
        lines.append(f"    {{0x{m >> 64:016x}u, 0x{m & (2**64 - 1):016x}u}}, /* {k} */")
        exps.append(e)
    lines.append("};")
    lines.append("static const int16_t POW10_EXP[] = {")
    for i in range(0, len(exps), 12):
        lines.append("    " + ", ".join(str(e) for e in exps[i : i + 12]) + ",")
    lines += ["};", "#endif"]
    out = Path(__file__).resolve().parent.parent / "softmax_cli" / "_pow10.h"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
