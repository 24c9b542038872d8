"""summarise_study: what the study ran and what it found, as the report's first page (rst) and as
markdown."""

import pandas as pd

from pai import storage
from pai.jobs import lifecycle
from pai.reporting import summary

lifecycle.start_job(snakemake.log[0], snakemake.threads)
inputs, params = snakemake.input, snakemake.params
tables = {
    "runs": storage.read_parquet(inputs.runs),
    "table1": pd.read_csv(inputs.table1),
    "matching": storage.read_parquet(inputs.matching),
    "effects": storage.read_parquet(inputs.effects),
    "claims": storage.read_parquet(inputs.claims),
    "tests": storage.read_parquet(inputs.tests),
    "similarity": storage.read_parquet(inputs.similarity),
    "allocation_claims": storage.read_parquet(inputs.allocation_claims),
    "allocation_effects": storage.read_parquet(inputs.allocation_effects),
}
for path, table in (
    (snakemake.output.rst, summary.rst_table),
    (snakemake.output.md, summary.md_table),
):
    text = summary.study(**tables, nets=params.nets, sparsities=params.sparsities, table=table)
    storage.write_text(text, path)
lifecycle.end_job()
