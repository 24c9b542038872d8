# Analyses beyond the papers: topology of each start mask (effective paths and nodes), layer
# similarity of trained nets (SVCCA, CKA) with a dense two-seed baseline, statistics over seeds,
# and Singh & Liu's Table 1 beside ours. Per-cell rules cover every method of one (net, sparsity,
# seed), like compute_distances: a process start costs more than the work.


rule measure_topology:
    input:
        starts=lambda wildcards: distance_group_paths(wildcards, "start.pt"),
    output:
        topology=distance_outputs("topology.parquet"),
        channels=distance_outputs("channels.parquet"),
    log:
        "logs/measure_topology/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        "../../envs/pai.yaml"
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        dataset=lambda wildcards: dataset_spec(net_spec(wildcards)["dataset"]),
        methods=METHODS,
        ablations=ABLATIONS,
    script:
        "../scripts/measure_topology.py"


rule compute_similarity:
    input:
        trained=lambda wildcards: distance_group_paths(wildcards, "trained.pt"),
        dataset=lambda wildcards: dataset_ready(net_spec(wildcards)["dataset"]),
    output:
        distance_outputs("similarity.parquet"),
    log:
        "logs/compute_similarity/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        "../../envs/pai.yaml"
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        examples=config["analysis"]["similarity_examples"],
        methods=METHODS,
        ablations=ABLATIONS,
        dense=False,
        device=config["training"]["device"],
    script:
        "../scripts/compute_similarity.py"


rule train_dense:
    input:
        init="results/init/net={net}/seed={seed}/weights.pt",
        dataset=lambda wildcards: dataset_ready(net_spec(wildcards)["dataset"]),
    output:
        trained=f"{DENSE}/trained.pt",
        history=f"{DENSE}/history.parquet",
        run=f"{DENSE}/run.json",
        rewind=f"{DENSE}/rewind.pt",
    log:
        "logs/train_dense/net={net}/seed={seed}.log",
    conda:
        "../../envs/pai.yaml"
    threads: 1
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        dataset=lambda wildcards: dataset_spec(net_spec(wildcards)["dataset"]),
        training=lambda wildcards: training_spec(wildcards),
        device=config["training"]["device"],
        rewind_iteration=rewind_iteration,
    script:
        "../scripts/train_dense.py"


rule dense_similarity:
    input:
        trained=lambda wildcards: expand(
            "results/dense/net={net}/seed={seed}/trained.pt",
            net=wildcards.net,
            seed=grid_list(wildcards.net, "seeds"),
        ),
        dataset=lambda wildcards: dataset_ready(net_spec(wildcards)["dataset"]),
    output:
        "results/dense/net={net}/similarity.parquet",
    log:
        "logs/dense_similarity/net={net}.log",
    conda:
        "../../envs/pai.yaml"
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        examples=config["analysis"]["similarity_examples"],
        seeds=lambda wildcards: grid_list(wildcards.net, "seeds"),
        dense=True,
        device=config["training"]["device"],
    script:
        "../scripts/compute_similarity.py"


rule compute_statistics:
    input:
        runs="results/tables/runs.parquet",
        distances="results/tables/distances.parquet",
    output:
        effects="results/tables/ablation_effects.parquet",
        effects_md=report(
            "results/tables/ablation_effects.md",
            caption="../report/ablation_effects_table.rst",
            category="Tables",
        ),
        tests="results/tables/distance_tests.parquet",
        tests_md=report(
            "results/tables/distance_tests.md",
            caption="../report/distance_tests.rst",
            category="Tables",
        ),
    log:
        "logs/compute_statistics.log",
    conda:
        "../../envs/pai.yaml"
    script:
        "../scripts/compute_statistics.py"


rule compare_with_paper:
    input:
        table1="results/tables/table1.csv",
    output:
        report(
            "results/tables/table1_vs_paper.md",
            caption="../report/table1_vs_paper.rst",
            category="Tables",
        ),
    log:
        "logs/compare_with_paper.log",
    conda:
        "../../envs/pai.yaml"
    params:
        nets={net: config["nets"][net] for net in NETS},
        sparsity=config["analysis"]["table1_sparsity"],
    script:
        "../scripts/compare_with_paper.py"
