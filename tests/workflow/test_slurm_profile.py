"""The shipped Slurm profile, as Snakemake reads it: what each job would ask Slurm for.

A dry run with `--profile slurm` needs no cluster; the jobs' resources are printed in the plan.
The real submission is tested on a real cluster in tests/cluster/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml
from pipeline_helpers import REPO, make_workdir

SMOKE = ("--configfile", "presets/smoke.yaml")
# jobs that run on a GPU node: training (the cells, the dense runs MtM's benchmarks prune, the
# lottery rounds), and the forward passes of the similarity analysis
GPU_RULES = {
    "train_model",
    "train_allocation",
    "train_dense",
    "train_lottery_round",
    "compute_similarity",
}


def planned_resources(workdir, env: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """rule -> resources of each of its planned jobs, from a dry run with the profile."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAI_SLURM_")}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "8", "--profile", "slurm", "-n", *SMOKE],
        cwd=workdir,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    plan: dict[str, list[dict[str, str]]] = {
        "groups": [{"name": name} for name in re.findall(r"Group job (\w+)", result.stdout)]
    }
    # grouped jobs are listed indented under "Group job <name>"
    for block in re.split(r"\n(?=\s*(?:local)?rule )", result.stdout):
        head = re.match(r"\s*(?:local)?rule (\w+):", block)
        found = re.search(r"^\s+resources: (.*)$", block, re.MULTILINE)
        if head and found:
            resources = dict(item.split("=", 1) for item in found.group(1).split(", "))
            plan.setdefault(head.group(1), []).append(resources)
    return plan


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return make_workdir(tmp_path_factory.mktemp("profile"))


def test_defaults_send_training_to_one_gpu_and_the_rest_to_cpu(workdir):
    plan = planned_resources(workdir, {})
    assert len(plan["train_model"]) == 10
    for rule in ("train_dense", "train_lottery_round"):
        for job in plan[rule]:
            assert (job["slurm_partition"], job["gpu"]) == ("gpu", "1"), rule
    for job in plan["train_model"]:
        assert job["slurm_partition"] == "gpu"
        assert job["gpu"] == "1"
        assert "gpu_model" not in job and "slurm_account" not in job
        assert job["runtime"] == "10"  # smoke nets: 10 minutes each
        assert int(job["mem_mb"]) >= 8000
    for job in plan["compute_similarity"]:
        assert (job["slurm_partition"], job["gpu"], job["runtime"]) == ("gpu", "1", "30")
    # the small CPU jobs are grouped; GPU jobs are not
    assert {group["name"] for group in plan.pop("groups")} == {"prepare", "distances"}
    others = [job for rule, jobs in plan.items() if rule not in GPU_RULES for job in jobs]
    assert others and all(job["slurm_partition"] == "cpu" for job in others)
    assert not any("gpu" in job for job in others)


def test_site_settings_come_from_the_environment(workdir):
    env = {
        "PAI_SLURM_CPU_PARTITION": "short",
        "PAI_SLURM_GPU_PARTITION": "a100q",
        "PAI_SLURM_ACCOUNT": "lab42",
        "PAI_SLURM_GPU_MODEL": "a100",
        "PAI_SLURM_RUNTIME_SCALE": "3",
    }
    plan = planned_resources(workdir, env)
    plan.pop("groups")
    for job in plan["train_model"]:
        assert (job["slurm_partition"], job["gpu_model"]) == ("a100q", "a100")
        assert job["runtime"] == "30"
    for rule, jobs in plan.items():
        for job in jobs:
            assert job["slurm_account"] == "lab42", rule
            if rule not in GPU_RULES:
                assert job["slurm_partition"] == "short", rule
    assert plan["make_mask"][0]["runtime"] == "30"  # 10 minutes, scaled
    assert plan["compute_similarity"][0]["slurm_partition"] == "a100q"


def test_dense_training_goes_to_the_gpu_for_a_quarter_of_the_time(workdir):
    override = workdir / "seeds.yaml"
    override.write_text("grid: {seeds: [0, 1]}\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAI_SLURM_")}
    target = "results/dense/net=resnet20-synthetic/seed=1/trained.pt"
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", target, "--cores", "8", "--profile", "slurm", "-n",
         *SMOKE, str(override)],
        cwd=workdir, env=clean, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    block = result.stdout.split("rule train_dense:", 1)[1]
    resources = re.search(r"resources: (.*)", block).group(1)
    assert "slurm_partition=gpu" in resources and "gpu=1" in resources
    assert "runtime=8" in resources  # 10 min / 4 + 5, rounded


def test_the_default_workflow_profile_sets_no_resources():
    # profiles/default/ is loaded as the workflow profile by every run: a resource or executor key
    # there would replace the Slurm profile's; it may set what every run shares alone: the
    # report's stylesheet and what reruns a finished job (never "code": a moved import would
    # relaunch the grid)
    settings = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    assert settings == {
        "report-stylesheet": "workflow/report/report.css",
        "rerun-triggers": ["mtime", "params", "input", "software-env"],
    }
    assert (REPO / settings["report-stylesheet"]).is_file()


def test_a_plugin_methods_jobs_get_the_same_resources(workdir):
    """The example plugins (examples/plugins.yaml) through the profile: the plugin method's
    training goes to the GPU partition like any method's, its masks to the CPU groups."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAI_SLURM_")}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "8", "--profile", "slurm", "-n", *SMOKE,
         "examples/plugins.yaml"],
        cwd=workdir, env=clean, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    jobs = []
    for block in re.split(r"\n(?=\s*(?:local)?rule )", result.stdout):
        head = re.match(r"\s*(?:local)?rule (\w+):", block)
        wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.MULTILINE)
        found = re.search(r"^\s+resources: (.*)$", block, re.MULTILINE)
        if head and wildcards and found:
            resources = dict(item.split("=", 1) for item in found.group(1).split(", "))
            jobs.append((head.group(1), wildcards.group(1), resources))
    mine = [(rule, res) for rule, wc, res in jobs if "method=layerwise_magnitude" in wc]
    rules = sorted({rule for rule, _ in mine})
    assert rules == ["check_method", "make_mask", "score_weights", "train_model"]
    for rule, resources in mine:
        if rule == "train_model":
            assert (resources["slurm_partition"], resources["gpu"]) == ("gpu", "1")
        else:
            assert resources["slurm_partition"] == "cpu" and "gpu" not in resources
    assert sum(rule == "train_model" for rule, _ in mine) == 3  # one cell per net
    # the plugin net's training gets the profile's runtime for nets it does not list
    convnet = [res for rule, wc, res in jobs if rule == "train_model" and "convnet-shapes" in wc]
    assert convnet and all(res["slurm_partition"] == "gpu" for res in convnet)
