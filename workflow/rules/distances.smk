# compute_distances: per-layer W1 of each ablated run against the method's unmodified run, and of
# the random method's unmodified run against this method's unmodified run (Singh & Liu).


rule compute_distances:
    input:
        unpack(distance_inputs),
    output:
        per_ablation("distances.parquet"),
    log:
        f"logs/compute_distances/{RUN}.log",
    conda:
        "../../envs/pai.yaml"
    params:
        ablations=ABLATIONS,
    script:
        "../scripts/compute_distances.py"
