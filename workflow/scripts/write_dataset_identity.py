"""dataset_identity: write what decides a dataset's tensors (its shape, options, plugin digest,
folder contents) to a small file. Every job that reads the tensors takes this file as a plain
input (the tensors themselves are ancient), so a change of identity reruns them in the same
invocation that rebuilds the data."""

from pai import storage
from pai.jobs import lifecycle

lifecycle.start_job(snakemake.log[0], snakemake.threads)
storage.write_json(snakemake.params.identity, snakemake.output.identity)
lifecycle.end_job()
