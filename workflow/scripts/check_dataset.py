"""check_dataset: a plugin dataset loaded once with every check download_data applies (shapes,
labels, classes, finite images), writing nothing but what it found."""

from pai import data, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
dataset = data.load(snakemake.params.dataset)
storage.write_json(data.manifest(dataset), snakemake.output.check)
pipeline.end_job()
