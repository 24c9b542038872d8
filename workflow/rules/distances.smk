# analyse_weights: per-layer W1 of each ablated run against the same method's unmodified run,
# and of the random method's unmodified run against each method's unmodified run (Singh & Liu);
# and, from the same start states, the topology of every start mask: effective paths and nodes
# (Pham et al.) and the per-channel sparsity (MtM). One job and one table of each per (net,
# sparsity, seed) covers every method: each takes well under a second, a process start takes
# seconds, and every job and file is a node Snakemake plans.


rule analyse_weights:
    input:
        unpack(group_files(["start", "trained"])),
    output:
        distances=f"{GROUP}/distances.parquet",
        topology=f"{GROUP}/topology.parquet",
        channels=f"{GROUP}/channels.parquet",
    log:
        "logs/analyse_weights/net={net}/sparsity={sparsity}/seed={seed}.log",
    conda:
        ENV
    params:
        arch=arch_settings,
        dataset=dataset_shape,
        runs=group_run_list,
    script:
        "../scripts/analyse_weights.py"
