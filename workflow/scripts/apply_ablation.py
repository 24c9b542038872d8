"""apply_ablation: the start state of every ablation run of one cell."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import ablations, data, nets, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
shape, classes = data.spec_shape(params.dataset)
model = nets.build_net(params.arch, shape, classes)
# the init, or for MtM's benchmarks the trained dense net / the lottery rewind point
weights = storage.load(snakemake.input.weights)
mask_file = storage.load(snakemake.input.mask)
for ablation, path in zip(params.ablations, snakemake.output, strict=True):
    mask = mask_file["invert" if ablation == "invert" else "unmodified"]
    state = ablations.start_state(ablation, model, weights, mask, seed=int(wildcards.seed))
    storage.save(state, path)
pipeline.end_job()
