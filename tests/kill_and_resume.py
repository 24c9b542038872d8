"""A training job as its own process (tests/unit/a_training_job.py), and killing it mid-run:
what the kill-and-resume tests of the solo and the packed engine share."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline_helpers import wait_for

SCRIPT = Path(__file__).parent / "unit" / "a_training_job.py"


def start_train_job(checkpoint: Path, output: Path, epochs: int, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(SCRIPT.parent))
    command = [sys.executable, str(SCRIPT), str(checkpoint), str(output), str(epochs), *extra]
    return subprocess.Popen(command, env=env)


def kill_after_first_checkpoint(job: subprocess.Popen, checkpoint: Path) -> None:
    """Wait for the job's first epoch checkpoint, then SIGKILL it in its next epoch."""
    wait_for(checkpoint.exists, job, "its first checkpoint", timeout=300)
    time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL
