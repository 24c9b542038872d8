"""score_weights: the scores of a one-shot method, on the init (or, for a method pruned after
training, on the trained dense net)."""

from pai import data, nets, pipeline, pruning, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, seed = snakemake.params, int(snakemake.wildcards.seed)
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
model.load_state_dict(storage.load(snakemake.input.weights))
subset = None
if params.method["data"]:
    dataset = data.load_cached(snakemake.input.dataset)
    subset = data.scoring_subset(dataset, params.method["examples_per_class"], seed)
scores = pruning.scores(params.method, model, seed=seed, data=subset)
storage.save(scores, snakemake.output.scores)
pipeline.end_job()
