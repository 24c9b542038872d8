# aggregate_results: every per-run file concatenated into tables, and Singh & Liu's Table 1.


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
        dense_similarity=dense_similarity_paths(),
    output:
        runs="results/tables/runs.parquet",
        layers="results/tables/layers.parquet",
        histories="results/tables/histories.parquet",
        distances="results/tables/distances.parquet",
        topology="results/tables/topology.parquet",
        similarity="results/tables/similarity.parquet",
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
