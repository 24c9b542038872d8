"""check_method: a plugin method run once on the net's real weights (its first seed) and scoring
subset, with every check its scoring and mask jobs apply: a one-shot method's scores, an
iterative method's rounds down to the net's highest sparsity for each ranking the grid uses. A
method defined by files: every cell's files of the net read and checked as its mask jobs will
read them. A plugin's allocation rule: its counts at every sparsity of the net."""

from pai import storage
from pai.data import scoring_set, tensors
from pai.jobs import lifecycle
from pai.models import nets
from pai.pruning import mask_files, masks, prune

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, inputs = snakemake.params, snakemake.input
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
if params.method["schedule"] == "files":
    checked = mask_files.check_files(params.method, model, params.rankings)
elif params.method["schedule"] == "allocation":
    for sparsity in params.sparsities:
        counts = prune.allocation_counts(params.method, model, float(sparsity))
        lifecycle.log.info("counts at %s: %s", sparsity, counts)
    checked = {"layers": sorted(counts)}
else:
    model.load_state_dict(storage.load(inputs.weights))
    subset = None
    if params.method["data"]:
        dataset = tensors.load_cached(inputs.dataset)
        subset = scoring_set.scoring_subset(
            dataset, params.method["examples_per_class"], params.seed
        )
    if params.method["schedule"] == "one_shot":
        scores = prune.scores(params.method, model, seed=params.seed, data=subset)
        checked = {"scores": {name: list(value.shape) for name, value in scores.items()}}
    else:
        found = prune.cell_masks(
            params.method,
            model,
            params.sparsity,
            seed=params.seed,
            data=subset,
            rankings=params.rankings,
        )
        for ranking, mask in found.items():
            lifecycle.log.info("%s mask: %s", ranking, masks.layer_counts(mask))
        checked = {ranking: sorted(mask) for ranking, mask in found.items()}
# what was checked (layer names and shapes), nothing that depends on the grid's sparsities or on
# the run: after a revert, or a new sparsity, the marker is the same file (same checksum), so
# nothing downstream reruns for it
storage.write_json({"method": params.method["name"], **checked}, snakemake.output.check)
lifecycle.end_job()
