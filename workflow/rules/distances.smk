# compute_distances: per-layer W1 of each ablated run against the same method's unmodified run,
# and of the random method's unmodified run against each method's unmodified run (Singh & Liu).
# One job per (net, sparsity, seed) covers every method: distances take well under a second,
# a process start takes seconds.


rule compute_distances:
    input:
        starts=lambda wildcards: distance_group_paths(wildcards, "start.pt"),
        trained=lambda wildcards: distance_group_paths(wildcards, "trained.pt"),
    output:
        distance_outputs("distances.parquet"),
    log:
        "logs/compute_distances/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        "../../envs/pai.yaml"
    params:
        methods=METHODS,
        ablations=ABLATIONS,
    script:
        "../scripts/compute_distances.py"
