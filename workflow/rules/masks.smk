# make_mask: a cell's masks (the method's, and its inversion where the grid runs invert) and the
# start state of every ablation run of the cell: one job per cell, a process start costs more
# than the work, and every job and file is a node Snakemake plans (the paper grid has 2,720
# cells).
# make_lottery_mask: IMP round r's ranking from round r-1 (pai.pruning.lottery), kept in the mask file
# for round r+1, and the masks it gives; apply_ablation makes the lottery cells' start states.


rule make_mask:
    input:
        unpack(mask_inputs),
    output:
        **per_ablation("start", f"{RUN_FOLDER}/start.pt"),
        mask=layout.MASK,
    log:
        f"logs/make_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_mask/{RUN}.tsv"
    wildcard_constraints:
        method=RANKED_METHODS,
    conda:
        ENV
    params:
        method=method_settings,
        arch=arch_settings,
        dataset=scoring_dataset,
        rankings=RANKINGS,
        ablations=ABLATIONS,
    script:
        "../scripts/make_mask.py"


# A data-free allocation's cell: its one mask (no ranking, no inversion) and the start states
# of the ablations it trains (grid.allocation_ablations).
use rule make_mask as make_allocation_mask with:
    output:
        **per_ablation("start", f"{RUN_FOLDER}/start.pt", ALLOCATION_ABLATIONS),
        mask=layout.MASK,
    log:
        f"logs/make_allocation_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_allocation_mask/{RUN}.tsv"
    wildcard_constraints:
        method=ALLOCATION_METHODS,
    params:
        method=method_settings,
        arch=arch_settings,
        dataset=dataset_shape,
        rankings=["unmodified"],
        ablations=ALLOCATION_ABLATIONS,


# The lottery's masks form a chain through the rounds' training (mask r -> round r -> mask r+1),
# so they are a rule of their own, and so are the lottery cells' start states: the Slurm profile
# groups make_mask jobs, and a group may not depend on itself through jobs outside it.
rule make_lottery_mask:
    input:
        unpack(lottery_mask_inputs),
    output:
        mask=layout.MASK,
    log:
        f"logs/make_lottery_mask/{RUN}.log",
    benchmark:
        f"results/benchmarks/make_lottery_mask/{RUN}.tsv"
    wildcard_constraints:
        method=LOTTERY_METHODS,
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
        rankings=RANKINGS,
        round=lottery_round_index,
    script:
        "../scripts/make_lottery_mask.py"


rule apply_ablation:
    input:
        weights=method_weights,
        mask=rules.make_lottery_mask.output.mask,
    output:
        **per_ablation("start", f"{RUN_FOLDER}/start.pt"),
    log:
        f"logs/apply_ablation/{RUN}.log",
    wildcard_constraints:
        method=LOTTERY_METHODS,
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
        ablations=ABLATIONS,
    script:
        "../scripts/apply_ablation.py"
