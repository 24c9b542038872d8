"""measure_topology: effective paths, nodes and weights of every start mask of one (net, sparsity,
seed), and the sparsity of its neurons and channels."""

import pandas as pd

from pai import grid, nets, pipeline, storage, topology

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
shape = params.dataset["shape"]
model = nets.build_net(params.arch, shape, params.dataset["classes"])
keys = {"net": wildcards.net, "sparsity": float(wildcards.sparsity), "seed": int(wildcards.seed)}


def mask_of(run):
    return storage.load(snakemake.input[grid.file_key("start", *run)])["mask"]


runs = [tuple(run) for run in params.runs]
topology_rows, channel_rows = topology.group_rows(keys, runs, mask_of, model, shape)
storage.write_parquet(pd.DataFrame(topology_rows), snakemake.output.topology)
storage.write_parquet(pd.DataFrame(channel_rows), snakemake.output.channels)
pipeline.end_job()
