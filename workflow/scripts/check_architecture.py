"""check_architecture: a plugin net built, initialised and run once on inputs of the dataset's
shape, with every check init_weights applies (its logits, the layers its initialiser knows)."""

from pai import storage
from pai.jobs import lifecycle
from pai.models import nets

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"], seed=0)
storage.write_json(
    {"prunable": {name: list(p.shape) for name, p in model.named_parameters()
                  if name in nets.prunable_names(model)}},
    snakemake.output.check,
)  # fmt: skip
lifecycle.end_job()
