"""train_dense: the unpruned net of one seed, trained with the net's settings (the dense baseline of
the similarity analysis and of matching sparsity; MtM's after-training benchmarks prune it, and
its state at the rewind iteration is where lottery rounds restart)."""

from pathlib import Path

from pai import storage
from pai.analysis import similarity
from pai.data import tensors
from pai.jobs import lifecycle, runs
from pai.models import nets
from pai.pruning import masks

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, wildcards, output = snakemake.params, snakemake.wildcards, snakemake.output
seed = int(wildcards.seed)
dataset = tensors.load_cached(snakemake.input.dataset)
model = nets.build_net(params.arch, dataset.input_shape, dataset.num_classes)
model.load_state_dict(storage.load(snakemake.input.init))
# The similarity analysis needs more test examples than the net's widest compared layer has
# features. Planning checks that for the built-in nets; a plugin net's width is known only now,
# so this first training job of every net checks it before any training is spent. (Read from the
# config, not a param: the setting must not retrain the dense nets when it changes.)
examples = min(snakemake.config["analysis"]["similarity_examples"], len(dataset.test_y))
layers = similarity.compared_layers(nets.prunable_names(model))
similarity.check_examples(examples, similarity.widest(model, layers), dataset.name)
start = {"weights": model.state_dict(), "mask": masks.ones_mask(model)}
checkpoint = Path(output.trained).with_name("checkpoint.pt")
keys = {"net": wildcards.net, "method": "dense", "sparsity": 0.0, "seed": seed}
result = runs.train_and_write(
    lambda: model,
    {"unmodified": start},
    dataset,
    runs.train_config(params),
    seed=seed,
    device=lifecycle.device(params.device),
    checkpoints={"unmodified": checkpoint},
    keys=lambda ablation: keys,
    details=runs.details(params, ablation="unmodified", rewind_iteration=params.rewind_iteration),
    paths={"unmodified": output},
    provenance=lifecycle.provenance(),
    snapshot_iteration=params.rewind_iteration,
)["unmodified"]
storage.save(result.snapshot, output.rewind)
checkpoint.unlink(missing_ok=True)
lifecycle.end_job()
