"""analyse_weights: per-layer W1 of every run of one (net, sparsity, seed) against its reference
(pai.analysis.distances.comparisons), and the topology and per-channel sparsity of every start
mask."""

import pandas as pd

from pai import storage
from pai.analysis import distances, topology
from pai.config import grid
from pai.jobs import lifecycle
from pai.models import nets

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, inputs, wildcards = snakemake.params, snakemake.input, snakemake.wildcards
keys = {"net": wildcards.net, "sparsity": float(wildcards.sparsity), "seed": int(wildcards.seed)}
runs = [tuple(run) for run in params.runs]


def start(run):
    return storage.load(inputs[grid.file_key("start", *run)])


def load(run):
    return start(run), storage.load(inputs[grid.file_key("trained", *run)])


rows = distances.group_rows(keys, runs, load)
storage.write_parquet(pd.DataFrame(rows, columns=distances.COLUMNS), snakemake.output.distances)
shape = params.dataset["shape"]
model = nets.build_net(params.arch, shape, params.dataset["classes"])
topology_rows, channel_rows = topology.group_rows(
    keys, runs, lambda run: start(run)["mask"], model, shape
)
storage.write_parquet(pd.DataFrame(topology_rows), snakemake.output.topology)
storage.write_parquet(pd.DataFrame(channel_rows), snakemake.output.channels)
lifecycle.end_job()
