# compute_distances: per-layer W1 of each ablated run against the same method's unmodified run,
# and of the random method's unmodified run against each method's unmodified run (Singh & Liu).
# One job and one table per (net, sparsity, seed) covers every method: distances take well under
# a second, a process start takes seconds, and every file is a node Snakemake plans.


rule compute_distances:
    input:
        unpack(group_files(["start", "trained"])),
    output:
        distances=f"{GROUP}/distances.parquet",
    log:
        "logs/compute_distances/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        ENV
    params:
        runs=group_run_list,
    script:
        "../scripts/compute_distances.py"
