"""Run the real Snakemake workflow in a scratch copy of the repository."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = [
    "Snakefile", "config.yaml", "workflow", "presets", "src", "envs", "slurm", "examples",
    "profiles",
]  # fmt: skip


def make_workdir(path: Path) -> Path:
    """A scratch copy of what the workflow needs, so results never land in the repository."""
    path.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, path / name)
    return path


def copy_workdir(finished: Path, path: Path) -> Path:
    """A copy of a finished workdir, file times and Snakemake's metadata included, so Snakemake
    sees the copy as finished too."""
    shutil.copytree(finished, path, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return path


def file_digests(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> digest), leaving out paths that
    start with one of ``skip``."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not str(path.relative_to(folder)).startswith(skip)
    }


def file_times(folder: Path) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): path.stat().st_mtime_ns
        for path in folder.rglob("*")
        if path.is_file()
    }


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_snakemake(workdir: Path, *args: str, **popen) -> subprocess.Popen:
    """Snakemake in the background, in a session of its own so that the whole tree of its jobs
    can be killed at once, as a lost login session or a dead node would."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    return subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **popen,
    )


def wait_for(
    condition: Callable[[], bool],
    process: subprocess.Popen,
    what: str,
    timeout: float = 600,
    on_timeout: Callable[[subprocess.Popen], None] | None = None,
) -> None:
    """Poll ``condition`` every 10 ms while ``process`` runs; fail, naming ``what``, if the
    process ends first (with the end of its output, where it is piped) or after ``timeout`` s
    (after ``on_timeout(process)``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            output = process.stdout.read()[-3000:] if process.stdout else ""
            raise AssertionError(f"the process ended before {what}:\n{output}")
        if time.monotonic() > deadline:
            if on_timeout is not None:
                on_timeout(process)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def kill_tree(process: subprocess.Popen) -> None:
    os.killpg(process.pid, 9)
    process.wait(timeout=60)


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 1800, **run):
    command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, **run
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Snakemake's own plan: rule -> job count from a dry run's job statistics."""
    result = snakemake(workdir, "--dry-run", *args)
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    stats = text.split("Job stats:", 1)[1]
    counts = {}
    for line in stats.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        counts[match.group(1)] = int(match.group(2))
    counts.pop("total", None)
    return counts


def run_with(workdir: Path, name: str, override: dict) -> tuple[dict[str, int], tuple[str, ...]]:
    """The smoke grid in ``workdir`` run again with ``override`` (a config written as ``name``)
    layered on it: Snakemake's plan before the run, and the config arguments."""
    import yaml

    (workdir / name).write_text(yaml.safe_dump(override))
    config = ("--configfile", "presets/smoke.yaml", name)
    planned = planned_jobs(workdir, *config)
    snakemake(workdir, *config)
    return planned, config


def smoke_methods(workdir: Path) -> list[str]:
    """The smoke preset's grid methods."""
    import yaml

    return list(yaml.safe_load((workdir / "presets/smoke.yaml").read_text())["grid"]["methods"])
