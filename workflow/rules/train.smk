# train_model: every ablation run of one cell in one job (one process start, one dataset load for
# four runs), one after the other or packed into one model (training.pack). The runs checkpoint
# every epoch and resume from it.
# train_dense: the unpruned net of each seed: the dense baseline (similarity, matching sparsity),
# what MtM's benchmarks prune, and (rewind.pt) where lottery rounds restart.
# train_lottery_round: IMP round r, its mask on the rewind point, trained from the rewind
# iteration to the end; its weights rank round r+1. Round 0 is the dense run.


rule train_model:
    input:
        unpack(data_inputs),
        **start_files(rules.make_mask),
    output:
        **per_ablation("trained", f"{RUN_FOLDER}/trained.pt"),
        **per_ablation("history", f"{RUN_FOLDER}/history.parquet"),
        **per_ablation("run", f"{RUN_FOLDER}/run.json"),
    log:
        f"logs/train_model/{RUN}.log",
    benchmark:
        f"results/benchmarks/train_model/{RUN}.tsv"
    wildcard_constraints:
        method=f"{RANKED_METHODS}|{LOTTERY_METHODS}".strip("|"),
    conda:
        ENV
    threads: 1
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=arch_settings,
        dataset=dataset_identity,
        training=training_settings,
        engine=STUDY.engine_settings(),
        pack=STUDY.pack,
        device=config["training"]["device"],
        ablations=ABLATIONS,
        start_iteration=start_iteration,
    script:
        "../scripts/train_model.py"


# a data-free allocation's runs: the ablations it trains (grid.allocation_ablations)
use rule train_model as train_allocation with:
    input:
        unpack(data_inputs),
        **start_files(rules.make_allocation_mask),
    output:
        **per_ablation("trained", f"{RUN_FOLDER}/trained.pt", ALLOCATION_ABLATIONS),
        **per_ablation("history", f"{RUN_FOLDER}/history.parquet", ALLOCATION_ABLATIONS),
        **per_ablation("run", f"{RUN_FOLDER}/run.json", ALLOCATION_ABLATIONS),
    log:
        f"logs/train_allocation/{RUN}.log",
    benchmark:
        f"results/benchmarks/train_allocation/{RUN}.tsv"
    wildcard_constraints:
        method=ALLOCATION_METHODS,
    params:
        arch=arch_settings,
        dataset=dataset_identity,
        training=training_settings,
        engine=STUDY.engine_settings(),
        pack=STUDY.pack,
        device=config["training"]["device"],
        ablations=ALLOCATION_ABLATIONS,
        start_iteration=start_iteration,


rule train_dense:
    input:
        unpack(data_inputs),
        init=rules.init_weights.output.weights,
    output:
        trained=layout.START_WEIGHTS["trained"],
        history=f"{DENSE}/history.parquet",
        run=f"{DENSE}/run.json",
        rewind=layout.START_WEIGHTS["rewind"],
    log:
        "logs/train_dense/net={net}/seed={seed}.log",
    conda:
        ENV
    threads: 1
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=arch_settings,
        dataset=dataset_identity,
        training=training_settings,
        engine=STUDY.engine_settings(),
        device=config["training"]["device"],
        rewind_iteration=rewind_iteration,
    script:
        "../scripts/train_dense.py"


rule train_lottery_round:
    input:
        unpack(data_inputs),
        rewind=rules.train_dense.output.rewind,
        mask=lottery_round_mask,
    output:
        trained=f"{LOTTERY_ROUND}/trained.pt",
        history=f"{LOTTERY_ROUND}/history.parquet",
        run=f"{LOTTERY_ROUND}/run.json",
    log:
        "logs/train_lottery_round/net={net}/seed={seed}/round={round}.log",
    benchmark:
        "results/benchmarks/train_lottery_round/net={net}/seed={seed}/round={round}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        gpu=config["training"]["gpus"],
    params:
        arch=arch_settings,
        dataset=dataset_identity,
        training=training_settings,
        engine=STUDY.engine_settings(),
        device=config["training"]["device"],
        sparsity=round_sparsity,
        start_iteration=rewind_iteration,
    script:
        "../scripts/train_lottery_round.py"
