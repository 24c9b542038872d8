"""measure_topology: effective paths, nodes and weights of every start mask of one (net, sparsity,
seed); inputs and outputs are ordered methods outer, ablations inner (see common.smk)."""

import itertools
import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
import pandas as pd

from pai import data, nets, pipeline, storage, topology

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
shape, classes = data.dataset_shape(params.dataset["name"], params.dataset["synthetic"])
model = nets.build_net(params.arch, shape, classes)
runs = itertools.product(params.methods, params.ablations)
for (method, ablation), start_path, path in zip(
    runs, snakemake.input.starts, snakemake.output, strict=True
):
    measured = topology.measure(model, storage.load(start_path)["mask"], shape)
    keys = {
        "net": wildcards.net,
        "method": method,
        "sparsity": float(wildcards.sparsity),
        "seed": int(wildcards.seed),
        "ablation": ablation,
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
