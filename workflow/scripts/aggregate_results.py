"""aggregate_results: concatenate every run's files into tables; write Table 1."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import pipeline, tables
from pai.storage import atomic_write

pipeline.start_job(snakemake.log[0], snakemake.threads)
inputs, output = snakemake.input, snakemake.output
records = [tables.read_run(path) for path in inputs.runs]
runs = tables.runs_table(records)
pipeline.write_parquet(runs, output.runs)
pipeline.write_parquet(tables.layers_table(records), output.layers)
pipeline.write_parquet(
    tables.concat([pipeline.read_parquet(p) for p in inputs.histories]), output.histories
)
for name in ("topology", "similarity"):
    files = list(inputs[name]) + (list(inputs.dense_similarity) if name == "similarity" else [])
    pipeline.write_parquet(tables.concat([pipeline.read_parquet(p) for p in files]), output[name])
distances = tables.concat([pipeline.read_parquet(p) for p in inputs.distances])
pipeline.write_parquet(distances, output.distances)
sparsity = snakemake.params.table1_sparsity
table1 = tables.table1(distances, sparsity)
atomic_write(output.table1, lambda tmp: table1.to_csv(tmp, index=False))
text = tables.markdown(table1) + tables.flagged_note(runs, sparsity)
pipeline.write_text(text, output.table1_md)
pipeline.end_job()
