"""compute_similarity: per-layer SVCCA and linear CKA of every trained run of one (net, sparsity,
seed) against its reference (the pairs of compute_distances)."""

import pandas as pd

from pai import data, grid, pipeline, similarity, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
dataset = data.load_cached(snakemake.input.dataset)
probe = similarity.Probe(params.arch, dataset, params.examples, pipeline.device(params.device))
keys = {"net": wildcards.net, "sparsity": float(wildcards.sparsity), "seed": int(wildcards.seed)}
runs = [tuple(run) for run in params.runs]
rows = similarity.group_rows(
    keys, runs, lambda run: probe.activations(snakemake.input[grid.file_key("trained", *run)])
)
storage.write_parquet(pd.DataFrame(rows, columns=similarity.COLUMNS), snakemake.output.similarity)
pipeline.end_job()
