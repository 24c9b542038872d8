"""plot_<figure>: one figure (PNG and PDF) from one aggregated table."""

from pai import storage
from pai.jobs import lifecycle
from pai.reporting import plots

lifecycle.start_job(snakemake.log[0], snakemake.threads)
params = snakemake.params
plots.style(params.plots, params.methods, params.groups)
table = storage.read_parquet(snakemake.input.table)
figure = plots.draw(params.figure, table, params.sparsities)
plots.save(figure, snakemake.output.png, snakemake.output.pdf, params.plots["dpi"])
lifecycle.end_job()
