"""Speed of softmax-lab against its peers: ``python benchmarks/run.py [--quick] [--results FILE]``.

Each workload runs ours and every installed peer in the same process, alternating
(the order rotates every repeat), several repeats, and reports medians and the ratio
ours / peer next to the target. Peers are optional (``pip install -e '.[bench]'`` and
``pip install torch``); a missing one is skipped with a note. The command-line
workloads (CSV pipeline, start-up) run real processes and read their peak memory from
``os.wait4``. Nothing here is run by CI or asserted by the tests: speed is measured,
not tested.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import softmax_cli as sm  # noqa: E402


def optional(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


scipy_special = optional("scipy.special")
torch = optional("torch")
entmax = optional("entmax") if torch is not None else None
polars = optional("polars")
pandas = optional("pandas")


# --------------------------------------------------------------------------- records


@dataclass
class Row:
    """One line of a results table: a workload, a contender, its median time."""

    workload: str
    name: str
    seconds: float | None
    note: str = ""
    extra: str = ""
    # wall time of each repeat, in the order run; ratios pair the same repeat of two contenders
    samples: list[float] = field(default_factory=list)


@dataclass
class Workload:
    title: str
    ours: Callable[[], object]
    peers: dict[str, Callable[[], object] | str]  # a str is the reason it is missing
    target: str
    # target as (peer name, largest allowed ratio) pairs, or an absolute bound in seconds
    bounds: list[tuple[str, float]] = field(default_factory=list)
    limit_s: float | None = None


def minor_faults() -> int:
    """Page faults of this process so far that needed no disk (first touch of fresh memory)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed(fn: Callable[[], object]) -> tuple[float, int]:
    """Wall seconds of one call, and the page faults it took."""
    f0 = minor_faults()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0, minor_faults() - f0


def same_repeat_ratio(ours: list[float], peer: list[float]) -> float:
    """Median over repeats of ours / peer, each pair timed back to back in the same repeat.

    On a shared machine the load moves between repeats; a pair run back to back sees
    about the same load, so this ratio is steadier than a ratio of two medians.
    """
    return statistics.median(a / b for a, b in zip(ours, peer, strict=True))


def run_workload(w: Workload, repeats: int) -> list[Row]:
    """Times of ours and each present peer on the same inputs, alternating their order.

    Each contender is called once first (imports, caches, thread pools, the lazy
    first-touch of its own buffers); then every repeat calls each contender once, the
    order rotating so that none always runs after the same neighbour. Results are
    fresh arrays unless a contender's name says ``out=``; the page faults of a call
    (first touch of freshly allocated memory) are counted and shown.
    """
    present = {"ours": w.ours} | {k: v for k, v in w.peers.items() if callable(v)}
    times: dict[str, list[float]] = {k: [] for k in present}
    faults: dict[str, list[int]] = {k: [] for k in present}
    for fn in present.values():
        fn()
    names = list(present)
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            seconds, flt = timed(present[name])
            times[name].append(seconds)
            faults[name].append(flt)
    rows = []
    for k, v in times.items():
        q1, _, q3 = statistics.quantiles(v, n=4) if len(v) > 1 else (v[0], v[0], v[0])
        spread = f"{fmt_time(q1)}–{fmt_time(q3)}"
        flt = statistics.median(faults[k])
        rows.append(
            Row(
                w.title,
                k,
                statistics.median(v),
                extra=f"IQR {spread}, {flt:.0f} faults/call",
                samples=v,
            )
        )
    rows += [Row(w.title, k, None, note=v) for k, v in w.peers.items() if not callable(v)]
    return rows


# --------------------------------------------------------------------------- peers


def one_thread(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` with the kernel held to the calling thread (``SOFTMAX_LAB_THREADS=1``)."""
    from softmax_cli import _expkernel

    def call():
        saved, _expkernel.THREADS = _expkernel.THREADS, 1
        try:
            return fn()
        finally:
            _expkernel.THREADS = saved

    return call


def numpy_path(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` with the compiled accelerator off (``SOFTMAX_LAB_ACCEL=0``): the numpy path."""

    def call():
        saved = os.environ.get("SOFTMAX_LAB_ACCEL")
        os.environ["SOFTMAX_LAB_ACCEL"] = "0"
        try:
            return fn()
        finally:
            if saved is None:
                del os.environ["SOFTMAX_LAB_ACCEL"]
            else:
                os.environ["SOFTMAX_LAB_ACCEL"] = saved

    return call


def np_softmax_rows(x: np.ndarray) -> np.ndarray:
    """The plain formula over rows, as a user writes it: the yardstick for short rows."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_softmax_out(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """softmax of a vector by hand with preallocated buffers: the leanest numpy can do."""
    np.subtract(x, x.max(), out=out)
    np.exp(out, out=out)
    out /= out.sum()
    return out


def np_sparsemax(z: np.ndarray) -> np.ndarray:
    """The textbook sort-based sparsemax along the last axis (Martins & Astudillo 2016)."""
    zs = -np.sort(-z, axis=-1)
    cs = np.cumsum(zs, axis=-1) - 1.0
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    support = (zs - cs / k) > 0
    kz = support.sum(axis=-1, keepdims=True)
    tau = np.take_along_axis(cs, kz - 1, axis=-1) / kz
    return np.maximum(z - tau, 0.0)


def missing(pkg: str) -> str:
    return f"{pkg} not installed"


def torch_fn(fn, x: np.ndarray, threads: int | None = None):
    if torch is None:
        return missing("torch")
    t = torch.from_numpy(x)

    def call():
        if threads is not None:
            torch.set_num_threads(threads)
        with torch.no_grad():
            return fn(t)

    return call


def entmax_fn(name: str, x: np.ndarray, **kw):
    if entmax is None:
        return missing("entmax" if torch is not None else "torch (for entmax)")
    t = torch.from_numpy(x)
    f = getattr(entmax, name)

    def call():
        with torch.no_grad():
            return f(t, dim=-1, **kw)

    return call


def scipy_fn(name: str, x: np.ndarray):
    if scipy_special is None:
        return missing("scipy")
    f = getattr(scipy_special, name)
    return lambda: f(x, axis=-1)


# --------------------------------------------------------------------------- workloads


def array_workloads(quick: bool) -> list[Workload]:
    rng = np.random.default_rng(0)
    vec = rng.normal(0.0, 3.0, 10**7)
    batch = rng.normal(0.0, 3.0, (10**5, 100))
    short = rng.normal(0.0, 3.0, (10**5, 10))
    out = np.empty_like(vec)
    out_ours = np.empty_like(vec)
    out_batch = np.empty_like(batch)
    vec_s = rng.normal(0.0, 1.0, 10**6)
    batch_s = rng.normal(0.0, 1.0, (10**4, 100))
    ws: list[Workload] = [
        Workload(
            "softmax, vector n=1e7 float64",
            lambda: sm.softmax(vec),
            {
                "ours, 1 thread": one_thread(lambda: sm.softmax(vec)),
                "ours, numpy path": numpy_path(lambda: sm.softmax(vec)),
                "ours, out=": lambda: sm.softmax(vec, out=out_ours),
                "numpy by hand, out=": lambda: np_softmax_out(vec, out),
                "scipy.special.softmax": scipy_fn("softmax", vec),
                "torch.softmax": torch_fn(lambda t: torch.softmax(t, -1), vec),
            },
            "≤ 1.0× scipy (both allocate their result)",
            [("scipy.special.softmax", 1.0)],
        ),
        Workload(
            "softmax into out=, vector n=1e7 float64",
            lambda: sm.softmax(vec, out=out_ours),
            {
                "ours out=, 1 thread": one_thread(lambda: sm.softmax(vec, out=out_ours)),
                "numpy by hand, out=": lambda: np_softmax_out(vec, out),
            },
            "≤ 1.3× numpy by hand with out=",
            [("numpy by hand, out=", 1.3)],
        ),
        Workload(
            "softmax, batch 1e5×100 float64",
            lambda: sm.softmax(batch, axis=-1),
            {
                "ours, 1 thread": one_thread(lambda: sm.softmax(batch, axis=-1)),
                "ours, numpy path": numpy_path(lambda: sm.softmax(batch, axis=-1)),
                "ours, out=": lambda: sm.softmax(batch, axis=-1, out=out_batch),
                "torch.softmax (2 threads)": torch_fn(lambda t: torch.softmax(t, -1), batch, 2),
                "scipy.special.softmax": scipy_fn("softmax", batch),
            },
            "≤ 1.0× scipy, ≤ 1.0× torch",
            [("scipy.special.softmax", 1.0), ("torch.softmax (2 threads)", 1.0)],
        ),
        Workload(
            "log_softmax, vector n=1e7 float64",
            lambda: sm.log_softmax(vec),
            {
                "ours, 1 thread": one_thread(lambda: sm.log_softmax(vec)),
                "ours, numpy path": numpy_path(lambda: sm.log_softmax(vec)),
                "ours, out=": lambda: sm.log_softmax(vec, out=out_ours),
                "scipy.special.log_softmax": scipy_fn("log_softmax", vec),
                "torch.log_softmax": torch_fn(lambda t: torch.log_softmax(t, -1), vec),
            },
            "≤ 1.0× scipy",
            [("scipy.special.log_softmax", 1.0)],
        ),
        Workload(
            "log_softmax, batch 1e5×100 float64",
            lambda: sm.log_softmax(batch, axis=-1),
            {
                "ours, 1 thread": one_thread(lambda: sm.log_softmax(batch, axis=-1)),
                "ours, numpy path": numpy_path(lambda: sm.log_softmax(batch, axis=-1)),
                "ours, out=": lambda: sm.log_softmax(batch, axis=-1, out=out_batch),
                "scipy.special.log_softmax": scipy_fn("log_softmax", batch),
                "torch.log_softmax (2 threads)": torch_fn(
                    lambda t: torch.log_softmax(t, -1), batch, 2
                ),
            },
            "≤ 1.0× scipy, ≤ 1.0× torch",
            [("scipy.special.log_softmax", 1.0), ("torch.log_softmax (2 threads)", 1.0)],
        ),
        Workload(
            "softmax, batch 1e5×10 float64 (short rows, as the CSV pipeline)",
            lambda: sm.softmax(short, axis=-1),
            {
                "ours, numpy path": numpy_path(lambda: sm.softmax(short, axis=-1)),
                "numpy plain formula": lambda: np_softmax_rows(short),
                "scipy.special.softmax": scipy_fn("softmax", short),
            },
            "≤ 1.0× the plain numpy formula",
            [("numpy plain formula", 1.0)],
        ),
        Workload(
            "sparsemax, vector n=1e6 float64",
            lambda: sm.sparsemax(vec_s),
            {
                "numpy sort-based": lambda: np_sparsemax(vec_s),
                "entmax.sparsemax": entmax_fn("sparsemax", vec_s),
            },
            "≤ 2 ms",
            limit_s=2e-3,
        ),
        Workload(
            "entmax15, vector n=1e6 float64",
            lambda: sm.entmax15(vec_s),
            {"entmax.entmax15": entmax_fn("entmax15", vec_s)},
            "≤ 3 ms",
            limit_s=3e-3,
        ),
        Workload(
            "sparsemax, batch 1e4×100 float64",
            lambda: sm.sparsemax(batch_s, axis=-1),
            {
                "entmax.sparsemax": entmax_fn("sparsemax", batch_s),
                "numpy sort-based": lambda: np_sparsemax(batch_s),
            },
            "≤ 0.5× entmax",
            [("entmax.sparsemax", 0.5)],
        ),
        Workload(
            "entmax15, batch 1e4×100 float64",
            lambda: sm.entmax15(batch_s, axis=-1),
            {"entmax.entmax15": entmax_fn("entmax15", batch_s)},
            "≤ 0.5× entmax",
            [("entmax.entmax15", 0.5)],
        ),
    ]
    for alpha in (1.5, 1.3):
        ws.append(
            Workload(
                f"entmax_bisect α={alpha}, batch 1e4×100 float64",
                lambda a=alpha: sm.entmax_bisect(batch_s, alpha=a, axis=-1),
                {
                    "entmax.entmax_bisect (50 iterations)": entmax_fn(
                        "entmax_bisect", batch_s, alpha=alpha, n_iter=50
                    )
                },
                "≤ 0.3× entmax",
                [("entmax.entmax_bisect (50 iterations)", 0.3)],
            )
        )
    return ws


def accel_threshold(repeats: int) -> str:
    """Per-call time of the compiled accelerator against the numpy path, small inputs.

    Softmax of vectors and of batches of 10-wide rows, alternating ``SOFTMAX_LAB_ACCEL=all``
    and ``=0`` call by call; the ratio is the median of same-repeat ratios. It sets
    :data:`softmax_cli._accel.ROW_MIN`.
    """
    rng = np.random.default_rng(1)
    lines = ["| input | elements | accelerator | numpy path | ratio |", "|---|---:|---:|---:|---:|"]
    inputs = [(f"vector n={n}", rng.normal(0, 3, n)) for n in (4, 16, 32, 64, 128, 1024)]
    inputs += [(f"batch {r}×10", rng.normal(0, 3, (r, 10))) for r in (2, 100)]
    inputs += [(f"batch 1000×{n}", rng.normal(0, 3, (1000, n))) for n in (2, 4, 8)]
    for title, x in inputs:
        times: dict[str, list[float]] = {"all": [], "0": []}
        for _ in range(repeats):
            for how in ("all", "0"):
                os.environ["SOFTMAX_LAB_ACCEL"] = how
                t0 = time.perf_counter()
                for _ in range(200):
                    sm.softmax(x)
                times[how].append((time.perf_counter() - t0) / 200)
        os.environ.pop("SOFTMAX_LAB_ACCEL")
        ratio = same_repeat_ratio(times["all"], times["0"])
        fast, slow = statistics.median(times["all"]), statistics.median(times["0"])
        lines.append(f"| {title} | {x.size} | {fmt_time(fast)} | {fmt_time(slow)} | {ratio:.2f}× |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- processes


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: bytecode cached (in a scratch directory)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "softmax-bench-pycache")
    env.update({"NO_COLOR": "1", "TERM": "dumb"})
    # ours is this checkout, whatever softmax-lab the interpreter has installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# Runs a command and writes its wall time, CPU time, peak RSS and exit code to a file. A
# child forked from this (big) process would report this process's RSS as its own peak
# (Linux keeps the high-water mark across exec), so commands are started from this small
# launcher instead.
LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, s, u = os.wait4(p.pid, 0)\n"
    "w = time.perf_counter() - t\n"
    "code = os.waitstatus_to_exitcode(s)\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(f'{w} {u.ru_utime + u.ru_stime} {u.ru_maxrss} {code}')\n"
)


def launch(cmd: list[str], stdin, stdout, env) -> tuple[subprocess.Popen, Path]:
    fd, report = tempfile.mkstemp(prefix="softmax-bench-", suffix=".txt")
    os.close(fd)
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, report, *cmd],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
    )
    return proc, Path(report)


def finish(proc: subprocess.Popen, report: Path, cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of the launched command."""
    _, err = proc.communicate()
    try:
        wall, cpu, maxrss, code = report.read_text().split()
    finally:
        report.unlink(missing_ok=True)
    if int(code) != 0 or proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({code}): {err.decode(errors='replace')[-500:]}"
        )
    return float(wall), float(cpu), int(maxrss) / 1024


def run_process(cmd: list[str], stdin_path: Path | None, stdout_path: Path | None, env):
    """Wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of one command."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        proc, report = launch(cmd, fin, fout, env)
        return finish(proc, report, cmd)
    finally:
        for f in (fin, fout):
            if hasattr(f, "close"):
                f.close()


def ours_cmd() -> list[str]:
    return [sys.executable, "-m", "softmax_cli", "compute", "-"]


def write_logits(path: Path, rows: int, cols: int = 10, seed: int = 1) -> None:
    """CSV logits with a header, every value in shortest round-trip text (17 digits mostly)."""
    from softmax_cli.io.writers import RowWriter

    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = RowWriter(
            fh,
            "csv",
            columns=[f"c{i}" for i in range(cols)],
            id_name=None,
            has_ids=False,
            dtype=np.float64,
        )
        with writer:
            for r0 in range(0, rows, 50_000):
                writer.write(rng.normal(0.0, 3.0, (min(50_000, rows - r0), cols)))


MAWK_SOFTMAX = (
    'BEGIN { FS = ","; OFS = "," } NR == 1 { print; next } '
    "{ m = $1; for (i = 2; i <= NF; i++) if ($i > m) m = $i; s = 0; "
    "for (i = 1; i <= NF; i++) { e[i] = exp($i - m); s += e[i] } "
    'for (i = 1; i <= NF; i++) $i = sprintf("%.17g", e[i] / s); print }'
)

POLARS_IO = "import sys, polars as pl; pl.read_csv(sys.stdin.buffer).write_csv(sys.stdout.buffer)"

# issue 12's yardstick: what a user would write instead of `softmax compute - < in > out`
POLARS_SOFTMAX = (
    "import sys, numpy as np, polars as pl; "
    "df = pl.read_csv(sys.stdin.buffer); x = df.to_numpy(); "
    "e = np.exp(x - x.max(axis=1, keepdims=True)); p = e / e.sum(axis=1, keepdims=True); "
    "pl.DataFrame(p, schema=df.columns).write_csv(sys.stdout.buffer)"
)

PANDAS_SCIPY = (
    "import sys, pandas as pd, scipy.special as ss; "
    "df = pd.read_csv(sys.stdin, float_precision='round_trip'); "
    "df[:] = ss.softmax(df.to_numpy(), axis=1); "
    "df.to_csv(sys.stdout, index=False)"
)


def pipeline_rows(tmp: Path, rows: int, repeats: int) -> tuple[list[Row], Path]:
    src = tmp / f"logits_{rows}.csv"
    write_logits(src, rows)
    env = clean_env()
    exact = ["env", "SOFTMAX_LAB_ENGINE=off", *ours_cmd()]
    cmds: dict[str, list[str] | str] = {"ours": ours_cmd()}
    if polars:
        cmds["ours, float32"] = [*ours_cmd(), "--dtype", "float32"]
        cmds["ours, log-softmax"] = [*ours_cmd(), "--method", "log-softmax"]
        cmds["ours, sparsemax"] = [*ours_cmd(), "--method", "sparsemax"]
        cmds["ours, exact reader only"] = exact
        cmds["polars read → numpy softmax → write"] = [sys.executable, "-c", POLARS_SOFTMAX]
    else:
        cmds["ours (engine)"] = missing("polars")
    cmds["polars read+write"] = [sys.executable, "-c", POLARS_IO] if polars else missing("polars")
    cmds["pandas + scipy"] = (
        [sys.executable, "-c", PANDAS_SCIPY]
        if pandas and scipy_special
        else missing("pandas/scipy")
    )
    mawk = shutil.which("mawk")
    cmds["mawk (%.17g)"] = [mawk, MAWK_SOFTMAX] if mawk else "mawk not installed"
    present = {k: v for k, v in cmds.items() if isinstance(v, list)}
    walls: dict[str, list[float]] = {k: [] for k in present}
    cpus: dict[str, list[float]] = {k: [] for k in present}
    rss: dict[str, float] = {}
    dst = tmp / "out.csv"
    run_process(ours_cmd(), src, dst, env)  # warm-up: bytecode cache, page cache
    names = list(present)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            wall, cpu, peak = run_process(present[name], src, dst, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
            rss[name] = max(rss.get(name, 0.0), peak)
    title = f"CSV pipeline, {rows:.0e} rows × 10 cols, stdin → stdout file"
    out = []
    for name in names:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        out.append(
            Row(
                title,
                name,
                wall,
                extra=f"{rows / wall / 1e6:.2f} M rows/s (CPU {cpu:.2f} s), "
                f"peak RSS {rss[name]:.0f} MiB",
            )
        )
    out += [Row(title, k, None, note=v) for k, v in cmds.items() if isinstance(v, str)]
    if "polars read → numpy softmax → write" in walls:  # ratios of the same repeat
        peer = walls["polars read → numpy softmax → write"]
        for name in ("ours", "ours, float32", "ours, log-softmax", "ours, sparsemax"):
            ratio = statistics.median(a / b for a, b in zip(walls[name], peer, strict=True))
            out.append(Row(title, f"{name} / polars pipeline", None, note=f"{ratio:.2f}×"))
    return out, src


def stream_rss(tmp: Path, rows: int) -> tuple[float, float, float]:
    """Peak RSS (MiB), wall and CPU seconds of ours reading ``rows`` rows from a pipe."""
    block = tmp / "block.csv"
    if not block.exists():
        write_logits(block, 10_000, seed=2)
    body = block.read_bytes().split(b"\n", 1)[1]
    header = block.read_bytes().split(b"\n", 1)[0] + b"\n"
    env = clean_env()
    proc, report = launch(ours_cmd(), subprocess.PIPE, subprocess.DEVNULL, env)
    assert proc.stdin is not None
    proc.stdin.write(header)
    for _ in range(rows // 10_000):
        proc.stdin.write(body)
    proc.stdin.close()
    proc.stdin = None  # closed: communicate() must not flush it
    wall, cpu, peak = finish(proc, report, ours_cmd())
    return peak, wall, cpu


def startup_rows(repeats: int) -> list[Row]:
    env = clean_env()
    exe = shutil.which("softmax")
    ours = [exe] if exe else [sys.executable, "-m", "softmax_cli"]
    cmds = {
        "ours: softmax compute 1 2 3": [*ours, "compute", "1", "2", "3"],
        'python -c "import numpy, typer, rich.table"': [
            sys.executable,
            "-c",
            "import numpy, typer, rich.table",
        ],
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for cmd in cmds.values():  # warm-up: bytecode cache
        run_process(cmd, None, None, env)
    names = list(cmds)
    for r in range(repeats):
        for name in names[r % 2 :] + names[: r % 2]:
            times[name].append(run_process(cmds[name], None, None, env)[0])
    rows = []
    for i, name in enumerate(names):
        rows.append(Row("start-up", "ours" if i == 0 else name, statistics.median(times[name])))
        if i == 0:
            rows[-1].extra = name.removeprefix("ours: ")
    return rows


# --------------------------------------------------------------------------- report


def fmt_time(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def ratio_to(ours: Row, peer: Row) -> float | None:
    """ours / peer: of the same repeats where both were timed in one loop, else of the medians."""
    if ours.samples and len(ours.samples) == len(peer.samples):
        return same_repeat_ratio(ours.samples, peer.samples)
    if ours.seconds and peer.seconds:
        return ours.seconds / peer.seconds
    return None


def verdict(w: Workload, rows: list[Row]) -> str:
    ours = next(r for r in rows if r.name == "ours")
    parts = []
    if w.limit_s is not None and ours.seconds is not None:
        ok = ours.seconds <= w.limit_s
        parts.append(
            f"{fmt_time(ours.seconds)} vs {fmt_time(w.limit_s)}: {'met' if ok else 'NOT met'}"
        )
    for peer, bound in w.bounds:
        other = next((r for r in rows if r.name == peer), None)
        ratio = None if other is None else ratio_to(ours, other)
        if ratio is None:
            parts.append(f"{peer}: not measured")
            continue
        parts.append(f"{ratio:.2f}× {peer} (≤ {bound}): {'met' if ratio <= bound else 'NOT met'}")
    return "; ".join(parts)


def table(rows: list[Row], targets: dict[str, tuple[str, str]]) -> str:
    lines = [
        "| workload | contender | median | ours / it | notes |",
        "|---|---|---:|---:|---|",
    ]
    by_work: dict[str, list[Row]] = {}
    for r in rows:
        by_work.setdefault(r.workload, []).append(r)
    for work, group in by_work.items():
        ours = next((r for r in group if r.name == "ours"), None)
        for r in group:
            ratio = None if ours is None or r is ours else ratio_to(ours, r)
            shown = "" if ratio is None else f"{ratio:.2f}×"
            note = r.note or r.extra
            lines.append(f"| {work} | {r.name} | {fmt_time(r.seconds)} | {shown} | {note} |")
            work = ""
    out = ["\n".join(lines), "", "| workload | target | result |", "|---|---|---|"]
    for work, (target, result) in targets.items():
        out.append(f"| {work} | {target} | {result} |")
    return "\n".join(out)


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = [f"numpy {np.__version__}", f"Python {platform.python_version()}"]
    for mod in ("typer", "scipy", "torch", "entmax", "polars", "pyarrow", "pandas"):
        m = optional(mod)
        if m is not None:
            versions.append(f"{mod} {getattr(m, '__version__', '?')}")
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"- date: {datetime.datetime.now().isoformat(timespec='minutes')}\n"
        f"- nproc: {os.cpu_count()}; CPU: {model}\n"
        f"- {', '.join(versions)}\n"
        f"- load average at the end (1, 5, 15 min): {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller CSV runs")
    parser.add_argument("--only", default="", help="run workloads whose title holds this text")
    parser.add_argument("--results", type=Path, help="also write the report (markdown) here")
    parser.add_argument(
        "--accel-threshold",
        action="store_true",
        help="only the compiled accelerator against the numpy path on small inputs",
    )
    args = parser.parse_args()
    if args.accel_threshold:
        print(accel_threshold(5 if args.quick else 15))
        return
    repeats = 3 if args.quick else 9
    rows: list[Row] = []
    targets: dict[str, tuple[str, str]] = {}

    for w in array_workloads(args.quick):
        if args.only and args.only not in w.title:
            continue
        print(f"… {w.title}", file=sys.stderr, flush=True)
        got = run_workload(w, repeats)
        rows += got
        targets[w.title] = (w.target, verdict(w, got))

    with tempfile.TemporaryDirectory(prefix="softmax-bench-") as tmpdir:
        tmp = Path(tmpdir)
        csv_rows = 10**5 if args.quick else 10**6
        title = "CSV pipeline"
        if not args.only or args.only in title:
            print(f"… {title}, {csv_rows:.0e} rows", file=sys.stderr, flush=True)
            got, _ = pipeline_rows(tmp, csv_rows, 3 if args.quick else 5)
            rows += got
            ours = next(r for r in got if r.name == "ours")
            rate = csv_rows / ours.seconds
            targets[got[0].workload] = (
                "≥ 1M rows/s",
                f"{rate / 1e6:.2f} M rows/s: {'met' if rate >= 1e6 else 'NOT met'}",
            )
            for r in got:
                if r.name.endswith("/ polars pipeline"):
                    ratio = float(r.note.rstrip("×"))
                    limit = (
                        1.0
                        if r.name in ("ours / polars pipeline", "ours, float32 / polars pipeline")
                        else 1.2
                    )
                    targets[f"CSV pipeline: {r.name}"] = (
                        f"≤ {limit:.1f}× (same repeat)",
                        f"{ratio:.2f}×: {'met' if ratio <= limit else 'NOT met'}",
                    )
            sizes = (10**4, 10**5) if args.quick else (10**5, 10**6, 10**7)
            peaks = []
            for n in sizes:
                print(f"… memory, {n:.0e} rows through a pipe", file=sys.stderr, flush=True)
                peak, wall, cpu = stream_rss(tmp, n)
                peaks.append(peak)
                rows.append(
                    Row(
                        "CSV pipeline memory (stdin pipe → /dev/null)",
                        f"ours, {n:.0e} rows",
                        wall,
                        extra=f"peak RSS {peak:.0f} MiB; {n / wall / 1e6:.2f} M rows/s "
                        f"(CPU {cpu:.2f} s)",
                    )
                )
            targets["CSV pipeline memory"] = (
                "peak RSS ≤ 150 MB, flat in the row count",
                f"{' / '.join(f'{p:.0f}' for p in peaks)} MiB: "
                f"{'met' if max(peaks) * 1.048576 <= 150 else 'NOT met'}",
            )
        if not args.only or args.only in "start-up":
            print("… start-up", file=sys.stderr, flush=True)
            got = startup_rows(7 if args.quick else 21)
            rows += got
            ratio = got[0].seconds / got[1].seconds
            targets["start-up"] = (
                "≤ 1.15× bare imports",
                f"{ratio:.2f}×: {'met' if ratio <= 1.15 else 'NOT met'}",
            )

    report = (
        "# Benchmark results\n\n"
        f"`python benchmarks/run.py{' --quick' if args.quick else ''}`; medians of "
        f"{repeats} alternating runs (processes: see notes).\n\n"
        f"{machine()}\n\n{table(rows, targets)}\n"
    )
    print(report)
    if args.results:
        args.results.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
