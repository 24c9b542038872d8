# aggregate_results: every per-run file concatenated into tables, Singh & Liu's Table 1, and
# MtM's matching sparsity per net (from the dense runs and the benchmarks), which marks every
# row of the run tables as "matching" or "extreme".


rule aggregate_results:
    input:
        runs=[path for cell in cells() for path in run_paths(cell, "run.json")],
        histories=[
            path for cell in cells() for path in run_paths(cell, "history.parquet")
        ],
        distances=[
            path for cell in cells() for path in run_paths(cell, "distances.parquet")
        ],
        topology=[
            path for cell in cells() for path in run_paths(cell, "topology.parquet")
        ],
        similarity=[
            path for cell in cells() for path in run_paths(cell, "similarity.parquet")
        ],
        channels=[
            path for cell in cells() for path in run_paths(cell, "channels.parquet")
        ],
        dense_similarity=dense_similarity_paths(),
        dense=dense_paths("run.json"),
    output:
        runs="results/tables/runs.parquet",
        layers="results/tables/layers.parquet",
        histories="results/tables/histories.parquet",
        distances="results/tables/distances.parquet",
        topology="results/tables/topology.parquet",
        similarity="results/tables/similarity.parquet",
        channels="results/tables/channels.parquet",
        dense="results/tables/dense.parquet",
        matching="results/tables/matching.parquet",
        matching_md=report(
            "results/tables/matching.md",
            caption="../report/matching.rst",
            category="Tables",
        ),
        table1="results/tables/table1.csv",
        table1_md=report(
            "results/tables/table1.md",
            caption="../report/table1.rst",
            category="Tables",
        ),
    log:
        "logs/aggregate_results.log",
    conda:
        "../../envs/pai.yaml"
    params:
        table1_sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/aggregate_results.py"
