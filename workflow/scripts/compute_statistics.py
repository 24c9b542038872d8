"""compute_statistics: MtM's claims (non-inferiority of shuffle and reinit, inferiority of invert)
and Singh & Liu's claim (W1 of random pruning above that of shuffle and reinit) as tests over
seeds, each family corrected with Holm's method."""

from pai import pipeline, stats, storage, tables

pipeline.start_job(snakemake.log[0], snakemake.threads)
inputs, output = snakemake.input, snakemake.output
runs = storage.read_parquet(inputs.runs)
effects = stats.ablation_effects(runs, margin=snakemake.params.margin)
# each effect says whether its sparsity is a matching or an extreme one (MtM's split)
regimes = runs[["net", "sparsity", "regime"]].drop_duplicates()
effects = effects.merge(regimes, on=["net", "sparsity"], how="left")
tests = stats.distance_tests(storage.read_parquet(inputs.distances))
for frame, parquet, markdown in (
    (effects, output.effects, output.effects_md),
    (tests, output.tests, output.tests_md),
):
    storage.write_parquet(frame, parquet)
    storage.write_text(tables.markdown(frame), markdown)
pipeline.end_job()
