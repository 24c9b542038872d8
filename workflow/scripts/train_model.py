"""train_model: train every ablation run of one cell (packed into one model where the config asks
for it); checkpoints make a killed job resume."""

from pathlib import Path

from pai import storage
from pai.config import grid
from pai.data import tensors
from pai.jobs import lifecycle, runs
from pai.models import nets

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, output = snakemake.params, snakemake.wildcards, snakemake.output
dataset = tensors.load_cached(snakemake.input.dataset)
kinds = ("trained", "history", "run")
paths = {a: {kind: output[grid.file_key(kind, a)] for kind in kinds} for a in params.ablations}
checkpoints = {a: Path(p["trained"]).with_name("checkpoint.pt") for a, p in paths.items()}
# every start state is read before any training: an unreadable one stops the job at once
starts = {a: storage.load(snakemake.input[grid.file_key("start", a)]) for a in params.ablations}
runs.train_and_write(
    lambda: nets.build_net(params.arch, dataset.input_shape, dataset.num_classes),
    starts,
    dataset,
    runs.train_config(params),
    seed=int(wildcards.seed),
    device=lifecycle.device(params.device),
    checkpoints=checkpoints,
    keys=lambda ablation: {
        "net": wildcards.net,
        "method": wildcards.method,
        "sparsity": float(wildcards.sparsity),
        "seed": int(wildcards.seed),
        "ablation": ablation,
    },
    details=runs.details(params, start_iteration=params.start_iteration),
    paths=paths,
    provenance=lifecycle.provenance(),
    start_iteration=params.start_iteration,
    pack=params.pack,
)

# Only now, with every run of the job written, do the checkpoints go. Snakemake deletes all of a
# job's outputs before rerunning it, so if this job is killed after its first runs finished, the
# rerun finds their last-epoch checkpoints and rewrites their outputs without training again.
for checkpoint in checkpoints.values():
    checkpoint.unlink(missing_ok=True)
lifecycle.end_job()
