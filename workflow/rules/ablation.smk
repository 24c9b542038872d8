# apply_ablation: the start state of every ablation run of one cell (net, method, sparsity, seed).


rule apply_ablation:
    input:
        weights=method_weights,
        mask=rules.make_mask.output.mask,
    output:
        **per_ablation("start", f"{RUN_FOLDER}/start.pt"),
    log:
        f"logs/apply_ablation/{RUN}.log",
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
        ablations=ABLATIONS,
    script:
        "../scripts/apply_ablation.py"
