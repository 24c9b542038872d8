"""aggregate_results: concatenate every run's and every group's files into tables; write Table 1
and the matching sparsity of every net (its regime column goes into the run tables)."""

from pai import storage
from pai.jobs import lifecycle
from pai.reporting import tables

lifecycle.start_job(snakemake.log[0], snakemake.threads)
inputs, output, params = snakemake.input, snakemake.output, snakemake.params
records = [tables.read_run(path) for path in inputs.runs]
dense = tables.dense_table(tables.read_run(path) for path in inputs.dense)


def concatenated(paths):
    return tables.concat([storage.read_parquet(path) for path in paths])


topology = concatenated(inputs.topology)
runs, layers = tables.add_effective_density(
    tables.runs_table(records), tables.layers_table(records), topology
)
matching = tables.matching_table(runs, dense)
runs = tables.add_regime(runs, matching)


storage.write_parquet(dense, output.dense)
storage.write_parquet(matching, output.matching)
storage.write_text(tables.markdown(matching), output.matching_md)
storage.write_text(
    tables.html_table("MtM's matching sparsities", matching, tables.MATCHING_KINDS),
    output.matching_html,
)
storage.write_parquet(runs, output.runs)
storage.write_parquet(tables.add_regime(layers, matching), output.layers)
storage.write_parquet(tables.add_regime(concatenated(inputs.channels), matching), output.channels)
storage.write_parquet(concatenated(inputs.histories), output.histories)
storage.write_parquet(topology, output.topology)
similarity = concatenated([*inputs.similarity, *inputs.dense_similarity])
storage.write_parquet(similarity, output.similarity)
distances = concatenated(inputs.distances)
storage.write_parquet(distances, output.distances)
table1 = tables.table1(distances, params.analysis_sparsities)
storage.atomic_write(output.table1, lambda tmp: table1.to_csv(tmp, index=False))
notes = (
    tables.sparsity_note(params.table1_sparsity, params.analysis_sparsities)
    + tables.regime_note(matching, params.analysis_sparsities)
    + tables.flagged_note(runs, params.analysis_sparsities)
)
storage.write_text(tables.table1_markdown(table1) + notes, output.table1_md)
storage.write_text(
    tables.html_table(
        "Singh & Liu's Table 1", tables.table1_shown(table1), tables.TABLE1_KINDS, notes
    ),
    output.table1_html,
)
lifecycle.end_job()
