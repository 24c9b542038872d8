# score_weights: scores of a one-shot method, computed once per net, method and seed and shared
# by every sparsity. SynFlow scores and prunes in turn, so make_mask runs it directly.


rule score_weights:
    input:
        unpack(scoring_inputs),
    output:
        "results/scores/net={net}/method={method}/seed={seed}/scores.pt",
    log:
        "logs/score_weights/net={net}/method={method}/seed={seed}.log",
    benchmark:
        "results/benchmarks/score_weights/net={net}/method={method}/seed={seed}.tsv"
    wildcard_constraints:
        method="|".join(ONE_SHOT_METHODS),
    conda:
        "../../envs/pai.yaml"
    params:
        arch=lambda wildcards: net_spec(wildcards)["arch"],
        dataset=lambda wildcards: dataset_spec(net_spec(wildcards)["dataset"]),
        scoring=lambda wildcards: (
            config["scoring"] if wildcards.method in DATA_METHODS else {}
        ),
    script:
        "../scripts/score_weights.py"
