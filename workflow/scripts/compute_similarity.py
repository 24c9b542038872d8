"""compute_similarity: per-layer SVCCA and linear CKA of every trained run of one (net, sparsity,
seed) against its reference (the pairs of analyse_weights), against the dense net trained from
the same seed, and against the dense net of another seed."""

import pandas as pd

from pai import storage
from pai.analysis import similarity
from pai.config import grid
from pai.data import tensors
from pai.jobs import lifecycle

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, inputs = snakemake.params, snakemake.wildcards, snakemake.input
dataset = tensors.load_cached(inputs.dataset)
probe = similarity.Probe(params.arch, dataset, params.examples, lifecycle.device(params.device))
keys = {"net": wildcards.net, "sparsity": float(wildcards.sparsity), "seed": int(wildcards.seed)}
runs = [tuple(run) for run in params.runs]
rows = similarity.group_rows(
    keys,
    runs,
    lambda run: probe.activations(inputs[grid.file_key("trained", *run)]),
    dense=probe.activations(inputs.dense),
    dense_other_seed=(
        probe.activations(inputs.dense_other_seed)
        if getattr(inputs, "dense_other_seed", None)
        else None
    ),
)
storage.write_parquet(pd.DataFrame(rows, columns=similarity.COLUMNS), snakemake.output.similarity)
lifecycle.end_job()
