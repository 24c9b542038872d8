# apply_ablation: the start state of every ablation run of one cell (net, method, sparsity, seed).


rule apply_ablation:
    input:
        weights=start_weights,
        mask=f"results/masks/{RUN}/mask.pt",
    output:
        per_ablation("start.pt"),
    log:
        f"logs/apply_ablation/{RUN}.log",
    conda:
        "../../envs/pai.yaml"
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        dataset=lambda wildcards: dataset_spec(net_spec(wildcards)["dataset"]),
        ablations=ABLATIONS,
    script:
        "../scripts/apply_ablation.py"
