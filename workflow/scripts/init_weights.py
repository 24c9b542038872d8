"""init_weights: the dense initialisation of one net for one seed."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import data, nets, pipeline, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
shape, classes = data.spec_shape(params.dataset)
model = nets.build_net(params.arch, shape, classes, seed=int(snakemake.wildcards.seed))
storage.save(model.state_dict(), snakemake.output[0])
pipeline.end_job()
