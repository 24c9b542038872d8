"""`snakemake --profile slurm` on a real one-node Slurm cluster (see conftest.py).

The shipped profile (slurm/config.yaml) is used as it is, with only the test cluster's overrides
(tests/cluster/profile/config.yaml) layered on top as a workflow profile.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from pipeline_helpers import REPO, make_workdir, planned_jobs, snakemake

SMOKE = ("--configfile", "presets/smoke.yaml")
SLURM = ("--profile", "slurm", "--workflow-profile", str(REPO / "tests/cluster/profile"))
TIMEOUT = 1500


def slurm_jobs(workdir: Path) -> list[dict[str, str]]:
    """Slurm's own records of the jobs submitted from ``workdir`` (scontrol, one line a job)."""
    text = subprocess.run(
        ["scontrol", "show", "job", "--oneliner"], capture_output=True, text=True, check=True
    ).stdout
    jobs = []
    for line in text.splitlines():
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        if Path(fields.get("WorkDir", "/nonexistent")).resolve() == workdir.resolve():
            jobs.append(fields)
    return jobs


def rule_of(job: dict[str, str]) -> str:
    # the plugin comments each job "rule_<name>_wildcards_<...>"; a group job's name is
    # "<group>_<its sorted rules>", e.g. "prepare_make_allocation_mask_make_mask"
    comment = job.get("Comment", "")
    return comment.removeprefix("rule_").split("_wildcards_")[0]


def _gpus_asked(job: dict[str, str]) -> str:
    # sbatch --gpus=1 shows as TresPerJob=gres:gpu:1 (TRES lists only accounted resources)
    return job.get("TresPerJob", "") + job.get("TresPerNode", "")


def result_files(workdir: Path) -> dict[str, Path]:
    """Every output whose content is determined by config, code and seed (no wall times)."""
    root = workdir / "results"
    files = {}
    for pattern in ("init/**/*.pt", "scores/**/*.pt", "masks/**/*.pt", "runs/**/*.pt"):
        files.update({str(p.relative_to(root)): p for p in root.glob(pattern)})
    files.update({str(p.relative_to(root)): p for p in root.glob("analyses/**/*.parquet")})
    files.update({str(p.relative_to(root)): p for p in root.glob("runs/**/history.parquet")})
    return files


def assert_same_content(a: Path, b: Path) -> None:
    if a.suffix == ".pt":
        left, right = (torch.load(p, weights_only=True) for p in (a, b))
        assert _flatten(left).keys() == _flatten(right).keys(), a
        for key, value in _flatten(left).items():
            other = _flatten(right)[key]
            if isinstance(value, torch.Tensor):
                assert value.dtype == other.dtype and torch.equal(value, other), (a, key)
            else:
                assert value == other, (a, key)
    else:
        # wall-clock seconds per epoch are the one column that may differ
        left, right = (
            pd.read_parquet(p).drop(columns=["seconds"], errors="ignore") for p in (a, b)
        )
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}/{key}"))
        return out
    return {prefix: obj}


@pytest.fixture(scope="module")
def cluster_run(slurm_cluster, tmp_path_factory):
    workdir = make_workdir(tmp_path_factory.mktemp("slurm"))
    snakemake(workdir, *SMOKE, *SLURM, timeout=TIMEOUT)
    return workdir


def test_jobs_went_through_sbatch_to_the_right_partitions(cluster_run):
    jobs = slurm_jobs(cluster_run)
    rules = [rule_of(job) for job in jobs]
    assert rules.count("train_model") == 10, rules
    assert rules.count("train_lottery_round") == 12, rules
    assert all(job["JobState"] == "COMPLETED" for job in jobs), [
        (rule_of(j), j["JobState"]) for j in jobs
    ]
    for job in jobs:
        # training and the similarity analysis's forward passes run on a GPU node
        gpu_rules = (
            "train_model",
            "train_allocation",
            "train_dense",
            "train_lottery_round",
            "compute_similarity",
        )
        if rule_of(job) in gpu_rules:
            assert job["Partition"] == "gpu", job
            assert "gpu:1" in _gpus_asked(job), job
        else:
            assert job["Partition"] == "cpu", job
            assert "gpu" not in _gpus_asked(job), job
    # the many small jobs were grouped: a "prepare" group job holds a method cell's make_mask
    # (alone, or beside allocation cells' make_allocation_mask: which ones share a group is the
    # scheduler's choice)
    prepared = [r for r in rules if r.startswith("prepare_")]
    # (the rule names are sorted: "make_mask" is last whenever it is a member)
    assert any(r.endswith("_make_mask") for r in prepared), rules
    assert any("make_allocation_mask" in r for r in prepared), rules
    assert "make_allocation_mask" not in rules
    # distance jobs (with the topology) run in the "distances" group, named after its rules
    assert any(r.startswith("distances_") and "analyse_weights" in r for r in rules), rules
    assert "analyse_weights" not in rules and "make_mask" not in rules
    assert rules.count("apply_ablation") == 2  # the lottery cells: ungrouped, see the profile


def test_training_saw_its_gpu_inside_the_slurm_job(cluster_run):
    runs = sorted((cluster_run / "results/runs").glob("**/run.json"))
    assert len(runs) == 44  # 2 nets x 5 methods x 4 ablations, 4 allocations' unmodified runs
    for path in runs:
        environment = json.loads(path.read_text())["provenance"]["environment"]
        assert environment["SLURM_JOB_ID"], path
        assert environment["SLURM_JOB_PARTITION"] == "gpu", path
        assert environment["CUDA_VISIBLE_DEVICES"] == "0", path


def test_cluster_results_equal_a_local_run_bit_for_bit(cluster_run, smoke_run):
    # the local run is the suite's shared smoke run (tests/conftest.py), made here the first time
    cluster, local = result_files(cluster_run), result_files(smoke_run)
    assert cluster.keys() == local.keys()
    assert len(cluster) > 60
    for name in sorted(cluster):
        assert_same_content(cluster[name], local[name])


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the socket is closed


def _with_mnist(workdir: Path, mirror: str) -> tuple[str, ...]:
    config = yaml.safe_load((workdir / "presets/smoke.yaml").read_text())
    config["data"]["mirrors"]["mnist"] = mirror
    config["nets"]["lenet300-mnist"] = {
        **config["nets"]["lenet300-digits"],
        "dataset": "mnist",
        "epochs": 1,
    }
    config["grid"]["nets"].append("lenet300-mnist")
    (workdir / "with_mnist.yaml").write_text(yaml.safe_dump(config))
    return ("--configfile", "presets/smoke.yaml", "with_mnist.yaml")


@pytest.mark.network
def _kept_outputs(workdir: Path) -> dict[Path, int]:
    """mtime of every per-run output (tables and figures are rebuilt whenever runs are added)."""
    keep = ("init", "scores", "masks", "runs")
    return {
        path: path.stat().st_mtime_ns
        for part in keep
        for path in (workdir / "results" / part).glob("**/*")
        if path.is_file()
    }


def test_a_failed_job_is_reported_and_the_rerun_redoes_nothing_finished(cluster_run, mnist_mirror):
    smoke_outputs = _kept_outputs(cluster_run)

    # a dead mirror: download_data fails on the cluster; jobs that need no data still finish
    broken = _with_mnist(cluster_run, _closed_port_url())
    failed = snakemake(cluster_run, *broken, *SLURM, "--keep-going", check=False, timeout=TIMEOUT)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "Error in rule download_data" in output, output[-3000:]
    log = (cluster_run / "logs/download_data/mnist.log").read_text()
    assert "127.0.0.1" in log, log[-2000:]  # the job's log names the URL that failed
    assert (cluster_run / "results/init/net=lenet300-mnist/seed=0/weights.pt").is_file()
    finished = _kept_outputs(cluster_run)
    assert finished.items() >= smoke_outputs.items()
    before = {job["JobId"] for job in slurm_jobs(cluster_run)}

    # after the fix, Snakemake plans the failed job and what waited on it, nothing that finished
    fixed = _with_mnist(cluster_run, mnist_mirror)
    plan = planned_jobs(cluster_run, *fixed)
    assert plan.get("download_data") == 1
    assert "init_weights" not in plan  # the MNIST net's init finished in the failed run
    assert plan.get("train_model") == 5  # the MNIST cells only

    snakemake(cluster_run, *fixed, *SLURM, timeout=TIMEOUT)
    new_jobs = [job for job in slurm_jobs(cluster_run) if job["JobId"] not in before]
    assert new_jobs and all(job["JobState"] == "COMPLETED" for job in new_jobs)
    assert "init_weights" not in {rule_of(job) for job in new_jobs}
    runs = pd.read_parquet(cluster_run / "results/tables/runs.parquet")
    assert set(runs["net"]) == {"lenet300-digits", "resnet20-synthetic", "lenet300-mnist"}
    # nothing that was finished before the rerun was written again
    assert {path: path.stat().st_mtime_ns for path in finished} == finished
    assert planned_jobs(cluster_run, *fixed) == {}
