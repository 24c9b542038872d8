"""make_mask: a method's mask at one sparsity (and its inversion where the grid runs invert)."""

from pai import data, masks, nets, pipeline, pruning, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, inputs = snakemake.params, snakemake.input
seed, sparsity = int(snakemake.wildcards.seed), float(snakemake.wildcards.sparsity)
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
scores, subset = None, None
if "scores" in inputs.keys():  # one-shot: rank the score_weights job's scores
    scores = storage.load(inputs.scores)
else:  # iterative: score the weights round by round
    model.load_state_dict(storage.load(inputs.weights))
    if params.method["data"]:
        dataset = data.load_cached(inputs.dataset)
        subset = data.scoring_subset(dataset, params.method["examples_per_class"], seed)
result = pruning.cell_masks(
    params.method,
    model,
    sparsity,
    seed=seed,
    data=subset,
    precomputed=scores,
    rankings=params.rankings,
)
for ranking, mask in result.items():
    pipeline.log.info("%s mask: %s", ranking, masks.layer_counts(mask))
storage.save(result, snakemake.output.mask)
pipeline.end_job()
