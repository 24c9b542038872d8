"""compute_statistics: MtM's claims as pre-declared confirmatory tests pooled within seeds
(mtm_claims), every ablation cell as an estimate with its interval (ablation_effects), and Singh &
Liu's claim (W1 of random pruning above that of shuffle and reinit: confirmatory per like-for-like
net at its Table 1 sparsity, secondary and exploratory elsewhere)."""

from pai import storage
from pai.analysis import allocations, claims, stats
from pai.jobs import lifecycle
from pai.reporting import tables

lifecycle.start_job(snakemake.log[0], snakemake.threads)
inputs, output = snakemake.input, snakemake.output
runs = storage.read_parquet(inputs.runs)
params = snakemake.params
effective = stats.effective_runs(storage.read_parquet(inputs.topology))
effects = stats.ablation_effects(
    runs,
    margin=params.margin,
    claims=params.claims,
    chance=params.chance,
    declared=params.declared,
    effective=effective,
)
# each effect says whether its sparsity is a matching or an extreme one (MtM's split, measured)
regimes = runs[["net", "sparsity", "regime"]].drop_duplicates()
effects = effects.merge(regimes, on=["net", "sparsity"], how="left")
pooled = claims.pooled_claims(
    runs,
    params.declared,
    margin=params.margin,
    claims=params.claims,
    effective=effective,
    chance=params.chance,
)
# the data-free allocations: one pre-declared test per method against erk, every cell estimated
allocation_claims = allocations.allocation_claims(
    runs, params.claims, params.declared, effective=effective, chance=params.chance
)
allocation_effects = allocations.allocation_effects(
    runs, params.claims, params.declared, effective=effective
)
tests = stats.distance_tests(
    storage.read_parquet(inputs.distances),
    sparsities=params.sparsities,
    table1_methods=params.table1_methods,
    primary=params.primary,
)
for frame, parquet, markdown, html, title, kinds, shown in (
    (pooled, output.claims, output.claims_md, output.claims_html,
     "MtM's claims: confirmatory tests pooled within seeds", tables.CLAIM_KINDS,
     tables.CLAIM_SHOWN),
    (effects, output.effects, output.effects_md, output.effects_html,
     "MtM's ablations: every cell's estimate", tables.EFFECT_KINDS, tables.EFFECT_SHOWN),
    (allocation_claims, output.allocation_claims, output.allocation_claims_md,
     output.allocation_claims_html,
     "Data-free allocations: each method's per-layer fractions against erk, confirmatory",
     tables.ALLOCATION_CLAIM_KINDS, tables.ALLOCATION_CLAIM_SHOWN),
    (allocation_effects, output.allocation_effects, output.allocation_effects_md,
     output.allocation_effects_html,
     "Data-free allocations: every method against every allocation, estimated",
     tables.ALLOCATION_EFFECT_KINDS, tables.ALLOCATION_EFFECT_SHOWN),
    (tests, output.tests, output.tests_md, output.tests_html,
     "Singh & Liu's claim: W1 of random pruning against shuffle and reinit", tables.TEST_KINDS,
     tables.TEST_SHOWN),
):  # fmt: skip
    storage.write_parquet(frame, parquet)
    # each seed's difference (or mean) stays in the parquet
    lists = ["seed_differences", "seed_means"]
    storage.write_text(tables.markdown(frame.drop(columns=lists, errors="ignore")), markdown)
    storage.write_text(tables.html_table(title, frame, kinds, columns=shown), html)
lifecycle.end_job()
