"""plot_<figure>: one figure (PNG and PDF) from one aggregated table."""

from pai import pipeline, plots, storage

pipeline.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
plots.style(params.plots, params.methods)
table = storage.read_parquet(snakemake.input.table)
figure = plots.draw(params.figure, table, params.sparsities)
plots.save(figure, snakemake.output.png, snakemake.output.pdf, params.plots["dpi"])
pipeline.end_job()
