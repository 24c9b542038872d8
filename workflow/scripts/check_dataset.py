"""check_dataset: a plugin dataset loaded once with every check download_data applies (shapes,
labels, classes, finite images), writing nothing but what it found."""

from pai import storage
from pai.data import datasets, tensors
from pai.jobs import lifecycle

lifecycle.start_job(snakemake.log[0], snakemake.threads)
dataset = datasets.load(snakemake.params.dataset)
storage.write_json(tensors.manifest(dataset), snakemake.output.check)
lifecycle.end_job()
