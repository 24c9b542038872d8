# aggregate_results: every run's and every group's files concatenated into tables, Singh & Liu's
# Table 1, and MtM's matching sparsity per net (from the dense runs and the benchmarks), which
# marks every row of the run tables as "matching" or "extreme".


rule aggregate_results:
    input:
        runs=[
            fill(rules.train_model.output[file_key("run", ablation)], **cell)
            for cell in STUDY.cells()
            for ablation in STUDY.method_ablations(cell["method"])
        ],
        histories=[
            fill(rules.train_model.output[file_key("history", ablation)], **cell)
            for cell in STUDY.cells()
            for ablation in STUDY.method_ablations(cell["method"])
        ],
        distances=[
            fill(rules.analyse_weights.output.distances, **group)
            for group in STUDY.groups()
        ],
        topology=[
            fill(rules.analyse_weights.output.topology, **group)
            for group in STUDY.groups()
        ],
        channels=[
            fill(rules.analyse_weights.output.channels, **group)
            for group in STUDY.groups()
        ],
        similarity=[
            fill(rules.compute_similarity.output.similarity, **group)
            for group in STUDY.groups()
        ],
        dense_similarity=[
            fill(rules.dense_similarity.output.similarity, net=net)
            for net in STUDY.grid_net_names
            if len(STUDY.net_entry(net).seeds) >= 2
        ],
        dense=[
            fill(rules.train_dense.output.run, net=net, seed=seed)
            for net in STUDY.grid_net_names
            for seed in STUDY.net_entry(net).seeds
        ],
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
        matching_md="results/tables/matching.md",
        # the report shows the HTML renderings in the page, formatted for people
        matching_html=report(
            "results/tables/matching.html",
            caption="../report/matching.rst",
            category=registry.PAPERS[0],
            labels=report_labels(
                "table",
                "matching sparsities",
                "where the benchmarks reach dense accuracy",
            ),
        ),
        table1="results/tables/table1.csv",
        table1_md="results/tables/table1.md",
        table1_html=report(
            "results/tables/table1.html",
            caption="../report/table1.rst",
            category=registry.PAPERS[1],
            labels=report_labels(
                "table",
                "Table 1",
                "shuffle and reinit stay close, random pruning moves far",
            ),
        ),
    log:
        "logs/aggregate_results.log",
    conda:
        ENV
    params:
        table1_sparsity=config["analysis"]["table1_sparsity"],
        analysis_sparsities=STUDY.analysis_sparsities(),
    script:
        "../scripts/aggregate_results.py"
