"""train_lottery_round: IMP round r, round r's mask on the rewind-point weights, trained from the
rewind iteration to the end (open_lth's lottery level r)."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
from pai import ablations, nets, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, output = snakemake.params, snakemake.wildcards, snakemake.output
dataset = pipeline.load_cached_data(snakemake.input.dataset)
model = nets.build_net(params.arch, dataset.input_shape, dataset.num_classes)
mask = storage.load(snakemake.input.mask)["unmodified"]
seed = int(wildcards.seed)
# built as apply_ablation builds the lottery cell's unmodified run, so both train the same bits
start = ablations.start_state(
    "unmodified", model, storage.load(snakemake.input.rewind), mask, seed=seed
)
checkpoint = Path(output.trained).with_name("checkpoint.pt")
pipeline.train_and_write(
    model,
    start,
    dataset,
    params,
    seed=seed,
    checkpoint=checkpoint,
    keys={
        "net": wildcards.net,
        "method": "lottery",
        "sparsity": float(params.sparsity),
        "seed": seed,
        "ablation": "unmodified",
    },
    details={"round": int(wildcards["round"]), "start_iteration": params.start_iteration},
    paths=output,
    job_provenance=pipeline.provenance(Path(snakemake.scriptdir).parents[1]),
    start_iteration=params.start_iteration,
)
checkpoint.unlink(missing_ok=True)
pipeline.end_job()
