"""The job layer: a job's set-up, teardown and provenance, a run's files, and the summary
of failed jobs."""
