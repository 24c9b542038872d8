"""compare_with_paper: Singh & Liu's published Table 1 beside ours, with our conventions."""

import pandas as pd

from pai import storage
from pai.jobs import lifecycle
from pai.reporting import paper, tables

lifecycle.start_job(snakemake.log[0], snakemake.threads)
table1 = pd.read_csv(snakemake.input.table1)
params = snakemake.params
text = paper.comparison(table1, params.nets, params.sparsities)
storage.write_text(text, snakemake.output.comparison)
storage.write_text(
    tables.html_page("Singh & Liu's Table 1 beside ours", text), snakemake.output.comparison_html
)
lifecycle.end_job()
