"""measure_topology: effective paths, nodes and weights of every start mask of one (net, sparsity,
seed), and the sparsity of its neurons and channels; inputs and outputs are ordered methods
outer, ablations inner (see common.smk)."""

import itertools
import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
import pandas as pd

from pai import data, nets, pipeline, storage, topology

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
shape, classes = data.spec_shape(params.dataset)
model = nets.build_net(params.arch, shape, classes)
runs = itertools.product(params.methods, params.ablations)
outputs = zip(snakemake.output.topology, snakemake.output.channels, strict=True)
for (method, ablation), start_path, (path, channels_path) in zip(
    runs, snakemake.input.starts, outputs, strict=True
):
    mask = storage.load(start_path)["mask"]
    measured = topology.measure(model, mask, shape)
    run = {
        "net": wildcards.net,
        "method": method,
        "sparsity": float(wildcards.sparsity),
        "seed": int(wildcards.seed),
        "ablation": ablation,
    }
    shares = topology.channel_sparsity_shares(mask)
    channels = [
        {**run, "threshold": s, "share": share}
        for s, share in zip(topology.CHANNEL_THRESHOLDS, shares, strict=True)
    ]
    pipeline.write_parquet(pd.DataFrame(channels), channels_path)
    keys = {
        **run,
        "paths_log10": measured.paths_log10,
        "effective_nodes": measured.effective_nodes,
        "total_nodes": measured.total_nodes,
        "effective_weights": measured.effective_weights,
        "kept_weights": measured.kept_weights,
        "effective_sparsity": measured.effective_sparsity,
    }
    rows = [{**keys, "layer_index": i, **vars(layer)} for i, layer in enumerate(measured.layers)]
    pipeline.write_parquet(pd.DataFrame(rows), path)
pipeline.end_job()
