"""make_mask: the method's mask at one sparsity (and its inversion where the grid asks for it)."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import data, lottery, masks, nets, pipeline, scoring, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
shape, classes = data.spec_shape(params.dataset)
model = nets.build_net(params.arch, shape, classes)
model.load_state_dict(storage.load(snakemake.input.init))
# (a Namedlist: `in` would test the paths, not the names)
scores = storage.load(snakemake.input.scores) if hasattr(snakemake.input, "scores") else None
result = {}
if wildcards.method == "lottery":
    # IMP round r ranks from round r-1: its trained weights, mask and ranking (round 0: dense)
    if hasattr(snakemake.input, "previous"):
        previous = storage.load(snakemake.input.previous)
        previous_mask, previous_ranking = previous["unmodified"], previous["ranking"]
    else:
        previous_mask = masks.ones_mask(model)
        previous_ranking = lottery.first_ranking(previous_mask)
    trained = storage.load(snakemake.input.trained)
    scores = lottery.next_ranking(params.lottery_round, trained, previous_mask, previous_ranking)
    result["ranking"] = scores
for ranking in params.rankings:
    result[ranking] = scoring.method_mask(
        wildcards.method,
        model,
        float(wildcards.sparsity),
        seed=int(wildcards.seed),
        input_shape=shape,
        invert=ranking == "invert",
        synflow_iterations=params.synflow_iterations or scoring.SYNFLOW_ITERATIONS,
        scores=scores,
    )
    pipeline.log.info("%s mask: %s", ranking, masks.layer_counts(result[ranking]))
storage.save(result, snakemake.output[0])
pipeline.end_job()
