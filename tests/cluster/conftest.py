"""A real single-node Slurm cluster for the duration of the cluster tests (slurm_cluster.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("slurm_cluster.sh")


def _why_no_cluster() -> str | None:
    if os.environ.get("PAI_SKIP_CLUSTER_TESTS"):
        return "PAI_SKIP_CLUSTER_TESTS is set"
    if os.name != "posix" or os.geteuid() != 0:
        return "starting slurmctld/slurmd needs root"
    if not (shutil.which("apt-get") and shutil.which("dpkg-query")):
        return "no apt-get to install Debian's slurm-wlm and munge"
    return None


@pytest.fixture(scope="session")
def slurm_cluster():
    """Bring the test cluster up (installing its packages if needed); stop what it started."""
    reason = _why_no_cluster()
    if reason:
        pytest.skip(f"no Slurm test cluster here: {reason}")
    up = subprocess.run(["bash", str(SCRIPT), "up"], capture_output=True, text=True, timeout=900)
    if up.returncode != 0:
        # a machine where the packages exist but the daemons cannot start is a failure, not a skip
        pytest.fail(f"slurm_cluster.sh up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
    try:
        yield
    finally:
        subprocess.run(["bash", str(SCRIPT), "down"], capture_output=True, timeout=120)
