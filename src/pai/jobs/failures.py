"""What went wrong in a failed run, said once per problem at the end of Snakemake's output.

Snakemake ends a failed run on "At least one job did not complete successfully", with the
useful line tens of lines above it inside a traceback, once per failed job. The Snakefile's
``onerror`` hands :func:`summary` Snakemake's own log: it finds each failed job and its log file,
takes the error each log ends on (the plugin or file our checks name), and groups the jobs by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FAILED_JOB = re.compile(r"^Error in rule (?P<rule>\w+):")
JOB_LOG = re.compile(r"^\s+log: (?P<paths>.+?)(?: \(check log file\(s\) for error details\))?$")
# the last line of a Python traceback: "module.SomeError: what happened"
RAISED = re.compile(r"^(?:[\w.]+\.)?(?P<kind>\w*(?:Error|Exception|Exit)):? ?(?P<text>.*)$")
MOST_LOGS = 2  # log paths named per problem; the rest are counted


@dataclass
class Problem:
    text: str
    rules: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)


def failed_jobs(snakemake_log: str) -> list[tuple[str, list[str]]]:
    """(rule, its log files) of every job Snakemake's log reports as failed."""
    jobs: list[tuple[str, list[str]]] = []
    for line in snakemake_log.splitlines():
        started = FAILED_JOB.match(line)
        if started:
            jobs.append((started["rule"], []))
            continue
        logged = JOB_LOG.match(line)
        if logged and jobs and not jobs[-1][1]:
            jobs[-1][1].extend(p.strip() for p in logged["paths"].split(","))
    return jobs


def last_error(log_text: str) -> str | None:
    """The error a job's log ends on: the last line that names a raised exception."""
    for line in reversed(log_text.splitlines()):
        raised = RAISED.match(line.strip())
        if raised and raised["kind"] not in ("WorkflowError",):
            return f"{raised['kind']}: {raised['text']}".rstrip(": ")
    return None


def problems(snakemake_log: Path, workdir: Path = Path()) -> list[Problem]:
    """The failed jobs of a run grouped by the error their logs end on, first seen first."""
    text = snakemake_log.read_text(errors="replace") if snakemake_log.is_file() else ""
    found: dict[str, Problem] = {}
    for rule, logs in failed_jobs(text):
        error = None
        for log in logs:
            path = workdir / log
            if path.is_file():
                error = last_error(path.read_text(errors="replace")) or error
        error = error or "no error in its log (killed, out of memory, or a Slurm failure?)"
        problem = found.setdefault(error, Problem(error))
        problem.rules.append(rule)
        problem.logs += logs
    return list(found.values())


def summary(snakemake_log: str | Path | list | None, workdir: Path = Path()) -> str:
    """The closing lines of a failed run: each distinct problem once, with its jobs and logs.
    ``snakemake_log``: Snakemake's log file (Snakemake 9 hands ``onerror`` a list of them)."""
    logs = snakemake_log if isinstance(snakemake_log, list | tuple) else [snakemake_log]
    found = [p for log in logs if log for p in problems(Path(log), workdir)]
    if not found:
        return ""
    jobs = sum(len(p.rules) for p in found)
    lines = [f"pai: {jobs} job(s) failed, {len(found)} distinct problem(s):"]
    for problem in found:
        rules = ", ".join(dict.fromkeys(problem.rules))
        shown = ", ".join(problem.logs[:MOST_LOGS])
        more = len(problem.logs) - MOST_LOGS
        lines.append(f"  - {problem.text}")
        lines.append(
            f"    in {len(problem.rules)} {rules} job(s); log: {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    return "\n".join(lines)
