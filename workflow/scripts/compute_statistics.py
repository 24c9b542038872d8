"""compute_statistics: MtM's claims (per method family: shuffle and reinit no worse or worse,
invert worse) and Singh & Liu's claim (W1 of random pruning above that of shuffle and reinit:
confirmatory per net at its Table 1 sparsity, exploratory elsewhere) as tests over seeds."""

from pai import storage
from pai.analysis import stats
from pai.jobs import lifecycle
from pai.reporting import tables

lifecycle.start_job(snakemake.log[0], snakemake.threads)
inputs, output = snakemake.input, snakemake.output
runs = storage.read_parquet(inputs.runs)
params = snakemake.params
effects = stats.ablation_effects(
    runs, margin=params.margin, claims=params.claims, chance=params.chance
)
# each effect says whether its sparsity is a matching or an extreme one (MtM's split)
regimes = runs[["net", "sparsity", "regime"]].drop_duplicates()
effects = effects.merge(regimes, on=["net", "sparsity"], how="left")
tests = stats.distance_tests(
    storage.read_parquet(inputs.distances),
    sparsities=params.sparsities,
    table1_methods=params.table1_methods,
)
for frame, parquet, markdown, html, title, kinds, shown in (
    (effects, output.effects, output.effects_md, output.effects_html,
     "MtM's claims: ablation effects on accuracy", tables.EFFECT_KINDS, tables.EFFECT_SHOWN),
    (tests, output.tests, output.tests_md, output.tests_html,
     "Singh & Liu's claim: W1 of random pruning against shuffle and reinit", tables.TEST_KINDS,
     tables.TEST_SHOWN),
):  # fmt: skip
    storage.write_parquet(frame, parquet)
    # each seed's difference (drawn by ablation_effects below 5 seeds) stays in the parquet
    storage.write_text(
        tables.markdown(frame.drop(columns=["seed_differences"], errors="ignore")), markdown
    )
    storage.write_text(tables.html_table(title, frame, kinds, columns=shown), html)
lifecycle.end_job()
