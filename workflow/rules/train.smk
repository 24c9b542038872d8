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
        start_iteration=start_iteration,
    script:
        "../scripts/train_model.py"


# train_lottery_round: IMP round r (lottery-ticket rewinding) trained from the rewind point with
# round r's mask; its weights rank the weights of round r+1. Round 0 is the dense run.


rule train_lottery_round:
    input:
        rewind=f"{DENSE}/rewind.pt",
        mask=lambda wildcards: lottery_mask(
            wildcards.net, wildcards.seed, int(wildcards.round)
        ),
        dataset=lambda wildcards: dataset_ready(net_spec(wildcards)["dataset"]),
    output:
        trained=f"{LOTTERY_ROUND}/trained.pt",
        history=f"{LOTTERY_ROUND}/history.parquet",
        run=f"{LOTTERY_ROUND}/run.json",
    log:
        "logs/train_lottery_round/net={net}/seed={seed}/round={round}.log",
    benchmark:
        "results/benchmarks/train_lottery_round/net={net}/seed={seed}/round={round}.tsv"
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
        sparsity=lambda wildcards: lottery_label(int(wildcards.round)),
        start_iteration=rewind_iteration,
    script:
        "../scripts/train_lottery_round.py"
