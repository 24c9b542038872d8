"""score_weights: the scores of a one-shot method on the init (magnitude_trained: on the trained
dense net)."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import data, nets, pipeline, scoring, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params, wildcards = snakemake.params, snakemake.wildcards
seed = int(wildcards.seed)
shape, classes = data.spec_shape(params.dataset)
model = nets.build_net(params.arch, shape, classes)
scored = "trained" if wildcards.method == "magnitude_trained" else "init"
model.load_state_dict(storage.load(snakemake.input[scored]))
options, images, labels = {}, None, None
if wildcards.method in scoring.DATA_METHODS:
    dataset = pipeline.load_cached_data(snakemake.input.dataset)
    images, labels = data.class_balanced_subset(
        dataset.train_x, dataset.train_y, params.scoring["examples_per_class"], seed
    )
    options["batch_size"] = params.scoring["batch_size"]
    if wildcards.method in ("grasp", "graspabs"):
        options["temperature"] = params.scoring["grasp_temperature"]
scores = scoring.one_shot_scores(
    wildcards.method, model, seed=seed, images=images, labels=labels, **options
)
storage.save(scores, snakemake.output[0])
pipeline.end_job()
