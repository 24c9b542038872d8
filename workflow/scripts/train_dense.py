"""train_dense: the unpruned net of one seed, trained with the net's settings (the dense baseline of
the similarity analysis and of matching sparsity; MtM's after-training benchmarks prune it, and
its state at the rewind iteration is where lottery rounds restart)."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
from pai import masks, nets, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, output = snakemake.params, snakemake.wildcards, snakemake.output
dataset = pipeline.load_cached_data(snakemake.input.dataset)
model = nets.build_net(params.arch, dataset.input_shape, dataset.num_classes)
model.load_state_dict(storage.load(snakemake.input.init))
start = {"weights": model.state_dict(), "mask": masks.ones_mask(model)}
checkpoint = Path(output.trained).with_name("checkpoint.pt")
result = pipeline.train_and_write(
    model,
    start,
    dataset,
    params,
    seed=int(wildcards.seed),
    checkpoint=checkpoint,
    keys={"net": wildcards.net, "method": "dense", "sparsity": 0.0, "seed": int(wildcards.seed)},
    details={"ablation": "unmodified", "rewind_iteration": params.rewind_iteration},
    paths=output,
    job_provenance=pipeline.provenance(Path(snakemake.scriptdir).parents[1]),
    snapshot_iteration=params.rewind_iteration,
)
storage.save(result.snapshot, output.rewind)
checkpoint.unlink(missing_ok=True)
pipeline.end_job()
