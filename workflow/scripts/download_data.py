"""download_data: fetch, build or read one dataset; write its tensors and a manifest."""

from pai import storage
from pai.data import datasets, tensors
from pai.jobs import lifecycle

lifecycle.start_job(snakemake.log[0], snakemake.threads)
dataset = datasets.load(snakemake.params.dataset)
# every later job reads these tensors instead of parsing the dataset again (seconds per job)
storage.save(tensors.to_cache(dataset), snakemake.output.tensors)
storage.write_json(tensors.manifest(dataset), snakemake.output.manifest)
lifecycle.end_job()
