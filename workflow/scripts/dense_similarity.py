"""dense_similarity: the baseline of the similarity analysis: per-layer SVCCA and CKA of the dense
net of each seed against that of the next seed."""

import pandas as pd

from pai import storage
from pai.analysis import similarity
from pai.config import grid
from pai.data import tensors
from pai.jobs import lifecycle

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
dataset = tensors.load_cached(snakemake.input.dataset)
probe = similarity.Probe(params.arch, dataset, params.examples, lifecycle.device(params.device))
rows = similarity.dense_rows(
    snakemake.wildcards.net,
    params.seeds,
    lambda seed: probe.activations(snakemake.input[grid.file_key("seed", str(seed))]),
)
storage.write_parquet(pd.DataFrame(rows, columns=similarity.COLUMNS), snakemake.output.similarity)
lifecycle.end_job()
