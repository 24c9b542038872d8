"""init_weights: the dense initialisation of one net for one seed."""

from pai import storage
from pai.jobs import lifecycle
from pai.models import nets

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
model = nets.build_net(
    params.arch,
    params.dataset["shape"],
    params.dataset["classes"],
    seed=int(snakemake.wildcards.seed),
)
storage.save(model.state_dict(), snakemake.output.weights)
lifecycle.end_job()
