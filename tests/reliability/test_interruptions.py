"""Faults while the pipeline runs: a training job killed mid-epoch, Snakemake itself killed, a full
disk, a second Snakemake on the same folder. Nothing finished is lost or recomputed, and every
resumed run ends in the same bits as an uninterrupted one (the session's `smoke_run`)."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
from pathlib import Path

import torch
from pipeline_helpers import (
    command_line,
    copy_workdir,
    descendants,
    file_digests,
    file_times,
    kill_tree,
    make_workdir,
    snakemake,
    start_snakemake,
    wait_for,
)

SMOKE = ("--configfile", "presets/smoke.yaml")
ABLATIONS = ("unmodified", "shuffle", "reinit", "invert")
# ResNet-20 on the smoke preset's synthetic images: 2 epochs of about 0.4 s each, long enough to
# be caught between its first checkpoint and its end
CELL = "results/runs/net=resnet20-synthetic/method=random/sparsity=0.75/seed=0"
CELL_OUTPUTS = [
    f"{CELL}/ablation={ablation}/{name}"
    for ablation in ABLATIONS
    for name in ("trained.pt", "history.parquet", "run.json")
]


def kill_training_after_first_epoch(workdir: Path, **popen) -> Path:
    """Rerun the training of CELL (its outputs deleted and asked for by name) and SIGKILL the
    training process as soon as the first run's epoch-1 checkpoint exists, i.e. in epoch 2.
    Returns the checkpoint."""
    for path in CELL_OUTPUTS:
        (workdir / path).unlink()
    process = start_snakemake(workdir, *CELL_OUTPUTS, *SMOKE, **popen)
    checkpoint = workdir / CELL / "ablation=unmodified" / "checkpoint.pt"
    wait_for(checkpoint.exists, process, "the first checkpoint", on_timeout=kill_tree)
    jobs = [pid for pid in descendants(process.pid) if "train_model" in command_line(pid)]
    assert jobs, "no training process found"
    for pid in jobs:  # the job's shell, if any, and its Python
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    output = process.communicate(timeout=300)[0]
    assert process.returncode != 0, output[-3000:]
    assert "Error in rule train_model" in output, output[-3000:]
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 1
    assert not (workdir / CELL / "ablation=unmodified" / "trained.pt").exists()
    return checkpoint


def assert_same_weights(workdir: Path, reference: Path, run: str) -> None:
    ours = (workdir / run / "trained.pt").read_bytes()
    assert ours == (reference / run / "trained.pt").read_bytes(), run


def run_record(workdir: Path, run: str) -> dict:
    return json.loads((workdir / run / "run.json").read_text())


def test_training_killed_mid_epoch_resumes_to_the_same_weights(smoke_run, tmp_path):
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    kill_training_after_first_epoch(workdir)
    untouched = {
        path: digest
        for path, digest in file_digests(workdir / "results").items()
        if not path.startswith(("benchmarks/", CELL.removeprefix("results/")))
    }
    times = file_times(workdir / "results")

    snakemake(workdir, *CELL_OUTPUTS, *SMOKE)

    assert run_record(workdir, f"{CELL}/ablation=unmodified")["resumed_from_epoch"] == 1
    for ablation in ABLATIONS:
        assert_same_weights(workdir, smoke_run, f"{CELL}/ablation={ablation}")
    after = file_digests(workdir / "results")
    assert {path: after[path] for path in untouched} == untouched
    assert all(file_times(workdir / "results")[path] == times[path] for path in untouched)
    assert not list((workdir / CELL).rglob("checkpoint.pt"))  # gone once the job finished


def test_full_disk_fails_clearly_and_keeps_the_last_checkpoint(smoke_run, tmp_path):
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    checkpoint = kill_training_after_first_epoch(workdir)
    saved = checkpoint.read_bytes()
    before = file_digests(workdir, skip=(".snakemake", "logs", "results/benchmarks"))

    # the ResNet-20 checkpoint holds weights and momentum (2.2 MB); Snakemake's own files are small
    limit = 1 << 20

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    failed = snakemake(workdir, *CELL_OUTPUTS, *SMOKE, check=False, preexec_fn=small_disk)

    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Error in rule train_model" in output
    assert f"could not write {CELL}/ablation=unmodified/checkpoint.pt" in output, output[-3000:]
    assert "File too large" in output
    assert f"file-size limit (ulimit -f) {limit} bytes" in output
    # the epoch-1 checkpoint it resumed from is intact, no temporary file is left, and every
    # other file is as it was
    assert checkpoint.read_bytes() == saved
    assert not [p for p in workdir.rglob("*.tmp") if ".snakemake" not in p.parts]
    assert file_digests(workdir, skip=(".snakemake", "logs", "results/benchmarks")) == before

    snakemake(workdir, *CELL_OUTPUTS, *SMOKE)
    assert run_record(workdir, f"{CELL}/ablation=unmodified")["resumed_from_epoch"] == 1
    for ablation in ABLATIONS:
        assert_same_weights(workdir, smoke_run, f"{CELL}/ablation={ablation}")


def _runs(workdir: Path) -> list[str]:
    return sorted(
        str(path.relative_to(workdir)) for path in workdir.glob("results/runs/*/*/*/*/ablation=*")
    )


def test_killed_snakemake_is_locked_then_resumes_without_recomputing(smoke_run, tmp_path):
    workdir = make_workdir(tmp_path)
    first = start_snakemake(workdir, *SMOKE)
    locks = workdir / ".snakemake" / "locks"
    wait_for(
        lambda: locks.is_dir() and any(locks.iterdir()),
        first,
        "Snakemake's lock",
        on_timeout=kill_tree,
    )

    # a second Snakemake on the same folder is refused while the first runs
    second = snakemake(workdir, *SMOKE, check=False)
    assert second.returncode != 0
    assert "Directory cannot be locked" in second.stdout + second.stderr

    def training_in_flight() -> bool:
        """A train_model job half way: one run of its cell written, another in training (so
        the killed job leaves outputs behind for Snakemake to mark incomplete)."""
        for checkpoint in workdir.glob("results/runs/**/checkpoint.pt"):
            run = checkpoint.parent
            if (run / "trained.pt").exists():
                continue
            if any((other / "run.json").exists() for other in run.parent.glob("ablation=*")):
                return True
        return False

    wait_for(
        training_in_flight,
        first,
        "a cell with a finished run and one in training",
        on_timeout=kill_tree,
    )
    kill_tree(first)  # Snakemake and every job it started, as a dead login session would

    interrupted = {
        str(c.parent.relative_to(workdir)): torch.load(c, weights_only=True)["epoch"]
        for c in workdir.glob("results/runs/**/checkpoint.pt")
        if not (c.parent / "trained.pt").exists()
    }
    assert interrupted
    finished = {
        str(r.parent.relative_to(workdir)): r.stat().st_mtime_ns
        for r in workdir.glob("results/runs/**/run.json")
    }

    # a killed job leaves outputs Snakemake marks incomplete, and the lock outlives the killed
    # Snakemake: each refusal names the flag that deals with it
    incomplete = snakemake(workdir, *SMOKE, check=False)
    assert incomplete.returncode != 0
    assert "--rerun-incomplete" in incomplete.stderr
    stale = snakemake(workdir, "--rerun-incomplete", *SMOKE, check=False)
    assert stale.returncode != 0
    assert "Directory cannot be locked" in stale.stderr
    assert "--unlock" in stale.stderr
    snakemake(workdir, "--unlock", *SMOKE)
    snakemake(workdir, "--rerun-incomplete", *SMOKE)

    runs = _runs(workdir)
    assert len(runs) == 44  # 2 nets x 5 methods x 4 ablations, 4 allocations' unmodified runs
    for run in runs:
        assert_same_weights(workdir, smoke_run, run)
    for run, epoch in interrupted.items():
        assert run_record(workdir, run)["resumed_from_epoch"] == epoch, run
    for run, mtime in finished.items():
        record = run_record(workdir, run)
        # a finished run is either left alone (its job had finished) or, when its job was cut
        # short after it, rewritten from its last-epoch checkpoint: never trained again
        kept = (workdir / run / "run.json").stat().st_mtime_ns == mtime
        assert kept or record["resumed_from_epoch"] == record["epochs"], run
    assert not [p for p in workdir.rglob("*.tmp") if ".snakemake" not in p.parts]
    assert not list(workdir.glob("results/runs/**/checkpoint.pt"))
