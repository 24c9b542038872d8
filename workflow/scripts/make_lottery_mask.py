"""make_lottery_mask: IMP round r's ranking (from round r-1's trained weights, mask and ranking;
round 1 from the dense run) and the masks it gives at this sparsity."""

from pai import storage
from pai.jobs import lifecycle
from pai.models import nets
from pai.pruning import masks, prune

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params, inputs = snakemake.params, snakemake.input
model = nets.build_net(params.arch, params.dataset["shape"], params.dataset["classes"])
# round 1 has no previous mask file (`in` on a Namedlist would test the paths, not the names)
previous = None
if "previous" in inputs.keys():  # noqa: SIM118
    previous = storage.load(inputs.previous)
result = prune.lottery_masks(
    params.round,
    float(snakemake.wildcards.sparsity),
    storage.load(inputs.trained),
    previous,
    model,
    rankings=params.rankings,
)
for ranking in params.rankings:
    lifecycle.log.info("%s mask: %s", ranking, masks.layer_counts(result[ranking]))
storage.save(result, snakemake.output.mask)
lifecycle.end_job()
