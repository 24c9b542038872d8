"""make_mask: a cell's masks (the method's, and its inversion where the grid runs invert) and the
start state of every ablation run of the cell."""

from pai import storage
from pai.config import grid
from pai.data import scoring_set, tensors
from pai.jobs import lifecycle
from pai.models import nets
from pai.pruning import ablations, mask_files, masks, prune

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, inputs = snakemake.params, snakemake.input
seed, sparsity = int(snakemake.wildcards.seed), float(snakemake.wildcards.sparsity)
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
# a file method's init: checked by its check job (mask_files.load_init)
weights = storage.load(inputs.weights)
model.load_state_dict(weights)
scores, subset = None, None
# (`in` on a Namedlist would test the paths, not the names)
if params.method["schedule"] == "files":  # masks found elsewhere: read, not computed
    (cell,) = params.method["files"]
    result = mask_files.cell_masks(params.method, cell, model, sparsity, params.rankings)
else:
    if "scores" in inputs.keys():  # noqa: SIM118 one-shot: rank the score_weights job's scores
        scores = storage.load(inputs.scores)
    elif params.method["data"]:  # iterative, on data: the scoring subset
        dataset = tensors.load_cached(inputs.dataset)
        subset = scoring_set.scoring_subset(dataset, params.method["examples_per_class"], seed)
    result = prune.cell_masks(
        params.method,
        model,
        sparsity,
        seed=seed,
        data=subset,
        precomputed=scores,
        rankings=params.rankings,
    )
for ranking, mask in result.items():
    lifecycle.log.info("%s mask: %s", ranking, masks.layer_counts(mask))
storage.save(result, snakemake.output.mask)
# the start states: the init (for MtM's after-training benchmark, the trained dense net) with the
# mask of each ablation
states = ablations.start_states(params.ablations, model, weights, result, seed, params.arch)
for ablation, state in states.items():
    storage.save(state, snakemake.output[grid.file_key("start", ablation)])
lifecycle.end_job()
