"""compute_distances: per-layer W1 of every run of one (net, sparsity, seed) against its reference.

Inputs and outputs are ordered methods outer, ablations inner (see common.smk).
"""

import itertools
import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

import pandas as pd

from pai import distances, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, inputs = snakemake.params, snakemake.wildcards, snakemake.input
runs = list(itertools.product(params.methods, params.ablations))
files = dict(zip(runs, zip(inputs.starts, inputs.trained, strict=True), strict=True))
outputs = dict(zip(runs, snakemake.output, strict=True))
loaded = {}
columns = ["net", "method", "sparsity", "seed", "comparison", "layer", "stage", "entries", "w1"]


def load(run):
    if run not in loaded:
        start, trained = files[run]
        loaded[run] = (storage.load(start), storage.load(trained))
    return loaded[run]


def compare(reference, other):
    """Rows (stage, layer, entries, w1) of ``other`` against ``reference``, both stages."""
    (ref_start, ref_trained), (start, trained) = load(reference), load(other)
    layers = list(ref_start["mask"])
    rows = []
    for stage, ref_w, w in (
        ("init", ref_start["weights"], start["weights"]),
        ("trained", ref_trained, trained),
    ):
        for row in distances.compare_runs(ref_w, ref_start["mask"], w, start["mask"], layers):
            rows.append({"stage": stage, **row})
    return rows


pairs = pipeline.comparisons(runs)
for run, path in outputs.items():
    method, _ = run
    keys = {
        "net": wildcards.net,
        "method": method,
        "sparsity": float(wildcards.sparsity),
        "seed": int(wildcards.seed),
    }
    rows = []
    if pairs[run] is not None:
        comparison, reference, other = pairs[run]
        rows = [{**keys, "comparison": comparison, **r} for r in compare(reference, other)]
    pipeline.write_parquet(pd.DataFrame(rows, columns=columns), path)
pipeline.end_job()
