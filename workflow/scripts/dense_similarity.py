"""dense_similarity: the baseline of the similarity analysis: per-layer SVCCA and CKA of the dense
net of each seed against that of the next seed."""

import pandas as pd

from pai import data, grid, pipeline, similarity, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
dataset = data.load_cached(snakemake.input.dataset)
probe = similarity.Probe(params.arch, dataset, params.examples, pipeline.device(params.device))
rows = similarity.dense_rows(
    snakemake.wildcards.net,
    params.seeds,
    lambda seed: probe.activations(snakemake.input[grid.file_key("seed", str(seed))]),
)
storage.write_parquet(pd.DataFrame(rows, columns=similarity.COLUMNS), snakemake.output.similarity)
pipeline.end_job()
