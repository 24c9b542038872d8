"""download_data: fetch, build or read one dataset; write its tensors and a manifest."""

from pai import data, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
dataset = data.load(snakemake.params.dataset)
# every later job reads these tensors instead of parsing the dataset again (seconds per job)
storage.save(data.to_cache(dataset), snakemake.output.tensors)
storage.write_json(data.manifest(dataset), snakemake.output.manifest)
pipeline.end_job()
