"""benchmarks/gpu_check.py in its reduced form, on whatever device this machine has, so that the
GPU check cannot rot between the sessions that have a GPU."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_gpu_check_runs_and_its_checks_hold(tmp_path):
    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/gpu_check.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(out.read_text())
    assert found["quick"] and found["correctness"] and found["speed"]
    for check in found["correctness"]:
        assert check["pruned_exactly_zero"], check
        assert check["one_step_relative_difference"] < 1e-4, check  # float32 rounding only
    modes = {(r["net"], r["mode"]) for r in found["speed"]}
    assert len(modes) == 3 * 5
    assert all(r["ms_per_iteration_per_run"] > 0 for r in found["speed"])
    assert set(found["paper_grid"]["runs"]) == {"lenet300", "resnet20", "vgg16"}
