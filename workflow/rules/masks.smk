# make_mask: the method's mask at one sparsity, and its inversion when the grid asks for it.
# lottery: round r's ranking from round r-1 (pai.lottery), kept in the mask file for round r+1.


rule make_mask:
    input:
        unpack(mask_inputs),
    output:
        f"results/masks/{RUN}/mask.pt",
    log:
        f"logs/make_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_mask/{RUN}.tsv"
    conda:
        "../../envs/pai.yaml"
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        dataset=lambda wildcards: dataset_spec(net_spec(wildcards)["dataset"]),
        rankings=["unmodified", "invert"] if "invert" in ABLATIONS else ["unmodified"],
        lottery_round=lambda wildcards: (
            lottery_round(wildcards.sparsity) if wildcards.method == "lottery" else 0
        ),
        synflow_iterations=lambda wildcards: (
            config["scoring"]["synflow_iterations"]
            if wildcards.method == "synflow"
            else 0
        ),
    script:
        "../scripts/make_mask.py"
