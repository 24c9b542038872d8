"""score_weights: the scores of a one-shot method, on the init (or, for a method pruned after
training, on the trained dense net)."""

from pai import storage
from pai.data import scoring_set, tensors
from pai.jobs import lifecycle
from pai.models import nets
from pai.pruning import prune

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, seed = snakemake.params, int(snakemake.wildcards.seed)
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
model.load_state_dict(storage.load(snakemake.input.weights))
subset = None
if params.method["data"]:
    dataset = tensors.load_cached(snakemake.input.dataset)
    subset = scoring_set.scoring_subset(dataset, params.method["examples_per_class"], seed)
scores = prune.scores(params.method, model, seed=seed, data=subset)
storage.save(scores, snakemake.output.scores)
lifecycle.end_job()
