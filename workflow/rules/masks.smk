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
    wildcard_constraints:
        method="|".join(m for m in config["grid"]["methods"] if m != "lottery")
        or "none",
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


# The lottery's masks form a chain through the rounds' training (mask r -> round r -> mask r+1),
# so they are a rule of their own: the Slurm profile groups make_mask with apply_ablation, and a
# group may not depend on itself through jobs outside it.
use rule make_mask as make_lottery_mask with:
    log:
        f"logs/make_lottery_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_lottery_mask/{RUN}.tsv"
    wildcard_constraints:
        method="lottery",
