# train_model: train every ablation run of one cell in one job (one process start, one dataset
# load for four runs). Each run checkpoints every epoch in its own folder and resumes from it.


rule train_model:
    input:
        starts=lambda wildcards: run_paths(wildcards, "start.pt"),
        dataset=lambda wildcards: dataset_ready(net_spec(wildcards)["dataset"]),
    output:
        trained=per_ablation("trained.pt"),
        history=per_ablation("history.parquet"),
        run=per_ablation("run.json"),
    log:
        f"logs/train_model/{RUN}.log",
    benchmark:
        f"results/benchmarks/train_model/{RUN}.tsv"
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
        ablations=ABLATIONS,
    script:
        "../scripts/train_model.py"
