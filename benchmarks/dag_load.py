"""How the workflow itself scales: planning the paper grid and a no-op rerun of a finished grid.

In one run, each against the same baseline (`snakemake --version`: interpreter start, the
Snakemake import and its plugins, no workflow):
(a) a dry run of the paper grid (`config.yaml`: every net, method, ablation, sparsity and seed);
(b) a rerun of a finished small grid (`presets/smoke.yaml`), which must find nothing to do;
(c) with --baseline REV, the dry run of (a) with the workflow of an earlier git revision, in the
same run, so that before and after are measured on the same machine at the same time.

Each is a fresh `snakemake` process in a scratch copy of the repository; the memory figure is its
peak resident set (getrusage of the finished child). Targets: (a) within 30 s and 500 MiB,
(b) under 10 s.

    python benchmarks/dag_load.py [--repeats 3] [--baseline aae7e1c]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the tests' scratch copy of the workflow (what a run needs, nothing of results/)
sys.path.insert(0, str(REPO / "tests"))
from pipeline_helpers import make_workdir  # noqa: E402


def measure(workdir: Path, *args: str) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of one `snakemake` process, and its output."""
    command = [sys.executable, "-m", "snakemake", *args]
    began = time.perf_counter()
    # os.wait4, not Popen.wait: it returns the finished child's own resource usage
    process = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return wall, usage.ru_maxrss / 1024, output


def best(workdir: Path, repeats: int, *args: str) -> tuple[float, float, str]:
    runs = [measure(workdir, *args) for _ in range(repeats)]
    wall = min(r[0] for r in runs)
    return wall, max(r[1] for r in runs), runs[-1][2]


def revision_workdir(revision: str, folder: Path) -> Path:
    """The repository as it was at ``revision`` (git archive), for the baseline's dry run."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def plan_paper_grid(workdir: Path, repeats: int) -> tuple[float, float, str]:
    wall, mib, output = best(workdir, repeats, "--dry-run", "--cores", "8", "--quiet", "rules")
    jobs = re.search(r"^total\s+(\d+)", output, re.MULTILINE)
    return wall, mib, jobs.group(1) if jobs else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the best is shown")
    parser.add_argument("--baseline", help="a git revision whose paper-grid plan is measured too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        workdir = make_workdir(Path(scratch) / "now")
        baseline, baseline_mb, _ = best(workdir, args.repeats, "--version")
        before = None
        if args.baseline:
            old = revision_workdir(args.baseline, Path(scratch) / "before")
            before = plan_paper_grid(old, args.repeats)
        plan, plan_mb, jobs = plan_paper_grid(workdir, args.repeats)

        smoke = ("--cores", "2", "--configfile", "presets/smoke.yaml")
        began = time.perf_counter()
        measure(workdir, *smoke, "--quiet")
        finish = time.perf_counter() - began
        noop, noop_mb, output = best(workdir, args.repeats, *smoke)
        if "Nothing to be done" not in output:
            raise SystemExit(f"the rerun of a finished grid planned work:\n{output[-3000:]}")

    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"best of {args.repeats} runs each; memory is the process's peak resident set\n")
    rows = [("snakemake --version (baseline)", baseline, baseline_mb, "", "")]
    if before is not None:
        rows.append(
            (f"dry run, paper grid at {args.baseline} ({before[2]} jobs)", *before[:2], "", "")
        )
    rows += [
        (
            f"dry run, paper grid ({jobs} jobs)",
            plan,
            plan_mb,
            "30 s, 500 MiB",
            "ok" if plan <= 30 and plan_mb <= 500 else "OVER",
        ),
        ("no-op rerun, finished smoke grid", noop, noop_mb, "10 s", "ok" if noop < 10 else "OVER"),
    ]
    print(f"{'what':52} {'wall s':>8} {'x base':>7} {'MiB':>7}  {'target':16} ")
    for name, wall, mib, target, verdict in rows:
        print(f"{name:52} {wall:8.1f} {wall / baseline:7.1f} {mib:7.0f}  {target:16} {verdict}")
    print(f"\n(finishing the smoke grid first took {finish:.0f} s)")


if __name__ == "__main__":
    main()
