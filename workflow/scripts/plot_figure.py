"""plot_*: one figure (PNG and PDF) from one aggregated table."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))
from pai import pipeline, plots

pipeline.start_job(snakemake.log[0], snakemake.threads)
settings = snakemake.params.plots
plots.style(settings)
table = pipeline.read_parquet(snakemake.input.table)
grid = plots.draw(snakemake.params.figure, table, snakemake.params.sparsity)
plots.save(grid, snakemake.output.png, snakemake.output.pdf, settings["dpi"])
pipeline.end_job()
