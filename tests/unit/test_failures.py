"""The closing summary of a failed run (pai.jobs.failures), read from Snakemake's log and the jobs'
logs as Snakemake 9 and our jobs write them."""

from pathlib import Path

from pai.jobs import failures

SNAKEMAKE_LOG = """\
[Wed Dec  2 18:00:31 2026]
Error in rule score_weights:
    message: None
    jobid: 7
    input: results/init/net=a/seed=0/weights.pt
    output: results/scores/net=a/method=bad/seed=0/scores.pt
    log: logs/score_weights/net=a/method=bad/seed=0.log (check log file(s) for error details)
    conda-env: /x
[Wed Dec  2 18:00:32 2026]
Error in rule score_weights:
    message: None
    jobid: 8
    log: logs/score_weights/net=b/method=bad/seed=0.log (check log file(s) for error details)
[Wed Dec  2 18:00:33 2026]
Error in rule train_dense:
    jobid: 9
    log: logs/train_dense/net=a/seed=0.log (check log file(s) for error details)
Shutting down, this might take some time.
Exiting because a job execution failed. Look below for error messages
"""
TRACEBACK = """\
Traceback (most recent call last):
  File "/x/score_weights.py", line 9, in <module>
    scores = scoring.score(...)
pai.config.plugins.PluginError: plugins.methods.bad (/tmp/bad.py:score): the scores are not finite
"""


def _logs(tmp_path: Path) -> Path:
    for net in ("a", "b"):
        log = tmp_path / f"logs/score_weights/net={net}/method=bad/seed=0.log"
        log.parent.mkdir(parents=True)
        log.write_text("scoring bad on " + net + "\n" + TRACEBACK)
    (tmp_path / "snakemake.log").write_text(SNAKEMAKE_LOG)
    return tmp_path / "snakemake.log"


def test_failed_jobs_and_their_logs_are_read_from_snakemakes_log():
    jobs = failures.failed_jobs(SNAKEMAKE_LOG)
    assert jobs == [
        ("score_weights", ["logs/score_weights/net=a/method=bad/seed=0.log"]),
        ("score_weights", ["logs/score_weights/net=b/method=bad/seed=0.log"]),
        ("train_dense", ["logs/train_dense/net=a/seed=0.log"]),
    ]


def test_each_distinct_problem_is_said_once_with_its_jobs_and_logs(tmp_path):
    text = failures.summary(_logs(tmp_path), tmp_path)
    lines = text.splitlines()
    assert lines[0] == "pai: 3 job(s) failed, 2 distinct problem(s):"
    assert lines[1] == (
        "  - PluginError: plugins.methods.bad (/tmp/bad.py:score): the scores are not finite"
    )
    assert lines[2] == (
        "    in 2 score_weights job(s); log: logs/score_weights/net=a/method=bad/seed=0.log, "
        "logs/score_weights/net=b/method=bad/seed=0.log"
    )
    # a job whose log is missing or holds no error (killed, out of memory) is said so
    assert "no error in its log" in lines[3] and "train_dense" in lines[4]


def test_snakemakes_list_of_logs_is_read_too(tmp_path):
    log = _logs(tmp_path)
    assert failures.summary([str(log)], tmp_path) == failures.summary(log, tmp_path)


def test_no_log_no_summary(tmp_path):
    assert failures.summary(None) == ""
    assert failures.summary([], tmp_path) == ""
    assert failures.summary(tmp_path / "absent.log", tmp_path) == ""
