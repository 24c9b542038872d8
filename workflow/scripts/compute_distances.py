"""compute_distances: per-layer W1 of every run of one (net, sparsity, seed) against its
reference (pai.distances.comparisons)."""

import pandas as pd

from pai import distances, grid, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
inputs, wildcards = snakemake.input, snakemake.wildcards
keys = {"net": wildcards.net, "sparsity": float(wildcards.sparsity), "seed": int(wildcards.seed)}


def load(run):
    start = storage.load(inputs[grid.file_key("start", *run)])
    return start, storage.load(inputs[grid.file_key("trained", *run)])


runs = [tuple(run) for run in snakemake.params.runs]
rows = distances.group_rows(keys, runs, load)
storage.write_parquet(pd.DataFrame(rows, columns=distances.COLUMNS), snakemake.output.distances)
pipeline.end_job()
