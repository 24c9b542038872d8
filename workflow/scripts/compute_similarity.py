"""compute_similarity: per-layer SVCCA and linear CKA of every trained run of one (net, sparsity,
seed) against its reference (the pairs of compute_distances), or, for dense_similarity, of the
dense nets of consecutive seeds."""

import itertools
import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
import pandas as pd

from pai import nets, pipeline, similarity, storage, training

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, inputs = snakemake.params, snakemake.wildcards, snakemake.input
dataset = pipeline.load_cached_data(inputs.dataset)
# the same test images for every run compared; seed 0 whatever the run's seed
chosen = similarity.subset_indices(len(dataset.test_y), params.examples, seed=0)
device = training.pick_device(None if params.device == "auto" else params.device)
images = dataset.test_x[chosen].to(device)
model = nets.build_net(params.arch, dataset.input_shape, dataset.num_classes).to(device)
layers = similarity.compared_layers(nets.prunable_names(model))
columns = ["net", "method", "sparsity", "seed", "comparison", "layer", "svcca", "cka"]
cache = {}


def acts(path):
    if path not in cache:
        model.load_state_dict(storage.load(path))
        cache[path] = similarity.activations(model, images, layers)
    return cache[path]


def rows(keys, comparison, reference, other):
    return [
        {**keys, "comparison": comparison, **r}
        for r in similarity.compare(acts(reference), acts(other))
    ]


if params.dense:
    # the baseline: the dense net of each seed against that of the next seed
    seeds, trained = params.seeds, list(inputs.trained)
    table = []
    for (seed, path), (next_seed, next_path) in itertools.pairwise(
        zip(seeds, trained, strict=True)
    ):
        keys = {"net": wildcards.net, "method": "dense", "sparsity": 0.0, "seed": seed}
        table += rows(keys, f"dense seed {next_seed}", path, next_path)
    pipeline.write_parquet(pd.DataFrame(table, columns=columns), snakemake.output[0])
else:
    runs = list(itertools.product(params.methods, params.ablations))
    files = dict(zip(runs, inputs.trained, strict=True))
    pairs = pipeline.comparisons(runs)
    for run, path in zip(runs, snakemake.output, strict=True):
        keys = {
            "net": wildcards.net,
            "method": run[0],
            "sparsity": float(wildcards.sparsity),
            "seed": int(wildcards.seed),
        }
        table = []
        if pairs[run] is not None:
            comparison, reference, other = pairs[run]
            table = rows(keys, comparison, files[reference], files[other])
        pipeline.write_parquet(pd.DataFrame(table, columns=columns), path)
pipeline.end_job()
