# score_weights: the scores of a one-shot method, computed once per net, method and seed and shared
# by every sparsity. Iterative methods (SynFlow) score and prune in turn, inside make_mask.


rule score_weights:
    input:
        unpack(scoring_inputs),
    output:
        scores=layout.SCORES,
    log:
        "logs/score_weights/net={net}/method={method}/seed={seed}.log",
    benchmark:
        "results/benchmarks/score_weights/net={net}/method={method}/seed={seed}.tsv"
    wildcard_constraints:
        method="|".join(m.name for m in STUDY.methods.values() if m.one_shot),
    conda:
        ENV
    params:
        method=method_settings,
        arch=arch_settings,
        dataset=scoring_dataset,
    script:
        "../scripts/score_weights.py"
