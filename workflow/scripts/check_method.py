"""check_method: a plugin method run once on the net's real weights (its first seed) and scoring
subset, with every check its scoring and mask jobs apply: a one-shot method's scores, an
iterative method's rounds down to the net's highest sparsity for each ranking the grid uses."""

from pai import data, masks, nets, pipeline, pruning, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, inputs = snakemake.params, snakemake.input
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
model.load_state_dict(storage.load(inputs.weights))
subset = None
if params.method["data"]:
    dataset = data.load_cached(inputs.dataset)
    subset = data.scoring_subset(dataset, params.method["examples_per_class"], params.seed)
if params.method["schedule"] == "one_shot":
    scores = pruning.scores(params.method, model, seed=params.seed, data=subset)
    checked = {"scores": {name: list(value.shape) for name, value in scores.items()}}
else:
    found = pruning.cell_masks(
        params.method,
        model,
        params.sparsity,
        seed=params.seed,
        data=subset,
        rankings=params.rankings,
    )
    checked = {ranking: masks.layer_counts(mask) for ranking, mask in found.items()}
# what was checked, nothing that varies between identical runs: after a revert the marker is the
# same file, so nothing downstream reruns for it
storage.write_json({"method": params.method["name"], **checked}, snakemake.output.check)
pipeline.end_job()
