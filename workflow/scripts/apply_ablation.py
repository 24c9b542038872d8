"""apply_ablation: the start state of every ablation run of a lottery cell (its mask comes from
IMP's rounds; every other method's cell gets its start states from make_mask)."""

from pai import storage
from pai.config import grid
from pai.jobs import lifecycle
from pai.models import nets
from pai.pruning import ablations

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
# the dense run's rewind point
states = ablations.start_states(
    params.ablations,
    model,
    storage.load(snakemake.input.weights),
    storage.load(snakemake.input.mask),
    seed=int(snakemake.wildcards.seed),
    arch=params.arch,
)
for ablation, state in states.items():
    storage.save(state, snakemake.output[grid.file_key("start", ablation)])
lifecycle.end_job()
