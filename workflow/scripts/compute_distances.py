"""compute_distances: per-layer W1 of one cell's runs against their reference runs."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

import pandas as pd

from pai import distances, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, inputs = snakemake.params, snakemake.wildcards, snakemake.input
keys = {
    "net": wildcards.net,
    "method": wildcards.method,
    "sparsity": float(wildcards.sparsity),
    "seed": int(wildcards.seed),
}
runs = {
    ablation: (storage.load(start), storage.load(trained))
    for ablation, start, trained in zip(
        params.ablations, inputs.starts, inputs.trained, strict=True
    )
}
reference = runs.get("unmodified")
columns = [*keys, "comparison", "layer", "stage", "entries", "w1"]


def compare(other):
    """Rows of (stage, layer, entries, w1) between the unmodified run and other."""
    rows = []
    (ref_start, ref_trained), (start, trained) = reference, other
    layers = list(ref_start["mask"])
    for stage, ref_w, w in (
        ("init", ref_start["weights"], start["weights"]),
        ("trained", ref_trained, trained),
    ):
        for row in distances.compare_runs(ref_w, ref_start["mask"], w, start["mask"], layers):
            rows.append({"stage": stage, **row})
    return rows


for ablation, path in zip(params.ablations, snakemake.output, strict=True):
    rows = []
    if reference is not None and ablation != "unmodified":
        rows = [{**keys, "comparison": ablation, **r} for r in compare(runs[ablation])]
    elif reference is not None and hasattr(inputs, "random_start"):
        other = (storage.load(inputs.random_start), storage.load(inputs.random_trained))
        rows = [{**keys, "comparison": "random", **r} for r in compare(other)]
    pipeline.write_parquet(pd.DataFrame(rows, columns=columns), path)
