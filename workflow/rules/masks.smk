# make_mask: a method's mask at one sparsity, and its inversion where the grid runs invert.
# make_lottery_mask: IMP round r's ranking from round r-1 (pai.lottery), kept in the mask file
# for round r+1, and the masks it gives.


rule make_mask:
    input:
        unpack(mask_inputs),
    output:
        mask=f"results/masks/{RUN}/mask.pt",
    log:
        f"logs/make_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_mask/{RUN}.tsv"
    wildcard_constraints:
        method="|".join(m.name for m in STUDY.methods.values() if m.schedule != "lottery"),
    conda:
        ENV
    params:
        method=method_settings,
        arch=arch_settings,
        dataset=scoring_dataset,
        rankings=RANKINGS,
    script:
        "../scripts/make_mask.py"


# The lottery's masks form a chain through the rounds' training (mask r -> round r -> mask r+1),
# so they are a rule of their own: the Slurm profile groups make_mask with apply_ablation, and a
# group may not depend on itself through jobs outside it.
rule make_lottery_mask:
    input:
        unpack(lottery_mask_inputs),
    output:
        mask=f"results/masks/{RUN}/mask.pt",
    log:
        f"logs/make_lottery_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_lottery_mask/{RUN}.tsv"
    wildcard_constraints:
        method="|".join(m.name for m in STUDY.methods.values() if m.schedule == "lottery"),
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
        rankings=RANKINGS,
        round=lottery_round_index,
    script:
        "../scripts/make_lottery_mask.py"
