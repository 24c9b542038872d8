"""train_lottery_round: IMP round r, round r's mask on the rewind-point weights, trained from the
rewind iteration to the end (open_lth's lottery level r)."""

from pathlib import Path

from pai import storage
from pai.data import tensors
from pai.jobs import lifecycle, runs
from pai.models import nets
from pai.pruning import ablations

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, output = snakemake.params, snakemake.wildcards, snakemake.output
dataset = tensors.load_cached(snakemake.input.dataset)
model = nets.build_net(params.arch, dataset.input_shape, dataset.num_classes)
mask = storage.load(snakemake.input.mask)["unmodified"]
seed = int(wildcards.seed)
# built as apply_ablation builds the lottery cell's unmodified run, so both train the same bits
start = ablations.start_state(
    "unmodified", model, storage.load(snakemake.input.rewind), mask, seed=seed
)
checkpoint = Path(output.trained).with_name("checkpoint.pt")
keys = {
    "net": wildcards.net,
    "method": "lottery",
    "sparsity": float(params.sparsity),
    "seed": seed,
    "ablation": "unmodified",
}
runs.train_and_write(
    lambda: model,
    {"unmodified": start},
    dataset,
    runs.train_config(params),
    seed=seed,
    device=lifecycle.device(params.device),
    checkpoints={"unmodified": checkpoint},
    keys=lambda ablation: keys,
    details=runs.details(
        params, round=int(wildcards["round"]), start_iteration=params.start_iteration
    ),
    paths={"unmodified": output},
    provenance=lifecycle.provenance(),
    start_iteration=params.start_iteration,
)
checkpoint.unlink(missing_ok=True)
lifecycle.end_job()
