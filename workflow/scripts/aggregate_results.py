"""aggregate_results: concatenate every run's files into tables; write Table 1 and the matching
sparsity of every net (its regime column goes into the runs, layers and channels tables)."""

import sys
from pathlib import Path

# the pai library lives in src/ of this repository; this works with or without `pip install -e .`
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))

from pai import pipeline, tables
from pai.storage import atomic_write

pipeline.start_job(snakemake.log[0], snakemake.threads)
inputs, output = snakemake.input, snakemake.output
records = [tables.read_run(path) for path in inputs.runs]
dense = tables.dense_table(tables.read_run(path) for path in inputs.dense)
runs = tables.runs_table(records)
matching = tables.matching_table(runs, dense)
runs = tables.add_regime(runs, matching)
pipeline.write_parquet(dense, output.dense)
pipeline.write_parquet(matching, output.matching)
pipeline.write_text(tables.markdown(matching), output.matching_md)
pipeline.write_parquet(runs, output.runs)
pipeline.write_parquet(tables.add_regime(tables.layers_table(records), matching), output.layers)
channels = tables.concat([pipeline.read_parquet(p) for p in inputs.channels])
pipeline.write_parquet(tables.add_regime(channels, matching), output.channels)
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
text = (
    tables.markdown(table1)
    + tables.regime_note(matching, sparsity)
    + tables.flagged_note(runs, sparsity)
)
pipeline.write_text(text, output.table1_md)
pipeline.end_job()
