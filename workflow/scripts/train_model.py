"""train_model: train every ablation run of one cell; checkpoints make a killed job resume."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
from pai import nets, pipeline, storage

REPO = Path(snakemake.scriptdir).parents[1]

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, output = snakemake.params, snakemake.wildcards, snakemake.output
dataset = pipeline.load_cached_data(snakemake.input.dataset)
# the repository is found from this script, not passed as a param: a param holding an absolute
# path would make Snakemake retrain everything after the project folder is moved or copied
provenance = pipeline.provenance(REPO)
checkpoints = [Path(path).with_name("checkpoint.pt") for path in output.trained]
# every start state is read before any training: an unreadable one stops the job at once
starts = [storage.load(path) for path in snakemake.input.starts]
for index, ablation in enumerate(params.ablations):
    start, checkpoint = starts[index], checkpoints[index]
    model = nets.build_net(params.arch, dataset.input_shape, dataset.num_classes)
    pipeline.train_and_write(
        model,
        start,
        dataset,
        params,
        seed=int(wildcards.seed),
        checkpoint=checkpoint,
        keys={
            "net": wildcards.net,
            "method": wildcards.method,
            "sparsity": float(wildcards.sparsity),
            "seed": int(wildcards.seed),
            "ablation": ablation,
        },
        details={"start_iteration": params.start_iteration},
        paths={name: output[name][index] for name in ("trained", "history", "run")},
        job_provenance=provenance,
        start_iteration=params.start_iteration,
    )

# Only now, with every run of the job written, do the checkpoints go. Snakemake deletes all of a
# job's outputs before rerunning it, so if this job is killed after its first runs finished, the
# rerun finds their last-epoch checkpoints and rewrites their outputs without training again.
for checkpoint in checkpoints:
    checkpoint.unlink(missing_ok=True)
pipeline.end_job()
